"""Who may enforce on a given day: the holders of a certificate in force (行政执法证, art. 15, 21).

Enforcement by a person without a certificate in force is a violation (《2022年行政执法考核标准》
三.2: 无证件执法 … 扣分). A supervisor checking a case file asks: did the officers named on this
decision hold a certificate in force on the day they acted? So the answer is for a day, past or
future, not only for today.

A certificate is in force on a day when all of these hold:
- the day lies within its validity (valid_from … valid_until, both inclusive);
- it had been issued: the day is not before the issue (the day the case entered a holding state);
- it had not yet left service: the day is before the day the case left the holding states
  (expiry registered, or recalled; art. 21). On the day of the recall itself it is no longer
  counted, because the record cannot tell the hour of an act from the hour of the recall.

The answer lists certificates, one per case, and so one per person: a person may have several cases
over the years (a cancelled certificate, then a new one), but a new case opens only once the last one
has closed (the key is the person's open case, workflows/certificate.py), and a closed case left the
holding states at its recall or expiry, before the new certificate was issued. Only acts recorded with
dates out of order (a new issue dated before the old recall) could show two at once.

SQL (Core, no JSON operators) narrows by procedure, agency and state; the dates in the JSON case
data are checked here in Python, so the same code runs on SQLite and PostgreSQL.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from xsflow.access import Actor
from xsflow.calendar import local_date
from xsflow.errors import Forbidden, NotFound
from xsflow.queries import Page, after_id, check_limit, encode_cursor
from xsflow.registry import Registry
from xsflow.store.schema import agencies, cases, history

from .certificate import HOLDING as CERTIFICATE_HELD
from .certificate import certificate

PROCEDURE = certificate.name
HOLDING = tuple(str(s) for s in CERTIFICATE_HELD)  # states in which a certificate is held
# States a case can be in once a certificate was issued: only these can answer for a past day.
ISSUED = (*HOLDING, "expired", "recalled", "cancelled")

_BATCH = 200


def enforcers(conn: Connection, registry: Registry, actor: Actor, *, on: date, agency: str | None = None,
              number: str | None = None, cursor: str | None = None, limit: int | None = None) -> Page:
    """The persons of `agency` (every agency the caller sees, when None) whose certificate is in
    force on `on`, by case id; `number` narrows to one certificate number."""
    limit = check_limit(limit)
    agency = _scope(conn, actor, agency)
    after = after_id(cursor)
    items: list[dict[str, Any]] = []
    while len(items) <= limit:
        stmt = (select(cases.c.id, cases.c.agency_code, cases.c.state, cases.c.definition_version, cases.c.data)
                .where(cases.c.procedure == PROCEDURE, cases.c.state.in_(ISSUED), cases.c.id > after)
                .order_by(cases.c.id).limit(_BATCH))
        if agency is not None:
            stmt = stmt.where(cases.c.agency_code == agency)
        rows = [dict(r) for r in conn.execute(stmt).mappings()]
        if not rows:
            break
        spans = service_spans(conn, [r["id"] for r in rows])
        for row in rows:
            item = _in_force(row, spans.get(row["id"], (None, None)), on, number, registry)
            if item is not None:
                items.append(item)
                if len(items) > limit:
                    break
        after = rows[-1]["id"]
        if len(rows) < _BATCH:
            break
    page, more = items[:limit], len(items) > limit
    return Page(page, encode_cursor(page[-1]["case_id"]) if more else None)


def service_spans(conn: Connection, case_ids: Sequence[int]) -> dict[int, tuple[date | None, date | None]]:
    """For each case: the local day it entered the holding states first, and the day it left them."""
    stmt = (select(history.c.case_id, history.c.from_state, history.c.to_state, history.c.occurred_at)
            .where(history.c.case_id.in_(list(case_ids)))
            .order_by(history.c.case_id, history.c.seq))
    spans: dict[int, tuple[date | None, date | None]] = {}
    for case_id, source, dest, occurred in conn.execute(stmt):
        issued, ended = spans.get(case_id, (None, None))
        if issued is None and dest in HOLDING and source not in HOLDING:
            issued = local_date(occurred)
        elif issued is not None and ended is None and source in HOLDING and dest not in HOLDING:
            ended = local_date(occurred)
        spans[case_id] = (issued, ended)
    return spans


def in_force(certificate: Mapping[str, Any], issued: date | None, ended: date | None, on: date) -> bool:
    """Whether a certificate issued on `issued` and out of service from `ended` is in force on `on`."""
    if issued is None:
        return False
    start = max(date.fromisoformat(certificate["valid_from"]), issued)
    if not start <= on <= date.fromisoformat(certificate["valid_until"]):
        return False
    return ended is None or on < ended


def _in_force(row: Mapping[str, Any], span: tuple[date | None, date | None], on: date, number: str | None,
              registry: Registry) -> dict[str, Any] | None:
    data = row["data"] or {}
    certificate = data.get("certificate")
    if not certificate or (number is not None and certificate["number"] != number):
        return None
    issued, ended = span
    if not in_force(certificate, issued, ended, on):
        return None
    proc = registry.get(PROCEDURE, row["definition_version"])
    return {
        "case_id": row["id"], "person_id": data.get("person_id"), "name": data.get("name"),
        "post": data.get("post"), "agency": row["agency_code"],
        "certificate_number": certificate["number"], "valid_from": certificate["valid_from"],
        "valid_until": certificate["valid_until"], "areas": list(certificate.get("areas", [])),
        "issued_on": issued.isoformat() if issued else None,
        "state": row["state"], "state_title": proc.state(row["state"]).title,
        "update_training_overdue": row["state"] == "training_overdue",
        "missed_training_years": list(data.get("missed_training_years", [])),
    }


def _scope(conn: Connection, actor: Actor, agency: str | None) -> str | None:
    """The agency to answer for: a clerk (or an agency's system) only its own; others any, or all."""
    if not actor.county_wide:
        if agency is not None and agency != actor.agency:
            raise Forbidden("只能查询本单位的持证执法人员；其他单位的情况请向县司法局查询。", agency=agency)
        return actor.agency
    if agency is not None and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        raise NotFound(f"没有代码为“{agency}”的单位，请从单位名录（GET /api/v1/agencies）中选择。", agency=agency)
    return agency
