"""规范性文件备案审查 and the normative-document register, end to end over HTTP on SQLite and PostgreSQL.

The server reads the real clock, so every `occurred_at` lies in the past (2025, 2026) and deadlines
lapse only by `xsflow tick --now`. The exact "working days overdue" is checked on the in-process
app with a FixedClock. Dates of every period are computed by hand in the comments.
"""
from __future__ import annotations

import io
import re
import urllib.request
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import pytest

from xsflow.calendar import OfficialCalendar, bundled_notices, local_date
from xsflow.clock import FixedClock
from xsflow.tokens import create_token

from .conftest import LEGALITY_READY, Server, at, make_tokens, fire, get_case
from .test_users import user_cli
from .test_web import CHROMIUM, CHROMIUM_ARGS, PASSWORD, browser_page, screenshot_folder

FR = "filing_review"
UNIT = "scjgj"  # 县市场监管局, the issuing agency
OTHER = "gaj"  # 县公安局
BUREAU = "sfj"  # 县司法局
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


# --- helpers -------------------------------------------------------------------------------


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU),
                       supervisor=("supervisor", None), other_clerk=("clerk", OTHER), oa=("system", UNIT))


def publish(server: Server, token: str, published_at: str, number: str, *, title: str = "关于加强农贸市场管理的通知",
            agency: str = UNIT, **data: Any) -> dict[str, Any]:
    """Opens the filing case of a document published at `published_at` (the case's occurred_at)."""
    r = server.call("POST", "/api/v1/cases", token, {"procedure": FR, "agency": agency, "title": title,
                                                     "data": {"document_number": number, **data},
                                                     "occurred_at": published_at})
    assert r.status == 201, r.body
    return r.body


def history(server: Server, token: str, case_id: int) -> list[dict[str, Any]]:
    r = server.call("GET", f"/api/v1/cases/{case_id}/history", token)
    assert r.status == 200, r.body
    return r.body["items"]


def the_deadline(case: dict[str, Any], name: str) -> dict[str, Any]:
    found = [d for d in case["deadlines"] if d["name"] == name]
    assert len(found) == 1, case["deadlines"]
    return found[0]


