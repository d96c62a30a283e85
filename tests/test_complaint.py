"""投诉举报 (complaint) end to end over HTTP, against a real `xsflow serve` on SQLite and PostgreSQL.

Hand-computed periods (国办发明电〔2025〕7号: Spring Festival 2026-02-15 … 02-23 off; Saturdays 02-14 and
02-28 are make-up working days):
- triage, 15 days from Fri 02-13: 02-14 … 02-28; day 15 is Sat 02-28, a make-up working day → 02-28.
- handling, 60 days from Tue 02-24: 02-25 … 02-28 (4), March (35), 04-01 … 04-25; day 60 is Sat 04-25, then Sun 04-26 → Mon 04-27.
"""
from __future__ import annotations

from .conftest import Server
from .test_case_supervision import BUREAU, POLICE, UNIT, Desk, desks, document, fired, pending

TICKET = "12345-20260213-0042"
COMPLAINANT = {"name": "李某某", "phone": "13900000000", "address": "秀山县中和街道某小区"}


def registration(**extra):
    return {"source": "complaint", "channel": "hotline", "agency_concerned": UNIT, "happened_on": "2026-02-10",
            "facts": "2026年2月10日，县市场监管局执法人员检查某超市时未出示执法证件。\n当场作出罚款决定，未告知陈述申辩权利。",
            "complainant": COMPLAINANT, **extra}


def hotline(oa: Desk, event_id: str, occurred_at: str, ticket: str = TICKET, **data):
    return oa.call("POST", "/events", {
        "event_id": event_id, "procedure": "complaint", "correlation_key": ticket, "trigger": "register",
        "occurred_at": occurred_at,
        "payload": {"agency": BUREAU, "title": "投诉县市场监管局检查超市时未出示执法证件", "data": registration(**data)}})


