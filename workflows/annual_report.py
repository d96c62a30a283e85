"""年度执法工作报告 — each enforcement agency's sealed annual report to the justice bureau.

附件1《秀山自治县行政执法联席会议制度》第六条: "各行政执法机关每年度要形成本单位年度执法工作报告，加盖
本单位印章，在每年12月31日之前报送县司法局。"

One case per agency and year: the key is "<agency code>/<year>" (e.g. "gaj/2025"), as for the
assessment. The bureau's supervision office opens the year's cases for every agency that must
report in one action (`open_missing`: `POST /api/v1/annual-reports` or `xsflow annual-reports open`),
which opens only the missing ones, so running it twice changes nothing. Which agency kinds must
report is configuration (`service_levels/annual_report.toml`, with its reason).

Where the rule is silent (docs/decisions.md says why):
- "12月31日之前" is a date deadline that includes 31 December: a report submitted up to 24:00 of
  31 December, Beijing time, is on time (the lapse instant is 1 January 00:00 +08:00).
- The rule names a date, not a period: 民法典 第二百零三条 rolls the last day of a *period* past a
  rest day, not a named date, and this rule says nothing of moving it. 31 December stays the last
  day when it is a Saturday or Sunday (2022, 2023, 2028).
- From 1 January the case is `report_overdue` (on the overdue list) until the report comes; a late
  report is still received and recorded as late.
- The rule sets no consequence beyond that; the assessment counts it (《2022年行政执法考核标准》五.1
  data reports), entered by the assessor.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from marshmallow import fields, post_load, validate
from sqlalchemy import select

from xsflow import scheduled
from xsflow.access import Actor
from xsflow.calendar import local_date
from xsflow.definitions import TIMER, Rule, deadline, procedure, state, transition
from xsflow.errors import Forbidden, InvalidPayload
from xsflow.payloads import Payload, text, year as year_field
from xsflow.store.schema import agencies, cases

from .settings import service_level_setting

RULE = Rule("附件1《秀山自治县行政执法联席会议制度》")
FIRST_YEAR = 2022  # the rule was adopted on 20 April 2022
LAST_YEAR = 2098  # the bundled calendar ends in 2099


class Stage(StrEnum):
    AWAITING_REPORT = "awaiting_report"
    REPORT_OVERDUE = "report_overdue"
    SUBMITTED = "submitted"
    NOT_REQUIRED = "not_required"


class ReportYear(Payload):
    year = year_field("报告年度", first=FIRST_YEAR, last=LAST_YEAR, since=f"联席会议制度自{FIRST_YEAR}年起施行")
    due_on = fields.Date(dump_only=True, metadata={"title": "报送期限"})

    @post_load
    def _due_on(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "due_on": date(data["year"], 12, 31)}


class Report(Payload):
    sealed = fields.Boolean(required=True, metadata={"title": "报告已加盖本单位印章"},
                            validate=validate.Equal(True, error="年度执法工作报告应当加盖本单位印章（附件1第六条）后报送。"),
                            error_messages={"required": "请确认报告已加盖本单位印章。", "null": "不能为空值。",
                                            "invalid": "应为 true 或 false。"})
    report_title = text(max_length=200, required=True)  # e.g. 县公安局2025年度行政执法工作报告
    document_number = text(max_length=100)  # the agency's own number, when it numbers the report
    summary = text(max_length=20000)


class NotRequired(Payload):
    reasons = text(max_length=2000, required=True)


def submitted_on_time(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "report": dict(payload), "late": False}


def submitted_late(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "report": dict(payload), "late": True}


DUTY = RULE.art("六", note="各行政执法机关每年度形成本单位年度执法工作报告，加盖本单位印章，在每年12月31日之前报送县司法局")

annual_report = procedure(
    "annual_report", version=1, title="年度执法工作报告", initial=Stage.AWAITING_REPORT,
    basis=DUTY, opened_by="supervisor", data=ReportYear,
    correlation_field="year", correlation_per_agency=True,
    states=[
        state(Stage.AWAITING_REPORT, "待报送", basis=DUTY),
        state(Stage.REPORT_OVERDUE, "逾期未报送", basis=RULE.art("六", note="12月31日24时前未报送")),
        state(Stage.SUBMITTED, "已报送", basis=DUTY, terminal=True),
        state(Stage.NOT_REQUIRED, "无需报送", basis=RULE.art("六", note="不属于应当报送的行政执法机关"), terminal=True),
    ],
    transitions=[
        transition("submit", Stage.AWAITING_REPORT, Stage.SUBMITTED, role=("clerk", "system"), payload=Report,
                   effect=submitted_on_time, basis=DUTY, title="报送年度执法工作报告"),
        transition("report_lapsed", Stage.AWAITING_REPORT, Stage.REPORT_OVERDUE, role=TIMER,
                   basis=RULE.art("六", note="12月31日24时届满未报送"), title="逾期未报送"),
        # A late report is still received: the bureau wants the report more than the case closed;
        # the lateness stays in the data and the history.
        transition("submit", Stage.REPORT_OVERDUE, Stage.SUBMITTED, role=("clerk", "system"), payload=Report,
                   effect=submitted_late, basis=RULE.art("六", note="逾期报送的，记为逾期"),
                   title="逾期补报年度执法工作报告"),
        # A case opened for an agency that has no enforcement duty that year (abolished, merged): closed
        # with reasons by the bureau only, so an agency cannot take itself off the overdue list.
        transition("not_required", (Stage.AWAITING_REPORT, Stage.REPORT_OVERDUE), Stage.NOT_REQUIRED,
                   role="supervisor", payload=NotRequired, cancels_deadlines=True,
                   basis=RULE.art("六", note="不属于应当报送的行政执法机关"), title="确认无需报送"),
    ],
    deadlines=[
        # A date, not a period: no roll-over past a weekend (docs/decisions.md).
        deadline("report", title="年度执法工作报告报送期限", while_in=Stage.AWAITING_REPORT, on_date="due_on",
                 on_lapse="report_lapsed",
                 basis=RULE.art("六", note="每年12月31日之前报送，即当日24时前；指定日期，逢休息日不顺延")),
    ],
)

PROCEDURES = [annual_report]


# --- opening the year's cases for every agency that must report --------------------------------


def reporter_kinds() -> tuple[str, ...]:
    return tuple(service_level_setting("annual_report", "reporters")["kinds"])


def open_missing(system: Any, actor: Actor, year: int, occurred_at: datetime | None = None) -> dict[str, Any]:
    """Opens the year's case of every reporting agency that has none, in one transaction.

    Agencies that already have their case for the year are left as they are, so the action can be
    repeated; a concurrent run that opened one first makes this one fail whole (422) and change
    nothing, and running it again opens the rest."""
    engine = system.engine
    now = engine.clock.now()
    occurred = engine.occurred(occurred_at, now)
    with engine.db.write() as conn:
        return _open_missing_in(engine, conn, actor, year, occurred, now)


def _open_missing_in(engine: Any, conn: Any, actor: Actor, year: int, occurred: datetime,
                     now: datetime) -> dict[str, Any]:
    title_of = "{name}{year}年度执法工作报告"
    proc = engine.registry.current("annual_report", local_date(occurred))
    if actor.role not in proc.opened_by:
        raise Forbidden("只有行政执法监督人员可以为各行政执法机关统一建立年度执法工作报告案件。")
    problems = ReportYear().validate({"year": year})
    if problems:
        raise InvalidPayload("报告年度有误。", problems)
    reporters = conn.execute(select(agencies.c.code, agencies.c.name)
                             .where(agencies.c.kind.in_(reporter_kinds())).order_by(agencies.c.code)).all()
    keys = {proc.correlation_key(code, year): code for code, _ in reporters}
    taken = dict(conn.execute(select(cases.c.correlation_key, cases.c.id)
                              .where(cases.c.procedure == proc.name, cases.c.correlation_key.in_(keys))).all())
    opened = []
    for code, name in reporters:
        if proc.correlation_key(code, year) in taken:
            continue
        view = engine.open_in(conn, actor, procedure=proc.name, agency=code,
                              title=title_of.format(name=name, year=year), data={"year": year},
                              occurred=occurred, now=now)
        opened.append({"agency": code, "case_id": view["id"]})
    existing = [{"agency": keys[k], "case_id": i} for k, i in sorted(taken.items())]
    return {"year": year, "opened": opened, "existing": existing}


# --- ... or by the scheduler on the operator's date ----------------------------------------------

SCHEDULE_JOB = "annual_report_opening"
# The bureau's standing instruction, carried out by the worker: it opens as the supervision office would.
SCHEDULER = Actor("定时任务（按配置日期统一建立年度执法工作报告案件）", "supervisor")


def opening_date(year: int) -> date | None:
    """The day the scheduler opens the year's reports (`[opening]` of service_levels/annual_report.toml),
    None when the operator turned it off."""
    setting = service_level_setting("annual_report", "opening")
    if not setting.get("enabled", True):
        return None
    text_ = str(setting.get("month_day", ""))
    try:
        month, day = (int(part) for part in text_.split("-"))
        return date(year, month, day)
    except ValueError:
        raise ValueError(f"service_levels/annual_report.toml [opening] month_day 应为“月-日”，如“12-01”，现为“{text_}”") from None


def catch_up_days() -> int:
    """How many days from the opening day (itself included) a sweep still opens the year's reports when
    none ran on the day (the server was down): `[opening] catch_up_days`, default 31."""
    value = service_level_setting("annual_report", "opening").get("catch_up_days", 31)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"service_levels/annual_report.toml [opening] catch_up_days 应为不小于1的整数（日数），现为“{value}”")
    return value


def opening_due(today: date) -> date | None:
    """The opening day whose catch-up window holds `today` (this year's, or last year's when the window
    reaches into January), None outside every window or when the operator turned the opening off."""
    window = timedelta(days=catch_up_days())
    for year in (today.year, today.year - 1):
        on = opening_date(year)
        if on is not None and on <= today < on + window:
            return on
    return None


def open_on_schedule(system: Any, now: datetime) -> dict[str, Any] | None:
    """On the configured day (Beijing time), or at the first sweep within the catch-up window after it
    when the server was down that day, opens that year's reports once: the run is recorded in
    `scheduled_runs` (job, year) in the same transaction (xsflow/scheduled.py), so two workers or a
    restart do not run it twice. None outside the window, or when it already ran."""
    on = opening_due(local_date(now))
    if on is None:
        return None  # not even a query
    period = str(on.year)
    engine = system.engine
    try:
        with engine.db.write() as conn:
            scheduled.claim(conn, SCHEDULE_JOB, period, now)
            result = _open_missing_in(engine, conn, SCHEDULER, on.year, now, engine.clock.now())
            scheduled.record(conn, SCHEDULE_JOB, period, {"opened": len(result["opened"]),
                                                          "existing": len(result["existing"])})
    except scheduled.AlreadyRan:
        return None
    return result
