"""Liaison officers (attachment 1 art. 8) and the notification outbox, over HTTP on SQLite and PostgreSQL.

Agencies name one or two officers; the bureau sees who has none; a meeting notice and a lapsed
minutes task reach the officers through `xsflow tick` (the default sender logs), and
GET /notifications shows what was sent to whom.
"""
from __future__ import annotations

from .conftest import Server, fire, make_tokens

GAJ_OFFICERS = [{"name": "王敏", "phone": "023-76621001", "post": "法制大队副大队长"},
                {"name": "刘洋", "phone": "13800000001"}]


def test_officers_named_missing_flagged_and_notified(server: Server):
    t = make_tokens(server.database_url, office=("reviewer", "sfj"), director=("supervisor", None),
                    gaj=("clerk", "gaj"), scjgj=("clerk", "scjgj"), cgj=("clerk", "cgj"))
    put = lambda who, code, people: server.call("PUT", f"/api/v1/agencies/{code}/liaison-officers", t[who],
                                                {"officers": people})
    assert put("gaj", "gaj", GAJ_OFFICERS).status == 200
    assert put("gaj", "scjgj", GAJ_OFFICERS[:1]).status == 403  # not for another agency
    r = put("scjgj", "scjgj", GAJ_OFFICERS + [{"name": "第三人", "phone": "1"}])
    assert r.status == 422 and "一至两名" in r.body["error"]["fields"]["officers"][0], r.body
    assert put("office", "scjgj", [{"name": "陈静", "phone": "023-76622002"}]).status == 200
    assert put("office", "nosuch", GAJ_OFFICERS).status == 404

    missing = server.call("GET", "/api/v1/liaison-officers/missing", t["office"])
    assert missing.status == 200
    codes = [a["code"] for a in missing.body["items"]]
    assert "cgj" in codes and "gaj" not in codes and "scjgj" not in codes and "zzb" not in codes
    assert server.call("GET", "/api/v1/liaison-officers/missing", t["gaj"]).status == 403
    assert [o["name"] for o in server.call("GET", "/api/v1/liaison-officers", t["gaj"]).body["items"]] == ["王敏", "刘洋"]

    # A meeting notice goes to the officers of the units called; 县城市管理局 has none to receive it.
    mid = server.call("POST", "/api/v1/cases", t["office"], {
        "procedure": "joint_meeting", "agency": "sfj", "title": "2025年第四季度行政执法联席会议",
        "occurred_at": "2025-10-08T09:00:00+08:00", "data": {"members": ["gaj", "scjgj", "cgj"]}}).body["id"]
    fire(server, t["gaj"], mid, "propose_topic", {"topic": "执法证件管理"}, "2025-10-09T09:00:00+08:00")
    fire(server, t["office"], mid, "submit_agenda", {"topics": [1]}, "2025-10-09T10:00:00+08:00")
    fire(server, t["director"], mid, "approve_agenda", {"approved_by": "联席会议主任"}, "2025-10-09T11:00:00+08:00")
    fire(server, t["office"], mid, "send_notice", {
        "meeting_date": "2025-10-20", "meeting_time": "下午3时", "place": "县司法局会议室", "chair": "县司法局局长",
        "reporting": ["gaj"], "reports_due": "2025-10-17"}, "2025-10-10T10:00:00+08:00")
    fire(server, t["gaj"], mid, "submit_report", {"three_systems": "已落实。", "responsibility": "已落实。",
                                                 "power_list": "已调整。", "discretion": "已执行。"},
         "2025-10-15T10:00:00+08:00")
    out = server.tick("2025-10-16T09:00:00+08:00").stdout
    assert "已通知联络员 3 条" in out, out
    listed = server.call("GET", "/api/v1/notifications", t["office"]).body
    sent = listed["items"]
    # 县城市管理局 was not told: the bureau sees the row, with the reason, and nothing went out for it.
    assert listed["total"] == 4 and sorted((n["agency"], n["recipient"], n["status"], n["reason"]) for n in sent) == [
        ("cgj", "无（未登记联络员）", "undeliverable", "未登记联络员"),
        ("gaj", "刘洋（13800000001）", "sent", None), ("gaj", "王敏（023-76621001）", "sent", None),
        ("scjgj", "陈静（023-76622002）", "sent", None)]
    assert all(n["subject"] == "关于召开行政执法联席会议的通知（秀山执联〔2025〕1号）" for n in sent)
    assert {n["agency"] for n in server.call("GET", "/api/v1/notifications", t["scjgj"]).body["items"]} == {"scjgj"}
    [unsent] = server.call("GET", "/api/v1/notifications?agency=cgj", t["office"]).body["items"]
    assert unsent["sent_at"] is None and unsent["case_id"] == mid
    # A later sweep writes it once only, and the agency's own clerk sees it too.
    assert "已通知联络员" not in server.tick("2025-10-16T10:00:00+08:00").stdout
    assert [n["status"] for n in server.call("GET", "/api/v1/notifications", t["cgj"]).body["items"]] == ["undeliverable"]

    # A minutes task that lapses reminds its agency's officers, once.
    fire(server, t["office"], mid, "issue_minutes", {"held_on": "2025-10-20", "summary": "研究执法证件管理。",
         "decisions": [{"decision": "清理过期执法证件", "agencies": ["scjgj"], "due_date": "2025-10-31"}]},
         "2025-10-21T10:00:00+08:00")
    assert "已通知联络员 1 条" in server.tick("2025-11-01T00:00:01+08:00").stdout
    assert "已通知联络员" not in server.tick("2025-11-02T00:00:01+08:00").stdout
    reminders = [n for n in server.call("GET", "/api/v1/notifications", t["scjgj"]).body["items"]
                 if n["subject"].startswith("逾期提醒")]
    assert [(n["recipient"], n["status"]) for n in reminders] == [("陈静（023-76622002）", "sent")]
    assert "2025年10月31日24时届满" in reminders[0]["body"]


