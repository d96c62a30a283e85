"""`xsflow audit verify` over the hash-chained case history, on SQLite and PostgreSQL: it passes on
an untouched database and names the case and entry after any direct edit of the history table."""
from __future__ import annotations

import re
import sqlite3
import subprocess
from contextlib import closing

import pytest
from sqlalchemy import text, update

from xsflow.access import Actor
from xsflow.store.schema import history

from .conftest import LEGALITY_READY, at, cli

CLERK = Actor("市场监管局经办人", "clerk", "scjgj")
REVIEWER = Actor("司法局审查员", "reviewer", "sfj")


@pytest.fixture
def cases(system) -> list[int]:
    """Three legality reviews with 4, 2 and 3 history entries, recorded on a fixed clock."""
    e, clock = system.engine, system.clock
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    a = e.open_case(CLERK, procedure="legality_review", agency="scjgj", title="草案甲", data=LEGALITY_READY)["id"]
    b = e.open_case(CLERK, procedure="legality_review", agency="scjgj", title="草案乙", data=LEGALITY_READY)["id"]
    c = e.open_case(CLERK, procedure="legality_review", agency="scjgj", title="草案丙", data=LEGALITY_READY)["id"]
    clock.move_to(at("2025-03-03T10:00:00+08:00"))
    e.fire(REVIEWER, a, "request_supplement", {"missing": ["legal_basis", "consultation_record"]})
    e.fire(REVIEWER, b, "accept")
    e.fire(REVIEWER, c, "accept")
    clock.move_to(at("2025-03-05T10:00:00+08:00"))
    e.fire(CLERK, a, "supplement", {"items": ["legal_basis"]})
    e.fire(CLERK, a, "supplement", {"items": ["consultation_record"]})
    e.fire(REVIEWER, c, "issue_opinion", {"conclusion": "revise", "reasons": "第三条与上位法不一致"})
    return [a, b, c]


def verify(system) -> subprocess.CompletedProcess:
    return cli(system.db.url, "audit", "verify")


def sql(system, statement: str, **params) -> int:
    with system.db.engine.begin() as conn:
        return conn.execute(text(statement), params).rowcount


def assert_broken(p: subprocess.CompletedProcess, case_id: int, seq: int) -> None:
    """The command failed and its message names the case and the entry."""
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert re.search(rf"案件 ?{case_id}(?!\d)", out), out
    assert re.search(rf"(?<!\d){seq}(?!\d) ?条", out), out


def test_untouched_history_verifies(system, cases):
    """On a database changed only through the engine, audit verify exits 0 and says so."""
    p = verify(system)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "通过" in p.stdout


def test_same_json_written_differently_still_verifies(system, cases):
    """Rewriting a payload with the same JSON value in another spelling (key order, spaces) is not a false alarm."""
    a = cases[0]
    assert sql(system, """UPDATE history SET payload = '{ "missing" : [ "legal_basis", "consultation_record" ] }'
                          WHERE case_id = :c AND seq = 2""", c=a) == 1
    assert verify(system).returncode == 0


def test_edited_payload_is_named(system, cases):
    """Editing a history entry's payload with SQL makes verify fail, naming that case and entry."""
    a = cases[0]
    assert sql(system, """UPDATE history SET payload = '{"missing": ["legal_basis"]}'
                          WHERE case_id = :c AND seq = 2""", c=a) == 1
    assert_broken(verify(system), a, 2)


def test_edited_timestamp_is_named(system, cases):
    """Back-dating an entry's occurred_at with SQL makes verify fail, naming that case and entry."""
    c = cases[2]
    with system.db.engine.begin() as conn:  # through the column type, so each database stores it its own way
        changed = conn.execute(update(history).where(history.c.case_id == c, history.c.seq == 3)
                               .values(occurred_at=at("2025-03-04T10:00:00+08:00"))).rowcount
    assert changed == 1
    assert_broken(verify(system), c, 3)


def test_deleted_row_is_named(system, cases):
    """Deleting a history entry in the middle makes verify fail, naming the case and the missing entry."""
    a = cases[0]
    assert sql(system, "DELETE FROM history WHERE case_id = :c AND seq = 3", c=a) == 1
    assert_broken(verify(system), a, 3)


def test_swapped_order_is_named(system, cases):
    """Swapping two entries' seq makes verify fail, naming the case and the first entry out of place."""
    a = cases[0]
    sql(system, "UPDATE history SET seq = -1 WHERE case_id = :c AND seq = 2", c=a)
    sql(system, "UPDATE history SET seq = 2 WHERE case_id = :c AND seq = 3", c=a)
    sql(system, "UPDATE history SET seq = 3 WHERE case_id = :c AND seq = -1", c=a)
    assert_broken(verify(system), a, 2)


def test_deleted_last_entry_is_named(system, cases):
    """Deleting a case's last history entry (which leaves an internally consistent chain) still makes verify fail, naming the case and that entry."""
    c = cases[2]
    assert sql(system, "DELETE FROM history WHERE case_id = :c AND seq = 3", c=c) == 1
    assert_broken(verify(system), c, 3)


def test_later_case_is_named_when_earlier_ones_are_intact(system, cases):
    """A break in the second case is reported against that case, not the first."""
    b = cases[1]
    assert sql(system, "UPDATE history SET actor = '他人' WHERE case_id = :c AND seq = 2", c=b) == 1
    assert_broken(verify(system), b, 2)


def delete_case_rows(system, *case_ids: int) -> None:
    """Deletes cases with their foreign keys unchecked, as someone with direct database access could."""
    if system.db.engine.dialect.name == "sqlite":  # a plain sqlite3 connection does not enforce them
        with closing(sqlite3.connect(system.db.engine.url.database)) as conn, conn:
            conn.executemany("DELETE FROM cases WHERE id = ?", [(c,) for c in case_ids])
        return
    with system.db.engine.connect() as conn:
        conn.execute(text("SET session_replication_role = replica"))  # foreign keys are not enforced
        for case_id in case_ids:
            conn.execute(text("DELETE FROM cases WHERE id = :c"), {"c": case_id})
        conn.commit()
    system.db.engine.dispose()  # that session's setting goes with it


@pytest.mark.parametrize("which", [1, 2], ids=["a case in the middle", "the last case"])
def test_a_deleted_case_whose_history_remains_is_named(system, cases, which):
    """History entries left by a case row deleted with SQL make verify fail, naming that case."""
    gone = cases[which]
    delete_case_rows(system, gone)
    p = verify(system)
    assert p.returncode != 0, p.stdout
    assert f"历史记录指向不存在的案件 {gone}" in p.stdout + p.stderr
