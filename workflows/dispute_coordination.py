"""行政执法争议协调 — a dispute between two or more enforcement agencies.

《秀山自治县行政执法监督制度》第22–23条: the agencies in dispute first negotiate among
themselves (自行协商, art. 22); when they cannot agree, one of them applies to the county
justice bureau for coordination with an application stating the four contents of art. 23;
the bureau reports the dispute to the county government, which decides (裁决); a matter outside
the county government's authority goes, by the prescribed procedure and powers, to the organ
that may decide it.

Where the rule is silent this module chooses what a justice bureau would expect, and says so
in the `note` of the basis:
- the bureau first coordinates, and an agreement reached under its coordination closes the
  case with a coordination opinion (协调意见书) instead of a report to the government;
- the bureau may send back an application whose parties have not really negotiated;
- an agency may withdraw before the dispute is reported to the government;
- time limits are service levels from `service_levels/dispute_coordination.toml`, each with
  its source; none of them is binding and none moves a case by itself.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from functools import cache
from typing import Any

from marshmallow import ValidationError, fields, validate

from xsflow.definitions import Rule, procedure, service_level, state, transition
from xsflow.payloads import Payload, text
from xsflow.reference import BUNDLED, read_agencies

from .numbering import document
from .settings import service_level_setting

RULE = Rule("《秀山自治县行政执法监督制度》")
COUNTY_GOVERNMENT = "秀山土家族苗族自治县人民政府"

CATEGORIES = {  # art. 22 items (一)–(八), in the rule's order
    "duty": "因行政执法职责发生争议",
    "basis_procedure_standard": "因行政执法依据、程序、标准等事项发生争议",
    "joint_enforcement": "因联合执法发生争议",
    "assistance": "因行政执法协助发生争议",
    "case_transfer": "因移送行政执法案件发生争议",
    "municipal_rules": "因实施本市地方性法规、政府规章发生争议",
    "power_lists": "因行政权力和责任事项以及公共服务事项清单认领、编制、调整、运行等发生争议",
    "other": "其他行政执法争议事项",
}
ITEM_NUMERALS = "一二三四五六七八"
CATEGORY_LISTING = "、".join(f"{code}（{title}）" for code, title in CATEGORIES.items())

# art. 23 para. 2: what a coordination application (协调申请书) must state, by payload field.
APPLICATION_CONTENTS = {
    "matters": ("一", "需要协调的事项"),
    "negotiation": ("二", "自行协商情况及分歧意见"),
    "proposal": ("三", "解决方案建议及理由"),
    "legal_basis": ("四", "有关法律、法规或者规章等依据"),
}


class Stage(StrEnum):
    NEGOTIATING = "negotiating"
    RESOLVED = "resolved"
    APPLICATION_SUBMITTED = "application_submitted"
    COORDINATING = "coordinating"
    COORDINATED = "coordinated"
    AWAITING_DECISION = "awaiting_decision"
    DECIDED = "decided"
    ESCALATED = "escalated"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"


WITHDRAWABLE = (Stage.NEGOTIATING, Stage.APPLICATION_SUBMITTED, Stage.COORDINATING)


# --- what a case and each step carry ---------------------------------------------------------


def _stated(message: str, *, max_length: int = 20000) -> fields.String:
    """A required text that must say something: missing, null and blank all give `message`."""

    def not_blank(value: str) -> None:
        if not value.strip():
            raise ValidationError(message)

    return fields.String(required=True,
                         validate=[not_blank, validate.Length(max=max_length, error=f"不能超过 {max_length} 个字。")],
                         error_messages={"required": message, "null": message, "invalid": "应为文字。"})


def _content(field: str) -> fields.String:
    item, title = APPLICATION_CONTENTS[field]
    return _stated(f"协调申请书应当写明“{title}”（《秀山自治县行政执法监督制度》第23条第二款第（{item}）项），"
                   "此项未填写。")


def _distinct(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("争议相对方单位有重复项。")


class DisputeData(Payload):
    """What a dispute carries from its opening. The opening agency is the case's agency;
    `parties` lists the other agencies in the dispute (at least one), who see and act on it."""

    category = fields.String(
        required=True, validate=validate.OneOf(list(CATEGORIES), error=f"不是有效的争议类别，可选：{CATEGORY_LISTING}。"),
        error_messages={"required": f"请选择争议类别（第22条第（一）至（八）项）：{CATEGORY_LISTING}。",
                        "null": "请选择争议类别。", "invalid": "争议类别应为文字代码。"})
    parties = fields.List(
        fields.String(error_messages={"invalid": "单位代码应为文字。"}), required=True,
        validate=[validate.Length(min=1, error="至少列出一个与本单位发生争议的单位（争议须发生在两个以上行政执法机构之间）。"),
                  _distinct],
        error_messages={"required": "请列出与本单位发生争议的单位代码（第22条：行政执法机构之间的争议）。",
                        "null": "请列出与本单位发生争议的单位代码。", "invalid": "应为单位代码的列表。"})
    summary = text(max_length=5000)
    reference = text(max_length=100)


class Agreement(Payload):
    agreement = _stated("请写明各方协商一致的意见。")
    document_number = text(max_length=100)  # 会议纪要或协议的文号, if any


class Application(Payload):
    """协调申请书 (art. 23 para. 2): each content is its own field, so each missing one is named."""

    matters = _content("matters")
    negotiation = _content("negotiation")
    proposal = _content("proposal")
    legal_basis = _content("legal_basis")
    materials = fields.List(fields.String(validate=validate.Length(min=1, max=200, error="材料名称应为 1 至 200 个字。")),
                            error_messages={"invalid": "应为材料名称的列表。"})  # 相关文件材料 (art. 23 para. 1)


class Reason(Payload):
    reason = _stated("请写明理由。", max_length=5000)


class CoordinationAgreement(Payload):
    agreement = _stated("请写明经协调各方达成的一致意见。")
    measures = text(max_length=20000)  # 具体落实措施


class Report(Payload):
    opinion = _stated("请写明县司法局的处理意见及理由，供县人民政府裁决参考。")


class Decision(Payload):
    decision = _stated("请写明决定（裁决）的内容。")
    document_number = text(max_length=100)  # 决定机关的文号


class CountyDecision(Payload):
    """The county government's decision: xsflow issues it in the government's name and series
    (document_numbers.toml); a number the county's OA assigned comes in `document_numbers`."""
    decision = _stated("请写明决定（裁决）的内容。")


