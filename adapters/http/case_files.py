"""Closed case files for self-review (art. 24) over HTTP: the spreadsheet import and the self-review rate."""
from __future__ import annotations

import secrets

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from xsflow.errors import NotFound, TriggerNotAllowed
from xsflow.payloads import Payload
from xsflow.queries import get_case

from ..case_file_import import XLSX, import_case_files
from ..case_file_measures import facts as assessment_facts
from ..case_file_rates import population, self_review_rates
from .routes import ApiBlueprint, caller, documented, if_match, xs
from .schemas import NoQuery, Query

blp = ApiBlueprint("case_files", __name__, url_prefix="/api/v1", description="行政执法案卷评查")

IMPORT_LIMIT = 16 * 1024 * 1024  # a 20,000-row spreadsheet; other requests keep the 1 MB limit

ImportOut = Schema.from_dict({"imported": fields.Integer(metadata={"description": "登记的案卷数"})},
                             name="CaseFileImportOut")

RateQuery = Query.from_dict({
    "year": fields.Integer(required=True, validate=validate.Range(min=2000, max=2100, error="年份应在 2000 至 2100 之间。"),
                           error_messages={"invalid": "年份应为整数。", "required": "请写明年度 year。"},
                           metadata={"description": "办结年度（北京时间）"}),
    "agency": fields.String(metadata={"description": "单位代码；执法机构经办人员只能查询本单位"}),
}, name="SelfReviewRateQuery")

RateOut = Schema.from_dict({
    "agency": fields.String(), "agency_name": fields.String(), "year": fields.Integer(),
    "closed": fields.Integer(metadata={"description": "该年度办结并登记的案卷数"}),
    "due": fields.Integer(metadata={"description": "自我评查期限已届满或已评查的案卷数"}),
    "reviewed": fields.Integer(metadata={"description": "已自我评查的案卷数（含逾期评查）"}),
    "reviewed_late": fields.Integer(), "overdue": fields.Integer(metadata={"description": "逾期尚未自我评查"}),
    "pending": fields.Integer(metadata={"description": "期限未届满、尚未评查"}),
    "rate": fields.String(allow_none=True, metadata={"description": "自我评查率（已评查／应评查，百分比，两位小数）；第24条要求100%"}),
}, name="SelfReviewRate")