def test_hotline_ticket_twice_opens_one_complaint_transferred_handled_checked_and_replied_across_spring_festival(server: Server):
    """A ticket posted twice opens one case; the complainant's repeat joins it; the transfer, the agency's result,
    a rejected result, the check and the reply run across the Spring Festival; the agency concerned sees nothing."""
    d = desks(server)
    sup, oa, unit_clerk = d["supervisor"], d["oa"], d["clerk"]
    bureau = Desk(server, server.token("县司法局登记员", "clerk", BUREAU))

    first = hotline(oa, "hl-0042-1", "2026-02-13T09:00:00+08:00")
    assert first.status == 200, first.body
    cid = first.body["id"]
    assert hotline(oa, "hl-0042-1", "2026-02-13T09:00:00+08:00").body == first.body  # the same delivery again
    second = hotline(oa, "hl-0042-2", "2026-02-13T09:05:00+08:00")  # another delivery of the same ticket
    assert second.status == 422 and "data.ticket" in second.body["error"]["fields"], second.body
    assert [c["id"] for c in sup.call("GET", "/cases?procedure=complaint").body["items"]] == [cid]
    case = sup.case(cid)
    assert (case["state"], case["agency"], case["data"]["ticket"]) == ("registered", BUREAU, TICKET)
    assert pending(case, "triage")["due_date"] == "2026-02-28"  # a make-up Saturday after the Spring Festival

    # The complainant calls again on the same ticket: an event on the case, not a new case.
    again = oa.call("POST", "/events", {"event_id": "hl-0042-3", "procedure": "complaint", "correlation_key": TICKET,
                                        "trigger": "repeat", "occurred_at": "2026-02-14T10:00:00+08:00",
                                        "payload": {"channel": "hotline", "content": "催问处理进度。"}})
    assert again.status == 200, again.body
    assert (again.body["id"], again.body["data"]["repeats"]) == (cid, [{"channel": "hotline", "content": "催问处理进度。"}])

    # Nobody of the agency complained about sees the complaint, nor the complainant's contact.
    for path in (f"/cases/{cid}", f"/cases/{cid}/history"):
        assert unit_clerk.call("GET", path).status == 403
    assert unit_clerk.call("GET", "/cases?procedure=complaint").body["items"] == []
    assert COMPLAINANT["phone"] not in str(unit_clerk.call("GET", "/overdue").body)
    assert bureau.case(cid)["data"]["complainant"] == COMPLAINANT  # the bureau's own clerk does

    # Transfer on Tue 02-24 (the first working day after the festival) is within triage; 60 days to handle.
    case = sup.fire(cid, "transfer", {"requirements": "请核实执法人员是否出示执法证件，依法处理。"}, "2026-02-24T10:00:00+08:00")
    assert case["state"] == "transferred"
    assert [(x["name"], x["status"]) for x in case["deadlines"]] == [("triage", "met"), ("handling", "pending")]
    assert pending(case, "handling")["due_date"] == "2026-04-27"
    referral = document(case, "complaint_referral")
    assert referral["number"] == "秀山司监转〔2026〕1号"
    text = sup.paragraphs(referral["id"])
    body = "\n".join(text)
    assert text[:3] == ["行政执法投诉举报转办函", "秀山司监转〔2026〕1号", "县市场监管局："]
    assert "2026年2月13日通过12345政务服务便民热线收到" in body and "60日内" in body
    assert COMPLAINANT["name"] not in body and COMPLAINANT["phone"] not in body  # the agency never learns who

    # The agency's result comes by letter; the bureau's clerk records it; the supervisor sends it back once.
    assert unit_clerk.fire(cid, "report_result", {"result": "x"}, "2026-03-02T10:00:00+08:00", expect=403)
    bureau.fire(cid, "report_result", {"result": "经查，执法人员未出示证件属实，已批评教育。"}, "2026-03-02T10:00:00+08:00")
    case = sup.fire(cid, "return_result", {"reasons": "未说明罚款决定是否依法告知陈述申辩权利。"}, "2026-03-03T10:00:00+08:00")
    assert (case["state"], pending(case, "handling")["due_date"]) == ("transferred", "2026-04-27")  # one period throughout
    oa.call("POST", "/events", {"event_id": "hl-0042-4", "procedure": "complaint", "correlation_key": TICKET,
                                "trigger": "report_result", "occurred_at": "2026-03-10T10:00:00+08:00",
                                "payload": {"result": "已撤销该罚款决定，重新依法告知后作出处理。", "letter": "秀山市监函〔2026〕8号"}})
    case = sup.fire(cid, "reply", {"result": "经核查，县市场监管局已撤销原罚款决定，并对有关执法人员批评教育。", "finding": "upheld"},
                    "2026-03-12T10:00:00+08:00")
    assert (case["state"], case["closed"], case["data"]["outcome"]) == ("replied", True, "replied")
    assert [r["returned"] is None for r in case["data"]["results"]] == [False, True]
    reply = document(case, "complaint_reply")
    text = sup.paragraphs(reply["id"])
    assert text[:3] == ["行政执法投诉举报答复书", "秀山司监答〔2026〕1号", "李某某："]
    assert "以《行政执法投诉举报转办函》（秀山司监转〔2026〕1号）将该事项转县市场监管局调查处理" in "\n".join(text)
    steps = [h["trigger"] for h in sup.call("GET", f"/cases/{cid}/history").body["items"]]
    assert steps == ["open", "repeat", "transfer", "report_result", "return_result", "report_result", "reply"]
    assert fired(server, "2026-05-01T00:00:00+08:00") == 0 and sup.overdue() == []


