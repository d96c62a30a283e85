"""The Flask application: the JSON API under /api/v1 with its OpenAPI document."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api

from xsflow.errors import BadRequest
from xsflow.system import Xsflow

from ..web.pages import init_web
from . import certificates, errors, liaison, register, statistics
from .routes import IdConverter, api
from .schemas import Error, shown, storable


class XsflowApi(Api):
    ERROR_SCHEMA = Error

    def _register_error_handlers(self) -> None:
        errors.register(self._app)


def create_app(system: Xsflow | None = None, *, database_url: str | None = None) -> Flask:
    app = Flask("xsflow")
    app.config.update(
        API_TITLE="xsflow — 秀山自治县行政执法监督工作流",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=1024 * 1024,
        JSON_AS_ASCII=False,
    )
    app.json.ensure_ascii = False  # Chinese stays readable in answers
    app.extensions["xsflow"] = system or Xsflow(database_url)
    app.url_map.converters["id"] = IdConverter  # before any blueprint adds a rule that uses it
    smorest = XsflowApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}]})
    for blueprint in (api, register.blp, certificates.blp, statistics.blp, liaison.blp):
        smorest.register_blueprint(blueprint)
    init_web(app)

    @app.before_request
    def refuse_unstorable_query():
        # For the pages too: a NUL in a filter would reach PostgreSQL, which cannot hold it, as a 500.
        for name, value in request.args.items(multi=True):
            if not (storable(name) and storable(value)):
                raise BadRequest(f"查询参数 {shown(name)} 含有空字符或无法编码的字符，未予办理。")

    @app.after_request
    def no_sniffing(response):
        # Text a caller sent may come back inside a JSON answer; a browser must never read it as a page.
        if request.path.startswith("/api/"):
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    return app
