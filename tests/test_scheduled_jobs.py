"""Dated jobs run once per period, however many workers sweep and however often they restart
(xsflow/scheduled.py, adapters/scheduled.py), on SQLite and PostgreSQL."""
from __future__ import annotations

import threading

import pytest

from sqlalchemy import func, select

from adapters.compose import open_system
from adapters.scheduled import run_scheduled
from tests.conftest import at
from workflows.annual_report import open_on_schedule
from xsflow import scheduled
from xsflow.clock import FixedClock
from xsflow.store.schema import cases

pytestmark = pytest.mark.usefixtures("bundled_settings")  # the scheduler opens the reports as bundled


def count(system) -> int:
    with system.db.read() as conn:
        return conn.execute(select(func.count()).select_from(cases).where(cases.c.procedure == "annual_report")).scalar_one()


def test_two_workers_on_the_opening_day_open_the_reports_once(system, db_url):
    """Two processes sweeping the same instant of 1 December: one opens all 53, the other nothing."""
    now = at("2025-12-01T00:01:00+08:00")
    system.clock.move_to(now)
    other = open_system(db_url, clock=FixedClock(now))
    results: list = []
    barrier = threading.Barrier(2)

    def sweep(x):
        barrier.wait()
        results.append(open_on_schedule(x, now))

    try:
        threads = [threading.Thread(target=sweep, args=(x,)) for x in (system, other)]
        for th in threads:
            th.start()
        for th in threads:
            th.join(60)
    finally:
        other.db.dispose()
    done = [r for r in results if r is not None]
    assert len(results) == 2 and len(done) == 1 and len(done[0]["opened"]) == 53
    assert count(system) == 53
    with system.db.read() as conn:
        [run] = scheduled.runs(conn, "annual_report_opening")
    assert (run["period"], run["outcome"]) == ("2025", {"opened": 53, "existing": 0})


def test_a_restarted_worker_does_not_run_the_job_again(system, db_url):
    system.clock.move_to(at("2025-11-30T23:59:59+08:00"))
    assert run_scheduled(system, system.clock.now()) == []  # the day before: nothing
    system.clock.move_to(at("2025-12-01T00:00:00+08:00"))
    [said] = run_scheduled(system, system.clock.now())
    assert "53 件" in said
    restarted = open_system(db_url, clock=FixedClock(at("2025-12-05T10:00:00+08:00")))
    try:
        assert run_scheduled(restarted, restarted.clock.now()) == []
    finally:
        restarted.db.dispose()
    assert count(system) == 53
