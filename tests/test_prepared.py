"""`Prepared` statements run on the SQLite driver directly; they must read and write exactly what
SQLAlchemy would, keep a transition all-or-nothing, and share the kept write connection safely
between threads and across a fork.
"""
from __future__ import annotations

import multiprocessing as mp
import threading
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, func, insert, select, update

from tests.conftest import at
from xsflow.access import Actor
from xsflow.engine import _CASE_DOCUMENTS, _INSERT_HISTORY
from xsflow.store.db import Database, Prepared
from xsflow.store.schema import cases, deadlines, documents, history
from adapters.compose import open_system

CLERK = Actor("发改委经办人", "clerk", "fgw")
REVIEWER = Actor("司法局审查员", "reviewer")


def case_with_everything(system, clock) -> int:
    """A legality review with a pending deadline, a met one, documents, history and Chinese data."""
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    case = system.engine.open_case(CLERK, procedure="legality_review", agency="fgw",
                                   title="关于“占道经营”管理的通告（送审稿）<b>&</b>")
    system.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis"]})
    clock.move_to(at("2025-03-05T15:30:00+08:00"))
    system.engine.fire(CLERK, case["id"], "supplement", {"items": ["legal_basis"]})
    return case["id"]


@pytest.mark.parametrize("table", [cases, deadlines, documents, history], ids=lambda t: t.name)
def test_rows_read_as_sqlalchemy_reads_them(system, clock, table):
    """Every column type (UTC instants, dates, JSON, booleans, NULLs) comes back as SQLAlchemy gives it."""
    case_id = case_with_everything(system, clock)
    column = table.c.id if table is cases else table.c.case_id
    statement = select(table).where(column == bindparam("case_id")).order_by(table.c.id)
    with system.db.write() as conn:
        expected = [dict(r) for r in conn.execute(statement, {"case_id": case_id}).mappings()]
        got = Prepared(statement).rows(conn, {"case_id": case_id})
    assert expected and got == expected
    assert all(type(got[0][k]) is type(v) for k, v in expected[0].items())


def test_rows_written_as_sqlalchemy_writes_them(system, clock):
    """An INSERT and an UPDATE through Prepared store what the same statements through SQLAlchemy store."""
    case_id = case_with_everything(system, clock)
    moment = datetime(2025, 3, 6, 1, 2, 3, 456789, tzinfo=timezone(timedelta(hours=8)))
    base = {"case_id": case_id, "name": "n", "period_kind": "working_days", "period": 5,
            "start_date": date(2025, 3, 6), "due_date": date(2025, 3, 13), "lapses_at": moment,
            "provisional": True, "service_level": False, "basis": "《制度》第十三条", "status": "pending",
            "overdue": False, "closed_at": None}
    columns = tuple(base)
    prepared_insert = Prepared(insert(deadlines), columns)
    set_closed = update(deadlines).where(deadlines.c.id == bindparam("deadline_id"))
    with system.db.write() as conn:
        by_sqlalchemy = conn.execute(insert(deadlines).returning(deadlines.c.id), base).scalar_one()
        by_prepared = prepared_insert.insert_id(conn, base)
        conn.execute(set_closed, {"deadline_id": by_sqlalchemy, "status": "met", "closed_at": moment})
        matched = Prepared(set_closed, ("status", "closed_at")).rowcount(
            conn, {"deadline_id": by_prepared, "status": "met", "closed_at": moment})
    assert matched == 1 and by_prepared == by_sqlalchemy + 1
    with system.db.read() as conn:
        a, b = (dict(conn.execute(select(deadlines).where(deadlines.c.id == i)).mappings().one())
                for i in (by_sqlalchemy, by_prepared))
    assert a.pop("id") != b.pop("id")
    assert a == b and b["lapses_at"] == moment and b["closed_at"] == moment and b["provisional"] is True


