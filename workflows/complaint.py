"""投诉举报 — a complaint or report about enforcement, from registration to the reply.

《秀山自治县行政执法监督制度》 (attachment 2): the supervision office examines and investigates what
complaints and reports about enforcement raise (art. 4 (3)); a complaint, a report or a media
exposure is a ground to open a supervision check (art. 29 (一)(二)); agencies keep a complaint
channel (art. 33). The 2022 scoring standard (attachment 4, 三.5) asks that what reports, higher
authorities or other channels bring in be investigated or supervised in good time and the result
fed back (及时进行查处或督办，并反馈结果).

A complaint is registered by a clerk of the justice bureau (phone, letter, visit), by a supervisor,
or by the 12345 hotline platform through `POST /api/v1/events` (opening event `register`, keyed by
its ticket number: a ticket posted twice opens one case). The bureau triages it:
- not within supervision: closed with the reason and a reply to the complainant;
- transferred to the agency concerned (转办函): the agency handles it and reports the result, the
  bureau checks the result (or sends it back) and replies to the complainant;
- investigated by the bureau itself: a `case_supervision` case is opened on the version in force
  (art. 29 (一)) and named in the transition, which checks that it exists (see `investigate`).
A complainant's repeat on the same matter (a second call, a follow-up letter, a 12345 reminder on
the same ticket) is an event on the open case (`repeat`), not a new case.

The officers concerned and the finding (att. 3 art. 2, 3: the assessment covers 执法部门及其执法人员,
so the personnel record counts the complaints upheld against each person, workflows/assessment_personnel.py):
- `officers`: the enforcement officers the complaint concerns, each by name and 执法证号 (the number on
  the certificate an officer shows when acting), given at registration, or when the agency's result is
  recorded (`report_result`), or at the reply; the latest list given is the case's. A number in the
  shape of workflows/certificate_number.py; the personnel record counts it for the holder of that
  certificate, and the case page links to the holder's certificate case.
- `finding`: 属实 / 部分属实 / 不属实, the bureau's conclusion at the reply (`reply`, supervisor only:
  the result it checked, art. 4 (3); 考核标准 三.5 反馈结果). Officers' names are not the complainant's
  personal data: they stay visible to whoever sees the case.

Where the rule is silent (each choice is repeated where it is declared):
- The case belongs to the justice bureau (`agency`: the bureau, `sfj`), not to the agency
  concerned, which is only named in the data (`agency_concerned`). The complainant's name and
  contact are personal data the agency complained about must not learn (《信访工作条例》 forbids
  passing a complainant's materials to those complained about). The agency concerned is not made a
  party: it gets the referral letter (without the complainant's contact) and answers on paper or
  through its OA; the bureau records its result (`report_result`). The township or street
  government of a team complained about sees the case (attachment 2 art. 3: it supervises the teams
  in its area), but never the complainant: `complainant` is private data (xsflow/private.py), left
  out of every answer to anyone but the bureau's own staff and the county-wide roles, and the reply,
  addressed to the complainant, is withheld from them.
- Periods: none in the rule; service levels from `service_levels/complaint.toml`, taken from the
  《信访工作条例》 (15 days to decide, 60 days to handle; see docs/decisions.md).
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from xsflow.definitions import Basis, CaseLink, Private, Rule, procedure, service_level, state, transition
from xsflow.payloads import Payload, choice, text
from xsflow.reference import BUNDLED, read_agencies

from .certificate_number import certificate_number
from .numbering import document
from .settings import service_level_setting

RULE = Rule("《秀山自治县行政执法监督制度》")
FEEDBACK = Basis("《2022年行政执法考核标准》", "三.5", "对举报、上级交办或其它渠道反映的案件及时进行查处或督办，并反馈结果")

SOURCES = {  # art. 29 (一)(二); 考核标准 三.5
    "complaint": "投诉",
    "report": "举报",
    "media_exposure": "媒体曝光",
    "higher_authority": "上级机关交办",
}
CHANNELS = {
    "hotline": "12345政务服务便民热线",
    "phone": "来电",
    "letter": "来信",
    "visit": "来访",
    "online": "网上投诉举报",
    "media": "新闻媒体",
    "official_letter": "上级机关来函",
}
DECLINE_REASONS = {
    "not_enforcement": "不属于行政执法行为",
    "other_channel": "属于行政复议、行政诉讼、仲裁等法定途径解决的事项",
    "no_facts": "没有具体的事实和线索",
    "other": "其他不属于行政执法监督范围的情形",
}
# The bureau's conclusion on the facts complained of (art. 4 (3): 检查、调查…所涉相关情况).
FINDINGS = {
    "upheld": "属实",
    "partly_upheld": "部分属实",
    "not_upheld": "不属实",
}
# Counted against the officers concerned on their personnel record: a complaint found partly true is
# upheld in part, and that part is a lapse of theirs (docs/decisions.md "complaint").
UPHELD = ("upheld", "partly_upheld")
MAX_OFFICERS = 20


class Stage(StrEnum):
    REGISTERED = "registered"
    TRANSFERRED = "transferred"
    RESULT_REPORTED = "result_reported"
    INVESTIGATING = "investigating"
    REPLIED = "replied"
    DECLINED = "declined"


OPEN = (Stage.REGISTERED, Stage.TRANSFERRED, Stage.RESULT_REPORTED, Stage.INVESTIGATING)


# --- what the case carries and what each step brings ------------------------------------------------


class Complainant(Payload):
    """Personal data: only the bureau sees it (see the module docstring)."""

    name = text(max_length=100)
    phone = text(max_length=50)
    address = text(max_length=300)


class Officer(Payload):
    """An enforcement officer the complaint concerns: not the complainant's data."""

    name = text(max_length=50, min_length=1, required=True, metadata={"title": "执法人员姓名"})
    certificate_number = certificate_number()

    @validates_schema
    def named(self, data: Mapping[str, Any], **_: Any) -> None:
        if not data["name"].strip():
            raise ValidationError("请填写执法人员姓名。", "name")


