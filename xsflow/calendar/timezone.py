"""Local dates and lapse instants in Asia/Shanghai, the zone of every legal date."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_MIDNIGHT = time(0, 0)
_ONE_DAY = timedelta(days=1)


def local_date(dt: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware datetime.

    A naive datetime is refused: guessing its zone is how a deadline slips by a day.
    """
    if not isinstance(dt, datetime):
        raise TypeError(f"local_date 需要 datetime，收到的是 {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"时间 {dt.isoformat()} 没有时区；请使用带时区的时间（例如 UTC 或 Asia/Shanghai）")
    return dt.astimezone(SHANGHAI).date()


def lapse_instant(last_day: date) -> datetime:
    """Return 24:00 of ``last_day`` in Asia/Shanghai, i.e. 00:00 of the next day.

    民法典 第二百零三条: 期间的最后一日的截止时间为二十四时.
    """
    return datetime.combine(last_day + _ONE_DAY, _MIDNIGHT, tzinfo=SHANGHAI)
