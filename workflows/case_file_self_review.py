"""行政执法案卷自我评查 — self-review of one closed enforcement case file (art. 24).

《秀山自治县行政执法监督制度》第24条: within 30 days of the case being closed (行政执法案件办理完毕),
the handler hands the file to the legal unit (法制工作部门) of the agency's own system, which reviews it;
the self-review rate must reach 100%.

One case per closed file, keyed by the agency's own case number (案号, unique county-wide because it
carries the agency's prefix). It is registered by the agency's clerk, by the agency's case-handling
platform (opening event `close`, keyed by the case number), or by a bulk import of a spreadsheet
(adapters/case_file_import.py). The case's `occurred_at` is the closing: the 30 days count from its
local date (days rule, a last day on a rest day rolls over to the next working day).

Where the rule is silent (each choice is repeated where it is declared):
- The legal unit scores the file on the same sheet as the bureau's evaluation
  (standards/case_file_sheet_*.toml), the newest one installed when it scores: a step sees only its
  case's data, which does not hold the closing date apart from the opening's `occurred_at`.
- A self-review after the 30 days is still recorded, as late: the rate counts files reviewed, and
  lateness shows separately. The lapse lists the file as overdue until it is reviewed.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from xsflow.definitions import TIMER, Guard, Rule, deadline, procedure, state, transition
from xsflow.payloads import Payload, choice, text

from .case_file_sheet import Scoring, current_sheet

RULE = Rule("《秀山自治县行政执法监督制度》")
SELF_REVIEW_DAYS = 30  # art. 24: 行政执法案件办理完毕30日内

CASE_TYPES = {  # art. 26, in its order
    "licensing": "行政许可",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "levy": "行政征收或征用",
    "inspection": "行政检查",
    "confirmation": "行政确认",
    "adjudication": "行政裁决",
}


class Stage(StrEnum):
    AWAITING_SELF_REVIEW = "awaiting_self_review"
    SELF_REVIEW_OVERDUE = "self_review_overdue"
    SELF_REVIEWED = "self_reviewed"


class CaseFile(Payload):
    """The closed file. Its closing date is the case's `occurred_at`, not a field, so that the 30 days
    cannot be counted from one date while another is shown."""

    case_number = text(max_length=100, required=True)  # 案号, the correlation key
    case_type = choice(CASE_TYPES, what="案件类型")
    handler = text(max_length=100, required=True)  # 办案人员


def reviewed(*, late: bool):
    def effect(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
        result = current_sheet().scored(payload.get("deductions", {}))
        return {**data, "self_review": {**result, "late": late, "findings": payload.get("findings", ""),
                                        "reviewer": payload.get("reviewer", "")}}
    return effect


FITS_SHEET = Guard(lambda data, payload: not current_sheet().problems(payload.get("deductions", {})),
                   refusal="扣分不符合该案卷适用的评查评分表（项目代码不存在、超过该项分值或多于两位小数）")

SELF_REVIEW = RULE.art(24, note="案件办理完毕30日内，由本系统法制工作部门进行自我评查")

case_file_self_review = procedure(
    "case_file_self_review", version=1, title="行政执法案卷自我评查", initial=Stage.AWAITING_SELF_REVIEW,
    basis=RULE.art(24), opened_by=("clerk", "system"), data=CaseFile,
    correlation_field="case_number", opening_event="close",
    states=[
        state(Stage.AWAITING_SELF_REVIEW, "待自我评查", basis=SELF_REVIEW),
        state(Stage.SELF_REVIEW_OVERDUE, "逾期未自我评查", basis=RULE.art(24, note="案卷评查率应达到100%")),
        state(Stage.SELF_REVIEWED, "已自我评查", basis=RULE.art(24), terminal=True),
    ],
    transitions=[
        transition("self_review", Stage.AWAITING_SELF_REVIEW, Stage.SELF_REVIEWED, role=("clerk", "system"),
                   payload=Scoring, guard=FITS_SHEET, effect=reviewed(late=False), basis=SELF_REVIEW,
                   title="登记自我评查结果"),
        transition("self_review_lapsed", Stage.AWAITING_SELF_REVIEW, Stage.SELF_REVIEW_OVERDUE, role=TIMER,
                   basis=RULE.art(24, note="办理完毕30日内未自我评查"), title="逾期未自我评查"),
        # A late self-review is still recorded: the rate wants every file reviewed; lateness stays in the data.
        transition("self_review", Stage.SELF_REVIEW_OVERDUE, Stage.SELF_REVIEWED, role=("clerk", "system"),
                   payload=Scoring, guard=FITS_SHEET, effect=reviewed(late=True),
                   basis=RULE.art(24, note="逾期评查的照收，记为逾期"), title="逾期登记自我评查结果"),
    ],
    deadlines=[
        deadline("self_review", title="自我评查期限", while_in=Stage.AWAITING_SELF_REVIEW, days=SELF_REVIEW_DAYS,
                 on_lapse="self_review_lapsed", basis=SELF_REVIEW),
    ],
)

PROCEDURES = [case_file_self_review]
