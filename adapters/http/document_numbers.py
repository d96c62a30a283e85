"""GET /api/v1/document-numbers: the configured issuers, 机关代字 and number sources of every document kind."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from ..document_numbers import document_numbers
from .routes import ApiBlueprint, caller, documented, xs
from .schemas import NoQuery

blp = ApiBlueprint("document_numbers", __name__, url_prefix="/api/v1", description="发文字号配置")

Row = Schema.from_dict({
    "kind": fields.String(metadata={"description": "文书种类"}),
    "title": fields.String(metadata={"description": "文书名称"}),
    "procedures": fields.List(fields.String(), metadata={"description": "出具该文书的程序"}),
    "issuer": fields.String(allow_none=True, metadata={"description": "发文机关代码（document_numbers.toml）"}),
    "issuer_name": fields.String(allow_none=True, metadata={"description": "发文机关全称"}),
    "prefix": fields.String(metadata={"description": "机关代字"}),
    "example": fields.String(metadata={"description": "发文字号示例"}),
    "confirmed": fields.Boolean(metadata={"description": "机关代字是否已经县里确认；false 即尚未确认"}),
    "source": fields.String(metadata={"description": "编号来源：xsflow（本系统）或 oa（县OA系统）"}),
    "source_title": fields.String(),
    "gaps_allowed": fields.Boolean(metadata={"description": "OA编号是否允许跳号"}),
    "sent_up": fields.Boolean(metadata={"description": "是否上行文（标注签发人）"}),
    "signer": fields.String(allow_none=True, metadata={"description": "签发人（上行文）"}),
    "signer_confirmed": fields.Boolean(allow_none=True),
    "printer": fields.String(allow_none=True, metadata={"description": "版记的印发机关"}),
    "cc": fields.List(fields.String(), metadata={"description": "版记的抄送机关"}),
    "imprint_confirmed": fields.Boolean(metadata={"description": "发文机关、印发机关、签发人是否已经县里确认"}),
}, name="DocumentNumbering")
Page = Schema.from_dict({"items": fields.List(fields.Nested(Row)), "next": fields.String(allow_none=True),
                         "total": fields.Integer(), "unconfirmed": fields.Integer()}, name="DocumentNumberingPage")


@blp.route("/document-numbers")
class DocumentNumbers(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, Page)
    @documented(400, 401)
    def get(self, _query):
        """Every document kind with its issuer, 机关代字 (confirmed or not yet), number source and 版记 data.

        The list is the operator's configuration, a few dozen rows: one page, `next` always null."""
        caller()
        items = document_numbers(xs().registry)
        return {"items": items, "next": None, "total": len(items),
                "unconfirmed": sum(1 for r in items if not r["confirmed"])}
