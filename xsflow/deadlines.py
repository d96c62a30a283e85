"""A case's deadlines as a step changes them: started on entering states, closed on leaving them,
taken off the overdue list, and counted (again) on the official calendar."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from math import ceil
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, func, insert, select, update

from .calendar import SHANGHAI as _SHANGHAI, OfficialCalendar, local_date
from .calendar.periods import Period
from .definitions import Deadline, Procedure, Transition
from .errors import InvalidPayload, TriggerNotAllowed
from .json_views import instant
from .machine import Step
from .store.db import Prepared
from .store.schema import cases, deadlines

if TYPE_CHECKING:
    from .engine import LoadedCase

_COLUMNS = ("case_id", "name", "period_kind", "period", "start_date", "due_date", "lapses_at",
            "provisional", "service_level", "basis", "status", "overdue", "closed_at", "awaits_service", "reason",
            "ended_at", "end_reason")
_INSERT = Prepared(insert(deadlines), _COLUMNS)
_CLOSE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")),
                  ("status", "overdue", "closed_at", "ended_at", "end_reason"))
_SERVED = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")),
                   ("status", "start_date", "due_date", "lapses_at", "provisional", "reason"))

OPEN = ("pending", "awaiting_service")  # statuses of a period not yet ended
_CLEAR_OVERDUE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")), ("overdue",))


# cases.next_due, the last day of the nearest pending deadline, is what 待办 is ordered by. Every
# deadline write of a step ends in Engine.save, which writes it with the case row (next_due below);
# the writes outside a step (a service level lapsing, a recount on a new calendar) end in
# keep_next_due or refresh_next_due; the bulk opening writes it with the new case.
_NEXT_DUE = Prepared(update(cases).where(cases.c.id == bindparam("case_id")), ("next_due",))


def next_due(rows: list[Mapping[str, Any]]) -> date | None:
    """The last day of the nearest pending deadline among a case's `rows`; None when none is pending."""
    return min((d["due_date"] for d in rows if d["status"] == "pending"), default=None)


def keep_next_due(conn: Connection, case: LoadedCase) -> None:
    """Writes `cases.next_due` of a loaded case whose deadlines changed outside `Engine.save`."""
    day = next_due(case.deadlines)
    if case.row.get("next_due") != day:
        _NEXT_DUE.run(conn, {"case_id": case.row["id"], "next_due": day})
        case.row["next_due"] = day


def refresh_next_due(conn: Connection, case_ids: list[int]) -> None:
    """Recomputes `cases.next_due` of `case_ids` from their stored deadlines (a write by statement)."""
    nearest = (select(func.min(deadlines.c.due_date))
               .where(deadlines.c.case_id == cases.c.id, deadlines.c.status == "pending").scalar_subquery())
    for start in range(0, len(case_ids), 1000):
        conn.execute(update(cases).where(cases.c.id.in_(case_ids[start:start + 1000])).values(next_due=nearest))


def _because(t: Transition | None) -> str:
    return f"{t.title}（{t.basis}）" if t is not None else "立案"