def test_a_failed_transaction_leaves_nothing_of_its_prepared_writes(system, clock):
    """Prepared writes belong to the surrounding transaction: an error after them undoes them all."""
    case_id = case_with_everything(system, clock)
    with system.db.read() as conn:
        before = conn.execute(select(func.count()).select_from(history)).scalar_one()
    entry = {"case_id": case_id, "seq": 99, "trigger": "x", "actor": "x", "actor_role": "clerk", "payload": {},
             "occurred_at": clock.now(), "recorded_at": clock.now(), "from_state": "a", "to_state": "b",
             "prev_hash": "0" * 64, "hash": "f" * 64}
    with pytest.raises(RuntimeError):
        with system.db.write() as conn:
            _INSERT_HISTORY.run(conn, entry)
            raise RuntimeError("the transition fails after its history entry was written")
    with system.db.write() as conn:  # the kept connection is usable again, and clean
        assert _CASE_DOCUMENTS.rows(conn, {"case_id": case_id})
        assert conn.execute(select(func.count()).select_from(history)).scalar_one() == before


def test_threads_writing_at_once_each_get_a_connection(sqlite_url):
    """Whichever thread does not get the kept connection writes through the pool; no write is lost."""
    x = open_system(sqlite_url)
    x.init()
    counter = Prepared(update(cases).where(cases.c.id == bindparam("case_id")), ("version",))
    with x.db.write() as conn:
        case_id = conn.execute(insert(cases).returning(cases.c.id), {
            "procedure": "legality_review", "definition_version": 1, "agency_code": "fgw", "title": "t",
            "state": "submitted", "closed": False, "version": 0, "data": {}, "opened_at": at("2025-03-03T09:00:00+08:00"),
            "last_occurred_at": at("2025-03-03T09:00:00+08:00"), "history_seq": 0, "history_hash": "0" * 64,
        }).scalar_one()

    def bump(n: int) -> None:
        for _ in range(n):
            with x.db.write() as conn:
                version = conn.execute(select(cases.c.version).where(cases.c.id == case_id)).scalar_one()
                counter.run(conn, {"case_id": case_id, "version": version + 1})

    threads = [threading.Thread(target=bump, args=(50,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with x.db.read() as conn:
        assert conn.execute(select(cases.c.version).where(cases.c.id == case_id)).scalar_one() == 200
    x.db.dispose()


def _child_writes(db: Database, parents: object, out) -> None:
    with db.write() as conn:
        conn.execute(update(cases).values(title="子进程写入"))
        out.put(conn.connection.driver_connection is parents)


@pytest.mark.skipif("fork" not in mp.get_all_start_methods(), reason="needs fork")
def test_a_forked_process_never_uses_its_parents_kept_connection(sqlite_url, clock):
    """A forked worker (gunicorn forks) opens its own connection; the parent's stays usable."""
    x = open_system(sqlite_url, clock=clock)
    x.init()
    case_id = case_with_everything(x, clock)
    with x.db.write() as conn:
        parent_kept = conn  # the parent's kept connection exists before the fork
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    child = ctx.Process(target=_child_writes, args=(x.db, parent_kept.connection.driver_connection, out))
    child.start()
    assert out.get(timeout=60) is False  # the child wrote through a connection of its own
    child.join(60)
    assert child.exitcode == 0
    with x.db.write() as conn:
        assert conn is parent_kept
        assert conn.execute(select(cases.c.title).where(cases.c.id == case_id)).scalar_one() == "子进程写入"
    x.db.dispose()


def test_a_cursor_event_listener_sees_every_statement_of_a_transition(sqlite_url, clock):
    """With a `before_cursor_execute` listener (a tracer, a query log), the hot statements go through
    SQLAlchemy too: the listener sees the history entry and the version bump of each transition."""
    from sqlalchemy import event

    x = open_system(sqlite_url, clock=clock)
    x.init()
    seen: list[str] = []
    event.listen(x.db.engine, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
    case_with_everything(x, clock)
    assert sum(s.startswith("INSERT INTO history") for s in seen) == 3
    assert sum(s.startswith("UPDATE cases SET") for s in seen) >= 2
    x.db.dispose()
