"""Opening cases and firing transitions: each one database transaction, all of it or nothing.

A transition reads the case under a row lock, checks who may fire it and what it carries,
steps the shared machine, then in the same transaction closes and starts deadlines,
issues documents, appends the hash-chained history entry and bumps the case version.
"""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import Connection, bindparam, insert, select, update

from . import correlation
from . import documents as docs
from .access import Actor, check_may_fire, check_may_open
from .audit import GENESIS, canonical_json, entry_hash
from .calendar import OfficialCalendar, local_date
from .calendars import LAST_NOTICE_ID, NOTICE_COUNT, CalendarStore
from .clock import Clock
from .definitions import Deadline, Procedure, Transition
from .errors import (BadRequest, CalendarNotLoaded, Forbidden, IdempotencyConflict, InvalidPayload, NotFound,
                     TriggerNotAllowed, VersionConflict)
from .machine import Step
from .registry import Registry
from .store.db import Database, Prepared, insert_or_skip
from .store.schema import agencies, case_agencies, cases, deadlines, documents, history, idempotency_keys
from .views import case_view, document_view, instant
from .wording import Templates, cn_date

# The statements of a transition, built once. Building a Core statement per call
# (`where(col == value)`, `values(**row)`) costs more than running it on SQLite: each build
# coerces every value into a bind parameter and computes a new cache key. `Prepared` also
# skips SQLAlchemy's per-execution machinery on SQLite (see xsflow/store/db.py); the values
# come as parameters, and `columns` names what an INSERT writes or an UPDATE sets.
#
# A case is read with its deadlines and the calendar revision in one statement: one row per
# deadline (or one with NULLs), the case's columns first. On PostgreSQL the case row is locked
# by a statement of its own first: a locking read joined to other tables would, after waiting
# for the lock, return those tables' rows as they were before the wait (READ COMMITTED).
# SQLite needs no row lock: a write transaction holds the database's (BEGIN IMMEDIATE).
_CASE_KEYS = tuple(c.key for c in cases.c)
_DEADLINE_KEYS = tuple(c.key for c in deadlines.c)
_REVISION_AT = len(_CASE_KEYS)  # the two revision columns follow the case's
_DEADLINE_AT = _REVISION_AT + 2  # then the deadline's (NULL when the case has none)
_CASE = Prepared(
    select(*cases.c, NOTICE_COUNT.label("calendar_notices"), LAST_NOTICE_ID.label("calendar_last_notice"),
           *(c.label(f"deadline_{c.key}") for c in deadlines.c))
    .select_from(cases.outerjoin(deadlines, deadlines.c.case_id == cases.c.id))
    .where(cases.c.id == bindparam("case_id")).order_by(deadlines.c.id))
_LOCK_CASE = Prepared(select(cases.c.id).where(cases.c.id == bindparam("case_id")).with_for_update())
_CASE_DOCUMENTS = Prepared(select(documents).where(documents.c.case_id == bindparam("case_id"))
                           .order_by(documents.c.id))
_CASE_PARTIES = Prepared(select(case_agencies.c.agency_code).where(case_agencies.c.case_id == bindparam("case_id")))
_DEADLINE_COLUMNS = ("case_id", "name", "period_kind", "period", "start_date", "due_date", "lapses_at",
                     "provisional", "service_level", "basis", "status", "overdue", "closed_at")
_INSERT_DEADLINE = Prepared(insert(deadlines), _DEADLINE_COLUMNS)
_CLOSE_DEADLINE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")),
                           ("status", "overdue", "closed_at"))
_CLEAR_OVERDUE = Prepared(update(deadlines).where(deadlines.c.id == bindparam("deadline_id")), ("overdue",))
_INSERT_HISTORY = Prepared(insert(history), ("case_id", "seq", "trigger", "actor", "actor_role", "payload",
                                            "occurred_at", "recorded_at", "from_state", "to_state", "prev_hash",
                                            "hash"))
