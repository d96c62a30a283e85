"""The counting rules themselves, each test named after the rule it checks.

Hand computations are in the comments; the dates come from the notices in xsflow/calendar/data.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from xsflow.calendar import SHANGHAI, OfficialCalendar


def test_anchor_2025_03_03_plus_5_working_days_is_2025_03_10(cal: OfficialCalendar) -> None:
    """The bureau's anchor case: 5 working days from Monday 3 March 2025 end on Monday 10 March."""
    # 4,5,6,7 March (Tue–Fri) = 1–4; 8,9 March weekend; 10 March (Mon) = 5.
    p = cal.add_working_days(date(2025, 3, 3), 5)
    assert p.last_day == date(2025, 3, 10)
    assert p.kind == "working_days" and p.n == 5 and p.start == date(2025, 3, 3)
    assert not p.provisional and p.assumptions == ()


def test_start_day_not_counted_minfadian_201(cal: OfficialCalendar) -> None:
    """The day of the event never counts, even when it is a working day (民法典 第二百零一条)."""
    # Served Friday 7 March 2025: the 1st working day is Monday 10 March, not the Friday.
    assert cal.add_working_days(date(2025, 3, 7), 1).last_day == date(2025, 3, 10)
    # Served on a holiday (1 October 2025): counting starts after it, the first working day is 9 October.
    assert cal.add_working_days(date(2025, 10, 1), 1).last_day == date(2025, 10, 9)
    # Calendar days: 30 days from 1 April 2025 end on 1 May (a holiday) -> see the roll-over tests;
    # here 2 days from Monday 10 March end on Wednesday 12 March, not Tuesday.
    assert cal.add_days(date(2025, 3, 10), 2).last_day == date(2025, 3, 12)


def test_period_lapses_at_2400_shanghai_of_last_day_minfadian_203(cal: OfficialCalendar) -> None:
    """A period ends at 24:00 Asia/Shanghai of its last day, i.e. 16:00 UTC that day (第二百零三条)."""
    p = cal.add_working_days(date(2025, 3, 3), 5)
    assert p.lapses_at == datetime(2025, 3, 11, 0, 0, tzinfo=SHANGHAI)
    assert p.lapses_at == datetime(2025, 3, 10, 16, 0, tzinfo=UTC)
    assert p.lapses_at.tzinfo is not None


def test_weekends_are_not_working_days(cal: OfficialCalendar) -> None:
    """An ordinary Saturday and Sunday are rest days with the reason 周末."""
    assert not cal.is_working_day(date(2025, 3, 8)) and cal.rest_reason(date(2025, 3, 8)) == "周末"
    assert not cal.is_working_day(date(2025, 3, 9)) and cal.rest_reason(date(2025, 3, 9)) == "周末"
    assert cal.is_working_day(date(2025, 3, 10)) and cal.rest_reason(date(2025, 3, 10)) is None


def test_makeup_saturday_counts_as_working_day(cal: OfficialCalendar) -> None:
    """A weekend day the notice makes a working day (调休上班) counts, and may be the last day."""
    # 2025 notice: 国庆节、中秋节 10月1日至8日放假，9月28日（周日）、10月11日（周六）上班。
    assert cal.is_working_day(date(2025, 10, 11)) and cal.rest_reason(date(2025, 10, 11)) is None
    assert cal.make_up_for(date(2025, 10, 11)) == "国庆节、中秋节"
    # Friday 10 October + 1 working day = Saturday 11 October.
    assert cal.add_working_days(date(2025, 10, 10), 1).last_day == date(2025, 10, 11)


def test_statutory_holiday_on_a_weekday_is_not_a_working_day(cal: OfficialCalendar) -> None:
    """A weekday inside a notice's holiday span is a rest day named after the holiday."""
    assert not cal.is_working_day(date(2025, 1, 28))
    assert cal.rest_reason(date(2025, 1, 28)) == "春节"
    assert cal.rest_reason(date(2025, 10, 8)) == "国庆节、中秋节"


