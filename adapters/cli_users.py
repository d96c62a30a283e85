"""`xsflow user …`: accounts for people who sign in to the web pages."""
from __future__ import annotations

import sys

import click

from xsflow.access import ROLE_TITLES
from xsflow.errors import XsflowError
from xsflow.users import PERSON_ROLES


def _system(ctx: click.Context):
    from adapters.compose import open_system

    return open_system(ctx.find_root().obj["database_url"])


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _password() -> str:
    """The password: one line from standard input when it is not a terminal, else typed twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line.strip():
            _fail("没有读到密码：请在标准输入中提供一行密码，或在终端中运行以便输入。", 2)
        return line.rstrip("\r\n")
    return click.prompt("密码", hide_input=True, confirmation_prompt="再次输入密码")


def _problems(err: XsflowError) -> str:
    fields = getattr(err, "fields", {}) or {}
    return err.message + "".join(m for ms in fields.values() for m in ms)


@click.group()
def user() -> None:
    """Accounts for people (the web pages); systems use tokens."""


@user.command("create")
@click.option("--username", required=True, help="The name typed to sign in.")
@click.option("--name", "display_name", required=True, help="The person's name, as shown in the history.")
@click.option("--role", required=True, type=click.Choice(PERSON_ROLES))
@click.option("--agency", default=None, help="Agency code; required for clerks.")
@click.pass_context
def user_create(ctx: click.Context, username: str, display_name: str, role: str, agency: str | None) -> None:
    """Create an account; the password is read from standard input, or typed twice at a terminal."""
    from xsflow.users import create_user

    password = _password()
    x = _system(ctx)
    try:
        with x.db.write() as conn:
            created = create_user(conn, username=username, display_name=display_name, role=role, agency=agency,
                                  password=password, now=x.clock.now())
    except XsflowError as err:
        _fail(_problems(err))
    finally:
        x.db.dispose()
    where = f"，单位 {created.agency}" if created.agency else ""
    click.echo(f"已创建用户 {created.username}（{created.display_name}，{ROLE_TITLES[created.role]}{where}）。")


@user.command("reset-password")
@click.argument("username")
@click.pass_context
def user_reset_password(ctx: click.Context, username: str) -> None:
    """Set a new password (read like `create`'s), lift a lockout, and end the user's open sessions."""
    from xsflow.users import reset_password

    password = _password()
    x = _system(ctx)
    try:
        with x.db.write() as conn:
            reset_password(conn, username, password, x.clock.now())
    except XsflowError as err:
        _fail(_problems(err))
    finally:
        x.db.dispose()
    click.echo(f"已重置用户 {username} 的密码；原有登录已失效，锁定（如有）已解除。")
