"""Counts PostgreSQL keeps with triggers, so that the totals people see cost the number of keys, not
the number of cases (issue 14; the triggers are in migrations 0016, 0017 and 0019):

- OVERDUE: per (agency, procedure, last day, kind), the deadlines of open cases that are overdue or
  may become so (overdue, or pending with a last day). One whose last day is before today has lapsed
  (its lapse instant is at the latest the end of its last day), so `overdue.summary` takes those from
  here and counts only today's from the deadlines.
- OPEN_CASES: per (agency, procedure, definition version, state), the open cases: 待办's totals.
- HISTORY_ENTRIES: per (agency, procedure), the cases' history entries (the sum of their history_seq:
  a case's entries are numbered without a gap): the audit log's totals (migration 0019).
- CASES: per (agency, procedure, state), every case, open or closed: the case list's totals (0019).

The triggers append each statement's net change to a changes table, so two writers never update one
row (nothing waits, nothing deadlocks); `fold` moves the changes into the counts table, from the
sweep. A count is the sum of both tables' rows for its key, folded or not. `check` compares the kept
counts with the rows they count (`xsflow audit verify`); `rebuild` counts them afresh
(`xsflow audit recount`). SQLite keeps none: its readers count the rows."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select, Table, and_, func, literal_column, or_, select, text, union_all

from .store.schema import (case_count_changes, case_counts, cases, deadlines, history_entry_count_changes,
                           history_entry_counts, open_case_count_changes, open_case_counts, overdue_count_changes,
                           overdue_counts)

FOLD_LOCK = 0x78736F64  # the advisory lock one folding transaction holds ("xsod")


@dataclass(frozen=True)
class Kept:
    counts: Table
    changes: Table
    key: tuple[str, ...]
    fresh: Callable[[], Select]  # the key's columns and n, counted from the rows themselves
    words: Callable[[Any], str]  # a key, for a person


def _counted_deadlines():
    """The deadlines OVERDUE holds, as a condition on `deadlines` and `cases` (the triggers' COUNTED)."""
    return and_(cases.c.closed.is_(False), deadlines.c.due_date.is_not(None),
                or_(deadlines.c.overdue.is_(True), deadlines.c.status == "pending"))


def _fresh_overdue() -> Select:
    key = (cases.c.agency_code, cases.c.procedure, deadlines.c.due_date, deadlines.c.service_level)
    return (select(*key, func.count().label("n")).join_from(deadlines, cases, cases.c.id == deadlines.c.case_id)
            .where(_counted_deadlines()).group_by(*key))


def _fresh_open_cases() -> Select:
    key = (cases.c.agency_code, cases.c.procedure, cases.c.definition_version, cases.c.state)
    return select(*key, func.count().label("n")).where(cases.c.closed.is_(False)).group_by(*key)


def _fresh_history_entries() -> Select:
    key = (cases.c.agency_code, cases.c.procedure)
    n = func.sum(cases.c.history_seq)
    return select(*key, n.label("n")).group_by(*key).having(n != 0)


def _fresh_cases() -> Select:
    key = (cases.c.agency_code, cases.c.procedure, cases.c.state)
    return select(*key, func.count().label("n")).group_by(*key)


OVERDUE = Kept(overdue_counts, overdue_count_changes, ("agency_code", "procedure", "due_date", "service_level"),
               _fresh_overdue,
               lambda r: f"逾期计数：单位 {r.agency_code}、程序 {r.procedure}、最后一日 {r.due_date.isoformat()}"
                         f"（{'办理时限' if r.service_level else '法定期限'}）")
OPEN_CASES = Kept(open_case_counts, open_case_count_changes,
                  ("agency_code", "procedure", "definition_version", "state"), _fresh_open_cases,
                  lambda r: f"待办计数：单位 {r.agency_code}、程序 {r.procedure}（第 {r.definition_version} 版）、"
                            f"状态 {r.state}")
HISTORY_ENTRIES = Kept(history_entry_counts, history_entry_count_changes, ("agency_code", "procedure"),
                       _fresh_history_entries,
                       lambda r: f"操作记录计数：单位 {r.agency_code}、程序 {r.procedure}")
CASES = Kept(case_counts, case_count_changes, ("agency_code", "procedure", "state"), _fresh_cases,
             lambda r: f"案件计数：单位 {r.agency_code}、程序 {r.procedure}、状态 {r.state}")
ALL = (OVERDUE, OPEN_CASES, HISTORY_ENTRIES, CASES)


def kept(conn: Connection) -> bool:
    """Whether this database keeps the counts (PostgreSQL)."""
    return conn.dialect.name == "postgresql"


def rows(kind: Kept):
    """Every count row of `kind`, folded or not: sum `n` per key for a count."""
    return union_all(select(*(kind.counts.c[k] for k in kind.key), kind.counts.c.n),
                     select(*(kind.changes.c[k] for k in kind.key), kind.changes.c.n)).subquery("counts")


def total(conn: Connection, kind: Kept, **narrowed: Any) -> int:
    """The sum of `kind`'s counts over the keys whose columns equal the values given (None: any)."""
    counts = rows(kind)
    where = [counts.c[column] == value for column, value in narrowed.items() if value is not None]
    return conn.execute(select(func.coalesce(func.sum(counts.c.n), 0)).where(*where)).scalar_one()


def fold(conn: Connection) -> int:
    """Moves the appended changes into the counts tables (one row per key; a key whose count is 0
    goes); how many changes were moved. One folding transaction at a time: a second finds the lock
    taken and leaves the changes to the next sweep."""
    if not kept(conn) or not conn.execute(select(func.pg_try_advisory_xact_lock(FOLD_LOCK))).scalar_one():
        return 0
    moved = 0
    for kind in ALL:
        key = ", ".join(kind.key)
        n = conn.execute(text(f"""
            WITH moved AS (DELETE FROM {kind.changes.name} RETURNING {key}, n),
                 summed AS (SELECT {key}, sum(n) AS n FROM moved GROUP BY {key}),
                 written AS (INSERT INTO {kind.counts.name} AS c ({key}, n) SELECT {key}, n FROM summed
                             ON CONFLICT ({key}) DO UPDATE SET n = c.n + excluded.n)
            SELECT count(*) FROM moved""")).scalar_one()
        if n:
            conn.execute(kind.counts.delete().where(kind.counts.c.n == 0))
        moved += n
    return moved


def check(conn: Connection) -> list[str]:
    """Keys whose kept count differs from the rows counted afresh, in words (empty: all agree; at most
    20 of each kind)."""
    if not kept(conn):
        return []
    out = []
    for kind in ALL:
        fresh = kind.fresh().subquery("fresh")
        counts = rows(kind)
        summed = (select(*(counts.c[k] for k in kind.key), func.sum(counts.c.n).label("n"))
                  .group_by(*(counts.c[k] for k in kind.key)).subquery("summed"))
        differing = conn.execute(
            select(*(func.coalesce(fresh.c[k], summed.c[k]).label(k) for k in kind.key),
                   func.coalesce(fresh.c.n, 0).label("fresh"), func.coalesce(summed.c.n, 0).label("kept"))
            .select_from(fresh.join(summed, and_(*(fresh.c[k] == summed.c[k] for k in kind.key)), full=True))
            .where(func.coalesce(fresh.c.n, 0) != func.coalesce(summed.c.n, 0))
            .order_by(*(literal_column(str(i)) for i in range(1, len(kind.key) + 1))).limit(20)).all()
        out += [f"{kind.words(r)} 记为 {r.kept} 项，实有 {r.fresh} 项。" for r in differing]
    return out


def rebuild(conn: Connection) -> int:
    """Counts every key afresh (after `check` found a difference); how many keys. Takes the fold lock
    and locks `cases` and `deadlines` against writes for the transaction, so no change is counted
    twice or missed."""
    if not kept(conn):
        return 0
    conn.execute(select(func.pg_advisory_xact_lock(FOLD_LOCK)))
    conn.execute(text("LOCK TABLE deadlines, cases IN SHARE MODE"))
    keys = 0
    for kind in ALL:
        conn.execute(kind.changes.delete())
        conn.execute(kind.counts.delete())
        keys += conn.execute(kind.counts.insert().from_select([*kind.key, "n"], kind.fresh())).rowcount
    return keys
