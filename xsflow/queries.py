"""The read side: lists and records a caller may see, paged by an opaque cursor."""
from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, and_, exists, false, func, or_, select, true, union

from . import filters, kept_counts, private
from .access import Actor
from .calendar import OfficialCalendar
from .errors import BadRequest, NotFound
from .payloads import limit, unprintable
from .registry import Registry
from .store.schema import agencies, case_agencies, cases, deadlines, documents, history, inbound_events, incidents
from .json_views import case_view, document_view, history_view, instant
from .service import services_of

MAX_LIMIT = 200


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next: str | None
    total: int | None = None  # for the lists that count all their rows

    def as_json(self) -> dict[str, Any]:
        out = {"items": self.items, "next": self.next}
        return out if self.total is None else {**out, "total": self.total}


def encode_cursor(value: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


BAD_CURSOR = "翻页参数 cursor 无效：请使用上一页答复中的 next 值。"
MAX_ID = 2**63 - 1  # ids are 64-bit in both databases


def decode_cursor(cursor: str | None) -> Any:
    """What `encode_cursor` wrote, or None for the first page; 400 for anything no answer gave out."""
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, RecursionError):  # bad base64, bad UTF-8 or JSON, "[[[[…" thousands deep
        raise BadRequest(BAD_CURSOR) from None


def _is_id(value: Any) -> bool:
    return type(value) is int and 0 <= value <= MAX_ID  # not a bool, not past what a column holds


def after_id(cursor: str | None) -> int:
    """The last id of the previous page of a list paged by id (0 for the first page)."""
    after = decode_cursor(cursor)
    if after is None:
        return 0
    if not _is_id(after):
        raise BadRequest(BAD_CURSOR)
    return after


def after_code(cursor: str | None) -> str:
    """The last code of the previous page of a list paged by code ("" for the first page)."""
    after = decode_cursor(cursor)
    if after is None:
        return ""
    if not isinstance(after, str) or len(after) > limit(agencies.c.code) or unprintable(after, multiline=False):
        raise BadRequest(BAD_CURSOR)
    return after


def after_key(cursor: str | None, parse: Callable[[Any], Any]) -> tuple[Any, int] | None:
    """The (sort key, id) the previous page of a list paged by a key and then id ended on."""
    after = decode_cursor(cursor)
    if after is None:
        return None
    try:
        key, last_id = after
        key = parse(key)
    except (TypeError, ValueError):
        raise BadRequest(BAD_CURSOR) from None
    if not _is_id(last_id):
        raise BadRequest(BAD_CURSOR)
    return key, last_id


def check_limit(limit: int | None, default: int = 50) -> int:
    if limit is None:
        return default
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"每页条数 limit 应在 1 至 {MAX_LIMIT} 之间。")
    return limit


def _scoped(actor: Actor):
    """Restricts a query over `cases` to the cases the caller may see: owned or taken part in."""
    if actor.read_only:  # its agency's cases of the procedures that name it an observer, nothing else
        if not actor.procedures:
            return false()
        return and_(cases.c.procedure.in_(sorted(actor.procedures)), _agency_scoped(actor))
    if actor.county_wide:
        return true()
    return _agency_scoped(actor)


def sees_every_case_of(actor: Actor, agency: str | None) -> bool:
    """Whether every case of `agency` (None: of any agency) is the caller's to see, so that a query
    narrowed to it needs no scope: a county-wide caller's, or one of the caller's own agencies (the
    scope's union of its own and its party cases, 70 ms for the county police at a million cases,
    would only repeat that)."""
    if actor.read_only:
        return False
    return actor.county_wide or (agency is not None and agency in actor.codes)


def _agency_scoped(actor: Actor):
    # The ids of the agency's own cases and of those it is a party to, each from its index: written as
    # "owner = X OR EXISTS (party X)" the planner scans every case and probes each (1.5 s at 100,000).
    # A township government's user sees its own and the teams of its area (actor.codes).
    return cases.c.id.in_(agency_case_ids(actor))


def agency_case_ids(actor: Actor):
    """The ids of the cases of the actor's agencies (actor.codes) and of those they are a party to."""
    codes = sorted(actor.codes)
    return union(select(cases.c.id).where(cases.c.agency_code.in_(codes)),
                 select(case_agencies.c.case_id).where(case_agencies.c.agency_code.in_(codes)))


