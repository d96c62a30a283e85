"""The scheduler's sweep job, in-process on a real database, time moved by the test's clock."""
from __future__ import annotations

import logging

from adapters.scheduler import sweep_job
from tests.conftest import at


def calendar_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("calendar: ")]


def test_the_missing_notice_is_logged_once_a_day(system, clock, caplog):
    """Sweeping every minute, a missing next-year notice is logged once per local day, and not before November."""
    caplog.set_level(logging.WARNING, logger="xsflow.timers")
    clock.move_to(at("2026-10-31T23:58:00+08:00"))  # the bundled notices end with 2026
    sweep_job(system)
    assert calendar_warnings(caplog) == []
    for minute in ("2026-11-01T09:00:00+08:00", "2026-11-01T09:01:00+08:00", "2026-11-01T23:59:00+08:00"):
        clock.move_to(at(minute))
        sweep_job(system)
    [first] = calendar_warnings(caplog)
    assert "2027年部分节假日安排" in first
    clock.move_to(at("2026-11-02T00:00:00+08:00"))
    sweep_job(system)
    assert len(calendar_warnings(caplog)) == 2
