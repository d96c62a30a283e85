"""Server-side sessions of the web pages: a copied cookie stops working after 退出, a password reset
or a disabled account; idle and absolute timeouts on the injected clock; last_seen_at written at
most once a minute. The Flask app runs in-process on a FixedClock (the browser test of a copied
cookie is in tests/test_web.py)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.test_web import PASSWORD, signed_in, token_of, web  # noqa: F401  (the fixture)
from xsflow.sessions import SessionPolicy, find_session, start_session
from xsflow.store.schema import users, web_sessions
from xsflow.users import create_user, reset_password, set_disabled


def copy_of(app, client):
    """Another browser holding a copy of `client`'s session cookie."""
    other = app.test_client()
    other.set_cookie("xsflow_session", client.get_cookie("xsflow_session").value)
    return other


def is_signed_in(client) -> bool:
    r = client.get("/")
    return r.status_code == 200 and "退出" in r.text


def test_sign_out_ends_the_session_for_a_copied_cookie_too(web):
    """After 退出, a copy of the cookie taken while signed in is sent to the sign-in page."""
    client = signed_in(web, "zhang")
    copy = copy_of(web, client)
    assert is_signed_in(copy)
    client.post("/logout", data={"csrf_token": token_of(client.get("/").text)})
    assert not is_signed_in(client)
    r = copy.get("/cases")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login")
    assert "登录已失效" in copy.get(r.headers["Location"]).text


def test_password_reset_and_disabling_end_open_sessions(web, system, clock):
    """A password reset ends the sessions signed in before it; so does disabling the account."""
    li, zhang = signed_in(web, "li"), signed_in(web, "zhang")
    with system.db.write() as conn:
        reset_password(conn, "li", "Xinmima2025", clock.now())
        set_disabled(conn, "zhang", True, clock.now())
    assert not is_signed_in(li) and not is_signed_in(zhang)
    assert is_signed_in(signed_in(web, "wang"))


def test_idle_and_absolute_timeouts_follow_the_clock(web, clock):
    """Default 30 minutes idle: a request at 29 min keeps the session; 30 min of silence ends it. However busy, it ends 12 hours after signing in."""
    idle = signed_in(web, "zhang")
    start = clock.now()
    clock.move_to(start + timedelta(minutes=29))
    assert is_signed_in(idle)
    clock.move_to(start + timedelta(minutes=58, seconds=59))
    assert is_signed_in(idle)
    clock.move_to(start + timedelta(minutes=88, seconds=59))
    assert not is_signed_in(idle)

    clock.move_to(start)
    busy = signed_in(web, "li")
    for minutes in range(25, 12 * 60, 25):
        clock.move_to(start + timedelta(minutes=minutes))
        assert is_signed_in(busy), minutes
    clock.move_to(start + timedelta(hours=12))
    assert not is_signed_in(busy)


def test_timeouts_are_set_by_the_environment(system, monkeypatch, clock):
    """XSFLOW_SESSION_IDLE_MINUTES=5 ends a session after 5 quiet minutes; a value that is not a whole number stops the app at start-up with its name."""
    from adapters.http import create_app

    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("XSFLOW_SESSION_IDLE_MINUTES", "5")
    app = create_app(system)
    assert app.config["XSFLOW_SESSION_POLICY"] == SessionPolicy(idle=timedelta(minutes=5))
    with system.db.write() as conn:
        create_user(conn, username="li", display_name="李四", role="reviewer", agency=None, password=PASSWORD,
                    now=clock.now())
    client = signed_in(app, "li")
    clock.move_to(clock.now() + timedelta(minutes=5))
    assert not is_signed_in(client)
    monkeypatch.setenv("XSFLOW_SESSION_IDLE_MINUTES", "5.5")
    with pytest.raises(RuntimeError, match="XSFLOW_SESSION_IDLE_MINUTES"):
        create_app(system)


def test_last_seen_is_written_at_most_once_a_minute(web, system, clock):
    """Requests within a minute of the last recorded one write nothing; the first one after it records its time."""
    client = signed_in(web, "zhang")
    start = clock.now()

    def last_seen():
        with system.db.read() as conn:
            return conn.execute(select(web_sessions.c.last_seen_at)).scalar_one()

    for seconds in (10, 59):
        clock.move_to(start + timedelta(seconds=seconds))
        assert is_signed_in(client)
        assert last_seen() == start
    clock.move_to(start + timedelta(seconds=60))
    assert is_signed_in(client)
    assert last_seen() == start + timedelta(seconds=60)


def test_the_cookie_holds_a_token_the_database_does_not(system, clock):
    """The table keeps only the SHA-256 digest of the cookie's token: the token itself opens a session, its stored digest does not."""
    from tests.test_users import make

    user = make(system)
    with system.db.write() as conn:
        token = start_session(conn, user.id, clock.now(), SessionPolicy())
    with system.db.read() as conn:
        stored = conn.execute(select(web_sessions.c.id)).scalar_one()
        assert token not in stored and len(token) >= 43
        assert find_session(conn, token, clock.now(), SessionPolicy()).user_id == user.id
        assert find_session(conn, stored, clock.now(), SessionPolicy()) is None
        assert conn.execute(select(users.c.id)).scalar_one() == user.id
