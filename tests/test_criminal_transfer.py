"""涉嫌犯罪案件移送 (《行政执法机关移送涉嫌犯罪案件的规定》) over HTTP on SQLite and PostgreSQL.

Every period is "3日": calendar days, the last one rolled past a rest day (民法典 第二百零三条). Across
National Day 2025 (1–8 October off; Sunday 28 September and Saturday 11 October worked), by hand:
- report received Sun 28 Sep (a worked day) → 3rd day Wed 1 Oct, a holiday → last day Thu 9 Oct;
- transferred Tue 30 Sep → 3rd day Fri 3 Oct, a holiday → Thu 9 Oct;
- refusal notified Thu 9 Oct → 3rd day Sun 12 Oct, a rest day → Mon 13 Oct;
- reconsideration asked Mon 13 Oct → Thu 16 Oct (no rest day in reach).
The days between count whatever they are; only the last day is moved.
"""
from __future__ import annotations

from typing import Any

from .conftest import Server, fire, get_case, make_tokens

CT = "criminal_transfer"
AGENCY = "scjgj"  # 县市场监管局


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", AGENCY), police=("clerk", "gaj"),
                       procuratorate=("procuratorate", "jcy"), other=("clerk", "jtj"), supervisor=("supervisor", None))


def found(server: Server, token: str, number: str, occurred_at: str) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", token, {
        "procedure": CT, "agency": AGENCY, "title": "某公司销售伪劣产品案",
        "data": {"case_number": number, "suspected_offence": "生产、销售伪劣产品罪"}, "occurred_at": occurred_at})
    assert r.status == 201, r.body
    return r.body


def deadline(case: dict[str, Any], name: str) -> dict[str, Any]:
    [d] = [d for d in case["deadlines"] if d["name"] == name]
    return d


REPORT = {"team": "执法人员张某、李某", "facts": "销售金额经核实为人民币28万元，超过5万元的立案追诉标准。"}
TRANSFER = {"transfer_number": "秀山市监移〔2025〕1号", "materials": "调查报告、涉案物品清单、检验报告"}


def test_a_transfer_through_each_3_day_period_across_national_day(server: Server) -> None:
    t = people(server)
    case = found(server, t["clerk"], "秀山市监罚〔2025〕101号", "2025-09-26T10:00:00+08:00")
    assert case["state"] == "found" and sorted(case["parties"]) == ["gaj", "jcy"]
    cid = case["id"]
    # The procuratorate and the police see it (art. 14, 8); another agency does not.
    assert get_case(server, t["procuratorate"], cid)["title"] == "某公司销售伪劣产品案"
    assert [c["id"] for c in server.call("GET", f"/api/v1/cases?procedure={CT}", t["procuratorate"]).body["items"]] == [cid]
    assert server.call("GET", f"/api/v1/cases/{cid}", t["other"]).status == 403

    # Art. 5: the head decides within 3 days of the report, received on Sunday 28 September (a worked day).
    case = fire(server, t["clerk"], cid, "submit_report", REPORT, "2025-09-28T10:00:00+08:00")
    d = deadline(case, "approval")
    assert (d["period"], d["due_date"], d["lapses_at"]) == ({"kind": "days", "length": 3, "start_date": "2025-09-28"},
                                                            "2025-10-09", "2025-10-09T16:00:00Z")
    assert "第五条" in d["basis"]
    # On 8 October (the last holiday) the decision is not yet late (the server's own clock is later:
    # the sweep's mark is what tells).
    server.tick("2025-10-08T23:00:00+08:00")
    assert deadline(get_case(server, t["supervisor"], cid), "approval")["overdue"] is False
    case = fire(server, t["clerk"], cid, "approve", {"reasons": "同意移送。"}, "2025-10-09T16:00:00+08:00")
    assert case["state"] == "approved" and deadline(case, "approval")["status"] == "met"

    # Art. 8: the police decide within 3 days of receiving it.
    case = fire(server, t["clerk"], cid, "transfer", TRANSFER, "2025-10-10T09:00:00+08:00")
    d = deadline(case, "filing_decision")
    assert (d["due_date"], d["lapses_at"]) == ("2025-10-13", "2025-10-13T16:00:00Z")  # Fri 10 + 3 = Mon 13
    case = fire(server, t["police"], cid, "refuse_filing",
                {"notice_number": "秀公（经）不立字〔2025〕7号", "reasons": "犯罪事实显著轻微。"}, "2025-10-13T17:00:00+08:00")
    assert case["state"] == "filing_refused" and deadline(case, "filing_decision")["status"] == "met"

    # Art. 9 para 1: the agency may ask for reconsideration within 3 days of the notice: Thu 16 October.
    d = deadline(case, "reconsideration_request")
    assert (d["due_date"], d["service_level"]) == ("2025-10-16", False)
    case = fire(server, t["clerk"], cid, "request_reconsideration", {"reasons": "销售金额已达追诉标准。"},
                "2025-10-16T20:00:00+08:00")
    # Art. 9 para 2: answered within 3 days of the request: Sun 19 October, a rest day → Mon 20 October.
    d = deadline(case, "reconsideration_decision")
    assert (d["due_date"], d["service_level"]) == ("2025-10-20", True)
    # Not answered by then: overdue for the bureau and the procuratorate, and nothing moves by itself.
    server.tick("2025-10-20T23:59:00+08:00")
    assert deadline(get_case(server, t["supervisor"], cid), "reconsideration_decision")["overdue"] is False
    server.tick("2025-10-21T00:00:30+08:00")
    assert deadline(get_case(server, t["supervisor"], cid), "reconsideration_decision")["overdue"] is True
    listed = server.call("GET", f"/api/v1/overdue?procedure={CT}", t["procuratorate"]).body["items"]
    assert [(i["case_id"], i["deadline"]) for i in listed] == [(cid, "reconsideration_decision")]
    assert get_case(server, t["supervisor"], cid)["state"] == "under_reconsideration"
    # The late decision is still recorded, and lapsed.
    case = fire(server, t["police"], cid, "open_criminal_case", {"notice_number": "秀公（经）立字〔2025〕9号"},
                "2025-10-22T10:00:00+08:00")
    assert case["state"] == "filed" and deadline(case, "reconsideration_decision")["status"] == "lapsed"
    # Art. 12: evidence handed over within 3 days of the filing notice.
    assert deadline(case, "handover")["due_date"] == "2025-10-27"  # Wed 22 + 3 = Sat 25 → Mon 27
    case = fire(server, t["clerk"], cid, "hand_over", {"reasons": "涉案物品清单所列物品已移交。"}, "2025-10-24T10:00:00+08:00")
    assert case["state"] == "handed_over" and case["closed"]


