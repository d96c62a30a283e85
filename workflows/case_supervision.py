"""行政执法个案监督 — supervision of an individual enforcement case, in two definition versions.

Version 1 follows the county rule of 2022, 《秀山自治县行政执法监督制度》 (attachment 2):
the supervision office opens a supervision check on one of the grounds of art. 29, or because a
case file scored under 60 in the concentrated review (art. 28); it investigates, and when it finds
an unlawful or improper act it issues a 《行政执法监督意见书》 (art. 30). The agency corrects the act
within 10 working days of RECEIVING the opinion and reports back (art. 31, 32). An agency that
refuses to execute the opinion (art. 35 item 8) is ordered to correct within a set time; if it
still refuses, the county government issues a criticism notice and recommends sanctions (art. 35).

Version 2 applies to cases opened from 2026-02-01, when the State Council's 《行政执法监督条例》
(国务院令第825号, published 2025-12-17) came into force above the county rule. It keeps the
county's investigation and its 10 working days, which fill the regulation's "规定时限", and
adds the regulation's handling tiers (art. 26–31): an urging letter (督办函) for failure to
perform a duty (art. 27), the supervision opinion for unlawful or clearly improper acts (art. 28),
a supervision decision (决定书) of the county government when either is ignored (art. 29), the
supervised agency's objection (异议, art. 30) and public reporting of the result (通报, art. 31).
A case keeps the version it was opened under (the registry picks the version in force on the
opening's date), so a version-1 case opened in January 2026 finishes on version 1.

NOT VERIFIED: this module was written without access to the regulation's text of art. 26–31; the
article numbers and the content of each tier follow docs/domain.md ("Higher law since
2026-02-01"). Articles 1–6 and 38–43 were read (art. 6: the justice bureau is the government's
supervision office and "代表本级人民政府承担行政执法监督具体事务", which is why the supervisor
records the county government's decision). Who may object to what and within which period (art. 30),
and who issues a 通报 (art. 31), are choices explained where they are declared; check them against
the published text before relying on them.

Where both rules are silent (each choice is repeated where it is declared):
- Receipt is explicit. Art. 32 counts from the day the agency RECEIVES the opinion, which is not the
  day it is signed: the case waits in `awaiting_receipt` until the agency's clerk signs for it
  (签收), the agency's OA posts its electronic receipt, or the supervisor records service
  (送达回证, or 留置送达 when the agency will not sign — otherwise an agency could stop the period by
  not signing). `occurred_at` of `confirm_receipt` is the day of receipt.
- Feedback is verified by the supervisor. Rejected feedback returns the case to rectification with a
  fresh 10 working days from the rejection, which is served through this system: it names what is
  still wrong, as a new opinion on those points would, and art. 32 gives 10 working days to correct.
  An agency whose feedback shows it will not correct need not be given that time again: the
  supervisor may instead proceed as for a refusal (art. 35 item 8; regulation art. 29).
- Late feedback (after the period lapsed) is still received and recorded as late.
- A period set by an order or a decision (限期) is counted in days from the day that document is
  served (送达, recorded for the document; docs/decisions.md); 民法典 第二百零三条 moves a last day
  that is a rest day to the next working day. Where the county deems documents served at issue
  (XSFLOW_SERVED_AT_ISSUE) the document states its last day.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from xsflow.definitions import (TIMER, Basis, Deadline, DocumentKind, Effect, Facts, Guard, Rule, State, Transition,
                                deadline, procedure, state, transition)
from xsflow.payloads import Payload, choice, codes, text

from .leads import lead
from .numbering import document

COUNTY = Rule("《秀山自治县行政执法监督制度》")
# verified=False: art. 26–31 were encoded from a summary (xsflow/reference/administrative_enforcement_supervision_regulation.md);
# every basis citing them is marked on GET /api/v1/procedures and on the diagrams until checked.
REGULATION = Rule("《行政执法监督条例》", verified=False)
REGULATION_IN_FORCE = date(2026, 2, 1)  # 国务院令第825号：自2026年2月1日起施行

RECTIFICATION_WORKING_DAYS = 10  # art. 32: 自收到《行政执法监督意见书》之日起10个工作日内
PASSING_SCORE = 60  # art. 27/28: 合格（60分以上）; "60分以下" of art. 28 is read as below 60 (see Opening)

GROUNDS = {  # art. 29 items 1–5, and art. 28
    "complaint": "因错误行政执法行为被投诉或举报",
    "media_exposure": "因不正确履行行政职责被媒体曝光",
    "improper_act": "被发现可能存在不当行政行为",
    "inaction_or_abuse": "涉嫌行政不作为、乱作为、滥用职权",
    "other": "其它行政行为涉嫌违规违法",
    "case_file_score": "经集中评查的案卷得分在60分以下",
}

RECEIPT_METHODS = {
    "signed": "受文单位签收",
    "electronic": "电子送达（办公系统签收）",
    "post": "邮寄送达",
    "left": "留置送达",
}


class Stage(StrEnum):
    INVESTIGATING = "investigating"
    AWAITING_RECEIPT = "awaiting_receipt"
    AWAITING_RECTIFICATION = "awaiting_rectification"
    FEEDBACK_UNDER_REVIEW = "feedback_under_review"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    CLOSED = "closed"
    # version 1: art. 35 of the county rule
    CORRECTION_ORDERED = "correction_ordered"
    CORRECTION_REFUSED = "correction_refused"
    REPORTED_TO_GOVERNMENT = "reported_to_government"
    # version 2: the regulation's objection and decision
    OBJECTION_UNDER_REVIEW = "objection_under_review"
    AWAITING_DECISION = "awaiting_decision"
    EXECUTING_DECISION = "executing_decision"
    DECISION_NOT_EXECUTED = "decision_not_executed"


# Which instrument the agency is answering: it decides where a rejected feedback leads.
URGING_LETTER, OPINION, ORDER, DECISION = "urging_letter", "opinion", "order", "decision"


# --- payloads ------------------------------------------------------------------------------


def statement(*, max_length: int = 20000) -> fields.String:
    """A required text that may not be blank (findings, reasons, measures taken)."""
    return fields.String(required=True,
                         validate=validate.Length(min=1, max=max_length, error=f"请填写（不超过 {max_length} 个字）。"),
                         error_messages={"required": "必须填写。", "null": "不能为空值。", "invalid": "应为文字。"})


def period_days() -> fields.Integer:
    return fields.Integer(required=True, strict=True, validate=validate.Range(
        min=1, max=90, error="期限应为 1 至 90 日。"),
        error_messages={"required": "必须填写改正期限（日数）。", "null": "不能为空值。", "invalid": "应为整数日数。"})


class Opening(Payload):
    """What a supervision case carries when opened (art. 28, 29); the supervised agency is the case's agency."""

    grounds = codes(GROUNDS, what="启动情形")
    summary = text(max_length=5000)  # 问题线索概述
    source = text(max_length=200)  # 线索来源：投诉人、媒体、评查活动……
    case_file = text(max_length=200)  # the case file concerned (案卷名称或文号)
    score = fields.Float(validate=validate.Range(min=0, max=100, error="评查得分应在 0 至 100 分之间。"),
                         error_messages={"invalid": "评查得分应为数字。"})
    reference = text(max_length=100)  # 关联编号 (e.g. a 12345 hotline ticket), the correlation key

    @validates_schema
    def case_file_score(self, data: Mapping[str, Any], **_: Any) -> None:
        # Art. 27 grades 合格 as "60分以上" and art. 28 acts on "60分以下"; read literally
        # (民法典 第一千二百五十九条) both include 60. domain.md puts 60 in 合格 (不合格 < 60),
        # so exactly 60 does not open a case under art. 28; 59.99 does.
        if "case_file_score" not in data.get("grounds", []):
            if "score" in data:
                raise ValidationError("只有以案卷评查得分在60分以下（第28条）启动的，才填写评查得分。", "score")
            return
        problems = {}
        if data.get("score") is None:
            problems["score"] = ["以第28条启动的，请填写案卷评查得分。"]
        elif data["score"] >= PASSING_SCORE:
            problems["score"] = [f"得分{data['score']:g}分为合格（60分以上），不属于第28条“60分以下”的情形。"]
        if not data.get("case_file"):
            problems["case_file"] = ["以第28条启动的，请写明被评查案卷。"]
        if problems:
            raise ValidationError(problems)


