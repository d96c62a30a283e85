"""年度执法工作报告 (附件1 第六条) end to end over HTTP on SQLite and PostgreSQL.

The server reads the real clock, so every `occurred_at` lies in the past and the 31 December date
lapses only by `xsflow tick --now`. By hand: the 2025 report is due on Wednesday 31 December 2025 and
lapses at 2026-01-01T00:00:00+08:00 (2025-12-31T16:00:00Z); the 2023 report is due on Sunday
31 December 2023 and is not moved to Tuesday 2 January 2024 (1 January is a holiday): a named date.
"""
from __future__ import annotations

from typing import Any

import pytest

from .conftest import Server, fire, get_case, make_tokens

pytestmark = pytest.mark.usefixtures("bundled_settings")  # the scheduler opens the reports as bundled

AR = "annual_report"
SEALED = {"sealed": True, "report_title": "2025年度行政执法工作报告"}


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, supervisor=("supervisor", None), reviewer=("reviewer", "sfj"),
                       police=("clerk", "gaj"), transport=("clerk", "jtj"), township=("clerk", "zhjd-zfdd"))


def open_year(server: Server, token: str, year: int, occurred_at: str, *, expect: int = 200) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/annual-reports", token, {"year": year, "occurred_at": occurred_at})
    assert r.status == expect, r.body
    return r.body


def case_of(opened: dict[str, Any], agency: str) -> int:
    return next(c["case_id"] for c in opened["opened"] + opened["existing"] if c["agency"] == agency)


def test_reports_opened_at_once_on_time_at_2359_and_late_on_1_january(server: Server) -> None:
    t = people(server)
    listing = server.call("GET", "/api/v1/agencies?limit=200", t["supervisor"]).body["items"]
    reporters = sorted(a["code"] for a in listing if a["kind"] in ("enforcement_agency", "township_team"))
    assert len(reporters) == 26 + 27  # art. 3: 30 departments less 组织部、编办、政府办、司法局; 27 teams

    # Only the supervision office opens them; a clerk is refused and nothing is opened.
    assert server.call("POST", "/api/v1/annual-reports", t["police"], {"year": 2025}).status == 403
    first = open_year(server, t["supervisor"], 2025, "2025-12-01T09:00:00+08:00")
    assert sorted(c["agency"] for c in first["opened"]) == reporters and first["existing"] == []
    assert "sfj" not in reporters and "zzb" not in reporters  # the bureau receives; a party department does not enforce
    # One action, repeated: nothing opened twice.
    again = open_year(server, t["supervisor"], 2025, "2025-12-02T09:00:00+08:00")
    assert again["opened"] == [] and sorted(c["agency"] for c in again["existing"]) == reporters

    police, transport = case_of(first, "gaj"), case_of(first, "jtj")
    case = get_case(server, t["police"], police)
    assert case["state"] == "awaiting_report" and case["data"] == {"year": 2025, "due_on": "2025-12-31"}
    [d] = case["deadlines"]
    assert (d["due_date"], d["lapses_at"], d["period"]["kind"]) == ("2025-12-31", "2025-12-31T16:00:00Z", "fixed_date")
    # Another agency's clerk does not see it.
    assert server.call("GET", f"/api/v1/cases/{police}", t["transport"]).status == 403

    # The seal is required (art. 6): refused, nothing changed.
    r = server.call("POST", f"/api/v1/cases/{police}/events", t["police"],
                    {"trigger": "submit", "payload": {**SEALED, "sealed": False},
                     "occurred_at": "2025-12-31T23:59:00+08:00"})
    assert r.status == 422 and "印章" in r.body["error"]["fields"]["sealed"][0], r.body
    # 31 December 23:59 Beijing time: on time.
    done = fire(server, t["police"], police, "submit", SEALED, "2025-12-31T23:59:00+08:00")
    assert done["state"] == "submitted" and done["data"]["late"] is False
    assert done["deadlines"][0]["status"] == "met"

    # 1 January: every report still missing is overdue, for the bureau to see.
    server.tick("2026-01-01T00:00:30+08:00")
    overdue = server.call("GET", f"/api/v1/overdue?procedure={AR}&limit=200", t["supervisor"]).body["items"]
    late_agencies = {i["agency"] for i in overdue}
    assert late_agencies == set(reporters) - {"gaj"}
    assert {i["state"] for i in overdue} == {"report_overdue"} and {i["due_date"] for i in overdue} == {"2025-12-31"}
    # A clerk sees only its own agency's overdue report.
    assert [i["agency"] for i in server.call("GET", f"/api/v1/overdue?procedure={AR}", t["transport"]).body["items"]] == ["jtj"]

    # Submitted on 1 January: received, recorded late, off the overdue list.
    late = fire(server, t["transport"], transport, "submit",
                {**SEALED, "report_title": "县交通局2025年度行政执法工作报告"}, "2026-01-01T09:00:00+08:00")
    assert late["state"] == "submitted" and late["data"]["late"] is True
    assert late["deadlines"][0]["status"] == "lapsed"
    history = server.call("GET", f"/api/v1/cases/{transport}/history", t["supervisor"]).body["items"]
    assert [h["trigger"] for h in history] == ["open", "report_lapsed", "submit"]
    still = {i["agency"] for i in server.call("GET", f"/api/v1/overdue?procedure={AR}&limit=200",
                                              t["supervisor"]).body["items"]}
    assert still == set(reporters) - {"gaj", "jtj"}

    # The bureau takes an agency off the list only with reasons; an agency cannot.
    township = case_of(first, "zhjd-zfdd")
    fire(server, t["township"], township, "not_required", {"reasons": "x"}, expect=403)
    closed = fire(server, t["supervisor"], township, "not_required", {"reasons": "该执法大队已于2025年撤并，无执法职能。"})
    assert closed["state"] == "not_required"