def test_the_right_to_ask_for_reconsideration_lapses_across_the_holiday(server: Server) -> None:
    t = people(server)
    cid = found(server, t["clerk"], "秀山市监罚〔2025〕102号", "2025-09-25T10:00:00+08:00")["id"]
    fire(server, t["clerk"], cid, "submit_report", REPORT, "2025-09-25T11:00:00+08:00")
    fire(server, t["clerk"], cid, "approve", {}, "2025-09-25T15:00:00+08:00")
    case = fire(server, t["clerk"], cid, "transfer", TRANSFER, "2025-09-25T16:00:00+08:00")
    assert deadline(case, "filing_decision")["due_date"] == "2025-09-28"  # Sun 28 September is a worked day
    # The police record their written refusal, notified on Sunday 28 September.
    case = fire(server, t["police"], cid, "refuse_filing", {"notice_number": "秀公不立字〔2025〕8号"},
                "2025-09-28T10:00:00+08:00")
    assert deadline(case, "reconsideration_request")["due_date"] == "2025-10-09"  # Wed 1 Oct → Thu 9 Oct
    server.tick("2025-10-09T23:00:00+08:00")
    assert get_case(server, t["clerk"], cid)["state"] == "filing_refused"
    server.tick("2025-10-10T00:00:30+08:00")
    case = get_case(server, t["clerk"], cid)
    assert case["state"] == "returned" and deadline(case, "reconsideration_request")["status"] == "lapsed"


