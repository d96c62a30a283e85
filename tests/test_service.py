"""Service of documents (送达) and the history of periods, over HTTP against a real `xsflow serve` on
SQLite and PostgreSQL, with time moved by `xsflow tick --now`; the case page in-process.

These run the default configuration: a period that runs from a notice waits until the notice's
service is recorded (the other tests deem documents served at issue, XSFLOW_SERVED_AT_ISSUE=*).

Dates across National Day 2025 (1–8 October off; Sunday 28 September and Saturday 11 October worked):
- a supplement notice issued Friday 26 September and received by post Tuesday 30 September: 5 working
  days from the receipt end Tuesday 14 October (from the issue they would have ended Friday 10 October);
- a coordination accepted Friday 12 September runs 30 days (to Monday 13 October, the Sunday rolled
  over); suspended Monday 22 September after 10 days, resumed Monday 20 October, its 20 remaining days
  end Sunday 9 November, rolled to Monday 10 November;
- a transfer approved Tuesday 30 September 15:00 must be made within 24 hours: by Wednesday
  1 October 15:00, a holiday, which neither stops nor extends a period counted in hours.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import lxml.html as lhtml
import pytest

from adapters.compose import open_system
from adapters.http import create_app
from xsflow.access import Actor
from xsflow.calendar import SHANGHAI
from xsflow.users import create_user

from .conftest import Server, at, fire, get_case, make_tokens, start_server
from .test_dispute_coordination import people as dispute_people, through_to_coordination

LR = "legality_review"
UNIT, BUREAU = "scjgj", "sfj"


@pytest.fixture
def faithful(db_url: str, tmp_path: Path, monkeypatch) -> Server:
    """`xsflow serve` with the default: periods from a notice wait for its recorded service."""
    monkeypatch.setenv("XSFLOW_SERVED_AT_ISSUE", "")
    s = start_server(db_url, tmp_path)
    yield s
    s.stop()


def fired(server: Server, now: str) -> int:
    out = server.tick(now).stdout
    m = re.search(r"^fired (\d+)$", out, re.MULTILINE)
    assert m, out
    return int(m.group(1))


def periods(case: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [d for d in case["deadlines"] if d["name"] == name]


def serve(server: Server, token: str, document_id: int, body: dict[str, Any], expect: int = 201) -> dict[str, Any]:
    r = server.call("POST", f"/api/v1/documents/{document_id}/service", token, body)
    assert r.status == expect, r.body
    return r.body


def todo(server: Server, token: str) -> list[dict[str, Any]]:
    r = server.call("GET", "/api/v1/todo?limit=200", token)
    assert r.status == 200, r.body
    return r.body["items"]


# --- a supplement notice served by post ------------------------------------------------------------


def test_a_notice_served_by_post_on_friday_starts_its_period_on_the_day_of_receipt(faithful: Server):
    server = faithful
    t = make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU),
                    supervisor=("supervisor", None))
    r = server.call("POST", "/api/v1/cases", t["clerk"], {"procedure": LR, "agency": UNIT, "title": "关于规范农贸市场管理的通知（送审稿）",
                                                          "occurred_at": "2025-09-22T09:00:00+08:00"})
    cid = r.body["id"]
    case = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["legal_basis"]}, "2025-09-26T16:00:00+08:00")
    [notice] = case["documents"]
    [period] = periods(case, "supplement")
    # Waiting for service: no last day yet, shown as such, and not overdue however long it waits.
    assert (period["status"], period["due_date"], period["lapses_at"], period["awaits_service"]) == (
        "awaiting_service", None, None, "supplement_notice")
    assert case["awaiting_service"] is True and case["overdue"] is False
    assert period["reason"].startswith("起算（待《补正通知》送达后自送达之日起算）：一次性告知补正材料")
    assert fired(server, "2025-12-01T00:00:00+08:00") == 0
    case = get_case(server, t["supervisor"], cid)
    assert (case["state"], case["overdue"], case["awaiting_service"]) == ("awaiting_supplement", False, True)
    assert server.call("GET", "/api/v1/overdue", t["supervisor"]).body["items"] == []
    # The issuer's to-do list shows it, waiting for service; the notice says 自送达之日起 without a date.
    [item] = [i for i in todo(server, t["reviewer"]) if i["case_id"] == cid]
    assert item["awaiting_service"] is True and item["triggers"] == []
    record = server.call("GET", f"/api/v1/documents/{notice['id']}", t["reviewer"]).body
    assert any("请自本通知送达之日起5个工作日内补齐上述材料" in p for p in record["facts"]["wording"]["paragraphs"])

    # Refused, changing nothing: a clerk; a day before the issue; a day after today; an unknown mode.
    refused = serve(server, t["clerk"], notice["id"], {"mode": "post", "served_on": "2025-09-30"}, 403)
    assert refused["error"]["code"] == "forbidden"
    before = serve(server, t["reviewer"], notice["id"], {"mode": "post", "served_on": "2025-09-25"}, 422)
    assert before["error"]["fields"]["served_on"] == ["2025年9月25日早于文书出具之日2025年9月26日。"]
    tomorrow = (datetime.now(SHANGHAI) + timedelta(days=1)).date()
    future = serve(server, t["reviewer"], notice["id"], {"mode": "post", "served_on": tomorrow.isoformat()}, 422)
    assert "不能登记尚未发生的送达" in future["error"]["fields"]["served_on"][0]
    unknown = serve(server, t["reviewer"], notice["id"], {"mode": "pigeon", "served_on": "2025-09-30"}, 422)
    assert "邮寄送达" in unknown["error"]["fields"]["mode"][0]
    assert get_case(server, t["reviewer"], cid)["version"] == case["version"]

    # Received by post on Tuesday 30 September (the date on the return receipt): 5 working days from then.
    answer = serve(server, t["reviewer"], notice["id"], {"mode": "post", "served_on": "2025-09-30",
                                                         "receipt": "XA123456789CN", "recipient": "县市场监管局收发室"})
    assert (answer["mode_title"], answer["served_on"], answer["deadlines_started"]) == ("邮寄送达", "2025-09-30", ["supplement"])
    case = answer["case"]
    [period] = periods(case, "supplement")
    assert period["status"] == "pending" and case["awaiting_service"] is False
    assert period["period"] == {"kind": "working_days", "length": 5, "start_date": "2025-09-30"}
    assert (period["due_date"], period["lapses_at"]) == ("2025-10-14", "2025-10-14T16:00:00Z")
    assert "邮寄送达，自2025年9月30日起算" in period["reason"]
    shown = get_case(server, t["clerk"], cid)
    assert shown["services"][0]["mode"] == "post" and shown["services"][0]["receipt"] == "XA123456789CN"
    steps = server.call("GET", f"/api/v1/cases/{cid}/history", t["reviewer"]).body["items"]
    assert [s["trigger"] for s in steps] == ["open", "request_supplement", "record_service"]
    assert steps[-1]["payload"]["served_on"] == "2025-09-30"

    # Once per document.
    again = serve(server, t["reviewer"], notice["id"], {"mode": "direct", "served_on": "2025-10-02"}, 409)
    assert again["error"]["message"].startswith(f"{notice['number']}已于2025年9月30日以邮寄送达登记送达")

    # Counted from the receipt, not from the Friday of issue: nothing lapses on 10 October.
    assert fired(server, "2025-10-14T23:59:00+08:00") == 0
    assert fired(server, "2025-10-15T00:00:01+08:00") == 1
    case = get_case(server, t["reviewer"], cid)
    assert case["state"] == "terminated"
    [period] = periods(case, "supplement")
    assert (period["status"], period["ended_at"]) == ("lapsed", "2025-10-14T16:00:00Z")
    assert period["end_reason"].startswith("届满：逾期未补正，终止审核")


def test_a_filing_correction_period_runs_from_the_service_of_the_opinion_then_of_the_notice(faithful: Server):
    """Filing review (art. 5): the correction period the examination opinion sets waits for its service and runs
    from the day of receipt; after a rejected feedback the new period waits for the correction notice's service."""
    from .test_filing_review import ALL_MATERIALS, docx_lines

    server = faithful
    t = make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU))
    r = server.call("POST", "/api/v1/cases", t["clerk"], {
        "procedure": "filing_review", "agency": UNIT, "title": "关于规范集贸市场摊位管理的通知",
        "data": {"document_number": "秀山市监发〔2025〕21号"}, "occurred_at": "2025-10-20T09:00:00+08:00"})
    assert r.status == 201, r.body
    cid = r.body["id"]
    fire(server, t["clerk"], cid, "file", {"materials": ALL_MATERIALS, "report_number": "秀山市监文〔2025〕30号"},
         "2025-10-27T10:00:00+08:00")
    fire(server, t["reviewer"], cid, "register", None, "2025-10-28T10:00:00+08:00")
    case = fire(server, t["reviewer"], cid, "require_correction",
                {"grounds": ["content"], "problems": "第三条无依据设定收费。", "rectification_days": 30},
                "2025-11-07T16:00:00+08:00")  # a Friday
    [period] = periods(case, "rectification")
    assert (period["status"], period["due_date"], period["awaits_service"]) == (
        "awaiting_service", None, "filing_examination_opinion")
    [opinion] = [d for d in case["documents"] if d["kind"] == "filing_examination_opinion"]
    body = "\n".join(docx_lines(server, t["clerk"], opinion["id"]))
    assert "自本意见书送达之日起30日内将纠正情况书面反馈本局" in body and "24时前" not in body
    assert fired(server, "2026-03-01T00:00:00+08:00") == 0  # waiting for service, nothing lapses

    answer = serve(server, t["reviewer"], opinion["id"], {"mode": "post", "served_on": "2025-11-11"})
    assert answer["deadlines_started"] == ["rectification"]
    [period] = periods(answer["case"], "rectification")
    assert period["period"] == {"kind": "days", "length": 30, "start_date": "2025-11-11"}
    assert period["due_date"] == "2025-12-11"  # 30 days from the receipt, not from the Friday of issue

    assert fired(server, "2025-12-11T23:59:00+08:00") == 0
    assert fired(server, "2025-12-12T00:00:01+08:00") == 1  # no feedback by 11 December
    # Recording the service is an act of today: what follows happens today too.
    fire(server, t["clerk"], cid, "submit_feedback", {"measure": "amended", "report": "已修改第三条。"})
    case = fire(server, t["reviewer"], cid, "reject_feedback", {"reasons": "修改后仍设定收费。", "rectification_days": 10})
    first, second = periods(case, "rectification")
    assert first["status"] == "lapsed"
    assert (second["status"], second["awaits_service"]) == ("awaiting_service", "correction_notice")
    [notice] = [d for d in case["documents"] if d["kind"] == "correction_notice"]
    assert "自本通知送达之日起10日内将纠正情况书面反馈本局" in "\n".join(docx_lines(server, t["clerk"], notice["id"]))
    today = datetime.now(SHANGHAI).date().isoformat()
    answer = serve(server, t["reviewer"], notice["id"], {"mode": "direct", "served_on": today})
    assert answer["deadlines_started"] == ["rectification"]
    [_, second] = periods(answer["case"], "rectification")
    assert (second["status"], second["period"]["start_date"]) == ("pending", today) and second["due_date"] > today


