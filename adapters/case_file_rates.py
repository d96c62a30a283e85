"""The self-review rate (案卷评查率, art. 24: must reach 100%) per agency and year, computed from the
`case_file_self_review` cases, never keyed in: what the annual assessment reads (attachment 3 art. 4 (七))."""
from __future__ import annotations

from datetime import datetime, time
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import Connection, case, func, select

from xsflow.access import Actor
from xsflow.calendar import SHANGHAI
from xsflow.errors import Forbidden
from xsflow.store.schema import agencies, cases

PROCEDURE = "case_file_self_review"


def year_bounds(year: int) -> tuple[datetime, datetime]:
    """The instants a local (Asia/Shanghai) year starts and ends at."""
    return (datetime.combine(datetime(year, 1, 1).date(), time(0), SHANGHAI),
            datetime.combine(datetime(year + 1, 1, 1).date(), time(0), SHANGHAI))


def self_review_rates(conn: Connection, actor: Actor, *, year: int, agency: str | None) -> list[dict[str, Any]]:
    """Per agency, files closed in `year`: reviewed (in time or late), overdue, pending, and the rate
    reviewed ÷ due, where due are the files whose 30 days ran out or that were reviewed already."""
    if not actor.county_wide:
        if agency not in (None, actor.agency):
            raise Forbidden("只能查询本单位的自我评查情况。")
        agency = actor.agency
    start, end = year_bounds(year)
    late = cases.c.data[("self_review", "late")].as_boolean()
    query = (select(cases.c.agency_code, agencies.c.name, func.count().label("closed"),
                    func.sum(case((cases.c.state == "self_reviewed", 1), else_=0)).label("reviewed"),
                    func.sum(case(((cases.c.state == "self_reviewed") & (late == True), 1),  # noqa: E712
                                  else_=0)).label("reviewed_late"),
                    func.sum(case((cases.c.state == "self_review_overdue", 1), else_=0)).label("overdue"))
             .join(agencies, agencies.c.code == cases.c.agency_code)
             .where(cases.c.procedure == PROCEDURE, cases.c.opened_at >= start, cases.c.opened_at < end)
             .group_by(cases.c.agency_code, agencies.c.name).order_by(cases.c.agency_code))
    if agency:
        query = query.where(cases.c.agency_code == agency)
    out = []
    for r in conn.execute(query):  # one row per agency: the counts come from the aggregate
        reviewed, overdue = int(r.reviewed or 0), int(r.overdue or 0)
        due = reviewed + overdue
        out.append({"agency": r.agency_code, "agency_name": r.name, "year": year, "closed": r.closed, "due": due,
                    "reviewed": reviewed, "reviewed_late": int(r.reviewed_late or 0), "overdue": overdue,
                    "pending": r.closed - due,
                    "rate": (f"{(Decimal(reviewed * 100) / due).quantize(Decimal('0.01'), ROUND_HALF_UP):f}"
                             if due else None)})
    return out


def population(conn: Connection, year: int) -> list[dict[str, Any]]:
    """The registered files closed in `year`, county-wide, which the campaign draws from (art. 26)."""
    start, end = year_bounds(year)
    rows = conn.execute(select(cases.c.id, cases.c.agency_code, cases.c.title, cases.c.data, agencies.c.name)
                        .join(agencies, agencies.c.code == cases.c.agency_code)
                        .where(cases.c.procedure == PROCEDURE, cases.c.opened_at >= start, cases.c.opened_at < end))
    return sorted(({"case_id": r.id, "case_number": r.data["case_number"], "agency": r.agency_code,
                    "agency_name": r.name, "case_type": r.data["case_type"], "title": r.title} for r in rows),
                  key=lambda f: f["case_number"])
