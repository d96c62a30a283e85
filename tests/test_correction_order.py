"""责令限期改正 (correction_order, art. 35) end to end over HTTP, against a real `xsflow serve` on SQLite and
PostgreSQL, time moved by `xsflow tick --now`.

Hand-computed periods (国办发明电〔2025〕7号: Spring Festival 2026-02-15 … 02-23 off):
- 10 days from Wed 02-11: day 10 is Sat 02-21, in the festival → Tue 02-24.
- 7 days from Mon 03-02 → Mon 03-09.
- a last day named by the order (2026-03-20) is kept as given.
"""
from __future__ import annotations

from .conftest import Server
from .test_case_supervision import POLICE, TRANSPORT, UNIT, desks, document, fired, pending, statuses

CO = "correction_order"


def open_order(desk, occurred_at: str, *, agency: str = UNIT, expect: int = 201, **data):
    r = desk.call("POST", "/cases", {"procedure": CO, "agency": agency, "title": "规范性文件逾期未报备案",
                                     "occurred_at": occurred_at, "data": data})
    assert r.status == expect, r.body
    return r.body


def test_an_ignored_order_lapses_into_the_criticism_notice_and_the_recommendation_exactly_once(server: Server):
    """A filing left overdue leads into an order on ground (五); ignored, its 10 days (rolled past the Spring
    Festival) lapse and yield the county government's criticism notice and the 处分 recommendation, once each."""
    d = desks(server)
    sup, clerk, police = d["supervisor"], d["clerk"], d["police"]
    filing = clerk.call("POST", "/cases", {"procedure": "filing_review", "agency": UNIT, "title": "关于规范集贸市场收费的通知",
                                           "occurred_at": "2025-12-01T09:00:00+08:00",
                                           "data": {"document_number": "秀山市监发〔2025〕30号"}}).body["id"]
    assert fired(server, "2026-01-01T00:00:01+08:00") == 1  # 30 days from 12-01 ended Wed 12-31 24:00
    assert sup.case(filing)["state"] == "filing_overdue"

    # The source case must exist, be seen, and fit the ground.
    wrong = open_order(sup, "2026-02-10T09:00:00+08:00", ground="opinion_not_executed", facts="x", source_case=filing,
                       expect=422)
    assert "应为行政执法个案监督案件" in wrong["error"]["fields"]["data.source_case"][0]
    wrong = open_order(sup, "2026-02-10T09:00:00+08:00", ground="statistics", facts="x", source_case=filing, expect=422)
    assert "应为行政执法统计报送案件" in wrong["error"]["fields"]["data.source_case"][0]
    wrong = open_order(sup, "2026-02-10T09:00:00+08:00", ground="unlawful_delegation", facts="x", source_case=filing,
                       expect=422)
    assert "没有可关联的来源案件" in wrong["error"]["fields"]["data.source_case"][0]
    wrong = open_order(sup, "2026-02-10T09:00:00+08:00", ground="filing_overdue", facts="x", source_case=10**6, expect=422)
    assert "没有编号为 1000000 的来源案件" in wrong["error"]["fields"]["data.source_case"][0]
    assert open_order(clerk, "2026-02-10T09:00:00+08:00", ground="filing_overdue", facts="x", expect=403)

    facts = "你单位于2025年12月1日发布《关于规范集贸市场收费的通知》（秀山市监发〔2025〕30号），至今未报送县司法局备案。"
    order = open_order(sup, "2026-02-10T09:00:00+08:00", ground="filing_overdue", facts=facts, source_case=filing)
    oid = order["id"]
    again = open_order(sup, "2026-02-10T09:30:00+08:00", ground="filing_overdue", facts=facts, source_case=filing, expect=422)
    assert "data.source_case" in again["error"]["fields"]  # one open order per source case

    both = sup.fire(oid, "issue_order", {"period_days": 10, "due_date": "2026-03-01"}, "2026-02-11T10:00:00+08:00", expect=422)
    assert "二者选一" in str(both["error"]["fields"])
    past = sup.fire(oid, "issue_order", {"due_date": "2026-02-11"}, "2026-02-11T10:00:00+08:00", expect=422)
    assert "due_date" in past["error"]["fields"] and sup.case(oid)["state"] == "preparing"
    case = sup.fire(oid, "issue_order", {"period_days": 10, "requirements": "将该文件及备案材料报送县司法局。"},
                    "2026-02-11T10:00:00+08:00")
    assert (case["state"], pending(case, "correction")["due_date"]) == ("correcting", "2026-02-24")
    notice = document(case, "rectification_order")
    text = clerk.paragraphs(notice["id"])
    body = "\n".join(text)
    assert text[:3] == ["责令限期改正通知书", notice["number"], "县市场监管局："]
    assert "第35条第（五）项规定的规范性文件未按规定的期限和要求报备案的情形" in body
    assert "责令你单位于2026年2月24日24时前改正" in body and "春节" in body
    assert police.call("GET", f"/cases/{oid}").status == 403

    assert fired(server, "2026-02-24T23:59:59+08:00") == 0
    assert fired(server, "2026-02-25T00:00:01+08:00") == 1
    assert fired(server, "2026-02-25T00:00:02+08:00") == 0  # a second sweep finds nothing left to do
    case = sup.case(oid)
    assert (case["state"], case["closed"], statuses(case, "correction")) == ("refused", True, [("2026-02-24", "lapsed")])
    kinds = [x["kind"] for x in case["documents"]]
    assert kinds == ["rectification_order", "criticism_notice", "sanction_recommendation"]
    criticism = sup.paragraphs(document(case, "criticism_notice")["id"])
    assert criticism[:2] == ["关于对县市场监管局予以通报批评的通报", "秀山府发〔2026〕1号"]
    assert "改正期限已于2026年2月24日24时届满" in "\n".join(criticism)
    assert criticism[-2] == "秀山土家族苗族自治县人民政府"
    sanction = sup.paragraphs(document(case, "sanction_recommendation")["id"])
    assert sanction[:3] == ["关于建议对县市场监管局相关责任人给予处分的函", "秀山府函〔2026〕1号",
                            "秀山土家族苗族自治县监察委员会："]
    assert "给予处分" in "\n".join(sanction) and "行政处分" not in "\n".join(sanction)
    assert clerk.fire(oid, "report_correction", {"measures": "已报备。"}, "2026-02-26T10:00:00+08:00", expect=409)
    assert [h["trigger"] for h in sup.call("GET", f"/cases/{oid}/history").body["items"]] == [
        "open", "issue_order", "correction_lapsed"]