def test_missing_officers_and_notifications_are_keyset_pages_with_a_total(server: Server):
    t = make_tokens(server.database_url, office=("reviewer", "sfj"), gaj=("clerk", "gaj"))
    first = server.call("GET", "/api/v1/liaison-officers/missing?limit=20", t["office"]).body
    total = first["total"]
    assert total >= 53 and len(first["items"]) == 20 and first["next"]
    codes, page = [], first
    while True:
        codes += [a["code"] for a in page["items"]]
        assert page["total"] == total
        if not page["next"]:
            break
        page = server.call("GET", f"/api/v1/liaison-officers/missing?limit=20&cursor={page['next']}", t["office"]).body
    assert len(codes) == len(set(codes)) == total and codes == sorted(codes)
    assert server.call("PUT", "/api/v1/agencies/gaj/liaison-officers", t["gaj"], {"officers": GAJ_OFFICERS}).status == 200
    assert server.call("GET", "/api/v1/liaison-officers/missing?limit=1", t["office"]).body["total"] == total - 1
    officers = server.call("GET", "/api/v1/liaison-officers?limit=1", t["office"]).body
    assert (officers["total"], len(officers["items"])) == (2, 1) and officers["next"]
    rest = server.call("GET", f"/api/v1/liaison-officers?limit=1&cursor={officers['next']}", t["office"]).body
    assert [o["name"] for o in officers["items"] + rest["items"]] == ["王敏", "刘洋"] and rest["next"] is None
    assert server.call("GET", "/api/v1/liaison-officers?agency=scjgj", t["office"]).body == {
        "items": [], "next": None, "total": 0}
    assert server.call("GET", "/api/v1/notifications?limit=5", t["office"]).body == {"items": [], "next": None, "total": 0}
    for bad in ("limit=0", "cursor=true", "case_id=x", "sort=name"):
        r = server.call("GET", f"/api/v1/notifications?{bad}", t["office"])
        assert r.status in (400, 422), (bad, r.status, r.body)
