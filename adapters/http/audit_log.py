"""The audit log (操作记录) over HTTP: who did what, when, across the cases the caller may see."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from xsflow.audit_log import audit_log
from xsflow.payloads import day

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import Query, RecordedAct, _page_args, page_of

blp = ApiBlueprint("audit_log", __name__, url_prefix="/api/v1", description="操作记录")


AuditLogQuery = Query.from_dict({
    **_page_args(),
    "agency": fields.String(metadata={"description": "案件所属单位（单位代码）"}),
    "procedure": fields.String(metadata={"description": "程序名称，如 legality_review"}),
    "by": fields.String(metadata={"description": "操作人，与记录完全一致，如 张三（zhangsan）"}),
    "role": fields.String(metadata={"description": "操作人角色，如 clerk、reviewer、timer"}),
    "trigger": fields.String(metadata={"description": "操作（触发器名称），如 accept"}),
    "recorded_from": day(metadata={"description": "记录日期不早于，YYYY-MM-DD（北京时间）"}),
    "recorded_to": day(metadata={"description": "记录日期不晚于，YYYY-MM-DD（北京时间）"}),
}, name="AuditLogQuery")


class AuditEntry(RecordedAct):
    id = fields.Integer(metadata={"description": "记录编号"})
    seq = fields.Integer(metadata={"description": "在该案件办理经过中的序号"})
    case_id = fields.Integer()
    case_title = fields.String()
    procedure = fields.String()
    definition_version = fields.Integer()
    procedure_title = fields.String()
    agency = fields.String()
    to_state_title = fields.String()


AuditLogPage = page_of(AuditEntry, "AuditLogPage", total="符合条件的记录总数（所有页）")


@blp.route("/audit-log")
class AuditLog(MethodView):
    @blp.arguments(AuditLogQuery, location="query")
    @blp.response(200, AuditLogPage)
    @documented(400, 401, 422)
    def get(self, args):
        """Every recorded act on the cases the caller may see, newest first (no payloads: see a case's history)."""
        x = xs()
        with x.db.read() as conn:
            return audit_log(conn, x.registry, caller(), **args).as_json()
