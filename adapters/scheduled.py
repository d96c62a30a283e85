"""The county's dated jobs, run after each timer sweep by the worker (adapters/scheduler.py) and by
`xsflow tick`: each decides from the sweep's instant whether its day has come, and records its run
in the database so that it happens once (xsflow/scheduled.py). No APScheduler here."""
from __future__ import annotations

import logging
import weakref
from datetime import datetime

from workflows import annual_report
from xsflow.calendar import local_date
from xsflow.system import Xsflow

log = logging.getLogger("xsflow.timers")

# Per system: the years whose annual reports this process knows are opened (saves a query a minute).
_done: weakref.WeakKeyDictionary[Xsflow, set[int]] = weakref.WeakKeyDictionary()


def run_scheduled(system: Xsflow, now: datetime) -> list[str]:
    """Runs the jobs whose day has come; what each did, in words (empty when none ran)."""
    said: list[str] = []
    year = local_date(now).year
    done = _done.setdefault(system, set())
    if year not in done:
        result = annual_report.open_on_schedule(system, now)
        if result is not None:
            said.append(f"已按配置日期统一建立{year}年度执法工作报告案件 {len(result['opened'])} 件"
                        f"（此前已建立 {len(result['existing'])} 件）")
            done.add(year)
        elif (on := annual_report.opening_date(year)) is not None and local_date(now) >= on:
            done.add(year)  # ran before (another worker, an earlier start, or by hand through the claim)
    return said
