"""The Alembic migrations, on SQLite and PostgreSQL: head matches the tables the code declares, and
0002 releases the keys of closed certificate cases only."""
from __future__ import annotations

from datetime import datetime, timezone

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, select

from xsflow.store import Database
from xsflow.store.migrate import upgrade
from xsflow.store.schema import agencies, cases, metadata

WHEN = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)


def a_case(procedure: str, key: str, closed: bool) -> dict:
    return {"procedure": procedure, "definition_version": 1, "agency_code": "gaj", "title": key, "state": "s",
            "closed": closed, "version": 1, "data": {}, "correlation_key": key, "opened_at": WHEN,
            "last_occurred_at": WHEN, "history_seq": 0, "history_hash": "0" * 64}


def test_head_matches_the_declared_tables(db_url: str):
    """After `upgrade head` Alembic finds no difference between the database and xsflow/store/schema.py."""
    db = Database(db_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        db.dispose()


def test_0002_releases_the_keys_of_closed_certificate_cases_only(db_url: str):
    """A closed certificate case gives up its person's key; an open one and a closed filing keep theirs."""
    db = Database(db_url)
    try:
        upgrade(db, "0001")
        with db.write() as conn:
            conn.execute(insert(agencies).values(code="gaj", name="县公安局", kind="enforcement"))
            conn.execute(insert(cases), [a_case("certificate", "P-1", True), a_case("certificate", "P-2", False),
                                         a_case("filing_review", "秀山公发〔2025〕1号", True)])
        upgrade(db)
        with db.read() as conn:
            keys = dict(conn.execute(select(cases.c.title, cases.c.correlation_key)).all())
        assert keys == {"P-1": None, "P-2": "P-2", "秀山公发〔2025〕1号": "秀山公发〔2025〕1号"}
    finally:
        db.dispose()
