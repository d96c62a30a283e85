"""Service of documents (送达), over HTTP: record how and when an issued document was served."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields

from xsflow import service
from xsflow.service import ServiceIn

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import CaseOut, NoQuery

blp = ApiBlueprint("service", __name__, url_prefix="/api/v1", description="文书送达")


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
