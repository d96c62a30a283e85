"""The normative-document register (规范性文件登记簿): art. 8, 统一编号、统一登记、统一公布.

A read model over the cases, nothing stored of its own: every filing_review case is one
published normative document; its registration, filing and examination come from the case's
data, deadlines, history and documents, and the state of its legality review from the
legality_review case that carries the same document number (or uniform number) in its data.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import Connection, func, or_, select

from xsflow import filters
from xsflow.access import Actor
from xsflow.calendar import SHANGHAI, local_date
from xsflow.queries import Page, after_id, check_limit, encode_cursor, group_by_case
from xsflow.queries import _scoped as visible_to  # the one definition of who sees a case
from xsflow.registry import Registry
from xsflow.store.schema import agencies, cases, deadlines, documents, history
from xsflow.json_views import day

FILING = "filing_review"
LEGALITY = "legality_review"

FILING_STATUS = {
    "awaiting": "待报备",  # published, within the 30 days of art. 10
    "overdue": "逾期未报备",  # the 30 days are over and nothing was filed
    "filed_in_time": "按期报备",
    "filed_late": "逾期报备",  # counts as 未按规定的期限报备案 (art. 35 item 5; 考核标准 二.1)
    "not_for_filing": "不予备案登记",  # not a document to be filed with the county bureau
}


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    """The instants of a local (Asia/Shanghai) calendar year: [1 January 00:00, next 1 January 00:00)."""
    return (datetime.combine(date(year, 1, 1), time(), SHANGHAI),
            datetime.combine(date(year + 1, 1, 1), time(), SHANGHAI))


def register_page(conn: Connection, registry: Registry, actor: Actor, *, now: datetime, agency: str | None = None,
                  state: str | None = None, document_number: str | None = None, year: int | None = None,
                  cursor: str | None = None, limit: int | None = None) -> Page:
    """Every normative document the caller may see, oldest case first, with its filing and legality review;
    `total` counts every page with one aggregate over the same conditions."""
    limit = check_limit(limit)
    registry.versions(FILING)  # 404 naming the known procedures if filing_review is not loaded
    after = after_id(cursor)
    filters.check(conn, registry, procedure=FILING, state=state, agency=agency)
    where = [cases.c.procedure == FILING, visible_to(actor)]
    if agency:
        where.append(cases.c.agency_code == agency)
    if state:
        where.append(cases.c.state == state)
    if document_number:
        where.append(cases.c.correlation_key == document_number)
    if year is not None:
        first, last = _year_bounds(year)
        where += [cases.c.opened_at >= first, cases.c.opened_at < last]
    total = conn.execute(select(func.count()).select_from(cases).where(*where)).scalar_one()
    stmt = (select(cases, agencies.c.name.label("agency_name"))
            .join(agencies, agencies.c.code == cases.c.agency_code)
            .where(*where, cases.c.id > after).order_by(cases.c.id).limit(limit + 1))
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    page, more = rows[:limit], len(rows) > limit
    ids = [r["id"] for r in page]
    dls = group_by_case(conn.execute(select(deadlines).where(deadlines.c.case_id.in_(ids)).order_by(deadlines.c.id)))
    steps = group_by_case(conn.execute(
        select(history.c.case_id, history.c.trigger, history.c.occurred_at)
        .where(history.c.case_id.in_(ids), history.c.trigger.in_(["file", "register"])).order_by(history.c.seq)))
    docs = group_by_case(conn.execute(
        select(documents.c.case_id, documents.c.id, documents.c.kind, documents.c.number, documents.c.issued_at)
        .where(documents.c.case_id.in_(ids), documents.c.kind.in_(["filing_receipt", "filing_examination_opinion"]))
        .order_by(documents.c.id)))
    reviews = _legality_reviews(conn, actor, page)
    items = [_entry(registry, r, dls.get(r["id"], []), steps.get(r["id"], []), docs.get(r["id"], []),
                    _match(r["data"], reviews), now) for r in page]
    return Page(items, encode_cursor(page[-1]["id"]) if more else None, total)


def _legality_reviews(conn: Connection, actor: Actor, page: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """legality_review cases the caller may see whose data names a document number or uniform number of the page."""
    numbers = sorted({r["data"].get("document_number") for r in page} - {None})
    uniform = sorted({r["data"].get("uniform_number") for r in page} - {None, ""})
    if not numbers and not uniform:
        return []
    matches = []
    if numbers:
        matches.append(cases.c.data["document_number"].as_string().in_(numbers))
    if uniform:
        matches.append(cases.c.data["uniform_number"].as_string().in_(uniform))
    stmt = (select(cases.c.id, cases.c.procedure, cases.c.definition_version, cases.c.state, cases.c.data)
            .where(cases.c.procedure == LEGALITY, visible_to(actor), or_(*matches)).order_by(cases.c.id))
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _match(data: Mapping[str, Any], reviews: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The latest legality review of the document: by document number, else by uniform number."""
    number, uniform = data.get("document_number"), data.get("uniform_number")
    found = [r for r in reviews if number and r["data"].get("document_number") == number]
    found = found or [r for r in reviews if uniform and r["data"].get("uniform_number") == uniform]
    return found[-1] if found else None