_BUMP_CASE = Prepared(update(cases).where(cases.c.id == bindparam("case_id"),
                                          cases.c.version == bindparam("old_version")),
                      ("state", "closed", "version", "data", "last_occurred_at", "history_seq", "history_hash",
                       "correlation_key"))


CORRECTORS = frozenset({"reviewer", "supervisor"})  # the bureau issues documents, so it corrects them


@dataclass
class LoadedCase:
    """A case row with its deadlines and documents, read under the case's row lock."""

    row: dict[str, Any]
    proc: Procedure
    deadlines: list[dict[str, Any]]
    documents: list[dict[str, Any]]
    agencies: list[str]  # the owner first, then the parties
    new_history: list[dict[str, Any]] = field(default_factory=list)
    calendar_revision: tuple[int, int] | None = None  # as read with the case (CalendarStore.current)


class Engine:
    def __init__(self, db: Database, registry: Registry, *, clock: Clock, templates: Templates,
                 calendars: CalendarStore | None = None) -> None:
        self.db = db
        self.registry = registry
        self.clock = clock
        self.templates = templates
        self.calendars = calendars or CalendarStore()

    # --- public operations ----------------------------------------------------------------

    def open_case(self, actor: Actor, *, procedure: str, agency: str, title: str,
                  data: Mapping[str, Any] | None = None, occurred_at: datetime | None = None,
                  idempotency_key: str | None = None) -> dict[str, Any]:
        """Opens a case for a person or system; raises an XsflowError and changes nothing when refused."""
        now = self.clock.now()
        request = {"op": "open", "procedure": procedure, "agency": agency, "title": title,
                   "data": data or {}, "occurred_at": instant(occurred_at)}
        with self.db.write() as conn:
            replay = self._replay(conn, actor, idempotency_key, request)
            if replay is not None:
                return replay
            view = self.open_in(conn, actor, procedure=procedure, agency=agency, title=title, data=data,
                                occurred=self.occurred(occurred_at, now), now=now)
            self._remember(conn, actor, idempotency_key, request, 201, view)
            return view

    def open_in(self, conn: Connection, actor: Actor, *, procedure: str, agency: str, title: str,
                data: Mapping[str, Any] | None, occurred: datetime, now: datetime,
                correlation_key: str | None = None) -> dict[str, Any]:
        """Opens a case inside `conn`: the case row, its parties, the first history entry, its deadlines."""
        proc = self.registry.current(procedure, local_date(occurred))
        check_may_open(actor, proc, agency)
        data = dict(data or {})
        if correlation_key is not None:
            data.setdefault(proc.correlation_field, correlation_key)
        data = _validated_data(proc, data)
        problems: dict[str, list[str]] = {}
        parties = list(dict.fromkeys(data.get(proc.parties_field, []))) if proc.parties_field else []
        known = dict(conn.execute(select(agencies.c.code, agencies.c.name)
                                  .where(agencies.c.code.in_([agency, *parties]))).all())
        if agency not in known:
            problems["agency"] = [f"没有代码为“{agency}”的单位，请从单位名录中选择。"]
        unknown = [p for p in parties if p not in known]
        if unknown:
            problems[f"data.{proc.parties_field}"] = [f"没有代码为“{'、'.join(unknown)}”的单位。"]
        elif proc.min_parties and len({agency, *parties}) < proc.min_parties:
            problems[f"data.{proc.parties_field}"] = [
                f"“{proc.title}”须有{proc.min_parties}个以上单位参加：除本单位外，还须列出至少{proc.min_parties - 1}个其他单位。"]
        if not title or not title.strip():
            problems["title"] = ["请填写案件名称（如规范性文件草案名称）。"]
        value = correlation_key if correlation_key is not None else data.get(proc.correlation_field)
        key = proc.correlation_key(agency, value)
        taken = correlation.case_with_key(conn, proc, key)
        if taken is not None:
            problems[f"data.{proc.correlation_field}"] = [
                correlation.duplicate_text(proc, known.get(agency, agency), value, taken)]
        if problems:
            raise InvalidPayload("立案信息有误，请逐项修改。", problems)
        if value is not None:
            data[proc.correlation_field] = value
        row = {
            "procedure": proc.name, "definition_version": proc.version, "agency_code": agency,
            "title": title.strip(), "state": proc.initial, "closed": False, "version": 1, "data": data,
            "correlation_key": key, "opened_at": occurred,
            "last_occurred_at": occurred, "history_seq": 0, "history_hash": GENESIS,
        }
        # The check above cannot see a case that a concurrent request is opening under the same key;
        # the unique key can. ON CONFLICT waits for that request and answers as the check would
        # (the other request has committed by then, so its case is found).
        row["id"] = conn.execute(correlation.insert_case_statement(conn.dialect.name), row).scalar()
        if row["id"] is None:
            raise InvalidPayload("立案信息有误，请逐项修改。", {f"data.{proc.correlation_field}": [
                correlation.duplicate_text(proc, known[agency], value, correlation.case_with_key(conn, proc, key))]})
        others = [p for p in parties if p != agency]
        if others:
            conn.execute(insert(case_agencies), [{"case_id": row["id"], "agency_code": p} for p in others])
        case = LoadedCase(row, proc, [], [], [agency, *others])
        self._append_history(conn, case, trigger="open", actor=actor, payload={"title": row["title"], "data": data},
                             source=None, dest=proc.initial, occurred=occurred, now=now)
        self._start_deadlines(conn, case, proc.deadlines_entered(None, proc.initial), occurred, data)
        conn.execute(update(cases).where(cases.c.id == row["id"]).values(
            history_seq=row["history_seq"], history_hash=row["history_hash"]))
        return case_view(case.row, proc, case.deadlines, case.documents, actor, case.agencies[1:], now)

    def fire(self, actor: Actor, case_id: int, trigger: str, payload: Mapping[str, Any] | None = None, *,
             occurred_at: datetime | None = None, expected_version: int | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """Fires `trigger` on a case for a person or system; raises an XsflowError and changes nothing when refused."""
        now = self.clock.now()
        occurred = self.occurred(occurred_at, now)
        payload = dict(payload or {})
        request = {"op": "fire", "case": case_id, "trigger": trigger, "payload": payload,
                   "occurred_at": instant(occurred_at), "version": expected_version}
        with self.db.write() as conn:
            replay = self._replay(conn, actor, idempotency_key, request)
            if replay is not None:
                return replay
            case = self.load_case(conn, case_id, lock=True)
            view = self._fire_loaded(conn, case, actor, trigger, payload, occurred, now, expected_version)
            self._remember(conn, actor, idempotency_key, request, 200, view)
            return view

    def fire_by_key(self, conn: Connection, actor: Actor, *, procedure: str, correlation_key: str, trigger: str,
                    payload: Mapping[str, Any], occurred_at: datetime | None) -> dict[str, Any]:
        """Fires on the one case of `procedure` whose correlation key matches, inside `conn` (for a
        procedure correlated while open: the subject's open case)."""
        now = self.clock.now()
        occurred = self.occurred(occurred_at, now)
        proc = self.registry.versions(procedure)[-1]  # 404 naming the known procedures
        ids = conn.execute(select(cases.c.id).where(cases.c.procedure == procedure,
                                                    cases.c.correlation_key == correlation_key)).scalars().all()
        if not ids:
            raise NotFound(correlation.no_case_text(proc, correlation_key), correlation_key=correlation_key)
        case = self.load_case(conn, ids[0], lock=True)
        return self._fire_loaded(conn, case, actor, trigger, dict(payload), occurred, now, None)

    # --- loading --------------------------------------------------------------------------

    def load_case(self, conn: Connection, case_id: int, *, lock: bool = False) -> LoadedCase:
        key = {"case_id": case_id}
        if lock and conn.dialect.name != "sqlite":
            _LOCK_CASE.tuples(conn, key)
        found = _CASE.tuples(conn, key)
        if not found:
            raise NotFound(f"没有编号为 {case_id} 的案件。", case_id=case_id)
        first = found[0]
        row = dict(zip(_CASE_KEYS, first))
        revision = (first[_REVISION_AT], first[_REVISION_AT + 1])
        dls = [dict(zip(_DEADLINE_KEYS, r[_DEADLINE_AT:])) for r in found if r[_DEADLINE_AT] is not None]
        proc = self.registry.get(row["procedure"], row["definition_version"])
        ds = _CASE_DOCUMENTS.rows(conn, key) if proc.documents else []
        parties = [] if proc.parties_field is None else [r["agency_code"] for r in _CASE_PARTIES.rows(conn, key)]
        return LoadedCase(row, proc, dls, ds, [row["agency_code"], *parties], calendar_revision=revision)

    # --- the transition -------------------------------------------------------------------

    def _fire_loaded(self, conn: Connection, case: LoadedCase, actor: Actor, trigger: str,
                     payload: dict[str, Any], occurred: datetime, now: datetime,
                     expected_version: int | None) -> dict[str, Any]:
        proc, row = case.proc, case.row
        # Checked first: a caller who may not see the case learns nothing of it, not even its triggers.
        actor.check_sees(case.agencies)
        candidates = tuple(t for t in proc.transitions_for(trigger) if not t.automatic)
        if not candidates:
            known = "、".join(proc.triggers_from(row["state"])) or "无"
            raise TriggerNotAllowed(f"“{proc.title}”没有可由人工办理的“{trigger}”操作；当前可办理：{known}。",
                                    trigger=trigger, state=row["state"])
        check_may_fire(actor, proc, candidates, case.agencies)
        if expected_version is not None and expected_version != row["version"]:
            raise VersionConflict(
                f"案件已被他人更新（您看到的是第 {expected_version} 版，现在是第 {row['version']} 版），请刷新后重新办理。",
                case_id=row["id"], version=row["version"])
        payload = _acting(candidates[0], actor, _validated(candidates[0], payload), case.agencies)
        if occurred < row["last_occurred_at"]:
            raise InvalidPayload("发生时间早于本案上一事项。", {"occurred_at": [
                f"不能早于本案上一事项的发生时间（{local_text(row['last_occurred_at'])}）。"]})
        for d in case.deadlines:
            if d["status"] == "pending" and not d["service_level"] and d["lapses_at"] <= occurred:
                raise TriggerNotAllowed(
                    f"“{proc.deadline(d['name']).title}”已于{d['due_date']:%Y年%-m月%-d日}24时届满，"
                    f"不能再办理“{candidates[0].title}”；届满后的处理由系统依法自动进行。",
                    trigger=trigger, state=row["state"])
        step = self.registry.machine(proc).step(row["state"], trigger, row["data"], payload)
        _check_not_before(step.transition, row, occurred)
        self.apply(conn, case, step, actor=actor, payload=payload, occurred=occurred, now=now)
        return case_view(case.row, proc, case.deadlines, case.documents, actor, case.agencies[1:], now)

    def apply(self, conn: Connection, case: LoadedCase, step: Step, *, actor: Actor, payload: dict[str, Any],
              occurred: datetime, now: datetime, lapsed: dict[str, Any] | None = None) -> None:
        """Writes one step: data, deadlines, documents, history and the version bump."""
        row, proc, t = case.row, case.proc, step.transition
        old_version = row["version"]
        if t.effect is not None:
            row["data"] = t.effect(row["data"], payload)
        if t.unique is not None:
            correlation.check_unique(conn, proc, row, t, t.unique)
        started: list[dict[str, Any]] = []
        if step.changes_state or step.reenters:
            self._clear_overdue(conn, case, step)
            if step.changes_state:
                left, entered = proc.deadlines_left(step.source, step.dest), proc.deadlines_entered(step.source, step.dest)
            else:  # leaving and entering the same state starts its deadlines afresh (a yearly check);
                # a date held in the case data does not depend on the entry: it keeps running
                left = entered = [d for d in proc.deadlines_in(step.source) if d.on_date is None]
            self._close_deadlines(conn, case, {d.name for d in left}, t, occurred, now)
            started = self._start_deadlines(conn, case, entered, occurred, payload)
        entry = self._append_history(conn, case, trigger=t.trigger, actor=actor, payload=payload,
                                     source=step.source, dest=step.dest, occurred=occurred, now=now)
        issued_before = len(case.documents)
        if t.issues:
            self._issue_documents(conn, case, t, payload, started, lapsed, entry, now)
        if t.opens is not None:
            self._open_followups(conn, case, t, payload, actor, occurred, now, case.documents[issued_before:])
        row["state"], row["last_occurred_at"] = step.dest, occurred
        row["closed"] = proc.state(step.dest).terminal
        if row["closed"] and proc.correlation_while_open:
            row["correlation_key"] = None  # given up for the subject's next case
        self._save(conn, case, old_version)

    def _open_followups(self, conn: Connection, case: LoadedCase, t: Transition, payload: dict[str, Any],
                        actor: Actor, occurred: datetime, now: datetime, issued: list[dict[str, Any]]) -> None:
        """Opens the follow-up cases a transition declares, in its transaction: all of them or none."""
        assert t.opens is not None
        origin = {"case_id": case.row["id"], "title": case.row["title"],
                  "documents": [{"kind": d["kind"], "number": d["number"]} for d in issued]}
        for spec in t.opens(case.row["data"], payload, origin):
            self.open_in(conn, actor, procedure=spec["procedure"], agency=spec["agency"], title=spec["title"],
                         data=spec["data"], occurred=occurred, now=now)

    def _save(self, conn: Connection, case: LoadedCase, old_version: int) -> None:
        """Writes the case row with the next version, if nobody else wrote it since it was read."""
        row = case.row
        row["version"] = old_version + 1
        matched = _BUMP_CASE.rowcount(conn, {
            "case_id": row["id"], "old_version": old_version, "state": row["state"], "closed": row["closed"],
            "version": row["version"], "data": row["data"], "last_occurred_at": row["last_occurred_at"],
            "history_seq": row["history_seq"], "history_hash": row["history_hash"],
            "correlation_key": row["correlation_key"]})
        if matched != 1:
            raise VersionConflict("案件刚被他人更新，请刷新后重新办理。", case_id=row["id"])

    # --- pieces of a step -----------------------------------------------------------------

    def _close_deadlines(self, conn: Connection, case: LoadedCase, left: set[str], t: Transition,
                         occurred: datetime, now: datetime) -> None:
        for d in case.deadlines:
            if d["status"] != "pending" or d["name"] not in left:
                continue
            lapse = case.proc.deadline(d["name"]).on_lapse == t.trigger
            late = d["lapses_at"] <= occurred  # a service level left after it ran out, before a sweep marked it
            status = "lapsed" if lapse or late else "cancelled" if t.cancels_deadlines else "met"
            _CLOSE_DEADLINE.run(conn, {"deadline_id": d["id"], "status": status, "overdue": lapse,
                                       "closed_at": now})
            d["status"], d["overdue"], d["closed_at"] = status, lapse, now

    def _clear_overdue(self, conn: Connection, case: LoadedCase, step: Step) -> None:
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

    def _start_deadlines(self, conn: Connection, case: LoadedCase, entered: list[Deadline],
                         occurred: datetime, payload: Mapping[str, Any]) -> list[dict[str, Any]]:
        if not entered:
            return []
        calendar = self.calendars.current(conn, case.calendar_revision)
        started = []
        for d in entered:
            row = deadline_row(calendar, case.row["id"], d, occurred, payload, case.row["data"])
            row["id"] = _INSERT_DEADLINE.insert_id(conn, row)
            case.deadlines.append(row)
            started.append(row)
        return started

    def _append_history(self, conn: Connection, case: LoadedCase, *, trigger: str, actor: Actor,
                        payload: dict[str, Any], source: str | None, dest: str, occurred: datetime,
                        now: datetime) -> dict[str, Any]:
        row = case.row
        entry = {
            "case_id": row["id"], "seq": row["history_seq"] + 1, "trigger": trigger, "actor": actor.name,
            "actor_role": actor.role, "payload": payload, "occurred_at": occurred, "recorded_at": now,
            "from_state": source, "to_state": dest, "prev_hash": row["history_hash"],
        }
        entry["hash"] = entry_hash(entry)
        _INSERT_HISTORY.run(conn, entry)
        row["history_seq"], row["history_hash"] = entry["seq"], entry["hash"]
        case.new_history.append(entry)
        return entry

    def _issue_documents(self, conn: Connection, case: LoadedCase, t: Transition, payload: dict[str, Any],
                         started: list[dict[str, Any]], lapsed: dict[str, Any] | None,
                         entry: dict[str, Any], now: datetime) -> None:
        guessed = [d for d in started + ([lapsed] if lapsed else []) if d["provisional"]]
        if guessed:
            d = guessed[0]
            raise CalendarNotLoaded(
                f"“{case.proc.deadline(d['name']).title}”的计算涉及尚未载入国务院节假日安排通知的年份，"
                f"届满日（暂按{d['due_date']:%Y年%-m月%-d日}推定）不能确定，不能据此出具法律文书。"
                "请系统管理员载入该年度的节假日安排通知（xsflow calendar load）后再办理。")
        # A person's act is dated when it took effect in the world; a lapse, when it is processed.
        dated = local_date(now if lapsed else entry["occurred_at"])
        calendar = self.calendars.current(conn, case.calendar_revision)
        names = dict(conn.execute(select(agencies.c.code, agencies.c.name)
                                  .where(agencies.c.code.in_(case.agencies))).all())
        agency = {"code": case.row["agency_code"], "name": names[case.row["agency_code"]]}
        common = {
            "case": {"id": case.row["id"], "title": case.row["title"], "procedure": case.proc.title,
                     "opened_on": local_date(case.row["opened_at"]).isoformat()},
            "recipient": dict(agency), "parties": [{"code": c, "name": names[c]} for c in case.agencies],
            "transition": t.title, "basis": str(t.basis),
            "occurred_on": local_date(entry["occurred_at"]).isoformat(), "issued_on": dated.isoformat(),
            "payload": payload, "data": case.row["data"],
            "deadlines_started": [deadline_facts(calendar, case.proc, d) for d in started],
            "deadline_lapsed": deadline_facts(calendar, case.proc, lapsed) if lapsed else None,
            "earlier_documents": [{"kind": d["kind"], "title": d["title"], "number": d["number"],
                                   "issued_on": d["facts"].get("issued_on") or local_date(d["issued_at"]).isoformat()}
                                  for d in case.documents],
        }
        for name in t.issues:
            kind = case.proc.document(name)
            facts = {**common, "document": {"kind": kind.name, "title": kind.title, "basis": str(kind.basis)}}
            if kind.facts is not None:
                facts.update(kind.facts(facts))
            facts["wording"] = self.templates.render(kind.template, facts, default_title=kind.title).as_json()
            doc = docs.issue(conn, case_id=case.row["id"], kind=kind, issued_at=now, year=dated.year,
                             legal_instant=lapsed["lapses_at"] if lapsed else None, facts=facts,
                             history_seq=entry["seq"])
            case.documents.append(doc)

    # --- corrections ----------------------------------------------------------------------

    def correct_document(self, actor: Actor, document_id: int, reason: str) -> dict[str, Any]:
        """Issues a correction: a new document of the same kind and a new number, naming the one it
        corrects; the issued one is never changed. Recorded in the case's history."""
        if actor.role not in CORRECTORS:
            raise Forbidden("只有县司法局审查人员或监督人员可以更正已出具的文书。")
        reason = (reason or "").strip()
        if not reason:
            raise InvalidPayload("请写明更正理由。", {"reason": ["必须填写更正理由。"]})
        now = self.clock.now()
        with self.db.write() as conn:
            case_id = conn.execute(select(documents.c.case_id).where(documents.c.id == document_id)).scalar()
            if case_id is None:
                raise NotFound(f"没有编号为 {document_id} 的文书。", document_id=document_id)
            case = self.load_case(conn, case_id, lock=True)
            actor.check_sees(case.agencies)
            old = next(d for d in case.documents if d["id"] == document_id)
            newer = next((d for d in case.documents if d["corrects_id"] == document_id), None)
            if newer is not None:
                raise TriggerNotAllowed(f"{old['number']}已由{newer['number']}更正；如需再次更正，请更正{newer['number']}。")
            kind = case.proc.document(old["kind"])
            dated = local_date(now)
            facts = {**old["facts"], "issued_on": dated.isoformat(),
                     "corrects": {"number": old["number"], "issued_on": old["facts"]["issued_on"], "reason": reason}}
            facts.pop("wording", None)
            wording = self.templates.render(kind.template, facts, default_title=kind.title)
            note = (f"本文书更正{old['number']}（{cn_date(old['facts']['issued_on'])}出具），原文书作废。"
                    f"更正理由：{reason}")
            facts["wording"] = replace(wording, notes=[*wording.notes, note]).as_json()
            state = case.row["state"]
            entry = self._append_history(conn, case, trigger="correct_document", actor=actor,
                                         payload={"document_id": document_id, "number": old["number"], "reason": reason},
                                         source=state, dest=state, occurred=now, now=now)
            doc = docs.issue(conn, case_id=case_id, kind=kind, issued_at=now, year=dated.year,
                             legal_instant=old["legal_instant"], facts=facts, history_seq=entry["seq"],
                             corrects_id=document_id)
            case.row["last_occurred_at"] = max(case.row["last_occurred_at"], now)
            self._save(conn, case, case.row["version"])
            return {**document_view(doc), "case_id": case_id, "agency": case.row["agency_code"],
                    "facts": facts, "corrects_id": document_id}

    # --- requests -------------------------------------------------------------------------

    def occurred(self, occurred_at: datetime | None, now: datetime) -> datetime:
        if occurred_at is None:
            return now
        if occurred_at.tzinfo is None:
            raise InvalidPayload("发生时间缺少时区。", {"occurred_at": ["请写明时区，例如 2025-03-03T10:00:00+08:00。"]})
        if occurred_at > now:
            raise InvalidPayload("发生时间不能晚于当前时间。", {"occurred_at": [
                f"{local_text(occurred_at)}晚于当前时间{local_text(now)}：只能登记已经发生的事项。"]})
        return occurred_at

    def _replay(self, conn: Connection, actor: Actor, key: str | None, request: dict[str, Any]) -> dict[str, Any] | None:
        """Claims an Idempotency-Key for this transaction, or returns the answer of the request that holds it.

        The claim is an insert: a concurrent request with the same key waits on the unique index
        until the first commits (then replays its answer) or rolls back (then goes ahead itself).
        """
        if key is None:
            return None
        if not key or len(key) > 200:
            raise BadRequest("Idempotency-Key 须为 1 至 200 个字符。")
        claimed = _claim_key_statement(conn.dialect.name).tuples(conn, {
            "scope": actor.scope, "key": key, "request_hash": _request_hash(request), "status": 0, "response": {},
            "created_at": self.clock.now()})
        if claimed:
            return None
        found = conn.execute(select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
            idempotency_keys.c.scope == actor.scope, idempotency_keys.c.key == key)).one()
        if found.request_hash != _request_hash(request):
            raise IdempotencyConflict(f"Idempotency-Key“{key}”已用于另一个不同的请求；请为新的请求使用新的键。")
        return found.response

    def _remember(self, conn: Connection, actor: Actor, key: str | None, request: dict[str, Any],
                  status: int, view: dict[str, Any]) -> None:
        if key is not None:
            _ANSWER_KEY.run(conn, {"key_scope": actor.scope, "key_value": key, "status": status,
                                   "response": view})


