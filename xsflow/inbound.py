"""Events posted by other systems, correlated to a case by key and made idempotent by event id.

Every event is kept: an applied one so that a repeat returns the same answer without a
second transition, a refused one so that the operator sees what came in and why it failed.
A refused event may be sent again with the same id (say, once its case exists).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from .access import Actor
from .engine import Engine
from .errors import IdempotencyConflict, InvalidPayload, XsflowError, http_status
from .store.schema import inbound_events


def post_event(engine: Engine, actor: Actor, *, event_id: str, procedure: str, correlation_key: str,
               trigger: str, payload: dict[str, Any] | None, occurred_at: datetime | None) -> dict[str, Any]:
    payload = payload or {}
    record = {"sender": actor.name, "procedure": procedure, "correlation_key": correlation_key,
              "trigger": trigger, "payload": payload}
    refused: XsflowError | None = None
    with engine.db.write() as conn:
        prior = conn.execute(select(inbound_events).where(inbound_events.c.event_id == event_id)).mappings().first()
        if prior is not None and prior["outcome"] == "applied":
            if any(prior[k] != v for k, v in record.items()):
                raise IdempotencyConflict(f"事件编号“{event_id}”已用于另一个内容不同的事件；新事件请使用新的编号。")
            return prior["response"]
        try:
            with conn.begin_nested():
                view = _apply(engine, conn, actor, procedure=procedure, correlation_key=correlation_key,
                              trigger=trigger, payload=payload, occurred_at=occurred_at)
        except XsflowError as err:
            refused = err
            outcome, status, response = "rejected", http_status(err), {"error": {"code": err.code, "message": err.message}}
            case_id = None
        else:
            outcome, status, response, case_id = "applied", 200, view, view["id"]
        _keep(conn, prior, event_id, record, outcome, status, response, case_id, engine.clock.now())
    if refused is not None:
        raise refused
    return response


def _apply(engine: Engine, conn: Connection, actor: Actor, *, procedure: str, correlation_key: str, trigger: str,
           payload: dict[str, Any], occurred_at: datetime | None) -> dict[str, Any]:
    """Opens a case when the trigger is the procedure's opening event, else fires on the case of that key."""
    proc = engine.registry.versions(procedure)[-1]
    if proc.opening_event is None or trigger != proc.opening_event:
        return engine.fire_by_key(conn, actor, procedure=procedure, correlation_key=correlation_key,
                                  trigger=trigger, payload=payload, occurred_at=occurred_at)
    problems = {f"payload.{k}": ["必须填写。"] for k in ("agency", "title") if not payload.get(k)}
    unknown = set(payload) - {"agency", "title", "data"}
    problems.update({f"payload.{k}": ["不认识的字段，请删除。"] for k in sorted(unknown)})
    if problems:
        raise InvalidPayload(f"“{proc.title}”立案事件的内容有误。", problems)
    now = engine.clock.now()
    occurred = engine.occurred(occurred_at, now)
    return engine.open_in(conn, actor, procedure=procedure, agency=payload["agency"], title=payload["title"],
                          data=payload.get("data") or {}, occurred=occurred, now=now,
                          correlation_key=correlation_key)


def _keep(conn: Connection, prior: Any, event_id: str, record: dict[str, Any], outcome: str, status: int,
          response: dict[str, Any], case_id: int | None, now: datetime) -> None:
    values = {**record, "outcome": outcome, "status": status, "response": response, "case_id": case_id,
              "received_at": now}
    if prior is None:
        conn.execute(insert(inbound_events).values(event_id=event_id, **values))
    else:
        conn.execute(update(inbound_events).where(inbound_events.c.id == prior["id"]).values(**values))

