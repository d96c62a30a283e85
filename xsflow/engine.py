"""Opening cases and firing transitions: each one database transaction, all of it or nothing.

A transition reads the case under a row lock, checks who may fire it and what it carries,
steps the shared machine, then in the same transaction closes and starts deadlines,
issues documents, appends the hash-chained history entry and bumps the case version.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, insert, select, update

from . import correlation, deadlines as deadline_rows, idempotency, issuing, numbering
from .access import Actor, check_may_fire, check_may_open
from .areas import government_of
from .audit import GENESIS, entry_hash
from .calendar import local_date
from .calendar_store import LAST_NOTICE_ID, NOTICE_COUNT, CalendarStore
from .clock import Clock
from .definitions import Procedure, Transition
from .errors import InvalidPayload, NotFound, TriggerNotAllowed, VersionConflict
from .json_views import case_view, instant
from .links import check_links
from .machine import Step
from .opening import check_dated, check_new_case
from .registry import Registry
from .store.db import Database, Prepared
from .store.schema import agencies, case_agencies, cases, deadlines, documents, history
from . import validation
from .validation import (DEFAULT_BACKDATING_DAYS, acting, check_after_last_event, check_not_before, validated_data,
                         validated_payload)
from .wording import Templates

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
_HAS_DOCUMENTS_AT = _REVISION_AT + 2  # then whether the case has documents: if not, they are not asked for
_DEADLINE_AT = _HAS_DOCUMENTS_AT + 1  # then the deadline's (NULL when the case has none)
_CASE = Prepared(
    select(*cases.c, NOTICE_COUNT.label("calendar_notices"), LAST_NOTICE_ID.label("calendar_last_notice"),
           exists().where(documents.c.case_id == cases.c.id).label("has_documents"),
           *(c.label(f"deadline_{c.key}") for c in deadlines.c))
    .select_from(cases.outerjoin(deadlines, deadlines.c.case_id == cases.c.id))
    .where(cases.c.id == bindparam("case_id")).order_by(deadlines.c.id))
_LOCK_CASE = Prepared(select(cases.c.id).where(cases.c.id == bindparam("case_id")).with_for_update())
_CASE_DOCUMENTS = Prepared(select(documents).where(documents.c.case_id == bindparam("case_id"))
                           .order_by(documents.c.id))
_CASE_PARTIES = Prepared(select(case_agencies.c.agency_code).where(case_agencies.c.case_id == bindparam("case_id")))
# The same reads for a batch of cases the sweep has locked (xsflow/timers.py): one statement each.
_MANY = bindparam("case_ids", expanding=True)
_CASES = (select(*_CASE.statement.selected_columns)
          .select_from(cases.outerjoin(deadlines, deadlines.c.case_id == cases.c.id))
          .where(cases.c.id.in_(_MANY)).order_by(cases.c.id, deadlines.c.id))
_CASES_DOCUMENTS = select(documents).where(documents.c.case_id.in_(_MANY)).order_by(documents.c.id)
_CASES_PARTIES = (select(case_agencies.c.case_id, case_agencies.c.agency_code)
                  .where(case_agencies.c.case_id.in_(_MANY))
                  .order_by(case_agencies.c.case_id, case_agencies.c.agency_code))
_INSERT_HISTORY = Prepared(insert(history), ("case_id", "seq", "trigger", "actor", "actor_role", "payload",
                                            "occurred_at", "recorded_at", "from_state", "to_state", "prev_hash",
                                            "hash"))
_BUMP_CASE = Prepared(update(cases).where(cases.c.id == bindparam("case_id"),
                                          cases.c.version == bindparam("old_version")),
                      ("state", "closed", "version", "data", "last_occurred_at", "history_seq", "history_hash",
                       "correlation_key", "next_due"))


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
    agency_names: dict[str, str] | None = None  # of `agencies`, read with a batch (load_cases); else when issuing


class Engine:
    def __init__(self, db: Database, registry: Registry, *, clock: Clock, templates: Templates,
                 calendars: CalendarStore | None = None, backdating_days: int = DEFAULT_BACKDATING_DAYS,
                 served_at_issue: frozenset[str] = frozenset()) -> None:
        self.db = db
        self.registry = registry
        self.clock = clock
        self.templates = templates
        self.calendars = calendars or CalendarStore()
        self.backdating_days = backdating_days
        # Document kinds deemed served (electronically, through this system) when issued; "*": all.
        # Empty, the default: a period that runs from a service waits for the service to be recorded.
        self.served_at_issue = served_at_issue

    # --- public operations ----------------------------------------------------------------

    def open_case(self, actor: Actor, *, procedure: str, agency: str, title: str,
                  data: Mapping[str, Any] | None = None, occurred_at: datetime | None = None,
                  idempotency_key: str | None = None) -> dict[str, Any]:
        """Opens a case for a person or system; raises an XsflowError and changes nothing when refused."""
        now = self.clock.now()
        request = {"op": "open", "procedure": procedure, "agency": agency, "title": title,
                   "data": data or {}, "occurred_at": instant(occurred_at)}
        with self.db.write() as conn:
            replay = idempotency.replay(conn, actor, idempotency_key, request, now)
            if replay is not None:
                return replay
            view = self.open_in(conn, actor, procedure=procedure, agency=agency, title=title, data=data,
                                occurred=self.occurred(occurred_at, now), now=now, dated=occurred_at is not None)
            idempotency.remember(conn, actor, idempotency_key, 201, view)
            return view

    def open_in(self, conn: Connection, actor: Actor, *, procedure: str, agency: str, title: str,
                data: Mapping[str, Any] | None, occurred: datetime, now: datetime,
                correlation_key: str | None = None, dated: bool = True) -> dict[str, Any]:
        """Opens a case inside `conn`: the case row, its parties, the first history entry, its deadlines.
        `dated` False: the caller gave no occurred_at (refused when the procedure is `dated_by` one)."""
        proc = self.registry.current(procedure, local_date(occurred))
        check_may_open(actor, proc, agency)
        check_dated(proc, dated)
        data = dict(data or {})
        if correlation_key is not None:
            data.setdefault(proc.correlation_field, correlation_key)
        data = validated_data(proc, data, actor.role)
        check_links(conn, self.registry, actor, proc.links, data, data, {}, prefix="data.",
                    message="立案信息有误，请逐项修改。")
        parties = list(dict.fromkeys(data.get(proc.parties_field, []))) if proc.parties_field else []
        known = dict(conn.execute(select(agencies.c.code, agencies.c.name)
                                  .where(agencies.c.code.in_([agency, *parties]))).all())
        value = correlation_key if correlation_key is not None else data.get(proc.correlation_field)
        key = proc.correlation_key(agency, value)
        taken = correlation.case_with_key(conn, proc, key)
        duplicate = None if taken is None else correlation.duplicate_text(
            proc, known.get(agency, agency), value, taken if correlation.visible(conn, actor, taken) else None)
        problems = check_new_case(proc, agency=agency, title=title, parties=parties, known=known, duplicate=duplicate)
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
            taken = correlation.case_with_key(conn, proc, key)
            shown = taken if correlation.visible(conn, actor, taken) else None
            raise InvalidPayload("立案信息有误，请逐项修改。", {f"data.{proc.correlation_field}": [
                correlation.duplicate_text(proc, known[agency], value, shown)]})
        others = [p for p in parties if p != agency]
        if proc.subject_field is not None:  # the concerned agency's township government sees the case
            government = government_of(conn, data.get(proc.subject_field))
            if government is not None and government not in (agency, *others):
                others.append(government)
        if others:
            conn.execute(insert(case_agencies), [{"case_id": row["id"], "agency_code": p} for p in others])
        case = LoadedCase(row, proc, [], [], [agency, *others])
        self.append_history(conn, case, trigger="open", actor=actor, payload={"title": row["title"], "data": data},
                             source=None, dest=proc.initial, occurred=occurred, now=now)
        self._start_deadlines(conn, case, proc.deadlines_entered(None, proc.initial), occurred, data)
        row["next_due"] = deadline_rows.next_due(case.deadlines)
        conn.execute(update(cases).where(cases.c.id == row["id"]).values(
            history_seq=row["history_seq"], history_hash=row["history_hash"], next_due=row["next_due"]))
        return case_view(case.row, proc, case.deadlines, case.documents, actor, case.agencies[1:], now)

    def fire(self, actor: Actor, case_id: int, trigger: str, payload: Mapping[str, Any] | None = None, *,
             occurred_at: datetime | None = None, expected_version: int | None = None,
             idempotency_key: str | None = None) -> dict[str, Any]:
        """Fires `trigger` on a case for a person or system; raises an XsflowError and changes nothing when refused."""
        with self.db.write() as conn:
            return self.fire_in(conn, actor, case_id, trigger, payload, occurred_at=occurred_at,
                                expected_version=expected_version, idempotency_key=idempotency_key)

    def fire_in(self, conn: Connection, actor: Actor, case_id: int, trigger: str,
                payload: Mapping[str, Any] | None = None, *, occurred_at: datetime | None = None,
                expected_version: int | None = None, idempotency_key: str | None = None) -> dict[str, Any]:
        """`fire` inside `conn`, a write transaction of the caller's (e.g. the one its token was checked in)."""
        payload = dict(payload or {})
        request = {"op": "fire", "case": case_id, "trigger": trigger, "payload": payload,
                   "occurred_at": instant(occurred_at), "version": expected_version}
        replay = idempotency.replay(conn, actor, idempotency_key, request, self.clock.now())
        if replay is not None:
            return replay
        case = self.load_case(conn, case_id, lock=True)
        # Read under the lock: a request that waited for it is later than the one it waited for,
        # so "now" never falls before the last event that request recorded.
        now = self.clock.now()
        occurred = self.occurred(occurred_at, now)
        view = self._fire_loaded(conn, case, actor, trigger, payload, occurred, now, expected_version)
        idempotency.remember(conn, actor, idempotency_key, 200, view)
        return view

    def fire_by_key(self, conn: Connection, actor: Actor, *, procedure: str, correlation_key: str, trigger: str,
                    payload: Mapping[str, Any], occurred_at: datetime | None) -> dict[str, Any]:
        """Fires on the one case of `procedure` whose correlation key matches, inside `conn` (for a
        procedure correlated while open: the subject's open case)."""
        proc = self.registry.versions(procedure)[-1]  # 404 naming the known procedures
        ids = conn.execute(select(cases.c.id).where(cases.c.procedure == procedure,
                                                    cases.c.correlation_key == correlation_key)).scalars().all()
        if not ids:
            raise NotFound(correlation.no_case_text(proc, correlation_key), correlation_key=correlation_key)
        case = self.load_case(conn, ids[0], lock=True)
        now = self.clock.now()  # under the lock, as in `fire`
        return self._fire_loaded(conn, case, actor, trigger, dict(payload), self.occurred(occurred_at, now), now, None)

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
        ds = _CASE_DOCUMENTS.rows(conn, key) if proc.documents and first[_HAS_DOCUMENTS_AT] else []
        parties = [] if proc.parties_field is None and proc.subject_field is None else [r["agency_code"] for r in _CASE_PARTIES.rows(conn, key)]
        return LoadedCase(row, proc, dls, ds, [row["agency_code"], *parties], calendar_revision=revision)

    def load_cases(self, conn: Connection, case_ids: list[int]) -> list[LoadedCase]:
        """`load_case` for many cases at once (the sweep's batch, already locked), in `case_ids`' order;
        a case not found is left out."""
        found: dict[int, list] = {}
        for r in conn.execute(_CASES, {"case_ids": case_ids}):
            found.setdefault(r[0], []).append(r)
        ds: dict[int, list[dict[str, Any]]] = {}
        for d in conn.execute(_CASES_DOCUMENTS, {"case_ids": case_ids}).mappings():
            ds.setdefault(d["case_id"], []).append(dict(d))
        parties: dict[int, list[str]] = {}
        for case_id, code in conn.execute(_CASES_PARTIES, {"case_ids": case_ids}):
            parties.setdefault(case_id, []).append(code)
        owner = _CASE_KEYS.index("agency_code")
        codes = {rows[0][owner] for rows in found.values()}
        codes.update(code for party in parties.values() for code in party)
        names = dict(conn.execute(select(agencies.c.code, agencies.c.name).where(agencies.c.code.in_(codes))).all())
        loaded = []
        for case_id in case_ids:
            if case_id not in found:
                continue
            first = found[case_id][0]
            row = dict(zip(_CASE_KEYS, first))
            dls = [dict(zip(_DEADLINE_KEYS, r[_DEADLINE_AT:])) for r in found[case_id] if r[_DEADLINE_AT] is not None]
            proc = self.registry.get(row["procedure"], row["definition_version"])
            named = proc.parties_field is not None or proc.subject_field is not None  # as load_case reads them
            loaded.append(LoadedCase(row, proc, dls, ds.get(case_id, []) if proc.documents else [],
                                     [row["agency_code"], *(parties.get(case_id, []) if named else [])],
                                     calendar_revision=(first[_REVISION_AT], first[_REVISION_AT + 1]),
                                     agency_names=names))
        return loaded

    # --- the transition -------------------------------------------------------------------

    def _fire_loaded(self, conn: Connection, case: LoadedCase, actor: Actor, trigger: str,
                     payload: dict[str, Any], occurred: datetime, now: datetime,
                     expected_version: int | None) -> dict[str, Any]:
        proc, row = case.proc, case.row
        # Checked first: a caller who may not see the case learns nothing of it, not even its triggers.
        actor.check_sees(case.agencies, proc.name)
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
        oa_numbers = payload.get(numbering.FIELD)  # numbers the county's OA assigned (xsflow/numbering.py)
        payload = {k: v for k, v in payload.items() if k != numbering.FIELD}
        payload = acting(candidates[0], actor, validated_payload(candidates[0], payload, proc, actor.role),
                         case.agencies)
        supplier = self.registry.suppliers.get((proc.name, trigger))
        if supplier is not None:  # the record's part of the payload (e.g. the assessment's computed counts)
            payload = {**payload, **supplier(conn, actor, row, payload, now)}
        check_after_last_event(row, occurred)
        for d in case.deadlines:
            if d["status"] == "pending" and not d["service_level"] and d["lapses_at"] <= occurred:
                raise TriggerNotAllowed(
                    f"“{proc.deadline(d['name']).title}”已于{d['due_date']:%Y年%-m月%-d日}24时届满，"
                    f"不能再办理“{candidates[0].title}”；届满后的处理由系统依法自动进行。",
                    trigger=trigger, state=row["state"])
        step = self.registry.machine(proc).step(row["state"], trigger, row["data"], payload)
        numbers = numbering.given_numbers(oa_numbers, {k: proc.document(k) for k in step.transition.issues})
        check_not_before(step.transition, row, occurred)
        check_links(conn, self.registry, actor, step.transition.links, payload, row["data"], payload, prefix="",
                    message=f"“{step.transition.title}”所附内容有误，请逐项修改。")
        self.apply(conn, case, step, actor=actor, payload=payload, occurred=occurred, now=now, numbers=numbers)
        return case_view(case.row, proc, case.deadlines, case.documents, actor, case.agencies[1:], now)

    def apply(self, conn: Connection, case: LoadedCase, step: Step, *, actor: Actor, payload: dict[str, Any],
              occurred: datetime, now: datetime, lapsed: dict[str, Any] | None = None,
              numbers: dict[str, str] | None = None) -> None:
        """Writes one step: data, deadlines, documents, history and the version bump; `numbers`: the
        OA's numbers of the documents it issues, by kind, recorded with the step's payload."""
        row, proc, t = case.row, case.proc, step.transition
        old_version = row["version"]
        if t.effect is not None:
            row["data"] = t.effect(row["data"], payload)
        if t.unique is not None:
            correlation.check_unique(conn, proc, row, t, t.unique, actor)
        left: set[str] = set()
        suspended: set[str] = set()
        entered: list = []
        if step.changes_state or step.reenters:
            deadline_rows.clear_overdue(conn, case, step)
            if step.changes_state:
                left_now = proc.deadlines_left(step.source, step.dest)
                left = {d.name for d in left_now}
                suspended = {d.name for d in left_now if step.dest in d.suspended_in}
                entered = proc.deadlines_entered(step.source, step.dest)
            else:  # leaving and entering the same state starts its deadlines afresh (a yearly check);
                # a date held in the case data does not depend on the entry: it keeps running
                entered = [d for d in proc.deadlines_in(step.source) if d.on_date is None]
                left = {d.name for d in entered}
        if lapsed is not None:  # the lapse closes its deadline whatever the destination: else it fires again
            left.add(lapsed["name"])
        if left:
            deadline_rows.close(conn, case, left, t, occurred, now, suspended)
        started = self._start_deadlines(conn, case, entered, occurred, payload, t, step.source)
        if lapsed is not None:
            deadline_rows.check_restarted(proc, t, started, occurred)
        entry = self.append_history(conn, case, trigger=t.trigger, actor=actor,
                                     payload={**payload, numbering.FIELD: numbers} if numbers else payload,
                                     source=step.source, dest=step.dest, occurred=occurred, now=now)
        issued_before = len(case.documents)
        if t.issues:
            issuing.issue_documents(self, conn, case, t, payload, started, lapsed, entry, now, numbers)
        if t.opens is not None:
            self._open_linked(conn, case, t, actor, payload, occurred, now, case.documents[issued_before:])
        row["state"], row["last_occurred_at"] = step.dest, occurred
        row["closed"] = proc.state(step.dest).terminal
        if row["closed"] and proc.correlation_while_open:
            row["correlation_key"] = None  # given up for the subject's next case
        self.save(conn, case, old_version)

    def save(self, conn: Connection, case: LoadedCase, old_version: int) -> None:
        """Writes the case row with the next version, if nobody else wrote it since it was read."""
        row = case.row
        row["version"] = old_version + 1
        row["next_due"] = deadline_rows.next_due(case.deadlines)  # whatever the step did to them
        matched = _BUMP_CASE.rowcount(conn, {
            "case_id": row["id"], "old_version": old_version, "state": row["state"], "closed": row["closed"],
            "version": row["version"], "data": row["data"], "last_occurred_at": row["last_occurred_at"],
            "history_seq": row["history_seq"], "history_hash": row["history_hash"],
            "correlation_key": row["correlation_key"], "next_due": row["next_due"]})
        if matched != 1:
            raise VersionConflict("案件刚被他人更新，请刷新后重新办理。", case_id=row["id"])

    # --- pieces of a step -----------------------------------------------------------------

    def _open_linked(self, conn: Connection, case: LoadedCase, t: Transition, actor: Actor, payload: dict[str, Any],
                     occurred: datetime, now: datetime, issued: list[dict[str, Any]]) -> None:
        """Opens the cases the transition's rule requires (Transition.opens), in this transaction — all
        of them or none — and records them under `linked_cases` in this case's data. A case the rule
        opens in a role of its own is opened by the rule acting for the person who fired the step."""
        assert t.opens is not None
        origin = {"case_id": case.row["id"], "title": case.row["title"], "agency": case.row["agency_code"],
                  "documents": [{"kind": d["kind"], "number": d["number"]} for d in issued]}
        links = list(case.row["data"].get("linked_cases", []))
        for linked in t.opens(case.row["data"], payload, origin):
            opener = actor if linked.opened_as is None else Actor(
                name=f"{actor.name}（依{t.basis}）", role=linked.opened_as)
            view = self.open_in(conn, opener, procedure=linked.procedure, agency=linked.agency,
                                title=linked.title, data=linked.data, occurred=occurred, now=now)
            key = view["data"].get(self.registry.versions(linked.procedure)[-1].correlation_field)
            links.append({"procedure": linked.procedure, "case_id": view["id"], "key": key})
        case.row["data"] = {**case.row["data"], "linked_cases": links}

    def _start_deadlines(self, conn: Connection, case: LoadedCase, entered: list,
                         occurred: datetime, payload: Mapping[str, Any], t: Transition | None = None,
                         source: str | None = None) -> list[dict[str, Any]]:
        if not entered:
            return []
        calendar = self.calendars.current(conn, case.calendar_revision)
        return deadline_rows.start(conn, calendar, case, entered, occurred, payload, t, source,
                                   self.served_at_issue)

    def append_history(self, conn: Connection, case: LoadedCase, *, trigger: str, actor: Actor,
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

    # --- requests -------------------------------------------------------------------------

    def occurred(self, occurred_at: datetime | None, now: datetime) -> datetime:
        """When an act took effect (validation.occurred), within this engine's backdating window."""
        return validation.occurred(occurred_at, now, self.backdating_days)

    def correct_document(self, actor: Actor, document_id: int, reason: str, number: str | None = None) -> dict[str, Any]:
        """Issues a correction of an issued document (issuing.correct_document)."""
        return issuing.correct_document(self, actor, document_id, reason, number)
