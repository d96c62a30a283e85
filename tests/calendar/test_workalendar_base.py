"""The calendar is built on workalendar's China through its extension points, not by patching it."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import pytest
from workalendar.asia import China

from xsflow.calendar import OfficialCalendar


def test_calendar_exposes_a_workalendar_china_subclass(cal: OfficialCalendar) -> None:
    """cal.workalendar is a workalendar China subclass instance."""
    assert isinstance(cal.workalendar, China) and type(cal.workalendar) is not China


def test_precomputed_days_agree_with_the_workalendar_subclass_every_day(cal: OfficialCalendar) -> None:
    """For every day 2016–2028 the table gives workalendar's own is_working_day answer."""
    d = date(2016, 1, 1)
    while d <= date(2028, 12, 31):
        assert cal.is_working_day(d) == cal.workalendar.is_working_day(d), d
        d += timedelta(days=1)


def test_workalendar_china_itself_is_left_unpatched(cal: OfficialCalendar) -> None:
    """A stock China instance still shows workalendar's own (outdated) behaviour after we build ours."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stock = China()
        # workalendar 17 misses the 2020 extension and has no data after 2023.
        assert stock.is_working_day(date(2020, 1, 31))
        with pytest.raises(Exception, match="2025"):
            stock.is_working_day(date(2025, 3, 3))
    assert not cal.is_working_day(date(2020, 1, 31))


def test_calendar_is_immutable_after_construction(cal: OfficialCalendar) -> None:
    """Neither the calendar nor a period can be changed after construction, so threads can share them."""
    with pytest.raises(AttributeError):
        cal.years_with_notice = frozenset()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        cal.anything = 1  # type: ignore[attr-defined]
    p = cal.add_working_days(date(2025, 3, 3), 5)
    with pytest.raises(AttributeError):
        p.last_day = date(2025, 3, 11)  # type: ignore[misc]
