"""Events posted by other systems, correlated to a case by key and made idempotent by event id.

Every event is kept: an applied one so that a repeat returns the same answer without a
second transition, a refused one so that the operator sees what came in and why it failed.
A refused event may be sent again with the same id (say, once its case exists).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update

from .access import Actor
from .engine import Engine
from .errors import IdempotencyConflict, InvalidPayload, XsflowError, http_status
from .store.db import insert_or_skip
from .store.schema import inbound_events


def post_event(engine: Engine, actor: Actor, *, event_id: str, procedure: str, correlation_key: str,
               trigger: str, payload: dict[str, Any] | None, occurred_at: datetime | None) -> dict[str, Any]:
    payload = payload or {}
    record = {"sender": actor.name, "procedure": procedure, "correlation_key": correlation_key,
              "trigger": trigger, "payload": payload}
    refused: XsflowError | None = None
    with engine.db.write() as conn:
        prior = _claim(conn, event_id, record, engine.clock.now())
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
        _keep(conn, event_id, record, outcome, status, response, case_id, engine.clock.now())
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


def _claim(conn: Connection, event_id: str, record: dict[str, Any], now: datetime) -> Any:
    """The event's earlier delivery, locked; None for a first delivery, whose row is now held.

    The row is inserted first, as pending, so that a second delivery of the same event arriving at
    the same moment waits here (ON CONFLICT waits for the first transaction) and then finds the
    first one's outcome, instead of applying the event again. Nobody sees the pending row: it gets
    its outcome before this transaction commits.
    """
    claimed = conn.execute(insert_or_skip(conn.dialect.name, inbound_events).values(
        event_id=event_id, **record, outcome="pending", status=0, response={}, case_id=None, received_at=now,
    ).on_conflict_do_nothing(index_elements=["event_id"]).returning(inbound_events.c.id)).scalar()
    if claimed is not None:
        return None
    return conn.execute(select(inbound_events).where(inbound_events.c.event_id == event_id)
                        .with_for_update()).mappings().one()


def _keep(conn: Connection, event_id: str, record: dict[str, Any], outcome: str, status: int,
          response: dict[str, Any], case_id: int | None, now: datetime) -> None:
    values = {**record, "outcome": outcome, "status": status, "response": response, "case_id": case_id,
              "received_at": now}
    conn.execute(update(inbound_events).where(inbound_events.c.event_id == event_id).values(**values))

