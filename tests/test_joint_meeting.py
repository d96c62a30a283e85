"""行政执法联席会议 (attachment 1 art. 2–5, 8) end to end over HTTP, on SQLite and PostgreSQL.

A meeting from the first topic to its minutes, then the tasks the minutes open: one reported
back in time, one that lapses (`xsflow tick --now`) and is listed overdue until reported late.

Agencies: 县司法局 (sfj) is the meeting's office; 县公安局 (gaj), 县市场监管局 (scjgj) and
县城市管理局 (cgj) are called to the meeting; 县教委 (jw) is not.
"""
from __future__ import annotations

from .conftest import Server, fire, get_case, make_tokens
from .test_dispute_coordination import document_lines

JM, TASK = "joint_meeting", "joint_meeting_task"
MEMBERS = ["gaj", "scjgj", "cgj"]

REPORT = {
    "three_systems": "行政执法公示、执法全过程记录、重大执法决定法制审核制度均已落实。",
    "responsibility": "执法责任已分解到岗到人。",
    "power_list": "权力清单已于2025年6月动态调整。",
    "discretion": "裁量权基准已公布执行。",
}


def tokens(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, office=("reviewer", "sfj"), director=("supervisor", None),
                       gaj=("clerk", "gaj"), scjgj=("clerk", "scjgj"), cgj=("clerk", "cgj"), jw=("clerk", "jw"))


def docx_text(server: Server, token: str, document_id: int) -> str:
    return "\n".join(document_lines(server, token, document_id))


def overdue(server: Server, token: str, procedure: str) -> list[tuple[int, str]]:
    r = server.call("GET", f"/api/v1/overdue?procedure={procedure}", token)
    assert r.status == 200, r.body
    return [(i["case_id"], i["deadline"]) for i in r.body["items"]]


def open_meeting(server: Server, t: dict[str, str]) -> int:
    r = server.call("POST", "/api/v1/cases", t["office"], {
        "procedure": JM, "agency": "sfj", "title": "2025年第三季度行政执法联席会议",
        "occurred_at": "2025-09-01T09:00:00+08:00", "data": {"members": MEMBERS}})
    assert r.status == 201, r.body
    return r.body["id"]