def test_rejected_correction_gets_a_new_deadline_a_named_last_day_and_is_then_accepted(server: Server):
    """The agency reports; the supervisor rejects with a new period of days, the next round names a last day,
    then accepts; the procedure is listed with its articles."""
    d = desks(server)
    sup, police, transport = d["supervisor"], d["police"], d["transport"]
    oid = open_order(sup, "2026-03-02T09:00:00+08:00", agency=POLICE, ground="unlawful_delegation",
                     facts="你单位将道路交通违法行为的处罚委托给不具备条件的协管员实施。")["id"]
    case = sup.fire(oid, "issue_order", {"period_days": 7}, "2026-03-02T10:00:00+08:00")
    assert pending(case, "correction")["due_date"] == "2026-03-09"
    assert transport.call("POST", f"/cases/{oid}/events", {"trigger": "report_correction",
                                                          "payload": {"measures": "x"}}).status == 403
    police.fire(oid, "report_correction", {"measures": "已收回委托。"}, "2026-03-06T10:00:00+08:00")
    case = sup.fire(oid, "reject_correction", {"reasons": "未撤销协管员作出的处罚决定。", "due_date": "2026-03-20"},
                    "2026-03-10T10:00:00+08:00")
    assert (case["state"], [(x["due_date"], x["status"]) for x in case["deadlines"]]) == (
        "correcting", [("2026-03-09", "met"), ("2026-03-20", "pending")])
    second = document(case, "rectification_order")
    body = "\n".join(police.paragraphs(second["id"]))
    first = document(case, "rectification_order", 0)
    assert f"（{first['number']}）责令你单位限期改正" in body and "改正期限至2026年3月20日24时止" in body
    police.fire(oid, "report_correction", {"measures": "已撤销全部委托处罚决定。"}, "2026-03-18T10:00:00+08:00")
    case = sup.fire(oid, "accept_correction", None, "2026-03-19T10:00:00+08:00")
    assert (case["state"], case["data"]["outcome"], case["data"]["reports"]) == ("corrected", "corrected", 2)
    assert [x["kind"] for x in case["documents"]] == ["rectification_order", "rectification_order"]

    listed = {p["name"]: p for p in sup.call("GET", "/procedures").body["items"]}
    for name in ("complaint", "correction_order"):
        p = listed[name]
        assert p["basis"] and all(s["basis"] for s in p["states"]) and all(t["basis"] for t in p["transitions"])
    assert "第35条" in listed["correction_order"]["basis"] and "第4条" in listed["complaint"]["basis"]
