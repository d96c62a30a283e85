"""Years whose notice is not loaded: results are marked provisional and say what was assumed."""

from __future__ import annotations

from datetime import date

import pytest

from xsflow.calendar import OfficialCalendar, bundled_notices, parse_notice

# A made-up 2027 arrangement, only to show that loading a notice as data settles the year.
# It is not the real 2027 notice, which has not been published.
FAKE_2027 = """
kind = "state_council"
year = 2027
title = "国务院办公厅关于2027年部分节假日安排的通知"
number = "国办发明电〔2026〕99号"
published = 2026-11-20

[[holidays]]
name = "元旦"
first = 2027-01-01
last = 2027-01-03

[[holidays]]
name = "春节"
first = 2027-02-05
last = 2027-02-12
make_up_days = [2027-02-20]
"""


def test_period_in_a_year_without_notice_is_provisional_and_says_why(cal: OfficialCalendar) -> None:
    """A period counted into 2027 (no notice yet) is provisional, and the assumption names the dates."""
    p = cal.add_working_days(date(2027, 3, 1), 5)
    assert p.provisional
    text = "".join(p.assumptions)
    assert "2027年的国务院办公厅节假日安排通知尚未载入" in text
    assert "星期六、星期日休息" in text
    assert "国务院令第795号" in text
    assert "春节2027年2月5日至8日（除夕至初三）" in text
    assert "不推定任何补假和调休上班日" in text
    assert "重新计算" in text


def test_statutory_festival_days_are_assumed_rest_days_in_unnoticed_year(cal: OfficialCalendar) -> None:
    """Without a notice, the statutory festival days of 2027 are rest days on their own dates."""
    assert cal.rest_reason(date(2027, 2, 8)) == "春节"  # 正月初三, a Monday
    assert cal.rest_reason(date(2027, 10, 1)) == "国庆节"
    assert cal.is_working_day(date(2027, 10, 4))  # no make-up rest assumed
    # 5 working days from Thursday 4 Feb 2027: 5 Fri 除夕, 6–7 weekend, 8 Mon 初三 -> 9,10,11,12,15 Feb.
    assert cal.add_working_days(date(2027, 2, 4), 5).last_day == date(2027, 2, 15)


def test_years_whose_notice_is_not_bundled_are_refused_not_guessed(cal: OfficialCalendar) -> None:
    """2000–2003 had notices, but none could be verified: a period there is refused in Chinese, never assumed."""
    with pytest.raises(ValueError, match="未内置2001年的国务院办公厅节假日安排通知"):
        cal.add_working_days(date(2001, 5, 1), 1)
    with pytest.raises(ValueError, match="未内置2003年"):
        cal.add_days(date(2003, 12, 31), 10)
    with pytest.raises(ValueError, match="未内置2000年"):
        cal.is_working_day(date(2000, 1, 1))
    assert not cal.add_working_days(date(2004, 1, 1), 1).provisional


def test_period_inside_noticed_years_is_not_provisional(cal: OfficialCalendar) -> None:
    """A period counted entirely within loaded years is final."""
    p = cal.add_working_days(date(2026, 11, 25), 5)
    assert not p.provisional and p.assumptions == ()


def test_last_week_of_december_waits_for_next_years_notice(cal: OfficialCalendar) -> None:
    """Late December 2026 is provisional until the 2027 notice is loaded: its New Year holiday may start then."""
    assert cal.is_settled(date(2026, 12, 24))
    assert not cal.is_settled(date(2026, 12, 25))
    p = cal.add_working_days(date(2026, 12, 21), 4)  # 22, 23, 24, 25 December
    assert p.last_day == date(2026, 12, 25) and p.provisional
    assert "2027年国务院办公厅节假日安排通知" in p.assumptions[0]
    assert not cal.add_working_days(date(2026, 12, 21), 3).provisional


def test_loading_a_notice_as_data_settles_the_year_without_code_change() -> None:
    """Parsing a new notice file and rebuilding the calendar makes 2027 final and applies its holidays."""
    before = OfficialCalendar(bundled_notices())
    after = OfficialCalendar([*bundled_notices(), parse_notice(FAKE_2027, source="test:2027.toml")])
    assert 2027 not in before.years_with_notice and 2027 in after.years_with_notice
    p = after.add_working_days(date(2027, 2, 4), 5)
    # 5 Feb–12 Feb off under the loaded file; 15,16,17,18,19 Feb -> 19 Feb.
    assert p.last_day == date(2027, 2, 19) and not p.provisional
    assert after.is_working_day(date(2027, 2, 20))  # the file's make-up Saturday
    assert before.add_working_days(date(2027, 2, 4), 5).provisional


def test_touches_unnoticed_years_covers_the_whole_range(cal: OfficialCalendar) -> None:
    """touches_unnoticed_years is true for a range reaching into an unnoticed year and false inside loaded years."""
    assert cal.touches_unnoticed_years(date(2025, 6, 1), date(2027, 1, 5))
    assert not cal.touches_unnoticed_years(date(2004, 1, 1), date(2026, 12, 24))
