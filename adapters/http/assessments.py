"""年度考核 computed from the record, over HTTP: compute a year, read an agency's result with the cases
behind each deduction, correct a computed count with a reason, record dated inspection findings for
the daily assessment, and export the year's table (workflows/assessment_record.py)."""
from __future__ import annotations

import tempfile
from decimal import Decimal
from urllib.parse import quote

from flask import send_file
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from workflows import assessment_record as record
from workflows.assessment_personnel import personnel
from workflows.assessment import FIRST_YEAR, LAST_YEAR, _two_decimals
from xsflow.payloads import Payload, day, text

from ..assessment_export import XLSX, write_table
from .routes import ApiBlueprint, caller, documented, xs
from .schemas import NoQuery, Query, _when, page_of

blp = ApiBlueprint("assessments", __name__, url_prefix="/api/v1", description="年度行政执法考核（依办案记录计算）")

_YEAR = {"description": f"考核年度（{FIRST_YEAR}–{LAST_YEAR}），须有该年度的考核标准文件 assessment_<年度>.toml"}



def _reason() -> fields.String:
    field = text(max_length=2000, required=True, min_length=1, multiline=True, metadata={"title": "更正理由"})
    field.error_messages["required"] = "更正计算结果必须写明理由（将记入更正记录，被考核单位可见）。"
    return field


Correction = Payload.from_dict({
    "item": fields.String(required=True, metadata={"title": "考核项目代码", "description": "考核标准中的项目代码，如 unfiled_documents"},
                          validate=validate.Length(min=1, max=60, error="项目代码应为 1 至 60 个字符。"),
                          error_messages={"required": "必须写明更正的考核项目。", "null": "不能为空值。", "invalid": "应为文字。"}),
    "count": fields.Integer(required=True, strict=True, metadata={"title": "更正后的次数"},
                            validate=validate.Range(min=0, max=999, error="次数应为 0 至 999 之间的整数。"),
                            error_messages={"required": "必须填写更正后的次数。", "null": "不能为空值。",
                                            "invalid": "应为整数（次数、件数或项数）。"}),
    "reason": _reason(),
}, name="AssessmentCorrectionIn")

Finding = Payload.from_dict({
    "found_on": day(required=True, metadata={"title": "检查日期"}),
    "points": fields.Float(required=True, allow_nan=False, metadata={"title": "扣分（百分制）"},
                           validate=[validate.Range(min=0, max=100, error="扣分应在 0 至 100 分之间。"), _two_decimals],
                           error_messages={"required": "必须填写扣分。", "null": "不能为空值。",
                                           "invalid": "扣分应为数字，最多两位小数。", "special": "扣分应为数字。"}),
    "text": text(max_length=5000, required=True, min_length=1, metadata={"title": "检查发现的问题"}),
}, name="AssessmentFindingIn")

RunOut = Schema.from_dict({
    "year": fields.Integer(), "computed_at": fields.DateTime(), "standard_file": fields.String(),
    "agencies": fields.Integer(), "occurrences": fields.Integer(),
    "computed_items": fields.List(fields.String()), "entered_items": fields.List(fields.String()),
}, name="AssessmentRun")

CaseRef = Schema.from_dict({"case_id": fields.Integer(), "title": fields.String(), "procedure": fields.String(),
                            "on": fields.String(metadata={"format": "date"}), "what": fields.String()},
                           name="AssessmentCase")
CorrectionOut = Schema.from_dict({"computed_count": fields.Integer(allow_none=True), "count": fields.Integer(),
                                  "reason": fields.String(), "actor": fields.String(), "recorded_at": fields.String()},
                                 name="AssessmentCorrection")
