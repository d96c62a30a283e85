"""行政执法统计 — an agency's periodic enforcement statistics (counts per type of enforcement act).

《秀山自治县行政执法监督制度》第35条第（七）项 makes "不按规定执行行政执法统计制度" a ground for an order
to correct; the 2022 scoring standard (attachment 4, 五.1) deducts 0.01 for each report not made on
time ("行政数据汇总报表上报及时"). Neither says how often or by when: the schedule is configuration
(`service_levels/enforcement_statistics.toml`: frequency, days after the period, and why).

One case per agency and period ("gaj/2026-Q1"), opened by the bureau, usually for every enforcement
agency at once (`POST /api/v1/statistics/periods`, `xsflow statistics open`). The agency (its clerk,
or its case system as an event: no second data entry) files the counts; a report not filed by the
due date is listed overdue and marked late when it comes; the bureau accepts it or returns it for
correction. The county totals per period are one aggregate query over the accepted and filed reports
(xsflow never holds the enforcement acts themselves: they live in the agencies' case systems, so the
counts cannot be prefilled from its own records).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, post_load, validate, validates

from xsflow.definitions import TIMER, Basis, Rule, deadline, procedure, state, transition
from xsflow.payloads import Payload, text

from .leads import lead
from .settings import service_level_setting

SUPERVISION = Rule("《秀山自治县行政执法监督制度》")
STANDARD = Basis("《2022年行政执法考核标准》", "五.1", "行政数据汇总报表上报及时")
SCHEDULE_BASIS = SUPERVISION.art(35, "七", note="报送周期和期限由运营配置确定")

# Types of enforcement act: attachment 2 art. 26 (许可、处罚、强制、征收或征用、检查、确认、裁决) and
# attachment 1 art. 2 (also 行政收费), with 其他 for the rest.
ACT_TYPES = {
    "licensing": "行政许可",
    "penalty": "行政处罚",
    "coercion": "行政强制",
    "expropriation": "行政征收征用",
    "charging": "行政收费",
    "inspection": "行政检查",
    "confirmation": "行政确认",
    "adjudication": "行政裁决",
    "other": "其他行政执法行为",
}
FREQUENCIES = {"monthly": r"(\d{4})-(0[1-9]|1[0-2])", "quarterly": r"(\d{4})-Q([1-4])",
               "half_yearly": r"(\d{4})-H([12])", "yearly": r"(\d{4})"}
EXAMPLES = {"monthly": "2026-03", "quarterly": "2026-Q1", "half_yearly": "2026-H1", "yearly": "2026"}


def schedule() -> dict[str, Any]:
    found = dict(service_level_setting("enforcement_statistics", "schedule"))
    if found.get("frequency") not in FREQUENCIES or int(found.get("due_days", -1)) < 0 or not found.get("source"):
        raise ValueError("service_levels/enforcement_statistics.toml [schedule] needs frequency "
                         f"({', '.join(FREQUENCIES)}), due_days >= 0 and source")
    return found


def period_end(period: str, frequency: str) -> date:
    """The last day of `period` ("2026-Q1" → 2026-03-31); ValueError when it is not of the frequency's form."""
    match = re.fullmatch(FREQUENCIES[frequency], period)
    if match is None:
        raise ValueError(period)
    year = int(match.group(1))
    last_month = {"monthly": lambda n: n, "quarterly": lambda n: 3 * n, "half_yearly": lambda n: 6 * n,
                  "yearly": lambda n: 12}[frequency](int(match.group(2)) if match.lastindex == 2 else 12)
    first_of_next = date(year + last_month // 12, last_month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def due_date(period: str) -> date:
    s = schedule()
    return period_end(period, s["frequency"]) + timedelta(days=int(s["due_days"]))


class Stage(StrEnum):
    AWAITING_REPORT = "awaiting_report"
    OVERDUE = "overdue"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"


class StatisticsData(Payload):
    period = fields.String(required=True, metadata={"title": "统计期间"},
                           error_messages={"required": "请填写统计期间。", "null": "请填写统计期间。", "invalid": "应为文字。"})
    due_date = fields.Date(dump_only=True, metadata={"title": "报送期限"})

    @validates("period")
    def _of_the_schedule(self, value: str, **_: Any) -> None:
        frequency = schedule()["frequency"]
        try:
            period_end(value, frequency)
        except ValueError:
            raise ValidationError(f"统计期间应写作 {EXAMPLES[frequency]} 的形式（现行报送周期：{frequency}）。") from None
        if not 2000 <= int(value[:4]) <= 2098:
            raise ValidationError("统计期间的年份应在 2000 至 2098 年之间。")

    @post_load
    def _due(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "due_date": due_date(data["period"])}


def _count(title: str) -> fields.Integer:
    return fields.Integer(required=True, strict=True, metadata={"title": f"{title}（件）"},
                          validate=validate.Range(min=0, max=10_000_000, error="件数应为 0 至 10000000 之间的整数。"),
                          error_messages={"required": "必须填写（没有的填 0）。", "null": "不能为空值（没有的填 0）。",
                                          "invalid": "应为整数件数。"})


Counts = Payload.from_dict({code: _count(title) for code, title in ACT_TYPES.items()}, name="StatisticsCounts")


class Filing(Payload):
    counts = fields.Nested(Counts, required=True, metadata={"title": "各类行政执法行为件数"},
                           error_messages={"required": "请填写各类行政执法行为的件数。"})
    note = text(max_length=5000)


class Reason(Payload):
    reason = fields.String(required=True, metadata={"title": "退回理由"},
                           error_messages={"required": "请写明退回理由。", "null": "请写明退回理由。"})


def note_filing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "counts": dict(payload["counts"]), "note": payload.get("note") or "",
            "late": data.get("late", False)}


