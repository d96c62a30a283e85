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
    today = local_date(now)
    on = annual_report.opening_due(today)  # the opening day, or a later day of its catch-up window
    done = _done.setdefault(system, set())
    if on is not None and on.year not in done:
        result = annual_report.open_on_schedule(system, now)
        if result is not None:
            late = f"；{on:%-m月%-d日}未运行，{today:%-m月%-d日}补建" if today > on else ""
            said.append(f"已按配置日期统一建立{on.year}年度执法工作报告案件 {len(result['opened'])} 件"
                        f"（此前已建立 {len(result['existing'])} 件{late}）")
        done.add(on.year)  # opened now, or before (another worker, an earlier start, or by hand through the claim)
    return said
