"""`xsflow user …`: accounts for people who sign in to the web pages."""
from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import click
from sqlalchemy import Connection

from xsflow.access import ROLE_TITLES
from xsflow.errors import XsflowError
from xsflow.users import PERSON_ROLES

T = TypeVar("T")


def _system(ctx: click.Context):
    from adapters.compose import open_system

    return open_system(ctx.find_root().obj["database_url"])


def _fail(message: str, code: int = 2) -> None:
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


def _write(ctx: click.Context, work: Callable[[Connection, datetime], T]) -> T:
    """`work(conn, now)` in one write transaction; a refusal is printed with its reasons (exit 1)."""
    x = _system(ctx)
    try:
        with x.db.write() as conn:
            return work(conn, x.clock.now())
    except XsflowError as err:
        _fail(_problems(err))
        raise  # not reached: _fail exits
    finally:
        x.db.dispose()


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
    created = _write(ctx, lambda conn, now: create_user(conn, username=username, display_name=display_name,
                                                        role=role, agency=agency, password=password, now=now))
    where = f"，单位 {created.agency}" if created.agency else ""
    click.echo(f"已创建用户 {created.username}（{created.display_name}，{ROLE_TITLES[created.role]}{where}）。")


@user.command("reset-password")
@click.argument("username")
@click.pass_context
def user_reset_password(ctx: click.Context, username: str) -> None:
    """Set a new password (read like `create`'s), lift a lockout, and end the user's open sessions."""
    from xsflow.users import reset_password

    password = _password()
    _write(ctx, lambda conn, now: reset_password(conn, username, password, now))
    click.echo(f"已重置用户 {username} 的密码；原有登录已失效，锁定（如有）已解除。")


def _switch(name: str, disabled: bool, help_text: str, done: str) -> click.Command:
    """`user disable` and `user enable`: one account's disabled_at, set (ending its sessions) or cleared."""
    @user.command(name, help=help_text)
    @click.argument("username")
    @click.pass_context
    def command(ctx: click.Context, username: str) -> None:
        from xsflow.users import set_disabled

        _write(ctx, lambda conn, now: set_disabled(conn, username, disabled, now))
        click.echo(done.format(username=username))
    return command


user_disable = _switch("disable", True, "Disable an account: its open sessions end at once and it can no longer sign in.",
                       "已停用用户 {username}；其原有登录已全部失效。")
user_enable = _switch("enable", False, "Enable a disabled account again (its password is unchanged).",
                      "已启用用户 {username}。")
