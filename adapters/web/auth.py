"""Signing in and out: accounts of xsflow.users, server-side sessions of xsflow.sessions, and who is asking.

Flask's signed cookie carries the session's random token (and the form tokens); whether it still
opens a session is decided by its `web_sessions` row at every request.
"""
from __future__ import annotations

import os
import threading
import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from flask import Flask, current_app, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from xsflow.access import Actor, in_scope
from xsflow.areas import with_area
from xsflow.sessions import SessionPolicy, end_session, find_session, start_session, touch
from xsflow.users import AddressThrottle, User, get_user, sign_in

from .blueprint import web, xs
from .secret import secret_key

_key_lock = threading.Lock()


def ensure_secret(app: Flask) -> None:
    """Reads (or creates) the signing key the first time a page needs it, not when the app is
    built, so the API alone never writes a key file."""
    if app.secret_key:
        return
    with _key_lock:
        if not app.secret_key:
            app.secret_key = secret_key()


class WebSessionInterface(SecureCookieSessionInterface):
    """Cookie sessions for the pages; the JSON API under /api/ takes bearer tokens and no cookie."""

    def open_session(self, app: Flask, request: Any):
        if request.path.startswith("/api/"):
            return None  # Flask then uses a null session, which is never saved
        ensure_secret(app)
        return super().open_session(app, request)


def _setting(name: str, default: int, low: int, high: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit() and low <= int(text) <= high):
        raise RuntimeError(f"环境变量 {name}={text!r} 无效：应为 {low} 至 {high} 之间的整数。")
    return int(text)


def configure(app: Flask) -> None:
    """Session timeouts and sign-in throttling, from the environment (docs/web.md), checked at start-up."""
    app.config["XSFLOW_SESSION_POLICY"] = SessionPolicy(
        idle=timedelta(minutes=_setting("XSFLOW_SESSION_IDLE_MINUTES", 30, 1, 24 * 60)),
        absolute=timedelta(hours=_setting("XSFLOW_SESSION_MAX_HOURS", 12, 1, 24 * 30)))
    app.config["XSFLOW_SIGN_IN_THROTTLE"] = AddressThrottle(
        failures=_setting("XSFLOW_SIGN_IN_ADDRESS_FAILURES", 20, 0, 10_000),
        window=timedelta(minutes=_setting("XSFLOW_SIGN_IN_ADDRESS_MINUTES", 15, 1, 24 * 60)))


def current_user() -> User | None:
    """The signed-in person, or None. A session that was ended (signed out elsewhere, password
    reset, account disabled, idle or too old) is cleared from the cookie too."""
    if "user" in g:
        return g.user
    user = None
    token = session.get("sid")
    if token is not None:
        x, policy = xs(), current_app.config["XSFLOW_SESSION_POLICY"]
        now = x.clock.now()
        with x.db.read() as conn:
            found = find_session(conn, token, now, policy)
            user = get_user(conn, found.user_id) if found is not None else None
        if user is None:
            session.clear()
            g.session_ended = True
        elif found.stale:  # at most once a minute: see xsflow.sessions.TOUCH_EVERY
            with x.db.write() as conn:
                touch(conn, token, now)
    g.user = user
    return user


def current_actor() -> Actor:
    user = current_user()
    assert user is not None, "signed_in views only"
    if "actor" not in g:
        with xs().db.read() as conn:
            g.actor = with_area(conn, user.actor)  # a township government's user: the teams of its area
        g.actor = in_scope(g.actor, current_app.extensions["xsflow"].registry)
    return g.actor


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            if g.get("session_ended"):
                flash("登录已失效（已退出、超时未操作、超过最长登录时间，或密码已重置），请重新登录。", "info")
            elif target not in (None, "/"):  # a link to a page, not just the address of the site
                flash("请先登录。", "info")
            return redirect(url_for("web.login", next=target))
        return view(*args, **kwargs)
    return wrapper


def _plain(text: str) -> bool:
    return not any(c.isspace() or c == "\\" or unicodedata.category(c).startswith("C") for c in text)


def local_path(target: str | None) -> str | None:
    """`target` as a path of this site, or None. Browsers drop tabs and line breaks inside an
    address and read a backslash as a slash, so "/%09/evil.example" (a tab) would leave the site: any
    whitespace, control character or backslash, even %-encoded, refuses the target rather than
    being cleaned up."""
    if not target or not (_plain(target) and _plain(unquote(target))):  # "%09" too: never decoded twice
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or parts.path.startswith("//"):
        return None
    # Re-quoted, so the Location header is plain ASCII; what was already %-encoded stays as it was.
    return urlunsplit(("", "", quote(parts.path, safe="/%:@!$&'()*+,;="),
                       quote(parts.query, safe="=&%:@!$'()*+,;/?"), ""))


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site, else 待办 (never another host)."""
    return local_path(target) or url_for("web.todo")


@web.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("web/login.html", next=local_path(request.args.get("next")) or "", username="",
                               error=None)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = local_path(request.form.get("next")) or ""
    if not username or not password:
        return render_template("web/login.html", next=target, username=username,
                               error="请输入用户名和密码。"), 400
    x = xs()
    now = x.clock.now()
    with x.db.write() as conn:  # a failed attempt is counted and kept
        result = sign_in(conn, username, password, now, address=request.remote_addr,
                         throttle=current_app.config["XSFLOW_SIGN_IN_THROTTLE"])
        token = start_session(conn, result.user.id, now, current_app.config["XSFLOW_SESSION_POLICY"]) \
            if result.user is not None else None
    if result.user is None:
        return render_template("web/login.html", next=target, username=username, error=result.refusal), \
            429 if result.throttled else 401
    session.clear()
    session.permanent = True  # the cookie outlives the browser window; the server decides when it ends
    session["sid"] = token
    flash(f"欢迎，{result.user.display_name}。", "info")
    return redirect(safe_next(target))


@web.route("/logout", methods=["POST"])
def logout():
    x = xs()
    with x.db.write() as conn:  # the session's row is revoked: a copy of the cookie opens nothing
        end_session(conn, session.get("sid"), x.clock.now())
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("web.login"))