class Findings(Payload):
    findings = statement()  # 查明的违法或不当行为 / 未履行的职责 / 调查结论
    requirements = text(max_length=20000)  # 整改要求


class Receipt(Payload):
    method = choice(RECEIPT_METHODS, what="送达方式", required=False)
    note = text(max_length=500)


class Feedback(Payload):
    measures = statement()  # 纠正情况
    note = text(max_length=2000)


class Verification(Payload):
    opinion = text(max_length=5000)  # 核查意见


class Rejection(Payload):
    reasons = statement()  # 核查不通过的理由：尚未纠正的事项


class CorrectionOrder(Payload):
    reasons = statement()  # 拒不执行意见书的事实
    period_days = period_days()
    requirements = text(max_length=20000)


class GovernmentReport(Payload):
    reasons = statement()
    responsible_persons = text(max_length=2000)  # 建议给予处分的相关责任人


class GovernmentAction(Payload):
    notice_number = statement(max_length=100)  # 县政府通报批评文号
    summary = text(max_length=5000)


class Objection(Payload):
    reasons = statement()


class ObjectionReply(Payload):
    reasons = statement()


class DecisionRequest(Payload):
    reasons = statement()


class Decision(Payload):
    decision = statement()  # 决定事项：责令改正、责令履行……
    period_days = period_days()


