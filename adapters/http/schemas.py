"""Request and response schemas: they validate what comes in and document what goes out (OpenAPI)."""
from __future__ import annotations

import json
import math
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Column
from webargs.core import missing
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from xsflow.calendar.notices import FIRST_YEAR, LAST_YEAR
from xsflow.errors import BadRequest, InvalidPayload
from xsflow.calendar import SHANGHAI
from xsflow.payloads import Payload, day, line, text, unprintable
from xsflow.store.schema import agencies, cases, history, inbound_events

_REQ = {"required": "必须填写。", "null": "不能为空值。"}
_INSTANT = {"format": "date-time"}


def _line(column: Column, *, required: bool = False, **kw) -> fields.String:
    """One line stored in `column`: the column gives the limit (PostgreSQL would refuse a longer value)."""
    return line(column, required=required, **kw)


_EARLIEST = datetime(FIRST_YEAR, 1, 1, tzinfo=SHANGHAI)
_LATEST = datetime(LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=SHANGHAI)


def _when(**kw) -> fields.AwareDateTime:
    return fields.AwareDateTime(
        error_messages={**_REQ, "invalid": "时间格式有误，应为 ISO 8601，例如 2025-03-03T10:00:00+08:00。",
                        "invalid_awareness": "时间须写明时区，例如 2025-03-03T10:00:00+08:00。"},
        validate=validate.Range(min=_EARLIEST, max=_LATEST,
                                error=f"时间应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间（日历支持的范围）。"),
        metadata={"description": "事项在现实中发生的时间；默认为现在，不得晚于现在。"}, **kw)


def _json_object(**kw) -> fields.Dict:
    return fields.Dict(keys=fields.String(), error_messages={"invalid": "应为 JSON 对象。"}, **kw)


class CaseCreate(Payload):
    procedure = _line(cases.c.procedure, required=True)
    agency = _line(agencies.c.code, required=True)
    title = _line(cases.c.title, required=True)
    data = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class CaseEvent(Payload):
    trigger = _line(history.c.trigger, required=True)
    payload = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class ExternalEvent(Payload):
    event_id = _line(inbound_events.c.event_id, required=True)
    procedure = _line(inbound_events.c.procedure, required=True)
    correlation_key = _line(inbound_events.c.correlation_key, required=True)
    trigger = _line(inbound_events.c.trigger, required=True)
    payload = _json_object(load_default=dict)
    occurred_at = _when(load_default=None)


class Correction(Payload):
    reason = text(max_length=2000, min_length=1, required=True, multiline=True)
    # For a kind the county's OA numbers (docs/documents.md): the number the OA assigned to the correction.
    document_number = text(max_length=80)


class Query(Schema):
    class Meta:
        unknown = RAISE  # the parser below names unknown parameters before the schema sees them

    error_messages = {"unknown": "不认识的查询参数。"}


NoQuery = Query.from_dict({}, name="NoQuery")


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
    "opened_from": day(metadata={"description": "立案（发生）日期不早于，YYYY-MM-DD（北京时间）"}),
    "opened_to": day(metadata={"description": "立案（发生）日期不晚于，YYYY-MM-DD（北京时间）"}),
}, name="CaseQuery")
TodoQuery = Query.from_dict({**_page_args(), "agency": fields.String(), "procedure": fields.String(),
                             "state": fields.String()}, name="TodoQuery")
_OVERDUE_FILTERS = {
    "procedure": fields.String(), "agency": fields.String(),
    "band": fields.String(metadata={"description": "逾期天数段，例如 1-5、6-10、21+（见 /overdue/summary 的 bands）"}),
    "due_from": day(metadata={"description": "最后一日不早于，YYYY-MM-DD"}),
    "due_to": day(metadata={"description": "最后一日不晚于，YYYY-MM-DD"}),
}
OverdueQuery = Query.from_dict({**_page_args(), **_OVERDUE_FILTERS}, name="OverdueQuery")
OverdueSummaryQuery = Query.from_dict(_OVERDUE_FILTERS, name="OverdueSummaryQuery")
EventQuery = Query.from_dict({**_page_args(), "outcome": fields.String(
    validate=validate.OneOf(["applied", "rejected"], error="outcome 应为 applied 或 rejected。"))}, name="EventQuery")
