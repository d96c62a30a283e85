"""日历: a year's holidays and make-up working days on the official calendar, and a deadline
calculator that shows how a period is counted (the same counting the engine uses)."""
from __future__ import annotations

import calendar as months
import re
from datetime import date, timedelta
from typing import Any

from flask import render_template, request
from marshmallow import ValidationError

from xsflow.calendar import OfficialCalendar, local_date
from xsflow.calendar.notices import FIRST_YEAR, LAST_YEAR
from xsflow.payloads import parse_day

from .auth import signed_in
from .blueprint import web, xs
from .dates import DATE_HINT, parse_form_date
from .text import cn_date, cn_instant

UNITS = {"working_days": "个工作日", "days": "日"}


def month_grid(cal: OfficialCalendar, year: int, month: int) -> list[list[dict[str, Any] | None]]:
    """Weeks from Monday; each day with its kind (working, weekend, holiday, make_up) and why."""
    weeks = []
    for week in months.Calendar(firstweekday=0).monthdayscalendar(year, month):
        row: list[dict[str, Any] | None] = []
        for day in week:
            if day == 0:
                row.append(None)
                continue
            d = date(year, month, day)
            reason = cal.rest_reason(d)
            make_up = cal.make_up_for(d)
            if make_up:
                kind, note = "make_up", f"调休上班（{make_up}）"
            elif reason is None:
                kind, note = "working", ""
            elif reason == "周末":
                kind, note = "weekend", "周末"
            else:
                kind, note = "holiday", reason
            row.append({"day": day, "kind": kind, "note": note, "date": d})
        weeks.append(row)
    return weeks


def year_blocks(cal: OfficialCalendar, year: int) -> list[dict[str, Any]]:
    """The items of the notices in force that touch `year`, in the notice's own words where kept."""
    blocks = []
    for notice in cal.notices:
        for block in notice.blocks:
            days = [*block.dates, *block.make_up_days]
            if not any(d.year == year for d in days):
                continue
            blocks.append({
                "name": block.name, "text": block.text, "cite": block.basis.cite(),
                "first": min(block.dates) if block.dates else None, "last": max(block.dates) if block.dates else None,
                "count": len(block.dates), "make_up": [cn_date(d, weekday=True) for d in block.make_up_days],
            })
    return sorted(blocks, key=lambda b: b["first"] or date.max)


def calculate(cal: OfficialCalendar, args: Any) -> tuple[dict[str, Any], dict[str, list[str]], dict[str, Any] | None]:
    """The calculator's inputs, its problems per field, and the result (None until asked)."""
    values = {"start": args.get("start", ""), "n": args.get("n", ""), "unit": args.get("unit", "working_days")}
    if not values["start"] and not values["n"]:
        return values, {}, None
    problems: dict[str, list[str]] = {}
    start = None
    try:
        start = parse_day(parse_form_date(values["start"]).isoformat())
    except (ValueError, ValidationError):
        problems["start"] = [f"请填写起算日（事项发生之日），{DATE_HINT}。"]
    n = int(values["n"]) if re.fullmatch(r"[0-9]{1,4}", values["n"]) else 0  # "²".isdigit(), but int("²") fails
    if not 1 <= n <= 3650:
        problems["n"] = ["期间长度应为 1 至 3650 之间的整数。"]
    if values["unit"] not in UNITS:
        problems["unit"] = ["请选择“工作日”或“日”。"]
    if problems or start is None:
        return values, problems, None
    try:
        period = cal.add_working_days(start, n) if values["unit"] == "working_days" else cal.add_days(start, n)
        explanation = cal.explain(period).text().splitlines()
    except ValueError as err:
        return values, {"start": [str(err)]}, None
    return values, {}, {"last_day": cn_date(period.last_day, weekday=True), "last_iso": period.last_day.isoformat(),
                        "lapses_at": cn_instant(period.lapses_at), "provisional": period.provisional,
                        "assumptions": list(period.assumptions), "explanation": explanation,
                        "summary": f"{cn_date(start)}起 {n}{UNITS[values['unit']]}"}


@web.route("/calendar")
@signed_in
def calendar_page():
    x = xs()
    today = local_date(x.clock.now())
    raw = request.args.get("year", "")
    year = int(raw) if re.fullmatch(r"[0-9]{4}", raw) and FIRST_YEAR <= int(raw) <= LAST_YEAR else today.year
    with x.db.read() as conn:
        cal = x.calendars.current(conn)
    values, problems, result = calculate(cal, request.args)
    notices = [n for n in cal.notices if n.year == year and n.kind == "state_council"]
    rest = sum(1 for i in range((date(year + 1, 1, 1) - date(year, 1, 1)).days)
               if not cal.is_working_day(date(year, 1, 1) + timedelta(days=i)))
    return render_template(
        "web/calendar.html", year=year, today=today, months=[(m, month_grid(cal, year, m)) for m in range(1, 13)],
        blocks=year_blocks(cal, year), notices=notices, noticed=year in cal.years_with_notice,
        settled=not cal.touches_unnoticed_years(date(year, 1, 1), date(year, 12, 31)), rest_days=rest,
        values=values, problems=problems, result=result, units=UNITS,
        first_year=FIRST_YEAR, last_year=LAST_YEAR)
