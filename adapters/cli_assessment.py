"""`xsflow assessment compute YEAR`: the year's assessment computed from the record, for a daily job
(cron or a systemd timer), so that the agencies watch their running score through the year."""
from __future__ import annotations

import click

from workflows import assessment_record as record
from xsflow.access import Actor
from xsflow.errors import XsflowError

ACTOR = Actor("考核结果定时计算", "supervisor")


@click.group()
def assessment() -> None:
    """The annual assessment computed from the record."""


@assessment.command("compute")
@click.argument("year", type=int)
@click.pass_context
def compute(ctx: click.Context, year: int) -> None:
    """Compute and store YEAR's results of every assessed agency; prints what was counted."""
    from .cli import _system

    system = _system(ctx)
    try:
        with system.db.write() as conn:
            done = record.compute(conn, ACTOR, year, now=system.clock.now())
    except XsflowError as refused:
        click.echo(refused.message, err=True)
        ctx.exit(2)
    finally:
        system.db.dispose()
    click.echo(f"computed {year}: {done['agencies']} agencies, {done['occurrences']} occurrences "
               f"({done['standard_file']})")
