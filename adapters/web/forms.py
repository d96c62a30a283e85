"""Forms generated from the marshmallow schemas the engine validates with.

A list of codes becomes checkboxes, a choice a select, text a text box; what the person
submits goes to the engine unchanged in meaning, and the engine's field-by-field refusal
(InvalidPayload.fields) is shown beside the fields it names.
"""
from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from xsflow.definitions import Procedure
from xsflow.errors import BadRequest
from xsflow.payloads import LONG_TEXT
from xsflow.wording import cn_date

from .dates import DATE_HINT, INSTANT_HINT, parse_form_date, parse_form_instant

# Titles of the field names the procedures use, for schemas that give none of their own
# (`metadata={"title": …}` on a field wins; see docs/web.md). Names whose schema helpers already
# say what they are (codes(what=…), choice(what=…), "执法证号应为文字") are read from those messages.
PREFERRED_TITLES = {  # more precise than the noun the helpers name
    "missing": "需补正的材料",
    "items": "本次补正的材料",
    "supplied": "已补正的材料",
}
FIELD_TITLES = {
    "accountability": "移送问责情况",
    "agency": "单位",
    "agreement": "一致意见",
    "case_file": "被评查案卷（名称或文号）",
    "competent_organ": "有决定权的机关",
    "content": "通报内容",
    "course": "培训名称或期次",
    "decision": "决定事项",
    "document_number": "文号",
    "effective_on": "施行日期",
    "findings": "查明的事实",
    "legal_basis": "法律依据",
    "materials": "相关文件材料",
    "matters": "协调事项",
    "measures": "整改、落实措施",
    "name": "姓名",
    "negotiation": "协商情况及分歧",
    "new_document_number": "修改或废止文件的文号",
    "note": "说明",
    "notice_number": "通报批评文号",
    "occurred_at": "发生时间",
    "opinion": "意见",
    "parties": "争议相对方单位",
    "period_days": "改正期限（日）",
    "problems": "存在的问题",
    "proposal": "解决方案及理由",
    "publication_medium": "公布载体",
    "reason": "理由",
    "reasons": "理由",
    "rectification_days": "纠正期限（日）",
    "reference": "关联编号（文号）",
    "report": "纠正情况报告",
    "report_number": "备案报告文号",
    "requirements": "整改要求",
    "responsible_persons": "建议处分的责任人",
    "session": "考试批次",
    "source": "线索来源",
    "summary": "概述",
    "title": "案件名称",
    "uniform_number": "统一编号",
    "report_title": "报告名称",
    "member_id": "成员编号",
    "unit": "所在单位",
    "file": "案卷（案号）",
    "minutes": "集体评议记录",
    "reviewer": "评查（审查）人员",
    "population": "可供抽取的案卷",
    "seed": "随机种子",
    "sizes": "个别单位的抽取件数及理由",
    "member": "评查人员（成员编号）",
    "case_number": "案号",
    "handler": "办案人员",
    "agency_concerned": "被投诉举报的单位",
    "anonymous": "匿名投诉举报",
    "complainant": "投诉举报人及联系方式",
    "facts": "事实经过",
    "higher_authority": "转办的上级机关",
    "media": "曝光媒体",
    "ticket": "12345热线工单号",
    "advice": "告知投诉举报人的途径",
    "explanation": "不属于监督范围的理由",
    "supervision_case": "立案监督的个案监督案件编号",
    "result": "处理结果",
    "letter": "办理情况报告文号",
    "sanctioning_authority": "处分建议送达的机关",
    "source_case": "来源案件编号",
    "suspected_offence": "涉嫌罪名",
    "penalty_decision": "行政处罚决定（文号及罚款数额）",
    "threshold": "刑事追诉标准（依据）",
    "team": "专案组成员",
    "transfer_number": "移送书文号",
    "description": "议题说明",
    "other": "其他情况",
}

# LONG_TEXT: a text field allowed more characters than this is a text area (and may hold line breaks).

_WHOLE = re.compile(r"[0-9]{1,9}")
_INTEGER = re.compile(r"[-+]?[0-9]{1,15}")
_DECIMAL = re.compile(r"[-+]?[0-9]{1,15}(?:\.[0-9]{1,15})?")


def whole_number(raw: str | None, name: str) -> int | None:
    """A page's numeric parameter (a version, a count of days): ASCII digits only, None when absent.

    `str.isdigit` holds for "²" and "١", which `int` then refuses or reads; a version of "-1" or "1.0"
    must not pass as "no version given", which would skip the stale-form check.
    """
    raw = (raw or "").strip()
    if raw == "":
        return None
    if not _WHOLE.fullmatch(raw):
        raise BadRequest(f"参数 {name} 应为不超过 9 位的非负整数（半角数字），收到的是“{raw[:20]}”。")
    return int(raw)


@dataclass
class FormField:
    name: str
    label: str
    kind: str  # checkboxes | select | textarea | text | number | decimal | date | datetime | checkbox | lines | json | agencies
    required: bool = False
    choices: list[tuple[str, str]] = field(default_factory=list)
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    help: str = ""


