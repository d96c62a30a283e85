"""Liaison officers (联络员, 联席会议制度第八条) and the notifications sent to them, over HTTP."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from xsflow import liaison
from xsflow.payloads import Payload

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import NoQuery

blp = ApiBlueprint("liaison", __name__, url_prefix="/api/v1", description="联络员与通知")


def _text(what: str, max_length: int, *, required: bool = True) -> fields.String:
    return fields.String(required=required, allow_none=not required, metadata={"description": what},
                         validate=validate.Length(min=1 if required else 0, max=max_length,
                                                  error=f"{what}应为 1 至 {max_length} 个字。"),
                         error_messages={"required": f"请填写{what}。", "null": f"请填写{what}。", "invalid": "应为文字。"})


OfficerIn = Payload.from_dict({"name": _text("姓名", 100), "phone": _text("联系电话", 40),
                               "email": _text("电子邮箱", 200, required=False), "post": _text("职务", 100, required=False)},
                              name="LiaisonOfficerIn")
OfficersIn = Payload.from_dict({"officers": fields.List(fields.Nested(OfficerIn), required=True,
                                                        error_messages={"required": "请列出联络员（一至两名）。"})},
                               name="LiaisonOfficersIn")
Officer = Schema.from_dict({"id": fields.Integer(), "agency": fields.String(), "name": fields.String(),
                            "phone": fields.String(), "email": fields.String(allow_none=True),
                            "post": fields.String(allow_none=True)}, name="LiaisonOfficer")
Agency = Schema.from_dict({"code": fields.String(), "name": fields.String(), "kind": fields.String()},
                          name="AgencyWithoutOfficer")
Notification = Schema.from_dict({
    "id": fields.Integer(), "agency": fields.String(), "recipient": fields.String(), "subject": fields.String(),
    "body": fields.String(), "case_id": fields.Integer(allow_none=True),
    "status": fields.String(metadata={"description": "pending | sent | failed"}),
    "created_at": fields.String(), "sent_at": fields.String(allow_none=True)}, name="Notification")


def page(schema, name):
    return Schema.from_dict({"items": fields.List(fields.Nested(schema)), "next": fields.String(allow_none=True)},
                            name=name)


@blp.route("/liaison-officers")
class Officers(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, page(Officer, "LiaisonOfficerPage"))
    @documented(400, 401)
    def get(self, _query):
        """Liaison officers: every agency's for the bureau, the caller's own agency's for a clerk."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return {"items": liaison.officers(conn, actor), "next": None}


@blp.route("/liaison-officers/missing")
class Missing(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, page(Agency, "AgencyWithoutOfficerPage"))
    @documented(400, 401, 403)
    def get(self, _query):
        """Enforcement agencies and township teams that have named no liaison officer (art. 8)."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return {"items": liaison.agencies_without_officers(conn, actor), "next": None}


@blp.route("/agencies/<string:code>/liaison-officers")
class AgencyOfficers(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(OfficersIn)
    @blp.response(200, page(Officer, "AgencyOfficerPage"))
    @documented(400, 401, 403, 404, 422)
    def put(self, _query, body, code):
        """Names an agency's one or two liaison officers, replacing those named before."""
        actor, x = caller(), xs()
        with x.db.write() as conn:
            return {"items": liaison.name_officers(conn, actor, code, body["officers"], x.clock.now()), "next": None}


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.response(200, page(Notification, "NotificationPage"))
    @documented(400, 401)
    def get(self, _query):
        """What was sent to whom: meeting notices and overdue reminders to liaison officers."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return {"items": liaison.sent_notifications(conn, actor), "next": None}
