"""行政执法案卷集中评查 (art. 25–28) end to end over HTTP, on SQLite and PostgreSQL: the panel, the
reproducible draw, cross review, collective review, art. 28 (59.99 opens exactly one case supervision,
even when both readings arrive at once; 60.00 does not), the result documents."""
from __future__ import annotations

import threading
from typing import Any

from .conftest import Server, fire, get_case, make_tokens
from .test_case_file_import import as_csv, upload

AGENCIES = ("scjgj", "gaj", "jw")
TYPES = ("行政处罚", "行政许可", "行政检查")
FAIL = {"evidence": 20, "procedure": 20, "documents": 0.01}  # 59.99
PASS = {"evidence": 20, "procedure": 20}  # 60.00
MEMBERS = [
    {"member_id": "m1", "name": "刘一", "role": "bureau_staff", "agency": "sfj"},
    {"member_id": "m2", "name": "陈二", "role": "agency_expert", "agency": "scjgj", "unit": "县市场监管局法规科"},
    {"member_id": "m3", "name": "张三", "role": "agency_expert", "agency": "gaj", "unit": "县公安局法制大队"},
    {"member_id": "m4", "name": "李四", "role": "judge", "unit": "秀山县人民法院"},
    {"member_id": "m5", "name": "王五", "role": "prosecutor", "unit": "秀山县人民检察院"},
]


def register_files(server: Server, token: str) -> None:
    rows = [[f"秀山{a}〔2025〕{i + 1}号", a, f"{a}第{i + 1}号案卷", TYPES[i % 3], "2025-06-30", "经办人"]
            for a in AGENCIES for i in range(6)]
    r = upload(server, token, as_csv(rows), "text/csv")
    assert r.status == 201, r.body


def reading(server: Server, token: str, case_id: int, file: str, member: str, deductions: dict[str, float],
            expect: int = 200) -> dict[str, Any]:
    return fire(server, token, case_id, "submit_score",
                {"file": file, "member": member, "deductions": deductions,
                 "findings": "扣分事由" if any(deductions.values()) else ""}, expect=expect)