class PublicReport(Payload):
    content = statement()  # 通报内容
    accountability = text(max_length=5000)  # 移送问责的情况


# --- effects and guards --------------------------------------------------------------------


def answering(instrument: str) -> Effect:
    """The agency now answers `instrument`; a new instrument may again be objected to once."""
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, "stage": instrument, "objection": None}
    return effect


def combined(*effects: Effect) -> Effect:
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        out = dict(data)
        for e in effects:
            out = e(out, payload)
        return out
    return effect


def closing(outcome: str) -> Effect:
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, "outcome": outcome}
    return effect


def feedback(*, late: bool) -> Effect:
    """Each feedback is a round, recorded with the instrument it answers and whether it came late."""
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        rounds = [*data.get("feedback", []), {"answers": data.get("stage"), "late": late, "verdict": None}]
        return {**data, "feedback": rounds}
    return effect


def verdict(value: str, *, outcome: str | None = None) -> Effect:
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        rounds = list(data.get("feedback", []))
        if rounds:
            rounds[-1] = {**rounds[-1], "verdict": value}
        out = {**data, "feedback": rounds}
        return {**out, "outcome": outcome} if outcome else out
    return effect


def lapsed_on(key: str) -> Effect:
    """Keeps the last day of a lapsed period, which later documents state."""
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, key: payload.get("due_date")}
    return effect


def objection(outcome: str | None) -> Effect:
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, "objection": {"outcome": outcome, "against": data.get("stage")}}
    return effect


def answers(*instruments: str, refusal: str) -> Guard:
    return Guard(lambda data, payload: data.get("stage") in instruments, refusal=refusal)


# Only shown when no candidate's guard holds, which the data written by the transitions excludes.
UNKNOWN_INSTRUMENT = "无法确定该反馈所针对的文书，请联系系统管理员核查案件数据"

NOT_A_FAILED_CASE_FILE = Guard(
    lambda data, payload: "case_file_score" not in data.get("grounds", []),
    refusal="经集中评查得分在60分以下的案卷，应当出具《行政执法监督意见书》（第28条），不能以未发现问题结案")
