"""Explanations: the counted and skipped days, and a Chinese text fit to print on a notice."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from xsflow.calendar import OfficialCalendar, bundled_notices


def test_explanation_lists_counted_and_skipped_days_with_reasons(cal: OfficialCalendar) -> None:
    """Across Spring Festival 2025 the make-up Sunday is counted and the holiday skipped by name."""
    e = cal.explain(cal.add_working_days(date(2025, 1, 24), 5))
    assert e.counted == [
        (date(2025, 1, 26), "调休上班"), (date(2025, 1, 27), "工作日"),
        (date(2025, 2, 5), "工作日"), (date(2025, 2, 6), "工作日"), (date(2025, 2, 7), "工作日"),
    ]
    assert e.skipped[0] == (date(2025, 1, 25), "周末")
    assert e.skipped[1:] == [(date(2025, 1, 28) + timedelta(days=k), "春节") for k in range(8)]


def test_explanation_text_cites_civil_code_and_the_notice(cal: OfficialCalendar) -> None:
    """The text cites 民法典 第二百零一条 and 第二百零三条 and the notice that set the holidays."""
    e = cal.explain(cal.add_working_days(date(2025, 1, 24), 5))
    text = e.text()
    assert str(e) == text
    assert "第二百零一条" in text and "开始的当日不计入" in text
    assert "第二百零三条" in text and "二十四时" in text
    assert "2025年2月7日二十四时（北京时间）届满" in text
    assert "1月28日至2月4日（春节）" in text
    assert "2025年1月26日（星期日）是春节调休上班日，照常计入" in text
    assert "国办发明电〔2024〕12号" in text


def test_explanation_of_rolled_days_period_names_the_holiday(cal: OfficialCalendar) -> None:
    """A calendar-day period ending on National Day 2025 explains the roll-over under 第二百零三条."""
    e = cal.explain(cal.add_days(date(2025, 9, 1), 30))
    assert len([d for d, note in e.counted if note != "顺延后的最后一日"]) == 30
    assert e.counted[-1] == (date(2025, 10, 9), "顺延后的最后一日")
    assert e.skipped == [(date(2025, 10, d), "国庆节、中秋节") for d in range(2, 9)]
    text = e.text()
    assert "第30日为2025年10月1日（星期三），是国庆节、中秋节假期" in text
    assert "以法定休假日结束的次日为期间的最后一日" in text
    assert "顺延至2025年10月9日（星期四）" in text


def test_explanation_of_provisional_period_states_the_assumption(cal: OfficialCalendar) -> None:
    """A provisional period's text says it is provisional and what was assumed."""
    text = cal.explain(cal.add_working_days(date(2027, 3, 1), 5)).text()
    assert "结果为暂定" in text and "2027年的国务院办公厅节假日安排通知尚未载入" in text


def test_explanation_of_fixed_date_says_no_roll_over(cal: OfficialCalendar) -> None:
    """A fixed date is explained as a date deadline that does not roll over."""
    text = cal.explain(cal.fixed_date(date(2026, 12, 31))).text()
    assert "不因休息日顺延" in text and "2026年12月31日二十四时（北京时间）届满" in text


def test_explaining_a_period_computed_before_a_notice_was_loaded_is_refused() -> None:
    """A period computed on an older calendar is not explained with the newer one's days."""
    old = OfficialCalendar([n for n in bundled_notices() if n.year != 2026])
    stale = old.add_working_days(date(2026, 2, 12), 5)  # no 2026 notice: ends 2026-02-20, provisional
    new = OfficialCalendar(bundled_notices())
    assert stale.last_day != new.add_working_days(date(2026, 2, 12), 5).last_day
    with pytest.raises(ValueError, match="请重新计算"):
        new.explain(stale)
