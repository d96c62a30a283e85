"""The sweep: fires every due deadline exactly once, in the transaction that marks it lapsed.

A worker claims a batch of cases with a due deadline by locking the case rows (PostgreSQL: FOR
UPDATE SKIP LOCKED, so concurrent workers take different cases), reads them in one statement per
table and lapses them in one transaction: after an outage, the catch-up's cost is the lapses' own
writes, not a transaction, a claim and a read per case. The cases are locked before their deadlines,
the same order a person's transition takes, so the two never deadlock. The batch's documents are
numbered at its end (documents.numbered_at_end): a series' counter is locked only while it commits.
One broken case must not hold back the others: when a lapse fails, the batch is rolled back whole
(nothing of it was committed, so nothing is lost or fired twice), the failing case is tried alone in
a transaction of its own (as a failure in the batch may be another's doing, e.g. a deadlock on a
document counter) and, failing again, becomes an incident; the rest are claimed again.
A deadline still counted on a guessed calendar does not fire: it becomes an incident.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, insert, select, update

from . import kept_counts
from .access import TIMER_ACTOR
from .deadlines import keep_next_due, recount, refresh_next_due
from .engine import Engine, LoadedCase
from .documents import numbered_at_end
from .errors import XsflowError
from .store.db import deferred_writes, insert_or_skip
from .store.schema import cases, deadlines, incidents

log = logging.getLogger("xsflow.timers")


@dataclass
class SweepReport:
    fired: int = 0  # lapse transitions fired
    overdue: int = 0  # service-level deadlines that became overdue
    recounted: int = 0  # provisional deadlines counted again on a newer calendar
    incidents: list[str] = field(default_factory=list)  # deadlines held back, why
    # Due deadlines still pending when the sweep ended: their case was held by a person's transition
    # or another worker (PostgreSQL skips locked cases), its lapse failed, or `limit` was reached.
    # The next sweep takes them.
    left_due: int = 0
    notified: int = 0  # notifications handed to the sender after the sweep (xsflow/liaison.py)


# Cases a worker claims and lapses per transaction. A batch holds its cases until it commits (the
# counters of the series it numbers, only while it commits): small enough that a person's transition
# on one of them waits a fraction of a second.
BATCH = 50


def sweep(engine: Engine, now: datetime, *, limit: int | None = None, batch: int = BATCH) -> SweepReport:
    """Processes every deadline due at `now`; `limit` caps the number of cases taken, `batch` how many
    are lapsed per transaction."""
    report = SweepReport()
    with engine.db.read() as conn:  # most sweeps find none: take no write lock for nothing
        guessed = conn.execute(select(deadlines.c.id).where(_provisional(now)).limit(1)).first()
    if guessed is not None:
        with engine.db.write() as conn:
            report.recounted = recount_provisional(engine, conn, now, only_due=True)
            report.incidents = hold_provisional(conn, engine, now)
    failed: set[int] = set()
    taken = 0
    while limit is None or taken < limit:
        done = _sweep_batch(engine, now, batch if limit is None else min(batch, limit - taken), failed, report)
        if not done:
            break
        taken += done
    with engine.db.read() as conn:
        report.left_due = conn.execute(select(func.count()).select_from(deadlines).where(_due(now))).scalar_one()
    if not engine.db.is_sqlite:
        with engine.db.write() as conn:  # the kept counts (待办, 逾期): the changes since the last sweep folded in
            kept_counts.fold(conn)
    return report


def _due(now: datetime):
    return and_(deadlines.c.status == "pending", deadlines.c.lapses_at <= now, deadlines.c.provisional.is_(False))


def _sweep_batch(engine: Engine, now: datetime, size: int, failed: set[int], report: SweepReport) -> int:
    """Claims up to `size` cases with a due deadline and lapses them in one transaction; how many were
    taken (0: none is left to take)."""
    part = SweepReport()  # counted into `report` once committed
    ids: list[int] = []
    current: int | None = None
    try:
        with engine.db.write() as conn:
            ids = _claim(conn, now, failed, size)
            if not ids:
                return 0
            with numbered_at_end(conn), deferred_writes(conn):
                for case in engine.load_cases(conn, ids):
                    current = case.row["id"]
                    _lapse_due(engine, conn, case, now, part)
                current = None  # a queued write or a numbering failing now is no one case's
            _resolve_incidents(conn, ids, "lapse_failed", now)
    except Exception:
        if not ids:  # the claim itself failed: the database, not one case
            raise
        # Rolled back whole. The case that failed is tried alone (if the read or the commit failed,
        # each case of the batch is); the others are claimed again by the next batch.
        log.warning("a batch of %s lapses was rolled back; trying case %s alone", len(ids),
                    current if current is not None else "each")
        for case_id in [current] if current is not None else ids:
            _sweep_one(engine, now, case_id, failed, report)
        return 1 if current is not None else len(ids)
    report.fired += part.fired
    report.overdue += part.overdue
    return len(ids)


def _sweep_one(engine: Engine, now: datetime, case_id: int, failed: set[int], report: SweepReport) -> None:
    """Lapses one case in a transaction of its own; a failure is recorded as an incident (once per deadline,
    however often it is retried) and the case is left out of the rest of this sweep."""
    part = SweepReport()
    try:
        with engine.db.write() as conn:
            locked = conn.execute(select(cases.c.id).where(cases.c.id == case_id)
                                  .with_for_update(skip_locked=True)).scalar()
            if locked is None:  # another worker holds it now: it is that worker's
                return
            _lapse_due(engine, conn, engine.load_case(conn, case_id), now, part)
            _resolve_incidents(conn, [case_id], "lapse_failed", now)
    except Exception as err:
        log.exception("lapse of case %s failed", case_id)
        failed.add(case_id)
        with engine.db.write() as conn:
            message = _raise_incident(conn, case_id, "lapse_failed", now,
                                      f"案件 {case_id} 的期限届满处理失败：{_reason(err)}",
                                      deadline_id=_first_due(conn, case_id, now))
        if message is not None:
            report.incidents.append(message)
        return
    report.fired += part.fired
    report.overdue += part.overdue


def _claim(conn: Connection, now: datetime, skip: set[int], size: int = 1) -> list[int]:
    """Locks and returns up to `size` cases with a due deadline that no other worker holds, earliest
    lapse first.

    Driven by the (status, lapses_at) index, so the cost follows the due deadlines, not
    the pending ones. A case with two due deadlines comes twice (locked once).
    """
    stmt = (select(cases.c.id).join(deadlines, deadlines.c.case_id == cases.c.id)
            .where(_due(now), cases.c.id.not_in(skip) if skip else True)
            .order_by(deadlines.c.lapses_at).limit(size)
            .with_for_update(skip_locked=True, of=cases))
    return list(dict.fromkeys(conn.execute(stmt).scalars()))


def _lapse_due(engine: Engine, conn: Connection, case: LoadedCase, now: datetime, report: SweepReport) -> None:
    due = sorted((d for d in case.deadlines if d["status"] == "pending" and not d["provisional"]
                  and d["lapses_at"] <= now), key=lambda d: d["lapses_at"])
    for d in due:
        if d["status"] != "pending":  # closed by an earlier lapse in this same case
            continue
        definition = case.proc.deadline(d["name"])
        if definition.service_level:
            conn.execute(update(deadlines).where(deadlines.c.id == d["id"]).values(
                status="lapsed", overdue=True, closed_at=now))
            d["status"], d["overdue"], d["closed_at"] = "lapsed", True, now
            report.overdue += 1
            continue
        assert definition.on_lapse is not None
        step = engine.registry.machine(case.proc).step(case.row["state"], definition.on_lapse, case.row["data"], {})
        payload = {"deadline": d["name"], "due_date": d["due_date"].isoformat(),  # the period's bounds
                   "start_date": d["start_date"].isoformat() if d["start_date"] else None}
        engine.apply(conn, case, step, actor=TIMER_ACTOR, payload=payload, occurred=d["lapses_at"], now=now,
                     lapsed=d)
        report.fired += 1
    keep_next_due(conn, case)  # a service level's lapse writes no step


def _provisional(now: datetime | None = None):
    cond = and_(deadlines.c.status == "pending", deadlines.c.provisional.is_(True))
    return cond if now is None else and_(cond, deadlines.c.lapses_at <= now)


def recount_provisional(engine: Engine, conn: Connection, now: datetime, *, only_due: bool = False) -> int:
    """Counts provisional pending deadlines again on the current calendar; resolves their incidents.

    Their cases are locked first, in id order, like every other writer locks a case before its
    deadlines, so a recount never deadlocks with a transition.
    """
    calendar = engine.calendars.current(conn)
    which = _provisional(now if only_due else None)
    case_ids = sorted(set(conn.execute(select(deadlines.c.case_id).where(which)).scalars()))
    if not case_ids:
        return 0
    conn.execute(select(cases.c.id).where(cases.c.id.in_(case_ids)).order_by(cases.c.id).with_for_update())
    rows = conn.execute(select(deadlines).where(which, deadlines.c.case_id.in_(case_ids))
                        .order_by(deadlines.c.case_id, deadlines.c.id)).mappings().all()
    changed = 0
    for row in rows:
        period = recount(calendar, row)
        if period.provisional and period.last_day == row["due_date"]:
            continue
        conn.execute(update(deadlines).where(deadlines.c.id == row["id"]).values(
            due_date=period.last_day, lapses_at=period.lapses_at, provisional=period.provisional))
        if not period.provisional:
            conn.execute(update(incidents).where(incidents.c.deadline_id == row["id"],
                                                 incidents.c.resolved_at.is_(None)).values(resolved_at=now))
        changed += 1
    refresh_next_due(conn, case_ids)
    return changed


def hold_provisional(conn: Connection, engine: Engine, now: datetime) -> list[str]:
    """Raises one incident per due deadline that still rests on a guessed calendar."""
    known = exists().where(incidents.c.deadline_id == deadlines.c.id,
                           incidents.c.kind == "provisional_deadline_due")
    rows = conn.execute(select(deadlines.c.id, deadlines.c.case_id, deadlines.c.name, deadlines.c.due_date,
                               cases.c.procedure, cases.c.definition_version)
                        .join(cases, cases.c.id == deadlines.c.case_id)
                        .where(deadlines.c.status == "pending", deadlines.c.provisional.is_(True),
                               deadlines.c.lapses_at <= now, ~known)
                        .order_by(deadlines.c.id)).all()
    raised = []
    for r in rows:
        title = engine.registry.get(r.procedure, r.definition_version).deadline(r.name).title
        message = (f"案件 {r.case_id} 的期限“{title}”按推定日历应于{r.due_date:%Y年%-m月%-d日}届满，"
                   "但所涉年份的国务院节假日安排通知尚未载入，系统未作届满处理。"
                   "请载入该年度通知（xsflow calendar load），系统将重新计算并在届满时处理。")
        message = _raise_incident(conn, r.case_id, "provisional_deadline_due", now, message, deadline_id=r.id)
        if message is not None:
            raised.append(message)
    return raised


def _raise_incident(conn: Connection, case_id: int, kind: str, now: datetime, message: str,
                    deadline_id: int | None = None) -> str | None:
    """Records an incident and returns its message; None when this deadline already has one of this kind.

    ON CONFLICT DO NOTHING on (deadline_id, kind): two sweeps raising the same incident at once
    leave one row and neither fails (check-then-insert made the later sweep's whole transaction
    fail on the unique constraint, so it fired nothing).
    """
    values = {"kind": kind, "case_id": case_id, "deadline_id": deadline_id, "message": message, "created_at": now}
    if deadline_id is None:
        conn.execute(insert(incidents).values(**values))
        return message
    stmt = (insert_or_skip(conn.dialect.name, incidents).values(**values)
            .on_conflict_do_nothing(index_elements=["deadline_id", "kind"]).returning(incidents.c.id))
    return message if conn.execute(stmt).scalar() is not None else None


def _resolve_incidents(conn: Connection, case_ids: list[int], kind: str, now: datetime) -> None:
    conn.execute(update(incidents).where(incidents.c.case_id.in_(case_ids), incidents.c.kind == kind,
                                         incidents.c.resolved_at.is_(None)).values(resolved_at=now))


def _first_due(conn: Connection, case_id: int, now: datetime) -> int | None:
    """The earliest due deadline of a case: what a failed lapse was about."""
    return conn.execute(select(deadlines.c.id).where(deadlines.c.case_id == case_id, _due(now))
                        .order_by(deadlines.c.lapses_at, deadlines.c.id).limit(1)).scalar()


def _reason(err: Exception) -> str:
    """One line an operator can act on: the engine's message, or the database's error without the SQL."""
    if isinstance(err, XsflowError):
        return err.message
    orig = getattr(err, "orig", None) or err  # the driver's error behind SQLAlchemy's wrapper
    first = (str(orig).strip().splitlines() or [""])[0]
    return f"{type(orig).__name__}: {first}"


def open_incidents(conn: Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(incidents).where(incidents.c.resolved_at.is_(None))
                                          .order_by(incidents.c.id)).mappings()]
