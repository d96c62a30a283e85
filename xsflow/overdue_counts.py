"""The counts behind the overdue summary at any size (PostgreSQL; migration 0016 holds the triggers).

Per (agency, procedure, last day, kind), how many deadlines of open cases are overdue or may become so
(COUNTED). Triggers append each statement's net change to `overdue_count_changes`, so two writers never
update one row (nothing waits, nothing deadlocks); `fold` moves the changes into `overdue_counts`,
from the sweep. A count is the sum of both tables' rows for its key, folded or not.

A deadline counted here whose last day is before today has lapsed (its lapse instant is at the latest
the end of its last day), so `overdue.summary` takes those from here and counts only today's from the
deadlines. `check` compares the kept counts with the deadlines themselves (`xsflow audit verify`)."""
from __future__ import annotations

from sqlalchemy import Connection, and_, func, literal_column, or_, select, text, union_all

from .store.schema import cases, deadlines, overdue_count_changes, overdue_counts

KEY = ("agency_code", "procedure", "due_date", "service_level")
FOLD_LOCK = 0x78736F64  # the advisory lock one folding transaction holds ("xsod")


def kept(conn: Connection) -> bool:
    """Whether this database keeps the counts (PostgreSQL, migrated to 0016)."""
    return conn.dialect.name == "postgresql"


def counted():
    """The deadlines the counts hold, as a condition on `deadlines` and `cases` (as the triggers' COUNTED)."""
    return and_(cases.c.closed.is_(False), deadlines.c.due_date.is_not(None),
                or_(deadlines.c.overdue.is_(True), deadlines.c.status == "pending"))


def rows():
    """Every count row, folded or not: sum `n` per key for a count."""
    return union_all(select(*(overdue_counts.c[k] for k in KEY), overdue_counts.c.n),
                     select(*(overdue_count_changes.c[k] for k in KEY), overdue_count_changes.c.n)).subquery("counts")


def fold(conn: Connection) -> int:
    """Moves the appended changes into `overdue_counts` (one row per key; a key whose count is 0
    goes); how many changes were moved. One folding transaction at a time: a second finds the lock
    taken and leaves the changes to the next sweep."""
    if not kept(conn) or not conn.execute(select(func.pg_try_advisory_xact_lock(FOLD_LOCK))).scalar_one():
        return 0
    key = ", ".join(KEY)
    moved = conn.execute(text(f"""
        WITH moved AS (DELETE FROM overdue_count_changes RETURNING {key}, n),
             summed AS (SELECT {key}, sum(n) AS n FROM moved GROUP BY {key}),
             written AS (INSERT INTO overdue_counts AS c ({key}, n) SELECT {key}, n FROM summed
                         ON CONFLICT ({key}) DO UPDATE SET n = c.n + excluded.n)
        SELECT count(*) FROM moved""")).scalar_one()
    if moved:
        conn.execute(overdue_counts.delete().where(overdue_counts.c.n == 0))
    return moved


def check(conn: Connection) -> list[str]:
    """Keys whose kept count differs from the deadlines counted afresh, in words (empty: all agree)."""
    if not kept(conn):
        return []
    fresh = (select(cases.c.agency_code, cases.c.procedure, deadlines.c.due_date, deadlines.c.service_level,
                    func.count().label("n"))
             .join_from(deadlines, cases, cases.c.id == deadlines.c.case_id).where(counted())
             .group_by(cases.c.agency_code, cases.c.procedure, deadlines.c.due_date, deadlines.c.service_level)
             .subquery("fresh"))
    counts = rows()
    summed = (select(*(counts.c[k] for k in KEY), func.sum(counts.c.n).label("n"))
              .group_by(*(counts.c[k] for k in KEY)).subquery("summed"))
    on = and_(*(fresh.c[k] == summed.c[k] for k in KEY))
    differing = conn.execute(
        select(*(func.coalesce(fresh.c[k], summed.c[k]).label(k) for k in KEY),
               func.coalesce(fresh.c.n, 0).label("fresh"), func.coalesce(summed.c.n, 0).label("kept"))
        .select_from(fresh.join(summed, on, full=True))
        .where(func.coalesce(fresh.c.n, 0) != func.coalesce(summed.c.n, 0))
        .order_by(literal_column("1"), literal_column("2"), literal_column("3")).limit(20)).all()
    return [f"逾期计数不符：单位 {r.agency_code}、程序 {r.procedure}、最后一日 {r.due_date.isoformat()}"
            f"（{'办理时限' if r.service_level else '法定期限'}）记为 {r.kept} 项，实有 {r.fresh} 项。" for r in differing]


def rebuild(conn: Connection) -> int:
    """Counts every key afresh from the deadlines (after `check` found a difference); how many keys.
    Takes the fold lock and locks `deadlines` against writes for the transaction, so no change is
    counted twice or missed."""
    if not kept(conn):
        return 0
    conn.execute(select(func.pg_advisory_xact_lock(FOLD_LOCK)))
    conn.execute(text("LOCK TABLE deadlines, cases IN SHARE MODE"))
    conn.execute(overdue_count_changes.delete())
    conn.execute(overdue_counts.delete())
    fresh = (select(cases.c.agency_code, cases.c.procedure, deadlines.c.due_date, deadlines.c.service_level,
                    func.count())
             .join_from(deadlines, cases, cases.c.id == deadlines.c.case_id).where(counted())
             .group_by(cases.c.agency_code, cases.c.procedure, deadlines.c.due_date, deadlines.c.service_level))
    return conn.execute(overdue_counts.insert().from_select([*KEY, "n"], fresh)).rowcount
