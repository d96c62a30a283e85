"""Dates and times as a Chinese clerk types them into a form: 2026-12-03 or 2026年12月3日, with a
time as 09:30. The pages use plain text fields, not the browser's date pickers, whose display
follows the browser's locale (mm/dd/yyyy on an English system) rather than the county's usage."""
from __future__ import annotations

import re
from datetime import date, datetime, time

from xsflow.calendar import SHANGHAI

_DATE = r"(?P<y>[0-9]{4})(?:-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})|年(?P<m2>[0-9]{1,2})月(?P<d2>[0-9]{1,2})日)"
_TIME = r"(?P<h>[0-9]{1,2})(?::|时)(?P<mi>[0-9]{2})分?"
DATE_FORMAT = re.compile(_DATE)
INSTANT_FORMAT = re.compile(_DATE + r"(?:T| *)" + _TIME)

DATE_HINT = "例如 2026-12-03 或 2026年12月3日"
INSTANT_HINT = "例如 2026-12-03 09:30 或 2026年12月3日 9:30（北京时间）"


def _day(m: re.Match[str]) -> date:
    return date(int(m["y"]), int(m["m"] or m["m2"]), int(m["d"] or m["d2"]))


def parse_form_date(text: str) -> date:
    """A day typed as 2026-12-03 or 2026年12月3日 (ASCII digits); ValueError otherwise."""
    m = DATE_FORMAT.fullmatch(text.strip())
    if m is None:
        raise ValueError(text)
    return _day(m)


def parse_form_instant(text: str) -> datetime:
    """A Beijing-time instant typed as 2026-12-03 09:30 (or …T09:30, 2026年12月3日 9:30); ValueError otherwise."""
    m = INSTANT_FORMAT.fullmatch(text.strip())
    if m is None:
        raise ValueError(text)
    return datetime.combine(_day(m), time(int(m["h"]), int(m["mi"])), tzinfo=SHANGHAI)
