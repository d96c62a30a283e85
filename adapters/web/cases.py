"""待办, the case list, the case page with its forms, opening a case, documents.

Every read goes through xsflow.queries and every change through the engine, with the
signed-in person as the Actor, exactly as the JSON API does.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from typing import Any

from marshmallow import ValidationError
from flask import abort, flash, redirect, render_template, request, url_for

from xsflow import queries
from xsflow.access import Actor, may_fire
from xsflow.calendar import OfficialCalendar, local_date
from xsflow.definitions import Procedure, Transition
from xsflow.deadlines import recount
from xsflow.errors import CalendarNotLoaded, Forbidden, InvalidPayload, NotFound, TriggerNotAllowed, VersionConflict
from xsflow.payloads import case_title, parse_day
from xsflow.service import RECORDERS as SERVICE_RECORDERS, ServiceIn, record_service as record_document_service
from xsflow.todo import todo as todo_query

from .related import related_cases
from ..files import docx_download
from . import state_svg
from .auth import current_actor, signed_in
from .blueprint import web, xs
from .forms import FormField, describe, errors_by_field, form_values, read_form, schema_fields, whole_number
from .oa_numbers import form_problems, gather, oa_fields
from .text import DEADLINE_STATUS, as_date, as_instant, cn_instant, days_left_text, period_text, role_title

OCCURRED = FormField("occurred_at", "发生时间", "datetime",
                     help="事项在现实中发生的时间（北京时间），例如通知送达之时；不填则为现在。期限自其所在日的次日起算。")


def all_pages(fetch: Callable[[str | None], queries.Page]) -> Iterator[dict[str, Any]]:
    cursor = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next is None:
            return
        cursor = page.next


def agency_names(conn) -> dict[str, str]:
    """Agency code → name, county departments first, then the township teams, each by name."""
    listed = list(all_pages(lambda c: queries.list_agencies(conn, cursor=c, limit=200)))
    listed.sort(key=lambda a: (a["kind"] == "township_team", a["name"]))
    return {a["code"]: a["name"] for a in listed}


def _candidates(proc: Procedure, trigger: str, state: str | None = None) -> list[Transition]:
    """A person's transitions of `trigger`; in `state`, those that leave it (a lead's ground is the state's)."""
    found = [t for t in proc.transitions_for(trigger) if not t.automatic]
    here = [t for t in found if state in t.sources]
    return here or found


def trigger_title(proc: Procedure, trigger: str, state: str | None = None) -> str:
    titles = list(dict.fromkeys(t.title for t in _candidates(proc, trigger, state)))
    return "／".join(titles) or trigger


# --- 待办 -------------------------------------------------------------------------------------


def todo_page(actor: Actor, cursor: str | None) -> tuple[list[dict[str, Any]], queries.Page]:
    """One page of the open cases where the person can act now, soonest last day first."""
    x = xs()
    with x.db.read() as conn:
        page = todo_query(conn, x.registry, x.calendars.current(conn), actor, now=x.clock.now(), cursor=cursor, limit=50)
        names = agency_names(conn)
    return [todo_row(item, names) for item in page.items], page


