"""年度执法工作报告 (附件1 第六条) over HTTP: the bureau opens the year's reports of every agency at once."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from workflows.annual_report import FIRST_YEAR, LAST_YEAR, open_missing

from .routes import ApiBlueprint, caller, documented, xs
from xsflow.payloads import Payload

from .schemas import NoQuery, _when

blp = ApiBlueprint("annual_reports", __name__, url_prefix="/api/v1", description="年度执法工作报告")

OpenReports = Payload.from_dict({
    "year": fields.Integer(required=True, strict=True,
                           metadata={"description": f"报告年度（{FIRST_YEAR}–{LAST_YEAR}）"},
                           error_messages={"required": "必须填写报告年度。", "null": "不能为空值。",
                                           "invalid": "报告年度应为整数年份，如 2025。"}),
    "occurred_at": _when(load_default=None),
}, name="OpenAnnualReports")

Opened = Schema.from_dict({"agency": fields.String(), "case_id": fields.Integer()}, name="AnnualReportCase")
OpenedReports = Schema.from_dict({
    "year": fields.Integer(),
    "opened": fields.List(fields.Nested(Opened), metadata={"description": "本次新建的案件"}),
    "existing": fields.List(fields.Nested(Opened), metadata={"description": "此前已建立的案件（未作改动）"}),
}, name="OpenedAnnualReports")


@blp.route("/annual-reports")
class AnnualReports(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(OpenReports)
    @blp.response(200, OpenedReports)
    @documented(400, 401, 403, 413, 415, 422)
    def post(self, _query, body):
        """Opens the year's `annual_report` case of every agency that must report and has none yet.

        Repeating it opens nothing twice: agencies with a case for the year are listed as `existing`.
        Which agency kinds report is `workflows/service_levels/annual_report.toml`.
        """
        return open_missing(xs(), caller(), body["year"], body["occurred_at"])
