"""Idempotency-Key: a request sent again with the same key gets the first answer, and no second effect."""
from __future__ import annotations

import functools
import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from .access import Actor
from .audit import canonical_json
from .errors import BadRequest, IdempotencyConflict
from .store.db import Prepared, insert_or_skip
from .store.schema import idempotency_keys


def replay(conn: Connection, actor: Actor, key: str | None, request: dict[str, Any],
           now: datetime) -> dict[str, Any] | None:
    """Claims an Idempotency-Key for this transaction, or returns the answer of the request that holds it.

    The claim is an insert: a concurrent request with the same key waits on the unique index
    until the first commits (then replays its answer) or rolls back (then goes ahead itself).
    """
    if key is None:
        return None
    if not key or len(key) > 200:
        raise BadRequest("Idempotency-Key 须为 1 至 200 个字符。")
    claimed = _claim_statement(conn.dialect.name).tuples(conn, {
        "scope": actor.scope, "key": key, "request_hash": _request_hash(request), "status": 0, "response": {},
        "created_at": now})
    if claimed:
        return None
    found = conn.execute(select(idempotency_keys.c.request_hash, idempotency_keys.c.response).where(
        idempotency_keys.c.scope == actor.scope, idempotency_keys.c.key == key)).one()
    if found.request_hash != _request_hash(request):
        raise IdempotencyConflict(f"Idempotency-Key“{key}”已用于另一个不同的请求；请为新的请求使用新的键。")
    return found.response


def remember(conn: Connection, actor: Actor, key: str | None, status: int, view: dict[str, Any]) -> None:
    """Stores the answer under the key that `replay` claimed, in the same transaction."""
    if key is not None:
        _ANSWER.run(conn, {"key_scope": actor.scope, "key_value": key, "status": status, "response": view})


@functools.cache
def _claim_statement(dialect: str) -> Prepared:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect; values as parameters."""
    return Prepared(insert_or_skip(dialect, idempotency_keys).on_conflict_do_nothing(index_elements=["scope", "key"])
                    .returning(idempotency_keys.c.id),
                    ("scope", "key", "request_hash", "status", "response", "created_at"))


_ANSWER = Prepared(update(idempotency_keys).where(idempotency_keys.c.scope == bindparam("key_scope"),
                                                  idempotency_keys.c.key == bindparam("key_value")),
                   ("status", "response"))


def _request_hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()
