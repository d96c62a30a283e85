"""行政执法案卷自我评查 (art. 24) end to end over HTTP, on SQLite and PostgreSQL.

The server reads the real clock, so closings lie in the past (2025) and the 30 days lapse only by
`xsflow tick --now`. Every last day is worked out by hand in the comments (2025's National Day:
1–8 October off, Saturday 11 October a make-up working day).
"""
from __future__ import annotations

import re
from typing import Any

from .conftest import Server, fire, get_case, make_tokens

PROC = "case_file_self_review"
UNIT = "scjgj"  # 县市场监管局
OTHER = "gaj"


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), other_clerk=("clerk", OTHER),
                       platform=("system", UNIT), supervisor=("supervisor", None))


def register(server: Server, token: str, number: str, closed_at: str, *, agency: str = UNIT,
             case_type: str = "penalty", expect: int = 201) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", token, {
        "procedure": PROC, "agency": agency, "title": f"{number}案卷",
        "data": {"case_number": number, "case_type": case_type, "handler": "张三、李四"},
        "occurred_at": closed_at})
    assert r.status == expect, r.body
    return r.body


def the_deadline(case: dict[str, Any]) -> dict[str, Any]:
    [d] = [d for d in case["deadlines"] if d["name"] == "self_review"]
    return d


def fired(server: Server, now: str) -> int:
    out = server.tick(now).stdout
    m = re.search(r"^fired (\d+)$", out, re.M)
    assert m, out
    return int(m.group(1))


def test_file_closed_on_national_day_eve_is_due_30_days_later_and_lapses_into_overdue(server: Server):
    """Closed 2025-09-30: the 30 days run 1 October – 30 October (a Thursday, a working day: no roll-over);
    a file closed 2025-09-01 would end on 1 October, a holiday, so its last day rolls over to 9 October."""
    t = people(server)
    eve = register(server, t["clerk"], "秀山市监罚〔2025〕301号", "2025-09-30T17:30:00+08:00")
    assert eve["state"] == "awaiting_self_review"
    assert the_deadline(eve)["due_date"] == "2025-10-30"
    early = register(server, t["clerk"], "秀山市监罚〔2025〕201号", "2025-09-01T10:00:00+08:00")
    assert the_deadline(early)["due_date"] == "2025-10-09"  # 1 Oct is the 30th day, a holiday: rolled over

    # The last day is still in time: nothing lapses at 23:59 of it, the next second it does.
    fired(server, "2025-10-09T23:59:00+08:00")
    assert get_case(server, t["clerk"], early["id"])["state"] == "awaiting_self_review"
    assert fired(server, "2025-10-10T00:00:01+08:00") == 1
    assert get_case(server, t["clerk"], early["id"])["state"] == "self_review_overdue"
    assert fired(server, "2025-10-30T23:59:00+08:00") == 0
    assert get_case(server, t["clerk"], eve["id"])["state"] == "awaiting_self_review"
    assert fired(server, "2025-10-31T00:00:01+08:00") == 1
    case = get_case(server, t["clerk"], eve["id"])
    assert case["state"] == "self_review_overdue"

    r = server.call("GET", f"/api/v1/overdue?procedure={PROC}", t["supervisor"])
    assert r.status == 200, r.body
    assert {i["case_id"] for i in r.body["items"]} == {eve["id"], early["id"]}

    # A late self-review is still recorded, as late, with the score and its grade.
    late = fire(server, t["clerk"], eve["id"], "self_review",
                {"deductions": {"evidence": 5, "documents": 0.5}, "findings": "询问笔录未经当事人签名\n送达回证填写不全",
                 "reviewer": "王五"}, "2025-11-03T09:00:00+08:00")
    assert late["state"] == "self_reviewed"
    assert late["data"]["self_review"]["late"] is True
    assert late["data"]["self_review"]["score"] == "94.50"
    assert late["data"]["self_review"]["grade"] == "优秀"
    r = server.call("GET", f"/api/v1/overdue?procedure={PROC}", t["supervisor"])
    assert {i["case_id"] for i in r.body["items"]} == {early["id"]}


def test_in_time_self_review_and_refusals(server: Server):
    t = people(server)
    case = register(server, t["clerk"], "秀山市监罚〔2025〕302号", "2025-09-30T17:30:00+08:00")
    # Another agency's clerk neither sees nor reviews it; the sheet's limits are checked.
    fire(server, t["other_clerk"], case["id"], "self_review", {"deductions": {}}, expect=403)
    r = server.call("POST", f"/api/v1/cases/{case['id']}/events", t["clerk"],
                    {"trigger": "self_review", "payload": {"deductions": {"evidence": 21}, "findings": "证据不足"},
                     "occurred_at": "2025-10-20T09:00:00+08:00"})
    assert r.status == 409 and "评查评分表" in r.body["error"]["message"], r.body
    r = server.call("POST", f"/api/v1/cases/{case['id']}/events", t["clerk"],
                    {"trigger": "self_review", "payload": {"deductions": {"evidence": 3}},
                     "occurred_at": "2025-10-20T09:00:00+08:00"})
    assert r.status == 422 and "findings" in r.body["error"]["fields"], r.body
    done = fire(server, t["clerk"], case["id"], "self_review",
                {"deductions": {"evidence": 20, "procedure": 20}, "findings": "主要证据缺失\n未告知陈述申辩权利"},
                "2025-10-20T09:00:00+08:00")
    assert done["data"]["self_review"] | {"items": None} == done["data"]["self_review"] | {
        "score": "60.00", "grade": "合格", "late": False, "items": None}
    assert [d for d in done["deadlines"] if d["name"] == "self_review"][0]["status"] == "met"
    # The same case number cannot be registered twice.
    register(server, t["clerk"], "秀山市监罚〔2025〕302号", "2025-09-30T17:30:00+08:00", expect=422)


def test_case_handling_platform_registers_a_file_by_its_case_number(server: Server):
    t = people(server)
    number = "秀山市监罚〔2025〕303号"
    event = {"event_id": "zfba-2025-303-close", "procedure": PROC, "correlation_key": number, "trigger": "close",
             "payload": {"agency": UNIT, "title": "某超市销售过期食品案",
                         "data": {"case_type": "penalty", "handler": "赵六"}},
             "occurred_at": "2025-09-30T16:00:00+08:00"}
    first = server.call("POST", "/api/v1/events", t["platform"], event)
    assert first.status == 200, first.body
    assert first.body["data"]["case_number"] == number
    assert the_deadline(first.body)["due_date"] == "2025-10-30"
    again = server.call("POST", "/api/v1/events", t["platform"], event)
    assert again.body["id"] == first.body["id"]
    reviewed = server.call("POST", "/api/v1/events", t["platform"], {
        "event_id": "zfba-2025-303-review", "procedure": PROC, "correlation_key": number, "trigger": "self_review",
        "payload": {"deductions": {}, "reviewer": "法制科"}, "occurred_at": "2025-10-15T10:00:00+08:00"})
    assert reviewed.status == 200, reviewed.body
    assert reviewed.body["state"] == "self_reviewed"
    assert reviewed.body["data"]["self_review"]["score"] == "100.00"