def _distinct_numbers(officers: list[Mapping[str, Any]]) -> None:
    numbers = [o["certificate_number"].strip() for o in officers]
    if len(set(numbers)) != len(numbers):
        raise ValidationError("同一执法证号列了两次，请每名执法人员只列一次。")


def officers_field() -> fields.List:
    return fields.List(
        fields.Nested(Officer, error_messages={"type": "每名执法人员应为 JSON 对象：{\"name\": 姓名, \"certificate_number\": 执法证号}。"}),
        validate=[validate.Length(min=1, max=MAX_OFFICERS, error=f"应列出 1 至 {MAX_OFFICERS} 名执法人员。"), _distinct_numbers],
        error_messages={"null": "不能为空值。", "invalid": "被投诉举报的执法人员应为 JSON 数组。"},
        metadata={"title": "被投诉举报的执法人员",
                  "description": "JSON 数组，每人一项：[{\"name\": \"姓名\", \"certificate_number\": \"执法证号\"}]"})


class Registration(Payload):
    source = choice(SOURCES, what="来源")
    channel = choice(CHANNELS, what="渠道")
    ticket = text(max_length=100)  # 12345 工单编号: the correlation key
    agency_concerned = fields.String(required=True, validate=validate.Length(min=1, max=50, error="请填写被投诉举报单位代码。"),
                                     error_messages={"required": "必须填写被投诉举报单位。", "null": "不能为空值。",
                                                     "invalid": "应为单位代码。"})
    facts = text(max_length=20000, required=True)  # 反映的问题
    happened_on = fields.Date(error_messages={"invalid": "发生日期格式应为 YYYY-MM-DD。", "null": "不能为空值。"})
    complainant = fields.Nested(Complainant, error_messages={"invalid": "投诉举报人信息应为 JSON 对象。"})
    anonymous = fields.Boolean(load_default=False, error_messages={"invalid": "应为 true 或 false。"})
    media = text(max_length=300)  # 媒体名称及报道 (art. 29 (二))
    higher_authority = text(max_length=200)  # 交办机关及文号
    officers = officers_field()  # 被投诉举报的执法人员, when the complainant names them

    @validates_schema
    def who_says_it(self, data: Mapping[str, Any], **_: Any) -> None:
        problems = {}
        if not data["facts"].strip():
            problems["facts"] = ["请写明反映的问题。"]
        if data["source"] in ("complaint", "report") and not data.get("anonymous") and not (
                data.get("complainant") or {}).get("name"):
            problems["complainant"] = ["请填写投诉举报人姓名；匿名举报的，请将 anonymous 设为 true。"]
        if data["source"] == "media_exposure" and not data.get("media"):
            problems["media"] = ["媒体曝光的，请写明媒体名称及报道。"]
        if data["source"] == "higher_authority" and not data.get("higher_authority"):
            problems["higher_authority"] = ["上级机关交办的，请写明交办机关及文号。"]
        if problems:
            raise ValidationError(problems)


