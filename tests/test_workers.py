"""Sweeps in real processes: concurrent `xsflow tick` and `xsflow worker` on one PostgreSQL database,
and a worker killed with SIGKILL in the middle of a sweep (PostgreSQL, and SQLite with one process).

The lapse tests start from 1,000 real legality reviews awaiting supplement, opened through the
engine (a supplement notice served on Monday 3 March 2025, so the 5 working days lapsed at 24:00
of 10 March 2025) and check the one outcome the bureau relies on: each lapse fired exactly once,
with one termination opinion each, numbered 1..1000 without gap or duplicate, and every case
history verifying. The last test races two sweeps over deadlines counted on a guessed calendar.
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, delete, func, select, text

from tests.conftest import XSFLOW, at, cli
from xsflow.access import Actor
from xsflow.clock import FixedClock
from xsflow.store.schema import (
    calendar_notices,
    cases,
    deadlines,
    document_sequences,
    documents,
    history,
    incidents,
)
from adapters.compose import open_system

N = 1000
CLERK = Actor("发改委经办人", "clerk", "fgw")
REVIEWER = Actor("司法局审查员", "reviewer")
NOTICE_SERVED = at("2025-03-03T10:00:00+08:00")
TIME_TRAVEL = {"XSFLOW_ALLOW_TIME_TRAVEL": "1"}


def seed(url: str, n: int = N, *, threads: int = 4) -> list[int]:
    """`n` cases in awaiting_supplement, each with its supplement notice and pending 5-working-day deadline."""
    x = open_system(url, clock=FixedClock(NOTICE_SERVED))
    x.init()

    def one(i: int) -> int:
        case = x.engine.open_case(CLERK, procedure="legality_review", agency="fgw", title=f"规范性文件草案第{i + 1}号")
        case = x.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis"]})
        assert case["state"] == "awaiting_supplement"
        return case["id"]

    try:
        if threads == 1:
            return [one(i) for i in range(n)]
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(one, range(n)))
    finally:
        x.db.dispose()


def start(url: str, *args: str, log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    with log.open("w") as out:
        return subprocess.Popen([XSFLOW, *args], env={**os.environ, "XSFLOW_DATABASE_URL": url, **(env or {})},
                                stdout=out, stderr=subprocess.STDOUT)


def terminated(db) -> int:
    with db.connect() as conn:
        return conn.execute(select(func.count()).select_from(cases).where(cases.c.state == "terminated")).scalar_one()


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def assert_each_lapse_fired_exactly_once(url: str, ids: list[int]) -> None:
    """Every case terminated once, one termination opinion each numbered 1..n, histories verified."""
    n = len(ids)
    db = create_engine(url)
    try:
        with db.connect() as conn:
            # The test's own cases: from 1 December the sweep also opens the year's annual reports.
            states = dict(conn.execute(select(cases.c.state, func.count()).where(cases.c.procedure == "legality_review")
                                       .group_by(cases.c.state)).all())
            assert states == {"terminated": n}
            opinions = conn.execute(select(documents.c.case_id, documents.c.year, documents.c.seq, documents.c.number)
                                    .where(documents.c.kind == "termination_opinion")).all()
            assert sorted(o.case_id for o in opinions) == sorted(ids), "one termination opinion per case"
            assert len({o.year for o in opinions}) == 1
            assert sorted(o.seq for o in opinions) == list(range(1, n + 1)), "numbers 1..n, no gap, no duplicate"
            assert len({o.number for o in opinions}) == n
            last = conn.execute(select(document_sequences.c.last)
                                .where(document_sequences.c.prefix == "秀山司终")).scalar_one()
            assert last == n
            lapses = Counter(conn.execute(select(history.c.case_id)
                                          .where(history.c.trigger == "supplement_lapsed")).scalars())
            assert len(lapses) == n and set(lapses.values()) == {1}
            statuses = dict(conn.execute(select(deadlines.c.status, func.count()).where(
                deadlines.c.name == "supplement").group_by(deadlines.c.status)).all())
            assert statuses == {"lapsed": n}
            assert conn.execute(select(func.count()).select_from(incidents)).scalar_one() == 0
    finally:
        db.dispose()
    p = cli(url, "audit", "verify")
    assert p.returncode == 0, p.stdout + p.stderr


def fired(output: str) -> int:
    match = re.search(r"^fired (\d+)$", output, re.MULTILINE)
    assert match, output
    return int(match.group(1))


@pytest.mark.postgres
def test_two_ticks_started_at_the_same_moment_fire_each_lapse_once(pg_url, tmp_path):
    """Two `xsflow tick` processes over 1,000 due lapses share the work: 1,000 opinions numbered 1..1000, nothing twice."""
    ids = seed(pg_url)
    logs = [tmp_path / f"tick-{i}.log" for i in range(2)]

    procs = [start(pg_url, "tick", "--now", "2025-04-01T09:00:00+08:00", log=log) for log in logs]
    codes = [p.wait(timeout=180) for p in procs]

    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], outputs
    counts = [fired(o) for o in outputs]
    assert sum(counts) == N
    assert min(counts) > 0, f"the two sweeps did not overlap: {counts}"
    assert_each_lapse_fired_exactly_once(pg_url, ids)


@pytest.mark.postgres
def test_two_workers_on_one_database_fire_each_lapse_once(pg_url, tmp_path):
    """Two `xsflow worker --interval 1` processes (real clock, lapses in 2025) fire all 1,000 lapses once between them."""
    ids = seed(pg_url)
    logs = [tmp_path / f"worker-{i}.log" for i in range(2)]
    db = create_engine(pg_url)
    workers = [start(pg_url, "worker", "--interval", "1", log=log) for log in logs]
    try:
        wait_for(lambda: terminated(db) == N, timeout=120, what="1,000 terminated cases", interval=0.2)
        time.sleep(2)  # a couple more sweeps of both workers, which must find nothing to do
    finally:
        for w in workers:
            w.send_signal(signal.SIGINT)
        for w in workers:
            w.wait(timeout=30)
        db.dispose()

    text_ = "".join(log.read_text() for log in logs)
    assert "Traceback" not in text_ and "timer sweep failed" not in text_, text_
    assert sum(int(m) for m in re.findall(r"sweep: fired (\d+)", text_)) == N
    assert_each_lapse_fired_exactly_once(pg_url, ids)


def kill_mid_sweep(url: str, tmp_path: Path, db, *, env: dict[str, str] | None = None) -> int:
    """Starts a worker, SIGKILLs it once some but not all cases are terminated; returns how many were."""
    worker = start(url, "worker", "--interval", "1", log=tmp_path / "killed-worker.log", env=env)
    try:
        wait_for(lambda: 50 <= terminated(db) <= N // 2, timeout=90, what="the sweep to be under way")
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=10) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    done = terminated(db)
    assert 0 < done < N, f"the worker was not killed mid-sweep ({done} of {N} terminated)"
    return done


@pytest.mark.postgres
def test_worker_killed_mid_sweep_on_postgresql_loses_and_duplicates_nothing(pg_url, tmp_path):
    """After SIGKILL in the middle of a sweep, the next sweep fires exactly the lapses the dead worker had not committed."""
    ids = seed(pg_url)
    name = f"xsflow-killed-{uuid.uuid4().hex[:8]}"
    killed_url = f"{pg_url}&application_name={quote(name)}"
    db = create_engine(pg_url)
    try:
        done = kill_mid_sweep(killed_url, tmp_path, db)
        # PostgreSQL rolls the dead worker's open transaction back once it sees the connection gone.
        with db.connect() as conn:
            wait_for(lambda: conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :n"),
                                          {"n": name}).scalar_one() == 0,
                     timeout=30, what="the killed worker's connections to close", interval=0.05)
    finally:
        db.dispose()

    p = cli(pg_url, "tick")
    assert p.returncode == 0, p.stderr
    assert fired(p.stdout) == N - done
    assert_each_lapse_fired_exactly_once(pg_url, ids)


def test_worker_killed_mid_sweep_on_sqlite_loses_and_duplicates_nothing(sqlite_url, tmp_path):
    """On the embedded SQLite database, a single worker killed mid-sweep leaves nothing half done for the next sweep."""
    ids = seed(sqlite_url, threads=1)
    db = create_engine(sqlite_url)
    try:
        done = kill_mid_sweep(sqlite_url, tmp_path, db)
    finally:
        db.dispose()

    p = cli(sqlite_url, "tick")
    assert p.returncode == 0, p.stderr
    assert fired(p.stdout) == N - done
    assert_each_lapse_fired_exactly_once(sqlite_url, ids)


@pytest.mark.postgres
def test_two_ticks_at_once_hold_each_due_provisional_deadline_with_exactly_one_incident(pg_url, tmp_path):
    """Two sweeps racing over due deadlines counted on a guessed calendar both succeed and raise one incident per deadline."""
    x = open_system(pg_url, clock=FixedClock(at("2026-02-02T09:00:00+08:00")))
    x.init()
    with x.db.write() as conn:  # the database as it stood before the 2026 holiday notice was published
        conn.execute(delete(calendar_notices).where(calendar_notices.c.year == 2026))

    def one(i: int) -> int:
        case = x.engine.open_case(CLERK, procedure="legality_review", agency="fgw", title=f"办法草案第{i + 1}号")
        assert case["deadlines"][0]["provisional"] is True
        return case["id"]

    try:
        with ThreadPoolExecutor(4) as pool:
            ids = list(pool.map(one, range(N)))
    finally:
        x.db.dispose()
    logs = [tmp_path / f"tick-{i}.log" for i in range(2)]

    procs = [start(pg_url, "tick", "--now", "2026-03-02T09:00:00+08:00", log=log, env=TIME_TRAVEL) for log in logs]
    codes = [p.wait(timeout=180) for p in procs]

    outputs = [log.read_text() for log in logs]
    assert codes == [0, 0], "\n".join(o[-3000:] for o in outputs)
    assert [fired(o) for o in outputs] == [0, 0]
    db = create_engine(pg_url)
    try:
        with db.connect() as conn:
            raised = conn.execute(select(incidents.c.case_id, incidents.c.kind)).all()
    finally:
        db.dispose()
    assert sorted(r.case_id for r in raised) == sorted(ids)
    assert {r.kind for r in raised} == {"provisional_deadline_due"}
    assert sum(o.count("待处理事件") for o in outputs) == N  # each reported once, by whichever sweep raised it
