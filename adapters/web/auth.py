"""Signing in and out: accounts of xsflow.users, a signed session cookie, and who is asking."""
from __future__ import annotations

import threading
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, flash, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface

from xsflow.access import Actor
from xsflow.users import User, get_user, sign_in

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


def current_user() -> User | None:
    """The signed-in person, or None; a session whose password was since reset is ended."""
    if "user" in g:
        return g.user
    user = None
    uid = session.get("uid")
    if uid is not None:
        with xs().db.read() as conn:
            user = get_user(conn, int(uid))
        if user is None or user.disabled or not user.session_matches(session.get("check")):
            session.clear()
            user = None
    g.user = user
    return user


def current_actor() -> Actor:
    user = current_user()
    assert user is not None, "signed_in views only"
    return user.actor


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_user() is None:
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            if target not in (None, "/"):  # a link to a page, not just the address of the site
                flash("请先登录。", "info")
            return redirect(url_for("web.login", next=target))
        return view(*args, **kwargs)
    return wrapper


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another host (an open redirect)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("web.todo")


@web.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user() is not None:
            return redirect(safe_next(request.args.get("next")))
        return render_template("web/login.html", next=request.args.get("next", ""), username="", error=None)
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    target = request.form.get("next", "")
    if not username or not password:
        return render_template("web/login.html", next=target, username=username,
                               error="请输入用户名和密码。"), 400
    x = xs()
    with x.db.write() as conn:  # a failed attempt is counted and kept
        result = sign_in(conn, username, password, x.clock.now())
    if result.user is None:
        return render_template("web/login.html", next=target, username=username, error=result.refusal), 401
    session.clear()
    session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME without a request
    session["uid"] = result.user.id
    session["check"] = result.user.session_check
    flash(f"欢迎，{result.user.display_name}。", "info")
    return redirect(safe_next(target))


@web.route("/logout", methods=["POST"])
def logout():
    session.clear()
    flash("您已退出登录。", "info")
    return redirect(url_for("web.login"))
