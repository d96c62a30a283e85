"""行政执法统计 over HTTP: open a period for every agency, see and export the county totals."""
from __future__ import annotations

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import Schema, fields

from xsflow.payloads import Payload

from ..statistics import ACT_TYPES, csv_lines, open_period, totals
from .routes import ApiBlueprint, caller, documented, xs
from .schemas import NoQuery, Query, page_of

blp = ApiBlueprint("statistics", __name__, url_prefix="/api/v1", description="行政执法统计")

PeriodIn = Payload.from_dict({"period": fields.String(required=True, error_messages={
    "required": "请写明统计期间 period，例如 2026-Q1。", "null": "请写明统计期间 period，例如 2026-Q1。",
    "invalid": "统计期间应为文字，例如 2026-Q1。"}, metadata={
    "description": "统计期间，按运营配置的报送周期书写：2026-03、2026-Q1、2026-H1 或 2026"}),
    "occurred_at": fields.AwareDateTime(metadata={"description": "布置报送的时间，默认现在；不能晚于现在"},
                                        error_messages={"invalid": "时间格式应为 ISO 8601，例如 2026-04-01T09:00:00+08:00。",
                                                        "invalid_awareness": "请写明时区，例如 +08:00。"})},
    name="StatisticsPeriodIn")
PeriodOut = Schema.from_dict({"period": fields.String(), "due_date": fields.String(metadata={"format": "date"}),
                              "opened": fields.Integer(), "already_open": fields.Integer(),
                              "case_ids": fields.List(fields.Integer())}, name="StatisticsPeriodOut")
TotalsQuery = Query.from_dict({"period": fields.String(metadata={"description": "只看这一统计期间"})},
                              name="StatisticsTotalsQuery")
Total = Schema.from_dict({
    "period": fields.String(), "agencies_expected": fields.Integer(), "agencies_filed": fields.Integer(),
    "agencies_overdue": fields.Integer(),
    "counts": fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "已报送数据之和：" + "、".join(f"{k}（{v}）" for k, v in ACT_TYPES.items())}),
}, name="StatisticsTotal")
TotalsOut = page_of(Total, "StatisticsTotals")


@blp.route("/statistics/periods")
class Periods(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(PeriodIn)
    @blp.response(201, PeriodOut)
    @documented(400, 401, 403, 422)
    def post(self, _query, body):
        """Opens the period's statistics case for every enforcement agency and township team that has none
        (《秀山自治县行政执法监督制度》第35条第（七）项); the due date follows the operator's schedule."""
        return open_period(xs(), caller(), body["period"], occurred=body.get("occurred_at"))


@blp.route("/statistics/totals")
class Totals(MethodView):
    @blp.arguments(TotalsQuery, location="query")
    @blp.response(200, TotalsOut)
    @documented(400, 401, 403)
    def get(self, args):
        """The county totals per period: one aggregate query over the agencies' filed reports."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return {"items": totals(conn, actor, args.get("period")), "next": None}


@blp.route("/statistics/totals.csv")
class TotalsCsv(MethodView):
    @blp.response(200, description="The totals as CSV (UTF-8 with BOM)", content_type="text/csv")
    @blp.arguments(TotalsQuery, location="query")
    @documented(400, 401, 403)
    def get(self, args):
        """The same totals as CSV (UTF-8 with BOM), streamed."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            rows = totals(conn, actor, args.get("period"))
        return Response(stream_with_context(csv_lines(rows)), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=enforcement-statistics.csv"})