def test_campaign_draw_cross_review_collective_review_and_article_28(server: Server):
    t = make_tokens(server.database_url, platform=("system", None), supervisor=("supervisor", None),
                    reviewer=("reviewer", "sfj"), clerk=("clerk", "scjgj"))
    register_files(server, t["platform"])
    r = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_file_evaluation", "agency": "sfj", "title": "2025年度行政执法案卷集中评查",
        "data": {"year": 2025}, "occurred_at": "2026-01-05T09:00:00+08:00"})
    assert r.status == 201, r.body
    campaign = r.body
    assert campaign["data"]["reviewers_per_file"] == 2
    # One campaign a year.
    assert server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_file_evaluation", "agency": "sfj", "title": "重复", "data": {"year": 2025}}).status == 422
    for m in MEMBERS:
        fire(server, t["supervisor"], campaign["id"], "add_member", m, "2026-01-05T10:00:00+08:00")

    draw = {"seed": 20260105, "default_size": 3,
            "sizes": [{"agency": "gaj", "size": 4, "reason": "全年行政处罚案件数量较多"}]}
    r = server.call("POST", f"/api/v1/case-file-evaluations/{campaign['id']}/draw", t["supervisor"], draw)
    assert r.status == 200, r.body
    files = r.body["data"]["files"]
    assert r.body["state"] == "reviewing" and r.body["data"]["seed"] == 20260105
    per_agency = {a: [f for f in files.values() if f["agency"] == a] for a in AGENCIES}
    assert {a: len(v) for a, v in per_agency.items()} == {"scjgj": 3, "gaj": 4, "jw": 3}
    # The types each agency has closed files of are all read (3 types, 3 or more files each).
    assert all({f["case_type"] for f in v} == {"penalty", "licensing", "inspection"} for v in per_agency.values())
    # Cross review: two readers per file, never of the file's agency.
    agency_of = {m["member_id"]: m.get("agency") for m in MEMBERS}
    for f in files.values():
        assert len(f["reviewers"]) == 2 and all(agency_of[m] != f["agency"] for m in f["reviewers"]), f

    # Drawn again with the same seed: the same sample; the evaluation notice lists it.
    again = server.call("GET", f"/api/v1/case-file-evaluations/{campaign['id']}/redraw", t["clerk"])
    assert again.status == 403  # a bureau case: the agencies read the sample in the notice
    again = server.call("GET", f"/api/v1/case-file-evaluations/{campaign['id']}/redraw", t["reviewer"])
    assert again.status == 200 and again.body["matches_recorded"] is True
    assert again.body["sample"] == r.body["data"]["sample"] and sorted(again.body["sample"]) == sorted(files)
    other = server.call("GET", f"/api/v1/case-file-evaluations/{campaign['id']}/redraw?seed=7", t["reviewer"]).body
    assert other["matches_recorded"] is False
    [notice] = [d for d in r.body["documents"] if d["kind"] == "evaluation_notice"]
    assert notice["number"].startswith("秀山司评〔2026〕")

    numbers = r.body["data"]["sample"]
    failing, passing, disputed, rest = numbers[0], numbers[1], numbers[2], numbers[3:]
    f_fail = files[failing]
    # A member not assigned to a file (say of its own agency) cannot score it.
    stranger = next(m["member_id"] for m in MEMBERS if m["member_id"] not in f_fail["reviewers"])
    reading(server, t["reviewer"], campaign["id"], failing, stranger, {}, expect=409)

    # 59.99 from both readers, submitted at the same moment: exactly one supervision case.
    answers: list[int] = []
    threads = [threading.Thread(target=lambda m=m: answers.append(server.call(
        "POST", f"/api/v1/cases/{campaign['id']}/events", t["reviewer"],
        {"trigger": "submit_score", "payload": {"file": failing, "member": m, "deductions": FAIL,
                                                "findings": "主要证据缺失\n未履行告知程序\n送达回证缺日期"}}).status))
               for m in f_fail["reviewers"]]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(answers) == [200, 200]
    for m in files[passing]["reviewers"]:
        reading(server, t["reviewer"], campaign["id"], passing, m, PASS)
    a, b = files[disputed]["reviewers"]
    reading(server, t["reviewer"], campaign["id"], disputed, a, {})
    reading(server, t["reviewer"], campaign["id"], disputed, b, {"evidence": 15})  # 100 vs 85: spread 15 > 10
    # The same reader cannot score twice (independent reading).
    reading(server, t["reviewer"], campaign["id"], disputed, b, {}, expect=409)
    for n in rest:
        for m in files[n]["reviewers"]:
            reading(server, t["reviewer"], campaign["id"], n, m, {"documents": 2})
    state = get_case(server, t["supervisor"], campaign["id"])
    assert state["data"]["files"][failing]["final"]["score"] == "59.99"
    assert state["data"]["files"][failing]["final"]["grade"] == "不合格"
    assert state["data"]["files"][passing]["final"] | {"how": None} == {
        "score": "60.00", "grade": "合格", "band": "60分以上（含60分）、不满80分", "how": None}
    assert state["data"]["files"][disputed]["status"] == "collective"
    fire(server, t["supervisor"], campaign["id"], "summarise", expect=409)  # not all final yet
    fire(server, t["supervisor"], campaign["id"], "decide_collectively",
         {"file": disputed, "deductions": {"evidence": 8}, "findings": "个别证据未标明来源",
          "minutes": "评查组集体评议：证据基本充分，酌情扣8分"})

    supervision = server.call("GET", "/api/v1/cases?procedure=case_supervision", t["supervisor"]).body["items"]
    assert len(supervision) == 1
    [case] = supervision
    assert case["agency"] == f_fail["agency"] and case["state"] == "investigating"
    assert case["data"]["grounds"] == ["case_file_score"] and case["data"]["score"] == 59.99
    assert case["data"]["reference"] == f"案卷评查/{failing}"
    state = get_case(server, t["supervisor"], campaign["id"])
    assert state["data"]["linked_cases"] == [{"procedure": "case_supervision", "case_id": case["id"],
                                              "key": f"案卷评查/{failing}"}]
    # The supervision case can only end in the opinion (art. 28): no closing without finding.
    fire(server, t["supervisor"], case["id"], "close_no_violation", {"findings": "无"}, expect=409)
    opinion = fire(server, t["supervisor"], case["id"], "issue_opinion", {"findings": "主要证据缺失"})
    assert [d["kind"] for d in opinion["documents"]] == ["supervision_opinion"]

    summarised = fire(server, t["supervisor"], campaign["id"], "summarise")
    summary = summarised["data"]["summary"]
    # 7 files at 98.00, the disputed one decided at 92.00, one at 60.00 and one at 59.99.
    assert summary["county"] == {"files": 10, "grades": {"优秀": 8, "良好": 0, "合格": 1, "不合格": 1}, "failing": 1}
    failing_agency = next(a for a in summary["agencies"] if a["agency"] == f_fail["agency"])
    assert failing_agency["failing"] == [failing] and failing_agency["errors"]["evidence"] >= 1
    assert [d["kind"] for d in summarised["documents"]].count("evaluation_bulletin") == 1
    fire(server, t["supervisor"], campaign["id"], "conclude", expect=409)  # letters first
    for agency in AGENCIES:
        fire(server, t["supervisor"], campaign["id"], "issue_result_letter", {"agency": agency})
    fire(server, t["supervisor"], campaign["id"], "issue_result_letter", {"agency": "gaj"}, expect=409)
    done = fire(server, t["supervisor"], campaign["id"], "conclude")
    assert done["state"] == "concluded"
    assert [d["kind"] for d in done["documents"]].count("evaluation_result_letter") == 3
    assert len(server.call("GET", "/api/v1/cases?procedure=case_supervision", t["supervisor"]).body["items"]) == 1


def test_procedures_lists_both_with_their_articles(server: Server):
    t = make_tokens(server.database_url, clerk=("clerk", "gaj"))
    items = {p["name"]: p for p in server.call("GET", "/api/v1/procedures", t["clerk"]).body["items"]}
    for name in ("case_file_self_review", "case_file_evaluation"):
        p = items[name]
        assert all(s["basis"] for s in p["states"]) and all(tr["basis"] for tr in p["transitions"])
        assert all("第2" in d["basis"] for d in p["deadlines"])
    assert [d["name"] for d in items["case_file_self_review"]["deadlines"]] == ["self_review"]
