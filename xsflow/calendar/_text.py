"""Chinese renderings of dates and date runs, shared by explanations and assumptions."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def cn_date(d: date) -> str:
    """2025年3月10日"""
    return f"{d.year}年{d.month}月{d.day}日"


def cn_date_weekday(d: date) -> str:
    """2025年3月10日（星期一）"""
    return f"{cn_date(d)}（{WEEKDAYS[d.weekday()]}）"


def cn_span(first: date, last: date, *, year: bool = True) -> str:
    """A date or a span, naming the year and month only where they change: 2025年1月28日至2月4日.

    With ``year=False`` the first date omits its year, for the second and later items of a list
    that stay in the same year.
    """
    head = cn_date(first) if year else f"{first.month}月{first.day}日"
    if first == last:
        return head
    if first.year != last.year:
        return f"{head}至{cn_date(last)}"
    if first.month != last.month:
        return f"{head}至{last.month}月{last.day}日"
    return f"{head}至{last.day}日"


def cn_spans(spans: Iterable[tuple[date, date]]) -> list[str]:
    """Render spans for a list, repeating the year only when it changes."""
    out: list[str] = []
    year: int | None = None
    for first, last in spans:
        out.append(cn_span(first, last, year=first.year != year))
        year = last.year
    return out


def runs(days: Iterable[tuple[date, str]]) -> list[tuple[date, date, str]]:
    """Group consecutive days that carry the same label into (first, last, label) runs."""
    out: list[tuple[date, date, str]] = []
    for d, label in days:
        if out and out[-1][2] == label and out[-1][1] + timedelta(days=1) == d:
            out[-1] = (out[-1][0], d, label)
        else:
            out.append((d, d, label))
    return out


def join_cn(parts: Sequence[str]) -> str:
    return "、".join(parts)