def _one_of(f: fields.Field) -> validate.OneOf | None:
    return next((v for v in f.validators if isinstance(v, validate.OneOf)), None)


def _labels(v: validate.OneOf) -> list[tuple[str, str]]:
    """(code, Chinese name) of a choice: its labels, else the names its error message lists."""
    codes = [str(c) for c in v.choices]
    labels = [str(lab) for lab in getattr(v, "labels", []) or []]
    if len(labels) == len(codes):
        return list(zip(codes, labels))
    message = str(v.error or "")
    out = []
    for code in codes:
        m = re.search(r"(?<=[：、])" + re.escape(code) + r"（(.+?)）(?=、|。|$)", message)
        out.append((code, m.group(1) if m else code))
    return out


_WHAT = [re.compile(p) for p in (r"至少列出一项(.+?)。", r"不是有效的(.+?)(?:代码)?，可选", r"^(.+?)应为 1 至",
                                   r"^(.+?)应在 1 至", r"^(.+?)应为(?:文字|日期|整数|数字)", r"^(.+?)格式应为")]


def _what(f: fields.Field) -> str | None:
    """The noun the schema's own messages use (至少列出一项材料 → 材料; 执法证号应为文字 → 执法证号)."""
    messages = [str(getattr(v, "error", "") or "") for v in f.validators]
    messages.append(str(f.error_messages.get("invalid", "")))
    for message in messages:
        for pattern in _WHAT:
            m = pattern.search(message)
            if m and m.group(1).strip():
                return m.group(1).strip()
    return None


def field_label(name: str, f: fields.Field | None) -> str:
    """A field's Chinese title: its metadata, else the names above and the schema's own messages."""
    if f is not None:
        for key in ("title", "label"):
            if f.metadata.get(key):
                return str(f.metadata[key])
    if name in PREFERRED_TITLES:
        return PREFERRED_TITLES[name]
    inner = getattr(f, "inner", None)
    what = (f is not None and _what(f)) or (inner is not None and _what(inner)) or None
    chosen = f is not None and (_one_of(f) is not None or (inner is not None and _one_of(inner) is not None))
    if what and chosen:
        return what
    return FIELD_TITLES.get(name) or what or name


def form_field(name: str, f: fields.Field) -> FormField:
    label = field_label(name, f)
    help_text = str(f.metadata.get("description", "")) if f.metadata.get("description") else ""
    required = bool(f.required)
    if isinstance(f, fields.List):
        inner = f.inner
        choice = _one_of(inner)
        if choice is not None:
            return FormField(name, label, "checkboxes", required, _labels(choice), help=help_text)
        if isinstance(inner, fields.Nested):  # a list of records (a complaint's officers): typed as JSON
            return FormField(name, label, "json", required, help=help_text or "JSON 格式。")
        return FormField(name, label, "lines", required, help=help_text or "每行一项。")
    choice = _one_of(f)
    if choice is not None:
        return FormField(name, label, "select", required, _labels(choice), help=help_text)
    if isinstance(f, fields.Boolean):
        return FormField(name, label, "checkbox", False, help=help_text)
    if isinstance(f, fields.Number):
        rng = next((v for v in f.validators if isinstance(v, validate.Range)), None)
        return FormField(name, label, "number" if isinstance(f, fields.Integer) else "decimal", required,
                         minimum=getattr(rng, "min", None), maximum=getattr(rng, "max", None), help=help_text)
    if isinstance(f, fields.Date):  # before DateTime: Date is its subclass
        return FormField(name, label, "date", required, help=help_text or DATE_HINT + "。")
    if isinstance(f, fields.DateTime):
        return FormField(name, label, "datetime", required, help=help_text or INSTANT_HINT + "。")
    if isinstance(f, fields.String):
        length = next((v for v in f.validators if isinstance(v, validate.Length)), None)
        most = getattr(length, "max", None)
        kind = "textarea" if most is None or most > LONG_TEXT else "text"
        return FormField(name, label, kind, required, max_length=most, help=help_text)
    return FormField(name, label, "json", required, help=help_text or "JSON 格式。")


def schema_fields(schema: type[Schema] | None) -> list[FormField]:
    if schema is None:
        return []
    return [form_field(name, f) for name, f in schema().fields.items() if not f.dump_only]