def test_a_case_closed_with_a_fine_instead_of_a_transfer_is_listed_for_the_bureau(server: Server) -> None:
    t = people(server)
    cid = found(server, t["clerk"], "秀山市监罚〔2025〕77号", "2025-06-02T10:00:00+08:00")["id"]
    bad = server.call("POST", f"/api/v1/cases/{cid}/events", t["clerk"], {
        "trigger": "flag_not_transferred", "payload": {"penalty_decision": "秀山市监罚〔2025〕77号", "fine_yuan": "多"}})
    assert bad.status == 422 and "fine_yuan" in bad.body["error"]["fields"], bad.body
    fire(server, t["clerk"], cid, "flag_not_transferred",
         {"penalty_decision": "秀山市监罚〔2025〕77号", "fine_yuan": "150000.00",
          "threshold": "销售金额28万元，达到生产、销售伪劣产品罪5万元的立案追诉标准。"}, "2025-06-02T11:00:00+08:00")
    listed = server.call("GET", f"/api/v1/cases?procedure={CT}&state=not_transferred", t["supervisor"]).body["items"]
    assert [c["id"] for c in listed] == [cid]
    assert listed[0]["data"]["not_transferred"]["fine_yuan"] == "150000.00"
    # Transferred after all (art. 11: a penalty does not replace the transfer): it leaves the list.
    fire(server, t["clerk"], cid, "submit_report", REPORT, "2025-06-03T09:00:00+08:00")
    assert server.call("GET", f"/api/v1/cases?procedure={CT}&state=not_transferred",
                       t["supervisor"]).body["items"] == []


def test_procedures_list_both_with_their_articles(server: Server) -> None:
    t = people(server)
    items = {p["name"]: p for p in server.call("GET", "/api/v1/procedures", t["clerk"]).body["items"]}
    transfer = items[CT]
    bases = {d["name"]: d["basis"] for d in transfer["deadlines"]}
    assert "第五条" in bases["approval"] and "第八条" in bases["filing_decision"]
    assert "第九条" in bases["reconsideration_request"] and "第九条" in bases["reconsideration_decision"]
    assert all("行政执法机关移送涉嫌犯罪案件的规定" in b for b in bases.values())
    report = items["annual_report"]
    assert "第六条" in report["basis"] and "12月31日" in report["deadlines"][0]["basis"]


def test_the_procuratorate_reads_transfers_and_nothing_else_and_fires_nothing(server: Server) -> None:
    """The read-only `procuratorate` role (国务院令第310号 第十四条): transfers listed, their pages and
    history; every trigger refused; a meeting it is called to and other cases unseen."""
    t = people(server)
    office = make_tokens(server.database_url, office=("reviewer", "sfj"))["office"]
    cid = found(server, t["clerk"], "秀山市监罚〔2025〕55号", "2025-06-02T10:00:00+08:00")["id"]
    fire(server, t["clerk"], cid, "flag_not_transferred",
         {"penalty_decision": "秀山市监罚〔2025〕55号", "fine_yuan": "80000.00",
          "threshold": "销售金额12万元，达到5万元的立案追诉标准。"}, "2025-06-02T11:00:00+08:00")
    meeting = server.call("POST", "/api/v1/cases", office, {
        "procedure": "joint_meeting", "agency": "sfj", "title": "2025年第三季度行政执法联席会议",
        "data": {"members": ["jcy", AGENCY]}, "occurred_at": "2025-06-03T09:00:00+08:00"}).body["id"]
    p = t["procuratorate"]

    listed = server.call("GET", "/api/v1/cases?limit=200", p).body["items"]
    assert [(c["id"], c["procedure"]) for c in listed] == [(cid, CT)]
    flagged = server.call("GET", f"/api/v1/cases?procedure={CT}&state=not_transferred", p).body["items"]
    assert [c["id"] for c in flagged] == [cid]
    case = get_case(server, p, cid)
    assert case["state"] == "not_transferred" and case["available_triggers"] == []
    assert [h["trigger"] for h in server.call("GET", f"/api/v1/cases/{cid}/history", p).body["items"]] == [
        "open", "flag_not_transferred"]
    # Fires nothing: not the agency's steps, not the police's; opens nothing.
    for trigger, payload in (("submit_report", REPORT), ("open_criminal_case", {"notice_number": "秀公立〔2025〕1号"})):
        r = server.call("POST", f"/api/v1/cases/{cid}/events", p, {"trigger": trigger, "payload": payload})
        assert r.status == 403 and "无权办理" in r.body["error"]["message"], r.body
    r = server.call("POST", "/api/v1/cases", p, {"procedure": CT, "agency": "jcy", "title": "x",
                                                  "data": {"case_number": "检-1"}})
    assert r.status == 403
    assert get_case(server, t["supervisor"], cid)["version"] == case["version"]
    # Nothing else: the meeting it is a member of, and the procedures' lists of other kinds.
    assert server.call("GET", f"/api/v1/cases/{meeting}", p).status == 403
    assert server.call("GET", "/api/v1/cases?procedure=joint_meeting", p).body["items"] == []
    assert server.call("GET", "/api/v1/todo", p).body == {"items": [], "next": None, "total": 0}
    assert server.call("GET", "/api/v1/statistics/totals", p).status == 403
    assert server.call("GET", "/api/v1/liaison-officers/missing", p).status == 403
    # A procuratorate token must name its agency.
    from .conftest import cli

    bad = cli(server.database_url, "token", "create", "--name", "检察院", "--role", "procuratorate")
    assert bad.returncode == 2 and "必须指定所属单位" in bad.stderr, bad.stderr