def deadlines_named(case: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [d for d in case["deadlines"] if d["name"] == name]


def docs_of_kind(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [d for d in case["documents"] if d["kind"] == kind]


def docx_lines(server: Server, token: str, document_id: int) -> list[str]:
    """The paragraphs of an issued document's .docx, downloaded as a clerk would."""
    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document_id}/file",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.headers["Content-Type"].startswith(DOCX)
        return [p.text for p in docx.Document(io.BytesIO(r.read())).paragraphs]


def fired(server: Server, now: str) -> int:
    out = server.tick(now).stdout
    m = re.search(r"^fired (\d+)$", out, re.M)
    assert m, out
    return int(m.group(1))


def overdue_items(server: Server, token: str) -> list[dict[str, Any]]:
    r = server.call("GET", f"/api/v1/overdue?procedure={FR}", token)
    assert r.status == 200, r.body
    return r.body["items"]


def register(server: Server, token: str, query: str = "") -> dict[str, Any]:
    r = server.call("GET", f"/api/v1/register{query}", token)
    assert r.status == 200, r.body
    return r.body


def _working_days_between(cal: OfficialCalendar, due: date, today: date) -> set[int]:
    """The overdue counts consistent with `today`: n working days after `due` fall on or before it, n+1 after."""
    def ok(n: int) -> bool:
        reached = n == 0 or cal.add_working_days(due, n).last_day <= today
        return reached and cal.add_working_days(due, n + 1).last_day > today
    return {n for n in range(0, 800) if ok(n)}


ALL_MATERIALS = ["filing_report", "official_text", "drafting_explanation", "basis", "legality_opinion"]


# --- (a) filed in time, held, supplemented, registered, recorded ----------------------------------


def test_filed_on_the_rolled_over_last_day_is_in_time_then_held_supplemented_registered_and_recorded(server: Server, tmp_path: Path):
    """A document published 2025-09-05 may be filed until 2025-10-09 (the 30th day falls in National Day); an incomplete filing is held, supplemented, registered with a receipt and recorded, and the register shows it all."""
    t = people(server)
    number = "秀山市监发〔2025〕12号"
    # The draft went through the county legality review first (art. 10), carrying the same document number.
    lr = server.call("POST", "/api/v1/cases", t["clerk"], {
        "procedure": "legality_review", "agency": UNIT, "title": "关于加强农贸市场管理的通知（送审稿）",
        "data": {**LEGALITY_READY, "document_number": number}, "occurred_at": "2025-08-01T09:00:00+08:00"}).body
    fire(server, t["reviewer"], lr["id"], "accept", None, "2025-08-04T09:00:00+08:00")
    fire(server, t["reviewer"], lr["id"], "issue_opinion", {"conclusion": "lawful"}, "2025-08-15T09:00:00+08:00")

    case = publish(server, t["clerk"], "2025-09-05T10:00:00+08:00", number, uniform_number="XSSJ-2025-0012",
                   effective_on="2025-10-01", publication_medium="秀山自治县人民政府网站")
    cid = case["id"]
    assert (case["state"], case["data"]["document_number"]) == ("published", number)
    filing = the_deadline(case, "filing")
    # Published Fri 2025-09-05; counting starts 9-06; the 30th day is Sun 2025-10-05, inside the National Day and
    # Mid-Autumn holiday (10-01…10-08, 国办发明电〔2024〕12号), so the period ends on the first working day after it,
    # Thu 2025-10-09 (民法典 第二百零三条), at 24:00 Beijing time = 2025-10-09T16:00Z.
    assert filing["period"] == {"kind": "days", "length": 30, "start_date": "2025-09-05"}
    assert (filing["due_date"], filing["lapses_at"], filing["provisional"]) == ("2025-10-09", "2025-10-09T16:00:00Z", False)
    assert "第10条" in filing["basis"] and "30日" in filing["basis"]
    assert case["available_triggers"] == ["file"]

    assert fired(server, "2025-10-06T00:00:01+08:00") == 0  # the unrolled 30th day (10-05) is over: nothing lapses

    # Filed on the last day, with two materials of art. 12 missing.
    case = fire(server, t["clerk"], cid, "file", {"materials": ["filing_report", "official_text", "basis"]},
                "2025-10-09T20:00:00+08:00")
    assert (case["state"], case["data"]["filed_late"]) == ("filed", False)
    assert the_deadline(case, "filing")["status"] == "met"
    assert fired(server, "2025-10-10T00:00:01+08:00") == 0

    # The bureau cannot register an incomplete filing: it must hold it.
    refused = fire(server, t["reviewer"], cid, "register", None, "2025-10-10T09:00:00+08:00", expect=409)
    assert "暂缓办理备案登记" in refused["error"]["message"]
    case = fire(server, t["reviewer"], cid, "hold", {"missing": ["drafting_explanation", "legality_opinion"],
                                                     "note": "起草说明未附征求意见情况"}, "2025-10-10T10:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    supplement = the_deadline(case, "supplement")
    # Held Fri 2025-10-10; 5 working days: Sat 10-11 is a make-up working day (1), Sun 10-12 rests,
    # 10-13 (2), 10-14 (3), 10-15 (4), 10-16 (5) → Thu 2025-10-16. A service level: the source says it is assumed.
    assert (supplement["due_date"], supplement["service_level"]) == ("2025-10-16", True)
    assert "假定" in supplement["basis"] and "第13条" in supplement["basis"]
    [notice] = docs_of_kind(case, "filing_supplement_notice")
    assert notice["number"] == "秀山司备补〔2025〕1号"
    lines = docx_lines(server, t["clerk"], notice["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["暂缓备案登记通知书", "秀山司备补〔2025〕1号"]
    assert "县市场监管局：" in lines
    assert "《关于加强农贸市场管理的通知》（秀山市监发〔2025〕12号）" in body
    assert "1. 起草说明" in lines and "2. 合法性审核意见" in lines
    assert "暂缓办理备案登记" in body and "第12条" in body
    assert "请于2025年10月16日24时前补充报送上述材料" in body
    assert "调休" in body  # the counting explains the make-up Saturday
    assert lines[-1] == "2025年10月10日"

    refused = fire(server, t["reviewer"], cid, "register", None, "2025-10-11T09:00:00+08:00", expect=409)
    assert "暂缓备案登记" in refused["error"]["message"]
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["drafting_explanation"]}, "2025-10-13T09:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["legality_opinion"]}, "2025-10-16T17:00:00+08:00")
    assert case["state"] == "filed"
    assert the_deadline(case, "supplement")["status"] == "met"
    assert sorted(case["data"]["materials"]) == sorted(ALL_MATERIALS)

    case = fire(server, t["reviewer"], cid, "register", None, "2025-10-17T09:00:00+08:00")
    assert case["state"] == "under_examination"
    [receipt] = docs_of_kind(case, "filing_receipt")
    assert receipt["number"] == "秀山司备登〔2025〕1号"
    lines = docx_lines(server, t["clerk"], receipt["id"])
    assert lines[:2] == ["规范性文件备案登记回执", "秀山司备登〔2025〕1号"]
    assert "文号：秀山市监发〔2025〕12号" in lines and "统一编号：XSSJ-2025-0012" in lines
    assert "发布日期：2025年9月5日" in lines and "施行日期：2025年10月1日" in lines
    assert "报送情况：按期报送。" in lines
    assert "本局已于2025年10月17日予以备案登记" in "\n".join(lines)

    case = fire(server, t["reviewer"], cid, "record", {"opinion": "经审查，未发现与法律、法规、规章相抵触的内容。"},
                "2025-10-24T09:00:00+08:00")
    assert (case["state"], case["closed"], case["data"]["conclusion"]) == ("recorded", True, "recorded")
    [opinion] = docs_of_kind(case, "filing_examination_opinion")
    lines = docx_lines(server, t["clerk"], opinion["id"])
    assert lines[:2] == ["规范性文件备案审查意见书", "秀山司备审〔2025〕1号"]
    assert "审查结论：准予备案。" in lines
    assert "经审查，未发现与法律、法规、规章相抵触的内容。" in lines
    assert "已予备案登记（备案登记号秀山司备登〔2025〕1号）" in "\n".join(lines)
    assert lines[-1] == "2025年10月24日"

    steps = [(h["trigger"], h["from_state"], h["to_state"]) for h in history(server, t["supervisor"], cid)]
    assert steps == [("open", None, "published"), ("file", "published", "filed"),
                     ("hold", "filed", "awaiting_supplement"),
                     ("supplement", "awaiting_supplement", "awaiting_supplement"),
                     ("supplement", "awaiting_supplement", "filed"), ("register", "filed", "under_examination"),
                     ("record", "under_examination", "recorded")]
    assert overdue_items(server, t["supervisor"]) == []

    # The register: numbers, publication, registration, filing and the legality review of the same number.
    page = register(server, t["supervisor"])
    [entry] = page["items"]
    assert page["next"] is None and page["total"] == 1
    assert {k: entry[k] for k in ("case_id", "title", "agency", "agency_name", "document_number", "uniform_number",
                                  "published_on", "effective_on", "publication_medium", "registration_number",
                                  "registered_on")} == {
        "case_id": cid, "title": "关于加强农贸市场管理的通知", "agency": UNIT, "agency_name": "县市场监管局",
        "document_number": number, "uniform_number": "XSSJ-2025-0012", "published_on": "2025-09-05",
        "effective_on": "2025-10-01", "publication_medium": "秀山自治县人民政府网站",
        "registration_number": "秀山司备登〔2025〕1号", "registered_on": "2025-10-17"}
    assert entry["filing"] == {
        "state": "recorded", "state_title": "准予备案", "closed": True, "status": "filed_in_time",
        "status_title": "按期报备", "due_date": "2025-10-09", "filed_on": "2025-10-09", "conclusion": "recorded",
        "opinion_number": "秀山司备审〔2025〕1号", "rectification_due": None, "overdue": False}
    assert entry["legality_review"] == {"case_id": lr["id"], "state": "opinion_issued", "state_title": "已出具审查意见",
                                        "closed": True, "conclusion": "lawful"}
    # Agency-scoped like the cases; filters by number and publication year.
    assert [e["case_id"] for e in register(server, t["clerk"])["items"]] == [cid]
    assert register(server, t["other_clerk"]) == {"items": [], "next": None, "total": 0}
    assert [e["case_id"] for e in register(server, t["supervisor"], "?year=2025")["items"]] == [cid]
    assert register(server, t["supervisor"], "?year=2026")["items"] == []
    assert [e["case_id"] for e in register(server, t["supervisor"], f"?document_number={quote(number)}")["items"]] == [cid]
    bad = server.call("GET", "/api/v1/register?limit=0", t["supervisor"])
    assert bad.status == 422 and "limit" in bad.body["error"]["fields"]
    bad = server.call("GET", "/api/v1/register?agency=nosuch&state=nowhere", t["supervisor"])
    assert bad.status == 422 and set(bad.body["error"]["fields"]) == {"agency", "state"}, bad.body
    register_page_in_the_browser(server, entry, screenshot_folder(server, tmp_path))
    assert server.call("GET", "/api/v1/register").status == 401

    spec = server.call("GET", "/api/v1/openapi.json").body
    assert "get" in spec["paths"]["/api/v1/register"]
    assert {"document_number", "uniform_number", "published_on", "registration_number", "filing",
            "legality_review"} <= set(spec["components"]["schemas"]["RegisterEntry"]["properties"])


def register_page_in_the_browser(server: Server, entry: dict[str, Any], shots: Path) -> None:
    """In Chromium, a reviewer finds the document under 登记簿 with its numbers, filing and review, and the case link."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    made = user_cli(server.database_url, "create", "--username", "shencha", "--name", "李审查", "--role", "reviewer",
                    "--agency", "sfj", password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser_page(browser, server, "shencha")
        page.get_by_role("link", name="登记簿", exact=True).click()
        assert page.locator("h1").inner_text() == "规范性文件登记簿"
        assert page.locator("p.total").inner_text() == "共 1 件"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "register.png", full_page=True)
        row = " ".join(page.locator("table.list tbody tr").first.inner_text().split())
        for text in ("XSSJ-2025-0012", "关于加强农贸市场管理的通知", "县市场监管局", entry["document_number"],
                     "2025年9月5日", "按期报备", "秀山司备登〔2025〕1号", "准予备案", "合法性审查：已出具审查意见"):
            assert text in row, (text, row)
        page.get_by_role("link", name="关于加强农贸市场管理的通知").click()
        assert page.url == f"{server.url}/cases/{entry['case_id']}"
        page.goto(server.url + "/register?year=2026")
        assert page.locator("p.total").inner_text() == "共 0 件"
        browser.close()


# --- (b) lapsed, filed late, corrected after a rejected feedback ------------------------------------


def test_lapse_makes_filing_overdue_and_a_late_filing_is_recorded_late_then_corrected(server: Server):
    """Unfiled after 30 days the case becomes filing_overdue on the supervisor's overdue list; the late filing is received and marked late, and a require_correction runs through a lapsed rectification, a rejected and an accepted feedback."""
    t = people(server)
    number = "秀山市监发〔2026〕3号"
    # A supervisor found a published document that was never filed (art. 5) and opens its case.
    case = publish(server, t["supervisor"], "2026-01-15T09:00:00+08:00", number, title="关于规范集贸市场收费的通知",
                   uniform_number="XSSJ-2026-0003")
    cid = case["id"]
    assert case["agency"] == UNIT
    # Published Thu 2026-01-15; the 30th day is Sat 2026-02-14, a make-up working day before Spring Festival
    # (国办发明电〔2025〕7号: 2-15…2-23 off, Sat 2-14 and Sat 2-28 worked), so there is no roll-over:
    # the period ends 2026-02-14 24:00 = 2026-02-14T16:00Z.
    filing = the_deadline(case, "filing")
    assert (filing["due_date"], filing["lapses_at"]) == ("2026-02-14", "2026-02-14T16:00:00Z")

    assert fired(server, "2026-02-14T23:59:59+08:00") == 0
    assert fired(server, "2026-02-15T00:00:01+08:00") == 1
    case = get_case(server, t["clerk"], cid)
    assert (case["state"], case["state_title"], case["overdue"]) == ("filing_overdue", "逾期未报备", True)
    assert the_deadline(case, "filing")["status"] == "lapsed"
    assert case["available_triggers"] == ["file"]  # the late filing is still received
    last = history(server, t["supervisor"], cid)[-1]
    assert (last["trigger"], last["to_state"], last["actor_role"], last["occurred_at"]) == \
        ("filing_lapsed", "filing_overdue", "timer", "2026-02-14T16:00:00Z")

    today_before = local_date(datetime.now(timezone.utc))
    [item] = overdue_items(server, t["supervisor"])
    today_after = local_date(datetime.now(timezone.utc))
    assert (item["case_id"], item["deadline"], item["due_date"], item["state"], item["agency"]) == \
        (cid, "filing", "2026-02-14", "filing_overdue", UNIT)
    assert "第10条" in item["basis"]
    cal = OfficialCalendar(bundled_notices())
    assert item["working_days_overdue"] in (_working_days_between(cal, date(2026, 2, 14), today_before)
                                            | _working_days_between(cal, date(2026, 2, 14), today_after))
    assert [i["case_id"] for i in overdue_items(server, t["clerk"])] == [cid]
    assert overdue_items(server, t["other_clerk"]) == []
    [entry] = register(server, t["supervisor"])["items"]
    assert (entry["filing"]["status"], entry["filing"]["status_title"], entry["filing"]["overdue"]) == \
        ("overdue", "逾期未报备", True)

    # Filed late, complete: received, marked late, and off the overdue list.
    case = fire(server, t["clerk"], cid, "file", {"materials": ALL_MATERIALS, "report_number": "秀山市监文〔2026〕9号"},
                "2026-03-02T10:00:00+08:00")
    assert (case["state"], case["data"]["filed_late"], case["overdue"]) == ("filed", True, False)
    late = history(server, t["supervisor"], cid)[-1]
    assert (late["trigger"], late["from_state"], late["to_state"]) == ("file", "filing_overdue", "filed")
    assert overdue_items(server, t["supervisor"]) == []

    case = fire(server, t["reviewer"], cid, "register", None, "2026-03-03T10:00:00+08:00")
    [receipt] = docs_of_kind(case, "filing_receipt")
    assert receipt["number"] == "秀山司备登〔2026〕1号"
    body = "\n".join(docx_lines(server, t["clerk"], receipt["id"]))
    assert "未在该期限内报送" in body and "第35条第（五）项" in body and "二.1" in body
    assert "按期报送" not in body

    # Content not lawful: correction within 30 days. From Thu 2026-03-05 the 30th day is Sat 2026-04-04, the first
    # day of the Qingming holiday (4-04…4-06), so the period ends Tue 2026-04-07 24:00 = 2026-04-07T16:00Z.
    refused = fire(server, t["reviewer"], cid, "require_correction",
                   {"grounds": ["content"], "problems": "第五条无依据设定罚款。"}, "2026-03-05T10:00:00+08:00", expect=422)
    assert "rectification_days" in refused["error"]["fields"]
    case = fire(server, t["reviewer"], cid, "require_correction",
                {"grounds": ["content", "procedure"], "problems": "第五条无上位法依据设定罚款。\n未经集体审议。",
                 "rectification_days": 30}, "2026-03-05T10:00:00+08:00")
    assert (case["state"], case["data"]["conclusion"]) == ("awaiting_rectification", "correction_required")
    rect = the_deadline(case, "rectification")
    assert rect["period"] == {"kind": "days", "length": 30, "start_date": "2026-03-05"}
    assert (rect["due_date"], rect["lapses_at"]) == ("2026-04-07", "2026-04-07T16:00:00Z")
    [opinion] = docs_of_kind(case, "filing_examination_opinion")
    lines = docx_lines(server, t["clerk"], opinion["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["规范性文件备案审查意见书", "秀山司备审〔2026〕1号"]
    assert "1. 内容不符合法律、法规、规章规定" in lines and "2. 未依照法定程序制发" in lines
    assert "第五条无上位法依据设定罚款。" in lines and "未经集体审议。" in lines
    assert "于2026年4月7日24时前将纠正情况书面反馈本局" in body
    assert "清明节" in body and "二.2" in body

    assert fired(server, "2026-04-07T23:59:59+08:00") == 0
    assert fired(server, "2026-04-08T00:00:01+08:00") == 1
    case = get_case(server, t["supervisor"], cid)
    assert (case["state"], case["overdue"]) == ("rectification_overdue", True)
    [item] = overdue_items(server, t["supervisor"])
    assert (item["deadline"], item["due_date"], item["state"]) == ("rectification", "2026-04-07", "rectification_overdue")

    # Late feedback is received and marked late; the bureau finds it insufficient and sets 10 more days:
    # from Mon 2026-04-13 the 10th day is Thu 2026-04-23, a working day.
    case = fire(server, t["clerk"], cid, "submit_feedback", {"measure": "amended", "report": "已删除第五条。"},
                "2026-04-10T10:00:00+08:00")
    assert (case["state"], case["data"]["rectified_late"]) == ("feedback_under_review", True)
    assert overdue_items(server, t["supervisor"]) == []
    case = fire(server, t["reviewer"], cid, "reject_feedback",
                {"reasons": "修改后的文件未经集体审议，程序问题未纠正。", "rectification_days": 10},
                "2026-04-13T10:00:00+08:00")
    assert case["state"] == "awaiting_rectification"
    assert [d["due_date"] for d in deadlines_named(case, "rectification")] == ["2026-04-07", "2026-04-23"]
    assert [d["status"] for d in deadlines_named(case, "rectification")] == ["lapsed", "pending"]
    [notice] = docs_of_kind(case, "correction_notice")
    lines = docx_lines(server, t["clerk"], notice["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["限期纠正通知书", "秀山司备纠〔2026〕1号"]
    assert "以规范性文件备案审查意见书（秀山司备审〔2026〕1号）" in body
    assert "修改后的文件未经集体审议，程序问题未纠正。" in lines
    assert "于2026年4月23日24时前" in body

    case = fire(server, t["clerk"], cid, "submit_feedback",
                {"measure": "repealed", "report": "已废止该文件。", "new_document_number": "秀山市监发〔2026〕8号"},
                "2026-04-20T10:00:00+08:00")
    assert (case["state"], case["data"]["rectified_late"]) == ("feedback_under_review", False)
    assert deadlines_named(case, "rectification")[-1]["status"] == "met"
    case = fire(server, t["reviewer"], cid, "accept_feedback", None, "2026-04-22T10:00:00+08:00")
    assert (case["state"], case["closed"], case["available_triggers"]) == ("corrected", True, [])
    assert overdue_items(server, t["supervisor"]) == []

    steps = [(h["trigger"], h["to_state"], h["actor_role"]) for h in history(server, t["supervisor"], cid)]
    assert steps == [("open", "published", "supervisor"), ("filing_lapsed", "filing_overdue", "timer"),
                     ("file", "filed", "clerk"), ("register", "under_examination", "reviewer"),
                     ("require_correction", "awaiting_rectification", "reviewer"),
                     ("rectification_lapsed", "rectification_overdue", "timer"),
                     ("submit_feedback", "feedback_under_review", "clerk"),
                     ("reject_feedback", "awaiting_rectification", "reviewer"),
                     ("submit_feedback", "feedback_under_review", "clerk"),
                     ("accept_feedback", "corrected", "reviewer")]
    [entry] = register(server, t["clerk"])["items"]
    assert entry["filing"] == {
        "state": "corrected", "state_title": "已纠正", "closed": True, "status": "filed_late",
        "status_title": "逾期报备", "due_date": "2026-02-14", "filed_on": "2026-03-02",
        "conclusion": "correction_required", "opinion_number": "秀山司备审〔2026〕1号",
        "rectification_due": "2026-04-23", "overdue": False}
    assert (entry["registration_number"], entry["legality_review"]) == ("秀山司备登〔2026〕1号", None)


# --- (c) opened and filed by another system; refused events are kept -------------------------------


def test_publish_event_opens_once_and_other_events_correlate_by_document_number(server: Server):
    """POST /events with trigger publish opens one case however often it is repeated, a file event finds it by document number, an unknown number is refused with 404 and kept for the supervisor, and a document outside the filing scope is closed without lapsing."""
    t = people(server)
    number = "秀山市监发〔2025〕20号"
    event = {"event_id": "oa-2025-0930-001", "procedure": FR, "correlation_key": number, "trigger": "publish",
             "occurred_at": "2025-09-30T15:00:00+08:00",
             "payload": {"agency": UNIT, "title": "关于规范食品摊贩经营的通知",
                         "data": {"document_number": number, "uniform_number": "XSSJ-2025-0020"}}}
    first = server.call("POST", "/api/v1/events", t["oa"], event)
    assert first.status == 200, first.body
    again = server.call("POST", "/api/v1/events", t["oa"], event)
    assert (again.status, again.body) == (200, first.body)
    cid = first.body["id"]
    assert (first.body["state"], first.body["data"]["document_number"]) == ("published", number)
    # Published Tue 2025-09-30: the 30th day is Thu 2025-10-30, a working day.
    assert the_deadline(first.body, "filing")["due_date"] == "2025-10-30"
    cases = server.call("GET", f"/api/v1/cases?procedure={FR}", t["supervisor"]).body["items"]
    assert [c["id"] for c in cases] == [cid]
    assert [h["trigger"] for h in history(server, t["supervisor"], cid)] == ["open"]

    # The same event id with other content, and another event for the same number, are refused.
    changed = server.call("POST", "/api/v1/events", t["oa"], {**event, "occurred_at": "2025-09-29T15:00:00+08:00",
                                                               "payload": {**event["payload"], "title": "另一标题"}})
    assert changed.status == 422, changed.body
    duplicate = server.call("POST", "/api/v1/events", t["oa"], {**event, "event_id": "oa-2025-0930-002"})
    assert duplicate.status == 422 and "data.document_number" in duplicate.body["error"]["fields"]

    filed = server.call("POST", "/api/v1/events", t["oa"], {
        "event_id": "oa-2025-1010-001", "procedure": FR, "correlation_key": number, "trigger": "file",
        "occurred_at": "2025-10-10T09:00:00+08:00", "payload": {"materials": ALL_MATERIALS}})
    assert filed.status == 200, filed.body
    assert (filed.body["id"], filed.body["state"], filed.body["data"]["filed_late"]) == (cid, "filed", False)

    unknown = server.call("POST", "/api/v1/events", t["oa"], {
        "event_id": "oa-2025-1010-002", "procedure": FR, "correlation_key": "秀山市监发〔2025〕99号", "trigger": "file",
        "occurred_at": "2025-10-10T09:00:00+08:00", "payload": {"materials": ALL_MATERIALS}})
    assert unknown.status == 404, unknown.body
    assert "秀山市监发〔2025〕99号" in unknown.body["error"]["message"]
    assert server.call("GET", "/api/v1/events?outcome=rejected", t["clerk"]).status == 403
    rejected = server.call("GET", "/api/v1/events?outcome=rejected", t["supervisor"]).body["items"]
    [kept] = [e for e in rejected if e["event_id"] == "oa-2025-1010-002"]
    assert (kept["status"], kept["outcome"], kept["case_id"], kept["correlation_key"]) == \
        (404, "rejected", None, "秀山市监发〔2025〕99号")
    assert kept["response"]["error"]["code"] == "not_found"
    applied = server.call("GET", "/api/v1/events?outcome=applied", t["supervisor"]).body["items"]
    assert sorted(e["event_id"] for e in applied) == ["oa-2025-0930-001", "oa-2025-1010-001"]
    assert len(server.call("GET", f"/api/v1/cases?procedure={FR}", t["supervisor"]).body["items"]) == 1

    # An internal work document published by mistake as normative: the bureau declines to register it.
    other = publish(server, t["clerk"], "2025-11-03T09:00:00+08:00", "秀山市监办〔2025〕5号", title="关于召开安全生产会议的通知")
    refused = fire(server, t["clerk"], other["id"], "not_for_filing", {"reasons": "内部工作安排"}, expect=403)
    assert "县司法局审查人员" in refused["error"]["message"]
    closed = fire(server, t["reviewer"], other["id"], "not_for_filing",
                  {"reasons": "该文件为部署内部工作的文件，不属于行政规范性文件。"}, "2025-11-05T09:00:00+08:00")
    assert (closed["state"], closed["closed"]) == ("not_for_filing", True)
    assert the_deadline(closed, "filing")["status"] == "cancelled"
    assert fired(server, "2025-12-31T00:00:00+08:00") == 0
    statuses = {e["document_number"]: e["filing"]["status"] for e in register(server, t["supervisor"])["items"]}
    assert statuses == {number: "filed_in_time", "秀山市监办〔2025〕5号": "not_for_filing"}
    first_page = register(server, t["supervisor"], "?limit=1")
    assert [e["case_id"] for e in first_page["items"]] == [cid] and first_page["next"]
    second_page = register(server, t["supervisor"], f"?limit=1&cursor={first_page['next']}")
    assert ([e["case_id"] for e in second_page["items"]], second_page["next"]) == ([other["id"]], None)
    assert overdue_items(server, t["supervisor"]) == []

    definition = server.call("GET", f"/api/v1/procedures/{FR}", t["clerk"]).body
    assert (definition["opening_event"], definition["correlation_field"]) == ("publish", "document_number")
    assert all(s["basis"] for s in definition["states"]) and all(tr["basis"] for tr in definition["transitions"])


# --- (d) exact working days overdue on a fixed clock -------------------------------------------------


def _client(system):
    from adapters.http import create_app

    clock: FixedClock = system.clock  # type: ignore[assignment]
    with system.db.write() as conn:
        tokens = {name: create_token(conn, name=name, role=role, agency=agency, now=clock.now())
                  for name, (role, agency) in {"supervisor": ("supervisor", None), "clerk": ("clerk", UNIT),
                                               "system": ("system", None)}.items()}
    client = create_app(system).test_client()

    def call(method: str, path: str, who: str, body: Any = None):
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
        return r.status_code, r.get_json()
    return clock, call


def test_filing_overdue_counts_working_days_exactly_and_leaves_the_list_when_filed(system):
    """On a fixed clock the overdue filing counts working days after the rolled-over last day (a make-up Saturday counts) and leaves the list when the late filing arrives."""
    clock, call = _client(system)
    clock.move_to(at("2025-09-05T10:00:00+08:00"))
    status, case = call("POST", "/api/v1/cases", "clerk", {"procedure": FR, "agency": UNIT, "title": "关于规范停车收费的通知",
                                                          "occurred_at": "2025-09-05T10:00:00+08:00",
                                                          "data": {"document_number": "秀山市监发〔2025〕30号"}})
    assert status == 201, case

    clock.move_to(at("2025-10-09T23:00:00+08:00"))  # the last day (rolled over from 10-05): not overdue yet
    assert system.tick().fired == 0
    assert call("GET", "/api/v1/overdue", "supervisor") == (200, {"items": [], "next": None})

    # Mon 2025-10-13: Fri 10-10 (1), Sat 10-11 make-up working day (2), Sun 10-12 rests, Mon 10-13 (3).
    clock.move_to(at("2025-10-13T10:00:00+08:00"))
    assert system.tick().fired == 1
    status, page = call("GET", "/api/v1/overdue", "supervisor")
    [item] = page["items"]
    assert (item["case_id"], item["state"], item["due_date"], item["working_days_overdue"]) == \
        (case["id"], "filing_overdue", "2025-10-09", 3)
    status, page = call("GET", "/api/v1/register", "clerk")
    assert page["items"][0]["filing"]["status"] == "overdue"

    clock.move_to(at("2025-10-14T10:00:00+08:00"))
    status, filed = call("POST", f"/api/v1/cases/{case['id']}/events", "clerk",
                         {"trigger": "file", "payload": {"materials": ALL_MATERIALS}})
    assert status == 200, filed
    assert (filed["state"], filed["data"]["filed_late"]) == ("filed", True)
    assert call("GET", "/api/v1/overdue", "supervisor") == (200, {"items": [], "next": None})
    status, page = call("GET", "/api/v1/register", "supervisor")
    assert (page["items"][0]["filing"]["status"], page["items"][0]["filing"]["filed_on"]) == ("filed_late", "2025-10-14")


def test_county_wide_publishing_system_may_open_a_filing_for_any_agency(system):
    """The county's publishing platform (a system token bound to no agency) opens the filing case of any agency's document."""
    clock, call = _client(system)
    clock.move_to(at("2025-09-05T10:00:00+08:00"))
    status, body = call("POST", "/api/v1/events", "system", {
        "event_id": "platform-1", "procedure": FR, "correlation_key": "秀山市监发〔2025〕31号", "trigger": "publish",
        "occurred_at": "2025-09-05T10:00:00+08:00", "payload": {"agency": UNIT, "title": "关于规范停车收费的通知", "data": {"document_number": "秀山市监发〔2025〕31号"}}})
    assert status == 200, body


def test_a_later_document_cites_the_date_an_earlier_backdated_document_bears(system):
    """A receipt recorded afterwards for a registration made on 2025-09-22 is cited by the examination opinion as dated 2025-09-22."""
    clock, call = _client(system)
    clock.move_to(at("2025-10-20T10:00:00+08:00"))
    status, case = call("POST", "/api/v1/cases", "clerk", {
        "procedure": FR, "agency": UNIT, "title": "关于规范停车收费的通知", "occurred_at": "2025-09-05T10:00:00+08:00",
        "data": {"document_number": "秀山市监发〔2025〕32号"}})
    assert status == 201, case
    events = f"/api/v1/cases/{case['id']}/events"
    assert call("POST", events, "clerk", {"trigger": "file", "payload": {"materials": ALL_MATERIALS},
                                          "occurred_at": "2025-09-20T10:00:00+08:00"})[0] == 200
    with system.db.write() as conn:
        reviewer = create_token(conn, name="审查", role="reviewer", agency=BUREAU, now=clock.now())
    from adapters.http import create_app
    client = create_app(system).test_client()
    headers = {"Authorization": f"Bearer {reviewer}"}
    assert client.post(events, json={"trigger": "register", "occurred_at": "2025-09-22T10:00:00+08:00"},
                       headers=headers).status_code == 200
    done = client.post(events, json={"trigger": "record"}, headers=headers).get_json()
    [opinion] = docs_of_kind(done, "filing_examination_opinion")
    facts = client.get(f"/api/v1/documents/{opinion['id']}", headers=headers).get_json()["facts"]
    assert facts["earlier_documents"][0]["issued_on"] == "2025-09-22"


def test_a_closed_filing_keeps_its_document_number_for_ever(system):
    """A document number stays taken once its filing is closed: a new case under it is refused and its events still reach the closed case."""
    clock, call = _client(system)
    clock.move_to(at("2025-11-10T10:00:00+08:00"))
    number = "秀山市监办〔2025〕9号"
    status, case = call("POST", "/api/v1/cases", "clerk", {"procedure": FR, "agency": UNIT, "title": "关于召开安全生产会议的通知",
                                                          "occurred_at": "2025-11-10T10:00:00+08:00",
                                                          "data": {"document_number": number}})
    assert status == 201, case
    with system.db.write() as conn:
        reviewer = create_token(conn, name="审查", role="reviewer", agency=BUREAU, now=clock.now())
    from adapters.http import create_app
    closed = create_app(system).test_client().post(
        f"/api/v1/cases/{case['id']}/events", headers={"Authorization": f"Bearer {reviewer}"},
        json={"trigger": "not_for_filing", "payload": {"reasons": "内部工作安排，不属于行政规范性文件。"}}).get_json()
    assert (closed["state"], closed["closed"]) == ("not_for_filing", True)

    status, body = call("POST", "/api/v1/cases", "clerk", {"procedure": FR, "agency": UNIT, "title": "同一文号的另一文件",
                                                          "occurred_at": "2025-11-10T10:00:00+08:00",
                                                          "data": {"document_number": number}})
    assert (status, body["error"]["fields"]) == (422, {"data.document_number": [f"已有“规范性文件备案审查”案件使用编号“{number}”。"]})
    status, body = call("POST", "/api/v1/events", "system", {
        "event_id": "platform-closed-1", "procedure": FR, "correlation_key": number, "trigger": "file",
        "payload": {"materials": ALL_MATERIALS}})
    assert status == 409, body  # found: the closed case, which takes no more filings