def start(conn: Connection, calendar: OfficialCalendar, case: LoadedCase, entered: list[Deadline],
          occurred: datetime, payload: Mapping[str, Any], t: Transition | None = None,
          source: str | None = None, served_at_issue: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Starts the deadlines of the states entered, counted from the event's local date; one that runs
    from a document's service waits for it; one suspended in `source` resumes with what it had left.
    Each row says why it started: the first period, a restart (an earlier period of the same name
    ended) or a resumption."""
    started = []
    for d in entered:
        earlier = [r for r in case.deadlines if r["name"] == d.name]
        last = earlier[-1] if earlier else None
        if (source is not None and source in d.suspended_in and last is not None and last["status"] == "suspended"
                and last["start_date"] is not None):
            row = resumed_row(calendar, case.row["id"], d, last, occurred, t)
        else:
            row = started_row(calendar, case.row["id"], case.proc, d, occurred, payload, case.row["data"], t,
                              restarted=bool(earlier), served_at_issue=served_at_issue)
        row["id"] = _INSERT.insert_id(conn, row)
        case.deadlines.append(row)
        started.append(row)
    return started


def started_row(calendar: OfficialCalendar, case_id: int, proc: Procedure, d: Deadline, occurred: datetime,
                payload: Mapping[str, Any], data: Mapping[str, Any], t: Transition | None, *, restarted: bool,
                served_at_issue: frozenset[str]) -> dict[str, Any]:
    """A new period of `d` with the reason it started (the bulk opening writes the same rows)."""
    awaited = d.awaited(t)
    row = deadline_row(calendar, case_id, d, occurred, payload, data, awaits=awaited,
                       served_at_issue=awaited in served_at_issue or "*" in served_at_issue)
    how = "重新起算" if restarted else "起算"
    if row["status"] == "awaiting_service":
        how = f"{how}（待{_document_title(proc, awaited)}送达后自送达之日起算）"
    elif awaited is not None and row["period_kind"] != "fixed_date":
        how = f"{how}（{_document_title(proc, awaited)}出具之日视为送达：本系统电子送达，见配置）"
    row["reason"] = f"{how}：{_because(t)}"[:500]
    return row


def _document_title(proc: Procedure, kind: str | None) -> str:
    return f"《{proc.document(kind).title}》" if kind else "文书"


END_TITLES = {"met": "履行", "lapsed": "届满", "cancelled": "撤销", "suspended": "中止计算"}


def close(conn: Connection, case: LoadedCase, left: set[str], t: Transition, occurred: datetime,
          now: datetime, suspended: set[str] = frozenset()) -> None:
    """Closes the open deadlines named in `left`: met, cancelled (a withdrawal), lapsed, or suspended
    (named in `suspended`: the case entered a state the period is suspended in)."""
    for d in case.deadlines:
        if d["status"] not in OPEN or d["name"] not in left:
            continue
        lapse = case.proc.deadline(d["name"]).on_lapse == t.trigger
        # a service level left after it ran out, before a sweep marked it
        late = d["lapses_at"] is not None and d["lapses_at"] <= occurred
        status = ("lapsed" if lapse or late else "suspended" if d["name"] in suspended
                  else "cancelled" if t.cancels_deadlines else "met")
        reason = f"{END_TITLES[status]}：{_because(t)}"[:500]
        _CLOSE.run(conn, {"deadline_id": d["id"], "status": status, "overdue": lapse, "closed_at": now,
                          "ended_at": occurred, "end_reason": reason})
        d["status"], d["overdue"], d["closed_at"], d["ended_at"], d["end_reason"] = status, lapse, now, occurred, reason


def served(conn: Connection, calendar: OfficialCalendar, case: LoadedCase, kind: str, served_on: date,
           how: str) -> list[dict[str, Any]]:
    """Starts the periods of the case that wait for the service of a document of `kind`, counted from
    `served_on` (the day of service is not counted: 民法典 第二百零一条)."""
    started = []
    for d in case.deadlines:
        if d["status"] != "awaiting_service" or d["awaits_service"] != kind:
            continue
        if d["period_kind"] == "hours":  # from the day of service: its first instant, Beijing time
            period = hours_period(datetime.combine(served_on, datetime.min.time(), tzinfo=_SHANGHAI), d["period"])
        else:
            period = count(calendar, d["period_kind"], served_on, d["period"])
        reason = f"{d['reason']}；{how}，自{served_on:%Y年%-m月%-d日}起算"
        values = {"status": "pending", "start_date": served_on, "due_date": period.last_day,
                  "lapses_at": period.lapses_at, "provisional": period.provisional, "reason": reason[:500]}
        _SERVED.run(conn, {"deadline_id": d["id"], **values})
        d.update(values)
        started.append(d)
    return started


def resumed_row(calendar: OfficialCalendar, case_id: int, d: Deadline, last: Mapping[str, Any], occurred: datetime,
                t: Transition | None) -> dict[str, Any]:
    """The rest of a suspended period, counted from the resumption: what elapsed from its start to the
    day of suspension (inclusive) is consumed; at least one day (or hour) is left, since a period
    suspended on its last day had not yet run out at 24:00 of it."""
    kind, n = last["period_kind"], last["period"]
    stop = local_date(last["ended_at"])
    if kind == "hours":
        used = ceil((last["ended_at"] - (last["lapses_at"] - timedelta(hours=n))).total_seconds() / 3600)
    elif kind == "working_days":
        used = calendar.working_days_between(last["start_date"] + timedelta(days=1), stop)
    elif kind == "days":
        used = max((stop - last["start_date"]).days, 0)
    else:  # a fixed date does not move
        used = 0
    left = max(n - used, 1) if kind != "fixed_date" else 0
    day = local_date(occurred)
    if kind == "hours":
        period = hours_period(occurred, left)
    elif kind == "fixed_date":
        period = calendar.fixed_date(last["due_date"])
    else:
        period = count(calendar, kind, day, left)
    unit = UNITS.get(kind, "")
    reason = (f"恢复计算：{_because(t)}；中止前已经过{used}{unit}，剩余{left}{unit}" if kind != "fixed_date"
              else f"恢复计算：{_because(t)}；期限为确定的日期，不因中止而变动")
    return {
        "case_id": case_id, "name": d.name, "period_kind": kind, "period": left if kind != "fixed_date" else 0,
        "start_date": day, "due_date": period.last_day, "lapses_at": period.lapses_at,
        "provisional": period.provisional, "service_level": d.service_level, "basis": str(d.basis),
        "status": "pending", "overdue": False, "closed_at": None, "awaits_service": None, "reason": reason[:500],
        "ended_at": None, "end_reason": None,
    }


UNITS = {"working_days": "个工作日", "days": "日", "hours": "小时"}


def count(calendar: OfficialCalendar, kind: str, start_day: date, n: int) -> Period:
    return calendar.add_working_days(start_day, n) if kind == "working_days" else calendar.add_days(start_day, n)


def hours_period(occurred: datetime, n: int) -> Period:
    """N小时 from the event's instant: it lapses N hours later, whatever the day (no rest day counts
    or rolls it over; 民法典 第二百零一条第二款: 按照小时计算期间的，自法律规定或者当事人约定的时间开始计算)."""
    lapses_at = occurred + timedelta(hours=n)
    return Period("hours", local_date(occurred), n, local_date(lapses_at), lapses_at, False, ())  # type: ignore[arg-type]


def check_restarted(proc: Procedure, t: Transition, started: list[dict[str, Any]], occurred: datetime) -> None:
    """A period a lapse starts afresh (a re-entering lapse) must run past the lapse: one already over
    (a fixed date before it) would lapse at once, and again, for ever. The sweep makes this an incident."""
    for d in started:
        if d["lapses_at"] is not None and d["lapses_at"] <= occurred:
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
                 payload: Mapping[str, Any], data: Mapping[str, Any] | None = None, *,
                 awaits: str | None = None, served_at_issue: bool = False) -> dict[str, Any]:
    """A new pending deadline counted from the local date of the event that started it (N hours: from
    its instant); one that runs from the service of a document (`awaits`, Deadline.awaited) waits for it
    (awaiting_service), unless the operator deems that document served at issue (`served_at_issue`)."""
    start_day = local_date(occurred)
    waits = awaits is not None and not served_at_issue
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
    elif d.hours is not None:
        period, kind, length = hours_period(occurred, d.hours), "hours", d.hours
    else:
        if d.set_by is not None:
            length, kind = int(payload[d.set_by]), d.set_unit
        elif d.working_days is not None:
            length, kind = d.working_days, "working_days"
        else:
            length, kind = int(d.days or 0), "days"
        if waits:  # counted when the document is served (deadlines.served)
            return {
                "case_id": case_id, "name": d.name, "period_kind": kind, "period": length, "start_date": None,
                "due_date": None, "lapses_at": None, "provisional": False, "service_level": d.service_level,
                "basis": str(d.basis), "status": "awaiting_service", "overdue": False, "closed_at": None,
                "awaits_service": awaits, "reason": None, "ended_at": None, "end_reason": None,
            }
        period = count(calendar, kind, start_day, length)
    return {
        "case_id": case_id, "name": d.name, "period_kind": kind, "period": length, "start_date": start_day,
        "due_date": period.last_day, "lapses_at": period.lapses_at, "provisional": period.provisional,
        "service_level": d.service_level, "basis": str(d.basis), "status": "pending", "overdue": False,
        "closed_at": None, "awaits_service": None, "reason": None, "ended_at": None, "end_reason": None,
    }


def recount(calendar: OfficialCalendar, row: Mapping[str, Any]):
    """The period of a stored deadline, counted again on `calendar`."""
    if row["period_kind"] == "working_days":
        return calendar.add_working_days(row["start_date"], row["period"])
    if row["period_kind"] == "fixed_date":
        return calendar.fixed_date(row["due_date"])
    if row["period_kind"] == "hours":  # counted in hours from an instant: no calendar changes it
        return Period("hours", row["start_date"], row["period"], row["due_date"], row["lapses_at"], False, ())  # type: ignore[arg-type]
    return calendar.add_days(row["start_date"], row["period"])


def deadline_facts(calendar: OfficialCalendar, proc: Procedure, row: Mapping[str, Any]) -> dict[str, Any]:
    """What a document says of a deadline: its last day and how it was counted (none yet while it
    waits for the document's service: the document then says 自送达之日起)."""
    if row["status"] == "awaiting_service":
        explanation = ""
    elif row["period_kind"] == "hours":
        explanation = (f"期限计算说明\n按小时计算：自{_cn_instant(row['lapses_at'] - timedelta(hours=row['period']))}起"
                       f"{row['period']}小时，至{_cn_instant(row['lapses_at'])}届满；按小时计算的期间不因休息日、"
                       "法定休假日顺延（《中华人民共和国民法典》第二百零一条第二款）。")
    else:
        explanation = str(calendar.explain(recount(calendar, row)))
    return {
        "name": row["name"], "title": proc.deadline(row["name"]).title, "basis": row["basis"],
        "period_kind": row["period_kind"], "period": row["period"], "status": row["status"],
        "from_service": row.get("awaits_service") or proc.deadline(row["name"]).awaited(None),
        "start_date": row["start_date"].isoformat() if row["start_date"] else None,
        "due_date": row["due_date"].isoformat() if row["due_date"] else None,
        "lapses_at": instant(row["lapses_at"]), "explanation": explanation,
        "explanation_lines": [line for line in explanation.splitlines()[1:] if line.strip()],
    }


def _cn_instant(value: datetime) -> str:
    return f"{value.astimezone(_SHANGHAI):%Y年%-m月%-d日%H时%M分}"