def _filing_status(state: str, data: Mapping[str, Any], filing: Mapping[str, Any] | None, now: datetime) -> str:
    if state == "not_for_filing":
        return "not_for_filing"
    if data.get("filed_late") is True:
        return "filed_late"
    if data.get("filed_late") is False:
        return "filed_in_time"
    if state == "filing_overdue" or (filing is not None and filing["lapses_at"] <= now):
        return "overdue"
    return "awaiting"


def _entry(registry: Registry, row: Mapping[str, Any], dls: list[dict[str, Any]], steps: list[dict[str, Any]],
           docs: list[dict[str, Any]], review: Mapping[str, Any] | None, now: datetime) -> dict[str, Any]:
    proc = registry.get(row["procedure"], row["definition_version"])
    data = row["data"]
    closed = proc.state(row["state"]).terminal
    filing = next((d for d in dls if d["name"] == "filing"), None)
    rectification = [d for d in dls if d["name"] == "rectification"]
    filed = [s["occurred_at"] for s in steps if s["trigger"] == "file"]
    registered = [s["occurred_at"] for s in steps if s["trigger"] == "register"]
    receipts = [d for d in docs if d["kind"] == "filing_receipt"]
    opinions = [d for d in docs if d["kind"] == "filing_examination_opinion"]
    status = _filing_status(row["state"], data, filing, now)
    overdue = not closed and any(d["overdue"] or (d["status"] == "pending" and d["lapses_at"] <= now) for d in dls)
    return {
        "case_id": row["id"], "title": row["title"], "agency": row["agency_code"], "agency_name": row["agency_name"],
        "document_number": data.get("document_number"), "uniform_number": data.get("uniform_number"),
        "published_on": day(local_date(row["opened_at"])), "effective_on": data.get("effective_on"),
        "publication_medium": data.get("publication_medium"),
        "registration_number": receipts[-1]["number"] if receipts else None,
        "registered_on": day(local_date(registered[-1])) if registered else None,
        "filing": {
            "state": row["state"], "state_title": proc.state(row["state"]).title, "closed": closed,
            "status": status, "status_title": FILING_STATUS[status],
            "due_date": day(filing["due_date"]) if filing else None,
            "filed_on": day(local_date(filed[0])) if filed else None,
            "conclusion": data.get("conclusion"),
            "opinion_number": opinions[-1]["number"] if opinions else None,
            "rectification_due": day(rectification[-1]["due_date"]) if rectification else None,
            "overdue": overdue,
        },
        "legality_review": _review_view(registry, review) if review else None,
    }


def _review_view(registry: Registry, review: Mapping[str, Any]) -> dict[str, Any]:
    proc = registry.get(review["procedure"], review["definition_version"])
    return {"case_id": review["id"], "state": review["state"], "state_title": proc.state(review["state"]).title,
            "closed": proc.state(review["state"]).terminal, "conclusion": review["data"].get("conclusion")}

