"""Enforcement certificates (行政执法证, art. 15–21) over HTTP: who may enforce on a day."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from xsflow.calendar import local_date
from workflows.enforcers import enforcers

from .routes import ApiBlueprint, caller, documented, xs
from .schemas import Query, page_of

blp = ApiBlueprint("certificates", __name__, url_prefix="/api/v1", description="行政执法证")

EnforcerQuery = Query.from_dict({
    "agency": fields.String(metadata={"description": "单位代码；执法机构经办人员只能查询本单位，可省略"}),
    "on": fields.Date(error_messages={"invalid": "日期 on 的格式应为 YYYY-MM-DD。"},
                      metadata={"description": "查询哪一天（北京时间）；默认今天"}),
    "number": fields.String(validate=validate.Length(min=1, max=64, error="执法证号应为 1 至 64 个字。"),
                            metadata={"description": "只查这一个执法证号"}),
    "cursor": fields.String(metadata={"description": "上一页答复中的 next"}),
    "limit": fields.Integer(validate=validate.Range(min=1, max=200, error="每页条数应在 1 至 200 之间。"),
                            error_messages={"invalid": "每页条数应为整数。"}),
}, name="EnforcerQuery")

EnforcerOut = Schema.from_dict({
    "case_id": fields.Integer(),
    "person_id": fields.String(metadata={"description": "重庆市行政执法人员信息管理系统中的人员编号"}),
    "name": fields.String(),
    "post": fields.String(allow_none=True),
    "agency": fields.String(),
    "certificate_number": fields.String(),
    "valid_from": fields.String(metadata={"format": "date"}),
    "valid_until": fields.String(metadata={"format": "date"}),
    "areas": fields.List(fields.String(), metadata={"description": "执法区域"}),
    "issued_on": fields.String(metadata={"format": "date", "description": "发证日"}),
    "state": fields.String(metadata={"description": "该人员执法证记录现在的状态"}),
    "state_title": fields.String(),
    "update_training_overdue": fields.Boolean(
        metadata={"description": "现在是否处于未按年度参加法律知识更新培训状态（第20条）"}),
    "missed_training_years": fields.List(fields.Integer(),
                                         metadata={"description": "未参加法律知识更新培训的年度（计入年度考核）"}),
}, name="EnforcerOut")

EnforcerPage = page_of(EnforcerOut, "EnforcerPage")


@blp.route("/certificates/enforcers")
class Enforcers(MethodView):
    @blp.arguments(EnforcerQuery, location="query")
    @blp.response(200, EnforcerPage)
    @documented(400, 401, 403, 404)
    def get(self, args):
        """Who in an agency may enforce on a day: holders of a certificate in force (art. 15, 21).

        A certificate is in force when the day lies within its validity, on or after its issue and
        before it was registered expired or recalled. Enforcement by anyone else is a violation
        (《2022年行政执法考核标准》三.2). `on` defaults to today in Asia/Shanghai.
        """
        actor = caller()
        x = xs()
        on = args.pop("on", None) or local_date(x.clock.now())
        with x.db.read() as conn:
            return enforcers(conn, x.registry, actor, on=on, **args).as_json()