def statement(what: str) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=20000, error=f"请填写{what}（不超过 20000 个字）。"),
                         error_messages={"required": f"必须填写{what}。", "null": "不能为空值。", "invalid": "应为文字。"})


class Repeat(Payload):
    channel = choice(CHANNELS, what="渠道")
    ticket = text(max_length=100)  # the repeat's own ticket, when the hotline gave it one
    content = statement("重复反映的内容")


class Decline(Payload):
    reason = choice(DECLINE_REASONS, what="不予受理理由")
    explanation = statement("不属于监督范围的理由")
    advice = text(max_length=2000)  # 告知的救济或办理途径


class Transfer(Payload):
    requirements = text(max_length=5000)  # 办理要求


class Result(Payload):
    result = statement("办理结果")
    letter = text(max_length=100)  # 被投诉单位的报告文号
    officers = officers_field()  # the officers the agency's investigation found concerned


class ReturnResult(Payload):
    reasons = statement("退回重办的理由")


class Investigate(Payload):
    supervision_case = fields.Integer(required=True, strict=True, error_messages={
        "required": "请填写已立案的行政执法个案监督案件编号。", "null": "不能为空值。", "invalid": "应为案件编号（整数）。"})
    note = text(max_length=2000)


class Reply(Payload):
    result = statement("答复内容")
    finding = choice(FINDINGS, what="核查结论", metadata={"title": "核查结论"})  # the bureau's, supervisor only
    officers = officers_field()  # the officers concerned, as the bureau's check found them


# --- effects and document facts ---------------------------------------------------------------------


def note_repeat(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "repeats": [*data.get("repeats", []), dict(payload)]}


def outcome(value: str):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, "outcome": value}
    return effect