def read_form(form: MultiDict, specs: Iterable[FormField], prefix: str = "") -> tuple[dict[str, Any], dict[str, list[str]]]:
    """What was submitted, as the engine takes it, and the problems found before asking the engine.

    Empty optional fields are left out; an empty required list is sent as [] so that the engine
    says what is missing in its own words.
    """
    values: dict[str, Any] = {}
    problems: dict[str, list[str]] = {}
    for spec in specs:
        key = prefix + spec.name
        if spec.kind in ("checkboxes", "agencies"):
            chosen = [v for v in form.getlist(key) if v]
            if chosen or spec.required:
                values[spec.name] = chosen
            continue
        if spec.kind == "checkbox":
            values[spec.name] = form.get(key) in ("on", "1", "true")
            continue
        raw = (form.get(key) or "").strip()
        if raw == "":
            continue
        if spec.kind == "number":
            if _INTEGER.fullmatch(raw):
                values[spec.name] = int(raw)
            else:
                problems[spec.name] = ["应为整数（半角数字）。"]
        elif spec.kind == "decimal":
            if _DECIMAL.fullmatch(raw):
                values[spec.name] = float(raw)
            else:
                problems[spec.name] = ["应为数字（半角数字，可带小数点）。"]
        elif spec.kind == "date":
            try:
                values[spec.name] = parse_form_date(raw).isoformat()
            except ValueError:
                problems[spec.name] = [f"日期格式有误，请按年月日填写，{DATE_HINT}。"]
        elif spec.kind == "datetime":
            try:
                values[spec.name] = parse_form_instant(raw).isoformat()
            except ValueError:
                problems[spec.name] = [f"时间格式有误，请按年月日和时分填写，{INSTANT_HINT}。"]
        elif spec.kind == "lines":
            values[spec.name] = [line.strip() for line in raw.splitlines() if line.strip()]
        elif spec.kind == "json":
            try:
                values[spec.name] = json.loads(raw)
            except ValueError:
                problems[spec.name] = ["不是合法的 JSON。"]
        else:
            values[spec.name] = raw
    return values, problems


def form_values(form: MultiDict, specs: Iterable[FormField], prefix: str = "") -> dict[str, Any]:
    """The submitted values as the form shows them again after a refusal."""
    out: dict[str, Any] = {}
    for spec in specs:
        key = prefix + spec.name
        out[spec.name] = form.getlist(key) if spec.kind in ("checkboxes", "agencies") else form.get(key, "")
    return out


def errors_by_field(problems: Mapping[str, list[str]], names: Iterable[str], prefix: str = "") -> tuple[dict[str, list[str]], list[str]]:
    """The engine's problems keyed by form field ("missing.0" → "missing"), and those of no field."""
    known = set(names)
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for key, messages in problems.items():
        name = key.removeprefix(prefix) if prefix and key.startswith(prefix) else key
        base = name.split(".")[0]
        if base in known:
            by_field.setdefault(base, []).extend(messages)
        else:
            general.extend(messages)
    return by_field, general


@cache
def code_titles(proc: Procedure) -> dict[str, dict[str, str]]:
    """Per field name, the Chinese names of its codes, from every schema of the procedure."""
    out: dict[str, dict[str, str]] = {}
    schemas = [t.payload for t in proc.transitions if t.payload is not None] + ([proc.data] if proc.data else [])
    for schema in schemas:
        for name, f in schema().fields.items():
            target = f.inner if isinstance(f, fields.List) else f
            choice = _one_of(target)
            if choice is not None:
                out.setdefault(name, {}).update(dict(_labels(choice)))
    merged: dict[str, str] = {}
    for titles in out.values():
        merged.update(titles)
    out["*"] = merged
    return out


@cache
def field_titles(proc: Procedure) -> dict[str, str]:
    out: dict[str, str] = {}
    schemas = ([proc.data] if proc.data else []) + [t.payload for t in proc.transitions if t.payload is not None]
    for schema in schemas:
        for name, f in schema().fields.items():
            out.setdefault(name, field_label(name, f))
    return out


def describe(proc: Procedure, values: Mapping[str, Any] | None,
             agency_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """(label, text) of each entry of a payload or case data, codes given their Chinese names."""
    if not values:
        return []
    titles, codes = field_titles(proc), code_titles(proc)
    agency_names = agency_names or {}
    out = []
    for key, value in values.items():
        names = {**codes.get("*", {}), **codes.get(key, {})}
        label = titles.get(key) or PREFERRED_TITLES.get(key) or FIELD_TITLES.get(key) or DATA_TITLES.get(key, key)
        if key in (proc.parties_field, proc.subject_field):  # agency codes: their names
            names = {**names, **agency_names}
        if key == "deadline" and isinstance(value, str):  # what a lapse records: the deadline's name
            names = {d.name: d.title for d in proc.deadlines}
        out.append((label, _value_text(value, names)))
    return out


# Keys the engine itself writes into a lapse's history entry.
DATA_TITLES = {"deadline": "期限", "due_date": "最后一日"}
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _value_text(value: Any, names: Mapping[str, str]) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, str):
        if _ISO_DATE.fullmatch(value):
            try:
                return cn_date(value)
            except ValueError:  # stored before dates were checked strictly: shown as it was typed
                return value
        return names.get(value, value)
    if isinstance(value, list):
        return "、".join(_value_text(v, names) for v in value) if value else "（无）"
    if isinstance(value, dict):
        return "；".join(f"{k}：{_value_text(v, names)}" for k, v in value.items())
    if value is None:
        return "—"
    return str(value)
