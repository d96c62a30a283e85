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


def test_the_catch_up_window_ends_on_31_december_unless_configured_longer(system, db_url, tmp_path, monkeypatch):
    """Down from 30 November to 1 January: with the bundled 31 days the 2025 reports are not opened in
    January (they would be overdue at once: the bureau opens them by hand); an operator's 45 days
    opens them at the first sweep of January, once, recorded as the 2025 run."""
    from workflows.annual_report import catch_up_days
    from workflows.settings import BUNDLED, service_levels

    assert catch_up_days() == 31
    system.clock.move_to(at("2026-01-01T00:00:30+08:00"))
    assert run_scheduled(system, system.clock.now()) == [] and count(system) == 0
    with system.db.read() as conn:
        assert scheduled.runs(conn, "annual_report_opening") == []

    bundled = (BUNDLED / "annual_report.toml").read_text(encoding="utf-8")
    (tmp_path / "annual_report.toml").write_text(bundled.replace("catch_up_days = 31", "catch_up_days = 45"),
                                                 encoding="utf-8")
    monkeypatch.setenv("XSFLOW_SERVICE_LEVELS", str(tmp_path))
    service_levels.cache_clear()
    restarted = open_system(db_url, clock=FixedClock(at("2026-01-02T09:00:00+08:00")))
    try:
        [said] = run_scheduled(restarted, restarted.clock.now())
        assert "2025年度执法工作报告案件 53 件" in said and "12月1日未运行，1月2日补建" in said, said
        assert run_scheduled(restarted, at("2026-01-03T09:00:00+08:00")) == []
        with restarted.db.read() as conn:
            assert [r["period"] for r in scheduled.runs(conn, "annual_report_opening")] == ["2025"]
    finally:
        restarted.db.dispose()
    assert count(system) == 53

    (tmp_path / "annual_report.toml").write_text(bundled.replace("catch_up_days = 31", "catch_up_days = 0"),
                                                 encoding="utf-8")
    service_levels.cache_clear()
    with pytest.raises(ValueError, match="catch_up_days 应为不小于1的整数"):
        catch_up_days()
