"""The normative-document register (art. 8: 统一编号、统一登记、统一公布) over HTTP."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from workflows.document_register import FILING_STATUS, register_page

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import Query, page_of

blp = ApiBlueprint("register", __name__, url_prefix="/api/v1", description="规范性文件登记簿")

_DATE = {"format": "date"}


RegisterQuery = Query.from_dict({
    "cursor": fields.String(metadata={"description": "上一页答复中的 next"}),
    "limit": fields.Integer(validate=validate.Range(min=1, max=200, error="每页条数应在 1 至 200 之间。"),
                            error_messages={"invalid": "每页条数应为整数。"}),
    "agency": fields.String(metadata={"description": "制定机关（单位代码）"}),
    "state": fields.String(metadata={"description": "备案审查案件的状态，如 recorded"}),
    "document_number": fields.String(metadata={"description": "文号，精确匹配"}),
    "year": fields.Integer(validate=validate.Range(min=2000, max=2100, error="年份应在 2000 至 2100 之间。"),
                           error_messages={"invalid": "年份应为整数。"},
                           metadata={"description": "发布年度（北京时间）"}),
}, name="RegisterQuery")


class RegisterFiling(Schema):
    state = fields.String(metadata={"description": "备案审查案件的状态"})
    state_title = fields.String()
    closed = fields.Boolean()
    status = fields.String(validate=validate.OneOf(list(FILING_STATUS)), metadata={
        "description": "报备情况：" + "、".join(f"{k}（{v}）" for k, v in FILING_STATUS.items())})
    status_title = fields.String()
    due_date = fields.String(allow_none=True, metadata={**_DATE, "description": "报送备案期限的最后一日（第10条）"})
    filed_on = fields.String(allow_none=True, metadata={**_DATE, "description": "报送备案之日"})
    conclusion = fields.String(allow_none=True, validate=validate.OneOf(["recorded", "correction_required"]), metadata={
        "description": "审查结论：recorded（准予备案）、correction_required（限期纠正）"})
    opinion_number = fields.String(allow_none=True, metadata={"description": "备案审查意见书编号"})
    rectification_due = fields.String(allow_none=True, metadata={**_DATE, "description": "最近一次纠正期限的最后一日"})
    overdue = fields.Boolean(metadata={"description": "有已届满未办结的期限"})


class RegisterLegalityReview(Schema):
    case_id = fields.Integer()
    state = fields.String()
    state_title = fields.String()
    closed = fields.Boolean()
    conclusion = fields.String(allow_none=True, metadata={"description": "lawful、revise 或 unlawful"})


class RegisterEntry(Schema):
    case_id = fields.Integer(metadata={"description": "备案审查案件编号"})
    title = fields.String(metadata={"description": "文件名称"})
    agency = fields.String(metadata={"description": "制定机关（单位代码）"})
    agency_name = fields.String()
    document_number = fields.String(metadata={"description": "文号"})
    uniform_number = fields.String(allow_none=True, metadata={"description": "统一编号（第8条）"})
    published_on = fields.String(metadata={**_DATE, "description": "发布日期（立案事件的发生日期）"})
    effective_on = fields.String(allow_none=True, metadata=_DATE)
    publication_medium = fields.String(allow_none=True, metadata={"description": "公布载体"})
    registration_number = fields.String(allow_none=True, metadata={"description": "备案登记号（备案登记回执编号）"})
    registered_on = fields.String(allow_none=True, metadata=_DATE)
    filing = fields.Nested(RegisterFiling)
    legality_review = fields.Nested(RegisterLegalityReview, allow_none=True,
                                    metadata={"description": "数据中载有同一文号或统一编号的合法性审查案件"})


RegisterPage = page_of(RegisterEntry, "RegisterPage", total="符合条件的文件总数（所有页）")


@blp.route("/register")
class Register(MethodView):
    @blp.arguments(RegisterQuery, location="query")
    @blp.response(200, RegisterPage)
    @documented(400, 401, 404, 422)
    def get(self, args):
        """Normative documents the caller may see: numbers, publication, registration, filing, legality review."""
        actor = caller()
        x = xs()
        with x.db.read() as conn:
            return register_page(conn, x.registry, actor, now=x.clock.now(), **args).as_json()
