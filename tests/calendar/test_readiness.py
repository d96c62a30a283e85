"""The operator's warning about a missing holiday notice: when it starts, what it names, when it stops."""
from __future__ import annotations

from datetime import date

from xsflow.calendar import OfficialCalendar, bundled_notices, missing_notice_warning

BUNDLED = OfficialCalendar(bundled_notices())
WITHOUT_2026 = OfficialCalendar([n for n in bundled_notices() if n.year != 2026])


def test_no_warning_before_november_or_once_next_year_is_loaded():
    """October is too early to expect next year's notice; with it loaded there is nothing to say."""
    assert missing_notice_warning(WITHOUT_2026, date(2025, 10, 31)) is None
    assert missing_notice_warning(BUNDLED, date(2025, 12, 20)) is None


def test_from_november_the_warning_names_the_year_and_the_first_guessed_day():
    """From 1 November the missing year is named, with the first last day that will be counted on a guess."""
    for today in (date(2025, 11, 1), date(2025, 12, 24)):
        warning = missing_notice_warning(WITHOUT_2026, today)
        assert warning.startswith("尚未载入国务院办公厅关于2026年部分节假日安排的通知：届满日在12月25日及以后")
    assert "届满日在12月27日及以后" in missing_notice_warning(WITHOUT_2026, date(2025, 12, 27))


def test_a_year_running_without_its_notice_is_warned_about_all_year():
    """In a year whose notice is missing every deadline is guessed: the warning says so from 1 January."""
    for today in (date(2026, 1, 1), date(2026, 7, 1)):
        assert "本年度的期限均按推定计算" in missing_notice_warning(WITHOUT_2026, today)
