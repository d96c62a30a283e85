"""行政执法统计 across agencies: opening a period for every enforcement agency, and the county totals.

The per-agency reports are `enforcement_statistics` cases (workflows/enforcement_statistics.py); this
module adds what spans agencies: one action that opens the period's case for each agency that must
report, and one aggregate query that sums the filed reports per period.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection, case, func, select

from workflows.enforcement_statistics import ACT_TYPES, StatisticsData, enforcement_statistics
from xsflow.access import Actor, check_may_open
from xsflow.errors import Forbidden, InvalidPayload
from xsflow.store.schema import agencies, cases
from xsflow.system import Xsflow

PROCEDURE = enforcement_statistics.name
REPORTING_KINDS = ("justice_bureau", "enforcement_agency", "township_team")  # not party or government offices
FILED = ("submitted", "accepted")


def open_period(x: Xsflow, actor: Actor, period: str, *, occurred: datetime | None = None) -> dict[str, Any]:
    """Opens the period's case for every reporting agency that has none, in one transaction."""
    check_may_open(actor, enforcement_statistics, actor.agency or "")  # also when every case is open already
    try:
        data = StatisticsData().dump(StatisticsData().load({"period": period}))
    except ValidationError as err:
        raise InvalidPayload("统计期间有误。", {"period": list(err.messages.get("period", []))}) from None
    now = x.clock.now()
    occurred = x.engine.occurred(occurred, now)
    with x.db.write() as conn:
        codes = conn.execute(select(agencies.c.code).where(agencies.c.kind.in_(REPORTING_KINDS))
                             .order_by(agencies.c.code)).scalars().all()
        keys = {enforcement_statistics.correlation_key(c, period): c for c in codes}
        taken = set(conn.execute(select(cases.c.correlation_key).where(
            cases.c.procedure == PROCEDURE, cases.c.correlation_key.in_(list(keys)))).scalars())
        names = dict(conn.execute(select(agencies.c.code, agencies.c.name)).all())
        opened = []
        for key, code in keys.items():
            if key in taken:
                continue
            view = x.engine.open_in(conn, actor, procedure=PROCEDURE, agency=code,
                                    title=f"{names[code]}{period}行政执法统计", data={"period": period},
                                    occurred=occurred, now=now)
            opened.append(view["id"])
    return {"period": period, "due_date": data["due_date"], "opened": len(opened), "already_open": len(taken),
            "case_ids": opened}


def _filed(expr):
    return case((cases.c.state.in_(FILED), expr), else_=0)


def totals(conn: Connection, actor: Actor, period: str | None = None) -> list[dict[str, Any]]:
    """The county totals per period, one aggregate query: agencies expected, filed and overdue, and
    the sum of each count over the filed reports."""
    if not actor.county_wide:
        raise Forbidden("全县执法统计汇总只有县司法局、监督人员和全县对接系统可以查看。")
    period_col = cases.c.data["period"].as_string()
    stmt = (select(period_col.label("period"), func.count().label("expected"),
                   func.sum(_filed(1)).label("filed"),
                   func.sum(case((cases.c.state == "overdue", 1), else_=0)).label("overdue"),
                   *(func.sum(_filed(func.coalesce(cases.c.data[("counts", code)].as_integer(), 0))).label(code)
                     for code in ACT_TYPES))
            .where(cases.c.procedure == PROCEDURE).group_by(period_col).order_by(period_col))
    if period is not None:
        stmt = stmt.where(period_col == period)
    return [{"period": r.period, "agencies_expected": r.expected, "agencies_filed": int(r.filed or 0),
             "agencies_overdue": int(r.overdue or 0), "counts": {c: int(getattr(r, c) or 0) for c in ACT_TYPES}}
            for r in conn.execute(stmt)]


CSV_HEADER = ["统计期间", "应报单位数", "已报单位数", "逾期未报单位数", *ACT_TYPES.values()]


def csv_lines(rows: list[dict[str, Any]]) -> Iterator[str]:
    """The totals as CSV lines, with a BOM so that spreadsheet programs read the Chinese headings."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield "\ufeff"
    for values in [CSV_HEADER, *([r["period"], r["agencies_expected"], r["agencies_filed"], r["agencies_overdue"],
                                   *r["counts"].values()] for r in rows)]:
        writer.writerow(values)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
