"""The endpoints of contract.md: thin calls into the engine and the read side."""
from __future__ import annotations

import re
from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint
from werkzeug.routing import IntegerConverter

from xsflow import filters, overdue, queries
from xsflow.access import Actor, in_scope
from xsflow.calendar import SHANGHAI
from xsflow.errors import BadRequest, Forbidden, InvalidPayload
from xsflow.inbound import post_event
from xsflow.system import Xsflow
from xsflow.todo import todo
from xsflow.tokens import authenticate
from xsflow.json_views import instant, procedure_view

from .. import overdue_bands
from ..files import docx_download
from . import schemas as s


class ApiBlueprint(Blueprint):
    """Every API blueprint parses with the stricter parser (unknown query parameters, deep JSON, NUL)."""

    ARGUMENTS_PARSER = s.Parser()


api = ApiBlueprint("api", __name__, url_prefix="/api/v1", description="xsflow API")

ERRORS = {400: "请求格式有误", 401: "缺少或无效的访问令牌", 403: "角色或单位无权",
          404: "对象不存在", 409: "当前状态不允许或版本冲突", 413: "请求体过大（上限 1 MB）",
          415: "请求体不是 JSON（Content-Type 应为 application/json）", 422: "内容有误（逐项说明）"}


class IdConverter(IntegerConverter):
    """`<id:…>` in a route: a record id, 1 to 2**63 − 1 in ASCII digits; anything else is routed to 404.

    Ids are 64-bit in both databases, so a longer number cannot name anything and would overflow
    the driver (a 500); Werkzeug's `int` would also take "١" (an Arabic-Indic one) for 1. The
    bounds appear in the OpenAPI document.
    """

    regex = r"[0-9]{1,19}"

    def __init__(self, url_map) -> None:
        super().__init__(url_map, min=1, max=2**63 - 1)


_IF_MATCH = re.compile(r'\s*(?:W/)?"?([0-9]{1,18})"?\s*')
IF_MATCH = {"in": "header", "name": "If-Match", "required": False,
            "schema": {"type": "string", "pattern": r'^\s*(W/)?"?[0-9]{1,18}"?\s*$'},
            "description": "带引号的案件版本号，例如 \"3\"：案件已被他人更新时答复 409，不作改动"}
IDEMPOTENCY_KEY = {"in": "header", "name": "Idempotency-Key", "required": False,
                   "schema": {"type": "string", "minLength": 1, "maxLength": 200},
                   "description": "同一键重复提交时只办理一次，并返回第一次的答复"}


def xs() -> Xsflow:
    return current_app.extensions["xsflow"]


def caller() -> Actor:
    with xs().db.read() as conn:
        return caller_in(conn)


def caller_in(conn) -> Actor:
    """The caller, its token checked in `conn`: a write can take it in its own transaction (one
    connection and one commit for the request), and a revoked token is refused as at once as ever."""
    x = xs()
    return in_scope(authenticate(conn, request.headers.get("Authorization"), x.clock.now()), x.registry)


def documented(*statuses: int):
    """Documents the error answers an endpoint can give."""
    def wrap(fn):
        for status in statuses:
            fn = api.alt_response(status, schema=s.Error, description=ERRORS[status])(fn)
        return fn
    return wrap


def if_match() -> int | None:
    raw = request.headers.get("If-Match")
    if raw is None:
        return None
    match = _IF_MATCH.fullmatch(raw)  # ASCII digits only: "²".isdigit() holds, but int("²") fails
    if match is None:
        raise BadRequest(f"If-Match 应为带引号的案件版本号，例如 \"3\"；收到的是 {raw[:40]!r}。")
    return int(match.group(1))


@api.route("/procedures")
class Procedures(MethodView):
    @api.arguments(s.NoQuery, location="query")
    @api.response(200, s.ProcedurePage)
    @documented(400, 401)
    def get(self, _query):
        """Every procedure and version, with states, transitions and deadlines and their legal basis."""
        caller()
        return {"items": [procedure_view(p) for p in xs().registry.all()], "next": None}


@api.route("/procedures/<string:name>")
class ProcedureDetail(MethodView):
    @api.arguments(s.ProcedureQuery, location="query")
    @api.response(200, s.ProcedureOut)
    @documented(400, 401, 404)
    def get(self, args, name):
        """One procedure: the newest version, or `?version=`."""
        caller()
        registry = xs().registry
        if args.get("version") is not None:
            return procedure_view(registry.get(name, args["version"]))
        return procedure_view(registry.versions(name)[-1])


