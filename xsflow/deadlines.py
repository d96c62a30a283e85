"""A case's deadlines as a step changes them: started on entering states, closed on leaving them,
taken off the overdue list, and counted (again) on the official calendar."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, update

from .calendar import OfficialCalendar, local_date
from .definitions import Deadline, Procedure, Transition
from .errors import InvalidPayload, TriggerNotAllowed
from .json_views import instant
from .machine import Step
from .store.db import Prepared
from .store.schema import deadlines

if TYPE_CHECKING:
    from .engine import LoadedCase

_COLUMNS = ("case_id", "name", "period_kind", "period", "start_date", "due_date", "lapses_at",
            "provisional", "service_level", "basis", "status", "overdue", "closed_at")
_INSERT = Prepared(insert(deadlines), _COLUMNS)
_CLOSE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")),
                  ("status", "overdue", "closed_at"))
_CLEAR_OVERDUE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")), ("overdue",))


def start(conn: Connection, calendar: OfficialCalendar, case: LoadedCase, entered: list[Deadline],
          occurred: datetime, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Starts the deadlines of the states entered, counted from the event's local date."""
    started = []
    for d in entered:
        row = deadline_row(calendar, case.row["id"], d, occurred, payload, case.row["data"])
        row["id"] = _INSERT.insert_id(conn, row)
        case.deadlines.append(row)
        started.append(row)
    return started


def close(conn: Connection, case: LoadedCase, left: set[str], t: Transition, occurred: datetime,
          now: datetime) -> None:
    """Closes the pending deadlines named in `left`: met, cancelled (a withdrawal) or lapsed."""
    for d in case.deadlines:
        if d["status"] != "pending" or d["name"] not in left:
            continue
        lapse = case.proc.deadline(d["name"]).on_lapse == t.trigger
        late = d["lapses_at"] <= occurred  # a service level left after it ran out, before a sweep marked it
        status = "lapsed" if lapse or late else "cancelled" if t.cancels_deadlines else "met"
        _CLOSE.run(conn, {"deadline_id": d["id"], "status": status, "overdue": lapse, "closed_at": now})
        d["status"], d["overdue"], d["closed_at"] = status, lapse, now


def check_restarted(proc: Procedure, t: Transition, started: list[dict[str, Any]], occurred: datetime) -> None:
    """A period a lapse starts afresh (a re-entering lapse) must run past the lapse: one already over
    (a fixed date before it) would lapse at once, and again, for ever. The sweep makes this an incident."""
    for d in started:
        if d["lapses_at"] <= occurred:
            raise TriggerNotAllowed(
                f"“{proc.deadline(d['name']).title}”届满后依“{t.title}”重新起算，但重新起算的期限"
                f"于{d['due_date']:%Y年%-m月%-d日}24时即已届满，系统不能自动处理；请检查该程序的期限定义。",
                trigger=t.trigger, deadline=d["name"])


def clear_overdue(conn: Connection, case: LoadedCase, step: Step) -> None:
    """A lapse stays on the overdue list until the case moves on from what the lapse left behind:
    for a service level, until the case leaves the states it ran in; for a statutory lapse, until
    the next change of state (e.g. the late filing is received)."""
    for d in case.deadlines:
        if not d.get("overdue"):
            continue
        definition = case.proc.deadline(d["name"])
        if not definition.service_level or step.dest not in definition.while_in:
            _CLEAR_OVERDUE.run(conn, {"deadline_id": d["id"], "overdue": False})
            d["overdue"] = False


def deadline_row(calendar: OfficialCalendar, case_id: int, d: Deadline, occurred: datetime,
                 payload: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new pending deadline counted from the local date of the event that started it."""
    start_day = local_date(occurred)
    if d.set_date_by is not None and payload.get(d.set_date_by):  # a last day the act names (限于某日前)
        last = date.fromisoformat(str(payload[d.set_date_by]))
        if last <= start_day:
            raise InvalidPayload("期限的最后一日应晚于作出之日。", {d.set_date_by: [
                f"{last:%Y年%-m月%-d日}不晚于作出之日{start_day:%Y年%-m月%-d日}。"]})
        period, kind, length = calendar.fixed_date(last), "fixed_date", 0
    elif d.on_date is not None:  # a date the case data holds (after the entering transition's effect)
        value: Any = data or {}
        for part in d.on_date.split("."):
            value = value[part]
        period, kind, length = calendar.fixed_date(date.fromisoformat(str(value))), "fixed_date", 0
    elif d.fixed is not None:
        period, kind, length = calendar.fixed_date(d.fixed(start_day)), "fixed_date", 0
    else:
        if d.set_by is not None:
            length, kind = int(payload[d.set_by]), d.set_unit
        elif d.working_days is not None:
            length, kind = d.working_days, "working_days"
        else:
            length, kind = int(d.days or 0), "days"
        period = (calendar.add_working_days(start_day, length) if kind == "working_days"
                  else calendar.add_days(start_day, length))
    return {
        "case_id": case_id, "name": d.name, "period_kind": kind, "period": length, "start_date": start_day,
        "due_date": period.last_day, "lapses_at": period.lapses_at, "provisional": period.provisional,
        "service_level": d.service_level, "basis": str(d.basis), "status": "pending", "overdue": False,
        "closed_at": None,
    }


def recount(calendar: OfficialCalendar, row: Mapping[str, Any]):
    """The period of a stored deadline, counted again on `calendar`."""
    if row["period_kind"] == "working_days":
        return calendar.add_working_days(row["start_date"], row["period"])
    if row["period_kind"] == "fixed_date":
        return calendar.fixed_date(row["due_date"])
    return calendar.add_days(row["start_date"], row["period"])


def deadline_facts(calendar: OfficialCalendar, proc: Procedure, row: Mapping[str, Any]) -> dict[str, Any]:
    """What a document says of a deadline: its last day and how it was counted."""
    explanation = str(calendar.explain(recount(calendar, row)))
    return {
        "name": row["name"], "title": proc.deadline(row["name"]).title, "basis": row["basis"],
        "period_kind": row["period_kind"], "period": row["period"],
        "start_date": row["start_date"].isoformat(), "due_date": row["due_date"].isoformat(),
        "lapses_at": instant(row["lapses_at"]), "explanation": explanation,
        "explanation_lines": [line for line in explanation.splitlines()[1:] if line.strip()],
    }
