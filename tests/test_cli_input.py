"""The command line refuses bad input in one line and exit status 2, never a traceback (issue 13, item 11);
`token revoke` takes a name or, explicitly, an id. On SQLite and PostgreSQL."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select

from xsflow.store.schema import tokens

from .conftest import cli


@pytest.fixture
def db(db_url: str) -> str:
    assert cli(db_url, "init").returncode == 0
    return db_url


def refused(url: str, *args: str) -> str:
    p = cli(url, *args)
    assert p.returncode == 2, (args, p.returncode, p.stdout, p.stderr)
    assert "Traceback" not in p.stderr and len(p.stderr.strip().splitlines()) == 1, (args, p.stderr)
    return p.stderr


def revoked(url: str) -> dict[str, bool]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {f"{r.id}:{r.name}": r.revoked_at is not None for r in conn.execute(select(tokens))}
    finally:
        engine.dispose()


def test_token_revoke_takes_a_name_or_an_explicit_id_never_both(db: str):
    """`token revoke 3` revokes the token named "3" only; `--id 3` the token numbered 3 only."""
    for name in ("a", "b", "3"):
        assert cli(db, "token", "create", "--name", name, "--role", "admin").returncode == 0
    assert cli(db, "token", "revoke", "3").returncode == 0
    assert revoked(db) == {"1:a": False, "2:b": False, "3:3": True}
    assert cli(db, "token", "revoke", "--id", "1").returncode == 0
    assert revoked(db) == {"1:a": True, "2:b": False, "3:3": True}
    assert "--id 2" in refused(db, "token", "revoke", "2")  # no token named "2": the id is suggested, not taken
    refused(db, "token", "revoke")
    refused(db, "token", "revoke", "b", "--id", "2")
    refused(db, "token", "revoke", "--id", "99999999999999999999")
    assert revoked(db)["2:b"] is False


@pytest.mark.parametrize("args", [
    ("token", "create", "--name", "x", "--role", "admin", "--expires-in-days", "-1"),
    ("token", "create", "--name", "x", "--role", "admin", "--expires-in-days", "0"),
    ("token", "create", "--name", "x", "--role", "admin", "--expires-in-days", "99999999999"),
    ("token", "create", "--name", "名" * 201, "--role", "admin"),
    ("token", "create", "--name", "a\x1bb", "--role", "admin"),
    ("token", "create", "--name", "x", "--role", "clerk"),
    ("calendar", "deadline", "1999-12-31", "--days", "3"),
    ("calendar", "deadline", "2100-01-01", "--days", "3"),
    ("calendar", "deadline", "２０２５-01-01", "--days", "3"),
    ("calendar", "deadline", "2025-02-30", "--days", "3"),
    ("calendar", "deadline", "2099-12-01", "--working-days", "300"),
    ("calendar", "deadline", "2025-01-01", "--days", "-5"),
    ("calendar", "deadline", "2025-01-01"),
    ("document", "render", "99999999999999999999"),
    ("document", "render", "12345"),
    ("tick", "--now", "0001-01-01T00:00:00+14:00"),
    ("tick", "--now", "yesterday"),
    ("no-such-command",),
])
def test_bad_input_is_one_line_and_exit_2(db: str, args: tuple[str, ...]):
    """Negative or huge expiries, over-long or unprintable names, dates outside 2000–2099, huge ids: one line, exit 2."""
    refused(db, *args)
    assert revoked(db) == {}  # no token was made by a refused command