def _check_sees_case(conn: Connection, actor: Actor, case_id: int, owner: str) -> None:
    procedure = None
    if actor.read_only:
        procedure = conn.execute(select(cases.c.procedure).where(cases.c.id == case_id)).scalar()
    elif actor.county_wide or owner in actor.codes:
        return
    parties = conn.execute(select(case_agencies.c.agency_code).where(case_agencies.c.case_id == case_id)).scalars()
    actor.check_sees([owner, *parties], procedure)


def _overdue_condition(now: datetime):
    # A deadline past its lapse instant is overdue even before a sweep has marked it.
    return and_(deadlines.c.case_id == cases.c.id, _overdue_deadline(now))


def _overdue_deadline(now: datetime):
    return or_(deadlines.c.overdue.is_(True), and_(deadlines.c.status == "pending", deadlines.c.lapses_at <= now))


def list_cases(conn: Connection, registry: Registry, actor: Actor, *, now: datetime, procedure: str | None = None,
               state: str | None = None, agency: str | None = None, overdue: bool | None = None,
               opened_from: date | None = None, opened_to: date | None = None,
               cursor: str | None = None, limit: int | None = None) -> Page:
    """Cases the caller may see, oldest first (by id: the primary key), keyset-paged; `total` counts
    every page with one aggregate query over the same conditions. `opened_from`/`opened_to`: the
    local date (Asia/Shanghai) the case took effect. A filter value naming nothing is a 422."""
    limit = check_limit(limit)
    after = after_id(cursor)
    filters.check(conn, registry, procedure=procedure, state=state, agency=agency, date_from=opened_from,
                  date_to=opened_to)
    whole_agencies = sees_every_case_of(actor, agency)
    where = [] if whole_agencies else [_scoped(actor)]
    if procedure:
        where.append(cases.c.procedure == procedure)
    if state:
        where.append(cases.c.state == state)
    if agency:
        where.append(cases.c.agency_code == agency)
    if opened_from:
        where.append(cases.c.opened_at >= filters.day_start(opened_from))
    if opened_to:
        where.append(cases.c.opened_at < filters.day_start(opened_to + timedelta(days=1)))
    if overdue is not None:
        cond = and_(cases.c.closed.is_(False), exists().where(_overdue_condition(now)))
        where.append(cond if overdue else ~cond)
    # Whole agencies' cases narrowed by agency, procedure and state alone: the kept counts hold the total.
    if whole_agencies and not (opened_from or opened_to or overdue is not None) and kept_counts.kept(conn):
        total = kept_counts.total(conn, kept_counts.CASES, agency_code=agency, procedure=procedure, state=state)
    else:
        total = conn.execute(select(func.count()).select_from(cases).where(*where)).scalar_one()
    stmt = select(cases).where(*where, cases.c.id > after).order_by(cases.c.id).limit(limit + 1)
    rows = [dict(r) for r in conn.execute(stmt).mappings()]
    page, more = rows[:limit], len(rows) > limit
    ids = [r["id"] for r in page]
    dls = group_by_case(conn.execute(select(deadlines).where(deadlines.c.case_id.in_(ids)).order_by(deadlines.c.id)))
    parties: dict[int, list[str]] = {}
    for case_id, code in conn.execute(select(case_agencies.c.case_id, case_agencies.c.agency_code)
                                      .where(case_agencies.c.case_id.in_(ids))):
        parties.setdefault(case_id, []).append(code)
    docs = group_by_case(conn.execute(select(documents).where(documents.c.case_id.in_(ids)).order_by(documents.c.id)))
    items = [case_view(r, registry.get(r["procedure"], r["definition_version"]), dls.get(r["id"], []),
                       docs.get(r["id"], []), actor, parties.get(r["id"], []), now) for r in page]
    return Page(items, encode_cursor(page[-1]["id"]) if more else None, total)


def group_by_case(result) -> dict[int, list[dict[str, Any]]]:
    """Rows of a query over several cases, listed by case id."""
    out: dict[int, list[dict[str, Any]]] = {}
    for r in result.mappings():
        out.setdefault(r["case_id"], []).append(dict(r))
    return out


def case_history(conn: Connection, actor: Actor, case_id: int, *, cursor: str | None = None,
                 limit: int | None = None, registry: Registry | None = None) -> Page:
    found = conn.execute(select(cases.c.agency_code, cases.c.procedure, cases.c.definition_version)
                         .where(cases.c.id == case_id)).first()
    if found is None:
        raise NotFound(f"没有编号为 {case_id} 的案件。", case_id=case_id)
    agency = found.agency_code
    _check_sees_case(conn, actor, case_id, agency)
    proc = registry.get(found.procedure, found.definition_version) if registry is not None else None
    limit = check_limit(limit, default=MAX_LIMIT)
    after = after_id(cursor)
    rows = conn.execute(select(history).where(history.c.case_id == case_id, history.c.seq > after)
                        .order_by(history.c.seq).limit(limit + 1)).mappings().all()
    page = rows[:limit]
    views = [history_view(r) for r in page]
    if proc is not None and private.hidden(proc, actor, agency):
        views = [{**v, "payload": private.entry(proc, actor, agency, v["trigger"], v["payload"])} for v in views]
    return Page(views, encode_cursor(page[-1]["seq"]) if len(rows) > limit else None)


