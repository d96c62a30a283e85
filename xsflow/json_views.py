"""JSON-ready views of cases, deadlines, documents and history, as the contract shapes them.

Pure functions over rows; the HTTP adapter sends them as they are, and an idempotent
replay returns the very same dict.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any

from . import private
from .access import Actor, may_fire
from .definitions import Procedure, unverified


def instant(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def deadline_view(row: Mapping[str, Any], proc: Procedure) -> dict[str, Any]:
    d = proc.deadline(row["name"])
    return {
        "id": row["id"], "name": row["name"], "title": d.title,
        "period": {"kind": row["period_kind"], "length": row["period"], "start_date": day(row["start_date"])},
        "due_date": day(row["due_date"]), "lapses_at": instant(row["lapses_at"]),
        "status": row["status"], "overdue": bool(row["overdue"]), "provisional": bool(row["provisional"]),
        "service_level": bool(row["service_level"]), "basis": row["basis"],
        # The period's own history: why it started, what it waits for, when and why it ended.
        "awaits_service": row.get("awaits_service") if row["status"] == "awaiting_service" else None,
        "reason": row.get("reason"), "ended_at": instant(row.get("ended_at")), "end_reason": row.get("end_reason"),
    }


def document_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "kind": row["kind"], "title": row["title"], "number": row["number"],
        "issued_at": instant(row["issued_at"]), "legal_instant": instant(row.get("legal_instant")),
        "basis": row["basis"],
    }


def available_triggers(proc: Procedure, state: str, actor: Actor | None, owner: str) -> list[str]:
    """What the caller may fire now: its role's triggers, of its side where a transition names one."""
    triggers = proc.triggers_from(state)
    if actor is None or actor.role == "admin":
        return triggers
    return [t for t in triggers if any(may_fire(actor, proc, tr, owner) for tr in proc.transitions_for(t))]


def case_view(case: Mapping[str, Any], proc: Procedure, deadlines: Sequence[Mapping[str, Any]],
              documents: Sequence[Mapping[str, Any]], actor: Actor | None,
              parties: Sequence[str] = (), now: datetime | None = None) -> dict[str, Any]:
    state = proc.state(case["state"])
    return {
        "id": case["id"], "procedure": case["procedure"], "procedure_title": proc.title,
        "definition_version": case["definition_version"], "agency": case["agency_code"],
        "parties": list(parties), "title": case["title"], "state": case["state"], "state_title": state.title,
        "closed": state.terminal, "version": case["version"],
        "data": private.case_data(proc, actor, case["agency_code"], case["data"]),
        "opened_at": instant(case["opened_at"]),
        # Past its lapse instant a deadline is overdue even before a sweep has marked it.
        "overdue": not state.terminal and any(
            d["overdue"] or (now is not None and d["status"] == "pending" and d["lapses_at"] <= now)
            for d in deadlines),
        # A period that runs from a document's service and waits for it (待送达): never overdue.
        "awaiting_service": not state.terminal and any(d["status"] == "awaiting_service" for d in deadlines),
        "deadlines": [deadline_view(d, proc) for d in deadlines],
        "available_triggers": (proc.reopenings_of(actor.role if actor and actor.role != "admin" else None, case["state"]) if state.terminal
                               else available_triggers(proc, case["state"], actor, case["agency_code"])),
        "documents": [document_view(d) for d in documents],
    }


def history_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "seq": row["seq"], "trigger": row["trigger"], "actor": row["actor"], "actor_role": row["actor_role"],
        "payload": row["payload"], "occurred_at": instant(row["occurred_at"]),
        "recorded_at": instant(row["recorded_at"]), "from_state": row["from_state"],
        "to_state": row["to_state"], "hash": row["hash"],
    }


def procedure_view(proc: Procedure) -> dict[str, Any]:
    """A definition as data: every state, transition, deadline and document with its basis."""
    return {
        "name": proc.name, "version": proc.version, "title": proc.title, "basis": str(proc.basis),
        "effective_from": day(proc.effective_from), "initial": proc.initial, "opened_by": sorted(proc.opened_by),
        "observers": sorted(proc.observers),  # read-only roles that see its cases
        "data": sorted(proc.data().fields) if proc.data else [], "parties_field": proc.parties_field,
        "correlation_field": proc.correlation_field, "opening_event": proc.opening_event,
        # Per agency the key other systems send is "<agency code>/<value>"; while open, it finds the open case only.
        "correlation_per_agency": proc.correlation_per_agency, "correlation_while_open": proc.correlation_while_open,
        # `verified` false: the article was cited from a summary, not checked against the published text
        "unverified": sum(1 for x in (proc, *proc.states, *proc.transitions, *proc.deadlines, *proc.documents)
                          if unverified(x.basis)),
        "states": [{"name": s.name, "title": s.title, "terminal": s.terminal, "basis": str(s.basis),
                    "verified": not unverified(s.basis)} for s in proc.states],
        "transitions": [{
            "trigger": t.trigger, "title": t.title, "sources": list(t.sources), "dest": t.dest or None,
            "roles": sorted(t.roles), "automatic": t.automatic, "issues": list(t.issues), "basis": str(t.basis),
            "guard": t.guard.refusal if t.guard else None,
            "not_before": f"{t.not_before.reason}（{t.not_before.basis}）" if t.not_before else None,
            "payload": sorted(t.payload().fields) if t.payload else [],
            "verified": not unverified(t.basis),
            # kinds whose number the county's OA assigns: the step carries it in payload.document_numbers
            "oa_numbered": [k for k in t.issues if (n := proc.document(k).numbering) is not None and n.from_oa],
            # the side whose staff fire it (the police, the transferring agency), None: any that sees the case
            "acting_side": t.acting_side,
            "acting_side_title": proc.sides[t.acting_side].title if t.acting_side in proc.sides else None,
        } for t in proc.transitions],
        "deadlines": [{
            "name": d.name, "title": d.title, "while_in": sorted(d.while_in),
            "period": d.period_text,
            "on_lapse": d.on_lapse, "service_level": d.service_level, "basis": str(d.basis),
            "from_service": list(d.from_service), "suspended_in": sorted(d.suspended_in),
            "verified": not unverified(d.basis),
        } for d in proc.deadlines],
        "documents": [{"kind": d.name, "title": d.title, "prefix": d.prefix, "basis": str(d.basis),
                       "verified": not unverified(d.basis),
                       "issuer": d.numbering.issuer.name if d.numbering else None,
                       "number_source": d.numbering.source if d.numbering else "xsflow", "sent_up": d.sent_up}
                      for d in proc.documents],
    }