ProcedureQuery = Query.from_dict({"version": fields.Integer(error_messages={"invalid": "版本应为整数。"})},
                                 name="ProcedureQuery")
DeadlineQuery = Query.from_dict({
    "start": day(required=True, metadata={"description": "起算日，YYYY-MM-DD"}),
    "working_days": fields.Integer(validate=validate.Range(min=1, max=3650, error="工作日数应在 1 至 3650 之间。"),
                                   error_messages={"invalid": "工作日数应为整数。"}),
    "days": fields.Integer(validate=validate.Range(min=1, max=3650, error="日数应在 1 至 3650 之间。"),
                           error_messages={"invalid": "日数应为整数。"}),
    "explain": fields.Boolean(load_default=False),
}, name="DeadlineQuery")


# --- parsing -------------------------------------------------------------------------------

# Real bodies nest a few levels (data → list → text); a deeper document is an attack or a bug, and
# past about a thousand levels the decoder would exhaust the stack.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"请求体的 JSON 嵌套层数过多（上限 {MAX_JSON_DEPTH} 层），未予办理。"


def _no_constant(name: str) -> Any:
    raise ValueError(name)  # NaN and Infinity are not JSON, though Python's decoder accepts them


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise ValueError(text)
    return value


class DuplicateKey(Exception):
    pass


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # JSON leaves duplicate names undefined; Python keeps the last, another reader the first.
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        raise DuplicateKey(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return out


class Parser(FlaskParser):
    """webargs' parser, refusing what would otherwise reach the stack or the database as an error.

    A misspelt query parameter is refused (400) instead of ignored: `?agancy=gaj` would otherwise
    answer every agency's cases as if the filter held.
    """

    def __init__(self, *args, **kw) -> None:
        super().__init__(*args, **kw)
        self._schemas: dict[type[Schema], Schema] = {}

    def _get_schema(self, argmap, req) -> Schema:
        # One instance per schema class, built at its first request: webargs would build one per
        # request (a deep copy of every field), a good part of a small request's cost. The schemas
        # keep no state between loads (no `context`), so threads can share them.
        if isinstance(argmap, type) and issubclass(argmap, Schema):
            schema = self._schemas.get(argmap)
            if schema is None:
                schema = self._schemas[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)

    def _raw_load_json(self, req) -> Any:
        raw = req.get_data(cache=True)
        if not is_json_request(req):
            if raw:  # a body the API would not read: say so, instead of "必须填写" for every field
                raise UnsupportedMediaType()
            return missing
        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_float=_finite_float,
                              object_pairs_hook=_no_duplicates)
        except json.JSONDecodeError as err:
            return missing if err.doc == "" else self._handle_invalid_json_error(err, req)
        except UnicodeDecodeError as err:
            return self._handle_invalid_json_error(err, req)
        except RecursionError:
            raise BadRequest(TOO_DEEP) from None
        except DuplicateKey as err:
            raise BadRequest(f"请求体中同一对象的字段 {shown(err.args[0])} 出现了不止一次：无法确定以哪一个为准，未予办理。") from None
        except ValueError:  # NaN, Infinity, 1e400, an integer of thousands of digits: no JSON column stores them
            raise BadRequest("请求体中有超出范围的数值（NaN、Infinity、1e400 或位数过多的整数），未予办理。") from None
        check_json_text(data)
        return data

    def load_querystring(self, req, schema: Schema) -> Any:
        known = {f.data_key or name for name, f in schema.fields.items()}
        unknown = [name for name in req.args if name not in known]
        if unknown:
            allowed = "、".join(sorted(known)) or "无（此地址不接受查询参数）"
            raise BadRequest(f"不认识的查询参数：{'、'.join(shown(n) for n in unknown)}。请检查拼写；"
                             f"此处可用的参数：{allowed}。")
        return super().load_querystring(req, schema)


