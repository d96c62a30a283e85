"""行政执法证 — the enforcement certificate of one person, from qualification training to cancellation.

《秀山自治县行政执法监督制度》第15–21条: a person who is to do enforcement work takes the
general law training of the county justice bureau and the special law training of the agency
(art. 16–17), sits the unified exam (art. 15), is reviewed by the agency (art. 19), is applied
for online in the Chongqing enforcement personnel system with the 申领表 sent to the bureau
(art. 18–19), and receives the certificate from the bureau (art. 17). A holder attends at least
one update training a year (art. 20). When the certificate expires or the holder leaves
enforcement work, the agency recalls it and the bureau cancels it (art. 21). Enforcement by a
person without a certificate in force is a violation (《2022年行政执法考核标准》三.2);
`workflows.enforcers` answers who may enforce on a given day.

One open case per person, correlated by the person's id in the Chongqing personnel system, so that
system can post exam results, applications and issuance (POST /api/v1/events). A closed case (the
certificate cancelled, the qualification refused, the application withdrawn) gives the id up: the
person may be certified again by a new case, and the id stays in the old case's data.

Where the rule is silent, the choices below say so in their `note`:
- a failed exam may be retaken, any number of times (art. 15 sets no limit);
- the year of issue needs no separate update training: the holder has just passed the
  qualification training and exam of art. 15–16, and art. 20 speaks of the holder's years of
  enforcement work; the yearly check starts with the next calendar year;
- a person missing a year stays certified (art. 20 makes the training an assessment item, not
  a condition of the certificate) but is flagged until the next training is recorded.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from xsflow.definitions import (
    TIMER,
    Guard,
    Rule,
    Unique,
    deadline,
    procedure,
    state,
    transition,
)
from xsflow.payloads import Payload, choice, day, text

from .leads import lead
from .numbering import document

RULE = Rule("《秀山自治县行政执法监督制度》")

EXAM_RESULTS = {"passed": "合格", "failed": "不合格"}
RECALL_REASONS = {"expired": "执法证有效期满", "left_work": "不再从事行政执法工作"}


class Stage(StrEnum):
    IN_TRAINING = "in_training"
    AWAITING_EXAM = "awaiting_exam"
    AWAITING_RETAKE = "awaiting_retake"
    QUALIFICATION_REVIEW = "qualification_review"
    QUALIFICATION_REFUSED = "qualification_refused"
    QUALIFIED = "qualified"
    APPLIED = "applied"
    ACTIVE = "active"
    TRAINING_OVERDUE = "training_overdue"
    EXPIRED = "expired"
    RECALLED = "recalled"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"


BEFORE_ISSUE = (Stage.IN_TRAINING, Stage.AWAITING_EXAM, Stage.AWAITING_RETAKE, Stage.QUALIFICATION_REVIEW,
                Stage.QUALIFIED, Stage.APPLIED)
HOLDING = (Stage.ACTIVE, Stage.TRAINING_OVERDUE)  # a certificate is held (workflows/enforcers.py reads it)


# --- what a case and its steps carry ------------------------------------------------------------

_REQ = {"required": "必须填写。", "null": "不能为空值。"}


def _line(what: str, max_length: int, *, required: bool = True, **metadata: str) -> fields.String:
    return fields.String(required=required, error_messages={**_REQ, "invalid": f"{what}应为文字。"},
                         validate=validate.Length(min=1, max=max_length,
                                                  error=f"{what}应为 1 至 {max_length} 个字。"),
                         metadata=metadata)


def _day(what: str) -> fields.Date:
    return day(required=True, metadata={"title": what})


class Person(Payload):
    """The case data at opening: who is to be certified."""

    person_id = _line("人员编号（重庆市行政执法人员信息管理系统）", 64, title="人员编号",
                      description="重庆市行政执法人员信息管理系统中的人员编号")
    name = _line("姓名", 50)
    post = _line("岗位", 100, required=False)


class Training(Payload):
    course = text(max_length=200)  # 培训名称或期次; the date is the event's occurred_at


class Exam(Payload):
    result = choice(EXAM_RESULTS, what="考试结果")
    score = fields.Float(validate=validate.Range(min=0, max=100, error="成绩应在 0 至 100 之间。"),
                         error_messages={"invalid": "成绩应为数字。"})
    session = text(max_length=100)  # 考试批次


class Note(Payload):
    note = text(max_length=2000)


class Reasons(Payload):
    reasons = text(max_length=2000, required=True)


class Application(Payload):
    online_application = _line("在线申请编号", 100)
    note = text(max_length=2000)


class Issue(Payload):
    # As the issuing system printed it; a number typed by others is held to workflows/certificate_number.py.
    certificate_number = _line("执法证号", 64)
    valid_from = _day("有效期起始日")
    valid_until = _day("有效期截止日")
    areas = fields.List(_line("执法区域", 200), required=True,
                        validate=validate.Length(min=1, error="至少列出一项执法区域。"),
                        error_messages={**_REQ, "invalid": "执法区域应为文字的列表。"})

    @validates_schema(skip_on_field_errors=False)
    def _validity(self, data: Mapping[str, Any], **_: Any) -> None:
        if "valid_from" in data and "valid_until" in data and data["valid_until"] < data["valid_from"]:
            raise ValidationError("有效期截止日不能早于起始日。", "valid_until")


class Recall(Payload):
    reason = choice(RECALL_REASONS, what="回收原因")
    note = text(max_length=2000)


# --- effects on the person's record -------------------------------------------------------------


def _with(key: str):
    """An effect that keeps the step's payload under `key` of the person's record."""
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, key: dict(payload)}
    return effect


def note_exam(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "exams": [*data.get("exams", []), dict(payload)]}


def note_certificate(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    certificate = {
        "number": payload["certificate_number"].strip(),
        "valid_from": date.fromisoformat(payload["valid_from"]).isoformat(),
        "valid_until": date.fromisoformat(payload["valid_until"]).isoformat(),
        "areas": [a.strip() for a in payload["areas"]],
    }
    return {**data, "certificate": certificate}


def note_update_training(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "update_trainings": data.get("update_trainings", 0) + 1}


def note_missed_year(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The lapse carries the due date of the year's check: that year is missed (art. 20, for the assessment)."""
    year = date.fromisoformat(payload["due_date"]).year
    return {**data, "missed_training_years": sorted({*data.get("missed_training_years", []), year})}