# --- restarted and suspended periods ----------------------------------------------------------------


def test_a_restarted_rectification_shows_both_periods(faithful: Server):
    server = faithful
    t = make_tokens(server.database_url, clerk=("clerk", UNIT), supervisor=("supervisor", None))
    r = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_supervision", "agency": UNIT, "title": "对某超市无照经营投诉的处理",
        "occurred_at": "2026-01-20T09:00:00+08:00", "data": {"grounds": ["complaint"]}})
    assert r.status == 201, r.body
    cid = r.body["id"]
    fire(server, t["supervisor"], cid, "issue_opinion", {"findings": "接到投诉后未依法立案调查。",
                                                          "requirements": "依法立案调查。"}, "2026-01-28T10:00:00+08:00")
    fire(server, t["clerk"], cid, "confirm_receipt", {"method": "signed"}, "2026-02-11T09:30:00+08:00")
    fire(server, t["clerk"], cid, "submit_feedback", {"measures": "已立案调查。"}, "2026-03-02T16:00:00+08:00")
    case = fire(server, t["supervisor"], cid, "reject_feedback", {"reasons": "尚未告知投诉人处理结果。"},
                "2026-03-04T10:00:00+08:00")
    first, second = periods(case, "rectification")
    assert (first["status"], first["period"]["start_date"], first["ended_at"]) == ("met", "2026-02-11", "2026-03-02T08:00:00Z")
    assert first["reason"].startswith("起算：签收《行政执法监督意见书》")
    assert first["end_reason"].startswith("履行：反馈整改情况")
    assert (second["status"], second["period"]["start_date"], second["ended_at"]) == ("pending", "2026-03-04", None)
    assert second["reason"] == ("重新起算：核查未通过，退回整改（《秀山自治县行政执法监督制度》第31条"
                                "（核查未通过的，重新计算10个工作日））")


