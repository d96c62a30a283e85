"""Signed-in browsers, held on the server so that they can be ended there.

The browser's cookie carries only a random token (256 bits); the `web_sessions` row is keyed by
its SHA-256 digest, so a copy of the database opens no session. A session ends when it is
revoked (signing out, a password reset, the account disabled), after `idle` without a request,
and `absolute` after signing in, whatever happens in between. Nothing here reads the clock.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, delete, insert, select, update

from .store.schema import users, web_sessions

# A request refreshes `last_seen_at` at most this often: on SQLite every write takes the one
# write lock, and a page view should not queue behind case transitions for a timestamp. The idle
# timeout is therefore exact to within this much (a session may end up to a minute early).
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(conn: Connection, user_id: int, now: datetime, policy: SessionPolicy) -> str:
    """A new session for `user_id`; the token to put in the cookie. Clears out sessions past any use."""
    conn.execute(delete(web_sessions).where(web_sessions.c.created_at < now - policy.absolute))
    token = secrets.token_urlsafe(32)
    conn.execute(insert(web_sessions).values(id=_digest(token), user_id=user_id, created_at=now,
                                             last_seen_at=now, revoked_at=None))
    return token


@dataclass(frozen=True)
class OpenSession:
    user_id: int
    stale: bool  # `last_seen_at` is older than TOUCH_EVERY: `touch` it


def find_session(conn: Connection, token: str | None, now: datetime, policy: SessionPolicy) -> OpenSession | None:
    """The session signed in with `token`, or None when it is unknown, revoked, idle too long,
    too old, or its account is disabled. Only reads, so a page view needs no write lock."""
    if not token:
        return None
    row = conn.execute(
        select(web_sessions, users.c.disabled_at).join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.id == _digest(token))).mappings().first()
    if (row is None or row["revoked_at"] is not None or row["disabled_at"] is not None
            or now >= row["last_seen_at"] + policy.idle or now >= row["created_at"] + policy.absolute):
        return None
    return OpenSession(row["user_id"], stale=now - row["last_seen_at"] >= TOUCH_EVERY)


def touch(conn: Connection, token: str, now: datetime) -> None:
    """Records a request in the session, which starts its idle time again."""
    conn.execute(update(web_sessions).where(web_sessions.c.id == _digest(token)).values(last_seen_at=now))


def end_session(conn: Connection, token: str | None, now: datetime) -> None:
    """Signing out: the session's row is revoked, so a copy of the cookie opens nothing either."""
    if token:
        conn.execute(update(web_sessions).where(and_(web_sessions.c.id == _digest(token),
                                                     web_sessions.c.revoked_at.is_(None))).values(revoked_at=now))


def end_sessions_of(conn: Connection, user_id: int, now: datetime) -> int:
    """Every open session of a user ends (password reset, account disabled); how many."""
    return conn.execute(update(web_sessions).where(and_(web_sessions.c.user_id == user_id,
                                                        web_sessions.c.revoked_at.is_(None)))
                        .values(revoked_at=now)).rowcount
