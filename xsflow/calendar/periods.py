"""Legal periods (期间) and how they are counted.

- 民法典 第二百零一条: the day of the triggering event is not counted; counting starts the next day.
- "N个工作日": the last day is the Nth working day after the event.
- "N日": the last day is the Nth calendar day after the event; if that is a rest day (weekend or
  statutory holiday) the period ends on the first working day after it (第二百零三条第一款).
- A fixed date is its own last day, never rolled over.
- Every period ends at 24:00 Asia/Shanghai of its last day (第二百零三条第二款).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from .table import DayTable
from .timezone import lapse_instant

PeriodKind = Literal["working_days", "days", "fixed_date"]



@dataclass(frozen=True, slots=True)
class Period:
    """A computed period: its last local day, the instant it lapses, and whether it is provisional.

    ``provisional`` is true exactly when the result depends on a day whose arrangement no loaded
    notice has fixed; ``assumptions`` then says, in Chinese, what was assumed for those days.
    """

    kind: PeriodKind
    start: date
    n: int | None
    last_day: date
    lapses_at: datetime
    provisional: bool
    assumptions: tuple[str, ...]


def _check_start(start: object) -> date:
    # datetime is a subclass of date; accepting one would silently use its UTC or naive date.
    if type(start) is not date:
        if isinstance(start, datetime):
            raise TypeError("起算日应为日期（date）；带时间的时刻请先用 local_date() 换算为北京时间的日期")
        raise TypeError(f"起算日应为日期（date），收到的是 {type(start).__name__}")
    return start


def _check_n(n: object, unit: str) -> int:
    if type(n) is not int or n < 1:
        raise ValueError(f"期间长度应为不小于1的整数（{unit}），收到的是 {n!r}")
    return n


def _unsettled_assumptions(table: DayTable, first: date, last: date) -> tuple[str, ...]:
    return tuple(u.assumption for u in table.unsettled(first, last))


def _period(table: DayTable, kind: PeriodKind, start: date, n: int | None, last: date,
            decided_from: date) -> Period:
    """Build the Period; [decided_from, last] are the days whose status decided the result."""
    if table.touches_unsettled(decided_from, last):
        assumptions = _unsettled_assumptions(table, decided_from, last)
        return Period(kind, start, n, last, lapse_instant(last), True, assumptions)
    return Period(kind, start, n, last, lapse_instant(last), False, ())


def working_days(table: DayTable, start: date, n: int) -> Period:
    """N个工作日: the Nth working day after ``start`` (start day not counted, 第二百零一条).

    This is the engine's hot path, so it works on ordinals and builds each object once.
    """
    if type(start) is not date:
        _check_start(start)
    if type(n) is not int or n < 1:
        _check_n(n, "工作日数")
    first = start.toordinal() + 1
    last_ordinal = table.nth_working_ordinal_after(first - 1, n)
    last = date.fromordinal(last_ordinal)
    if table.touches_unsettled_ordinals(first, last_ordinal):
        assumptions = _unsettled_assumptions(table, date.fromordinal(first), last)
        return Period("working_days", start, n, last, lapse_instant(last), True, assumptions)
    return Period("working_days", start, n, last, lapse_instant(last), False, ())


def calendar_days(table: DayTable, start: date, n: int) -> Period:
    """N日: the Nth day after ``start``, rolled to the next working day if it is a rest day (第二百零三条).

    Only the Nth day and the days it rolls over decide the result, so only they can make the
    period provisional; the days counted before it count whatever they are.
    """
    _check_start(start)
    _check_n(n, "日数")
    table.index(start)
    try:
        nominal = start + timedelta(days=n)
    except OverflowError:
        raise ValueError(f"期间 {n} 日超出日历支持的范围") from None
    table.index(nominal)
    last = table.first_working_day_from(nominal)
    return _period(table, "days", start, n, last, nominal)


def fixed_date(table: DayTable, day: date) -> Period:
    """A date deadline (e.g. 每年12月31日之前): it ends at 24:00 of that day, with no roll-over."""
    _check_start(day)
    table.index(day)  # refuses a day outside the supported range
    return Period("fixed_date", day, None, day, lapse_instant(day), False, ())


def nominal_day(period: Period) -> date:
    """The Nth calendar day of a "N日" period, before any roll-over."""
    if period.kind != "days" or period.n is None:
        raise ValueError("只有按日计算的期间才有顺延前的最后一日")
    return period.start + timedelta(days=period.n)
