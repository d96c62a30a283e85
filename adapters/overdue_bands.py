"""The days-overdue bands of the overdue summary, shared by the API and the web page.

Configurable per deployment: XSFLOW_OVERDUE_BANDS in the Flask config, a list of lower limits in
working days (default 0, 1, 6, 11, 21: 未满 1、1—5、6—10、11—20、21 个工作日以上).
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from xsflow.calendar import OfficialCalendar, local_date
from xsflow.overdue import DEFAULT_BANDS, Bands


def bands(calendar: OfficialCalendar, now: datetime) -> Bands:
    return Bands(calendar, local_date(now), current_app.config.get("XSFLOW_OVERDUE_BANDS", DEFAULT_BANDS))
