"""What the annual assessment reads from case-file evaluation, per agency and year — computed, never
re-keyed (issue #15; attachment 4 items 四.1 and 四.5, attachment 3 art. 4 (七) 案卷质量情况):

- files evaluated in the year's concentrated evaluation, and the errors found per sheet item (四.1);
- missing files (四.5 行政处罚案卷全部统一立卷归档：未立卷归档或有票据无案卷): penalty decisions the
  agency reported in its enforcement statistics for the year for which no closed penalty file was
  registered (docs/decisions.md, "四.5 missing case files");
- the self-review rate (art. 24: must reach 100%).

Each measure is one statement; `facts` puts them together per agency.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from workflows.case_file_evaluation import evaluated_per_agency
from xsflow.access import Actor
from xsflow.errors import Forbidden
from xsflow.store.schema import agencies, cases

from .case_file_rates import PROCEDURE as SELF_REVIEW, self_review_rates, year_bounds

CAMPAIGN = "case_file_evaluation"
STATISTICS = "enforcement_statistics"
FILED = ("submitted", "accepted")  # the statistics reports that count (adapters/statistics.py)


def _scope(actor: Actor, agency: str | None) -> str | None:
    if not actor.county_wide:
        if agency not in (None, actor.agency):
            raise Forbidden("只能查询本单位的案卷评查情况。")
        return actor.agency
    return agency


def evaluated(conn: Connection, actor: Actor, *, year: int, agency: str | None = None) -> dict[str, dict[str, Any]]:
    """Files evaluated and errors per sheet item (四.1), from the year's campaign: one row read."""
    agency = _scope(actor, agency)
    data = conn.execute(select(cases.c.data).where(cases.c.procedure == CAMPAIGN,
                                                   cases.c.correlation_key == str(year))).scalar_one_or_none()
    per = evaluated_per_agency(data) if data else {}
    return {k: v for k, v in per.items() if agency in (None, k)}


def missing_files(conn: Connection, actor: Actor, *, year: int, agency: str | None = None) -> dict[str, dict[str, Any]]:
    """四.5 per agency: penalty decisions reported for the year's periods (filed reports) less the closed
    penalty files registered for the year, never below 0; one statement."""
    agency = _scope(actor, agency)
    start, end = year_bounds(year)
    reported = (select(cases.c.agency_code.label("agency"),
                       func.sum(func.coalesce(cases.c.data[("counts", "penalty")].as_integer(), 0)).label("n"))
                .where(cases.c.procedure == STATISTICS, cases.c.state.in_(FILED),
                       cases.c.data["period"].as_string().like(f"{year}%"))
                .group_by(cases.c.agency_code).subquery())
    registered = (select(cases.c.agency_code.label("agency"), func.count().label("n"))
                  .where(cases.c.procedure == SELF_REVIEW, cases.c.opened_at >= start, cases.c.opened_at < end,
                         cases.c.data["case_type"].as_string() == "penalty")
                  .group_by(cases.c.agency_code).subquery())
    query = (select(agencies.c.code, reported.c.n.label("reported"), registered.c.n.label("registered"))
             .select_from(agencies.outerjoin(reported, reported.c.agency == agencies.c.code)
                          .outerjoin(registered, registered.c.agency == agencies.c.code))
             .where((reported.c.n.is_not(None)) | (registered.c.n.is_not(None))))
    if agency:
        query = query.where(agencies.c.code == agency)
    out = {}
    for code, rep, reg in conn.execute(query):
        rep = None if rep is None else int(rep)
        out[code] = {"penalties_reported": rep, "penalty_files_registered": int(reg or 0),
                     "missing_files": None if rep is None else max(0, rep - int(reg or 0))}
    return out


def facts(conn: Connection, actor: Actor, *, year: int, agency: str | None = None) -> list[dict[str, Any]]:
    """Per agency, in code order: the four measures of one year, each from its own statement."""
    agency = _scope(actor, agency)
    names = dict(conn.execute(select(agencies.c.code, agencies.c.name)).all())
    ev = evaluated(conn, actor, year=year, agency=agency)
    missing = missing_files(conn, actor, year=year, agency=agency)
    rates = {r["agency"]: r for r in self_review_rates(conn, actor, year=year, agency=agency)}
    out = []
    for code in sorted(set(ev) | set(missing) | set(rates)):
        e = ev.get(code, {"files_evaluated": 0, "errors": {}, "penalty_errors": 0, "failing": 0})
        m = missing.get(code, {"penalties_reported": None, "penalty_files_registered": 0, "missing_files": None})
        r = rates.get(code)
        out.append({"agency": code, "agency_name": names.get(code, code), "year": year, **e, **m,
                    "self_review_due": r["due"] if r else 0, "self_reviewed": r["reviewed"] if r else 0,
                    "self_review_rate": r["rate"] if r else None})
    return out

