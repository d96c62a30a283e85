"""行政执法联席会议 — the joint meeting of the county's enforcement agencies, and the tasks of its minutes.

《秀山自治县行政执法联席会议制度》 (attachment 1): the meeting's office sits at the county justice
bureau and runs its daily business (art. 2); member units (art. 3) apply with topics and the office
submits them to the director (the county government leader in charge) for approval (art. 2); the
meeting is called when needed, at the time the office's notice gives (art. 4); court and
procuratorate leaders may be invited (art. 2); the enforcement agencies attending report on their
enforcement work: the three systems, the responsibility system, the power list and the discretion
benchmarks (art. 5); its decisions go out to the units as minutes (纪要) for execution (art. 5).

One `joint_meeting` case per meeting, owned by the justice bureau (the office), with the member
units called to it as parties: they see it, propose topics and report on it. Each decision of the
minutes opens its own `joint_meeting_task` case for the agencies it names (the first leads), with
the due date the minutes set: a report back is expected by then, and a lapse makes it overdue.

Where the rule is silent (each choice also stated in a basis note):
- The director's approval is recorded by a supervisor (the system has no account for the county
  leader); the director may send the agenda back to collect more topics.
- The rule sets no date for the reports: the notice sets it (before the meeting day); a report
  still missing when it lapses is listed overdue until the minutes are issued.
- The rule sets no period for carrying out a decision: the minutes set each one's due date.
- The document prefixes are configuration (document_numbers.toml), not yet confirmed by the county.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate

from xsflow.definitions import TIMER, Guard, LinkedCase, Rule, deadline, procedure, state, transition
from xsflow.payloads import Payload, text

from .numbering import document

RULE = Rule("《秀山自治县行政执法联席会议制度》")
OFFICE = "sfj"  # the meeting's office is at the county justice bureau (art. 2)

REPORT_CONTENTS = {  # art. 5: what an attending enforcement agency reports on
    "three_systems": "三项制度的落实情况",
    "responsibility": "责任制落实情况",
    "power_list": "权力清单管理情况",
    "discretion": "裁量权基准落实情况",
}
SILENT_ON_APPROVAL = "联席会议办公室报主任审定；主任审定结果由监督人员在系统中登记"
SILENT_ON_REPORT_DATE = "规则未规定汇报材料报送时间，由会议通知确定（早于会议召开日）"
SILENT_ON_TASK_PERIOD = "规则未规定落实期限，由会议纪要逐项确定"


class Stage(StrEnum):
    COLLECTING_TOPICS = "collecting_topics"
    AWAITING_APPROVAL = "awaiting_approval"
    AGENDA_APPROVED = "agenda_approved"
    NOTIFIED = "notified"
    REPORTS_OVERDUE = "reports_overdue"
    REPORTS_IN = "reports_in"
    MINUTES_ISSUED = "minutes_issued"
    CANCELLED = "cancelled"


AWAITING_REPORTS = (Stage.NOTIFIED, Stage.REPORTS_OVERDUE)
CALLED = (*AWAITING_REPORTS, Stage.REPORTS_IN)  # the notice is out: reports and then the minutes
OPEN = (Stage.COLLECTING_TOPICS, Stage.AWAITING_APPROVAL, Stage.AGENDA_APPROVED, *CALLED)


def _required(what: str, max_length: int) -> fields.String:
    def not_blank(value: str) -> None:
        if not value.strip():
            raise ValidationError(f"请填写{what}。")
    return fields.String(required=True, metadata={"title": what},
                         validate=[not_blank, validate.Length(max=max_length, error=f"不能超过 {max_length} 个字。")],
                         error_messages={"required": f"请填写{what}。", "null": f"请填写{what}。", "invalid": "应为文字。"})


def _agency_codes(what: str, *, required: bool = True) -> fields.List:
    def distinct(values: list[str]) -> None:
        if len(set(values)) != len(values):
            raise ValidationError(f"{what}有重复项。")
    return fields.List(fields.String(validate=validate.Length(min=1, max=40), error_messages={"invalid": "单位代码应为文字。"}),
                       required=required, metadata={"title": what},
                       validate=[validate.Length(min=1, error=f"至少列出一个{what}。"), distinct],
                       error_messages={"required": f"请列出{what}（单位代码）。", "null": f"请列出{what}。",
                                       "invalid": "应为单位代码的列表。"})


def _date(what: str) -> fields.Date:
    return fields.Date(required=True, metadata={"title": what},
                       error_messages={"required": f"请填写{what}。", "null": f"请填写{what}。",
                                       "invalid": f"{what}的格式应为 YYYY-MM-DD。"})


# --- the meeting -------------------------------------------------------------------------------------


class MeetingData(Payload):
    """The member units called to the meeting (art. 3) besides the office; they see the case."""

    members = _agency_codes("参会成员单位")
    reference = text(max_length=100)


class Topic(Payload):
    agency = fields.String(load_default=None, metadata={"title": "提出议题的成员单位（县司法局代为登记时填写）"})
    topic = _required("议题名称", 200)
    description = text(max_length=5000)


class Agenda(Payload):
    topics = fields.List(fields.Integer(strict=True, error_messages={"invalid": "议题序号应为整数。"}), required=True,
                         validate=validate.Length(min=1, error="至少选定一项议题报主任审定。"),
                         metadata={"title": "报主任审定的议题序号"},
                         error_messages={"required": "请列出报主任审定的议题序号。", "invalid": "应为议题序号的列表。"})


class Approval(Payload):
    approved_by = _required("审定人（联席会议主任或受权副主任）", 100)
    note = text(max_length=2000)


class Return(Payload):
    reason = _required("退回理由", 2000)


class Notice(Payload):
    meeting_date = _date("会议日期")
    meeting_time = _required("会议时间（如上午9时）", 50)
    place = _required("会议地点", 200)
    chair = _required("主持人", 100)
    invited = fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list,
                          metadata={"title": "特邀参会领导（如县法院、县检察院分管领导）"},
                          error_messages={"invalid": "应为特邀参会领导的列表。"})
    reporting = _agency_codes("作汇报的行政执法机关")
    reports_due = _date("汇报材料报送截止日")


class Report(Payload):
    agency = fields.String(load_default=None, metadata={"title": "汇报单位（县司法局代为登记时填写）"})
    three_systems = _required(REPORT_CONTENTS["three_systems"], 20000)
    responsibility = _required(REPORT_CONTENTS["responsibility"], 20000)
    power_list = _required(REPORT_CONTENTS["power_list"], 20000)
    discretion = _required(REPORT_CONTENTS["discretion"], 20000)
    other = text(max_length=20000)


class Decision(Payload):
    decision = _required("决定事项", 5000)
    agencies = _agency_codes("承办单位（第一个为牵头单位）")
    due_date = _date("落实期限")


class Minutes(Payload):
    held_on = _date("会议召开日期")
    summary = _required("会议主要内容", 20000)
    decisions = fields.List(fields.Nested(Decision), required=True, metadata={"title": "议定事项"},
                            error_messages={"required": "请列出会议议定事项（可为空列表）。", "invalid": "应为议定事项的列表。"})


def _members(data: Mapping[str, Any]) -> set[str]:
    return {OFFICE, *data.get("members", [])}


def note_topic(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    topics = list(data.get("topics", []))
    topics.append({"no": len(topics) + 1, "agency": payload["agency"], "topic": payload["topic"].strip(),
                   "description": payload.get("description") or ""})
    return {**data, "topics": topics}


def note_agenda(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "agenda": sorted(set(payload["topics"]))}


def note_approval(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "approval": dict(payload)}


def note_return(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    returned = [*data.get("returned", []), {"reason": payload["reason"], "agenda": data.get("agenda", [])}]
    return {**{k: v for k, v in data.items() if k != "agenda"}, "returned": returned}


def note_notice(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "notice": {**payload, "invited": list(payload.get("invited") or [])}, "reports": {}}


def note_report(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    report = {k: v for k, v in payload.items() if k != "agency"}
    return {**data, "reports": {**data.get("reports", {}), payload["agency"]: report}}


def note_missing_reports(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "reports_missing_at_due": missing_reports(data)}


def note_minutes(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "minutes": dict(payload), "reports_missing_at_meeting": missing_reports(data)}


def missing_reports(data: Mapping[str, Any]) -> list[str]:
    reported = data.get("reports", {})
    return [a for a in data.get("notice", {}).get("reporting", []) if a not in reported]


def reminded(data: Mapping[str, Any], deadline_name: str) -> list[str] | None:
    """A lapsed report date reminds the agencies whose report is missing, not every member (art. 8)."""
    return missing_reports(data) if deadline_name == "reports" else None


def _known_topics(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    numbers = {t["no"] for t in data.get("topics", [])}
    return set(payload["topics"]) <= numbers


def _notice_ok(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    return (set(payload["reporting"]) <= _members(data)
            and date.fromisoformat(payload["reports_due"]) < date.fromisoformat(payload["meeting_date"]))


def _reporting(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    return payload["agency"] in data.get("notice", {}).get("reporting", [])


def _last_report(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """The report that completes the set the notice asked for."""
    return _reporting(data, payload) and missing_reports(data) in ([], [payload["agency"]])


def _decisions_ok(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    held = date.fromisoformat(payload["held_on"])
    return all(set(d["agencies"]) <= _members(data) and date.fromisoformat(d["due_date"]) > held
               for d in payload["decisions"])


def task_openings(data: Mapping[str, Any], payload: Mapping[str, Any], origin: Mapping[str, Any]) -> list[LinkedCase]:
    """One `joint_meeting_task` per decision of the minutes, led by the first agency it names."""
    number = next(d["number"] for d in origin["documents"] if d["kind"] == "meeting_minutes")
    return [LinkedCase("joint_meeting_task", d["agencies"][0], f"{number}第{i}项：{d['decision'][:60]}",
                       {"meeting_case": origin["case_id"], "minutes_number": number, "decision_no": i,
                        "decision": d["decision"], "due_date": d["due_date"], "agencies": d["agencies"][1:],
                        "reference": f"{number}第{i}项"})
            for i, d in enumerate(payload["decisions"], 1)]


# --- document facts -----------------------------------------------------------------------------------


def _names(facts: Mapping[str, Any]) -> dict[str, str]:
    return {p["code"]: p["name"] for p in facts["parties"]}


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data, names = facts["data"], _names(facts)
    agenda = [t for t in data.get("topics", []) if t["no"] in data.get("agenda", [])]
    return {
        "member_names": [names[c] for c in data.get("members", []) if c in names],
        "agenda_items": [f"{t['topic']}（{names.get(t['agency'], t['agency'])}提出）" for t in agenda],
        "reporting_names": [names.get(c, c) for c in facts["payload"]["reporting"]],
        "report_contents": list(REPORT_CONTENTS.values()),
    }


def minutes_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data, names = facts["data"], _names(facts)
    return {
        "decision_lines": [{"decision": d["decision"], "agencies": [names.get(c, c) for c in d["agencies"]],
                            "due_date": d["due_date"]} for d in facts["payload"]["decisions"]],
        "reported_names": [names.get(c, c) for c in data.get("reports", {})],
        "missing_names": [names.get(c, c) for c in missing_reports(data)],
        "member_names": [names[c] for c in data.get("members", []) if c in names],
    }


# --- the procedures -----------------------------------------------------------------------------------

joint_meeting = procedure(
    "joint_meeting", version=1, title="行政执法联席会议", initial=Stage.COLLECTING_TOPICS,
    basis=RULE.art(2), opened_by="reviewer", data=MeetingData, parties_field="members", reminded=reminded,
    states=[
        state(Stage.COLLECTING_TOPICS, "征集议题", basis=RULE.art(2, note="联席会议议题由成员单位提出申请")),
        state(Stage.AWAITING_APPROVAL, "议题报主任审定", basis=RULE.art(2, note="由联席会议办公室报主任审定")),
        state(Stage.AGENDA_APPROVED, "议题已审定", basis=RULE.art(2, note=SILENT_ON_APPROVAL)),
        state(Stage.NOTIFIED, "已发会议通知", basis=RULE.art(4, note="具体时间以联席会议办公室通知为准")),
        state(Stage.REPORTS_OVERDUE, "汇报材料逾期未报齐", basis=RULE.art(5, note=SILENT_ON_REPORT_DATE)),
        state(Stage.REPORTS_IN, "汇报材料已报齐", basis=RULE.art(5)),
        state(Stage.MINUTES_ISSUED, "已印发会议纪要", basis=RULE.art(5, note="以联席会议纪要形式下发各单位执行"),
              terminal=True),
        state(Stage.CANCELLED, "已取消", basis=RULE.art(4, note="原则上按需召开会议；不再需要召开的，由办公室取消"),
              terminal=True),
    ],
    transitions=[
        transition("propose_topic", Stage.COLLECTING_TOPICS, None, role=("clerk", "reviewer"), payload=Topic,
                   acting_agency="agency", effect=note_topic,
                   basis=RULE.art(2, note="联席会议议题由成员单位提出申请"), title="提出议题"),
        transition("submit_agenda", Stage.COLLECTING_TOPICS, Stage.AWAITING_APPROVAL, role="reviewer", payload=Agenda,
                   guard=Guard(_known_topics, refusal="所列议题序号不在已提出的议题中"), effect=note_agenda,
                   basis=RULE.art(2, note="由联席会议办公室报主任审定"), title="议题报主任审定"),
        transition("approve_agenda", Stage.AWAITING_APPROVAL, Stage.AGENDA_APPROVED, role="supervisor",
                   payload=Approval, effect=note_approval, basis=RULE.art(2, note=SILENT_ON_APPROVAL),
                   title="登记主任审定议题"),
        transition("return_agenda", Stage.AWAITING_APPROVAL, Stage.COLLECTING_TOPICS, role="supervisor",
                   payload=Return, effect=note_return, basis=RULE.art(2, note=SILENT_ON_APPROVAL),
                   title="主任退回议题"),
        transition("send_notice", Stage.AGENDA_APPROVED, Stage.NOTIFIED, role="reviewer", payload=Notice,
                   guard=Guard(_notice_ok, refusal="作汇报的单位须为参会成员单位，且汇报材料报送截止日须早于会议日期"),
                   effect=note_notice, issues="meeting_notice",
                   basis=RULE.art(4, note="具体时间以联席会议办公室通知为准；可特邀县法院、县检察院等单位领导参加（第二条）"),
                   title="发出会议通知"),
        transition("submit_report", AWAITING_REPORTS, Stage.REPORTS_IN, role=("clerk", "reviewer"), payload=Report,
                   acting_agency="agency", guard=Guard(_last_report, refusal="本单位不在会议通知所列作汇报的单位之中"),
                   effect=note_report, basis=RULE.art(5, note="各参会的行政执法机关对本单位的行政执法工作开展情况作出汇报"),
                   title="报送执法工作汇报"),
        transition("submit_report", CALLED, None, role=("clerk", "reviewer"), payload=Report,
                   acting_agency="agency", guard=Guard(_reporting, refusal="本单位不在会议通知所列作汇报的单位之中"),
                   effect=note_report, basis=RULE.art(5, note="各参会的行政执法机关对本单位的行政执法工作开展情况作出汇报"),
                   title="报送执法工作汇报"),
        transition("reports_lapsed", Stage.NOTIFIED, Stage.REPORTS_OVERDUE, role=TIMER, effect=note_missing_reports,
                   basis=RULE.art(5, note=SILENT_ON_REPORT_DATE), title="汇报材料报送截止"),
        transition("issue_minutes", CALLED, Stage.MINUTES_ISSUED, role="reviewer", payload=Minutes,
                   guard=Guard(_decisions_ok, refusal="议定事项的承办单位须为参会成员单位，且落实期限须晚于会议召开日期"),
                   effect=note_minutes, issues="meeting_minutes", opens=task_openings,
                   basis=RULE.art(5, note="联席会议形成的决定，以联席会议纪要形式下发各单位执行"), title="印发会议纪要"),
        transition("cancel", OPEN, Stage.CANCELLED, role="reviewer", payload=Return, effect=note_return,
                   cancels_deadlines=True, basis=RULE.art(4, note="原则上按需召开会议"), title="取消会议"),
    ],
    deadlines=[
        deadline("reports", title="汇报材料报送期限", while_in=Stage.NOTIFIED, on_date="notice.reports_due",
                 on_lapse="reports_lapsed", basis=RULE.art(5, note=SILENT_ON_REPORT_DATE)),
    ],
    documents=[
        document("meeting_notice", title="关于召开行政执法联席会议的通知", issuer="joint_meeting_office",
                 basis=RULE.art(4), facts=notice_facts),
        document("meeting_minutes", title="行政执法联席会议纪要", issuer="joint_meeting_office", basis=RULE.art(5),
                 facts=minutes_facts),
    ],
)


class TaskStage(StrEnum):
    IN_PROGRESS = "in_progress"
    OVERDUE = "overdue"
    REPORTED = "reported"
    COMPLETED = "completed"


class TaskData(Payload):
    meeting_case = fields.Integer(required=True, strict=True, metadata={"title": "会议案件编号"})
    minutes_number = _required("会议纪要文号", 100)
    decision_no = fields.Integer(required=True, strict=True, metadata={"title": "议定事项序号"})
    decision = _required("决定事项", 5000)
    due_date = fields.Date(required=True, metadata={"title": "落实期限"})
    agencies = fields.List(fields.String(), load_default=list, metadata={"title": "其他承办单位"})
    reference = _required("纪要文号及事项序号", 120)


class TaskReport(Payload):
    agency = fields.String(load_default=None, metadata={"title": "反馈单位（县司法局代为登记时填写）"})
    result = _required("落实情况", 20000)


joint_meeting_task = procedure(
    "joint_meeting_task", version=1, title="联席会议议定事项落实", initial=TaskStage.IN_PROGRESS,
    basis=RULE.art(5, note="联席会议纪要下发各单位执行"), opened_by="reviewer", data=TaskData,
    parties_field="agencies",
    states=[
        state(TaskStage.IN_PROGRESS, "落实中", basis=RULE.art(5, note="以联席会议纪要形式下发各单位执行")),
        state(TaskStage.OVERDUE, "逾期未反馈", basis=RULE.art(5, note=SILENT_ON_TASK_PERIOD)),
        state(TaskStage.REPORTED, "已反馈落实情况", basis=RULE.art(8, note="有相关情况及时联系县司法局")),
        state(TaskStage.COMPLETED, "已落实", basis=RULE.art(5), terminal=True),
    ],
    transitions=[
        transition("report_back", (TaskStage.IN_PROGRESS, TaskStage.OVERDUE), TaskStage.REPORTED,
                   role=("clerk", "reviewer"), payload=TaskReport, acting_agency="agency",
                   effect=lambda data, p: {**data, "report": dict(p)},
                   basis=RULE.art(8, note="做好工作信息的上传下达，有相关情况及时联系县司法局"), title="反馈落实情况"),
        transition("task_lapsed", TaskStage.IN_PROGRESS, TaskStage.OVERDUE, role=TIMER,
                   basis=RULE.art(5, note=SILENT_ON_TASK_PERIOD), title="落实期限届满未反馈"),
        transition("confirm_done", TaskStage.REPORTED, TaskStage.COMPLETED, role="reviewer",
                   basis=RULE.art(2, note="联席会议办公室负责联席会议日常事务"), title="确认已落实"),
        transition("return_report", TaskStage.REPORTED, TaskStage.IN_PROGRESS, role="reviewer", payload=Return,
                   effect=lambda data, p: {**data, "returned": [*data.get("returned", []), p["reason"]]},
                   basis=RULE.art(2, note="联席会议办公室负责联席会议日常事务"), title="退回继续落实"),
    ],
    deadlines=[
        deadline("task", title="议定事项落实期限", while_in=TaskStage.IN_PROGRESS, on_date="due_date",
                 on_lapse="task_lapsed", basis=RULE.art(5, note=SILENT_ON_TASK_PERIOD)),
    ],
)

PROCEDURES = [joint_meeting, joint_meeting_task]
