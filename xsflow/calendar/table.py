"""The day table: every day of the supported range classified once, then only looked up.

Counting working days by stepping through workalendar costs time proportional to the period;
here the working days are a sorted array of ordinals, so the Nth working day after a date is two
array look-ups and a bisect, whatever N is. The table is built once and never changed, so one
instance can be shared by every thread.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import accumulate

from . import statutory
from .notices import FIRST_YEAR, LAST_YEAR, NoticeRef, year_end_start
from .workalendar_china import NoticeChina

WEEKEND = "周末"

FIRST_DAY = date(FIRST_YEAR, 1, 1)
UNBUNDLED_FIRST_YEAR = 2000  # years from here to FIRST_YEAR had notices, but none is bundled
LAST_DAY = date(LAST_YEAR, 12, 31)


@dataclass(frozen=True)
class Unsettled:
    """A stretch of days whose arrangement no loaded notice has fixed, and what is assumed for it."""

    first: int  # ordinal
    last: int  # ordinal
    assumption: str


class DayTable:
    """Immutable classification of every day from FIRST_DAY to LAST_DAY."""

    __slots__ = ("_base", "_codes", "_reasons", "_working", "_make_up_for", "_basis",
                 "_unsettled", "_unsettled_ends", "_unsettled_before")

    def __init__(self, wk: NoticeChina, *, make_up_for: Mapping[date, str],
                 basis: Mapping[date, NoticeRef]) -> None:
        base = FIRST_DAY.toordinal()
        size = LAST_DAY.toordinal() - base + 1
        reasons: list[str | None] = [None, WEEKEND]
        index: dict[str, int] = {WEEKEND: 1}
        codes = bytearray(size)
        weekend_days = wk.get_weekend_days()
        for offset in range(7):
            # date.weekday() of ordinal o is (o + 6) % 7
            if (base + offset + 6) % 7 in weekend_days:
                codes[offset::7] = b"\x01" * len(range(offset, size, 7))
        for year in range(FIRST_YEAR, LAST_YEAR + 1):
            for d, name in wk.holidays(year):
                if name not in index:
                    index[name] = len(reasons)
                    reasons.append(name)
                codes[d.toordinal() - base] = index[name]
        # workalendar gives extra working days priority over holidays; so does the table.
        for d in wk.extra_working_days:
            if FIRST_DAY <= d <= LAST_DAY:
                codes[d.toordinal() - base] = 0
        if len(reasons) > 255:
            raise ValueError("节假日名称过多（超过255种），无法建立日历表")
        self._base = base
        self._codes = bytes(codes)
        self._reasons = tuple(reasons)
        # A tuple, not an array: bisect compares stored int objects instead of boxing new ones.
        self._working = tuple(base + i for i, c in enumerate(codes) if c == 0)
        self._make_up_for = {d.toordinal(): name for d, name in make_up_for.items()}
        self._basis = {d.toordinal(): ref for d, ref in basis.items()}
        self._unsettled = _unsettled_stretches(wk.noticed_years)
        self._unsettled_ends = tuple(u.last for u in self._unsettled)
        # _unsettled_before[i]: unsettled days before day index i, so "any unsettled day in a
        # range" is one subtraction on the hot path.
        flags = bytearray(size)
        for u in self._unsettled:
            flags[u.first - base:u.last - base + 1] = b"\x01" * (u.last - u.first + 1)
        self._unsettled_before = (0, *accumulate(flags))

    # --- single days -------------------------------------------------------------------------

    def index(self, d: date) -> int:
        i = d.toordinal() - self._base
        if not 0 <= i < len(self._codes):
            raise ValueError(out_of_range(d))
        return i

    def is_working(self, d: date) -> bool:
        return self._codes[self.index(d)] == 0

    def rest_reason(self, d: date) -> str | None:
        return self._reasons[self._codes[self.index(d)]]

    def make_up_for(self, d: date) -> str | None:
        """The holiday a make-up working day (调休上班) was worked for, or None."""
        return self._make_up_for.get(d.toordinal())

    def basis(self, d: date) -> NoticeRef | None:
        """The notice that made ``d`` a holiday or a make-up working day, if a notice did."""
        return self._basis.get(d.toordinal())

    # --- counting ----------------------------------------------------------------------------

    def nth_working_ordinal_after(self, start: int, n: int) -> int:
        """Ordinal of the nth working day after the day with ordinal ``start``: one bisect, any n."""
        if not 0 <= start - self._base < len(self._codes):
            raise ValueError(out_of_range(date.fromordinal(start)))
        i = bisect_right(self._working, start) + n - 1
        if i >= len(self._working):
            raise ValueError(f"期间届满日超出日历支持的范围（{FIRST_YEAR}—{LAST_YEAR}年）")
        return self._working[i]

    def nth_working_day_back(self, d: date, n: int) -> date | None:
        """The nth working day counting back from ``d`` (``d`` itself is the first if it is one), or None
        before the table: a due date before it has at least n working days in (due date, d]."""
        i = bisect_right(self._working, d.toordinal()) - n
        return date.fromordinal(self._working[i]) if 0 <= i < len(self._working) else None

    def first_working_day_from(self, d: date) -> date:
        self.index(d)
        i = bisect_left(self._working, d.toordinal())
        if i >= len(self._working):
            raise ValueError(f"期间届满日超出日历支持的范围（{FIRST_YEAR}—{LAST_YEAR}年）")
        return date.fromordinal(self._working[i])

    def working_days_between(self, first: date, last: date) -> int:
        """Number of working days in [first, last]."""
        return bisect_right(self._working, last.toordinal()) - bisect_left(self._working, first.toordinal())

    # --- what no notice has settled ----------------------------------------------------------

    def unsettled(self, first: date, last: date) -> tuple[Unsettled, ...]:
        """The unsettled stretches that overlap [first, last], in date order."""
        a, b = first.toordinal(), last.toordinal()
        i = bisect_left(self._unsettled_ends, a)
        out = []
        while i < len(self._unsettled) and self._unsettled[i].first <= b:
            out.append(self._unsettled[i])
            i += 1
        return tuple(out)

    def touches_unsettled(self, first: date, last: date) -> bool:
        return self.touches_unsettled_ordinals(first.toordinal(), last.toordinal())

    def touches_unsettled_ordinals(self, first: int, last: int) -> bool:
        """Any unsettled day in [first, last] (ordinals inside the supported range)."""
        before = self._unsettled_before
        return before[last - self._base + 1] > before[first - self._base]


def out_of_range(d: date) -> str:
    message = f"日期 {d.isoformat()} 超出日历支持的范围（{FIRST_DAY.isoformat()} 至 {LAST_DAY.isoformat()}）"
    if UNBUNDLED_FIRST_YEAR <= d.year < FIRST_YEAR:
        message += (f"：未内置{d.year}年的国务院办公厅节假日安排通知（{UNBUNDLED_FIRST_YEAR}—{FIRST_YEAR - 1}年的通知"
                    f"未能以两个独立来源核实），不能推算该年的工作日和期间")
    return message


def _unsettled_stretches(noticed: frozenset[int]) -> tuple[Unsettled, ...]:
    """Years without a notice, and the last week of a noticed year whose successor has none."""
    out = []
    for year in range(FIRST_YEAR, LAST_YEAR + 1):
        if year not in noticed:
            out.append(Unsettled(date(year, 1, 1).toordinal(), date(year, 12, 31).toordinal(),
                                 statutory.year_assumption(year)))
        elif year + 1 not in noticed:
            tail = year_end_start(year)
            out.append(Unsettled(tail.toordinal(), date(year, 12, 31).toordinal(),
                                 statutory.year_end_assumption(year, tail)))
    return tuple(out)
