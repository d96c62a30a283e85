"""Dated jobs that must run once per period (a year, a quarter), however many workers sweep and
however often they restart: the job inserts its (job, period) row in `scheduled_runs` in the
transaction that does the work. A second worker either sees the row (SQLite: the write lock is
taken at BEGIN; PostgreSQL: after the first commits) or fails on its primary key and rolls back;
a job that fails rolls its row back too, so the next sweep tries again. No scheduler library here:
the adapters decide when to call (adapters/scheduled.py)."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from .store.schema import scheduled_runs


class AlreadyRan(Exception):
    """The (job, period) was done by another worker or an earlier run."""


def has_run(conn: Connection, job: str, period: str) -> bool:
    return conn.execute(select(scheduled_runs.c.job).where(scheduled_runs.c.job == job,
                                                           scheduled_runs.c.period == period)).first() is not None


def claim(conn: Connection, job: str, period: str, now: datetime) -> None:
    """Records the run first thing in the job's transaction; raises AlreadyRan (the caller's
    transaction then rolls back) when it is recorded already. On PostgreSQL a second worker's insert
    waits for the first worker's transaction and fails on the key once that commits."""
    if has_run(conn, job, period):
        raise AlreadyRan(job, period)
    try:
        conn.execute(insert(scheduled_runs).values(job=job, period=period, ran_at=now, outcome={}))
    except IntegrityError:  # another worker's run committed between the look and the insert
        raise AlreadyRan(job, period) from None


def record(conn: Connection, job: str, period: str, outcome: Any) -> None:
    """What the claimed run did, in its own transaction still."""
    conn.execute(update(scheduled_runs).where(scheduled_runs.c.job == job, scheduled_runs.c.period == period)
                 .values(outcome=outcome))


def runs(conn: Connection, job: str) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(select(scheduled_runs).where(scheduled_runs.c.job == job)
                                          .order_by(scheduled_runs.c.period)).mappings()]
