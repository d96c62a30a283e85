"""APScheduler runs the sweep in a process of its own (`xsflow worker`, or the one `xsflow serve`
starts); the deadlines themselves are rows, so nothing is lost on restart."""
from __future__ import annotations

import logging
import weakref
from datetime import date

from apscheduler.schedulers.blocking import BlockingScheduler

from xsflow.calendar import local_date
from xsflow.system import Xsflow
from adapters.compose import open_system
from adapters.scheduled import run_scheduled

log = logging.getLogger("xsflow.timers")


def sweep_job(system: Xsflow) -> None:
    try:
        report = system.tick()
    except Exception:  # the next run tries again; the rows are still there
        log.exception("timer sweep failed")
        return
    if report.fired or report.overdue or report.recounted or report.left_due:
        log.info("sweep: fired %d, overdue %d, recounted %d, left due for the next sweep %d",
                 report.fired, report.overdue, report.recounted, report.left_due)
    for message in report.incidents:
        log.warning("incident: %s", message)
    try:  # the dated jobs (annual reports on the configured day): once, whatever the workers
        for message in run_scheduled(system, system.clock.now()):
            log.info("scheduled: %s", message)
    except Exception:  # the next run tries again; a failed job recorded nothing
        log.exception("scheduled job failed")
    _warn_about_calendar(system)


# Per system: the local day its calendar warning was last logged.
_warned: weakref.WeakKeyDictionary[Xsflow, date] = weakref.WeakKeyDictionary()


def _warn_about_calendar(system: Xsflow) -> None:
    """Logs a missing holiday notice once a day, not at every sweep."""
    today = local_date(system.clock.now())
    if _warned.get(system) == today:
        return
    warning = system.calendar_warning()
    if warning:
        log.warning("calendar: %s", warning)
    _warned[system] = today


def _add_sweep(scheduler, system: Xsflow, interval: int) -> None:
    # One run at a time per process; a run missed while busy is merged into the next.
    scheduler.add_job(sweep_job, "interval", seconds=interval, args=[system], id="sweep",
                      max_instances=1, coalesce=True, next_run_time=system.clock.now())


def run_worker(database_url: str | None, *, interval: int) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    system = open_system(database_url)
    scheduler = BlockingScheduler(timezone="Asia/Shanghai")
    _add_sweep(scheduler, system, interval)
    log.info("xsflow worker: sweeping every %d s", interval)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