@blp.route("/case-files/import")
class CaseFileImport(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(201, ImportOut)
    @blp.doc(requestBody={"required": True, "content": {
        "text/csv": {"schema": {"type": "string"}}, XLSX: {"schema": {"type": "string", "format": "binary"}}},
        "description": "表头：案号、执法机关代码、案件名称、案件类型、办结日期、办案人员"})
    @documented(400, 401, 403, 413, 422)
    def post(self, _query):
        """Registers closed case files from a spreadsheet; a file with a bad row imports nothing and names the row."""
        actor = caller()
        request.max_content_length = IMPORT_LIMIT
        return import_case_files(xs(), actor, request.get_data(), request.content_type or "")


@blp.route("/case-files/self-review-rates")
class SelfReviewRates(MethodView):
    @blp.arguments(RateQuery, location="query")
    @blp.response(200, RateOut(many=True))
    @documented(400, 401, 403)
    def get(self, args):
        """The self-review rate per agency for files closed in a year (art. 24: must be 100%)."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            return self_review_rates(conn, actor, year=args["year"], agency=args.get("agency"))


FactsOut = Schema.from_dict({
    "agency": fields.String(), "agency_name": fields.String(), "year": fields.Integer(),
    "files_evaluated": fields.Integer(metadata={"description": "该年度集中评查已定分的案卷数"}),
    "errors": fields.Dict(keys=fields.String(), values=fields.Integer(),
                          metadata={"description": "评查评分表各项目被扣分的案卷数（项目代码 → 件数）"}),
    "penalty_errors": fields.Integer(metadata={"description": "考核标准四.1：被评查的行政处罚案卷中扣分项目的个数（每错一项）"}),
    "failing": fields.Integer(metadata={"description": "得分不满60分的案卷数"}),
    "penalties_reported": fields.Integer(allow_none=True, metadata={
        "description": "执法统计中该年度已报送的行政处罚件数；未报送统计的为 null"}),
    "penalty_files_registered": fields.Integer(metadata={"description": "该年度办结并登记的行政处罚案卷数"}),
    "missing_files": fields.Integer(allow_none=True, metadata={
        "description": "考核标准四.5：有处罚无案卷的件数（统计报送件数减登记案卷数，不小于0）；未报送统计的为 null"}),
    "self_review_due": fields.Integer(), "self_reviewed": fields.Integer(),
    "self_review_rate": fields.String(allow_none=True, metadata={"description": "自我评查率（百分比，两位小数）"}),
}, name="CaseFileAssessmentFacts")


@blp.route("/case-files/assessment-facts")
class AssessmentFacts(MethodView):
    @blp.arguments(RateQuery, location="query")
    @blp.response(200, FactsOut(many=True))
    @documented(400, 401, 403)
    def get(self, args):
        """What the annual assessment reads per agency and year: files evaluated, errors per item (四.1),
        missing files (四.5), the self-review rate; each computed by one query."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            return assessment_facts(conn, actor, year=args["year"], agency=args.get("agency"))


DrawIn = Payload.from_dict({
    "seed": fields.Integer(strict=True, validate=validate.Range(min=0, max=2**63 - 1, error="随机种子应为非负整数。"),
                           metadata={"description": "随机种子；省略时由系统生成并记录"}),
    "default_size": fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=1, max=1000, error="每单位抽取件数应为 1 至 1000。"),
                                   error_messages={"required": "请写明每单位抽取件数 default_size。",
                                                   "invalid": "每单位抽取件数应为整数。"},
                                   metadata={"description": "每单位抽取件数"}),
    "sizes": fields.List(fields.Dict(), load_default=list,
                         metadata={"description": "个别单位的抽取件数及理由：[{agency, size, reason}]"}),
}, name="CaseFileDrawIn")

RedrawQuery = Query.from_dict({"seed": fields.Integer(metadata={"description": "随机种子；省略时用已记录的种子"})},
                              name="RedrawQuery")


def _campaign(conn, x, actor, case_id: int) -> dict:
    case = get_case(x.engine, conn, actor, case_id)
    if case["procedure"] != "case_file_evaluation":
        raise NotFound(f"案件 {case_id} 不是行政执法案卷集中评查。")
    return case


@blp.route("/case-file-evaluations/<id:case_id>/draw")
class CampaignDraw(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(DrawIn)
    @blp.response(200)
    @documented(400, 401, 403, 404, 409, 422)
    def post(self, _query, body, case_id):
        """Draws the sample from the files registered for the campaign's year and assigns the reviewers
        (art. 26); the seed and the population's size are recorded so anyone can redraw it."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            year = _campaign(conn, x, actor, case_id)["data"]["year"]
            files = population(conn, year)
        payload = {"seed": body.get("seed", secrets.randbits(48)), "default_size": body["default_size"],
                   "sizes": body["sizes"], "population": files}
        return x.engine.fire(actor, case_id, "draw_sample", payload, expected_version=if_match())


@blp.route("/case-file-evaluations/<id:case_id>/redraw")
class CampaignRedraw(MethodView):
    @blp.arguments(RedrawQuery, location="query")
    @blp.response(200)
    @documented(400, 401, 403, 404, 409)
    def get(self, args, case_id):
        """Draws again, from the files registered now, with the recorded seed (or `seed`): anyone can check
        that the recorded sample is what the seed gives."""
        from workflows.case_file_evaluation import draw

        actor = caller()
        x = xs()
        with x.db.read() as conn:
            data = _campaign(conn, x, actor, case_id)["data"]
            if "seed" not in data:
                raise TriggerNotAllowed("尚未抽取案卷。")
            files = population(conn, data["year"])
        seed = args.get("seed", data["seed"])
        sample, _ = draw(files, seed, data["default_size"], {s["agency"]: s["size"] for s in data["sizes"]})
        numbers = [f["case_number"] for f in sample]
        return {"seed": seed, "sample": numbers, "matches_recorded": numbers == data["sample"]}
