"""Service of documents (送达), over HTTP: record how and when an issued document was served."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from xsflow import service
from xsflow.payloads import Payload, choice, day, text

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import CaseOut, NoQuery

blp = ApiBlueprint("service", __name__, url_prefix="/api/v1", description="文书送达")


class ServiceIn(Payload):
    mode = choice(service.mode_titles(), what="送达方式")
    served_on = day(required=True, metadata={"title": "送达日期", "description": "邮寄送达填回执上注明的收件日期；"
                                                                                "公告送达填公告发出之日"})
    recipient = text(max_length=200, metadata={"title": "受送达人（签收人）"})
    receipt = text(max_length=200, metadata={"title": "送达回证、邮件号或电子送达记录"})
    note = text(max_length=2000, multiline=True, metadata={"title": "备注"})


class ServiceOut(Schema):
    document_id = fields.Integer()
    mode = fields.String()
    mode_title = fields.String()
    basis = fields.String(allow_none=True)
    served_on = fields.String(metadata={"format": "date", "description": "the day the period counts from"})
    delivered_on = fields.String(metadata={"format": "date", "description": "the day recorded (post: receipt)"})
    recipient = fields.String(allow_none=True)
    receipt = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_by = fields.String()
    recorded_at = fields.String()
    deadlines_started = fields.List(fields.String())
    case = fields.Nested(CaseOut)


@blp.route("/documents/<id:document_id>/service")
class DocumentService(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(ServiceIn)
    @blp.response(201, ServiceOut)
    @documented(400, 401, 403, 404, 409, 413, 415, 422)
    def post(self, _query, body, document_id):
        """Records how and when a document was served (once); starts the periods that run from its service."""
        return service.record_service(xs().engine, caller(), document_id, body)