def shown(name: str) -> str:
    """A parameter name quoted in a message: cut short, and unprintable characters written as escapes."""
    visible = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in name[:40])
    return f"“{visible}{'…' if len(name) > 40 else ''}”"


def storable(text: str) -> bool:
    """Whether both databases can hold `text`."""
    # PostgreSQL text and jsonb hold no NUL, and a lone surrogate (JSON "\ud800") has no UTF-8 form.
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(value: Any) -> Iterator[tuple[str, int, str | None]]:
    """(path, depth, text) for every node of a parsed JSON document; iterative, so depth cannot hurt."""
    stack: list[tuple[str, int, Any]] = [("", 1, value)]
    while stack:
        path, depth, node = stack.pop()
        if isinstance(node, dict):
            yield path, depth, None
            for key, item in node.items():
                yield f"{path}.{key}".lstrip("."), depth, key
                stack.append((f"{path}.{key}".lstrip("."), depth + 1, item))
        elif isinstance(node, list):
            yield path, depth, None
            stack.extend((f"{path}.{i}".lstrip("."), depth + 1, item) for i, item in enumerate(node))
        else:
            yield path, depth, node if isinstance(node, str) else None


def _field_name(path: str) -> str:
    """A path for the `fields` of an answer: cut short, and unprintable characters (a lone surrogate
    cannot even be written as JSON) as escapes."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in path[:200]) or "_body"


def check_json_text(document: Any) -> None:
    """Refuses a body nested deeper than MAX_JSON_DEPTH (400) or holding, in any key or value, a
    character no text field takes (422: control characters, noncharacters, lone surrogates).

    Fields declared in a schema are checked again there, stricter where they are one line."""
    problems: dict[str, list[str]] = {}
    for path, depth, text in _walk(document):
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(TOO_DEEP)
        problem = unprintable(text, multiline=True) if text is not None else None
        if problem:
            problems.setdefault(_field_name(path), [problem])
    if problems:
        raise InvalidPayload("提交的内容有误，请逐项修改。", problems)


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
    status = fields.String(validate=validate.OneOf(["pending", "met", "lapsed", "cancelled", "awaiting_service",
                                                     "suspended"]))
    overdue = fields.Boolean(metadata={"description": "lapsed and not yet dealt with"})
    provisional = fields.Boolean()
    service_level = fields.Boolean()
    basis = fields.String()
    awaits_service = fields.String(allow_none=True, metadata={
        "description": "awaiting_service: the document kind whose service (送达) starts the period"})
    reason = fields.String(allow_none=True, metadata={"description": "why this period started: 起算, 重新起算, 恢复计算, 送达"})
    ended_at = fields.String(allow_none=True, metadata=_INSTANT)
    end_reason = fields.String(allow_none=True, metadata={"description": "the act that ended it, with its basis"})


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
    awaiting_service = fields.Boolean(metadata={"description": "a period waits for a document's service (待送达)"})
    deadlines = fields.List(fields.Nested(DeadlineOut), metadata={
        "description": "every period of the case, ended ones included, in order: its history"})
    available_triggers = fields.List(fields.String())
    documents = fields.List(fields.Nested(DocumentRef))
    services = fields.List(fields.Dict(), metadata={"description": "how and when each document was served (GET only)"})


class RecordedAct(Schema):
    """One entry of a case's history, as the history and the audit log both show it."""
    seq = fields.Integer()
    trigger = fields.String()
    actor = fields.String()
    actor_role = fields.String()
    occurred_at = fields.String(metadata=_INSTANT)
    recorded_at = fields.String(metadata=_INSTANT)
    from_state = fields.String(allow_none=True)
    to_state = fields.String()


class HistoryOut(RecordedAct):
    payload = fields.Dict()
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
    service_level = fields.Boolean(metadata={"description": "办理时限（true）或法定期限（false）"})
    working_days_overdue = fields.Integer()


