"""Known days of the 2004–2013 notices, each named after the rule it shows.

Before these notices were bundled, 2004–2013 were counted on the statutory festival days alone
(no golden weeks, no make-up working days): these dates were all wrong then.
"""

from __future__ import annotations

from datetime import date

from xsflow.calendar import OfficialCalendar


def test_golden_week_2010_national_day_pushes_one_working_day_to_8_october(cal: OfficialCalendar) -> None:
    """30 Sep 2010 + 1 working day: 1–7 October are off (国办发明电〔2009〕27号), so the answer is Friday 8 October."""
    p = cal.add_working_days(date(2010, 9, 30), 1)
    assert p.last_day == date(2010, 10, 8) and not p.provisional
    assert cal.rest_reason(date(2010, 10, 4)) == "国庆节"


def test_spring_festival_2005_make_up_saturday_is_a_working_day(cal: OfficialCalendar) -> None:
    """Saturday 5 February 2005 was worked for the Spring Festival: Friday 4 February + 1 working day is that Saturday."""
    assert cal.is_working_day(date(2005, 2, 5)) and cal.make_up_for(date(2005, 2, 5)) == "春节"
    assert cal.add_working_days(date(2005, 2, 4), 1).last_day == date(2005, 2, 5)
    # The week off: 9–15 February (初一至初七), back on Wednesday 16 February.
    assert cal.add_working_days(date(2005, 2, 8), 1).last_day == date(2005, 2, 16)


def test_make_up_day_in_december_belongs_to_next_years_notice(cal: OfficialCalendar) -> None:
    """Saturday 31 December 2005 was worked under the 2006 notice, which the explanation cites."""
    assert cal.is_working_day(date(2005, 12, 31)) and cal.make_up_for(date(2005, 12, 31)) == "元旦"
    p = cal.add_working_days(date(2005, 12, 30), 1)
    assert p.last_day == date(2005, 12, 31)
    assert "国办发明电〔2005〕35号" in cal.explain(p).text()


def test_may_day_golden_week_ends_with_the_2007_revision(cal: OfficialCalendar) -> None:
    """Under 国务院令第270号 May Day was a week (2007: 1–7 May); from 2008 (第513号) three days, 1–3 May."""
    assert cal.rest_reason(date(2007, 5, 7)) == "劳动节"
    assert cal.is_working_day(date(2008, 5, 5))
    assert cal.is_working_day(date(2008, 5, 4)) and cal.make_up_for(date(2008, 5, 4)) == "劳动节"


def test_qingming_duanwu_zhongqiu_are_holidays_only_from_2008(cal: OfficialCalendar) -> None:
    """The 2007 revision added 清明, 端午 and 中秋: Thursday 5 April 2007 is a working day, 4 April 2008 is not."""
    assert cal.is_working_day(date(2007, 4, 5))
    assert cal.rest_reason(date(2008, 4, 4)) == "清明节"
    assert cal.rest_reason(date(2008, 6, 9)) == "端午节"
    assert cal.rest_reason(date(2008, 9, 15)) == "中秋节"


def test_national_day_and_mid_autumn_joined_in_one_item(cal: OfficialCalendar) -> None:
    """2009 and 2012 joined the two festivals in one item of eight days; the rest reason names both."""
    assert cal.rest_reason(date(2009, 10, 8)) == "国庆节、中秋节"
    assert cal.is_working_day(date(2009, 10, 10))
    assert cal.rest_reason(date(2012, 9, 30)) == "中秋节、国庆节"
    assert cal.add_working_days(date(2012, 9, 28), 1).last_day == date(2012, 9, 29)  # the make-up Saturday


def test_new_year_2008_holiday_starts_in_december_2007(cal: OfficialCalendar) -> None:
    """The 2008 notice made 29 December 2007 a working day and 31 December 2007 a rest day."""
    assert cal.is_working_day(date(2007, 12, 29))
    assert cal.rest_reason(date(2007, 12, 31)) == "元旦"
    assert cal.add_days(date(2007, 12, 21), 10).last_day == date(2008, 1, 2)  # 31 Dec rolls over to 2 Jan
