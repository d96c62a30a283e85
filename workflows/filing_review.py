"""规范性文件备案审查 — filing of a published normative document with the justice bureau.

《秀山自治县行政执法监督制度》第10条: normative documents made by county government
departments, townships and street offices are filed with the county justice bureau within
30 days of their publication (发布之日起30日内). Art. 12 lists the filing materials; art. 8
asks for uniform numbering, registration and publication (the register, `workflows.document_register`).

A case opens when the document is published — by the issuing agency's clerk, by the system
that publishes it (opening event `publish`, correlated by the document number 文号), or by a
supervisor who finds a published document that was never filed (art. 5, 日常监督检查). The
case's `occurred_at` is the publication: the 30 days count from its local date.

The rule says nothing of how an incomplete filing, the examination or its outcome is handled;
what is done here, and why, is said beside each declaration:
- an incomplete filing is held (暂缓办理备案登记) and the agency told to supplement, as the
  national filing regulation (《法规规章备案条例》第十一条) and the Chongqing filing rules do;
  how long the agency has is a service level (`service_levels/filing_review.toml`), not law;
- a complete filing is registered (统一登记, art. 8) with a numbered receipt, then examined:
  `record` (准予备案) or `require_correction` with a period the reviewer sets and feedback that
  is verified, as in individual-case supervision (art. 5, art. 30–32);
- a filing made after the 30 days is still received, and recorded as late (`filed_late`), for
  art. 35 item 5 and the assessment (2022年行政执法考核标准 二.1).
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from marshmallow import fields, validate

from xsflow.definitions import (TIMER, Basis, Guard, Rule, deadline, procedure, service_level, state,
                                transition)
from xsflow.payloads import Payload, choice, codes, day, text

from .leads import lead
from .numbering import document
from .settings import service_level_setting

RULE = Rule("《秀山自治县行政执法监督制度》")
STANDARD = "《2022年行政执法考核标准》"  # attachment 4: items are numbered 一、1. …, not by article
NOT_FILED = Basis(STANDARD, "二.1", "规范性文件上报备案情况：未上报备案每件扣0.01分")
NOT_LAWFUL = Basis(STANDARD, "二.2", "规范性文件内容符合法律规定：不符合法律规定每件扣0.01分")
# Where the county rule is silent on how a filing is handled, the national regulation is the model.
FILING_REGULATION = "《法规规章备案条例》第十一条"

MATERIALS = {  # art. 12
    "filing_report": "备案报告",
    "official_text": "正式文本",
    "drafting_explanation": "起草说明",
    "basis": "制定依据",
    "legality_opinion": "合法性审核意见",
    "other": "其他需要提交的材料",
}
REQUIRED = ("filing_report", "official_text", "drafting_explanation", "basis", "legality_opinion")  # art. 12 (一)–(五)

GROUNDS = {
    "content": "内容不符合法律、法规、规章规定",  # art. 6 item 2; 考核标准 二.2
    "procedure": "未依照法定程序制发",  # art. 9; art. 35 item 4
}

MEASURES = {"amended": "已修改", "repealed": "已废止", "suspended": "已停止执行有关规定"}

# The longest rectification period a reviewer may set. The rule fixes none for a normative
# document (art. 32's 10 working days concern individual enforcement acts, which an agency can
# correct itself; amending or repealing a normative document needs its own legality review,
# collective deliberation and publication, art. 9). One year is the outer limit the Chongqing
# filing rules of the people's congress allow for disposing of a faulty document.
MAX_RECTIFICATION_DAYS = 365


class Stage(StrEnum):
    PUBLISHED = "published"
    FILING_OVERDUE = "filing_overdue"
    FILED = "filed"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    UNDER_EXAMINATION = "under_examination"
    RECORDED = "recorded"
    AWAITING_RECTIFICATION = "awaiting_rectification"
    RECTIFICATION_OVERDUE = "rectification_overdue"
    FEEDBACK_UNDER_REVIEW = "feedback_under_review"
    CORRECTED = "corrected"
    NOT_FOR_FILING = "not_for_filing"


BEFORE_REGISTRATION = (Stage.PUBLISHED, Stage.FILING_OVERDUE, Stage.FILED, Stage.AWAITING_SUPPLEMENT)


# --- what the case carries and what each step brings ------------------------------------------


class FilingData(Payload):
    """The published document (art. 8): its number, uniform number and where it was published.

    The publication date is the case's `occurred_at` (opened_at), not a field, so that the
    30 days cannot be counted from one date while another is shown."""

    document_number = text(max_length=100, required=True)  # 文号, e.g. 秀山市监发〔2025〕12号: the correlation key
    uniform_number = text(max_length=100)  # 统一编号 (art. 8), as printed on the document
    effective_on = day()
    publication_medium = text(max_length=200)  # 公布载体, e.g. 秀山自治县人民政府网站


class Filing(Payload):
    materials = codes(MATERIALS, what="备案材料")
    report_number = text(max_length=100)  # the agency's own number of its filing report (备案报告文号)
    note = text(max_length=2000)


class Hold(Payload):
    missing = codes(MATERIALS, what="材料")
    note = text(max_length=2000)


class Supplement(Payload):
    items = codes(MATERIALS, what="材料")


class Record(Payload):
    opinion = text(max_length=20000)


def _days(what: str) -> fields.Integer:
    return fields.Integer(
        required=True, strict=True,
        validate=validate.Range(min=1, max=MAX_RECTIFICATION_DAYS,
                                error=f"{what}应在 1 至 {MAX_RECTIFICATION_DAYS} 日之间。"),
        error_messages={"required": "必须填写。", "null": "不能为空值。", "invalid": f"{what}应为整数（日数）。"})


class CorrectionRequired(Payload):
    grounds = codes(GROUNDS, what="纠正事由")
    problems = text(max_length=20000, required=True)
    rectification_days = _days("纠正期限")


class Feedback(Payload):
    measure = choice(MEASURES, what="纠正措施")
    report = text(max_length=20000, required=True)
    new_document_number = text(max_length=100)  # the amending or repealing document, when there is one


class FeedbackRejected(Payload):
    reasons = text(max_length=20000, required=True)
    rectification_days = _days("重新纠正期限")


class NotForFiling(Payload):
    reasons = text(max_length=2000, required=True)


def filed_in_time(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "materials": list(payload["materials"]), "filed_late": False}


def filed_late(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "materials": list(payload["materials"]), "filed_late": True}


def note_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "missing": list(payload["missing"]), "supplied": []}


def still_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    supplied = set(data.get("supplied", [])) | set(payload.get("items", []))
    return [m for m in data.get("missing", []) if m not in supplied]


def note_supplied(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    supplied = list(dict.fromkeys([*data.get("supplied", []), *payload["items"]]))
    materials = list(dict.fromkeys([*data.get("materials", []), *payload["items"]]))
    return {**data, "supplied": supplied, "materials": materials}


def lacking(data: Mapping[str, Any]) -> list[str]:
    """Required materials (art. 12 items 1–5) the filing does not include."""
    return [m for m in REQUIRED if m not in data.get("materials", [])]


def note_recorded(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "conclusion": "recorded"}


def note_correction(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "conclusion": "correction_required", "grounds": list(payload["grounds"])}


def feedback_in_time(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "measure": payload["measure"], "rectified_late": False}


def feedback_late(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "measure": payload["measure"], "rectified_late": True}


def note_rejected(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "feedback_rejected": int(data.get("feedback_rejected", 0)) + 1}


ALL_SUPPLIED = Guard(lambda data, payload: not still_missing(data, payload), refusal="补充报送的材料尚未齐全")
COMPLETE = Guard(lambda data, payload: not lacking(data),
                 refusal="备案材料不齐全（须含备案报告、正式文本、起草说明、制定依据、合法性审核意见），"
                         "应当暂缓办理备案登记并通知补充报送")


# --- what the documents state beyond the common facts -------------------------------------------


def titles(items: list[str], names: Mapping[str, str] = MATERIALS) -> list[str]:
    return [names[c] for c in items]


def supplement_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {"missing_titles": titles(facts["payload"]["missing"])}


def receipt_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    return {"material_titles": titles([m for m in MATERIALS if m in data.get("materials", [])])}


def opinion_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    receipts = [d for d in facts["earlier_documents"] if d["kind"] == "filing_receipt"]
    return {"receipt": receipts[-1] if receipts else None,
            "ground_titles": titles(data.get("grounds", []), GROUNDS) if data.get("conclusion") == "correction_required"
            else []}


def correction_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    opinions = [d for d in facts["earlier_documents"] if d["kind"] == "filing_examination_opinion"]
    data = facts["data"]
    return {"opinion": opinions[-1] if opinions else None, "measure_title": MEASURES.get(data.get("measure", ""), "")}


def _document(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    number = data.get("document_number")
    return f"《{origin['title']}》" + (f"（{number}）" if number else "")


def _not_filed(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    return f"你单位发布的{_document(data, origin)}，未在发布之日起30日内报送县司法局备案。"


def _not_by_procedure(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    return (f"你单位制发的{_document(data, origin)}经县司法局备案审查，未按法定程序制发；"
            "县司法局已提出纠正意见，你单位未按要求纠正。")


# --- the procedure ---------------------------------------------------------------------------------

FILING_SCOPE = RULE.art(10, note="县人民政府部门、乡镇人民政府及街道办事处制定的行政规范性文件"
                                  "应于发布之日起30日内报送备案")
HOLD = RULE.art(12, note=f"材料不齐全的暂缓办理备案登记并通知补充报送；本制度未规定，参照{FILING_REGULATION}")
OUT_OF_SCOPE = RULE.art(10, note=f"不属于报送备案范围的，不予备案登记；本制度未规定，参照{FILING_REGULATION}")
SUPERVISION = RULE.art(5, note="备案审查中发现的问题，提出整改意见，相关单位应认真执行")

# Opened by the issuing agency or the system that publishes its documents; also by a supervisor who
# finds, in daily supervision (art. 5), a published normative document that was never filed, so that
# its 30 days are counted from its real publication date and its lateness shows.
filing_review = procedure(
    "filing_review", version=1, title="规范性文件备案审查", initial=Stage.PUBLISHED,
    basis=RULE.art(10), opened_by=("clerk", "system", "supervisor"),
    data=FilingData, correlation_field="document_number", opening_event="publish",
    dated_by=("发布日期", "30日的备案期限自发布之日起算（第10条），发布日期由报备单位填写"),
    states=[
        state(Stage.PUBLISHED, "已发布待报备", basis=FILING_SCOPE),
        state(Stage.FILING_OVERDUE, "逾期未报备", basis=RULE.art(35, "五", note="规范性文件未按规定的期限报备案")),
        state(Stage.FILED, "已报备待登记", basis=RULE.art(12)),
        state(Stage.AWAITING_SUPPLEMENT, "暂缓备案登记", basis=HOLD),
        state(Stage.UNDER_EXAMINATION, "已登记审查中", basis=RULE.art(8, note="统一登记")),
        state(Stage.RECORDED, "准予备案", basis=RULE.art(10), terminal=True),
        state(Stage.AWAITING_RECTIFICATION, "限期纠正", basis=SUPERVISION),
        state(Stage.RECTIFICATION_OVERDUE, "逾期未纠正", basis=SUPERVISION),
        state(Stage.FEEDBACK_UNDER_REVIEW, "纠正情况核查中", basis=SUPERVISION),
        state(Stage.CORRECTED, "已纠正", basis=SUPERVISION, terminal=True),
        state(Stage.NOT_FOR_FILING, "不予备案登记", basis=OUT_OF_SCOPE, terminal=True),
    ],
    transitions=[
        transition("file", Stage.PUBLISHED, Stage.FILED, role=("clerk", "system"), payload=Filing,
                   effect=filed_in_time, basis=RULE.art(12), title="报送备案"),
        transition("filing_lapsed", Stage.PUBLISHED, Stage.FILING_OVERDUE, role=TIMER,
                   basis=RULE.art(10, note="发布之日起30日内未报送备案"), title="逾期未报送备案"),
        # A late filing is still received: the bureau wants the document examined more than it
        # wants the case closed; the lateness stays in the data, the history and the register.
        transition("file", Stage.FILING_OVERDUE, Stage.FILED, role=("clerk", "system"), payload=Filing,
                   effect=filed_late, basis=RULE.art(35, "五", note="逾期报送的，记为未按规定期限报备案"),
                   title="逾期补报备案"),
        # Registration needs items (一)–(五) of art. 12 in hand; the reviewer may still hold a filing whose
        # listed materials do not meet the requirements. The receipt's number is the registration number.
        transition("register", Stage.FILED, Stage.UNDER_EXAMINATION, role="reviewer", guard=COMPLETE,
                   issues="filing_receipt", basis=RULE.art(8, note="统一登记"), title="予以备案登记"),
        transition("hold", Stage.FILED, Stage.AWAITING_SUPPLEMENT, role="reviewer", payload=Hold,
                   effect=note_missing, issues="filing_supplement_notice", basis=HOLD,
                   title="暂缓备案登记，通知补充报送"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, Stage.FILED, role=("clerk", "system"),
                   payload=Supplement, guard=ALL_SUPPLIED, effect=note_supplied, basis=HOLD, title="补齐备案材料"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, None, role=("clerk", "system"),
                   payload=Supplement, effect=note_supplied, basis=HOLD, title="补充部分备案材料"),
        transition("record", Stage.UNDER_EXAMINATION, Stage.RECORDED, role="reviewer", payload=Record,
                   effect=note_recorded, issues="filing_examination_opinion", basis=RULE.art(10),
                   title="准予备案"),
        transition("require_correction", Stage.UNDER_EXAMINATION, Stage.AWAITING_RECTIFICATION, role="reviewer",
                   payload=CorrectionRequired, effect=note_correction, issues="filing_examination_opinion",
                   basis=RULE.art(6, "二", note="行政规范性文件的合法性；考核标准二.2"),
                   title="提出纠正意见，限期纠正"),
        transition("rectification_lapsed", Stage.AWAITING_RECTIFICATION, Stage.RECTIFICATION_OVERDUE, role=TIMER,
                   basis=SUPERVISION, title="逾期未纠正"),
        # Art. 35 (五) and (四): a filing left overdue, a document found not made by the statutory procedure,
        # lead into an order to correct within a time limit (workflows/leads.py).
        lead("filing_overdue", Stage.FILING_OVERDUE, _not_filed),
        lead("document_procedure", (Stage.AWAITING_RECTIFICATION, Stage.RECTIFICATION_OVERDUE), _not_by_procedure),
        transition("submit_feedback", Stage.AWAITING_RECTIFICATION, Stage.FEEDBACK_UNDER_REVIEW,
                   role=("clerk", "system"), payload=Feedback, effect=feedback_in_time, basis=SUPERVISION,
                   title="反馈纠正情况"),
        transition("submit_feedback", Stage.RECTIFICATION_OVERDUE, Stage.FEEDBACK_UNDER_REVIEW,
                   role=("clerk", "system"), payload=Feedback, effect=feedback_late, basis=SUPERVISION,
                   title="逾期反馈纠正情况"),
        # The verified correction closes the case; an amended document is a new publication and is
        # filed as a case of its own.
        transition("accept_feedback", Stage.FEEDBACK_UNDER_REVIEW, Stage.CORRECTED, role="reviewer",
                   basis=SUPERVISION, title="纠正到位，结案"),
        transition("reject_feedback", Stage.FEEDBACK_UNDER_REVIEW, Stage.AWAITING_RECTIFICATION, role="reviewer",
                   payload=FeedbackRejected, effect=note_rejected, issues="correction_notice",
                   basis=SUPERVISION, title="纠正不到位，重新限期纠正"),
        # A published document that is not a normative document to be filed here (a work arrangement, a
        # county-government document filed with the city): closed with reasons by the bureau only, so an
        # agency cannot take a document off the overdue list by itself.
        transition("not_for_filing", BEFORE_REGISTRATION, Stage.NOT_FOR_FILING, role="reviewer",
                   payload=NotForFiling, cancels_deadlines=True,
                   basis=OUT_OF_SCOPE, title="不属于备案范围，不予备案登记"),
    ],
    deadlines=[
        deadline("filing", title="报送备案期限", while_in=Stage.PUBLISHED, days=30, on_lapse="filing_lapsed",
                 basis=RULE.art(10, note="应于发布之日起30日内报送县司法局备案审查")),
        service_level("supplement", title="补充报送备案材料期限", while_in=Stage.AWAITING_SUPPLEMENT,
                      setting=service_level_setting("filing_review", "supplement")),
        deadline("rectification", title="纠正期限", while_in=Stage.AWAITING_RECTIFICATION,
                 set_by="rectification_days", set_unit="days", on_lapse="rectification_lapsed",
                 # The period the opinion (or, after a rejected feedback, the correction notice) sets runs
                 # from its service on the agency, as every period a notice sets (docs/decisions.md).
                 from_service=("filing_examination_opinion", "correction_notice"),
                 basis=RULE.art(5, note="整改意见所定期限")),
    ],
    documents=[
        document("filing_supplement_notice", title="暂缓备案登记通知书", issuer="justice_bureau", basis=HOLD,
                 facts=supplement_facts),
        document("filing_receipt", title="规范性文件备案登记回执", issuer="justice_bureau", basis=RULE.art(8),
                 facts=receipt_facts),
        document("filing_examination_opinion", title="规范性文件备案审查意见书", issuer="justice_bureau",
                 basis=RULE.art(10), facts=opinion_facts),
        document("correction_notice", title="限期纠正通知书", issuer="justice_bureau", basis=SUPERVISION,
                 facts=correction_facts),
    ],
)

PROCEDURES = [filing_review]