ItemOut = Schema.from_dict({
    "code": fields.String(), "label": fields.String(), "content": fields.String(), "standard": fields.String(),
    "unit": fields.String(), "per": fields.String(), "cap": fields.String(),
    "source": fields.String(metadata={"description": "computed：依办案记录计算；entered：考核人员录入"}),
    "computed_count": fields.Integer(allow_none=True), "count": fields.Integer(), "deduction": fields.String(),
    "capped": fields.Boolean(), "fed_by": fields.String(),
    "cases": fields.List(fields.Nested(CaseRef), metadata={"description": "前 50 件；其余按 cases_next 翻页"}),
    "cases_total": fields.Integer(), "cases_next": fields.String(allow_none=True),
    "corrections": fields.List(fields.Nested(CorrectionOut)),
}, name="AssessmentItem")
CasePageOut = page_of(CaseRef, "AssessmentCasePage", total="该项所涉案件总数（所有页）")
CaseQuery = Query.from_dict({
    "cursor": fields.String(metadata={"description": "上一页答复中的 next"}),
    "limit": fields.Integer(validate=validate.Range(min=1, max=200, error="每页条数应在 1 至 200 之间。"),
                            error_messages={"invalid": "每页条数应为整数。"}),
}, name="AssessmentCaseQuery")
ResultOut = Schema.from_dict({
    "year": fields.Integer(), "agency": fields.String(), "agency_name": fields.String(),
    "computed_at": fields.String(allow_none=True, metadata={"description": "结果计算的时间；null：尚未计算"}),
    "standard": fields.Dict(), "items": fields.List(fields.Nested(ItemOut)),
    "deducted": fields.String(), "points": fields.String(), "annual_score": fields.String(),
    "daily_score": fields.String(), "total": fields.String(), "grade": fields.String(), "band": fields.String(),
    "grade_source": fields.String(), "daily": fields.Dict(), "published": fields.Boolean(),
}, name="AssessmentResult")
CorrectedOut = Schema.from_dict({"year": fields.Integer(), "agency": fields.String(), "item": fields.String(),
                                 "computed_count": fields.Integer(allow_none=True), "count": fields.Integer(),
                                 "deduction": fields.String(), "reason": fields.String()},
                                name="AssessmentCorrected")
FindingOut = Schema.from_dict({"id": fields.Integer(), "year": fields.Integer(), "agency_code": fields.String(),
                               "found_on": fields.Date(), "points": fields.String(), "text": fields.String(),
                               "actor": fields.String()}, name="AssessmentFinding")


@blp.route("/assessments/<int:year>/compute")
class Compute(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, RunOut)
    @documented(400, 401, 403, 409, 422)
    def post(self, _query, year):
        """Computes the year's assessment of every assessed agency from the record and stores it
        (监督人员). Items with `feeds` in the year's standard file are counted from lapsed deadlines,
        triggers and documents; the others keep the assessors' entered counts. A year without its
        standard file is refused 422 naming the file; a published year 409."""
        actor, x = caller(), xs()
        with x.db.write() as conn:
            return record.compute(conn, actor, year, now=x.clock.now())


@blp.route("/assessments/<int:year>/agencies/<string:code>")
class Result(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, ResultOut)
    @documented(400, 401, 403, 404, 422)
    def get(self, _query, year, code):
        """One agency's stored result: per item the count, deduction, computed or entered, the cases
        behind it and any corrections with their reasons; the daily record and running score; the
        scores, grade and how they arise. An agency sees its own; the bureau every agency."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return record.result(conn, actor, year, code)


@blp.route("/assessments/<int:year>/agencies/<string:code>/corrections")
class Corrections(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(Correction)
    @blp.response(201, CorrectedOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body, year, code):
        """An assessor corrects a computed count; the reason is required (422 without it) and kept in
        the corrections, which the agency sees on its result."""
        actor, x = caller(), xs()
        with x.db.write() as conn:
            return record.correct(conn, actor, year, code, body["item"], body["count"], body["reason"],
                                  now=x.clock.now())


@blp.route("/assessments/<int:year>/agencies/<string:code>/findings")
class Findings(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(Finding)
    @blp.response(201, FindingOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body, year, code):
        """An assessor's dated inspection finding in the daily assessment (考核评议制度 第7条)."""
        actor, x = caller(), xs()
        with x.db.write() as conn:
            return record.add_finding(conn, actor, year, code, body["found_on"], Decimal(str(body["points"])), body["text"],
                                      now=x.clock.now())


