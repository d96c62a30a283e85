"""The web pages' blueprint and its setup on the Flask app."""
from __future__ import annotations

import os

from flask import Flask, Response, redirect, render_template, request, url_for
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from xsflow.errors import NotAuthenticated, XsflowError, http_status

from .auth import WebSessionInterface, configure, current_actor, current_user, ensure_secret
from .blueprint import web, xs
from .secret import secret_key
from .text import cn_date, cn_instant, iso_local, role_title

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
HTTP_TITLES = {400: "请求有误", 403: "无权访问", 404: "页面不存在", 405: "不支持的操作", 409: "无法办理",
               413: "提交的内容过大", 422: "内容有误", 500: "系统内部错误"}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

csrf = CSRFProtect()


def init_web(app: Flask) -> None:
    """Registers the web pages on `app` (sign-in, 待办, 逾期, case pages, calendar)."""
    configure(app)
    app.config.update(
        SESSION_COOKIE_NAME="xsflow_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("XSFLOW_SECURE_COOKIES", "") in ("1", "true", "yes"),
        # The cookie is kept no longer than a session can last; the server ends it sooner (xsflow.sessions).
        PERMANENT_SESSION_LIFETIME=app.config["XSFLOW_SESSION_POLICY"].absolute,
        # CSRF is checked below for every form outside /api/ (bearer tokens, no cookies, there).
        WTF_CSRF_CHECK_DEFAULT=False,
        WTF_CSRF_TIME_LIMIT=None,  # a form's token lives as long as the session
    )
    if os.environ.get("XSFLOW_SECRET_KEY"):
        app.secret_key = secret_key()  # a key that is given is checked at start-up
    app.session_interface = WebSessionInterface()
    hops = os.environ.get("XSFLOW_PROXY_HOPS", "0").strip()
    if hops != "0":  # behind N reverse proxies: the client address is the Nth from the right of X-Forwarded-For
        if not (hops.isascii() and hops.isdigit()):
            raise RuntimeError(f"环境变量 XSFLOW_PROXY_HOPS={hops!r} 无效：应为反向代理的层数（整数）。")
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=int(hops))  # type: ignore[method-assign]
    csrf.init_app(app)

    @app.before_request
    def check_csrf():
        if request.method in UNSAFE and not request.path.startswith("/api/"):
            ensure_secret(app)
            csrf.protect()

    from . import assessment_page, audit_log, auth, calendar_page, case_files, cases, meetings, numbers_page, overdue, register_page  # noqa: F401  (their routes join the blueprint)

    app.register_blueprint(web)
    app.jinja_env.filters.update(cn_date=cn_date, cn_instant=cn_instant, iso_local=iso_local, role_title=role_title)

    # Unknown addresses outside the API get a page; the API keeps its JSON answer.
    api_handler = app.error_handler_spec[None][None].get(HTTPException)

    app.after_request(headers)  # every answer of the app, errors raised before any view included

    @app.errorhandler(404)
    def not_found(err):
        if request.path.startswith("/api/") and api_handler is not None:
            return api_handler(err)
        return _error_page(404, "没有这个页面。请从上方菜单进入。")


def _error_page(status: int, message: str):
    return render_template("web/error.html", status=status, title=HTTP_TITLES.get(status, "出错了"),
                           message=message), status


@web.app_context_processor
def common():
    user = current_user() if request else None
    agency = None
    if user is not None and user.agency:
        from .cases import agency_names

        with xs().db.read() as conn:
            agency = agency_names(conn).get(user.agency, user.agency)
    warning, affected = _calendar_notice(user)
    return {"user": user, "user_agency": agency, "calendar_warning": warning, "provisional": affected}


# Those who can act on a missing holiday notice (the operator loads it; supervisors chase it)
# read the warning itself; the others see only their own cases that it affects.
WARNED_ROLES = frozenset({"admin", "supervisor"})


def _calendar_notice(user) -> tuple[str | None, tuple[int, list] | None]:
    if user is None:
        return None, None
    x = xs()
    warning = x.calendar_warning()
    if warning is None:
        return None, None
    if user.role in WARNED_ROLES:
        return warning, None
    from xsflow.provisional import provisional_cases

    actor = current_actor()  # scoped as the lists are: a township government's user, the teams of its area
    with x.db.read() as conn:
        total, first = provisional_cases(conn, actor)
    return None, ((total, first) if total else None)


def headers(response: Response) -> Response:
    """The same security headers on every answer: pages, their error pages, and the JSON API's."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers.setdefault("X-Frame-Options", "DENY")  # frame-ancestors, for browsers without CSP 2
    if not request.path.startswith("/web-static/"):
        response.headers["Cache-Control"] = "no-store"  # answers show cases: not for shared caches or history
    return response


@web.errorhandler(CSRFError)
def csrf_refused(err: CSRFError):
    return _error_page(400, "表单缺少有效的安全校验码（可能已过期，或不是从本系统页面提交的），未予办理。"
                            "请返回刷新页面后重新提交。")


@web.errorhandler(XsflowError)
def xsflow_refused(err: XsflowError):
    if isinstance(err, NotAuthenticated):
        return redirect(url_for("web.login"))
    return _error_page(http_status(err), err.message)


@web.errorhandler(HTTPException)
def http_refused(err: HTTPException):
    status = err.code or 500
    return _error_page(status, {404: "没有这个页面或对象。", 405: "该地址不支持此操作。",
                                413: "提交的内容过大。"}.get(status, err.description or "请求未被处理。"))