def test_triage_overdue_decline_and_the_bureau_investigating_in_a_linked_case_supervision(server: Server):
    """An untriaged complaint is overdue on its 16th day; a complaint outside supervision is declined with a reply;
    the bureau's own investigation names a case supervision case, checked before it is linked."""
    d = desks(server)
    sup, police = d["supervisor"], d["police"]
    clerk = Desk(server, server.token("县司法局登记员", "clerk", BUREAU))
    letter = clerk.call("POST", "/cases", {"procedure": "complaint", "agency": BUREAU, "title": "来信反映交警扣车不开单据",
                                           "occurred_at": "2026-03-02T09:00:00+08:00",
                                           "data": registration(channel="letter", agency_concerned=POLICE, source="report",
                                                                anonymous=True, complainant=None)})
    assert letter.status == 422 and "data.complainant" in letter.body["error"]["fields"]
    lid = clerk.call("POST", "/cases", {"procedure": "complaint", "agency": BUREAU, "title": "来信反映交警扣车不开单据",
                                        "occurred_at": "2026-03-02T09:00:00+08:00",
                                        "data": {**registration(channel="letter", agency_concerned=POLICE, source="report",
                                                                anonymous=True), "complainant": {}}}).body["id"]
    other = clerk.call("POST", "/cases", {"procedure": "complaint", "agency": BUREAU, "title": "反映邻里纠纷",
                                          "occurred_at": "2026-03-02T09:30:00+08:00",
                                          "data": registration(channel="visit")}).body["id"]
    assert police.call("GET", f"/cases/{lid}").status == 403

    case = sup.fire(other, "decline", {"reason": "not_enforcement", "explanation": "所反映的是邻里之间的民事纠纷。",
                                       "advice": "可向所在社区人民调解委员会申请调解。"}, "2026-03-03T10:00:00+08:00")
    assert (case["state"], document(case, "complaint_reply")["number"]) == ("declined", "秀山司监答〔2026〕1号")
    body = "\n".join(sup.paragraphs(document(case, "complaint_reply")["id"]))
    assert "不属于行政执法行为，不属于本局行政执法监督的范围" in body and "人民调解委员会" in body

    assert pending(sup.case(lid), "triage")["due_date"] == "2026-03-17"
    assert fired(server, "2026-03-18T00:00:01+08:00") == 0  # a service level moves nothing
    assert sup.overdue() == [(lid, "triage", "registered")]

    # The investigation names a case supervision case: an unknown id, or a case of another procedure, is refused.
    refused = sup.fire(lid, "investigate", {"supervision_case": 999999}, "2026-03-18T10:00:00+08:00", expect=422)
    assert "没有编号为 999999 的行政执法个案监督案件" in refused["error"]["fields"]["supervision_case"][0]
    refused = sup.fire(lid, "investigate", {"supervision_case": other}, "2026-03-18T10:00:00+08:00", expect=422)
    assert "应为行政执法个案监督案件" in refused["error"]["fields"]["supervision_case"][0]
    assert sup.case(lid)["state"] == "registered"
    opened = sup.call("POST", "/cases", {"procedure": "case_supervision", "agency": POLICE, "title": "交警扣车不开单据",
                                         "occurred_at": "2026-03-18T10:00:00+08:00",
                                         "data": {"grounds": ["complaint"], "reference": f"complaint:{lid}"}}).body
    assert opened["definition_version"] == 2  # the version in force (art. 29 (一); 国务院令第825号 from 2026-02-01)
    case = sup.fire(lid, "investigate", {"supervision_case": opened["id"]}, "2026-03-18T11:00:00+08:00")
    assert (case["state"], case["data"]["supervision_case"]) == ("investigating", opened["id"])
    case = sup.fire(lid, "reply", {"result": "经调查，已向县公安局制发《行政执法监督意见书》。", "finding": "partly_upheld"}, "2026-04-20T10:00:00+08:00")
    body = "\n".join(sup.paragraphs(document(case, "complaint_reply")["id"]))
    assert case["state"] == "replied" and "举报人：" in body and "启动了行政执法监督检查程序" in body


OFFICER = {"name": "王某", "certificate_number": "500241001017"}