def test_meeting_from_topics_to_minutes_and_tasks(server: Server):
    t = tokens(server)
    mid = open_meeting(server, t)
    # Member units propose topics for themselves; a clerk cannot propose in another unit's name,
    # and a unit not called to the meeting does not see it.
    fire(server, t["gaj"], mid, "propose_topic", {"topic": "涉嫌犯罪案件移送衔接问题"}, "2025-09-02T10:00:00+08:00")
    fire(server, t["scjgj"], mid, "propose_topic", {"topic": "流动摊贩联合执法", "description": "与城管局职责交叉"},
         "2025-09-03T10:00:00+08:00")
    fire(server, t["gaj"], mid, "propose_topic", {"topic": "冒名", "agency": "scjgj"}, "2025-09-03T11:00:00+08:00",
         expect=403)
    fire(server, t["jw"], mid, "propose_topic", {"topic": "无关"}, "2025-09-03T11:00:00+08:00", expect=403)
    case = fire(server, t["office"], mid, "submit_agenda", {"topics": [1, 2]}, "2025-09-04T10:00:00+08:00")
    assert case["state"] == "awaiting_approval"
    fire(server, t["office"], mid, "approve_agenda", {"approved_by": "张副县长"}, "2025-09-05T10:00:00+08:00",
         expect=403)  # the director's approval is not the office's to record
    fire(server, t["director"], mid, "approve_agenda", {"approved_by": "张副县长"}, "2025-09-05T10:00:00+08:00")

    notice = {"meeting_date": "2025-09-25", "meeting_time": "上午9时", "place": "县政府第三会议室",
              "chair": "张副县长", "invited": ["县人民法院分管领导", "县人民检察院分管领导"],
              "reporting": ["gaj", "scjgj"], "reports_due": "2025-09-22"}
    bad = fire(server, t["office"], mid, "send_notice", {**notice, "reports_due": "2025-09-26"},
               "2025-09-10T10:00:00+08:00", expect=409)
    assert "早于会议日期" in bad["error"]["message"]
    case = fire(server, t["office"], mid, "send_notice", notice, "2025-09-10T10:00:00+08:00")
    assert case["state"] == "notified"
    [reports] = [d for d in case["deadlines"] if d["name"] == "reports"]
    assert reports["due_date"] == "2025-09-22"
    [doc] = case["documents"]
    assert doc["number"] == "秀山执联〔2025〕1号"
    text = docx_text(server, t["gaj"], doc["id"])
    for words in ("2025年9月25日上午9时在县政府第三会议室", "县人民法院分管领导、县人民检察院分管领导",
                  "涉嫌犯罪案件移送衔接问题（县公安局提出）", "请县公安局、县市场监管局", "2025年9月22日24时前",
                  "三项制度的落实情况、责任制落实情况、权力清单管理情况、裁量权基准落实情况"):
        assert words in text, words

    # 县公安局 reports in time; 县城市管理局 was not asked to; 县市场监管局 misses the date.
    fire(server, t["gaj"], mid, "submit_report", REPORT, "2025-09-20T10:00:00+08:00")
    fire(server, t["cgj"], mid, "submit_report", REPORT, "2025-09-20T11:00:00+08:00", expect=409)
    assert server.tick("2025-09-23T00:00:01+08:00").stdout.startswith("fired 1")
    assert (mid, "reports") in overdue(server, t["office"], JM)
    case = get_case(server, t["office"], mid)
    assert (case["state"], case["data"]["reports_missing_at_due"]) == ("reports_overdue", ["scjgj"])

    minutes = {"held_on": "2025-09-25", "summary": "传达学习上级关于行政执法体制改革的精神。\n听取各单位汇报。",
               "decisions": [
                   {"decision": "建立涉嫌犯罪案件移送信息共享机制", "agencies": ["gaj", "scjgj"], "due_date": "2025-10-20"},
                   {"decision": "制定流动摊贩联合执法方案", "agencies": ["cgj"], "due_date": "2025-11-10"}]}
    fire(server, t["office"], mid, "issue_minutes", {**minutes, "decisions": [
        {"decision": "无主", "agencies": ["jw"], "due_date": "2025-10-20"}]}, "2025-09-26T10:00:00+08:00", expect=409)
    case = fire(server, t["office"], mid, "issue_minutes", minutes, "2025-09-26T10:00:00+08:00")
    assert case["state"] == "minutes_issued"
    assert (mid, "reports") not in overdue(server, t["office"], JM)
    number = case["documents"][-1]["number"]
    assert number == "秀山执联纪〔2025〕1号"
    text = docx_text(server, t["cgj"], case["documents"][-1]["id"])
    assert "会议听取了县公安局的行政执法工作汇报" in text and "县市场监管局未按通知要求报送汇报材料" in text
    assert "建立涉嫌犯罪案件移送信息共享机制（承办单位：县公安局、县市场监管局，县公安局牵头" in text

    # Each decision is now a task of the agencies it names, due on the date the minutes set.
    r = server.call("GET", f"/api/v1/cases?procedure={TASK}", t["office"])
    tasks = {c["data"]["decision_no"]: c for c in r.body["items"]}
    assert set(tasks) == {1, 2}
    first, second = tasks[1], tasks[2]
    assert (first["agency"], first["data"]["meeting_case"], first["data"]["reference"]) == ("gaj", mid, f"{number}第1项")
    assert [(d["name"], d["due_date"]) for d in first["deadlines"]] == [("task", "2025-10-20")]
    scjgj_sees = [c["id"] for c in server.call("GET", f"/api/v1/cases?procedure={TASK}", t["scjgj"]).body["items"]]
    assert scjgj_sees == [first["id"]]

    # The second is reported back in time and confirmed.
    fire(server, t["cgj"], second["id"], "report_back", {"result": "方案已印发。"}, "2025-11-01T10:00:00+08:00")
    assert fire(server, t["office"], second["id"], "confirm_done", None, "2025-11-03T10:00:00+08:00")["state"] == "completed"

    # The first lapses at 24:00 on 20 October: overdue until reported, late.
    assert server.tick("2025-10-21T00:00:01+08:00").stdout.startswith("fired 1")
    late = get_case(server, t["office"], first["id"])
    assert late["state"] == "overdue"
    assert [(d["name"], d["status"]) for d in late["deadlines"]] == [("task", "lapsed")]
    assert overdue(server, t["office"], TASK) == [(first["id"], "task")]
    assert overdue(server, t["gaj"], TASK) == [(first["id"], "task")]
    assert overdue(server, t["cgj"], TASK) == []
    fire(server, t["scjgj"], first["id"], "report_back", {"result": "机制已建立。"}, "2025-11-05T10:00:00+08:00")
    assert overdue(server, t["office"], TASK) == []
    history = server.call("GET", f"/api/v1/cases/{first['id']}/history", t["office"]).body["items"]
    assert [h["trigger"] for h in history] == ["open", "task_lapsed", "report_back"]
    assert history[-1]["payload"]["agency"] == "scjgj"


def test_the_procedures_are_listed_with_their_articles(server: Server):
    t = tokens(server)
    r = server.call("GET", f"/api/v1/procedures/{JM}", t["office"])
    assert r.status == 200, r.body
    text = str(r.body)
    assert "《秀山自治县行政执法联席会议制度》第2条" in text and "第5条" in text
    names = [p["name"] for p in server.call("GET", "/api/v1/procedures", t["office"]).body["items"]]
    assert {JM, TASK} <= set(names)