def test_a_suspended_coordination_resumes_with_the_days_it_had_left(faithful: Server):
    server = faithful
    t = dispute_people(server)
    cid = through_to_coordination(server, t, "流动摊贩占道经营查处职责争议")  # accepted Fri 12 September
    [period] = periods(get_case(server, t["reviewer"], cid), "coordination")
    assert (period["period"], period["due_date"]) == ({"kind": "days", "length": 30, "start_date": "2025-09-12"}, "2025-10-13")
    assert "suspend" not in get_case(server, t["owner"], cid)["available_triggers"]  # the bureau suspends
    case = fire(server, t["reviewer"], cid, "suspend", {"reason": "待县农业农村委就职责划分作出答复"},
                "2025-09-22T10:00:00+08:00")
    assert case["state"] == "suspended"
    [period] = periods(case, "coordination")
    assert (period["status"], period["ended_at"]) == ("suspended", "2025-09-22T02:00:00Z")
    assert period["end_reason"].startswith("中止计算：中止协调（等待第三方意见）")
    # While suspended the period does not run out.
    fired(server, "2025-10-15T09:00:00+08:00")
    case = get_case(server, t["reviewer"], cid)
    assert case["overdue"] is False and [p["status"] for p in periods(case, "coordination")] == ["suspended"]
    case = fire(server, t["reviewer"], cid, "resume", {"reason": "县农业农村委已书面答复"}, "2025-10-20T09:00:00+08:00")
    first, second = periods(case, "coordination")
    assert first["status"] == "suspended"
    assert (second["status"], second["period"], second["due_date"]) == (
        "pending", {"kind": "days", "length": 20, "start_date": "2025-10-20"}, "2025-11-10")
    assert second["reason"].startswith("恢复计算：中止原因消除，恢复协调")
    assert second["reason"].endswith("中止前已经过10日，剩余20日")
    # (The server runs on today's clock, so the case reads overdue at once; the sweep's record is what moved.)
    fired(server, "2025-11-10T23:00:00+08:00")
    assert periods(get_case(server, t["reviewer"], cid), "coordination")[-1]["status"] == "pending"
    fired(server, "2025-11-11T00:00:01+08:00")
    last = periods(get_case(server, t["reviewer"], cid), "coordination")[-1]
    assert (last["status"], last["overdue"]) == ("lapsed", True)