def document_record(conn: Connection, actor: Actor, document_id: int, registry: Registry | None = None) -> dict[str, Any]:
    row = conn.execute(select(documents, cases.c.agency_code, cases.c.procedure, cases.c.definition_version)
                       .join(cases, cases.c.id == documents.c.case_id)
                       .where(documents.c.id == document_id)).mappings().first()
    if row is None:
        raise NotFound(f"没有编号为 {document_id} 的文书。", document_id=document_id)
    _check_sees_case(conn, actor, row["case_id"], row["agency_code"])
    facts = row["facts"]
    if registry is not None:  # personal data: a document addressed to the person is refused, the rest pruned
        proc = registry.get(row["procedure"], row["definition_version"])
        facts = private.document_facts(proc, actor, row["agency_code"], row["kind"], facts)
    newer = conn.execute(select(documents.c.id, documents.c.number)
                         .where(documents.c.corrects_id == document_id)).mappings().first()
    return {**document_view(row), "case_id": row["case_id"], "agency": row["agency_code"], "facts": facts,
            "corrects_id": row["corrects_id"], "corrected_by": dict(newer) if newer else None}


def working_days_after(calendar: OfficialCalendar, due: date, today: date) -> int:
    """Working days in (due, today]: how many working days a lapsed deadline is overdue."""
    if today <= due:
        return 0
    return calendar.working_days_between(due + timedelta(days=1), today)


def list_agencies(conn: Connection, *, cursor: str | None = None, limit: int | None = None) -> Page:
    limit = check_limit(limit, default=MAX_LIMIT)
    after = after_code(cursor)
    rows = conn.execute(select(agencies.c.code, agencies.c.name, agencies.c.kind, agencies.c.government)
                        .where(agencies.c.code > after).order_by(agencies.c.code).limit(limit + 1)).mappings().all()
    page = [dict(r) for r in rows[:limit]]
    return Page(page, encode_cursor(page[-1]["code"]) if len(rows) > limit else None)


def open_incidents(conn: Connection, actor: Actor) -> Page:
    stmt = (select(incidents, cases.c.agency_code).join(cases, cases.c.id == incidents.c.case_id, isouter=True)
            .where(incidents.c.resolved_at.is_(None)).order_by(incidents.c.id))
    if not actor.county_wide:
        stmt = stmt.where(_scoped(actor))
    items = [{"id": r["id"], "kind": r["kind"], "case_id": r["case_id"], "message": r["message"],
              "created_at": instant(r["created_at"])} for r in conn.execute(stmt).mappings()]
    return Page(items, None)


def get_case(engine: Any, conn: Connection, actor: Actor, case_id: int) -> dict[str, Any]:
    case = engine.load_case(conn, case_id)
    actor.check_sees(case.agencies, case.proc.name)
    # who received a reply is personal data
    services = [private.service(case.proc, actor, case.row["agency_code"], s) for s in services_of(conn, case_id)]
    return {**case_view(case.row, case.proc, case.deadlines, case.documents, actor, case.agencies[1:],
                        engine.clock.now()), "services": services}


def inbound(conn: Connection, *, outcome: str | None = None, cursor: str | None = None,
            limit: int | None = None) -> Page:
    """Events other systems posted, newest first; a refused one carries the error it got."""
    limit = check_limit(limit)
    stmt = select(inbound_events).order_by(inbound_events.c.id.desc()).limit(limit + 1)
    if outcome:
        stmt = stmt.where(inbound_events.c.outcome == outcome)
    if cursor:
        stmt = stmt.where(inbound_events.c.id < after_id(cursor))
    rows = conn.execute(stmt).mappings().all()
    items = [{**{k: r[k] for k in ("id", "event_id", "sender", "procedure", "correlation_key", "trigger",
                                    "payload", "case_id", "outcome", "status", "response")},
              "received_at": instant(r["received_at"])} for r in rows[:limit]]
    return Page(items, encode_cursor(rows[limit - 1]["id"]) if len(rows) > limit else None)
