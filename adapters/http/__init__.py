"""The Flask application: the JSON API under /api/v1 with its OpenAPI document."""
from __future__ import annotations

from flask import Flask, request
from flask_smorest import Api

from xsflow.errors import BadRequest
from xsflow.system import Xsflow
from adapters.compose import open_system

from ..web.pages import init_web
from . import annual_reports, assessments, audit_log, case_files, certificates, document_numbers, errors, liaison, register, service, statistics
from .links import LinksPlugin
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
    app.extensions["xsflow"] = system or open_system(database_url)
    app.url_map.converters["id"] = IdConverter  # before any blueprint adds a rule that uses it
    smorest = XsflowApi(app, spec_kwargs={"components": {"securitySchemes": {
        "bearer": {"type": "http", "scheme": "bearer"}}}, "security": [{"bearer": []}],
        "extra_plugins": [LinksPlugin()]})
    for blueprint in (api, register.blp, certificates.blp, annual_reports.blp, case_files.blp, statistics.blp,
                      liaison.blp, service.blp, document_numbers.blp, assessments.blp, audit_log.blp):
        smorest.register_blueprint(blueprint)
    init_web(app)

    @app.before_request
    def whole_body_within_limit():
        # A chunked body has no Content-Length for Werkzeug to check up front: it reads up to the
        # limit and stops, so an over-long body would arrive cut short (a 400 for malformed JSON, or
        # a truncated form). Reading one byte past the limit raises the 413 it is.
        if request.content_length is None and request.environ.get("wsgi.input_terminated"):
            request.get_data(cache=True)
            request.stream.read(1)

    @app.before_request
    def refuse_unstorable_query():
        # For the pages too: a NUL in a filter would reach PostgreSQL, which cannot hold it, as a 500.
        for name, value in request.args.items(multi=True):
            if not (storable(name) and storable(value)):
                raise BadRequest(f"查询参数 {shown(name)} 含有空字符或无法编码的字符，未予办理。")

    return app