def test_supplement_notice_before_spring_festival_2025(cal: OfficialCalendar) -> None:
    """A supplement notice served the Friday before Spring Festival 2025 lapses after the holiday."""
    # Served Fri 24 Jan 2025, 5 working days: 25 Jan Sat rest; 26 Jan Sun 调休上班 = 1;
    # 27 Jan Mon = 2; 28 Jan–4 Feb 春节; 5 Feb = 3, 6 Feb = 4, 7 Feb (Fri) = 5.
    assert cal.add_working_days(date(2025, 1, 24), 5).last_day == date(2025, 2, 7)


def test_rectification_across_spring_festival_2025_ends_on_makeup_saturday(cal: OfficialCalendar) -> None:
    """10 working days from 20 January 2025 end on the make-up Saturday 8 February."""
    # 21,22,23,24 Jan = 1–4; 25 Jan Sat rest; 26 Jan Sun 调休 = 5; 27 Jan = 6; 28 Jan–4 Feb 春节;
    # 5,6,7 Feb = 7–9; 8 Feb Sat 调休上班 = 10.
    p = cal.add_working_days(date(2025, 1, 20), 10)
    assert p.last_day == date(2025, 2, 8)
    assert p.lapses_at == datetime(2025, 2, 9, tzinfo=SHANGHAI)


def test_supplement_notice_before_spring_festival_2026(cal: OfficialCalendar) -> None:
    """A supplement notice served Thursday 12 February 2026 lapses on 26 February."""
    # 13 Feb Fri = 1; 14 Feb Sat 调休上班 = 2; 15–23 Feb 春节 (9 days); 24 Feb Tue = 3,
    # 25 Feb = 4, 26 Feb (Thu) = 5.
    assert cal.add_working_days(date(2026, 2, 12), 5).last_day == date(2026, 2, 26)


def test_supplement_notice_before_national_day_2025(cal: OfficialCalendar) -> None:
    """A supplement notice served the Friday before National Day 2025 counts the make-up Sunday."""
    # Served Fri 26 Sep 2025: 27 Sep Sat rest; 28 Sep Sun 调休 = 1; 29 Sep = 2; 30 Sep = 3;
    # 1–8 Oct 国庆节、中秋节; 9 Oct = 4; 10 Oct (Fri) = 5.
    assert cal.add_working_days(date(2025, 9, 26), 5).last_day == date(2025, 10, 10)
    # 10 working days continue: 11 Oct Sat 调休 = 6; 13,14,15,16 Oct = 7–10.
    assert cal.add_working_days(date(2025, 9, 26), 10).last_day == date(2025, 10, 16)


def test_days_period_ending_on_holiday_rolls_to_next_working_day_minfadian_203(cal: OfficialCalendar) -> None:
    """A calendar-day period whose last day is a holiday ends on the first working day after it."""
    # 30 days from 1 Sep 2025: the 30th day is 1 Oct (国庆节、中秋节 through 8 Oct) -> 9 Oct (Thu).
    p = cal.add_days(date(2025, 9, 1), 30)
    assert p.kind == "days" and p.n == 30
    assert p.last_day == date(2025, 10, 9)


def test_days_period_ending_on_weekend_rolls_to_monday_minfadian_203(cal: OfficialCalendar) -> None:
    """A calendar-day period whose last day is a Saturday ends on the following Monday."""
    # 7 days from Sat 1 Mar 2025 = Sat 8 Mar -> Mon 10 Mar.
    assert cal.add_days(date(2025, 3, 1), 7).last_day == date(2025, 3, 10)


def test_days_period_ending_on_makeup_saturday_does_not_roll(cal: OfficialCalendar) -> None:
    """A calendar-day period that ends on a make-up working Saturday ends that Saturday."""
    # 7 days from Sat 1 Feb 2025 = Sat 8 Feb, 春节调休上班.
    assert cal.add_days(date(2025, 2, 1), 7).last_day == date(2025, 2, 8)


def test_days_period_counts_rest_days_inside_it(cal: OfficialCalendar) -> None:
    """Rest days inside a calendar-day period count like any other day; only the end rolls."""
    # 30 days from 10 Jan 2025 = 9 Feb (Sun) -> Mon 10 Feb, despite the 8-day Spring Festival inside.
    assert cal.add_days(date(2025, 1, 10), 30).last_day == date(2025, 2, 10)