def todo_row(item: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    proc = xs().registry.get(item["procedure"], item["definition_version"])
    deadline = item["deadline"]
    return {**item, "agency_name": names.get(item["agency"], item["agency"]),
            "actions": [trigger_title(proc, t) for t in item["triggers"]],
            "due_date": as_date(deadline["due_date"]) if deadline else None,
            "remaining": days_left_text(item["working_days_left"], item["working_days_overdue"]) if deadline else ""}


@web.route("/")
@signed_in
def todo():
    rows, page = todo_page(current_actor(), request.args.get("cursor") or None)
    next_url = url_for("web.todo", cursor=page.next) if page.next else None
    return render_template("web/todo.html", items=rows, total=page.total, next_url=next_url,
                           today=local_date(xs().clock.now()))


# --- the case list ----------------------------------------------------------------------------


@web.route("/cases")
@signed_in
def cases():
    actor = current_actor()
    x = xs()
    args = request.args
    filters = {"procedure": args.get("procedure") or None, "state": args.get("state") or None,
               "agency": args.get("agency") or None, "overdue": True if args.get("overdue") == "1" else None,
               "opened_from": _day(args, "opened_from"), "opened_to": _day(args, "opened_to")}
    with x.db.read() as conn:
        names = agency_names(conn)
        page = queries.list_cases(conn, x.registry, actor, now=x.clock.now(), cursor=args.get("cursor") or None,
                                  limit=50, **filters)
    states: dict[str, str] = {}
    for proc in x.registry.all():
        if filters["procedure"] in (None, proc.name):
            for s in proc.states:
                states.setdefault(s.name, s.title)
    next_url = url_for("web.cases", **{**args.to_dict(), "cursor": page.next}) if page.next else None
    return render_template("web/cases.html", page=page, names=names, filters=filters, states=states,
                           procedures=_procedure_titles(), county_wide=actor.county_wide, next_url=next_url)


def _day(args: Any, name: str) -> date | None:
    """A date filter (YYYY-MM-DD); anything else is refused in Chinese (422), not ignored."""
    value = args.get(name) or None
    if value is None:
        return None
    try:
        return parse_day(value)  # within the calendar's years: 9999-12-31 would overflow the range's end
    except ValidationError:
        raise InvalidPayload("筛选条件有误，请逐项修改。", {name: [
            f"“{value}”不是有效日期，请按 YYYY-MM-DD 填写，年份在日历所载范围内。"]}) from None


def _procedure_titles() -> dict[str, str]:
    return {p.name: p.title for p in xs().registry.all()}


# --- the case page ----------------------------------------------------------------------------


def trigger_form(proc: Procedure, trigger: str, state: str | None = None) -> dict[str, Any]:
    candidates = _candidates(proc, trigger, state)
    first = candidates[0]
    dests = list(dict.fromkeys((t.dest or src) for t in candidates for src in ([state] if state else t.sources)))
    return {
        "trigger": trigger, "title": trigger_title(proc, trigger, state),
        "fields": schema_fields(first.payload) + oa_fields(proc, candidates),
        "basis": "；".join(dict.fromkeys(str(t.basis) for t in candidates)),
        "issues": [proc.document(k).title for k in dict.fromkeys(k for t in candidates for k in t.issues)],
        "guard": [t.guard.refusal for t in candidates if t.guard],
        "dests": dests, "values": {}, "errors": {}, "general": [], "key": uuid.uuid4().hex,
    }


def deadline_rows(proc: Procedure, case: dict[str, Any], calendar: OfficialCalendar,
                  now: datetime) -> list[dict[str, Any]]:
    rows = []
    for d in case["deadlines"]:
        # Past its lapse instant but not yet swept: already overdue, as the overdue list says.
        lapses = as_instant(d["lapses_at"])
        past = d["status"] == "pending" and lapses is not None and lapses <= now and not case["closed"]
        stored = {"period_kind": d["period"]["kind"], "period": d["period"]["length"],
                  "start_date": as_date(d["period"]["start_date"]), "due_date": as_date(d["due_date"])}
        if d["status"] == "awaiting_service":
            explanation = [f"该期限自{_document_of(proc, d['awaits_service'])}送达之日起算；送达登记后计算最后一日。"]
        elif d["period"]["kind"] == "hours":
            explanation = [f"按小时计算：自{cn_instant(as_instant(d['lapses_at']) - timedelta(hours=d['period']['length']))}起"
                           f"{d['period']['length']}小时，至{cn_instant(d['lapses_at'])}届满；"
                           "不因休息日、法定休假日顺延（《中华人民共和国民法典》第二百零一条第二款）。"]
        else:
            try:
                explanation = calendar.explain(recount(calendar, stored)).text().splitlines()
            except ValueError as err:  # counted before a notice now loaded changed the days
                explanation = [str(err)]
        status_title = DEADLINE_STATUS.get(d["status"], d["status"])
        if past:
            status_title = "已超过办理时限" if d["service_level"] else "已届满，待系统自动处理"
        rows.append({**d, "overdue": (d["overdue"] or past) and not case["closed"], "status_title": status_title,
                     "awaits_title": _document_of(proc, d.get("awaits_service")),
                     "period_text": period_text(d["period"]["kind"], d["period"]["length"]),
                     "explanation": explanation, "kind_title": "办理时限" if d["service_level"] else "法定期限",
                     "after": _after(proc, d["name"])})
    return rows


def _document_of(proc: Procedure, kind: str | None) -> str:
    return f"《{proc.document(kind).title}》" if kind else ""


def _after(proc: Procedure, name: str) -> str:
    d = proc.deadline(name)
    if d.on_lapse is None:
        return "届满仍未办结的，列入逾期事项，供监督人员督办"
    return f"届满时由系统自动办理“{trigger_title_any(proc, d.on_lapse)}”"


def trigger_title_any(proc: Procedure, trigger: str) -> str:
    return "／".join(dict.fromkeys(t.title for t in proc.transitions_for(trigger))) or trigger


def history_rows(proc: Procedure, entries: list[dict[str, Any]], names: dict[str, str]) -> list[dict[str, Any]]:
    titles = {s.name: s.title for s in proc.states}
    rows = []
    for e in entries:
        if e["trigger"] == "open":
            what = "立案"
            details = [("案件名称", e["payload"].get("title", ""))] + describe(proc, e["payload"].get("data"), names)
        else:
            what = history_title(proc, e)
            details = describe(proc, e["payload"], names)
        rows.append({**e, "what": what, "details": details, "role_title": _role(e["actor_role"]),
                     "from_title": titles.get(e["from_state"] or "", ""), "to_title": titles.get(e["to_state"], "")})
    return rows


def who_acts(proc: Procedure, t: Transition) -> str:
    """The roles that fire `t`, and the side whose staff they must be (公安机关) where it names one."""
    return "、".join(_role(r) for r in sorted(t.roles)) + proc.side_title(t)


def _role(role: str) -> str:
    return role_title(role)


def history_title(proc: Procedure, entry: dict[str, Any]) -> str:
    for t in proc.transitions_for(entry["trigger"]):
        if entry["from_state"] in t.sources and (t.dest or entry["from_state"]) == entry["to_state"]:
            return t.title
    return trigger_title_any(proc, entry["trigger"])


SERVICE_FIELDS = schema_fields(ServiceIn)


def service_rows(case: dict[str, Any], actor: Actor, failed: dict[str, Any] | None) -> dict[int, dict[str, Any]]:
    """Each document's service (送达): as recorded, or a form for the bureau's staff who record it."""
    served = {s["document_id"]: s for s in case.get("services", [])}
    rows = {}
    for d in case["documents"]:
        row: dict[str, Any] = {"service": served.get(d["id"]), "values": {}, "errors": {}, "general": [],
                               "form": actor.role in SERVICE_RECORDERS and d["id"] not in served}
        if failed and failed.get("document_id") == d["id"]:
            row.update(failed)
        rows[d["id"]] = row
    return rows


def render_case(case_id: int, *, forms: dict[str, dict[str, Any]] | None = None, banner: str | None = None,
                status: int = 200, service_failed: dict[str, Any] | None = None):
    actor = current_actor()
    x = xs()
    with x.db.read() as conn:
        case = queries.get_case(x.engine, conn, actor, case_id)
        entries = list(all_pages(lambda c: queries.case_history(conn, actor, case_id, cursor=c, registry=x.registry)))
        calendar = x.calendars.current(conn)
        names = agency_names(conn)
        related = related_cases(conn, x.registry, actor, case)
        from .case_files import related_cases as file_related_cases  # 案卷评查: the file, its campaign, its art. 28 case
        file_related = file_related_cases(conn, actor, case)
    proc = x.registry.get(case["procedure"], case["definition_version"])
    titles = {s.name: s.title for s in proc.states}
    built = []
    reopenings = proc.reopenings_of(actor.role, case["state"]) if proc.state(case["state"]).terminal else []
    mine = [t for t in proc.triggers_of(actor.role, case["state"])  # of its side, where a step names one
            if any(may_fire(actor, proc, tr, case["agency"]) for tr in proc.transitions_for(t))]
    for trigger in [*mine, *reopenings]:
        form = trigger_form(proc, trigger, case["state"])
        form["dest_titles"] = [titles[d] for d in form["dests"]]
        if forms and trigger in forms:
            form.update(forms[trigger])
        built.append(form)
    return render_template(
        "web/case.html", case=case, proc=proc, diagram=state_svg.svg(proc, current=case["state"]),
        history=history_rows(proc, entries, names), deadlines=deadline_rows(proc, case, calendar, x.clock.now()),
        # the cases it opened are under 关联案件
        data=describe(proc, {k: v for k, v in case["data"].items() if k != "linked_cases"}, names), forms=built,
        related=related, names=names, banner=banner, occurred=OCCURRED, file_related=file_related,
        services=service_rows(case, actor, service_failed), service_fields=SERVICE_FIELDS,
        transitions=[{"t": t, "sources": "、".join(titles[s] for s in t.sources),
                      "dest": titles[t.dest] if t.dest else "（状态不变）",
                      "who": "系统（期限届满）" if t.automatic else who_acts(proc, t)}
                     for t in proc.transitions],
    ), status


@web.route("/cases/<id:case_id>")
@signed_in
def case_page(case_id: int):
    return render_case(case_id)


@web.route("/cases/<id:case_id>/events/<trigger>", methods=["POST"])
@signed_in
def fire(case_id: int, trigger: str):
    actor = current_actor()
    x = xs()
    with x.db.read() as conn:
        case = queries.get_case(x.engine, conn, actor, case_id)  # 403 for another agency's case
    proc = x.registry.get(case["procedure"], case["definition_version"])
    candidates = [t for t in proc.transitions_for(trigger) if not t.automatic]
    if not candidates:
        abort(404)
    specs = schema_fields(candidates[0].payload) + oa_fields(proc, candidates)
    payload, problems = read_form(request.form, specs)
    payload = gather(payload)
    occurred_raw = request.form.get("occurred_at", "")
    occurred_values, occurred_problems = read_form(request.form, [OCCURRED])
    problems.update(occurred_problems)
    shown = {"values": {**form_values(request.form, specs), "occurred_at": occurred_raw}}
    if problems:
        errors, general = errors_by_field(problems, [s.name for s in specs] + ["occurred_at"])
        return render_case(case_id, forms={trigger: {**shown, "errors": errors, "general": general}},
                           banner=f"未办理“{trigger_title(proc, trigger, case['state'])}”：请按下方提示修改后重新提交。", status=422)
    version = whole_number(request.form.get("version"), "version")  # before anything is done
    try:
        occurred = as_instant_or_none(occurred_values.get("occurred_at"))
        x.engine.fire(actor, case_id, trigger, payload, occurred_at=occurred,
                      expected_version=version,
                      idempotency_key=(f"web:{request.form['form_key']}" if request.form.get("form_key") else None))
    except InvalidPayload as err:
        errors, general = errors_by_field(form_problems(err.fields), [s.name for s in specs] + ["occurred_at"])
        return render_case(case_id, forms={trigger: {**shown, "errors": errors, "general": [err.message, *general]}},
                           banner=f"未办理“{trigger_title(proc, trigger, case['state'])}”：请按下方提示修改后重新提交。", status=422)
    except VersionConflict as err:
        return render_case(case_id, banner=err.message + "（下方已是最新情况。）", status=409)
    except (TriggerNotAllowed, CalendarNotLoaded) as err:
        return render_case(case_id, forms={trigger: {**shown, "general": [err.message]}}, banner=err.message,
                           status=409)
    flash(f"已办理：{trigger_title(proc, trigger, case['state'])}。", "success")
    return redirect(url_for("web.case_page", case_id=case_id))


@web.route("/cases/<id:case_id>/documents/<id:document_id>/service", methods=["POST"])
@signed_in
def record_service(case_id: int, document_id: int):
    """送达登记 from the case page: the same record as POST /api/v1/documents/{id}/service."""
    actor = current_actor()
    x = xs()
    body, problems = read_form(request.form, SERVICE_FIELDS)
    shown = {"document_id": document_id, "values": form_values(request.form, SERVICE_FIELDS)}
    failed = "未登记送达：请按提示修改后重新提交。"
    if not problems:
        try:
            body = ServiceIn().load(body)
        except ValidationError as err:
            problems = err.messages  # type: ignore[assignment]
    if problems:
        errors, general = errors_by_field(problems, [s.name for s in SERVICE_FIELDS])
        return render_case(case_id, banner=failed, status=422,
                           service_failed={**shown, "errors": errors, "general": general})
    try:
        record_document_service(x.engine, actor, document_id, body)
    except InvalidPayload as err:
        errors, general = errors_by_field(err.fields, [s.name for s in SERVICE_FIELDS])
        return render_case(case_id, banner=failed, status=422,
                           service_failed={**shown, "errors": errors, "general": [err.message, *general]})
    except TriggerNotAllowed as err:
        return render_case(case_id, banner=err.message, status=409,
                           service_failed={**shown, "errors": {}, "general": [err.message]})
    flash("已登记送达。", "success")
    return redirect(url_for("web.case_page", case_id=case_id))


def as_instant_or_none(value: str | None):
    return as_instant(value) if value else None


# --- documents --------------------------------------------------------------------------------


@web.route("/documents/<id:document_id>/file")
@signed_in
def document_file(document_id: int):
    actor = current_actor()
    x = xs()
    with x.db.read() as conn:
        record = queries.document_record(conn, actor, document_id, x.registry)
    return docx_download(record)


# --- opening a case ---------------------------------------------------------------------------


def openable(actor: Actor) -> list[Procedure]:
    """The procedure versions new cases open on today that this person's role may open."""
    x = xs()
    today = local_date(x.clock.now())
    out = []
    for name in x.registry.names():
        try:
            proc = x.registry.current(name, today)
        except NotFound:
            continue
        if actor.role in proc.opened_by:
            out.append(proc)
    return out


def open_fields(proc: Procedure) -> list[FormField]:
    specs = schema_fields(proc.data)
    for spec in specs:
        if spec.name == proc.parties_field:
            spec.kind = "agencies"
            spec.help = "可选择多个单位：按住 Ctrl 键点选，或用方向键移动、按住 Shift 键连选。"
    if proc.data is None:  # no data schema: offer the correlation key other systems use
        specs.append(FormField(proc.correlation_field, "关联编号（文号）", "text", max_length=200,
                               help="其他系统据以对应本案的编号，例如发文字号；没有可不填。"))
    return specs


@web.route("/cases/new")
@signed_in
def new_case_choice():
    return render_template("web/new_choice.html", procedures=openable(current_actor()))


@web.route("/cases/new/<procedure>", methods=["GET", "POST"])
@signed_in
def new_case(procedure: str):
    actor = current_actor()
    x = xs()
    proc = next((p for p in openable(actor) if p.name == procedure), None)
    if proc is None:
        x.registry.versions(procedure)  # 404 naming the known procedures
        raise Forbidden(f"您的角色无权发起“{x.registry.versions(procedure)[-1].title}”案件。")
    with x.db.read() as conn:
        names = agency_names(conn)
    specs = open_fields(proc)
    state: dict[str, Any] = {"values": {}, "errors": {}, "general": []}
    if request.method == "POST":
        form = request.form
        agency = (actor.agency if not actor.county_wide else form.get("agency")) or ""
        data, problems = read_form(form, specs, prefix="data.")
        occurred_values, occurred_problems = read_form(form, [OCCURRED])
        problems = {**{f"data.{k}": v for k, v in problems.items()}, **occurred_problems, **_title_problems(form)}
        state["values"] = {**{f"data.{k}": v for k, v in form_values(form, specs, prefix="data.").items()},
                           "title": form.get("title", ""), "agency": agency, "occurred_at": form.get("occurred_at", "")}
        names_in_form = ["title", "agency", "occurred_at"] + [f"data.{s.name}" for s in specs]
        if not problems:
            try:
                case = x.engine.open_case(
                    actor, procedure=proc.name, agency=agency, title=form.get("title", ""), data=data,
                    occurred_at=as_instant_or_none(occurred_values.get("occurred_at")),
                    idempotency_key=f"web:{form['form_key']}" if form.get("form_key") else None)
            except InvalidPayload as err:
                problems = err.fields
                state["general"].append(err.message)
            else:
                flash(f"已立案：{case['title']}。", "success")
                return redirect(url_for("web.case_page", case_id=case["id"]))
        state["errors"], general = _open_errors(problems, names_in_form)
        state["general"].extend(general)
        return _render_new(proc, specs, names, state, actor), 422
    return _render_new(proc, specs, names, state, actor)


_TITLE = case_title()


def _title_problems(form) -> dict[str, list[str]]:
    """The title's length and characters, as the API checks them (an empty title the engine names)."""
    title = form.get("title", "")
    try:
        if title.strip():
            _TITLE.deserialize(title)
    except ValidationError as err:
        return {"title": list(err.messages)}
    return {}


def _open_errors(problems: dict[str, list[str]], names: list[str]) -> tuple[dict[str, list[str]], list[str]]:
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for key, messages in problems.items():
        match = next((n for n in sorted(names, key=len, reverse=True) if key == n or key.startswith(n + ".")), None)
        if match:
            by_field.setdefault(match, []).extend(messages)
        else:
            general.extend(messages)
    return by_field, general


def _render_new(proc: Procedure, specs: list[FormField], names: dict[str, str], state: dict[str, Any],
                actor: Actor):
    return render_template("web/new_case.html", proc=proc, specs=specs, names=names, state=state, actor=actor,
                           occurred=OCCURRED, key=uuid.uuid4().hex)