# --- a period counted in hours ------------------------------------------------------------------


def test_the_24_hour_transfer_lapses_24_hours_after_approval_across_a_holiday(faithful: Server):
    server = faithful
    t = make_tokens(server.database_url, clerk=("clerk", UNIT), supervisor=("supervisor", None))
    r = server.call("POST", "/api/v1/cases", t["clerk"], {
        "procedure": "criminal_transfer", "agency": UNIT, "title": "某公司销售伪劣产品案",
        "data": {"case_number": "秀山市监罚〔2025〕301号", "suspected_offence": "生产、销售伪劣产品罪"},
        "occurred_at": "2025-09-29T10:00:00+08:00"})
    cid = r.body["id"]
    fire(server, t["clerk"], cid, "submit_report", {"team": "执法人员张某、李某", "facts": "销售金额28万元。"},
         "2025-09-30T09:00:00+08:00")
    case = fire(server, t["clerk"], cid, "approve", {"reasons": "同意移送。"}, "2025-09-30T15:00:00+08:00")
    [period] = periods(case, "transfer")
    assert period["period"] == {"kind": "hours", "length": 24, "start_date": "2025-09-30"}
    assert (period["due_date"], period["lapses_at"]) == ("2025-10-01", "2025-10-01T07:00:00Z")
    procedure = server.call("GET", "/api/v1/procedures/criminal_transfer", t["clerk"]).body
    assert {d["name"]: d["period"] for d in procedure["deadlines"]}["transfer"] == "24小时"
    # (The server runs on today's clock; the sweep's record of the lapse is what `tick --now` moves.)
    fired(server, "2025-10-01T14:59:00+08:00")
    assert periods(get_case(server, t["supervisor"], cid), "transfer")[0]["status"] == "pending"
    fired(server, "2025-10-01T15:01:00+08:00")
    [period] = periods(get_case(server, t["supervisor"], cid), "transfer")
    assert (period["status"], period["overdue"]) == ("lapsed", True)
    overdue = server.call("GET", "/api/v1/overdue", t["supervisor"]).body["items"]
    assert [(o["case_id"], o["deadline"]) for o in overdue if o["case_id"] == cid] == [(cid, "transfer")]


# --- the case page ---------------------------------------------------------------------------------