OPINION_FOR_A_FAILED_CASE_FILE = Guard(
    lambda data, payload: "case_file_score" not in data.get("grounds", []),
    refusal="经集中评查得分在60分以下的案卷，应当出具《行政执法监督意见书》（《秀山自治县行政执法监督制度》第28条），不适用督办函")
ONE_OBJECTION = Guard(
    lambda data, payload: not data.get("objection"),
    refusal="对同一份督办函或意见书已提出过异议，不能再次提出")


# --- document facts ------------------------------------------------------------------------


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _latest(facts: Mapping[str, Any], *kinds: str) -> dict[str, Any] | None:
    found = [d for d in facts["earlier_documents"] if d["kind"] in kinds]
    return found[-1] if found else None


def _case_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    payload = facts["payload"]
    return {
        "ground_titles": [GROUNDS[g] for g in data.get("grounds", [])],
        "failed_case_file": ({"case_file": data.get("case_file"), "score": f"{data['score']:g}"}
                             if "case_file_score" in data.get("grounds", []) else None),
        "findings_lines": _lines(payload.get("findings")),
        "requirement_lines": _lines(payload.get("requirements")),
        "reasons_lines": _lines(payload.get("reasons")),
        "period": RECTIFICATION_WORKING_DAYS,
        "instrument": _latest(facts, "supervision_opinion", "urging_letter"),
    }


def county_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {**_case_facts(facts), "regime": "county"}


def regulation_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {**_case_facts(facts), "regime": "regulation"}


def order_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {**county_facts(facts), "rectification_lapsed_on": facts["data"].get("rectification_lapsed_on")}


def report_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    return {**county_facts(facts), "order": _latest(facts, "correction_order"),
            "responsible_lines": _lines(facts["payload"].get("responsible_persons")),
            "rectification_lapsed_on": data.get("rectification_lapsed_on"),
            "correction_lapsed_on": data.get("correction_lapsed_on")}


def objection_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    return {**regulation_facts(facts), "upheld": data["objection"]["outcome"] == "upheld",
            "objection_lines": _lines(data.get("objection_reasons"))}


def decision_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {**regulation_facts(facts), "decision_lines": _lines(facts["payload"].get("decision")),
            "rectification_lapsed_on": facts["data"].get("rectification_lapsed_on")}


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    payload = facts["payload"]
    return {**regulation_facts(facts), "decision": _latest(facts, "supervision_decision"),
            "content_lines": _lines(payload.get("content")),
            "accountability_lines": _lines(payload.get("accountability")),
            "decision_lapsed_on": facts["data"].get("decision_lapsed_on")}


def note_objection(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**objection(None)(data, payload), "objection_reasons": payload["reasons"]}


