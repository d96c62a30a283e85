"""The Alembic migrations, on SQLite and PostgreSQL: head matches the tables the code declares, and
0002 releases the keys of closed certificate cases only; 0004 scopes inbound event ids per issuer."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import JSON, bindparam, insert, select, text

from xsflow.store import Database
from xsflow.store.migrate import upgrade
from xsflow.store.schema import UTC, agencies, cases, inbound_events, metadata, tokens

WHEN = datetime(2025, 3, 3, 1, 0, tzinfo=timezone.utc)


def a_case(procedure: str, key: str, closed: bool) -> dict:
    return {"procedure": procedure, "definition_version": 1, "agency_code": "gaj", "title": key, "state": "s",
            "closed": closed, "version": 1, "data": {}, "correlation_key": key, "opened_at": WHEN,
            "last_occurred_at": WHEN, "history_seq": 0, "history_hash": "0" * 64}


# Alembic cannot compare indexes on an expression (the register's, 0015): they are checked by name below.
@pytest.mark.filterwarnings("ignore:autogenerate skipping metadata-specified expression-based index")
def test_head_matches_the_declared_tables(db_url: str):
    """After `upgrade head` Alembic finds no difference between the database and xsflow/store/schema.py."""
    db = Database(db_url)
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
            listed = ("SELECT name FROM sqlite_master WHERE type = 'index'" if conn.dialect.name == "sqlite"  # not reflected
                      else "SELECT indexname FROM pg_indexes WHERE tablename = 'cases' AND schemaname = current_schema()")
            assert {"ix_cases_data_document_number", "ix_cases_data_uniform_number"} <= set(
                conn.exec_driver_sql(listed).scalars())
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


def test_0004_gives_stored_events_the_issuer_of_the_one_token_of_their_name(db_url: str):
    """An old event whose sender's name one token bears gets that token as issuer (its repeat is still
    recognised); a name two tokens bear, or none, gets an issuer no token has; event ids become per issuer."""
    db = Database(db_url)
    try:
        upgrade(db, "0002")
        with db.write() as conn:
            ids = [conn.execute(insert(tokens).values(name=name, role="system", token_hash=f"{i:064d}",
                                                      created_at=WHEN).returning(tokens.c.id)).scalar()
                   for i, name in enumerate(["solo", "dup", "dup"])]
            event = {"procedure": "filing_review", "correlation_key": "k", "trigger": "publish", "payload": {},
                     "received_at": WHEN, "outcome": "applied", "status": 200, "response": {}}
            conn.execute(OLD_EVENT, [{**event, "event_id": f"e-{s}", "sender": s} for s in ("solo", "dup", "gone")])
        upgrade(db)
        with db.write() as conn:
            issuers = dict(conn.execute(select(inbound_events.c.sender, inbound_events.c.issuer)).all())
            assert issuers == {"solo": f"token:{ids[0]}", "dup": "name:dup", "gone": "name:gone"}
            # The same id from another issuer is another event.
            conn.execute(insert(inbound_events).values(**event, event_id="e-solo", sender="x", issuer="token:99"))
    finally:
        db.dispose()


# An event row as revision 0002 stored it (no issuer column).
OLD_EVENT = text(
    "INSERT INTO inbound_events (event_id, sender, procedure, correlation_key, trigger, payload, received_at, "
    "outcome, status, response) VALUES (:event_id, :sender, :procedure, :correlation_key, :trigger, :payload, "
    ":received_at, :outcome, :status, :response)").bindparams(
    bindparam("payload", type_=JSON), bindparam("response", type_=JSON), bindparam("received_at", type_=UTC))


def test_0007_keeps_the_stored_deadlines_and_lets_a_period_wait_for_service(db_url: str):
    """A deadline stored before 0007 keeps its dates (its new history columns empty); after it a period
    may wait for a service with no dates, and a document's service is recorded once."""
    from datetime import date

    import pytest
    from sqlalchemy.exc import IntegrityError

    from xsflow.store.schema import deadlines, document_services, documents

    db = Database(db_url)
    try:
        upgrade(db, "0005")
        with db.write() as conn:
            conn.execute(insert(agencies).values(code="gaj", name="县公安局", kind="enforcement"))
            case_id = conn.execute(insert(cases).values(**a_case("legality_review", "k", False))
                                   .returning(cases.c.id)).scalar()
            conn.execute(text(
                "INSERT INTO deadlines (case_id, name, period_kind, period, start_date, due_date, lapses_at, provisional, "
                "service_level, basis, status, overdue) VALUES (:c, 'supplement', 'working_days', 5, :s, :d, :l, "
                ":f, :f, '第13条', 'pending', :f)").bindparams(bindparam("l", type_=UTC)),
                {"c": case_id, "s": date(2025, 3, 3), "d": date(2025, 3, 10), "l": WHEN, "f": False})
        upgrade(db)
        with db.write() as conn:
            [old] = conn.execute(select(deadlines)).mappings().all()
            assert (old["due_date"], old["status"], old["reason"], old["awaits_service"]) == (
                date(2025, 3, 10), "pending", None, None)
            conn.execute(insert(deadlines).values(
                case_id=case_id, name="supplement", period_kind="working_days", period=5, start_date=None,
                due_date=None, lapses_at=None, provisional=False, service_level=False, basis="第13条",
                status="awaiting_service", overdue=False, awaits_service="supplement_notice"))
            doc = conn.execute(insert(documents).values(
                case_id=case_id, kind="supplement_notice", title="补正通知", prefix="秀山司补", year=2025, seq=1,
                number="秀山司补〔2025〕1号", issued_at=WHEN, basis="第13条", facts={}, history_seq=1)
                .returning(documents.c.id)).scalar()
            service = {"document_id": doc, "case_id": case_id, "mode": "post", "served_on": date(2025, 3, 5),
                       "delivered_on": date(2025, 3, 5), "recorded_by": "李四", "recorded_role": "reviewer",
                       "recorded_at": WHEN}
            conn.execute(insert(document_services).values(**service))
        with pytest.raises(IntegrityError):
            with db.write() as conn:
                conn.execute(insert(document_services).values(**service))
    finally:
        db.dispose()
