"""The enforcement persons of an agency in an assessed year (考核评议制度 第2条、第3条: 执法部门及其执法人员).

One row per person who held a certificate (workflows/certificate.py) in the agency: the certificate's
state, validity and number; the update trainings recorded in the year and whether the year's training
was missed (第20条); the case files closed in the year that name the person as handler
(case_file_self_review `handler`); of those, the files the bureau's concentrated evaluation of the year
scored, with score and grade (case_file_evaluation, 第24–28条). A handler is matched to a certificate
holder by name within the agency: the case-file spreadsheets name the handler, not the person number.

Complaints upheld per person (workflows/complaint.py): the complaints about the agency that the bureau
replied to in the year with the finding 属实 or 部分属实, counted for each officer the complaint names,
matched to the person by 执法证号 (a name can be shared; the number is one person's). Each is listed by
case id, finding and reply date only: nothing of the complainant, whom the agency must not learn.

A fixed number of queries whatever the agency's size: certificate cases, their training history,
the handled files grouped by handler, the year's evaluation case and the year's replied complaints.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, func, select

from xsflow.access import Actor
from xsflow.calendar import local_date
from xsflow.registry import Registry
from xsflow.store.schema import cases, history

from .assessment_record import _check_agency, _require_standard, year_span
from .complaint import FINDINGS, UPHELD, complaint
from .enforcers import ISSUED, PROCEDURE as CERTIFICATE

COUNTING = ("当年答复的投诉举报中，核查结论为属实或部分属实、且按执法证号列明该执法人员的件数"
            "（《秀山自治县行政执法考核评议制度》第2条、第3条）")


def personnel(conn: Connection, registry: Registry, actor: Actor, year: int, agency: str) -> dict[str, Any]:
    name = _check_agency(conn, actor, agency)
    _require_standard(year)  # a year the assessment knows (and a date the database can hold)
    start, end = year_span(year)
    rows = [dict(r) for r in conn.execute(
        select(cases.c.id, cases.c.state, cases.c.definition_version, cases.c.data)
        .where(cases.c.procedure == CERTIFICATE, cases.c.agency_code == agency, cases.c.state.in_(ISSUED))
        .order_by(cases.c.id)).mappings()]
    trainings: dict[int, list[str]] = defaultdict(list)
    if rows:
        for case_id, occurred in conn.execute(
                select(history.c.case_id, history.c.occurred_at)
                .where(history.c.case_id.in_([r["id"] for r in rows]), history.c.trigger == "record_update_training",
                       history.c.occurred_at >= start, history.c.occurred_at < end)
                .order_by(history.c.case_id, history.c.seq)):
            trainings[case_id].append(local_date(occurred).isoformat())
    handler = cases.c.data["handler"].as_string()
    # A registered file's closing date is its case's occurred opening (workflows/case_file_self_review.py).
    handled = dict(conn.execute(
        select(handler, func.count()).where(cases.c.procedure == "case_file_self_review", cases.c.agency_code == agency,
                                            cases.c.opened_at >= start, cases.c.opened_at < end).group_by(handler)).all())
    evaluated = _evaluated(conn, year, agency)
    upheld = _upheld(conn, year, agency)
    people = []
    for r in rows:
        data = r["data"] or {}
        certificate = data.get("certificate") or {}
        person = data.get("name")
        proc = registry.get(CERTIFICATE, r["definition_version"])
        against = upheld.get((certificate.get("number") or "").strip(), [])
        people.append({
            "case_id": r["id"], "person_id": data.get("person_id"), "name": person, "post": data.get("post"),
            "certificate_number": certificate.get("number"), "valid_from": certificate.get("valid_from"),
            "valid_until": certificate.get("valid_until"), "state": r["state"], "state_title": proc.state(r["state"]).title,
            "trainings": trainings.get(r["id"], []), "training_missed": year in data.get("missed_training_years", []),
            "cases_handled": int(handled.get(person, 0)), "files_evaluated": evaluated.get(person, []),
            "complaints_upheld": len(against), "complaints": against,
        })
    return {"year": year, "agency": agency, "agency_name": name, "people": people,
            "complaints_upheld_note": COUNTING}


def _upheld(conn: Connection, year: int, agency: str) -> dict[str, list[dict[str, Any]]]:
    """Per 执法证号, the complaints about the agency replied to in the year as 属实 or 部分属实."""
    start, end = year_span(year)
    stmt = (select(cases.c.id, cases.c.data, history.c.occurred_at).join(cases, cases.c.id == history.c.case_id)
            .where(cases.c.procedure == complaint.name, history.c.trigger == "reply",
                   cases.c.data["agency_concerned"].as_string() == agency,
                   history.c.occurred_at >= start, history.c.occurred_at < end)
            .order_by(history.c.occurred_at, cases.c.id))
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for case_id, data, replied in conn.execute(stmt):
        finding = (data or {}).get("finding")
        if finding not in UPHELD:
            continue
        for number in {str(o.get("certificate_number", "")).strip() for o in data.get("officers") or []}:
            out[number].append({"case_id": case_id, "finding": finding, "finding_title": FINDINGS[finding],
                                "replied_on": local_date(replied).isoformat()})
    return out


def _evaluated(conn: Connection, year: int, agency: str) -> dict[str, list[dict[str, Any]]]:
    """Per handler name, the agency's files the year's concentrated evaluation scored."""
    data = conn.execute(select(cases.c.data).where(cases.c.procedure == "case_file_evaluation",
                                                   cases.c.correlation_key == str(year))).scalar()
    files = [f for f in ((data or {}).get("files") or {}).values() if f.get("agency") == agency and f.get("final")]
    if not files:
        return {}
    handlers = dict(conn.execute(select(cases.c.id, cases.c.data["handler"].as_string())
                                 .where(cases.c.id.in_([f["case_id"] for f in files]))).all())
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in files:
        out[handlers.get(f["case_id"], "")].append({"case_number": f["case_number"], "score": f["final"]["score"],
                                                    "grade": f["final"]["grade"]})
    return out
