"""Explanations of a period, fit to print on a notice: which days counted, which did not and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from ._text import cn_date, cn_date_weekday, cn_span, cn_spans, join_cn, runs
from .notices import NoticeRef
from .periods import Period, nominal_day
from .table import WEEKEND, DayTable

MAKE_UP = "调休上班"
WORKING = "工作日"
ROLLED_TO = "顺延后的最后一日"

ART_201 = ("依照《中华人民共和国民法典》第二百零一条，按照年、月、日计算期间的，开始的当日不计入，"
           "自下一日开始计算")
ART_203_ROLL = ("依照《中华人民共和国民法典》第二百零三条第一款，期间的最后一日是法定休假日的，"
                "以法定休假日结束的次日为期间的最后一日")
ART_203_END = "依照《中华人民共和国民法典》第二百零三条第二款，期间的最后一日的截止时间为二十四时"

_NUMERALS = "一二三四五六七八九十"


@dataclass(frozen=True)
class Explanation:
    """The days of a period: ``counted`` as (date, note), ``skipped`` as (date, reason)."""

    period: Period
    counted: list[tuple[date, str]]
    skipped: list[tuple[date, str]]
    _table: DayTable = field(repr=False, compare=False)

    def text(self) -> str:
        """Multi-line Chinese text citing 民法典 第二百零一条 and 第二百零三条."""
        return _render(self)

    def __str__(self) -> str:
        return self.text()


def explain(table: DayTable, period: Period) -> Explanation:
    p = period
    if p.kind == "fixed_date":
        return Explanation(p, [(p.last_day, "确定的日期")], [], table)
    assert p.n is not None
    day = p.start + timedelta(days=1)
    counted: list[tuple[date, str]] = []
    skipped: list[tuple[date, str]] = []
    if p.kind == "working_days":
        if not (table.is_working(p.last_day) and table.working_days_between(day, p.last_day) == p.n):
            raise ValueError(_stale(p))
        while day <= p.last_day:
            reason = table.rest_reason(day)
            if reason is None:
                counted.append((day, MAKE_UP if table.make_up_for(day) else WORKING))
            else:
                skipped.append((day, reason))
            day += timedelta(days=1)
    else:
        nominal = nominal_day(p)
        if table.first_working_day_from(nominal) != p.last_day:
            raise ValueError(_stale(p))
        while day <= nominal:
            counted.append((day, _status(table, day)))
            day += timedelta(days=1)
        while day < p.last_day:
            skipped.append((day, table.rest_reason(day) or WORKING))
            day += timedelta(days=1)
        if p.last_day != nominal:
            counted.append((p.last_day, ROLLED_TO))
    return Explanation(p, counted, skipped, table)


def _status(table: DayTable, d: date) -> str:
    reason = table.rest_reason(d)
    if reason is not None:
        return reason
    return MAKE_UP if table.make_up_for(d) else WORKING


def _stale(p: Period) -> str:
    return (f"该期间（自{cn_date(p.start)}起，届满日{cn_date(p.last_day)}）与当前载入的节假日安排不符，"
            f"可能是在相关通知载入前计算的，请重新计算后再出具说明")


def _render(e: Explanation) -> str:
    p, t = e.period, e._table
    lines = ["期间计算说明"]
    items: list[str] = []
    if p.kind == "fixed_date":
        lines.append(f"期限：确定的日期，{cn_date_weekday(p.last_day)}。")
        items.append("本期限为确定的日期，不计算期间，也不因休息日顺延。")
    else:
        unit = "个工作日" if p.kind == "working_days" else "日"
        lines.append(f"期间：{p.n}{unit}，自{cn_date_weekday(p.start)}起算。")
        first = p.start + timedelta(days=1)
        items.append(f"起算：{ART_201}。{cn_date(p.start)}不计入，自{cn_date(first)}开始计算。")
        if p.kind == "working_days":
            items.append(_counted_working(e, t))
            if e.skipped:
                items.append(f"不计入的休息日（共{len(e.skipped)}日）：{_runs_text(e.skipped)}。")
            else:
                items.append("其间没有休息日。")
        else:
            items.extend(_days_items(e, t))
    if p.kind == "fixed_date":
        items.append(f"届满：{ART_203_END}，本期限于{cn_date(p.last_day)}二十四时（北京时间）届满。")
    else:
        items.append(f"届满：期间的最后一日为{cn_date_weekday(p.last_day)}。{ART_203_END}，"
                     f"本期间于{cn_date(p.last_day)}二十四时（北京时间）届满。")
    basis = _basis(e, t)
    if basis:
        items.append(f"节假日安排依据：{join_cn([ref.cite() for ref in basis])}。")
    if p.provisional:
        items.append("特别说明：本期间涉及尚未载入节假日安排通知的日期，结果为暂定。"
                     + "".join(p.assumptions))
    lines += [f"{_NUMERALS[i] if i < 10 else i + 1}、{item}" for i, item in enumerate(items)]
    return "\n".join(lines)


def _counted_working(e: Explanation, t: DayTable) -> str:
    plain = [(d, WORKING) for d, _ in e.counted]
    spans = cn_spans((a, b) for a, b, _ in runs(plain))
    text = f"计入的工作日（共{len(e.counted)}日）：{join_cn(spans)}"
    by_holiday: dict[str, list[date]] = {}
    for d, note in e.counted:
        if note == MAKE_UP:
            by_holiday.setdefault(t.make_up_for(d) or "", []).append(d)
    for holiday, days in by_holiday.items():
        # Holiday names may themselves contain 、 ("国庆节、中秋节"), so each group is its own clause.
        text += f"；{join_cn([cn_date_weekday(d) for d in days])}是{holiday}调休上班日，照常计入"
    return text + "。"


def _days_items(e: Explanation, t: DayTable) -> list[str]:
    p = e.period
    nominal = nominal_day(p)
    n_counted = [(d, note) for d, note in e.counted if note != ROLLED_TO]
    out = [f"计入的日期（共{len(n_counted)}日）：{cn_span(n_counted[0][0], n_counted[-1][0])}；"
           f"按日计算的期间，其间的休息日照常计入。"]
    if p.last_day == nominal:
        out.append(f"顺延：第{p.n}日为{cn_date_weekday(nominal)}，是工作日，不顺延。")
    else:
        reason = t.rest_reason(nominal)
        text = f"顺延：第{p.n}日为{cn_date_weekday(nominal)}，是{_rest_name(reason)}。{ART_203_ROLL}"
        if e.skipped:
            text += f"；其后{_runs_text(e.skipped)}仍是休息日"
        out.append(f"{text}，期间的最后一日顺延至{cn_date_weekday(p.last_day)}。")
    return out


def _rest_name(reason: str | None) -> str:
    return "周末休息日" if reason == WEEKEND else f"{reason}假期"


def _runs_text(days: list[tuple[date, str]]) -> str:
    grouped = runs(days)
    spans = cn_spans((a, b) for a, b, _ in grouped)
    return join_cn([f"{span}（{label}）" for span, (_, _, label) in zip(spans, grouped, strict=True)])


def _basis(e: Explanation, t: DayTable) -> list[NoticeRef]:
    refs: list[NoticeRef] = []
    days = [d for d, _ in e.skipped] + [d for d, note in e.counted if note != WORKING]
    if e.period.kind == "days":
        days.append(nominal_day(e.period))
    for d in sorted(days):
        ref = t.basis(d)
        if ref is not None and ref not in refs:
            refs.append(ref)
    return refs