class Escalation(Payload):
    competent_organ = _stated("请写明有决定权的机关的名称。", max_length=200)
    reasons = _stated("请写明该争议事项不属于县人民政府职权范围的理由。", max_length=5000)


# --- effects: what each step adds to the case data ---------------------------------------------


def _with(key: str):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, key: dict(payload)}
    return effect


def note_return(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    returned = [*data.get("returned", []), {"reason": payload["reason"], "application": data.get("application")}]
    return {key: value for key, value in {**data, "returned": returned}.items() if key != "application"}


def note_county_decision(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "decision": {**payload, "decided_by": COUNTY_GOVERNMENT}}


def note_competent_decision(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "decision": {**payload, "decided_by": data["escalation"]["competent_organ"]}}


# --- facts the documents state -------------------------------------------------------------------


@cache
def _bundled_agency_names() -> dict[str, str]:
    return {a["code"]: a["name"] for a in read_agencies(BUNDLED)}


def party_names(facts: Mapping[str, Any]) -> list[str]:
    """The opening agency first, then the other parties, by name."""
    if "parties" in facts:  # an engine that names every party of the case (proposed patch)
        return [p["name"] for p in facts["parties"]]
    # Until then the engine names only the owner; the others come from the bundled reference data,
    # and a code an operator added in another file falls back to the code itself.
    owner = facts["recipient"]
    others = [c for c in facts["data"].get("parties", []) if c != owner["code"]]
    return [owner["name"], *(_bundled_agency_names().get(c, c) for c in others)]


def category_text(code: str) -> str:
    item = list(CATEGORIES).index(code)
    return f"{CATEGORIES[code]}（第22条第（{ITEM_NUMERALS[item]}）项）"


def lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def dispute_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    application = data.get("application") or {}
    earlier = facts["earlier_documents"]
    requests = [d for d in earlier if d["kind"] == "decision_request"]
    return {
        "party_names": party_names(facts),
        "category_title": category_text(data["category"]),
        "contents": [{"item": item, "title": title, "lines": lines(application.get(name))}
                     for name, (item, title) in APPLICATION_CONTENTS.items()],
        "materials": list(application.get("materials", [])),
        "decision_request": requests[-1] if requests else None,
        "county_government": COUNTY_GOVERNMENT,
    }


# --- the procedure --------------------------------------------------------------------------------


def _setting(name: str) -> Mapping[str, Any]:
    return service_level_setting("dispute_coordination", name)


SILENT_ON_COORDINATION = "规则未明文规定；县司法局受理协调申请后先行协调，各方经协调达成一致的，不再报请县政府裁决"
SILENT_ON_WITHDRAWAL = "规则未规定撤回；争议已消除或者申请单位撤回申请的，在报请县政府裁决前可以撤回"
# The rule is silent on suspension. Coordination that needs a third party's answer (the competent higher
# department's interpretation, a technical finding) cannot go on without it: the bureau suspends it
# with the reason, and the coordination period stops and resumes with the days it had left, as
# 《行政复议法》第三十九条 (2023) treats a review that waits for another authority (中止、恢复审理).
SILENT_ON_SUSPENSION = ("规则未规定中止；需要等待有关机关答复或者鉴定等第三方意见的，中止协调，"
                        "中止原因消除后恢复协调，办理时限扣除中止期间（参照《中华人民共和国行政复议法》第三十九条）")
SILENT_ON_RETURN = "自行协商不能达成一致意见的，方可申请协调；规则未规定退回，未经自行协商的申请退回自行协商"

dispute_coordination = procedure(
    "dispute_coordination", version=1, title="行政执法争议协调", initial=Stage.NEGOTIATING,
    basis=RULE.art(22), opened_by="clerk", data=DisputeData, parties_field="parties", min_parties=2,
    states=[
        state(Stage.NEGOTIATING, "自行协商", basis=RULE.art(22, note="应当由行政执法机构及时自行协商解决")),
        state(Stage.RESOLVED, "协商解决", basis=RULE.art(22), terminal=True),
        state(Stage.APPLICATION_SUBMITTED, "已提出协调申请", basis=RULE.art(23)),
        state(Stage.COORDINATING, "县司法局协调中", basis=RULE.art(22, note="向县司法局提出行政执法争议协调申请")),
        state(Stage.COORDINATED, "经协调达成一致", basis=RULE.art(22, note=SILENT_ON_COORDINATION), terminal=True),
        state(Stage.AWAITING_DECISION, "报请县政府裁决", basis=RULE.art(22, note="由县司法局报请县政府裁决")),
        state(Stage.DECIDED, "已作出决定", basis=RULE.art(22), terminal=True),
        state(Stage.ESCALATED, "已报有决定权的机关决定",
              basis=RULE.art(22, note="争议事项不属于本级人民政府职权范围的，按照规定的程序和权限报有决定权的机关决定")),
        state(Stage.WITHDRAWN, "已撤回", basis=RULE.art(22, note=SILENT_ON_WITHDRAWAL), terminal=True),
        state(Stage.SUSPENDED, "中止协调（等待第三方意见）", basis=RULE.art(22, note=SILENT_ON_SUSPENSION)),
    ],
    transitions=[
        transition("record_agreement", Stage.NEGOTIATING, Stage.RESOLVED, role="clerk", payload=Agreement,
                   effect=_with("agreement"), basis=RULE.art(22, note="及时自行协商解决"), title="登记协商一致意见"),
        transition("apply", Stage.NEGOTIATING, Stage.APPLICATION_SUBMITTED, role="clerk", payload=Application,
                   effect=_with("application"),
                   basis=RULE.art(23, note="提交协调申请书及相关文件材料"), title="提出行政执法争议协调申请"),
        transition("return_to_negotiation", Stage.APPLICATION_SUBMITTED, Stage.NEGOTIATING, role="reviewer",
                   payload=Reason, effect=note_return, basis=RULE.art(22, note=SILENT_ON_RETURN),
                   title="退回自行协商"),
        transition("accept", Stage.APPLICATION_SUBMITTED, Stage.COORDINATING, role="reviewer",
                   basis=RULE.art(22, note="向县司法局提出行政执法争议协调申请"), title="受理协调申请"),
        transition("issue_coordination_opinion", Stage.COORDINATING, Stage.COORDINATED, role="reviewer",
                   payload=CoordinationAgreement, effect=_with("coordination"), issues="coordination_opinion",
                   basis=RULE.art(22, note=SILENT_ON_COORDINATION), title="出具协调意见书"),
        transition("report_to_government", Stage.COORDINATING, Stage.AWAITING_DECISION, role="reviewer",
                   payload=Report, effect=_with("report"), issues="decision_request",
                   basis=RULE.art(22, note="由县司法局报请县政府裁决"), title="报请县政府裁决"),
        transition("record_decision", Stage.AWAITING_DECISION, Stage.DECIDED, role=("reviewer", "system"),
                   payload=CountyDecision, effect=note_county_decision, issues="dispute_decision",
                   basis=RULE.art(22, note="县政府裁决"), title="登记县政府裁决"),
        transition("escalate", (Stage.COORDINATING, Stage.AWAITING_DECISION), Stage.ESCALATED, role="reviewer",
                   payload=Escalation, effect=_with("escalation"), issues="referral_letter",
                   basis=RULE.art(22, note="争议事项不属于本级人民政府职权范围的，按照规定的程序和权限报有决定权的机关决定"),
                   title="报有决定权的机关决定"),
        transition("record_competent_decision", Stage.ESCALATED, Stage.DECIDED, role=("reviewer", "system"),
                   payload=Decision, effect=note_competent_decision,
                   basis=RULE.art(22, note="有决定权的机关决定"), title="登记有决定权的机关的决定"),
        transition("suspend", Stage.COORDINATING, Stage.SUSPENDED, role="reviewer", payload=Reason,
                   effect=_with("suspension"), basis=RULE.art(22, note=SILENT_ON_SUSPENSION),
                   title="中止协调（等待第三方意见）"),
        transition("resume", Stage.SUSPENDED, Stage.COORDINATING, role="reviewer", payload=Reason,
                   effect=_with("resumption"), basis=RULE.art(22, note=SILENT_ON_SUSPENSION),
                   title="中止原因消除，恢复协调"),
        transition("withdraw", (*WITHDRAWABLE, Stage.SUSPENDED), Stage.WITHDRAWN, role="clerk", payload=Reason,
                   effect=_with("withdrawal"), cancels_deadlines=True,
                   basis=RULE.art(22, note=SILENT_ON_WITHDRAWAL), title="撤回"),
    ],
    deadlines=[
        service_level("negotiation", title="自行协商办理时限", while_in=Stage.NEGOTIATING,
                      setting=_setting("negotiation")),
        service_level("acceptance", title="协调申请受理时限", while_in=Stage.APPLICATION_SUBMITTED,
                      setting=_setting("acceptance")),
        service_level("coordination", title="争议协调办理时限", while_in=Stage.COORDINATING,
                      suspended_in=Stage.SUSPENDED, setting=_setting("coordination")),
    ],
    documents=[
        document("coordination_opinion", title="行政执法争议协调意见书", issuer="justice_bureau",
                 basis=RULE.art(22, note=SILENT_ON_COORDINATION), facts=dispute_facts),
        document("decision_request", title="关于提请裁决行政执法争议的请示", issuer="justice_bureau", sent_up=True,
                 basis=RULE.art(22, note="由县司法局报请县政府裁决"), facts=dispute_facts),
        document("dispute_decision", title="关于行政执法争议的决定", issuer="county_government",
                 basis=RULE.art(22, note="由县司法局报请县政府裁决"), facts=dispute_facts),
        document("referral_letter", title="关于报请决定行政执法争议事项的函", issuer="justice_bureau",
                 basis=RULE.art(22, note="按照规定的程序和权限报有决定权的机关决定"), facts=dispute_facts),
    ],
)

PROCEDURES = [dispute_coordination]
