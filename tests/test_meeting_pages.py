"""The joint meeting page and the liaison page, in Debian's Chromium against a real `xsflow serve`.

The meeting is driven over HTTP (tests/test_joint_meeting.py does every step's checks): topics,
the director's approval, the notice, one art. 5 report in time and one missing, the minutes with
two decisions; then `xsflow tick --now` lapses the reports date and one task. What a person checks
on the page: the agenda, who reported and who is overdue, the minutes' number, every task's state
with the lapsed one marked 逾期. On 联络员: the agencies without an officer, and what was sent to whom.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Server, fire
from .test_joint_meeting import JM, MEMBERS, REPORT, TASK, open_meeting, tokens
from .test_users import user_cli
from .test_web import CHROMIUM, CHROMIUM_ARGS, PASSWORD, screenshot_folder


def meeting_with_minutes(server: Server, t: dict[str, str]) -> tuple[int, dict[int, int]]:
    """A meeting up to its minutes; 县公安局 reports, 县市场监管局 does not; the tasks by decision number."""
    mid = open_meeting(server, t)
    fire(server, t["gaj"], mid, "propose_topic", {"topic": "涉嫌犯罪案件移送衔接问题"}, "2025-09-02T10:00:00+08:00")
    fire(server, t["scjgj"], mid, "propose_topic", {"topic": "流动摊贩联合执法"}, "2025-09-03T10:00:00+08:00")
    fire(server, t["cgj"], mid, "propose_topic", {"topic": "渣土运输管理"}, "2025-09-03T11:00:00+08:00")
    fire(server, t["office"], mid, "submit_agenda", {"topics": [1, 2]}, "2025-09-04T10:00:00+08:00")
    fire(server, t["director"], mid, "approve_agenda", {"approved_by": "张副县长"}, "2025-09-05T10:00:00+08:00")
    fire(server, t["office"], mid, "send_notice", {
        "meeting_date": "2025-09-25", "meeting_time": "上午9时", "place": "县政府第三会议室", "chair": "张副县长",
        "invited": ["县人民检察院分管领导"], "reporting": ["gaj", "scjgj"], "reports_due": "2025-09-22"},
        "2025-09-10T10:00:00+08:00")
    fire(server, t["gaj"], mid, "submit_report", REPORT, "2025-09-20T10:00:00+08:00")
    server.tick("2025-09-23T00:00:01+08:00")  # 县市场监管局's report is overdue
    fire(server, t["office"], mid, "issue_minutes", {
        "held_on": "2025-09-25", "summary": "听取各单位汇报，研究移送衔接和联合执法。", "decisions": [
            {"decision": "建立涉嫌犯罪案件移送信息共享机制", "agencies": ["scjgj", "gaj"], "due_date": "2025-10-20"},
            {"decision": "制定流动摊贩联合执法方案", "agencies": ["cgj"], "due_date": "2025-11-10"}]},
        "2025-09-26T10:00:00+08:00")
    items = server.call("GET", f"/api/v1/cases?procedure={TASK}", t["office"]).body["items"]
    return mid, {c["data"]["decision_no"]: c["id"] for c in items}


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="浏览器测试需要 Debian 的 Chromium：apt-get install -y chromium（不使用 playwright install）")
def test_the_meeting_page_and_the_liaison_page_in_the_browser(server: Server, tmp_path: Path):
    """In Chromium: the office finds the meeting under 联席会议 and sees its agenda, who reported (县市场监管局 overdue), the minutes and both tasks, the lapsed one marked 逾期; a member unit sees only its own task; 联络员 lists the agencies without an officer, the reminder sent to 县城市管理局's officer, and the notices 县公安局 (no officer) was not told of."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    t = tokens(server)
    for username, name, role, agency in [("li", "李四", "reviewer", "sfj"), ("zhao", "赵六", "clerk", "cgj")]:
        made = user_cli(server.database_url, "create", "--username", username, "--name", name, "--role", role,
                        "--agency", agency, password=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    assert server.call("PUT", "/api/v1/agencies/cgj/liaison-officers", t["cgj"],
                       {"officers": [{"name": "陈静", "phone": "023-76622002", "post": "法规股股长"}]}).status == 200
    assert server.call("PUT", "/api/v1/agencies/scjgj/liaison-officers", t["scjgj"],
                       {"officers": [{"name": "周敏", "phone": "023-76623003"}]}).status == 200
    mid, tasks = meeting_with_minutes(server, t)
    fire(server, t["cgj"], tasks[2], "report_back", {"result": "方案已印发执行。"}, "2025-11-01T10:00:00+08:00")
    out = server.tick("2025-10-21T00:00:01+08:00").stdout  # the first task lapses; its officers are reminded
    assert out.startswith("fired 1"), out
    shots = screenshot_folder(server, tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def person(username: str):
            page = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN",
                                       timezone_id="Asia/Shanghai").new_page()
            page.goto(server.url + "/login")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(server.url + "/")
            return page

        office = person("li")
        office.get_by_role("link", name="联席会议", exact=True).click()
        office.get_by_role("link", name="2025年第三季度行政执法联席会议").click()
        assert office.url == f"{server.url}/meetings/{mid}"
        agenda = office.locator("#agenda tbody tr").all_inner_texts()
        assert [" ".join(r.split()) for r in agenda] == [
            "1 涉嫌犯罪案件移送衔接问题 县公安局 已审定", "2 流动摊贩联合执法 县市场监管局 已审定",
            "3 渣土运输管理 县城市管理局 未列入"]
        assert "2025年9月25日（周四）上午9时，在县政府第三会议室召开" in office.locator("#notice").inner_text()
        reports = office.locator("#reports tbody tr")
        assert "县公安局" in reports.nth(0).inner_text() and "已报送（2025年9月20日 10:00）" in reports.nth(0).inner_text()
        assert "县市场监管局" in reports.nth(1).inner_text() and "逾期" in reports.nth(1).inner_text()
        assert reports.nth(1).get_attribute("class") == "late"
        assert "秀山执联纪〔2025〕1号" in office.locator("#minutes").inner_text()
        rows = office.locator("#tasks tbody tr")
        assert rows.count() == 2
        first, second = rows.nth(0), rows.nth(1)
        assert "建立涉嫌犯罪案件移送信息共享机制" in first.inner_text() and "逾期未反馈" in first.inner_text()
        assert first.get_attribute("class") == "late" and first.locator(".tag.late").count() == 1
        assert "县市场监管局（牵头）、县公安局" in first.inner_text()
        assert "已反馈落实情况" in second.inner_text() and "方案已印发执行。" in second.inner_text()
        assert second.get_attribute("class") == "" and second.locator(".tag.late").count() == 0
        assert "其中 1 项逾期未反馈" in office.locator("#h-tasks + p").inner_text()
        office.screenshot(path=shots / "meeting.png", full_page=True)
        # The task's own page leads back to the meeting.
        first.get_by_role("link").click()
        office.get_by_role("link", name="所属联席会议").click()
        assert office.url == f"{server.url}/meetings/{mid}"

        office.get_by_role("link", name="联络员", exact=True).click()
        missing = office.locator("#missing").inner_text()
        assert "县公安局" in missing and "县市场监管局" not in missing and "县城市管理局" not in missing
        assert "未确定联络员的单位（" in office.locator("#h-missing").inner_text()
        sent = [" ".join(r.split()) for r in office.locator("#sent tbody tr").all_inner_texts()]
        to = lambda who: [r.split(" ", 2)[2].split(" 第 ")[0].split("“")[0] for r in sent if r.startswith(who)]  # noqa: E731
        notice = "关于召开行政执法联席会议的通知（秀山执联〔2025〕1号）"
        # The notice to both; the lapsed report date only to 县市场监管局, whose report is missing; the
        # lapsed task to its lead 县市场监管局 (县公安局, its other agency, has no officer to receive it).
        assert [x.split(" ")[0] for x in to("陈静")] == [notice], sent
        assert sorted(x.split(" ")[0] for x in to("周敏")) == sorted(
            [notice, "逾期提醒：2025年第三季度行政执法联席会议", "逾期提醒：秀山执联纪〔2025〕1号第1项：建立涉嫌犯罪案件移送信息共享机制"]), sent
        # 县公安局 named no officer: the notice and the task's reminder are listed as not told, with the reason.
        unsent = [r for r in sent if r.startswith("无（未登记联络员） 县公安局")]
        assert len(unsent) == 2 and all("未能通知：未登记联络员" in r for r in unsent), sent
        office.screenshot(path=shots / "liaison.png", full_page=True)

        # A member unit's clerk: the meeting, and of the tasks only its own; its own officers and notices.
        member = person("zhao")
        member.goto(f"{server.url}/meetings/{mid}")
        assert member.locator("#tasks tbody tr").count() == 1
        assert "制定流动摊贩联合执法方案" in member.locator("#tasks").inner_text()
        member.get_by_role("link", name="联络员", exact=True).click()
        assert member.locator("#missing").count() == 0
        assert {r.split()[1] for r in member.locator("#sent tbody tr").all_inner_texts()} == {"县城市管理局"}
        browser.close()