class OverdueBand(Schema):
    band = fields.String()
    title = fields.String()
    min_days = fields.Integer()
    count = fields.Integer(metadata={"description": "该逾期天数段的项数（按所选条件）"})


class OverdueCount(Schema):
    agency = fields.String()
    procedure = fields.String(allow_none=True, metadata={"description": "未按程序分组时为 null（见 group_by）"})
    band = fields.String(allow_none=True, metadata={"description": "未按逾期天数段分组时为 null（见 group_by）"})
    band_title = fields.String(allow_none=True)
    count = fields.Integer()


class OverdueSummary(Schema):
    as_of = fields.String(metadata={"format": "date", "description": "逾期工作日计算至该日"})
    total = fields.Integer()
    group_by = fields.List(fields.String(), metadata={"description": (
        "items 按哪些项分组：未选单位和程序时按单位（agency）；选了程序时按单位、程序；"
        "选了单位时按单位、程序、逾期天数段（band）")})
    bands = fields.List(fields.Nested(OverdueBand))
    items = fields.List(fields.Nested(OverdueCount), metadata={"description": "每组的项数（分组见 group_by）"})


class TodoOut(Schema):
    case_id = fields.Integer()
    procedure = fields.String()
    procedure_title = fields.String()
    definition_version = fields.Integer()
    agency = fields.String()
    title = fields.String()
    state = fields.String()
    state_title = fields.String()
    version = fields.Integer()
    opened_at = fields.String(metadata=_INSTANT)
    triggers = fields.List(fields.String(), metadata={"description": "what the caller's role may fire now"})
    deadline = fields.Nested(DeadlineOut, allow_none=True, metadata={"description": "the pending deadline whose last day is nearest"})
    working_days_left = fields.Integer(allow_none=True, metadata={"description": "working days after today up to the last day"})
    working_days_overdue = fields.Integer(allow_none=True, metadata={"description": "working days past the last day"})
    awaiting_service = fields.Boolean(metadata={"description": "a period waits for the service (送达) of a document"})


class AgencyOut(Schema):
    code = fields.String()
    name = fields.String()
    kind = fields.String()
    # A township team's government (乡镇人民政府、街道办事处, attachment 2 art. 3); null for the others.
    government = fields.String(allow_none=True)


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
    observers = fields.List(fields.String(), metadata={"description": "只读角色（如 procuratorate）：可查看本单位参与的此类案件，不能办理"})
    data = fields.List(fields.String())
    parties_field = fields.String(allow_none=True)
    correlation_field = fields.String()
    correlation_per_agency = fields.Boolean(metadata={"description": "关联编号按单位区分：对接系统发送“单位代码/取值”，如 gaj/2025"})
    correlation_while_open = fields.Boolean(metadata={"description": "关联编号只指向正在办理的案件；案件办结后可以同一编号重新立案"})
    opening_event = fields.String(allow_none=True)
    unverified = fields.Integer(metadata={"description": "依据条文系据摘要编写、尚未与公布文本核对的项数；"
                                                         "各状态、操作、期限、文书以 verified=false 标明"})
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


def page_of(item: type[Schema], name: str, total: str | None = None) -> type[Schema]:
    """A keyset page of `item`s; with `total` (its description), the count of every page's rows."""
    shape = {"items": fields.List(fields.Nested(item)), "next": fields.String(allow_none=True)}
    if total is not None:
        shape["total"] = fields.Integer(metadata={"description": total})
    return Schema.from_dict(shape, name=name)


CasePage = page_of(CaseOut, "CasePage", total="符合条件的案件总数（所有页）")
HistoryPage = page_of(HistoryOut, "HistoryPage")
OverduePage = page_of(OverdueOut, "OverduePage")
AgencyPage = page_of(AgencyOut, "AgencyPage")
ProcedurePage = page_of(ProcedureOut, "ProcedurePage")
IncidentPage = page_of(IncidentOut, "IncidentPage")
InboundPage = page_of(InboundOut, "InboundPage")
TodoPage = page_of(TodoOut, "TodoPage", total="rows on all pages")
