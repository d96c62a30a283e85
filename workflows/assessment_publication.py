"""考核结果通报（全县） — the county-wide notice of a year's assessment results.

《秀山自治县行政执法考核评议制度》第9条第（四）项: the results are published; 第10条: in January, for the
year before; an agency graded 差 is criticised in the notice, which recommends that the competent
authorities hold its leaders responsible. One case per year (correlation field `year`, county-wide),
opened and published by the assessors through `POST /api/v1/assessments/{year}/publication`. However
`publish` is fired, the ranking comes only from the stored results of the year's last computation
(workflows/assessment_record.supply_ranking; a payload carrying it is refused naming the field, and
results older than the latest correction or finding are refused until recomputed): every assessed
agency with its daily, annual and total score and grade, highest total first. The notice is numbered
in the office's series (`秀山委法办`, the prefix of the per-agency 考核结果通报, so both share one
sequence per year). Once published, the year's results are read-only (assessment_record refuses
computing, corrections and findings for it).

Where the rules are silent:
- The case belongs to the justice bureau (`sfj`), where the office of the county committee for
  law-based governance (县委依法治县办) sits; the notice is signed by the office.
- Equal totals share a rank (1, 2, 2, 4).
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from datetime import date

from marshmallow import ValidationError, fields, post_load, pre_load

from xsflow.definitions import Deadline, procedure, state, transition
from xsflow.payloads import Payload, text, year as year_field

from .assessment import AFTER_THE_YEAR, ASSESSMENT, FIRST_YEAR, ISSUER, LAST_YEAR
from .numbering import document

OFFICE_AGENCY = "sfj"  # 县司法局, where 县委依法治县办 sits


class Stage(StrEnum):
    PREPARING = "preparing"
    PUBLISHED = "published"


class PublicationData(Payload):
    year = year_field("考核年度", first=FIRST_YEAR, last=LAST_YEAR, since=f"考核标准自{FIRST_YEAR}年起施行")
    publish_by = fields.Date(dump_only=True, metadata={"title": "考核结果公布期限"})

    @post_load
    def _publish_by(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "publish_by": date(data["year"] + 1, 1, 31)}


# 第10条 "每年一月份": 31 January after the year, a service level (listed overdue, still published), as
# for the per-agency assessment (workflows/assessment.py PUBLICATION).
PUBLICATION = Deadline("publication", "公布考核结果期限", frozenset({"preparing"}),
                       ASSESSMENT.art(10, note="每年一月份公布上年度考核结果，即次年1月31日24时前；逾期的列为逾期，仍应公布"),
                       on_date="publish_by", service_level=True)


SUPPLIED = {"results": "考核结果", "computed_at": "考核结果计算时间", "standard": "考核标准",
            "scale_source": "百分制折算方法及理由"}


class Publication(Payload):
    """The assessors' `review` only: the ranking, when it was computed and the standard are added from
    the stored results (workflows/assessment_record.supply_ranking), never taken from the request."""

    review = text(max_length=500, required=True, min_length=1, metadata={"title": "执法协调小组评审情况（会议日期、纪要或文号）"})

    @pre_load
    def _no_hand_made_ranking(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            given = {k: [f"{t}由系统依据已计算并保存的考核结果生成，不能在请求中提供；如结果有误，请更正后重新计算。"]
                     for k, t in SUPPLIED.items() if k in data}
            if given:
                raise ValidationError(given)
        return data


def note_published(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, **{k: payload[k] for k in ("review", "results", "computed_at", "standard")},
            "scale_source": payload.get("scale_source", "")}


POOR = "差"


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    poor = [r for r in data["results"] if r["grade"] == POOR]
    return {"year": data["year"], "results": data["results"], "poor": poor, "issuer": ISSUER,
            "review": data["review"], "standard": data["standard"], "scale_source": data.get("scale_source", "")}


assessment_publication = procedure(
    "assessment_publication", version=1, title="年度行政执法考核结果公布（全县）", initial=Stage.PREPARING,
    basis=ASSESSMENT.art(9, "四"), opened_by="supervisor", data=PublicationData, correlation_field="year",
    states=[
        state(Stage.PREPARING, "待公布", basis=ASSESSMENT.art(9, "三")),
        state(Stage.PUBLISHED, "已公布", basis=ASSESSMENT.art(10), terminal=True),
    ],
    transitions=[
        transition("publish", Stage.PREPARING, Stage.PUBLISHED, role="supervisor", payload=Publication,
                   effect=note_published, issues="county_assessment_notice", not_before=AFTER_THE_YEAR,
                   basis=ASSESSMENT.art(10, note="每年一月份公布上年度考核结果；被评为差的，给予通报批评，并建议有关部门追究领导责任"),
                   title="公布全县考核结果"),
    ],
    deadlines=[PUBLICATION],
    documents=[
        document("county_assessment_notice", title="考核结果通报", issuer="rule_of_law_committee_office", basis=ASSESSMENT.art(10),
                 facts=notice_facts),
    ],
)

PROCEDURES = [assessment_publication]