def test_each_side_records_its_own_steps_only(server: Server) -> None:
    """Both the agency's and the police's staff are clerks: each step names the side that acts (the
    transferring agency: art. 5, 6, 9, 12; the police: art. 8, 9), refused 403 to the other side with
    the side named, changing nothing; each is offered only its own side's steps."""
    t = people(server)
    cid = found(server, t["clerk"], "秀山市监罚〔2025〕103号", "2025-09-22T10:00:00+08:00")["id"]

    def refused(who: str, trigger: str, payload: dict[str, Any], side: str) -> None:
        before = get_case(server, t["supervisor"], cid)
        r = server.call("POST", f"/api/v1/cases/{cid}/events", t[who], {"trigger": trigger, "payload": payload})
        assert r.status == 403, r.body
        assert f"应由{side}办理" in r.body["error"]["message"] and "无权办理" in r.body["error"]["message"], r.body
        assert get_case(server, t["supervisor"], cid)["version"] == before["version"]

    # The police see the case but do not report, approve or transfer it for the agency.
    assert get_case(server, t["police"], cid)["available_triggers"] == []
    assert server.call("GET", "/api/v1/todo", t["police"]).body["items"] == []
    refused("police", "submit_report", REPORT, "移送案件的行政执法机关")
    fire(server, t["clerk"], cid, "submit_report", REPORT, "2025-09-22T11:00:00+08:00")
    refused("police", "approve", {}, "移送案件的行政执法机关")
    fire(server, t["clerk"], cid, "approve", {}, "2025-09-22T15:00:00+08:00")
    refused("police", "transfer", TRANSFER, "移送案件的行政执法机关")
    case = fire(server, t["clerk"], cid, "transfer", TRANSFER, "2025-09-22T16:00:00+08:00")
    # Transferred: the decision is the police's; the agency is offered nothing and refused.
    assert case["available_triggers"] == []
    assert get_case(server, t["police"], cid)["available_triggers"] == ["open_criminal_case", "refuse_filing"]
    todo = lambda who: [(i["case_id"], i["triggers"]) for i in server.call("GET", "/api/v1/todo", t[who]).body["items"]]
    assert todo("police") == [(cid, ["open_criminal_case", "refuse_filing"])] and todo("clerk") == []
    notice = {"notice_number": "秀公不立字〔2025〕9号", "reasons": "不构成犯罪。"}
    refused("clerk", "refuse_filing", notice, "公安机关")
    refused("clerk", "open_criminal_case", notice, "公安机关")
    case = fire(server, t["police"], cid, "refuse_filing", notice, "2025-09-23T10:00:00+08:00")
    assert case["state"] == "filing_refused" and case["available_triggers"] == []  # the police's view
    # The reconsideration is the agency's to ask for, the decision the police's.
    refused("police", "request_reconsideration", {"reasons": "已达追诉标准。"}, "移送案件的行政执法机关")
    fire(server, t["clerk"], cid, "request_reconsideration", {"reasons": "已达追诉标准。"}, "2025-09-24T10:00:00+08:00")
    refused("clerk", "uphold_refusal", notice, "公安机关")
    case = fire(server, t["police"], cid, "uphold_refusal", notice, "2025-09-25T10:00:00+08:00")
    assert case["state"] == "returned"
    assert [(h["trigger"], h["actor_role"]) for h in server.call(
        "GET", f"/api/v1/cases/{cid}/history", t["supervisor"]).body["items"]][-2:] == [
        ("request_reconsideration", "clerk"), ("uphold_refusal", "clerk")]

    # The procedure says who acts in each step.
    proc = server.call("GET", f"/api/v1/procedures/{CT}", t["clerk"]).body
    sides = {tr["trigger"]: tr["acting_side_title"] for tr in proc["transitions"]}
    assert sides["refuse_filing"] == sides["uphold_refusal"] == sides["open_criminal_case"] == "公安机关"
    assert sides["submit_report"] == sides["hand_over"] == "移送案件的行政执法机关"
    assert sides["reconsideration_request_lapsed"] is None
