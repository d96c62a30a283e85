"""The joint meeting at a glance (附件1《秀山自治县行政执法联席会议制度》第二条、第四条、第五条): its
agenda, its notice, who reported (art. 5 reports), its minutes and the state of every task the
minutes opened.

A read model over the cases, nothing stored of its own. The meeting is one `joint_meeting` case;
the reports are its `submit_report` history entries; each decision of the minutes is a
`joint_meeting_task` case whose correlation key is "<minutes number>第<n>项" (workflows/joint_meeting.py
`task_openings`), so a meeting's tasks are one indexed query, filtered to what the caller may see.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from xsflow import queries
from xsflow.access import Actor
from xsflow.calendar import local_date
from xsflow.errors import NotFound
from xsflow.queries import _scoped as visible_to  # the one definition of who sees a case
from xsflow.registry import Registry
from xsflow.store.schema import cases, deadlines, history

from .joint_meeting import REPORT_CONTENTS, Stage, TaskStage

MEETING, TASK = "joint_meeting", "joint_meeting_task"
MAX_TASKS = 200  # shown on the page; the rest are on the case list (a link says how many)


def meeting_board(conn: Connection, engine: Any, registry: Registry, actor: Actor, case_id: int, *,
                  now: datetime, names: Mapping[str, str]) -> dict[str, Any]:
    """What the meeting page shows; 403 for a meeting the caller may not see, 404 for another kind of case."""
    case = queries.get_case(engine, conn, actor, case_id)
    if case["procedure"] != MEETING:
        raise NotFound(f"第 {case_id} 号案件不是行政执法联席会议。", case_id=case_id)
    data = case["data"]
    name = lambda code: names.get(code, code)  # noqa: E731
    agenda = set(data.get("agenda", []))
    topics = [{**t, "agency_name": name(t["agency"]), "on_agenda": t["no"] in agenda} for t in data.get("topics", [])]
    docs = {d["kind"]: d for d in case["documents"]}
    notice = data.get("notice")
    reports_deadline = next((d for d in case["deadlines"] if d["name"] == "reports"), None)
    reports_lapsed = case["state"] == Stage.REPORTS_OVERDUE or bool(data.get("reports_missing_at_due")) or (
        reports_deadline is not None and reports_deadline["status"] == "pending"
        and datetime.fromisoformat(reports_deadline["lapses_at"].replace("Z", "+00:00")) <= now)
    submitted = _reports_submitted(conn, case_id)
    reports = []
    for code in (notice or {}).get("reporting", []):
        when = submitted.get(code)
        reports.append({"agency": code, "agency_name": name(code), "reported_at": when,
                        "late": when is not None and notice is not None
                        and local_date(when) > date.fromisoformat(notice["reports_due"]),
                        "missing": when is None, "overdue": when is None and reports_lapsed})
    minutes = data.get("minutes")
    tasks, total = _tasks(conn, registry, actor, docs.get("meeting_minutes"), now=now, name=name)
    return {
        "case": case, "topics": topics, "notice": notice, "notice_document": docs.get("meeting_notice"),
        "invited": (notice or {}).get("invited", []), "members": [name(c) for c in data.get("members", [])],
        "reports": reports, "reports_due": (notice or {}).get("reports_due"), "reports_lapsed": reports_lapsed,
        "report_contents": list(REPORT_CONTENTS.values()),
        "minutes": minutes, "minutes_document": docs.get("meeting_minutes"),
        "tasks": tasks, "tasks_total": total, "tasks_overdue": sum(t["overdue"] for t in tasks),
        "approval": data.get("approval"), "returned": data.get("returned", []),
    }


def _reports_submitted(conn: Connection, case_id: int) -> dict[str, datetime]:
    """Agency → when its art. 5 report was submitted (the last one, if it reported twice)."""
    out: dict[str, datetime] = {}
    for payload, occurred in conn.execute(select(history.c.payload, history.c.occurred_at)
                                          .where(history.c.case_id == case_id, history.c.trigger == "submit_report")
                                          .order_by(history.c.seq)):
        if payload.get("agency"):
            out[payload["agency"]] = occurred
    return out


def _tasks(conn: Connection, registry: Registry, actor: Actor, minutes_doc: Mapping[str, Any] | None, *,
           now: datetime, name) -> tuple[list[dict[str, Any]], int]:
    if minutes_doc is None:
        return [], 0
    prefix = minutes_doc["number"] + "第"
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    mine = and_(cases.c.procedure == TASK, cases.c.correlation_key.like(escaped + "%", escape="\\"), visible_to(actor))
    total = conn.execute(select(func.count()).select_from(cases).where(mine)).scalar_one()
    rows = conn.execute(select(cases).where(mine).order_by(cases.c.id).limit(MAX_TASKS)).mappings().all()
    late = set(conn.execute(select(deadlines.c.case_id).where(
        deadlines.c.case_id.in_([r["id"] for r in rows]),
        or_(deadlines.c.overdue.is_(True), and_(deadlines.c.status == "pending", deadlines.c.lapses_at <= now)))
    ).scalars())
    tasks = []
    for r in rows:
        proc = registry.get(r["procedure"], r["definition_version"])
        d = r["data"]
        state = proc.state(r["state"])
        tasks.append({
            "case_id": r["id"], "no": d.get("decision_no"), "decision": d.get("decision", ""),
            "lead": name(r["agency_code"]), "others": [name(c) for c in d.get("agencies", [])],
            "due_date": d.get("due_date"), "state": r["state"], "state_title": state.title, "closed": state.terminal,
            "overdue": not state.terminal and (r["state"] == TaskStage.OVERDUE or r["id"] in late),
            "result": (d.get("report") or {}).get("result"),
        })
    tasks.sort(key=lambda t: (t["no"] or 0, t["case_id"]))
    return tasks, total
