"""workalendar's China calendar, fed from loaded notices instead of its bundled tables.

workalendar 17 ships China data for 2018–2023 only; after that it raises on weekdays, calls a
make-up Saturday a rest day, and always gives Spring Festival and National Day seven days. Here
the notices decide: this subclass uses workalendar's own extension points (get_calendar_holidays,
get_fixed_holidays, get_variable_days, extra_working_days) and patches nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date

from workalendar.asia import China

from . import statutory


class NoticeChina(China):  # type: ignore[misc]  # workalendar ships no type hints
    """China with the rest days of the given notices; statutory festival days for other years."""

    def __init__(self, *, holidays: Mapping[date, str], make_up_days: Iterable[date],
                 noticed_years: Iterable[int]) -> None:
        super().__init__()
        self._by_year: dict[int, list[tuple[date, str]]] = defaultdict(list)
        for d, name in sorted(holidays.items()):
            self._by_year[d.year].append((d, name))
        self.noticed_years = frozenset(noticed_years)
        # Replaces China's bundled 2018–2023 list: the data decides, and a year without a
        # notice has no make-up working days at all.
        self.extra_working_days = sorted(make_up_days)

    def get_fixed_holidays(self, year: int) -> list[tuple[date, str]]:
        return [(d, name) for d, name in statutory.festival_days(year) if name in ("元旦", "劳动节", "国庆节")]

    def get_variable_days(self, year: int) -> list[tuple[date, str]]:
        return [(d, name) for d, name in statutory.festival_days(year)
                if name not in ("元旦", "劳动节", "国庆节")]

    def get_calendar_holidays(self, year: int) -> list[tuple[date, str]]:
        days = list(self._by_year.get(year, ()))
        if year not in self.noticed_years:
            # No notice: the festival days of the measures in force, each on its own date.
            taken = {d for d, _ in days}
            days += [(d, name) for d, name in self.get_fixed_holidays(year) + self.get_variable_days(year)
                     if d not in taken]
        return days