def note_lapse(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "late": True}


def note_return(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "returned": [*data.get("returned", []), payload["reason"]]}


def _not_reported(data: Mapping[str, Any], origin: Mapping[str, Any]) -> str:
    due = data.get("due_date")
    return (f"你单位未按规定报送{data.get('period', '')}行政执法统计数据"
            + (f"（报送期限为{due}）" if due else "") + "，未执行行政执法统计制度。")


SILENT_ON_REVIEW = "规则未规定审核；县司法局核对统计数据，有误的退回更正"

enforcement_statistics = procedure(
    "enforcement_statistics", version=1, title="行政执法统计报送", initial=Stage.AWAITING_REPORT,
    basis=SUPERVISION.art(35, "七"), opened_by=("reviewer", "supervisor"), data=StatisticsData,
    correlation_field="period", correlation_per_agency=True,
    states=[
        state(Stage.AWAITING_REPORT, "待报送", basis=SCHEDULE_BASIS),
        state(Stage.OVERDUE, "逾期未报送", basis=STANDARD),
        state(Stage.SUBMITTED, "已报送", basis=SUPERVISION.art(35, "七")),
        state(Stage.ACCEPTED, "已核收", basis=SUPERVISION.art(35, "七", note=SILENT_ON_REVIEW), terminal=True),
    ],
    transitions=[
        transition("submit", (Stage.AWAITING_REPORT, Stage.OVERDUE), Stage.SUBMITTED, role=("clerk", "system"),
                   payload=Filing, effect=note_filing, basis=SUPERVISION.art(35, "七"), title="报送执法统计数据"),
        transition("report_lapsed", Stage.AWAITING_REPORT, Stage.OVERDUE, role=TIMER, effect=note_lapse,
                   basis=STANDARD, title="报送期限届满未报送"),
        lead("statistics", Stage.OVERDUE, _not_reported),  # art. 35 (七): into an order (workflows/leads.py)
        transition("accept", Stage.SUBMITTED, Stage.ACCEPTED, role="reviewer",
                   basis=SUPERVISION.art(35, "七", note=SILENT_ON_REVIEW), title="核收统计数据"),
        transition("return_for_correction", Stage.SUBMITTED, Stage.AWAITING_REPORT, role="reviewer", payload=Reason,
                   effect=note_return, basis=SUPERVISION.art(35, "七", note=SILENT_ON_REVIEW), title="退回更正"),
    ],
    deadlines=[
        deadline("report", title="执法统计报送期限", while_in=Stage.AWAITING_REPORT, on_date="due_date",
                 on_lapse="report_lapsed", basis=SCHEDULE_BASIS),
    ],
)

PROCEDURES = [enforcement_statistics]