@functools.cache
def _claim_key_statement(dialect: str) -> Prepared:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect; values as parameters."""
    return Prepared(insert_or_skip(dialect, idempotency_keys).on_conflict_do_nothing(index_elements=["scope", "key"])
                    .returning(idempotency_keys.c.id),
                    ("scope", "key", "request_hash", "status", "response", "created_at"))


_ANSWER_KEY = Prepared(update(idempotency_keys).where(idempotency_keys.c.scope == bindparam("key_scope"),
                                                      idempotency_keys.c.key == bindparam("key_value")),
                       ("status", "response"))


def deadline_row(calendar: OfficialCalendar, case_id: int, d: Deadline, occurred: datetime,
                 payload: Mapping[str, Any], data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A new pending deadline counted from the local date of the event that started it."""
    start = local_date(occurred)
    if d.on_date is not None:  # a date the case data holds (after the entering transition's effect)
        value: Any = data or {}
        for part in d.on_date.split("."):
            value = value[part]
        period, kind, length = calendar.fixed_date(date.fromisoformat(str(value))), "fixed_date", 0
    elif d.fixed is not None:
        period, kind, length = calendar.fixed_date(d.fixed(start)), "fixed_date", 0
    else:
        if d.set_by is not None:
            length, kind = int(payload[d.set_by]), d.set_unit
        elif d.working_days is not None:
            length, kind = d.working_days, "working_days"
        else:
            length, kind = int(d.days or 0), "days"
        period = calendar.add_working_days(start, length) if kind == "working_days" else calendar.add_days(start, length)
    return {
        "case_id": case_id, "name": d.name, "period_kind": kind, "period": length, "start_date": start,
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


def local_text(value: datetime) -> str:
    from .calendar import SHANGHAI

    return value.astimezone(SHANGHAI).strftime("%Y年%-m月%-d日%H时%M分")


def _check_not_before(t: Transition, row: Mapping[str, Any], occurred: datetime) -> None:
    """Refuses an act dated before the first day its rule allows (e.g. a result published before the
    assessed year is over), on the act's local date."""
    rule = t.not_before
    if rule is None:
        return
    first, dated = rule.first_day(row["data"]), local_date(occurred)
    if dated < first:
        raise TriggerNotAllowed(
            f"“{t.title}”自{first:%Y年%-m月%-d日}起方可办理，本次办理日期为{dated:%Y年%-m月%-d日}："
            f"{rule.reason}（{rule.basis}）。", trigger=t.trigger, state=row["state"])


def _acting(t: Transition, actor: Actor, payload: dict[str, Any], agencies: list[str]) -> dict[str, Any]:
    """The payload with its acting agency (Transition.acting_agency): a clerk acts for its own agency
    only; the bureau names the agency it acts for. Either way one of the case's agencies."""
    name = t.acting_agency
    if name is None:
        return payload
    if not actor.county_wide:
        if payload.get(name) not in (None, actor.agency):
            raise Forbidden("只能以本单位名义办理，不能替其他单位办理。", agency=payload.get(name))
        payload = {**payload, name: actor.agency}
    if payload.get(name) not in agencies:
        raise InvalidPayload(f"“{t.title}”所附内容有误，请逐项修改。",
                             {name: ["请填写参与本案的单位代码（代哪一单位办理）。"]})
    return payload


def _validated_data(proc: Procedure, data: dict[str, Any]) -> dict[str, Any]:
    if proc.data is None:
        return data
    try:
        return proc.data().dump(proc.data().load(data))
    except ValidationError as err:
        raise InvalidPayload("立案信息有误，请逐项修改。", _flatten(err.messages, "data")) from None


def _validated(t: Transition, payload: dict[str, Any]) -> dict[str, Any]:
    if t.payload is None:
        if payload:
            raise InvalidPayload("该操作不需要附带内容。", {name: ["不认识的字段。"] for name in payload})
        return {}
    try:
        _schema(t.payload).load(payload)
    except ValidationError as err:
        raise InvalidPayload(f"“{t.title}”所附内容有误，请逐项修改。", _flatten(err.messages)) from None
    return payload


@functools.cache
def _schema(cls: type) -> Any:
    """One instance per payload schema: building a marshmallow schema deep-copies its fields,
    and `load` keeps no state between calls."""
    return cls()


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for k, v in messages.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def _request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