def _opinion_ignored(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    lapsed = data.get("rectification_lapsed_on")
    return (f"县司法局在“{origin['title']}”行政执法个案监督中向你单位制发督办函或《行政执法监督意见书》，"
            + (f"整改期限已于{lapsed}届满，" if lapsed else "") + "你单位未纠正并反馈，拒不执行《行政执法监督意见书》。")


def _decision_ignored(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    lapsed = data.get("decision_lapsed_on")
    return (f"县人民政府在“{origin['title']}”行政执法个案监督中作出行政执法监督决定，"
            + (f"执行期限已于{lapsed}届满，" if lapsed else "") + "你单位拒不执行。")


# --- the parts both versions share ---------------------------------------------------------

S = Stage


def shared_states() -> list[State]:
    return [
        state(S.INVESTIGATING, "调查核实中", basis=COUNTY.art(29)),
        state(S.AWAITING_RECEIPT, "待签收", basis=COUNTY.art(32, note="期限自收到意见书之日起算")),
        state(S.AWAITING_RECTIFICATION, "整改中", basis=COUNTY.art(32)),
        state(S.FEEDBACK_UNDER_REVIEW, "整改反馈核查中", basis=COUNTY.art(32, note="反馈由监督机构核查")),
        state(S.RECTIFICATION_OVERDUE, "逾期未整改", basis=COUNTY.art(32, note="期满未纠正并反馈")),
        state(S.CLOSED, "已结案", basis=COUNTY.art(30), terminal=True),
    ]


def feedback_to(in_time: str, late: str, *, what: str, basis: Basis, late_basis: Basis) -> list[Transition]:
    """The agency's answer while its period runs, and after it lapsed (received, recorded as late)."""
    return [
        transition("submit_feedback", in_time, S.FEEDBACK_UNDER_REVIEW, role=("clerk", "system"), payload=Feedback,
                   effect=feedback(late=False), basis=basis, title=what),
        transition("submit_feedback", late, S.FEEDBACK_UNDER_REVIEW, role=("clerk", "system"), payload=Feedback,
                   effect=feedback(late=True), basis=late_basis, title=f"逾期{what}"),
    ]


def opening_transitions(*, receipt: str) -> list[Transition]:
    """Closing without finding, receipt, the answer to the letter or opinion, its acceptance: alike in both versions."""
    return [
        transition("close_no_violation", S.INVESTIGATING, S.CLOSED, role="supervisor",
                   payload=Findings, guard=NOT_A_FAILED_CASE_FILE, effect=closing("no_violation"),
                   basis=COUNTY.art(30, note="经调查未发现违法或不当行为的，不出具意见书"),
                   title="经调查未发现违法或不当，结案"),
        # Receipt: the agency's clerk signs, its OA posts the receipt, or the supervisor records
        # service (送达回证, 留置送达) so that an agency cannot hold the period back by not signing.
        transition("confirm_receipt", S.AWAITING_RECEIPT, S.AWAITING_RECTIFICATION,
                   role=("clerk", "system", "supervisor"), payload=Receipt,
                   basis=COUNTY.art(32, note="自收到之日起算"), title=receipt),
        *feedback_to(S.AWAITING_RECTIFICATION, S.RECTIFICATION_OVERDUE, what="反馈整改情况",
                     basis=COUNTY.art(32, note="自行纠正并向行政执法监督机构反馈"),
                     late_basis=COUNTY.art(31, note="逾期反馈照收，记为逾期")),
        transition("accept_feedback", S.FEEDBACK_UNDER_REVIEW, S.CLOSED, role="supervisor",
                   payload=Verification, effect=verdict("accepted", outcome="rectified"),
                   basis=COUNTY.art(31, note="已纠正所述违法或不当行为"), title="核查通过，结案"),
    ]


def rectification_deadline(basis: Basis) -> Deadline:
    return deadline("rectification", title="整改反馈期限", while_in=S.AWAITING_RECTIFICATION,
                    working_days=RECTIFICATION_WORKING_DAYS, on_lapse="rectification_lapsed", basis=basis)


def rectification_lapse() -> Transition:
    return transition("rectification_lapsed", S.AWAITING_RECTIFICATION, S.RECTIFICATION_OVERDUE, role=TIMER,
                      effect=lapsed_on("rectification_lapsed_on"),
                      basis=COUNTY.art(32, note="10个工作日内未纠正并反馈"), title="整改期限届满未反馈")


def opinion_document(basis: Basis, facts: Facts) -> DocumentKind:
    return document("supervision_opinion", title="行政执法监督意见书", issuer="justice_bureau", basis=basis, facts=facts)


# --- version 1: the county rule of 2022 ----------------------------------------------------

case_supervision_v1 = procedure(
    "case_supervision", version=1, title="行政执法个案监督", initial=S.INVESTIGATING,
    basis=COUNTY.art(29), opened_by="supervisor", data=Opening,
    states=[
        *shared_states(),
        state(S.CORRECTION_ORDERED, "责令限期改正中", basis=COUNTY.art(35, "八")),
        state(S.CORRECTION_REFUSED, "拒不改正", basis=COUNTY.art(35, "八")),
        state(S.REPORTED_TO_GOVERNMENT, "已报请县政府通报批评", basis=COUNTY.art(35)),
    ],
    transitions=[
        transition("issue_opinion", S.INVESTIGATING, S.AWAITING_RECEIPT, role="supervisor", payload=Findings,
                   effect=answering(OPINION), issues="supervision_opinion",
                   basis=COUNTY.art(30, note="案卷评查得分60分以下的，依第28条出具"),
                   title="出具《行政执法监督意见书》"),
        *opening_transitions(receipt="签收《行政执法监督意见书》"),
        *feedback_to(S.CORRECTION_ORDERED, S.CORRECTION_REFUSED, what="报告改正情况",
                     basis=COUNTY.art(35, "八", note="限期改正"), late_basis=COUNTY.art(35, note="逾期改正照收，记为逾期")),
        rectification_lapse(),
        # Rejected feedback to the opinion: a fresh 10 working days from the rejection (see the
        # module docstring); rejected feedback to an order is the refusal of art. 35.
        transition("reject_feedback", S.FEEDBACK_UNDER_REVIEW, S.AWAITING_RECTIFICATION, role="supervisor",
                   payload=Rejection, guard=answers(OPINION, refusal=UNKNOWN_INSTRUMENT), effect=verdict("rejected"),
                   basis=COUNTY.art(31, note="核查未通过的，重新计算10个工作日"), title="核查未通过，退回整改"),
        transition("reject_feedback", S.FEEDBACK_UNDER_REVIEW, S.CORRECTION_REFUSED, role="supervisor",
                   payload=Rejection, guard=answers(ORDER, refusal=UNKNOWN_INSTRUMENT), effect=verdict("rejected"),
                   basis=COUNTY.art(35, note="责令限期改正后仍未改正"), title="核查未通过，认定拒不改正"),
        # Refusal (art. 35 item 8): the period lapsed, or the feedback shows the agency will not correct.
        transition("order_correction", S.RECTIFICATION_OVERDUE, S.CORRECTION_ORDERED, role="supervisor",
                   payload=CorrectionOrder, effect=answering(ORDER), issues="correction_order",
                   basis=COUNTY.art(35, "八"), title="责令限期改正"),
        transition("order_correction", S.FEEDBACK_UNDER_REVIEW, S.CORRECTION_ORDERED, role="supervisor",
                   payload=CorrectionOrder, effect=combined(verdict("rejected"), answering(ORDER)),
                   issues="correction_order", basis=COUNTY.art(35, "八"), title="责令限期改正",
                   guard=answers(OPINION, refusal="已经责令限期改正，不能再次责令；拒不改正的，请报请县政府通报批评（第35条）")),
        transition("correction_lapsed", S.CORRECTION_ORDERED, S.CORRECTION_REFUSED, role=TIMER,
                   effect=lapsed_on("correction_lapsed_on"), basis=COUNTY.art(35, note="限期届满未改正"),
                   title="改正期限届满未改正"),
        transition("report_to_government", S.CORRECTION_REFUSED, S.REPORTED_TO_GOVERNMENT, role="supervisor",
                   payload=GovernmentReport, issues="criticism_report",
                   basis=COUNTY.art(35, note="拒不改正的，由县政府通报批评，并建议对相关责任人给予行政处分"),
                   title="报请县政府通报批评并建议给予处分"),
        transition("record_government_action", S.REPORTED_TO_GOVERNMENT, S.CLOSED, role="supervisor",
                   payload=GovernmentAction, effect=closing("criticized"), basis=COUNTY.art(35),
                   title="登记县政府通报批评，结案"),
    ],
    deadlines=[
        rectification_deadline(COUNTY.art(32)),
        deadline("correction", title="责令改正期限", while_in=S.CORRECTION_ORDERED, set_by="period_days",
                 from_service="correction_order", on_lapse="correction_lapsed",
                 basis=COUNTY.art(35, "八", note="责令限期改正，自通知送达之日起算")),
    ],
    documents=[
        opinion_document(COUNTY.art(30), county_facts),
        document("correction_order", title="责令限期改正通知书", issuer="justice_bureau",
                 basis=COUNTY.art(35, "八"), facts=order_facts),
        document("criticism_report", title="关于提请通报批评并建议给予行政处分的报告", issuer="justice_bureau", sent_up=True,
                 basis=COUNTY.art(35), facts=report_facts),
    ],
)


# --- version 2: 《行政执法监督条例》, in force 2026-02-01 -----------------------------------
# The county's art. 32 (10 working days from receipt) fills the "规定时限" of art. 27 and 28.

case_supervision_v2 = procedure(
    "case_supervision", version=2, title="行政执法个案监督", initial=S.INVESTIGATING,
    basis=REGULATION.art(26), opened_by="supervisor", data=Opening, effective_from=REGULATION_IN_FORCE,
    states=[
        *shared_states(),
        # Objection (art. 30): raised within the period, it stops the period (the deadline is
        # cancelled, not met); a dismissal restarts 10 working days from the reply. Not verified
        # against the text: whether the regulation suspends execution during an objection.
        state(S.OBJECTION_UNDER_REVIEW, "异议审查中", basis=REGULATION.art(30)),
        state(S.AWAITING_DECISION, "提请县政府作出监督决定", basis=REGULATION.art(29)),
        state(S.EXECUTING_DECISION, "执行监督决定中", basis=REGULATION.art(29)),
        state(S.DECISION_NOT_EXECUTED, "拒不执行监督决定", basis=REGULATION.art(29)),
    ],
    transitions=[
        transition("issue_urging_letter", S.INVESTIGATING, S.AWAITING_RECEIPT, role="supervisor", payload=Findings,
                   guard=OPINION_FOR_A_FAILED_CASE_FILE, effect=answering(URGING_LETTER), issues="urging_letter",
                   basis=REGULATION.art(27, note="不履行或者不正确履行法定职责"), title="制发行政执法监督督办函"),
        transition("issue_opinion", S.INVESTIGATING, S.AWAITING_RECEIPT, role="supervisor", payload=Findings,
                   effect=answering(OPINION), issues="supervision_opinion",
                   basis=REGULATION.art(28, note="违法或者明显不当"), title="制发《行政执法监督意见书》"),
        *opening_transitions(receipt="签收督办函或《行政执法监督意见书》"),
        *feedback_to(S.EXECUTING_DECISION, S.DECISION_NOT_EXECUTED, what="报送监督决定执行情况",
                     basis=REGULATION.art(29, note="执行监督决定"),
                     late_basis=REGULATION.art(29, note="逾期执行照收，记为逾期")),
        rectification_lapse(),
        transition("raise_objection", S.AWAITING_RECTIFICATION, S.OBJECTION_UNDER_REVIEW, role=("clerk", "system"),
                   payload=Objection, guard=ONE_OBJECTION, effect=note_objection, cancels_deadlines=True,
                   basis=REGULATION.art(30), title="对督办函或意见书提出异议"),
        transition("dismiss_objection", S.OBJECTION_UNDER_REVIEW, S.AWAITING_RECTIFICATION, role="supervisor",
                   payload=ObjectionReply, effect=objection("dismissed"), issues="objection_reply",
                   basis=REGULATION.art(30, note="异议不成立的，重新计算10个工作日"), title="异议不成立，继续整改"),
        # An objection found valid withdraws the letter or opinion; the investigation resumes and
        # ends in a closing or in a new, corrected instrument.
        transition("uphold_objection", S.OBJECTION_UNDER_REVIEW, S.INVESTIGATING, role="supervisor",
                   payload=ObjectionReply, effect=objection("upheld"), issues="objection_reply",
                   basis=REGULATION.art(30, note="异议成立的，撤回督办函或意见书"), title="异议成立，撤回并重新调查"),
        transition("reject_feedback", S.FEEDBACK_UNDER_REVIEW, S.AWAITING_RECTIFICATION, role="supervisor",
                   payload=Rejection, guard=answers(URGING_LETTER, OPINION, refusal=UNKNOWN_INSTRUMENT),
                   effect=verdict("rejected"),
                   basis=COUNTY.art(31, note="核查未通过的，重新计算10个工作日"), title="核查未通过，退回整改"),
        transition("reject_feedback", S.FEEDBACK_UNDER_REVIEW, S.DECISION_NOT_EXECUTED, role="supervisor",
                   payload=Rejection, guard=answers(DECISION, refusal=UNKNOWN_INSTRUMENT), effect=verdict("rejected"),
                   basis=REGULATION.art(29, note="监督决定未执行"), title="核查未通过，认定拒不执行决定"),
        # Art. 35 (八) of the county rule: the opinion not carried out leads into an order to correct within
        # a time limit (workflows/leads.py), beside the regulation's request for a decision. Version 1 has
        # its own 责令限期改正 inside the case (order_correction).
        lead("opinion_not_executed", S.RECTIFICATION_OVERDUE, _opinion_ignored),
        lead("opinion_not_executed", S.DECISION_NOT_EXECUTED, _decision_ignored),
        transition("request_decision", S.RECTIFICATION_OVERDUE, S.AWAITING_DECISION, role="supervisor",
                   payload=DecisionRequest, basis=REGULATION.art(29, note="督办函、意见书未被执行的"),
                   title="提请县政府作出行政执法监督决定"),
        transition("request_decision", S.FEEDBACK_UNDER_REVIEW, S.AWAITING_DECISION, role="supervisor",
                   payload=DecisionRequest, effect=verdict("rejected"),
                   guard=answers(URGING_LETTER, OPINION, refusal="县政府已作出监督决定，不能再次提请"),
                   basis=REGULATION.art(29, note="督办函、意见书未被执行的"), title="提请县政府作出行政执法监督决定"),
        # The county government decides; the justice bureau, which "代表本级人民政府承担行政执法
        # 监督具体事务" (art. 6), records the decision, which the system numbers and issues.
        transition("issue_decision", S.AWAITING_DECISION, S.EXECUTING_DECISION, role="supervisor",
                   payload=Decision, effect=answering(DECISION), issues="supervision_decision",
                   basis=REGULATION.art(29), title="登记县政府行政执法监督决定"),
        transition("decision_lapsed", S.EXECUTING_DECISION, S.DECISION_NOT_EXECUTED, role=TIMER,
                   effect=lapsed_on("decision_lapsed_on"), basis=REGULATION.art(29, note="决定期限届满未执行"),
                   title="监督决定期限届满未执行"),
        # Art. 31: the result may be reported. Here the report closes a case whose decision went
        # unexecuted; it is signed by the justice bureau (not verified who issues 通报 under art. 31).
        transition("report_publicly", S.DECISION_NOT_EXECUTED, S.CLOSED, role="supervisor",
                   payload=PublicReport, effect=closing("reported"), issues="supervision_notice",
                   basis=REGULATION.art(31), title="通报监督结果，结案"),
    ],
    deadlines=[
        rectification_deadline(replace(COUNTY.art(32, note="填充《行政执法监督条例》第27条、第28条所称规定时限"),
                                       verified=False)),
        deadline("decision", title="执行监督决定期限", while_in=S.EXECUTING_DECISION, set_by="period_days",
                 from_service="supervision_decision", on_lapse="decision_lapsed",
                 basis=REGULATION.art(29, note="决定所定期限，自决定送达之日起算")),
    ],
    documents=[
        document("urging_letter", title="行政执法监督督办函", issuer="justice_bureau", basis=REGULATION.art(27),
                 facts=regulation_facts),
        opinion_document(REGULATION.art(28), regulation_facts),
        document("objection_reply", title="异议答复书", issuer="justice_bureau", basis=REGULATION.art(30),
                 facts=objection_facts),
        document("supervision_decision", title="行政执法监督决定书", issuer="county_government", basis=REGULATION.art(29),
                 facts=decision_facts),
        document("supervision_notice", title="行政执法监督通报", issuer="justice_bureau", basis=REGULATION.art(31),
                 facts=notice_facts),
    ],
)

PROCEDURES = [case_supervision_v1, case_supervision_v2]
