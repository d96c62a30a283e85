"""涉嫌犯罪案件移送 — an enforcement agency's transfer of a suspected crime to the public security bureau.

附件1《秀山自治县行政执法联席会议制度》第七条 makes every enforcement agency follow
《行政执法机关移送涉嫌犯罪案件的规定》 (国务院令第310号, revised 2020 by 国务院令第730号). The articles
relied on, how they were checked, and how their periods are counted are in
`xsflow/reference/criminal_transfer_regulation.md`:
- art. 5: the head decides within 3 days of receiving the written report (`approval`); an approved
  case is transferred within 24 hours; a refusal's reasons are recorded;
- art. 8: the police decide whether to open a criminal case within 3 days of receiving it (`filing_decision`);
- art. 9: against a refusal the agency may ask for reconsideration within 3 days of the notice
  (`reconsideration_request`), answered within 3 days of the request (`reconsideration_decision`);
- art. 10: a case the police do not take is handled by the agency itself;
- art. 11: an administrative penalty does not replace the transfer; art. 12: once the police open
  the case, the evidence is handed over within 3 days (`handover`).

All are "日": calendar days, the last one rolled past a rest day (民法典 第二百零三条). Only the
reconsideration request has a consequence in the regulation (the right lapses); the others are duties
of an organ whose lateness the regulation leaves to supervision (art. 14, 15), so their lapse lists
the case overdue and moves nothing, and the late act is still recorded.

Who sees a case: the agency, the police (a party, `service_levels/criminal_transfer.toml`) and the
county procuratorate (a party: art. 14, supervision), which reads them through the read-only
`procuratorate` role (`observers`) and fires nothing. Both the agency's and the police's staff are
clerks, so each step names the side that acts (`acting_side`): the agency's steps are the transferring
agency's (the case's own), the police's decisions (art. 8, 9) the police's staff or system — the
police agency codes are configuration (`[police]`). A county-wide integration (the 两法衔接 platform's
system token, without an agency) relays either side's records.

A transfer not made — an administrative case closed with a fine although the facts reach the
criminal threshold (art. 11) — is flagged by the agency (`flag_not_transferred`), never guessed:
the case waits in `not_transferred`, where the bureau finds it, until the agency reports it for
transfer after all.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from marshmallow import fields, post_load, validate

from xsflow.definitions import TIMER, Basis, Deadline, Rule, Side, deadline, procedure, state, transition
from xsflow.payloads import Payload, text

from .settings import service_level_setting

REGULATION = Rule("《行政执法机关移送涉嫌犯罪案件的规定》")
COUNTY = Rule("附件1《秀山自治县行政执法联席会议制度》")
POLICE_SETTING = service_level_setting("criminal_transfer", "police")
POLICE = POLICE_SETTING["agency"]  # the one 同级公安机关 cases are transferred to (a party of each case)
# Whose staff record the police's decisions: that bureau, and any further police codes the operator lists
# (a police system token or account bound to another code of the same bureau).
POLICE_AGENCIES = frozenset({POLICE, *POLICE_SETTING.get("also", ())})
PROCURATORATE = service_level_setting("criminal_transfer", "procuratorate")["agency"]


class Stage(StrEnum):
    FOUND = "found"
    REPORTED = "reported"
    APPROVED = "approved"
    NOT_APPROVED = "not_approved"
    TRANSFERRED = "transferred"
    FILED = "filed"
    FILING_REFUSED = "filing_refused"
    UNDER_RECONSIDERATION = "under_reconsideration"
    RETURNED = "returned"
    HANDED_OVER = "handed_over"
    NOT_TRANSFERRED = "not_transferred"


class TransferData(Payload):
    """The administrative case the suspected crime was found in; the police and procuratorate see it."""

    case_number = text(max_length=100, required=True)  # the agency's own case number: the correlation key
    suspected_offence = text(max_length=200)  # 涉嫌罪名, as the agency sees it
    parties = fields.List(fields.String(), dump_only=True, metadata={"title": "同时可见的单位（公安机关、检察院）"})

    @post_load
    def _parties(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "parties": [POLICE, PROCURATORATE]}


class Report(Payload):
    team = text(max_length=200, required=True)  # 专案组: at least two enforcement officers (art. 5)
    facts = text(max_length=20000, required=True)  # 核实情况: amount, circumstances, consequences (art. 3)


class Decision(Payload):
    reasons = text(max_length=20000)


class Refusal(Payload):
    reasons = text(max_length=20000, required=True)  # art. 5: 不予批准的理由记录在案; art. 8: 说明理由


class Transfer(Payload):
    transfer_number = text(max_length=100, required=True)  # 涉嫌犯罪案件移送书 number (art. 6 (一))
    materials = text(max_length=2000)  # 调查报告、涉案物品清单、检验报告或者鉴定结论… (art. 6)


class Notice(Payload):
    notice_number = text(max_length=100, required=True)  # the police's written notice (立案／不予立案通知书)
    reasons = text(max_length=20000)


class Reconsideration(Payload):
    reasons = text(max_length=20000, required=True)


class NotTransferred(Payload):
    penalty_decision = text(max_length=100, required=True)  # 行政处罚决定书文号
    fine_yuan = fields.Decimal(required=True, places=2, as_string=True, validate=validate.Range(min=0),
                               error_messages={"required": "必须填写。", "invalid": "罚款金额应为数字（元）。"})
    threshold = text(max_length=2000, required=True)  # which 立案追诉标准 the facts reach, and why


def note(key: str):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, key: dict(payload)}
    return effect


def note_not_transferred(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "not_transferred": dict(payload), "flagged_not_transferred": True}


def duty(name: str, title: str, while_in: Stage, basis: Basis) -> Deadline:
    """A 3-day duty of an organ: its lapse lists the case overdue and moves nothing (see the module text)."""
    return Deadline(name, title, frozenset({str(while_in)}), basis, days=3, service_level=True)


ART5 = REGULATION.art("五")
AGENCY = ("clerk", "system")
POLICE_ROLES = ("clerk", "system")  # the police's staff or system
# Who acts in each step (xsflow/access.py): the roles alone cannot tell, both sides' staff are clerks.
SIDES = {
    "agency": Side("移送案件的行政执法机关"),  # the case's own agency (第三条、第五条)
    "police": Side("公安机关", POLICE_AGENCIES),  # 第八条、第九条: 公安机关 decides and notifies in writing
}
BY_AGENCY: dict[str, Any] = {"role": AGENCY, "acting_side": "agency"}
BY_POLICE: dict[str, Any] = {"role": POLICE_ROLES, "acting_side": "police"}

criminal_transfer = procedure(
    "criminal_transfer", version=1, title="涉嫌犯罪案件移送", initial=Stage.FOUND,
    basis=COUNTY.art("七", note="按照《行政执法机关移送涉嫌犯罪案件的规定》做好案件移送工作"),
    opened_by=AGENCY, data=TransferData, correlation_field="case_number", parties_field="parties",
    correlation_per_agency=True, sides=SIDES,
    # The procuratorate's read-only role sees its transfers and fires nothing (art. 14: supervision).
    observers=("procuratorate",),
    states=[
        state(Stage.FOUND, "发现涉嫌犯罪，核实中", basis=REGULATION.art("五", note="立即指定2名以上执法人员组成专案组，核实情况")),
        state(Stage.REPORTED, "已提出移送报告，待负责人审批", basis=ART5),
        state(Stage.APPROVED, "已批准移送，待移送", basis=REGULATION.art("五", note="决定批准的，应当在24小时内向同级公安机关移送")),
        state(Stage.NOT_APPROVED, "不批准移送", basis=REGULATION.art("五", note="不予批准的理由记录在案"), terminal=True),
        state(Stage.TRANSFERRED, "已移送，待公安机关立案审查", basis=REGULATION.art("八")),
        state(Stage.FILED, "公安机关已立案，待移交涉案物品", basis=REGULATION.art("十二")),
        state(Stage.FILING_REFUSED, "公安机关不予立案", basis=REGULATION.art("九")),
        state(Stage.UNDER_RECONSIDERATION, "提请复议中", basis=REGULATION.art("九", note="第二款")),
        state(Stage.RETURNED, "不予立案，由行政执法机关依法处理", basis=REGULATION.art("十"), terminal=True),
        state(Stage.HANDED_OVER, "已移交涉案物品，办结交接", basis=REGULATION.art("十二"), terminal=True),
        state(Stage.NOT_TRANSFERRED, "应移送未移送（已以行政处罚结案）",
              basis=REGULATION.art("十一", note="不得以行政处罚代替移送")),
    ],
    transitions=[
        transition("submit_report", (Stage.FOUND, Stage.NOT_TRANSFERRED), Stage.REPORTED, **BY_AGENCY, payload=Report,
                   effect=note("report"), basis=ART5, title="提出移送涉嫌犯罪案件的书面报告，报负责人审批"),
        transition("flag_not_transferred", Stage.FOUND, Stage.NOT_TRANSFERRED, **BY_AGENCY, payload=NotTransferred,
                   effect=note_not_transferred,
                   basis=REGULATION.art("十一", note="已作出罚款处罚结案，违法事实达到刑事追诉标准而未移送"),
                   title="登记应移送未移送的案件"),
        transition("approve", Stage.REPORTED, Stage.APPROVED, **BY_AGENCY, payload=Decision, effect=note("approval"),
                   basis=ART5, title="负责人批准移送"),
        transition("refuse_approval", Stage.REPORTED, Stage.NOT_APPROVED, **BY_AGENCY, payload=Refusal,
                   effect=note("refusal"), basis=ART5, title="负责人不批准移送（理由记录在案）"),
        transition("transfer", Stage.APPROVED, Stage.TRANSFERRED, **BY_AGENCY, payload=Transfer, effect=note("transfer"),
                   basis=REGULATION.art("六", note="附涉嫌犯罪案件移送书等材料，向同级公安机关移送"),
                   title="向公安机关移送"),
        transition("open_criminal_case", (Stage.TRANSFERRED, Stage.UNDER_RECONSIDERATION), Stage.FILED,
                   **BY_POLICE, payload=Notice, effect=note("filing"),
                   basis=REGULATION.art("八", note="决定立案的，书面通知移送案件的行政执法机关；复议决定立案的，依第九条第二款"),
                   title="公安机关决定立案"),
        transition("refuse_filing", Stage.TRANSFERRED, Stage.FILING_REFUSED, **BY_POLICE, payload=Notice,
                   effect=note("filing_refusal"), basis=REGULATION.art("八", note="不予立案的，说明理由，书面通知"),
                   title="公安机关决定不予立案"),
        transition("request_reconsideration", Stage.FILING_REFUSED, Stage.UNDER_RECONSIDERATION, **BY_AGENCY,
                   payload=Reconsideration, effect=note("reconsideration"), basis=REGULATION.art("九"),
                   title="提请公安机关复议"),
        transition("accept_refusal", Stage.FILING_REFUSED, Stage.RETURNED, **BY_AGENCY, payload=Decision,
                   cancels_deadlines=True, basis=REGULATION.art("十"), title="不提请复议，依法作出处理"),
        transition("reconsideration_request_lapsed", Stage.FILING_REFUSED, Stage.RETURNED, role=TIMER,
                   basis=REGULATION.art("九", note="自接到不予立案通知书之日起3日内未提请复议"), title="提请复议期限届满"),
        transition("uphold_refusal", Stage.UNDER_RECONSIDERATION, Stage.RETURNED, **BY_POLICE, payload=Notice,
                   effect=note("reconsideration_decision"),
                   basis=REGULATION.art("九", note="复议决定不予立案；仍有异议的，可以建议人民检察院依法进行立案监督"),
                   title="公安机关复议决定不予立案"),
        transition("hand_over", Stage.FILED, Stage.HANDED_OVER, **BY_AGENCY, payload=Decision, effect=note("handover"),
                   basis=REGULATION.art("十二"), title="移交涉案物品及有关材料，办结交接手续"),
    ],
    deadlines=[
        # "决定批准的，应当在24小时内向同级公安机关移送": 24 hours from the approval's instant, not a
        # count of days; a rest day neither stops nor extends it. A duty: its lapse lists the case overdue.
        Deadline("transfer", "移送期限（24小时）", frozenset({str(Stage.APPROVED)}),
                 REGULATION.art("五", note="决定批准的，应当在24小时内向同级公安机关移送"), hours=24,
                 service_level=True),
        duty("approval", "负责人审批期限", Stage.REPORTED,
             REGULATION.art("五", note="自接到报告之日起3日内作出批准移送或者不批准移送的决定")),
        duty("filing_decision", "公安机关立案审查期限", Stage.TRANSFERRED,
             REGULATION.art("八", note="自接受移送的涉嫌犯罪案件之日起3日内审查，决定是否立案")),
        deadline("reconsideration_request", title="提请复议期限", while_in=Stage.FILING_REFUSED, days=3,
                 on_lapse="reconsideration_request_lapsed",
                 basis=REGULATION.art("九", note="可以自接到不予立案通知书之日起3日内提请复议")),
        duty("reconsideration_decision", "复议决定期限", Stage.UNDER_RECONSIDERATION,
             REGULATION.art("九", note="第二款：自收到提请复议的文件之日起3日内作出立案或者不予立案的决定")),
        duty("handover", "移交涉案物品期限", Stage.FILED,
             REGULATION.art("十二", note="自接到立案通知书之日起3日内移交涉案物品及有关材料")),
    ],
)

PROCEDURES = [criminal_transfer]