def test_31_december_on_a_sunday_is_not_moved(server: Server) -> None:
    t = people(server)
    opened = open_year(server, t["supervisor"], 2023, "2023-12-01T09:00:00+08:00")
    case = get_case(server, t["police"], case_of(opened, "gaj"))
    [d] = case["deadlines"]
    # Sunday 31 December 2023 stays the last day (not Tuesday 2 January 2024).
    assert (d["due_date"], d["lapses_at"]) == ("2023-12-31", "2023-12-31T16:00:00Z")
    assert "逢休息日不顺延" in d["basis"]
    fire(server, t["police"], case["id"], "submit", SEALED, "2024-01-02T09:00:00+08:00", expect=409)
    server.tick("2024-01-01T00:00:30+08:00")
    assert fire(server, t["police"], case["id"], "submit", SEALED, "2024-01-02T09:00:00+08:00")["data"]["late"] is True


def test_years_outside_the_rule_are_refused(server: Server) -> None:
    t = people(server)
    r = server.call("POST", "/api/v1/annual-reports", t["supervisor"], {"year": 2021})
    assert r.status == 422 and "2022" in str(r.body["error"]), r.body
    assert server.call("GET", f"/api/v1/cases?procedure={AR}", t["supervisor"]).body["items"] == []


def test_the_scheduler_opens_the_years_reports_once_on_the_configured_day(server: Server) -> None:
    """`[opening] month_day = "12-01"` (service_levels/annual_report.toml): the sweep of 1 December opens every
    report, later sweeps open nothing; 23:59 on 31 December is on time, 1 January late."""
    t = people(server)
    assert "年度执法工作报告" not in server.tick("2025-11-30T23:59:00+08:00").stdout
    assert server.call("GET", f"/api/v1/cases?procedure={AR}", t["supervisor"]).body["items"] == []
    out = server.tick("2025-12-01T00:00:30+08:00").stdout
    assert "已按配置日期统一建立2025年度执法工作报告案件 53 件（此前已建立 0 件）" in out, out
    # Another process (a restart, a second worker) finds the run recorded and opens nothing.
    assert "年度执法工作报告" not in server.tick("2025-12-02T09:00:00+08:00").stdout
    # The bureau's own action afterwards finds every case there.
    again = open_year(server, t["supervisor"], 2025, "2025-12-03T09:00:00+08:00")
    assert again["opened"] == [] and len(again["existing"]) == 53
    police, transport = case_of(again, "gaj"), case_of(again, "jtj")
    history = server.call("GET", f"/api/v1/cases/{police}/history", t["supervisor"]).body["items"]
    assert history[0]["occurred_at"] == "2025-11-30T16:00:30Z" and "定时任务" in history[0]["actor"]

    assert fire(server, t["police"], police, "submit", SEALED, "2025-12-31T23:59:00+08:00")["data"]["late"] is False
    server.tick("2026-01-01T00:00:30+08:00")
    assert get_case(server, t["transport"], transport)["state"] == "report_overdue"
    assert fire(server, t["transport"], transport, "submit", SEALED, "2026-01-01T08:30:00+08:00")["data"]["late"] is True
    # January 2026 is before the 2026 opening day: nothing is opened for 2026 yet.
    assert "年度执法工作报告" not in server.tick("2026-01-02T09:00:00+08:00").stdout


def test_a_server_down_on_1_december_opens_the_reports_at_its_first_sweep_in_december(server: Server) -> None:
    """`[opening] catch_up_days = 31`: no sweep ran on 1 December 2025; the first one, on 9 December, opens
    the year's reports (dated that day, due 31 December), says it caught up, and none after it again."""
    t = people(server)
    out = server.tick("2025-12-09T10:00:00+08:00").stdout
    assert "已按配置日期统一建立2025年度执法工作报告案件 53 件（此前已建立 0 件；12月1日未运行，12月9日补建）" in out, out
    listed = server.call("GET", f"/api/v1/cases?procedure={AR}&limit=100", t["supervisor"]).body["items"]
    assert len(listed) == 53 and {c["deadlines"][0]["due_date"] for c in listed} == {"2025-12-31"}
    police = next(c["id"] for c in listed if c["agency"] == "gaj")
    history = server.call("GET", f"/api/v1/cases/{police}/history", t["police"]).body["items"]
    assert history[0]["occurred_at"] == "2025-12-09T02:00:00Z" and "定时任务" in history[0]["actor"]
    assert "年度执法工作报告" not in server.tick("2025-12-10T09:00:00+08:00").stdout
    assert server.call("GET", f"/api/v1/cases?procedure={AR}&limit=1", t["supervisor"]).body["total"] == 53


def test_the_explanation_of_sunday_31_december_2023_says_it_is_not_moved() -> None:
    """What the case page shows under the deadline (xsflow/calendar/explain.py) for a named date on a Sunday."""
    from datetime import date

    from xsflow.calendar import OfficialCalendar, bundled_notices

    calendar = OfficialCalendar(bundled_notices())
    text_ = calendar.explain(calendar.fixed_date(date(2023, 12, 31))).text()
    assert "2023年12月31日（星期日）" in text_ and "不因休息日顺延" in text_, text_
    assert "2023年12月31日二十四时（北京时间）届满" in text_