def note_returned(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    returns = [*data.get("applications_returned", []), payload["reasons"]]
    return {**data, "applications_returned": returns}


# --- the yearly check (art. 20) -----------------------------------------------------------------


def end_of_next_year(entered: date) -> date:
    """Entering `active` covers its year (by the certificate's qualification, or by the update
    training just recorded): the next training is due by 31 December of the following year."""
    return date(entered.year + 1, 12, 31)


def end_of_year(entered: date) -> date:
    """Entered on 1 January after a missed year: this year's training is due by its 31 December."""
    return date(entered.year, 12, 31)


def cancellation_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    recall = data.get("recall", {})
    return {"certificate": data["certificate"], "reason_title": RECALL_REASONS[recall["reason"]],
            "recall_note": recall.get("note", "")}


def _trained(kind: str, title: str) -> Guard:
    return Guard(lambda data, payload: kind in data, refusal=f"尚未完成{title}")


PASSED = Guard(lambda data, payload: payload.get("result") == "passed", refusal="考试结果为不合格")


LEFT_WORK = Guard(lambda data, payload: payload.get("reason") == "left_work",
                  refusal="执法证尚在有效期内，只能以“不再从事行政执法工作”为由回收；"
                          "有效期届满后，系统自动转入“有效期满，待回收”，再行回收")

def _uncertified(what: str):
    def facts(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
        number = (data.get("certificate") or {}).get("number")
        return (f"你单位行政执法人员{data.get('name', '')}" + (f"（执法证号{number}）" if number else "")
                + f"的行政执法证{what}，不再具备从事行政执法活动的条件，你单位仍安排其从事行政执法活动。")
    return facts


# A number is issued to one person: never to another while or after it served (the same person's
# new certificate may keep it).
CERTIFICATE_NUMBER = Unique(field="certificate_number", path="certificate.number", what="执法证号")

certificate = procedure(
    "certificate", version=1, title="行政执法证管理", initial=Stage.IN_TRAINING,
    basis=RULE.art(15), opened_by=("clerk", "system"), data=Person, correlation_field="person_id",
    opening_event="enrol",
    correlation_while_open=True,  # art. 21 cancels a certificate, then art. 15–19 certify the person again
    states=[
        state(Stage.IN_TRAINING, "资格培训中", basis=RULE.art(16)),
        state(Stage.AWAITING_EXAM, "待参加统一考试", basis=RULE.art(15)),
        state(Stage.AWAITING_RETAKE, "考试不合格，待补考",
              basis=RULE.art(15, note="本制度未限定补考次数，考试合格前可再次参加")),
        state(Stage.QUALIFICATION_REVIEW, "执法机构资格审核中", basis=RULE.art(19)),
        state(Stage.QUALIFICATION_REFUSED, "资格审核未通过", basis=RULE.art(19), terminal=True),
        state(Stage.QUALIFIED, "资格审核通过，待申领", basis=RULE.art(18)),
        state(Stage.APPLIED, "已申领，待县司法局发证", basis=RULE.art(17)),
        state(Stage.ACTIVE, "持证", basis=RULE.art(15)),
        state(Stage.TRAINING_OVERDUE, "持证（未按年度参加法律知识更新培训）", basis=RULE.art(20)),
        state(Stage.EXPIRED, "有效期满，待回收", basis=RULE.art(21)),
        state(Stage.RECALLED, "已回收，待注销", basis=RULE.art(21)),
        state(Stage.CANCELLED, "已注销", basis=RULE.art(21), terminal=True),
        state(Stage.WITHDRAWN, "已撤回（不再申领）",
              basis=RULE.art(15, note="不再从事行政执法工作的人员，无须领取执法证"), terminal=True),
    ],
    transitions=[
        # 资格培训 (art. 16–17): both trainings, in either order, before the exam.
        transition("complete_general_training", Stage.IN_TRAINING, Stage.AWAITING_EXAM,
                   role=("reviewer", "system"), payload=Training, guard=_trained("special_training", "专门法律知识培训"),
                   effect=_with("general_training"), basis=RULE.art(17), title="完成通用法律知识培训"),
        transition("complete_general_training", Stage.IN_TRAINING, None,
                   role=("reviewer", "system"), payload=Training,
                   effect=_with("general_training"), basis=RULE.art(17), title="完成通用法律知识培训"),
        transition("complete_special_training", Stage.IN_TRAINING, Stage.AWAITING_EXAM,
                   role=("clerk", "system"), payload=Training, guard=_trained("general_training", "通用法律知识培训"),
                   effect=_with("special_training"), basis=RULE.art(17), title="完成专门法律知识培训"),
        transition("complete_special_training", Stage.IN_TRAINING, None,
                   role=("clerk", "system"), payload=Training,
                   effect=_with("special_training"), basis=RULE.art(17), title="完成专门法律知识培训"),
        # 统一考试 (art. 15): pass → review; fail → retake.
        transition("record_exam", (Stage.AWAITING_EXAM, Stage.AWAITING_RETAKE), Stage.QUALIFICATION_REVIEW,
                   role=("reviewer", "system"), payload=Exam, guard=PASSED, effect=note_exam,
                   basis=RULE.art(15), title="登记统一考试成绩"),
        transition("record_exam", Stage.AWAITING_EXAM, Stage.AWAITING_RETAKE,
                   role=("reviewer", "system"), payload=Exam, effect=note_exam,
                   basis=RULE.art(15), title="登记统一考试成绩"),
        transition("record_exam", Stage.AWAITING_RETAKE, None,
                   role=("reviewer", "system"), payload=Exam, effect=note_exam,
                   basis=RULE.art(15), title="登记统一考试成绩"),
        # 资格审核 (art. 19) and 申领 (art. 18–19).
        transition("approve_qualification", Stage.QUALIFICATION_REVIEW, Stage.QUALIFIED, role="clerk",
                   payload=Note, effect=_with("qualification"), basis=RULE.art(19),
                   title="资格审核通过"),
        transition("refuse_qualification", Stage.QUALIFICATION_REVIEW, Stage.QUALIFICATION_REFUSED, role="clerk",
                   payload=Reasons, effect=_with("qualification_refused"), basis=RULE.art(19),
                   title="资格审核不通过"),
        transition("apply", Stage.QUALIFIED, Stage.APPLIED, role=("clerk", "system"), payload=Application,
                   effect=_with("application"), basis=RULE.art(19),
                   title="在线申请并向县司法局提交《执法证件申领表》"),
        transition("return_application", Stage.APPLIED, Stage.QUALIFIED, role="reviewer", payload=Reasons,
                   effect=note_returned,
                   basis=RULE.art(17, note="县司法局负责执法证件的发放，申领不符合要求的退回执法机构"),
                   title="退回申领"),
        transition("issue", Stage.APPLIED, Stage.ACTIVE, role=("reviewer", "system"), payload=Issue,
                   effect=note_certificate, unique=CERTIFICATE_NUMBER, basis=RULE.art(17), title="发放行政执法证"),
        # 法律知识更新培训 (art. 20): the yearly check.
        transition("record_update_training", HOLDING, Stage.ACTIVE, role=("clerk", "system"), payload=Training,
                   effect=note_update_training, basis=RULE.art(20), title="参加法律知识更新培训"),
        transition("update_training_missed", HOLDING, Stage.TRAINING_OVERDUE, role=TIMER,
                   effect=note_missed_year, basis=RULE.art(20, note="培训情况作为年度考核的内容"),
                   title="年度内未参加法律知识更新培训"),
        # 回收与注销 (art. 21): expiry is the lapse of the certificate's validity.
        transition("expire", HOLDING, Stage.EXPIRED, role=TIMER, cancels_deadlines=True,
                   basis=RULE.art(21), title="执法证有效期届满"),
        transition("recall", HOLDING, Stage.RECALLED, role=("clerk", "system"), payload=Recall, guard=LEFT_WORK,
                   effect=_with("recall"), cancels_deadlines=True, basis=RULE.art(21), title="回收执法证"),
        transition("recall", Stage.EXPIRED, Stage.RECALLED, role=("clerk", "system"), payload=Recall,
                   effect=_with("recall"), basis=RULE.art(21), title="回收执法证"),
        # Art. 35 (二): enforcement by a person whose certificate is no longer valid leads into an order.
        lead("unqualified_staff", Stage.EXPIRED, _uncertified("有效期已届满")),
        lead("unqualified_staff", Stage.RECALLED, _uncertified("已被回收")),
        transition("cancel", Stage.RECALLED, Stage.CANCELLED, role=("reviewer", "system"), payload=Note,
                   issues="certificate_cancellation", basis=RULE.art(21), title="注销执法证"),
        transition("withdraw", BEFORE_ISSUE, Stage.WITHDRAWN, role="clerk", payload=Reasons,
                   effect=_with("withdrawn"), cancels_deadlines=True,
                   basis=RULE.art(15, note="不再从事行政执法工作的人员，无须领取执法证"), title="撤回（不再申领）"),
    ],
    deadlines=[
        deadline("validity", title="执法证有效期", while_in=HOLDING, on_date="certificate.valid_until",
                 on_lapse="expire", basis=RULE.art(21, note="有效期满的，由原执法机构统一回收")),
        deadline("update_training", title="年度法律知识更新培训", while_in=Stage.ACTIVE, fixed=end_of_next_year,
                 on_lapse="update_training_missed",
                 basis=RULE.art(20, note="每年至少参加一次；发证当年已参加资格培训考试，自次年起检查")),
        deadline("update_training_after_miss", title="年度法律知识更新培训（上年度未参加）",
                 while_in=Stage.TRAINING_OVERDUE, fixed=end_of_year, on_lapse="update_training_missed",
                 basis=RULE.art(20)),
    ],
    documents=[
        document("certificate_cancellation", title="行政执法证注销通知", issuer="justice_bureau", basis=RULE.art(21),
                 facts=cancellation_facts),
    ],
)

PROCEDURES = [certificate]
