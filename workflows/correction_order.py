"""责令限期改正 — an order to correct within a time limit, for every ground of art. 35.

《秀山自治县行政执法监督制度》第35条: an agency in one of the situations (一)–(八) is ordered by the
supervision office to correct within a time limit; if it refuses, the county government criticizes it
in a notice (通报批评) and recommends that the persons responsible be sanctioned. The rule says
行政处分; since the 《中华人民共和国公职人员政务处分法》 (2020) and the 《事业单位工作人员处分规定》
the sanction is called 处分 (政务处分 when the 监察机关 imposes it), and the documents use that word
(docs/decisions.md). Art. 36: individual liability follows the Chongqing regulation.

The supervisor opens an order for the agency concerned (the case's agency) with the ground, the facts
and, where it comes from another procedure, that case (`source_case`: it must exist, be visible to the
supervisor and be of the procedure and state the ground names, e.g. a filing left overdue for (五)).
The order is issued as a numbered 责令限期改正通知书 with a deadline the supervisor sets for this order:
a number of days (`period_days`, counted in days from the day after the order, a last day on a rest
day rolled to the next working day, 民法典 第二百零三条) or a last day (`due_date`, kept as given).
The agency reports its correction; the supervisor verifies it: accepted → closed; rejected → back to
correcting with a new deadline. When the deadline lapses without a report, or the supervisor finds
that the agency refuses, the criticism notice and the recommendation of 处分 are issued — once each,
since both lead into the one terminal state `refused`.

Where the rule is silent:
- The criticism notice and the recommendation are the county government's acts; the system issues
  them for the government, whose supervision office the justice bureau is (as with the supervision
  decision of case_supervision version 2), numbered in the government's series.
- A report that comes after the deadline lapsed is too late: the lapse is the refusal (art. 35 gives
  no second period); the correction is still welcome, in a new order if need be.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from xsflow.definitions import TIMER, CaseLink, Rule, deadline, procedure, state, transition
from xsflow.payloads import Payload, choice, text

from .complaint import statement
from .numbering import document

RULE = Rule("《秀山自治县行政执法监督制度》")
MAX_DAYS = 90  # the longest period an order may set, as for case_supervision's orders

# Art. 35 items (一)–(八): code → (item, text of the rule).
GROUNDS = {
    "unlawful_delegation": ("一", "违法委托行政执法的"),
    "unqualified_staff": ("二", "行政执法人员不符合法定条件的"),
    "unlawful_act": ("三", "不履行法定职责和行政行为超越、滥用法定职权或者违反法定程序的"),
    "document_procedure": ("四", "规范性文件不按法定程序制发的"),
    "filing_overdue": ("五", "规范性文件未按规定的期限和要求报备案的"),
    "qualification_materials": ("六", "不按规定的期限和要求报送行政执法主体资格有关材料的"),
    "statistics": ("七", "不按规定执行行政执法统计制度的"),
    "opinion_not_executed": ("八", "拒不执行《行政执法监督意见书》的"),
}
GROUND_TITLES = {code: f"第35条第（{item}）项：{words}" for code, (item, words) in GROUNDS.items()}

# Which cases of the existing procedures lead into an order on each ground, and in which states.
# Grounds (一) and (六) have no procedure yet: no source case. Leads (workflows/leads.py) open an order from
# the non-terminal ones; a terminal source (a review ended, a certificate cancelled) is named when opening.
SOURCES: dict[str, dict[str, tuple[str, ...] | None]] = {
    "unqualified_staff": {"certificate": ("expired", "recalled", "cancelled", "training_overdue")},
    "unlawful_act": {"case_supervision": None, "complaint": None},
    "document_procedure": {"legality_review": ("terminated", "withdrawn", "opinion_issued"),
                           "filing_review": ("awaiting_rectification", "rectification_overdue")},
    "filing_overdue": {"filing_review": ("filing_overdue",)},
    "opinion_not_executed": {"case_supervision": ("rectification_overdue", "correction_refused",
                                                  "decision_not_executed")},
    "statistics": {"enforcement_statistics": ("overdue",)},
}


class Stage(StrEnum):
    PREPARING = "preparing"
    CORRECTING = "correcting"
    CORRECTION_REPORTED = "correction_reported"
    CORRECTED = "corrected"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


# --- what the case carries and what each step brings ------------------------------------------------


class Opening(Payload):
    ground = choice({c: t for c, t in GROUND_TITLES.items()}, what="责令改正情形（第35条）")
    facts = statement("违法事实")
    source_case = fields.Integer(strict=True, error_messages={"invalid": "应为案件编号（整数）。", "null": "不能为空值。"})
    sanctioning_authority = text(max_length=200)  # 处分建议的主送机关：任免机关或监察机关

    @validates_schema
    def source_fits_ground(self, data: Mapping[str, Any], **_: Any) -> None:
        if data.get("source_case") is not None and data["ground"] not in SOURCES:
            raise ValidationError(f"{GROUND_TITLES[data['ground']]}，没有可关联的来源案件，请删除 source_case。",
                                  "source_case")


class Period(Payload):
    """A deadline set for this order: a number of days or a last day, one of the two."""

    period_days = fields.Integer(strict=True, validate=validate.Range(min=1, max=MAX_DAYS, error=f"改正期限应为 1 至 {MAX_DAYS} 日。"),
                                 error_messages={"invalid": "应为整数日数。", "null": "不能为空值。"})
    due_date = fields.Date(error_messages={"invalid": "改正期限日期格式应为 YYYY-MM-DD。", "null": "不能为空值。"})

    @validates_schema
    def one_of_the_two(self, data: Mapping[str, Any], **_: Any) -> None:
        if ("period_days" in data) == ("due_date" in data):
            raise ValidationError("请填写改正期限：日数（period_days）或截止日期（due_date），二者选一。", "period_days")


class Order(Period):
    requirements = text(max_length=20000)  # 改正要求


class Report(Payload):
    measures = statement("改正情况")


class Rejection(Period):
    reasons = statement("未改正到位的事项")


class Refusal(Payload):
    reasons = statement("拒不改正的事实")


class Withdrawal(Payload):
    reasons = statement("撤销理由")


# --- effects and document facts ---------------------------------------------------------------------


def note_rounds(key: str):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, key: int(data.get(key, 0)) + 1}
    return effect


def outcome(value: str):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        return {**data, "outcome": value}
    return effect


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _latest(facts: Mapping[str, Any], kind: str) -> dict[str, Any] | None:
    found = [d for d in facts["earlier_documents"] if d["kind"] == kind]
    return found[-1] if found else None


def order_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data, payload = facts["data"], facts["payload"]
    item, words = GROUNDS[data["ground"]]
    return {"ground_item": item, "ground_words": words.removesuffix("的"), "facts_lines": _lines(data.get("facts")),
            "requirement_lines": _lines(payload.get("requirements")),
            "rejection_lines": _lines(payload.get("reasons")), "earlier_order": _latest(facts, "rectification_order")}


def refusal_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    item, words = GROUNDS[data["ground"]]
    lapsed = facts["deadline_lapsed"]
    return {"ground_item": item, "ground_words": words.removesuffix("的"), "order": _latest(facts, "rectification_order"),
            "lapsed_on": lapsed["due_date"] if lapsed else None, "reasons_lines": _lines(facts["payload"].get("reasons")),
            "sanctioning_authority": data.get("sanctioning_authority") or "秀山土家族苗族自治县监察委员会"}


# --- the procedure ---------------------------------------------------------------------------------

ORDER = RULE.art(35, note="由行政执法监督机构责令限期改正")
REFUSAL = RULE.art(35, note="拒不改正的，由县政府通报批评，并建议对相关责任人给予处分（原文为“行政处分”）")


def sources(data: Mapping[str, Any], payload: Mapping[str, Any]) -> Mapping[str, tuple[str, ...] | None]:
    return SOURCES.get(data["ground"], {})


correction_order = procedure(
    "correction_order", version=1, title="责令限期改正", initial=Stage.PREPARING, basis=ORDER,
    opened_by="supervisor", data=Opening, correlation_field="source_case", correlation_while_open=True,
    links=(CaseLink("source_case", sources, what="来源案件"),),
    states=[
        state(Stage.PREPARING, "拟责令改正", basis=ORDER),
        state(Stage.CORRECTING, "限期改正中", basis=ORDER),
        state(Stage.CORRECTION_REPORTED, "改正情况核查中", basis=ORDER),
        state(Stage.CORRECTED, "已改正，结案", basis=ORDER, terminal=True),
        state(Stage.REFUSED, "拒不改正，已通报批评并建议处分", basis=REFUSAL, terminal=True),
        state(Stage.WITHDRAWN, "已撤销", basis=ORDER, terminal=True),
    ],
    transitions=[
        transition("issue_order", Stage.PREPARING, Stage.CORRECTING, role="supervisor", payload=Order,
                   issues="rectification_order", basis=ORDER, title="出具《责令限期改正通知书》"),
        transition("withdraw", Stage.PREPARING, Stage.WITHDRAWN, role="supervisor", payload=Withdrawal,
                   effect=outcome("withdrawn"), basis=ORDER, title="撤销（不予责令改正）"),
        transition("report_correction", Stage.CORRECTING, Stage.CORRECTION_REPORTED, role=("clerk", "system"),
                   payload=Report, effect=note_rounds("reports"), basis=ORDER, title="报告改正情况"),
        transition("accept_correction", Stage.CORRECTION_REPORTED, Stage.CORRECTED, role="supervisor",
                   effect=outcome("corrected"), basis=ORDER, title="核查通过，结案"),
        transition("reject_correction", Stage.CORRECTION_REPORTED, Stage.CORRECTING, role="supervisor",
                   payload=Rejection, effect=note_rounds("rejections"), issues="rectification_order",
                   basis=ORDER, title="核查未通过，重新限期改正"),
        transition("find_refusal", (Stage.CORRECTING, Stage.CORRECTION_REPORTED), Stage.REFUSED, role="supervisor",
                   payload=Refusal, effect=outcome("refused"), cancels_deadlines=True,
                   issues=("criticism_notice", "sanction_recommendation"), basis=REFUSAL,
                   title="认定拒不改正，通报批评并建议给予处分"),
        transition("correction_lapsed", Stage.CORRECTING, Stage.REFUSED, role=TIMER, effect=outcome("lapsed"),
                   issues=("criticism_notice", "sanction_recommendation"), basis=REFUSAL,
                   title="改正期限届满未报告改正，通报批评并建议给予处分"),
    ],
    deadlines=[
        # A number of days runs from the service of the order (送达), a last day named in it stays that day.
        deadline("correction", title="改正期限", while_in=Stage.CORRECTING, set_by="period_days",
                 set_date_by="due_date", on_lapse="correction_lapsed", from_service="rectification_order",
                 basis=RULE.art(35, note="期限由责令改正通知书确定；按日计算的，自通知送达之日起算，"
                                         "最后一日顺延依民法典第二百零三条")),
    ],
    documents=[
        # The same number series as case_supervision's orders (秀山司监改): one register of orders.
        document("rectification_order", title="责令限期改正通知书", issuer="justice_bureau", basis=ORDER, facts=order_facts),
        document("criticism_notice", title="通报批评", issuer="county_government", basis=REFUSAL, facts=refusal_facts),
        document("sanction_recommendation", title="处分建议书", issuer="county_government", basis=REFUSAL, facts=refusal_facts),
    ],
)

PROCEDURES = [correction_order]
