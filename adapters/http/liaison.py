"""Liaison officers (联络员, 联席会议制度第八条) and the notifications sent to them, over HTTP."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from xsflow import liaison
from xsflow.payloads import Payload

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import NoQuery, PageQuery, Query, _page_args

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
    "status": fields.String(metadata={"description": "pending | sent | failed | undeliverable (the agency has no liaison officer)"}),
    "reason": fields.String(allow_none=True, metadata={"description": "why it was not delivered: 未登记联络员"}),
    "created_at": fields.String(), "sent_at": fields.String(allow_none=True)}, name="Notification")


def page(schema, name, *, total: bool = True):
    shape = {"items": fields.List(fields.Nested(schema)), "next": fields.String(allow_none=True)}
    if total:
        shape["total"] = fields.Integer(metadata={"description": "rows on all pages"})
    return Schema.from_dict(shape, name=name)


_AGENCY = fields.String(validate=validate.Length(min=1, max=40, error="单位代码应为 1 至 40 个字符。"),
                        metadata={"description": "单位代码"})
OfficerQuery = Query.from_dict({**_page_args(), "agency": _AGENCY}, name="LiaisonOfficerQuery")
NotificationQuery = Query.from_dict({
    **_page_args(), "agency": _AGENCY,
    "case_id": fields.Integer(strict=False, validate=validate.Range(min=1, max=2**63 - 1, error="案件编号超出范围。"),
                              metadata={"description": "案件编号"}, error_messages={"invalid": "案件编号应为整数。"}),
}, name="NotificationQuery")


@blp.route("/liaison-officers")
class Officers(MethodView):
    @blp.arguments(OfficerQuery, location="query")
    @blp.response(200, page(Officer, "LiaisonOfficerPage"))
    @documented(400, 401)
    def get(self, query):
        """Liaison officers by id: every agency's for the bureau, the caller's own agency's for a clerk; `total` counts every page."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return liaison.officers(conn, actor, **query).as_json()


@blp.route("/liaison-officers/missing")
class Missing(MethodView):
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, page(Agency, "AgencyWithoutOfficerPage"))
    @documented(400, 401, 403)
    def get(self, query):
        """Enforcement agencies and township teams that have named no liaison officer (art. 8), by code; `total` counts every page."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return liaison.agencies_without_officers(conn, actor, **query).as_json()


@blp.route("/agencies/<string:code>/liaison-officers")
class AgencyOfficers(MethodView):
    @blp.arguments(NoQuery, location="query")
    @blp.arguments(OfficersIn)
    @blp.response(200, page(Officer, "AgencyOfficerPage", total=False))
    @documented(400, 401, 403, 404, 422)
    def put(self, _query, body, code):
        """Names an agency's one or two liaison officers, replacing those named before."""
        actor, x = caller(), xs()
        with x.db.write() as conn:
            return {"items": liaison.name_officers(conn, actor, code, body["officers"], x.clock.now()), "next": None}


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(NotificationQuery, location="query")
    @blp.response(200, page(Notification, "NotificationPage"))
    @documented(400, 401)
    def get(self, query):
        """What was sent to whom, newest first: meeting notices and overdue reminders to liaison officers, and those that could not be sent (status `undeliverable`, reason 未登记联络员); `total` counts every page."""
        actor, x = caller(), xs()
        with x.db.read() as conn:
            return liaison.sent_notifications(conn, actor, **query).as_json()
