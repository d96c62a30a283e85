"""Request and response schemas: they validate what comes in and document what goes out (OpenAPI)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from xsflow.payloads import Payload

_REQ = {"required": "必须填写。", "null": "不能为空值。"}
_INSTANT = {"format": "date-time"}


def _text(max_length: int, *, required: bool = False, **kw) -> fields.String:
    return fields.String(required=required, error_messages={**_REQ, "invalid": "应为文字。"},
                         validate=validate.Length(min=1 if required else 0, max=max_length,
                                                  error=f"长度应在 {1 if required else 0} 至 {max_length} 个字之间。"),
                         **kw)


def _when(**kw) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        error_messages={**_REQ, "invalid": "时间格式有误，应为 ISO 8601，例如 2025-03-03T10:00:00+08:00。",
                        "invalid_awareness": "时间须写明时区，例如 2025-03-03T10:00:00+08:00。"},
        metadata={"description": "事项在现实中发生的时间；默认为现在，不得晚于现在。"}, **kw)


def _json_object(**kw) -> fields.Dict:
    return fields.Dict(keys=fields.String(), error_messages={"invalid": "应为 JSON 对象。"}, **kw)


class CaseCreate(Payload):
    procedure = _text(60, required=True)
    agency = _text(40, required=True)
    title = _text(500, required=True)
    data = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class CaseEvent(Payload):
    trigger = _text(60, required=True)
    payload = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class ExternalEvent(Payload):
    event_id = _text(200, required=True)
    procedure = _text(60, required=True)
    correlation_key = _text(200, required=True)
    trigger = _text(60, required=True)
    payload = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class Correction(Payload):
    reason = _text(2000, required=True)


class Query(Schema):
    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的查询参数。"}


def _page_args():
    return {
        "cursor": fields.String(metadata={"description": "上一页答复中的 next"}),
        "limit": fields.Integer(validate=validate.Range(min=1, max=200, error="每页条数应在 1 至 200 之间。"),
                                error_messages={"invalid": "每页条数应为整数。"}),
    }


PageQuery = Query.from_dict(_page_args(), name="PageQuery")
CaseQuery = Query.from_dict({
    **_page_args(),
    "procedure": fields.String(), "state": fields.String(), "agency": fields.String(),
    "overdue": fields.Boolean(error_messages={"invalid": "overdue 应为 true 或 false。"}),
}, name="CaseQuery")
OverdueQuery = Query.from_dict({**_page_args(), "procedure": fields.String(), "agency": fields.String()},
                               name="OverdueQuery")
EventQuery = Query.from_dict({**_page_args(), "outcome": fields.String(
    validate=validate.OneOf(["applied", "rejected"], error="outcome 应为 applied 或 rejected。"))}, name="EventQuery")
ProcedureQuery = Query.from_dict({"version": fields.Integer(error_messages={"invalid": "版本应为整数。"})},
                                 name="ProcedureQuery")
DeadlineQuery = Query.from_dict({
    "start": fields.Date(required=True, error_messages={**_REQ, "invalid": "起算日格式应为 YYYY-MM-DD。"}),
    "working_days": fields.Integer(validate=validate.Range(min=1, max=3650, error="工作日数应在 1 至 3650 之间。"),
                                   error_messages={"invalid": "工作日数应为整数。"}),
    "days": fields.Integer(validate=validate.Range(min=1, max=3650, error="日数应在 1 至 3650 之间。"),
                           error_messages={"invalid": "日数应为整数。"}),
    "explain": fields.Boolean(load_default=False),
}, name="DeadlineQuery")


# --- responses (documentation and shape) --------------------------------------------------

class Error(Schema):
    class Body(Schema):
        code = fields.String(required=True)
        message = fields.String(required=True)
        fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.List(fields.String()))

    error = fields.Nested(Body, required=True)


class DeadlineOut(Schema):
    id = fields.Integer()
    name = fields.String()
    title = fields.String()
    period = fields.Dict()
    due_date = fields.String(metadata={"format": "date"})
    lapses_at = fields.String(metadata=_INSTANT)
    status = fields.String(validate=validate.OneOf(["pending", "met", "lapsed", "cancelled"]))
    overdue = fields.Boolean(metadata={"description": "lapsed and not yet dealt with"})
    provisional = fields.Boolean()
    service_level = fields.Boolean()
    basis = fields.String()


class DocumentRef(Schema):
    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    number = fields.String()
    issued_at = fields.String(metadata=_INSTANT)
    legal_instant = fields.String(allow_none=True, metadata=_INSTANT)
    basis = fields.String()


class DocumentOut(DocumentRef):
    case_id = fields.Integer()
    corrects_id = fields.Integer(allow_none=True)
    corrected_by = fields.Dict(allow_none=True, metadata={"description": "the document that corrects this one"})
    agency = fields.String()
    facts = fields.Dict()


class CaseOut(Schema):
    id = fields.Integer()
    procedure = fields.String()
    procedure_title = fields.String()
    definition_version = fields.Integer()
    agency = fields.String()
    parties = fields.List(fields.String(), metadata={"description": "further agencies that see the case"})
    title = fields.String()
    state = fields.String()
    state_title = fields.String()
    closed = fields.Boolean()
    version = fields.Integer()
    data = fields.Dict()
    opened_at = fields.String(metadata=_INSTANT)
    overdue = fields.Boolean()
    deadlines = fields.List(fields.Nested(DeadlineOut))
    available_triggers = fields.List(fields.String())
    documents = fields.List(fields.Nested(DocumentRef))


class HistoryOut(Schema):
    seq = fields.Integer()
    trigger = fields.String()
    actor = fields.String()
    actor_role = fields.String()
    payload = fields.Dict()
    occurred_at = fields.String(metadata=_INSTANT)
    recorded_at = fields.String(metadata=_INSTANT)
    from_state = fields.String(allow_none=True)
    to_state = fields.String()
    hash = fields.String()


class OverdueOut(Schema):
    case_id = fields.Integer()
    procedure = fields.String()
    agency = fields.String()
    case_title = fields.String()
    state = fields.String()
    state_title = fields.String()
    deadline = fields.String()
    deadline_title = fields.String()
    due_date = fields.String(metadata={"format": "date"})
    lapses_at = fields.String(metadata=_INSTANT)
    provisional = fields.Boolean()
    basis = fields.String()
    working_days_overdue = fields.Integer()


class AgencyOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()


class IncidentOut(Schema):
    id = fields.Integer()
    kind = fields.String()
    case_id = fields.Integer(allow_none=True)
    message = fields.String()
    created_at = fields.String(metadata=_INSTANT)


class InboundOut(Schema):
    id = fields.Integer()
    event_id = fields.String()
    sender = fields.String()
    procedure = fields.String()
    correlation_key = fields.String()
    trigger = fields.String()
    payload = fields.Dict()
    received_at = fields.String(metadata=_INSTANT)
    case_id = fields.Integer(allow_none=True)
    outcome = fields.String()
    status = fields.Integer()
    response = fields.Dict()


class ProcedureOut(Schema):
    name = fields.String()
    version = fields.Integer()
    title = fields.String()
    basis = fields.String()
    effective_from = fields.String(allow_none=True, metadata={"format": "date"})
    initial = fields.String()
    opened_by = fields.List(fields.String())
    data = fields.List(fields.String())
    parties_field = fields.String(allow_none=True)
    correlation_field = fields.String()
    opening_event = fields.String(allow_none=True)
    states = fields.List(fields.Dict())
    transitions = fields.List(fields.Dict())
    deadlines = fields.List(fields.Dict())
    documents = fields.List(fields.Dict())


class DeadlineAnswer(Schema):
    start = fields.String(metadata={"format": "date"})
    kind = fields.String()
    length = fields.Integer()
    last_day = fields.String(metadata={"format": "date"})
    lapses_at = fields.String(metadata=_INSTANT)
    provisional = fields.Boolean()
    assumptions = fields.List(fields.String())
    explanation = fields.String(allow_none=True)


def page_of(item: type[Schema], name: str) -> type[Schema]:
    return Schema.from_dict({"items": fields.List(fields.Nested(item)), "next": fields.String(allow_none=True)},
                            name=name)


CasePage = page_of(CaseOut, "CasePage")
HistoryPage = page_of(HistoryOut, "HistoryPage")
OverduePage = page_of(OverdueOut, "OverduePage")
AgencyPage = page_of(AgencyOut, "AgencyPage")
ProcedurePage = page_of(ProcedureOut, "ProcedurePage")
IncidentPage = page_of(IncidentOut, "IncidentPage")
InboundPage = page_of(InboundOut, "InboundPage")
