"""Every day of every loaded year, checked against independent sources.

Our data comes from the notices themselves (2004–2026). Two independent packages also encode them: the
`holidays` package (holidays.country_holidays("CN"), whose is_working_day honours the make-up
working days through its weekend_workdays set) and `chinesecalendar` (chinese_calendar.is_workday).
workalendar's own China calendar is a third source for 2018–2023, the years it bundles.

Where a source disagrees with the data, the date must be listed below with the words of the
notice that settle it; a listed date that no longer disagrees fails too, so the table stays true.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import chinese_calendar
import holidays
import pytest
from workalendar.asia import China

from xsflow.calendar import OfficialCalendar, bundled_notices


@dataclass(frozen=True)
class Disagreement:
    source_says_working: bool
    notice: str
    quote: str  # the notice's words, which the bundled data file quotes in its item text


EXTENSION_2020 = "一、延长2020年春节假期至2月2日（农历正月初九，星期日），2月3日（星期一）起正常上班。"
NEW_YEAR_2006 = ("一、元旦：1月1日—3日放假，共3天。其中1月1日为法定假日，将12月31日（星期六）、1月1日（星期日）"
                 "两个公休日调至1月2日（星期一）、3日（星期二），12月31日（星期六）上班。")

# Per source: the dates on which it is known to contradict the notices, and why it is wrong.
KNOWN_WRONG: dict[str, dict[date, Disagreement]] = {
    "holidays": {},
    # chinesecalendar's data starts in 2004 and misses the 2006 notice's make-up Saturday in 2005.
    "chinesecalendar": {
        date(2005, 12, 31): Disagreement(False, "国办发明电〔2005〕35号", NEW_YEAR_2006),
    },
    # workalendar 17 bundles the 2020 notice as first published and misses its extension.
    "workalendar": {
        date(2020, 1, 31): Disagreement(True, "国办发明电〔2020〕1号", EXTENSION_2020),
        date(2020, 2, 1): Disagreement(True, "国办发明电〔2020〕1号", EXTENSION_2020),
    },
}


YEARS = sorted(n.year for n in bundled_notices() if n.year is not None)
LOADED = range(YEARS[0], YEARS[-1] + 1)  # every bundled year, 2004–2026


def _sources() -> dict[str, tuple[Callable[[date], bool], range]]:
    cn = holidays.country_holidays("CN", years=range(LOADED.start - 1, LOADED.stop + 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock = China()

    def stock_is_working(d: date) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # workalendar warns on every call that its data ages
            return bool(stock.is_working_day(d))

    return {
        "holidays": (lambda d: bool(cn.is_working_day(d)), LOADED),
        "chinesecalendar": (lambda d: bool(chinese_calendar.is_workday(d)), LOADED),
        "workalendar": (stock_is_working, range(2018, 2024)),
    }


def _days(years: range) -> list[date]:
    first, last = date(years.start, 1, 1), date(years.stop - 1, 12, 31)
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@pytest.mark.parametrize("source", sorted(KNOWN_WRONG))
def test_every_loaded_day_agrees_with_source_except_documented_dates(cal: OfficialCalendar, source: str) -> None:
    """Each independent source agrees with our data on every day, except dates documented with the notice's words."""
    is_working, years = _sources()[source]
    assert set(years) <= cal.years_with_notice and len(years) >= 6
    found = {}
    for d in _days(years):
        if is_working(d) != cal.is_working_day(d):
            found[d] = is_working(d)
    expected = {d: e.source_says_working for d, e in KNOWN_WRONG[source].items()}
    assert found == expected, f"{source}: undocumented or stale disagreements"


def test_every_documented_disagreement_quotes_the_bundled_notice(cal: OfficialCalendar) -> None:
    """Each exception quotes text that the bundled data file carries for that notice."""
    for entries in KNOWN_WRONG.values():
        for d, e in entries.items():
            texts = [b.text for n in cal.notices for b in n.blocks if b.basis.number == e.notice]
            assert e.quote in texts, d


def test_the_sources_agree_with_each_other_on_the_loaded_years() -> None:
    """holidays and chinesecalendar are independent of each other and agree on every loaded year,
    except on the dates documented above as one of them contradicting the notice."""
    src = _sources()
    documented = set(KNOWN_WRONG["holidays"]) | set(KNOWN_WRONG["chinesecalendar"])
    differ = {d for d in _days(LOADED) if src["holidays"][0](d) != src["chinesecalendar"][0](d)}
    assert differ == documented
