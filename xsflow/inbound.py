"""Events posted by other systems, correlated to a case by key and made idempotent by event id.

Event ids are the sender's own: unique per issuing token (`Actor.scope`, by token id), so a repeat
is recognised, and answered, only for the token that sent the event first.

Every event is kept: an applied one so that a repeat returns the same answer without a
second transition, a refused one so that the operator sees what came in and why it failed.
A refused event may be sent again with the same id (say, once its case exists).
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import ValidationError, fields
from sqlalchemy import Connection, and_, select, update

from .access import Actor
from .engine import Engine
from .errors import IdempotencyConflict, InvalidPayload, XsflowError, http_status
from .payloads import Payload, case_title, line
from .store.db import insert_or_skip
from .store.schema import agencies, inbound_events


def post_event(engine: Engine, actor: Actor, *, event_id: str, procedure: str, correlation_key: str,
               trigger: str, payload: dict[str, Any] | None, occurred_at: datetime | None) -> dict[str, Any]:
    payload = payload or {}
    record = {"issuer": actor.scope, "sender": actor.name, "procedure": procedure, "correlation_key": correlation_key,
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
    try:
        opening = _OPENING.load(payload)
    except ValidationError as err:
        raise InvalidPayload(f"“{proc.title}”立案事件的内容有误。",
                             {f"payload.{k}": v for k, v in err.normalized_messages().items()}) from None
    now = engine.clock.now()
    occurred = engine.occurred(occurred_at, now)
    return engine.open_in(conn, actor, procedure=procedure, agency=opening["agency"], title=opening["title"],
                          data=opening["data"], occurred=occurred, now=now, correlation_key=correlation_key,
                          dated=occurred_at is not None)


class Opening(Payload):
    """The payload of a procedure's opening event: what `POST /cases` takes, less the procedure."""

    agency = line(agencies.c.code, required=True)
    title = case_title()
    data = fields.Dict(keys=fields.String(), load_default=dict, error_messages={"invalid": "应为 JSON 对象。"})


_OPENING = Opening()


def _claim(conn: Connection, event_id: str, record: dict[str, Any], now: datetime) -> Any:
    """The event's earlier delivery, locked; None for a first delivery, whose row is now held.

    The row is inserted first, as pending, so that a second delivery of the same event arriving at
    the same moment waits here (ON CONFLICT waits for the first transaction) and then finds the
    first one's outcome, instead of applying the event again. Nobody sees the pending row: it gets
    its outcome before this transaction commits.
    """
    claimed = conn.execute(insert_or_skip(conn.dialect.name, inbound_events).values(
        event_id=event_id, **record, outcome="pending", status=0, response={}, case_id=None, received_at=now,
    ).on_conflict_do_nothing(index_elements=["issuer", "event_id"]).returning(inbound_events.c.id)).scalar()
    if claimed is not None:
        return None
    return conn.execute(select(inbound_events).where(_same_event(record["issuer"], event_id))
                        .with_for_update()).mappings().one()


def _same_event(issuer: str, event_id: str):
    return and_(inbound_events.c.issuer == issuer, inbound_events.c.event_id == event_id)


def _keep(conn: Connection, event_id: str, record: dict[str, Any], outcome: str, status: int,
          response: dict[str, Any], case_id: int | None, now: datetime) -> None:
    values = {**record, "outcome": outcome, "status": status, "response": response, "case_id": case_id,
              "received_at": now}
    conn.execute(update(inbound_events).where(_same_event(record["issuer"], event_id)).values(**values))

