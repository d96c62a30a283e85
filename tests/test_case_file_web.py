"""案卷评查 pages in Debian's Chromium against a real `xsflow serve` (issue #15): the agency's files due
for self-review with the days left, the reviewer's scoring page with its running total, the bureau's
campaign page with the grade distribution chart and the export of all scores, and the links between
a file scored under 60 and the art. 28 supervision case it opened."""
from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from xsflow.calendar import SHANGHAI

from .conftest import Server, make_tokens
from .test_case_file_evaluation import MEMBERS, reading, register_files
from .test_users import user_cli
from .test_web import CHROMIUM, CHROMIUM_ARGS, PASSWORD, screenshot_folder

FAIL = {"evidence": 20, "procedure": 20, "documents": 0.01}  # 59.99


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="浏览器测试需要 Debian 的 Chromium：apt-get install -y chromium（不使用 playwright install）")
def test_self_review_list_scoring_page_campaign_chart_export_and_links(server: Server, tmp_path: Path):
    playwright_api = pytest.importorskip("playwright.sync_api")
    sync_playwright, expect = playwright_api.sync_playwright, playwright_api.expect
    for username, name, role, agency in [("zhang", "张三", "clerk", "scjgj"), ("li", "李四", "reviewer", None),
                                         ("wang", "王五", "supervisor", None)]:
        made = user_cli(server.database_url, "create", "--username", username, "--name", name, "--role", role,
                        *(["--agency", agency] if agency else []), password=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    t = make_tokens(server.database_url, platform=("system", None), supervisor=("supervisor", None),
                    reviewer=("reviewer", None), clerk=("clerk", "scjgj"))
    register_files(server, t["platform"])  # 6 files each of three agencies, closed 2025-06-30
    # A file closed two days ago: its last day lies ahead (30 days, a rest day rolled over).
    closed = (datetime.now(SHANGHAI) - timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    recent = server.call("POST", "/api/v1/cases", t["clerk"], {
        "procedure": "case_file_self_review", "agency": "scjgj", "title": "某超市销售过期食品案案卷",
        "data": {"case_number": "秀山市监罚〔2026〕88号", "case_type": "penalty", "handler": "张三"},
        "occurred_at": closed.isoformat()})
    assert recent.status == 201, recent.body
    due = date.fromisoformat(recent.body["deadlines"][0]["due_date"])

    campaign = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_file_evaluation", "agency": "sfj", "title": "2025年度行政执法案卷集中评查",
        "data": {"year": 2025}, "occurred_at": "2026-01-05T09:00:00+08:00"}).body
    for m in MEMBERS:
        r = server.call("POST", f"/api/v1/cases/{campaign['id']}/events", t["supervisor"],
                        {"trigger": "add_member", "payload": m, "occurred_at": "2026-01-05T10:00:00+08:00"})
        assert r.status == 200, r.body
    drawn = server.call("POST", f"/api/v1/case-file-evaluations/{campaign['id']}/draw", t["supervisor"],
                        {"seed": 20260105, "default_size": 2}).body
    sample, files = drawn["data"]["sample"], drawn["data"]["files"]
    failing, rest = sample[0], sample[1:]
    # Every file but the first is read over the API: one at 60.00, the others at 98.00 and 85.00.
    for i, n in enumerate(rest):
        for m in files[n]["reviewers"]:
            reading(server, t["reviewer"], campaign["id"], n, m,
                    {"evidence": 20, "procedure": 20} if i == 0 else {"documents": 2} if i % 2 else {"evidence": 15})

    shots = screenshot_folder(server, tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def person(username: str):
            context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai", accept_downloads=True)
            page = context.new_page()
            page.goto(server.url + "/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(server.url + "/")
            return page

        # The agency's clerk: 案卷评查 lists its own 7 files, the 2025 ones long overdue, the new one with days left.
        clerk = person("zhang")
        clerk.get_by_role("link", name="案卷评查", exact=True).click()
        assert clerk.locator("h1 .count").inner_text() == "7 件"
        rows = clerk.locator("table.self-review tbody tr")
        assert rows.count() == 7
        today = datetime.now(SHANGHAI).date()
        last = rows.nth(6)
        assert "秀山市监罚〔2026〕88号" in last.inner_text()
        left = (due - today).days
        assert last.locator("td.days-left").inner_text() == f"剩 {left} 天"
        assert "已逾期" in rows.nth(0).locator("td.days-left").inner_text()
        assert all("scjgj" in n for n in rows.locator("td:first-child").all_inner_texts()[:6])
        # This year's self-review rate of the agency: the new file is not due yet, so there is no rate.
        if closed.year == today.year:
            assert clerk.locator("table.rates tbody tr").all_inner_texts() == ["县市场监管局\t1\t0\t0\t0\t0\t—"]
        clerk.screenshot(path=shots / "case-files-self-review.png", full_page=True)
        # The campaign is the bureau's: an agency's clerk may not open its page.
        assert clerk.goto(f"{server.url}/case-file-evaluations/{campaign['id']}").status == 403

        # The reviewer scores the first file on the page; the running total follows the typing.
        reviewer = person("li")
        reviewer.goto(f"{server.url}/case-file-evaluations/{campaign['id']}")
        reviewer.get_by_role("link", name=failing).click()
        assert reviewer.locator("#total").inner_text() == "100.00"
        first, second = files[failing]["reviewers"]
        reviewer.get_by_label("评查人员").select_option(first)
        # The total is the script's: it may load a moment after the typing, so the check waits for it.
        reviewer.get_by_label("证据").fill("20")
        expect(reviewer.locator("#total")).to_have_text("80.00")
        reviewer.get_by_label("执法程序").fill("20")
        reviewer.get_by_label("文书与立卷").fill("0.01")
        expect(reviewer.locator("#total")).to_have_text("59.99")
        expect(reviewer.locator("#grade")).to_have_text("（不合格）")
        reviewer.screenshot(path=shots / "case-file-score.png", full_page=True)
        # Deductions without their reasons are refused and nothing is recorded; what was typed stays.
        reviewer.get_by_role("button", name="提交评分").click()
        assert "扣分事由" in reviewer.locator(".field-error, .error-box").all_inner_texts().__str__()
        assert reviewer.get_by_label("证据").input_value() == "20"
        reviewer.get_by_label("评查人员").select_option(first)
        reviewer.get_by_label("扣分事由（每行一项）").fill("主要证据缺失\n未履行告知程序\n送达回证缺日期")
        reviewer.get_by_role("button", name="提交评分").click()
        assert reviewer.locator(".flash").inner_text() == f"已提交“{failing}”的评分。"
        # The second reader: the first is no longer offered (independent reading, once each).
        reviewer.get_by_role("link", name=failing).click()
        assert reviewer.get_by_label("评查人员").locator("option").all_inner_texts()[1:] == [
            next(f"{m['name']}" + (f"（{m['unit']}）" if m.get("unit") else "") for m in MEMBERS if m["member_id"] == second)]
        reviewer.get_by_label("评查人员").select_option(second)
        for label, value in (("证据", "20"), ("执法程序", "20"), ("文书与立卷", "0.01")):
            reviewer.get_by_label(label).fill(value)
        reviewer.get_by_label("扣分事由（每行一项）").fill("主要证据缺失")
        reviewer.get_by_role("button", name="提交评分").click()
        assert reviewer.locator(".flash").inner_text() == f"已提交“{failing}”的评分。"

        # The bureau's campaign page: the chart has a bar per agency and grade, the table the numbers.
        boss = person("wang")
        boss.goto(f"{server.url}/case-file-evaluations/{campaign['id']}")
        chart = boss.locator("svg.grade-chart")
        assert chart.locator("title").first.text_content() == "各单位被评查案卷的等次分布"
        bars = chart.locator("rect.grade-bar")
        grades = [bars.nth(i).get_attribute("data-grade") for i in range(bars.count())]
        assert grades.count("不合格") == 1 and grades.count("合格") == 1
        table = boss.locator("table.grades tbody tr")
        assert table.count() == 3
        counts = [int(c) for c in boss.locator("table.grades tbody td:nth-child(3)").all_inner_texts()]
        assert counts == [2, 2, 2]
        boss.screenshot(path=shots / "case-file-campaign.png", full_page=True)

        # The export of all scores: every reading and every final score, in CSV and in Excel.
        with boss.expect_download() as got:
            boss.get_by_role("link", name="CSV").click()
        text = Path(got.value.path()).read_bytes().decode("utf-8-sig")
        table_rows = list(csv.reader(io.StringIO(text)))
        assert table_rows[0][:5] == ["案号", "单位", "案件类型", "案件名称", "评分类别"]
        assert len(table_rows) == 1 + 6 * 2 + 6  # two readings and the final score of each of 6 files
        final = next(r for r in table_rows if r[0] == failing and r[4].startswith("最终得分"))
        assert final[-3:-1] == ["59.99", "不合格"]
        with boss.expect_download() as got:
            boss.get_by_role("link", name="Excel（.xlsx）").click()
        book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()), read_only=True)
        assert got.value.suggested_filename == "2025年度案卷评查评分-2025.xlsx"
        assert len(list(book.active.iter_rows(values_only=True))) == len(table_rows)

        # Art. 28: the failing file's row links to the supervision case; that case links back to the
        # file and the campaign, and the file's page links to the case.
        boss.locator("table.campaign-files tr", has_text=failing).get_by_role("link").last.click()
        assert boss.locator(".meta strong").inner_text() == "调查核实中"
        related = boss.locator("ul.related")
        assert related.get_by_role("link", name=files[failing]["title"]).count() == 1
        assert related.get_by_role("link", name="2025年度行政执法案卷集中评查").count() == 1
        supervision_url = boss.url
        boss.screenshot(path=shots / "case-file-supervision-links.png", full_page=True)
        related.get_by_role("link", name=files[failing]["title"]).click()
        assert boss.locator("h1").inner_text() == files[failing]["title"]
        boss.locator("ul.related").get_by_role("link").first.click()
        assert boss.url == supervision_url
        browser.close()
