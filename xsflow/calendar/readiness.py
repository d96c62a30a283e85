"""Whether the holiday notices a bureau will need soon are loaded: a warning for the operator,
given early enough to act before deadlines start being refused or held as provisional."""
from __future__ import annotations

from datetime import date, timedelta

from .official import OfficialCalendar

# The State Council publishes the next year's arrangements between late October and December;
# from 1 November a missing notice is worth a warning. 5 working days end past 24 December from
# about the 18th, and such a deadline is provisional until the notice is in (is_settled).
WARN_FROM_MONTH = 11


def missing_notice_warning(calendar: OfficialCalendar, today: date) -> str | None:
    """What the operator must load, and from when its absence bites; None when nothing is missing."""
    if today.year not in calendar.years_with_notice:
        return (f"尚未载入国务院办公厅关于{today.year}年部分节假日安排的通知：本年度的期限均按推定计算，"
                "推定期限不据以出具载明期限的文书（如补正材料通知书），到期也不自动处理。"
                "请系统管理员立即载入（xsflow calendar load）。")
    if today.month < WARN_FROM_MONTH or today.year + 1 in calendar.years_with_notice:
        return None
    first = today
    while calendar.is_settled(first):
        first += timedelta(days=1)
    return (f"尚未载入国务院办公厅关于{today.year + 1}年部分节假日安排的通知：届满日在"
            f"{first.month}月{first.day}日及以后的期限将按推定计算，不据以出具载明期限的文书"
            "（如补正材料通知书），到期也不自动处理。通知发布后，请系统管理员立即载入（xsflow calendar load）。")