@api.route("/cases")
class Cases(MethodView):
    @api.arguments(s.CaseQuery, location="query")
    @api.response(200, s.CasePage)
    @documented(400, 401, 422)
    def get(self, args):
        """Cases the caller may see, filtered, oldest first."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            return queries.list_cases(conn, x.registry, actor, now=x.clock.now(), **args).as_json()

    @api.doc(parameters=[IDEMPOTENCY_KEY])
    @api.arguments(s.NoQuery, location="query")
    @api.arguments(s.CaseCreate)
    @api.response(201, s.CaseOut)
    @documented(400, 401, 403, 404, 413, 415, 422)
    def post(self, _query, body):
        """Opens a case; `Idempotency-Key` makes a retry safe."""
        actor = caller()
        return xs().engine.open_case(actor, idempotency_key=request.headers.get("Idempotency-Key"), **body)


@api.route("/cases/<id:case_id>")
class Case(MethodView):
    @api.arguments(s.NoQuery, location="query")
    @api.response(200, s.CaseOut)
    @documented(400, 401, 403, 404)
    def get(self, _query, case_id):
        """The case with its deadlines, documents and the triggers the caller may fire."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            return queries.get_case(x.engine, conn, actor, case_id)


@api.route("/cases/<id:case_id>/history")
class CaseHistory(MethodView):
    @api.arguments(s.PageQuery, location="query")
    @api.response(200, s.HistoryPage)
    @documented(400, 401, 403, 404)
    def get(self, args, case_id):
        """Every event of the case: who, what, when it happened, when it was recorded."""
        actor = caller()
        with xs().db.read() as conn:
            return queries.case_history(conn, actor, case_id, **args, registry=xs().registry).as_json()


@api.route("/cases/<id:case_id>/events")
class CaseEvents(MethodView):
    @api.doc(parameters=[IF_MATCH, IDEMPOTENCY_KEY])
    @api.arguments(s.NoQuery, location="query")
    @api.arguments(s.CaseEvent)
    @api.response(200, s.CaseOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body, case_id):
        """Fires a trigger. `If-Match: "<version>"` refuses a stale view; `Idempotency-Key` a repeat."""
        x = xs()
        with x.db.write() as conn:
            return x.engine.fire_in(conn, caller_in(conn), case_id, body["trigger"], body["payload"],
                                    occurred_at=body["occurred_at"], expected_version=if_match(),
                                    idempotency_key=request.headers.get("Idempotency-Key"))


@api.route("/events")
class Events(MethodView):
    @api.arguments(s.EventQuery, location="query")
    @api.response(200, s.InboundPage)
    @documented(400, 401, 403)
    def get(self, args):
        """Events other systems posted, newest first (`?outcome=rejected`: those refused, and why)."""
        actor = caller()
        if actor.role not in ("supervisor", "admin"):
            raise Forbidden("只有监督人员或系统管理员可以查看对接系统推送的事件。")
        with xs().db.read() as conn:
            return queries.inbound(conn, **args).as_json()

    @api.arguments(s.NoQuery, location="query")
    @api.arguments(s.ExternalEvent)
    @api.response(200, s.CaseOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body):
        """For other systems: a trigger for the case found by correlation key; `event_id` makes it idempotent.

        The procedure's opening event (e.g. `publish` for filing_review) opens a case with that key.
        """
        actor = caller()
        return post_event(xs().engine, actor, **body)


def _check_overdue_filters(conn, registry, args) -> None:
    """An agency or procedure naming nothing, or a reversed due-date range, is a 422 (xsflow/filters.py)."""
    filters.check(conn, registry, procedure=args.get("procedure"), agency=args.get("agency"),
                  date_from=args.get("due_from"), date_to=args.get("due_to"), names=("due_from", "due_to"))


@api.route("/overdue")
class Overdue(MethodView):
    @api.arguments(s.OverdueQuery, location="query")
    @api.response(200, s.OverduePage)
    @documented(400, 401, 422)
    def get(self, args):
        """Lapsed deadlines of open cases the caller may see, oldest first, with working days overdue."""
        actor, x = caller(), xs()
        cursor, limit = args.pop("cursor", None), args.pop("limit", None)
        with x.db.read() as conn:
            _check_overdue_filters(conn, x.registry, args)
            calendar = x.calendars.current(conn)
            return overdue.page(conn, x.registry, calendar, actor, now=x.clock.now(), filters=overdue.Filters(**args),
                                bands=overdue_bands.bands(calendar, x.clock.now()), cursor=cursor,
                                limit=limit).as_json()