def _with_officers(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The case data with the payload's officers (numbers trimmed), when it names them: the latest list is the case's."""
    if "officers" not in payload:
        return dict(data)
    return {**data, "officers": [{"name": o["name"].strip(), "certificate_number": o["certificate_number"].strip()}
                                 for o in payload["officers"]]}


def note_result(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**_with_officers(data, payload),
            "results": [*data.get("results", []), {"result": payload["result"], "returned": None}]}


def note_finding(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**_with_officers(data, payload), "outcome": "replied", "finding": payload["finding"]}


def note_returned(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    results = list(data.get("results", []))
    if results:
        results[-1] = {**results[-1], "returned": payload["reasons"]}
    return {**data, "results": results}


def note_supervision(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "supervision_case": payload["supervision_case"]}


@cache
def _agency_names() -> dict[str, str]:
    return {a["code"]: a["name"] for a in read_agencies(BUNDLED)}


def agency_name(code: str) -> str:
    """The bundled name of an agency; its code when the operator added it after the release."""
    return _agency_names().get(code, code)


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _common(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    return {"source_title": SOURCES[data["source"]], "channel_title": CHANNELS[data["channel"]],
            "agency_concerned_name": agency_name(data["agency_concerned"]),
            "facts_lines": _lines(data.get("facts")), "complainant": data.get("complainant") or {},
            "anonymous": bool(data.get("anonymous"))}


def referral_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    # Nothing of the complainant goes to the agency complained about.
    out = _common(facts)
    del out["complainant"]
    return {**out, "requirement_lines": _lines(facts["payload"].get("requirements")),
            "handling": service_level_setting("complaint", "handling")["days"]}


def reply_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    payload = facts["payload"]
    referrals = [d for d in facts["earlier_documents"] if d["kind"] == "complaint_referral"]
    return {**_common(facts), "declined": "reason" in payload,
            "reason_title": DECLINE_REASONS.get(payload.get("reason", ""), ""),
            "answer_lines": _lines(payload.get("result") or payload.get("explanation")),
            "advice_lines": _lines(payload.get("advice")),
            "referral": referrals[-1] if referrals else None,
            "supervision_case": facts["data"].get("supervision_case")}


# --- the procedure ---------------------------------------------------------------------------------

EXAMINE = RULE.art(4, 3, note="检查、调查行政执法监督投诉举报所涉相关情况")
OPENING = RULE.art(29, "一", note="因错误行政执法行为被投诉或举报的，可以启动行政执法监督检查程序")
NOT_WITHIN = RULE.art(4, 3, note="不属于行政执法监督范围的，说明理由并答复")

complaint = procedure(
    "complaint", version=1, title="行政执法投诉举报", initial=Stage.REGISTERED,
    basis=EXAMINE, opened_by=("clerk", "system", "supervisor"), data=Registration,
    correlation_field="ticket", opening_event="register", subject_field="agency_concerned",
    private=Private(fields=("complainant",), documents=("complaint_reply",)),
    states=[
        state(Stage.REGISTERED, "已登记待分办", basis=EXAMINE),
        state(Stage.TRANSFERRED, "已转被投诉举报单位办理", basis=FEEDBACK),
        state(Stage.RESULT_REPORTED, "办理结果待核查", basis=FEEDBACK),
        state(Stage.INVESTIGATING, "县司法局立案监督中", basis=OPENING),
        state(Stage.REPLIED, "已答复", basis=FEEDBACK, terminal=True),
        state(Stage.DECLINED, "不属于监督范围，已答复", basis=NOT_WITHIN, terminal=True),
    ],
    transitions=[
        # A repeat on the same matter joins the open case: a second call, letter or 12345 reminder.
        transition("repeat", OPEN, None, role=("clerk", "system", "supervisor"), payload=Repeat, effect=note_repeat,
                   basis=EXAMINE, title="重复反映同一事项"),
        transition("decline", Stage.REGISTERED, Stage.DECLINED, role="supervisor", payload=Decline,
                   effect=outcome("declined"), issues="complaint_reply", basis=NOT_WITHIN,
                   title="不属于监督范围，答复投诉举报人"),
        transition("transfer", Stage.REGISTERED, Stage.TRANSFERRED, role="supervisor", payload=Transfer,
                   issues="complaint_referral", basis=FEEDBACK, title="转被投诉举报单位办理（督办）"),
        # The agency concerned answers by letter or OA; the bureau's clerk records it, or a county-wide
        # system posts it by ticket number (the agency is not a party: see the module docstring).
        transition("report_result", Stage.TRANSFERRED, Stage.RESULT_REPORTED, role=("clerk", "system", "supervisor"),
                   payload=Result, effect=note_result, basis=FEEDBACK, title="登记被投诉举报单位的办理结果"),
        transition("return_result", Stage.RESULT_REPORTED, Stage.TRANSFERRED, role="supervisor",
                   payload=ReturnResult, effect=note_returned, basis=FEEDBACK, title="办理结果核查未通过，退回重办"),
        # Art. 29 (一): the bureau investigates itself in a case_supervision case opened on the version
        # in force; the engine cannot open a case from a transition, so the supervisor opens it first
        # and names it here, and the link is checked (exists, is case supervision, is still open).
        transition("investigate", Stage.REGISTERED, Stage.INVESTIGATING, role="supervisor", payload=Investigate,
                   effect=note_supervision, basis=OPENING, title="启动行政执法个案监督",
                   links=(CaseLink("supervision_case", lambda data, payload: {"case_supervision": None},
                                   what="行政执法个案监督案件"),)),
        transition("reply", (Stage.RESULT_REPORTED, Stage.INVESTIGATING), Stage.REPLIED, role="supervisor",
                   payload=Reply, effect=note_finding, issues="complaint_reply", basis=FEEDBACK,
                   title="核查办理结果，答复投诉举报人"),
    ],
    deadlines=[
        service_level("triage", title="分办期限", while_in=Stage.REGISTERED,
                      setting=service_level_setting("complaint", "triage")),
        service_level("handling", title="办理答复期限",
                      while_in=(Stage.TRANSFERRED, Stage.RESULT_REPORTED, Stage.INVESTIGATING),
                      setting=service_level_setting("complaint", "handling")),
    ],
    documents=[
        document("complaint_referral", title="行政执法投诉举报转办函", issuer="justice_bureau", basis=FEEDBACK,
                 facts=referral_facts),
        document("complaint_reply", title="行政执法投诉举报答复书", issuer="justice_bureau", basis=FEEDBACK,
                 facts=reply_facts),
    ],
)

PROCEDURES = [complaint]