def test_officers_concerned_are_checked_and_the_finding_is_the_supervisors_at_the_reply(server: Server):
    """The officers concerned are recorded by name and 执法证号 (a malformed number is refused in Chinese);
    the finding (属实／部分属实／不属实) is set only by the supervisor at the reply: a clerk sending it is
    refused 422 naming the field, and nothing changes; the complainant stays hidden from the agency."""
    d = desks(server)
    sup, unit_clerk = d["supervisor"], d["clerk"]
    clerk = Desk(server, server.token("县司法局登记员", "clerk", BUREAU))

    def register(officers):
        return clerk.call("POST", "/cases", {"procedure": "complaint", "agency": BUREAU, "title": "投诉执法人员未出示证件",
                                             "occurred_at": "2026-03-02T09:00:00+08:00",
                                             "data": registration(channel="phone", officers=officers)})

    for number in ("５００２４１００１０１７", "500241 001017", "渝执-001017", "5002"):
        r = register([{"name": "王某", "certificate_number": number}])
        assert r.status == 422, r.body
        [message] = r.body["error"]["fields"]["data.officers.0.certificate_number"]
        assert "执法证号格式不对：应为 6 至 64 位半角数字或英文字母" in message
    r = register([OFFICER, {**OFFICER, "name": "王某某"}])
    assert r.status == 422 and "同一执法证号列了两次" in str(r.body["error"]["fields"]["data.officers"]), r.body
    r = register([{"name": " ", "certificate_number": "500241001018"}])
    assert r.body["error"]["fields"] == {"data.officers.0.name": ["请填写执法人员姓名。"]}
    # The finding is the bureau's conclusion at the reply: not the registering clerk's.
    r = clerk.call("POST", "/cases", {
        "procedure": "complaint", "agency": BUREAU, "title": "投诉执法人员未出示证件",
        "occurred_at": "2026-03-02T09:00:00+08:00", "data": {**registration(channel="phone"), "finding": "upheld"}})
    assert r.status == 422 and "行政执法监督人员" in r.body["error"]["fields"]["data.finding"][0], r.body
    assert sup.call("GET", "/cases?procedure=complaint").body["items"] == []

    cid = register([OFFICER]).body["id"]
    sup.fire(cid, "transfer", {"requirements": "请核实并依法处理。"}, "2026-03-03T10:00:00+08:00")
    refused = clerk.fire(cid, "report_result", {"result": "经查属实。", "finding": "upheld"}, "2026-03-10T10:00:00+08:00",
                         expect=422)
    [message] = refused["error"]["fields"]["finding"]
    assert "“核查结论”（finding）由行政执法监督人员在“核查办理结果，答复投诉举报人”时填写" in message
    assert sup.case(cid)["state"] == "transferred"
    # The agency's report names a second officer: the latest list is the case's.
    second = {"name": "赵某", "certificate_number": "500241001020"}
    case = clerk.fire(cid, "report_result", {"result": "经查，王某、赵某未出示执法证件属实，已批评教育。",
                                             "officers": [OFFICER, {**second, "certificate_number": " 500241001020 "}]},
                      "2026-03-10T10:00:00+08:00")
    assert case["data"]["officers"] == [OFFICER, second]
    missing = sup.fire(cid, "reply", {"result": "经核查，反映属实。"}, "2026-03-12T10:00:00+08:00", expect=422)
    assert missing["error"]["fields"] == {"finding": ["必须填写。"]}
    wrong = sup.fire(cid, "reply", {"result": "经核查，反映属实。", "finding": "true"}, "2026-03-12T10:00:00+08:00", expect=422)
    assert "不是有效的核查结论，可选：upheld（属实）、partly_upheld（部分属实）、not_upheld（不属实）" in wrong["error"]["fields"]["finding"][0]
    case = sup.fire(cid, "reply", {"result": "经核查，反映属实。", "finding": "upheld"}, "2026-03-12T10:00:00+08:00")
    assert (case["state"], case["data"]["finding"], case["data"]["officers"]) == ("replied", "upheld", [OFFICER, second])
    # Officers' names are not the complainant's data; the complainant stays the bureau's.
    assert unit_clerk.call("GET", f"/cases/{cid}").status == 403
    assert clerk.case(cid)["data"]["complainant"] == COMPLAINANT