@blp.route("/assessments/<int:year>/table.xlsx")
class Table(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, description="The year's table as .xlsx", content_type=XLSX)
    @documented(400, 401, 403, 422)
    def get(self, _query, year):
        """The year's table for the coordination group: agencies × items with count and deduction,
        scores and grade, ranked; written in constant memory (openpyxl write-only)."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            standard, rows = record.table(conn, actor, year)
            run = record.last_run(conn, year)
        out = tempfile.TemporaryFile()
        write_table(standard, record.ranked(rows), run, out)
        out.seek(0)
        response = send_file(out, mimetype=XLSX)
        name = f"{year}年度行政执法考核结果.xlsx"
        response.headers["Content-Disposition"] = (
            f"attachment; filename=\"assessment-{year}.xlsx\"; filename*=UTF-8''{quote(name)}")
        return response


PublicationIn = Payload.from_dict({
    "review": text(max_length=500, required=True, min_length=1,
                   metadata={"title": "执法协调小组评审情况（会议日期、纪要或文号）"}),
    "occurred_at": _when(load_default=None),
}, name="AssessmentPublicationIn")
Ranked = Schema.from_dict({"rank": fields.Integer(), "agency": fields.String(), "name": fields.String(),
                           "daily_score": fields.String(), "annual_score": fields.String(), "total": fields.String(),
                           "grade": fields.String()}, name="AssessmentRanked")
PublicationOut = Schema.from_dict({
    "year": fields.Integer(), "case_id": fields.Integer(),
    "document": fields.Dict(metadata={"description": "考核结果通报：id、kind、number、issued_at"}),
    "results": fields.List(fields.Nested(Ranked)),
}, name="AssessmentPublication")
UpheldComplaint = Schema.from_dict({
    "case_id": fields.Integer(metadata={"description": "投诉举报案件编号（GET /api/v1/cases/{case_id}）"}),
    "finding": fields.String(metadata={"description": "核查结论：upheld 属实、partly_upheld 部分属实"}),
    "finding_title": fields.String(), "replied_on": fields.String(metadata={"description": "答复日期"}),
}, name="AssessmentUpheldComplaint")
Person = Schema.from_dict({
    "case_id": fields.Integer(), "person_id": fields.String(allow_none=True), "name": fields.String(allow_none=True),
    "post": fields.String(allow_none=True), "certificate_number": fields.String(allow_none=True),
    "valid_from": fields.String(allow_none=True), "valid_until": fields.String(allow_none=True),
    "state": fields.String(), "state_title": fields.String(),
    "trainings": fields.List(fields.String(), metadata={"description": "当年参加法律知识更新培训的日期"}),
    "training_missed": fields.Boolean(metadata={"description": "当年未参加法律知识更新培训（第20条）"}),
    "cases_handled": fields.Integer(metadata={"description": "当年办结、以其为办案人员的案卷数"}),
    "files_evaluated": fields.List(fields.Dict(), metadata={"description": "当年集中评查的案卷：案号、得分、等次"}),
    "complaints_upheld": fields.Integer(metadata={"description": "当年答复、核查结论为属实或部分属实且列明其执法证号的投诉举报件数"}),
    "complaints": fields.List(fields.Nested(UpheldComplaint), metadata={"description": "计入的投诉举报案件，按答复日期"}),
}, name="AssessmentPerson")
PersonnelOut = Schema.from_dict({"year": fields.Integer(), "agency": fields.String(), "agency_name": fields.String(),
                                 "people": fields.List(fields.Nested(Person)),
                                 "complaints_upheld_note": fields.String()}, name="AssessmentPersonnel")


@blp.route("/assessments/<int:year>/publication")
class Publish(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(PublicationIn)
    @blp.response(201, PublicationOut)
    @documented(400, 401, 403, 409, 413, 415, 422)
    def post(self, _query, body, year):
        """Publishes the year's results county-wide (考核评议制度 第9条第（四）项、第10条): every assessed
        agency with its scores and grade, ranked, in one numbered 考核结果通报 of the office's series;
        差 is criticised with the recommendation of art. 10. Only after the year; afterwards the year's
        results are read-only (409 for compute, corrections and findings)."""
        return record.publish(xs(), caller(), year, body["review"], body["occurred_at"])


@blp.route("/assessments/<int:year>/agencies/<string:code>/personnel")
class Personnel(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, PersonnelOut)
    @documented(400, 401, 403, 404, 422)
    def get(self, _query, year, code):
        """The agency's enforcement persons in the year (考核评议制度 第2条、第3条): certificate state,
        update trainings, files handled, files evaluated with score and grade, complaints upheld (属实、部分属实)
        against the person by 执法证号, each with its case id."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return personnel(conn, x.registry, actor, year, code)


@blp.route("/assessments/<int:year>/agencies/<string:code>/items/<string:item>/cases")
class ItemCases(MethodView):
    @blp.arguments(CaseQuery, location="query")
    @blp.response(200, CasePageOut)
    @documented(400, 401, 403, 404, 422)
    def get(self, args, year, code, item):
        """The cases behind one computed item of an agency's stored result, by date then case id,
        keyset-paged (`next`), with `total` from a COUNT."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return record.item_cases(conn, actor, year, code, item, **args).as_json()