def test_the_case_page_shows_waiting_for_service_and_records_it(db_url: str, clock, monkeypatch):
    monkeypatch.setenv("XSFLOW_SERVED_AT_ISSUE", "")
    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    system = open_system(db_url, clock=clock)
    system.init()
    try:
        with system.db.write() as conn:
            create_user(conn, username="li", display_name="李四", role="reviewer", agency=None,
                        password="Zhifa2025ok", now=clock.now())
        clerk, reviewer = Actor("张三", "clerk", UNIT), Actor("李四（li）", "reviewer")
        cid = system.engine.open_case(clerk, procedure=LR, agency=UNIT, title="关于规范户外广告设置的通知（送审稿）",
                                      occurred_at=at("2025-02-17T09:00:00+08:00"))["id"]
        case = system.engine.fire(reviewer, cid, "request_supplement", {"missing": ["legal_basis"]},
                                  occurred_at=at("2025-02-21T10:00:00+08:00"))
        [notice] = case["documents"]
        app = create_app(system)
        client = app.test_client()
        login = client.get("/login").text
        token = re.search(r'name="csrf_token" value="([^"]+)"', login).group(1)
        assert client.post("/login", data={"username": "li", "password": "Zhifa2025ok", "csrf_token": token}).status_code == 302
        page = lhtml.fromstring(client.get(f"/cases/{cid}").text)
        assert page.xpath('string(//*[@id="awaiting-service"])') == "待送达"
        assert "自《补正通知》送达之日的次日起算" in page.xpath('string(//li[contains(@class, "deadline")][contains(., "补正材料期限")])')
        [form] = page.xpath(f'//form[contains(@action, "/documents/{notice["id"]}/service")]')
        assert page.xpath(f'//label[@for="service-{notice["id"]}-served_on"]/text()') == ["送达日期"]
        csrf = form.xpath('string(.//input[@name="csrf_token"]/@value)')
        refused = client.post(form.get("action"), data={"csrf_token": csrf, "mode": "post", "served_on": "2025-02-20"})
        assert refused.status_code == 422 and "早于文书出具之日" in refused.text
        done = client.post(form.get("action"), data={"csrf_token": csrf, "mode": "post", "served_on": "2025-02-24"})
        assert done.status_code == 302, done.text
        page = lhtml.fromstring(client.get(f"/cases/{cid}").text)
        assert page.xpath('//*[@id="awaiting-service"]') == []
        assert "已送达：邮寄送达，2025年2月24日" in page.xpath(f'string(//li[@id="document-{notice["id"]}"])')
        deadline = " ".join(page.xpath('string(//li[contains(@class, "deadline")][contains(., "补正材料期限")])').split())
        assert "自2025年2月24日（周一）的次日起算" in deadline and "2025年3月3日（周一）" in deadline
    finally:
        system.db.dispose()


# --- declarations ----------------------------------------------------------------------------------


def test_a_period_from_service_must_run_from_a_document_its_entering_transition_issues():
    from xsflow.definitions import TIMER, Rule, deadline, document, procedure, state, transition
    from xsflow.errors import DefinitionError

    rule = Rule("《测试规则》")
    with pytest.raises(DefinitionError) as err:
        procedure("p", version=1, title="测试", initial="a", basis=rule.art(1), opened_by="clerk",
                  states=[state("a", "甲", basis=rule.art(1)), state("b", "乙", basis=rule.art(1)),
                          state("c", "丙", basis=rule.art(1)), state("z", "终", basis=rule.art(1), terminal=True)],
                  transitions=[transition("go", "a", "b", role="reviewer", basis=rule.art(1), title="去"),
                               transition("wait", "b", "c", role="reviewer", basis=rule.art(1), title="中止"),
                               transition("lapse", "b", "z", role=TIMER, basis=rule.art(1), title="届满")],
                  deadlines=[deadline("d", title="期限", while_in="b", working_days=5, from_service="notice",
                                      suspended_in=("b", "nowhere"), on_lapse="lapse", basis=rule.art(1)),
                             deadline("h", title="小时", while_in="b", hours=0, on_lapse="lapse", basis=rule.art(1))],
                  documents=[document("notice", title="通知", prefix="测", basis=rule.art(1))])
    problems = str(err.value)
    assert "deadline 'd' runs from the service of 'notice', which transition 'go' entering it does not issue" in problems
    assert "deadline 'd' is suspended in unknown state 'nowhere'" in problems
    assert "deadline 'd' is suspended in states it runs in: ['b']" in problems
    assert "deadline 'h' has a period of 0 hours, which is not at least 1" in problems