def test_filing_deadline_30_days_before_spring_festival_2026(cal: OfficialCalendar) -> None:
    """A document published 20 January 2026 must be filed by 24 February 2026 (30 days, rolled)."""
    # 20 Jan + 30 days = 19 Feb 2026, inside 春节 (15–23 Feb) -> 24 Feb (Tue).
    assert cal.add_days(date(2026, 1, 20), 30).last_day == date(2026, 2, 24)


def test_fixed_date_deadline_does_not_roll_over(cal: OfficialCalendar) -> None:
    """A fixed date (每年12月31日之前) ends at 24:00 of that date even when it is a rest day."""
    p = cal.fixed_date(date(2022, 12, 31))  # a Saturday and 元旦 holiday under the 2023 notice
    assert p.kind == "fixed_date" and p.n is None
    assert p.last_day == date(2022, 12, 31)
    assert p.lapses_at == datetime(2023, 1, 1, tzinfo=SHANGHAI)
    assert not p.provisional


def test_may_day_2019_follows_the_supplementary_notice(cal: OfficialCalendar) -> None:
    """The March 2019 change notice (1–4 May off, 28 April and 5 May worked) overrides the original."""
    assert not cal.is_working_day(date(2019, 5, 2))
    assert cal.is_working_day(date(2019, 4, 28)) and cal.is_working_day(date(2019, 5, 5))
    # 30 April + 1 working day: 1–4 May off -> Sunday 5 May (调休上班).
    assert cal.add_working_days(date(2019, 4, 30), 1).last_day == date(2019, 5, 5)


def test_spring_festival_2020_extension_cancels_makeup_saturday(cal: OfficialCalendar) -> None:
    """The 2020 extension to 2 February makes Friday 31 January and Saturday 1 February rest days."""
    assert not cal.is_working_day(date(2020, 1, 31))
    assert not cal.is_working_day(date(2020, 2, 1))
    assert cal.add_working_days(date(2020, 1, 23), 1).last_day == date(2020, 2, 3)


def test_victory_day_2015_follows_the_state_council_notice(cal: OfficialCalendar) -> None:
    """3–5 September 2015 were off and Sunday 6 September worked (国发明电〔2015〕1号)."""
    assert cal.rest_reason(date(2015, 9, 4)).startswith("中国人民抗日战争")  # type: ignore[union-attr]
    assert cal.is_working_day(date(2015, 9, 6))
    # Wednesday 2 September + 1 working day = Sunday 6 September.
    assert cal.add_working_days(date(2015, 9, 2), 1).last_day == date(2015, 9, 6)


def test_new_year_holiday_reaching_into_previous_december(cal: OfficialCalendar) -> None:
    """The 2019 notice's New Year holiday starts 30 December 2018, worked Saturday 29 December."""
    assert cal.is_working_day(date(2018, 12, 29))
    assert cal.rest_reason(date(2018, 12, 31)) == "元旦"
    assert cal.add_working_days(date(2018, 12, 28), 2).last_day == date(2019, 1, 2)


@pytest.mark.parametrize("n", [0, -1, 1.0, True, None])
def test_period_length_must_be_a_positive_integer(cal: OfficialCalendar, n: object) -> None:
    """A period of zero, negative or non-integer length is refused with a Chinese message."""
    with pytest.raises(ValueError, match="期间长度"):
        cal.add_working_days(date(2025, 3, 3), n)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="期间长度"):
        cal.add_days(date(2025, 3, 3), n)  # type: ignore[arg-type]


def test_datetime_start_is_refused(cal: OfficialCalendar) -> None:
    """A datetime start is refused: the caller must say which local date it means."""
    with pytest.raises(TypeError, match="local_date"):
        cal.add_working_days(datetime(2025, 3, 3, 9, tzinfo=SHANGHAI), 5)  # type: ignore[arg-type]


def test_absurd_dates_are_refused_clearly(cal: OfficialCalendar) -> None:
    """Dates outside 2000–2099 raise a clear Chinese error instead of a guess."""
    with pytest.raises(ValueError, match="超出日历支持的范围"):
        cal.add_working_days(date(1999, 12, 31), 1)
    with pytest.raises(ValueError, match="超出日历支持的范围"):
        cal.add_working_days(date(2099, 12, 20), 30)
    with pytest.raises(ValueError, match="超出日历支持的范围"):
        cal.is_working_day(date(2100, 1, 1))