@api.route("/overdue/summary")
class OverdueSummary(MethodView):
    @api.arguments(s.OverdueSummaryQuery, location="query")
    @api.response(200, s.OverdueSummary)
    @documented(400, 401, 422)
    def get(self, args):
        """How many lapsed deadlines the caller may see: per working-days-overdue band, and per agency;
        with a procedure chosen per agency × procedure; with an agency chosen per procedure × band (`group_by`).

        One aggregate query: the total and the counts match what `GET /overdue` with the same filters lists.
        """
        actor, x = caller(), xs()
        now = x.clock.now()
        with x.db.read() as conn:
            _check_overdue_filters(conn, x.registry, args)
            bands = overdue_bands.bands(x.calendars.current(conn), now)
            return overdue.summary(conn, actor, now=now, filters=overdue.Filters(**args), bands=bands)


@api.route("/todo")
class Todo(MethodView):
    @api.arguments(s.TodoQuery, location="query")
    @api.response(200, s.TodoPage)
    @documented(400, 401, 422)
    def get(self, args):
        """待办: open cases the caller may see and act on now, nearest last day first; `total` counts every page."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            filters.check(conn, x.registry, procedure=args.get("procedure"), state=args.get("state"),
                          agency=args.get("agency"))
            return todo(conn, x.registry, x.calendars.current(conn), actor, now=x.clock.now(), **args).as_json()


@api.route("/incidents")
class Incidents(MethodView):
    @api.arguments(s.NoQuery, location="query")
    @api.response(200, s.IncidentPage)
    @documented(400, 401)
    def get(self, _query):
        """Open incidents: deadlines held back on a guessed calendar, lapses that failed."""
        actor = caller()
        with xs().db.read() as conn:
            return queries.open_incidents(conn, actor).as_json()


@api.route("/documents/<id:document_id>")
class Document(MethodView):
    @api.arguments(s.NoQuery, location="query")
    @api.response(200, s.DocumentOut)
    @documented(400, 401, 403, 404)
    def get(self, _query, document_id):
        """An issued document's record: number, kind, basis, and the facts it states."""
        actor = caller()
        with xs().db.read() as conn:
            return queries.document_record(conn, actor, document_id, xs().registry)


@api.route("/documents/<id:document_id>/corrections")
class DocumentCorrections(MethodView):
    @api.arguments(s.NoQuery, location="query")
    @api.arguments(s.Correction)
    @api.response(201, s.DocumentOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body, document_id):
        """Corrects an issued document: a new document and number naming the one it corrects (which stays as issued)."""
        actor = caller()
        return xs().engine.correct_document(actor, document_id, body["reason"], body.get("document_number"))


@api.route("/documents/<id:document_id>/file")
class DocumentFile(MethodView):
    @api.response(200, description="The .docx file, laid out after GB/T 9704-2012",
                  content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    @api.arguments(s.NoQuery, location="query")
    @documented(400, 401, 403, 404)
    def get(self, _query, document_id):
        """The issued document as .docx, ready to print, seal and send."""
        actor = caller()
        with xs().db.read() as conn:
            record = queries.document_record(conn, actor, document_id, xs().registry)
        return docx_download(record)


@api.route("/agencies")
class Agencies(MethodView):
    @api.arguments(s.PageQuery, location="query")
    @api.response(200, s.AgencyPage)
    @documented(400, 401)
    def get(self, args):
        """The member units of attachment 1 art. 3 and the township teams, by stable code."""
        caller()
        with xs().db.read() as conn:
            return queries.list_agencies(conn, **args).as_json()


@api.route("/calendar/deadline")
class CalendarDeadline(MethodView):
    @api.arguments(s.DeadlineQuery, location="query")
    @api.response(200, s.DeadlineAnswer)
    @documented(400, 401, 422)
    def get(self, args):
        """The last day of a period on the official calendar, as `xsflow calendar deadline` prints it."""
        caller()
        x = xs()
        with x.db.read() as conn:
            calendar = x.calendars.current(conn)
        return deadline_answer(calendar, args)


def deadline_answer(calendar: Any, args: dict[str, Any]) -> dict[str, Any]:
    if (args.get("working_days") is None) == (args.get("days") is None):
        raise BadRequest("请给出 working_days（工作日）或 days（日）二者之一。")
    unit = "working_days" if args.get("working_days") is not None else "days"
    try:
        if unit == "working_days":
            period = calendar.add_working_days(args["start"], args["working_days"])
        else:
            period = calendar.add_days(args["start"], args["days"])
    except ValueError as err:  # the period ends past the last year the calendar covers
        raise InvalidPayload("提交的内容有误，请逐项修改。", {unit: [str(err)]}) from None
    return {
        "start": args["start"].isoformat(), "kind": period.kind, "length": period.n,
        "last_day": period.last_day.isoformat(), "lapses_at": instant(period.lapses_at.astimezone(SHANGHAI)),
        "provisional": period.provisional, "assumptions": list(period.assumptions),
        "explanation": str(calendar.explain(period)) if args.get("explain") else None,
    }


