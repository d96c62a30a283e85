"""行政执法争议协调 (attachment 2 art. 22–23) end to end over HTTP, on SQLite and PostgreSQL.

A real `xsflow serve` reads the real clock, so every `occurred_at` lies in the past (2025) and
service levels are swept with `xsflow tick --now`. Because the real clock is later than every
due date used here, GET /overdue (which counts a pending deadline past its lapse instant even
before a sweep) lists the service level of whatever state a case is waiting in; the exact
working-day count is checked in-process on a FixedClock at the end.

Agencies: 县城市管理局 (cgj) opens the disputes, 县市场监管局 (scjgj) is the other party,
中和街道综合行政执法大队 (zhjd-zfdd) a third party, 县教委 (jw) an agency not in any dispute.
"""
from __future__ import annotations

import io
import re
import urllib.request
from datetime import datetime, timezone
from typing import Any

import docx

from xsflow.store.db import Database
from xsflow.tokens import create_token

from .conftest import Server, at, fire, get_case

DC = "dispute_coordination"
OWNER, PARTY, THIRD, OUTSIDER, BUREAU = "cgj", "scjgj", "zhjd-zfdd", "jw", "sfj"
COUNTY = "秀山土家族苗族自治县人民政府"

APPLICATION = {
    "matters": "城区主干道两侧流动摊贩占道经营中销售无证无照食品的行为，由哪一部门负责查处。",
    "negotiation": "2025年8月28日两局召开协商会。\n县城市管理局认为属于无照经营，应由县市场监管局查处；县市场监管局认为属于占道经营，应由县城市管理局查处。",
    "proposal": "占道行为由县城市管理局查处，无证无照销售食品由县市场监管局查处，发现后相互移送。\n理由：按违法行为的性质分别确定职责，避免推诿。",
    "legal_basis": "《无证无照经营查处办法》第五条；《城市市容和环境卫生管理条例》第十四条。",
    "materials": ["协商会议纪要", "两局职责清单摘录"],
}
CONTENT_TITLES = {
    "matters": "需要协调的事项",
    "negotiation": "自行协商情况及分歧意见",
    "proposal": "解决方案建议及理由",
    "legal_basis": "有关法律、法规或者规章等依据",
}


# --- helpers -------------------------------------------------------------------------------


def people(server: Server) -> dict[str, str]:
    """Bearer tokens by name, created straight in the database (the CLI path is tested elsewhere)."""
    spec = {"owner": ("clerk", OWNER), "party": ("clerk", PARTY), "third": ("clerk", THIRD),
            "outsider": ("clerk", OUTSIDER), "reviewer": ("reviewer", BUREAU), "supervisor": ("supervisor", None),
            "oa": ("system", None)}
    db = Database(server.database_url)
    try:
        with db.write() as conn:
            return {name: create_token(conn, name=name, role=role, agency=agency, now=datetime.now(timezone.utc))
                    for name, (role, agency) in spec.items()}
    finally:
        db.dispose()


def open_dispute(server: Server, token: str, occurred_at: str, *, title: str = "流动摊贩占道销售无证食品查处职责争议",
                 category: str = "duty", parties: list[str] | None = None, expect: int = 201,
                 data: dict[str, Any] | None = None) -> dict[str, Any]:
    body = {"procedure": DC, "agency": OWNER, "title": title, "occurred_at": occurred_at,
            "data": data if data is not None else {"category": category, "parties": [PARTY] if parties is None else parties}}
    r = server.call("POST", "/api/v1/cases", token, body)
    assert r.status == expect, r.body
    return r.body


def steps(server: Server, token: str, case_id: int) -> list[tuple[str, str | None, str, str]]:
    r = server.call("GET", f"/api/v1/cases/{case_id}/history", token)
    assert r.status == 200, r.body
    return [(h["trigger"], h["from_state"], h["to_state"], h["actor_role"]) for h in r.body["items"]]


def the_deadline(case: dict[str, Any], name: str, status: str | None = None) -> dict[str, Any]:
    found = [d for d in case["deadlines"] if d["name"] == name and (status is None or d["status"] == status)]
    assert len(found) == 1, case["deadlines"]
    return found[0]


def overdue(server: Server, token: str) -> list[tuple[int, str]]:
    r = server.call("GET", f"/api/v1/overdue?procedure={DC}", token)
    assert r.status == 200, r.body
    return [(i["case_id"], i["deadline"]) for i in r.body["items"]]


def listed(server: Server, token: str, query: str = "") -> list[int]:
    r = server.call("GET", f"/api/v1/cases?procedure={DC}{query}", token)
    assert r.status == 200, r.body
    return [c["id"] for c in r.body["items"]]


def document_lines(server: Server, token: str, document_id: int) -> list[str]:
    """The non-empty paragraphs of the issued .docx, as GET /documents/{id}/file serves it."""
    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document_id}/file",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return [p.text for p in docx.Document(io.BytesIO(r.read())).paragraphs if p.text.strip()]


def swept(server: Server, now: str) -> tuple[int, int]:
    """Runs `xsflow tick --now`: (transitions fired, service levels newly overdue)."""
    out = server.tick(now).stdout
    fired = re.search(r"^fired (\d+)$", out, re.M)
    late = re.search(r"^超过办理时限 (\d+) 件$", out, re.M)
    assert fired, out
    return int(fired.group(1)), int(late.group(1)) if late else 0


def through_to_coordination(server: Server, t: dict[str, str], title: str, *, category: str = "duty",
                            opened: str = "2025-09-01T09:00:00+08:00") -> int:
    cid = open_dispute(server, t["owner"], opened, title=title, category=category)["id"]
    fire(server, t["owner"], cid, "apply", APPLICATION, "2025-09-10T10:00:00+08:00")
    assert fire(server, t["reviewer"], cid, "accept", None, "2025-09-12T10:00:00+08:00")["state"] == "coordinating"
    return cid


# --- negotiation, parties and who sees what ------------------------------------------------------


def test_negotiated_agreement_closes_a_dispute_every_party_sees_and_no_outsider_does(server: Server):
    """Opening needs a category and another party; each party agency sees and may act on the dispute, another agency gets 403; a party records the agreement and the case is resolved."""
    t = people(server)

    refused = open_dispute(server, t["owner"], "2025-03-03T09:00:00+08:00", data={}, expect=422)["error"]["fields"]
    assert refused["data.category"][0].startswith("请选择争议类别（第22条第（一）至（八）项）")
    assert "因行政执法职责发生争议" in refused["data.category"][0]
    assert refused["data.parties"] == ["请列出与本单位发生争议的单位代码（第22条：行政执法机构之间的争议）。"]
    refused = open_dispute(server, t["owner"], "2025-03-03T09:00:00+08:00", category="quarrel", parties=[],
                           expect=422)["error"]["fields"]
    assert refused["data.category"][0].startswith("不是有效的争议类别")
    assert refused["data.parties"] == ["至少列出一个与本单位发生争议的单位（争议须发生在两个以上行政执法机构之间）。"]
    refused = open_dispute(server, t["owner"], "2025-03-03T09:00:00+08:00", parties=[PARTY, "nosuch"], expect=422)
    assert refused["error"]["fields"] == {"data.parties": ["没有代码为“nosuch”的单位。"]}
    assert open_dispute(server, t["owner"], "2025-03-03T09:00:00+08:00", parties=[PARTY, PARTY],
                        expect=422)["error"]["fields"] == {"data.parties": ["争议相对方单位有重复项。"]}
    assert listed(server, t["supervisor"]) == []

    # Three agencies: the opener and two others (art. 22: 行政执法机构之间).
    case = open_dispute(server, t["owner"], "2025-03-03T09:00:00+08:00", parties=[PARTY, THIRD])
    cid = case["id"]
    assert (case["state"], case["agency"], case["parties"]) == ("negotiating", OWNER, [PARTY, THIRD])
    # Opened Mon 2025-03-03; 15 working days: 3-4..3-7 (4), 3-10..3-14 (9), 3-17..3-21 (14), Mon 3-24 (15).
    negotiation = the_deadline(case, "negotiation")
    assert (negotiation["due_date"], negotiation["service_level"]) == ("2025-03-24", True)
    assert "及时" in negotiation["basis"] and "非法定期限" in negotiation["basis"]

    for who in ("owner", "party", "third"):
        seen = get_case(server, t[who], cid)
        assert seen["available_triggers"] == ["record_agreement", "apply", "withdraw"], who
        assert listed(server, t[who]) == [cid], who
        assert [s[0] for s in steps(server, t[who], cid)] == ["open"], who
    assert get_case(server, t["reviewer"], cid)["available_triggers"] == []  # the bureau waits for an application

    assert server.call("GET", f"/api/v1/cases/{cid}", t["outsider"]).status == 403
    assert server.call("GET", f"/api/v1/cases/{cid}/history", t["outsider"]).status == 403
    assert listed(server, t["outsider"]) == []
    outsider_try = fire(server, t["outsider"], cid, "record_agreement", {"agreement": "由城管局查处。"}, expect=403)
    assert "其他单位" in outsider_try["error"]["message"]

    # The real clock is past 2025-03-24: the still-open negotiation is overdue for the supervisor and the parties.
    assert overdue(server, t["supervisor"]) == [(cid, "negotiation")]
    assert overdue(server, t["third"]) == [(cid, "negotiation")]
    assert overdue(server, t["outsider"]) == []

    blank = fire(server, t["party"], cid, "record_agreement", {"agreement": "  "}, "2025-03-20T15:00:00+08:00", expect=422)
    assert blank["error"]["fields"] == {"agreement": ["请写明各方协商一致的意见。"]}
    assert get_case(server, t["owner"], cid)["version"] == case["version"]

    # The other party, not the opener, records what all three agreed.
    case = fire(server, t["party"], cid, "record_agreement",
                {"agreement": "占道行为由县城市管理局查处，无证无照销售食品由县市场监管局查处。", "document_number": "秀山城管纪〔2025〕3号"},
                "2025-03-20T15:00:00+08:00")
    assert (case["state"], case["state_title"], case["closed"]) == ("resolved", "协商解决", True)
    assert case["data"]["agreement"]["document_number"] == "秀山城管纪〔2025〕3号"
    assert the_deadline(case, "negotiation")["status"] == "met"
    assert case["documents"] == []  # the agencies settled it themselves: the bureau issues nothing
    assert steps(server, t["third"], cid) == [("open", None, "negotiating", "clerk"),
                                             ("record_agreement", "negotiating", "resolved", "clerk")]
    assert overdue(server, t["supervisor"]) == []
    assert fire(server, t["owner"], cid, "apply", APPLICATION, expect=409)["error"]["message"].startswith("案件当前处于“协商解决”阶段")
    assert server.call("GET", f"/api/v1/cases/{cid}", t["outsider"]).status == 403


# --- application, coordination and the county government's decision -------------------------------


def test_application_is_checked_field_by_field_then_coordinated_reported_and_decided(server: Server):
    """An application lacking any content of art. 23 is refused naming each one; a complete one is accepted, coordinated, reported to the county government with a request, and the decision posted by the government's system closes the case."""
    t = people(server)
    case = open_dispute(server, t["owner"], "2025-09-01T09:00:00+08:00")
    cid, version = case["id"], case["version"]

    nothing = fire(server, t["party"], cid, "apply", {}, "2025-09-10T10:00:00+08:00", expect=422)["error"]
    assert set(nothing["fields"]) == set(CONTENT_TITLES)
    for name, title in CONTENT_TITLES.items():
        [message] = nothing["fields"][name]
        assert f"协调申请书应当写明“{title}”" in message and "第23条第二款" in message, message
    assert "第23条第二款第（三）项" in nothing["fields"]["proposal"][0]

    partial = {**APPLICATION, "negotiation": "   ", "legal_basis": None}
    half = fire(server, t["party"], cid, "apply", partial, "2025-09-10T10:00:00+08:00", expect=422)["error"]
    assert set(half["fields"]) == {"negotiation", "legal_basis"}
    assert "自行协商情况及分歧意见" in half["fields"]["negotiation"][0]
    assert "有关法律、法规或者规章等依据" in half["fields"]["legal_basis"][0]
    stray = fire(server, t["party"], cid, "apply", {**APPLICATION, "urgent": True}, expect=422)["error"]
    assert stray["fields"] == {"urgent": ["不认识的字段，请删除。"]}

    unchanged = get_case(server, t["owner"], cid)
    assert (unchanged["state"], unchanged["version"], "application" in unchanged["data"]) == ("negotiating", version, False)
    assert len(steps(server, t["owner"], cid)) == 1

    # The other party applies (art. 22: either agency may, once negotiation has failed).
    case = fire(server, t["party"], cid, "apply", APPLICATION, "2025-09-10T10:00:00+08:00")
    assert case["state"] == "application_submitted"
    assert case["data"]["application"] == APPLICATION
    assert the_deadline(case, "negotiation")["status"] == "met"  # 15 working days from 9-1 end on 9-22
    # Received Wed 2025-09-10; 5 working days: 9-11, 9-12, 9-15, 9-16, 9-17.
    assert the_deadline(case, "acceptance")["due_date"] == "2025-09-17"
    assert overdue(server, t["supervisor"]) == [(cid, "acceptance")]
    assert get_case(server, t["reviewer"], cid)["available_triggers"] == ["return_to_negotiation", "accept"]

    clerk_accepts = fire(server, t["owner"], cid, "accept", expect=403)["error"]["message"]
    assert "县司法局审查人员" in clerk_accepts

    case = fire(server, t["reviewer"], cid, "accept", None, "2025-09-12T10:00:00+08:00")
    assert (case["state"], case["state_title"]) == ("coordinating", "县司法局协调中")
    assert the_deadline(case, "acceptance")["status"] == "met"
    # Accepted Fri 2025-09-12; 30 days end Sun 2025-10-12, a rest day (the Saturday before is a make-up
    # working day, the Sunday is not), so the period ends Mon 2025-10-13.
    coordination = the_deadline(case, "coordination")
    assert (coordination["due_date"], coordination["period"]["kind"]) == ("2025-10-13", "days")
    assert overdue(server, t["party"]) == [(cid, "coordination")]
    assert get_case(server, t["reviewer"], cid)["available_triggers"] == [
        "issue_coordination_opinion", "report_to_government", "escalate", "suspend"]
    assert get_case(server, t["owner"], cid)["available_triggers"] == ["withdraw"]

    missing = fire(server, t["reviewer"], cid, "report_to_government", {}, expect=422)["error"]["fields"]
    assert missing == {"opinion": ["请写明县司法局的处理意见及理由，供县人民政府裁决参考。"]}
    opinion = "建议明确：占道经营行为由县城市管理局查处；无证无照销售食品由县市场监管局查处。\n两局建立案件移送机制。"
    case = fire(server, t["reviewer"], cid, "report_to_government", {"opinion": opinion}, "2025-10-09T16:00:00+08:00")
    assert (case["state"], case["state_title"]) == ("awaiting_decision", "报请县政府裁决")
    assert the_deadline(case, "coordination")["status"] == "met"
    assert overdue(server, t["supervisor"]) == []  # the government's pace is not the bureau's service level
    [request] = case["documents"]
    assert (request["kind"], request["number"]) == ("decision_request", "秀山司请〔2025〕1号")
    assert "第22条" in request["basis"]

    lines = document_lines(server, t["party"], request["id"])
    body = "\n".join(lines)
    assert lines[0] == "关于提请裁决“流动摊贩占道销售无证食品查处职责争议”行政执法争议的请示"
    assert lines[1] == "秀山司请〔2025〕1号\t签发人：待确认"  # a request sent up carries 签发人 (GB/T 9704 7.2.5)
    assert f"{COUNTY}：" in lines
    assert "县城市管理局、县市场监管局就“流动摊贩占道销售无证食品查处职责争议”发生行政执法争议" in body
    assert "因行政执法职责发生争议（第22条第（一）项）" in body
    assert "由县司法局报请县政府裁决" in body
    for heading in ("一、需要协调的事项", "二、自行协商情况及分歧意见", "三、解决方案建议及理由",
                    "四、有关法律、法规或者规章等依据", "五、本局处理意见"):
        assert heading in lines, heading
    assert "县城市管理局认为属于无照经营，应由县市场监管局查处；县市场监管局认为属于占道经营，应由县城市管理局查处。" in lines
    assert "两局建立案件移送机制。" in lines
    assert "随文报送协调申请书及下列相关文件材料：协商会议纪要；两局职责清单摘录。" in lines
    assert lines[-3:] == ["妥否，请批示。", "秀山土家族苗族自治县司法局", "2025年10月9日"]
    assert server.call("GET", f"/api/v1/documents/{request['id']}", t["outsider"]).status == 403

    assert fire(server, t["party"], cid, "record_decision", {"decision": "由城管局查处。"}, expect=403)["error"]["message"] \
        .startswith("“登记县政府裁决”只能由")
    assert fire(server, t["owner"], cid, "withdraw", {"reason": "不再争议。"}, expect=409)["error"]["message"] \
        .startswith("案件当前处于“报请县政府裁决”阶段")

    # The county government's OA posts its decision on the government's behalf.
    # The decision is issued in the county government's name and series (tests/test_numbering.py).
    decision = {"decision": "占道经营由县城市管理局查处，无证无照销售食品由县市场监管局查处。"}
    case = fire(server, t["oa"], cid, "record_decision", decision, "2025-10-20T11:00:00+08:00")
    assert (case["state"], case["state_title"], case["closed"]) == ("decided", "已作出决定", True)
    assert case["data"]["decision"] == {**decision, "decided_by": COUNTY}
    assert [d["number"] for d in case["documents"] if d["kind"] == "dispute_decision"] == ["秀山府发〔2025〕1号"]
    assert steps(server, t["party"], cid) == [
        ("open", None, "negotiating", "clerk"),
        ("apply", "negotiating", "application_submitted", "clerk"),
        ("accept", "application_submitted", "coordinating", "reviewer"),
        ("report_to_government", "coordinating", "awaiting_decision", "reviewer"),
        ("record_decision", "awaiting_decision", "decided", "system"),
    ]
    assert get_case(server, t["owner"], cid)["available_triggers"] == []
    assert overdue(server, t["supervisor"]) == []


# --- coordination agreement, escalation, return and withdrawal -------------------------------------


def test_coordination_agreement_escalations_return_and_withdrawal(server: Server):
    """An agreement under the bureau's coordination issues a coordination opinion; a matter outside the county government's authority is referred to the competent organ from coordination or after the report; an application may be returned to negotiation and a dispute withdrawn before the report."""
    t = people(server)

    # (a) Agreement under coordination: the opinion goes to every party.
    agreed = through_to_coordination(server, t, "农贸市场周边占道经营联合执法争议", category="joint_enforcement")
    case = fire(server, t["reviewer"], agreed, "issue_coordination_opinion",
                {"agreement": "由县城市管理局牵头组织联合执法。\n县市场监管局派员参加并负责食品安全检查。",
                 "measures": "每月第一周联合检查一次。"}, "2025-09-25T10:00:00+08:00")
    assert (case["state"], case["state_title"], case["closed"]) == ("coordinated", "经协调达成一致", True)
    assert the_deadline(case, "coordination")["status"] == "met"
    [opinion] = case["documents"]
    assert (opinion["kind"], opinion["number"]) == ("coordination_opinion", "秀山司协〔2025〕1号")
    lines = document_lines(server, t["party"], opinion["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["行政执法争议协调意见书", "秀山司协〔2025〕1号"]
    assert "县城市管理局、县市场监管局：" in lines
    assert "因联合执法发生争议（第22条第（三）项）" in body
    assert "城区主干道两侧流动摊贩占道经营中销售无证无照食品的行为，由哪一部门负责查处。" in lines
    assert lines[lines.index("经协调，各方达成一致意见如下："):][1:3] == [
        "由县城市管理局牵头组织联合执法。", "县市场监管局派员参加并负责食品安全检查。"]
    assert "每月第一周联合检查一次。" in lines
    assert lines[-2:] == ["秀山土家族苗族自治县司法局", "2025年9月25日"]

    # (b) Outside the county government's authority, found while coordinating.
    city = through_to_coordination(server, t, "实施市政府规章中户外广告设置标准的争议", category="municipal_rules")
    no_organ = fire(server, t["reviewer"], city, "escalate", {"reasons": ""}, expect=422)["error"]["fields"]
    assert no_organ == {"competent_organ": ["请写明有决定权的机关的名称。"],
                        "reasons": ["请写明该争议事项不属于县人民政府职权范围的理由。"]}
    case = fire(server, t["reviewer"], city, "escalate",
                {"competent_organ": "重庆市人民政府", "reasons": "争议涉及市政府规章有关条文的解释，属于规章制定机关的职权。"},
                "2025-09-19T10:00:00+08:00")
    assert (case["state"], case["state_title"], case["closed"]) == ("escalated", "已报有决定权的机关决定", False)
    assert the_deadline(case, "coordination")["status"] == "met"
    [letter] = case["documents"]
    assert (letter["kind"], letter["number"]) == ("referral_letter", "秀山司函〔2025〕1号")
    lines = document_lines(server, t["owner"], letter["id"])
    body = "\n".join(lines)
    assert lines[0] == "关于报请决定“实施市政府规章中户外广告设置标准的争议”行政执法争议事项的函"
    assert "重庆市人民政府：" in lines
    assert "因实施本市地方性法规、政府规章发生争议（第22条第（六）项）" in body
    assert f"经本局审查，该争议事项不属于{COUNTY}职权范围" in body and "报请县人民政府裁决" not in body
    assert "争议涉及市政府规章有关条文的解释，属于规章制定机关的职权。" in lines
    assert "按照规定的程序和权限报有决定权的机关决定" in body
    assert lines[-2:] == ["秀山土家族苗族自治县司法局", "2025年9月19日"]
    assert get_case(server, t["party"], city)["available_triggers"] == []
    assert get_case(server, t["reviewer"], city)["available_triggers"] == ["record_competent_decision"]
    case = fire(server, t["reviewer"], city, "record_competent_decision",
                {"decision": "按市政府规章第十二条的标准执行。", "document_number": "渝府函〔2025〕5号"}, "2025-11-03T10:00:00+08:00")
    assert (case["state"], case["closed"]) == ("decided", True)
    assert case["data"]["decision"]["decided_by"] == "重庆市人民政府"

    # (c) Outside its authority, as the county government finds after the bureau's report.
    after_report = through_to_coordination(server, t, "跨区县移送案件管辖争议", category="case_transfer")
    request = fire(server, t["reviewer"], after_report, "report_to_government", {"opinion": "建议报市级主管部门指定管辖。"},
                   "2025-09-22T10:00:00+08:00")["documents"][0]
    assert request["number"] == "秀山司请〔2025〕1号"
    case = fire(server, t["reviewer"], after_report, "escalate",
                {"competent_organ": "重庆市市场监督管理局", "reasons": "案件涉及其他区县，管辖争议应由共同的上级主管部门指定。"},
                "2025-09-29T10:00:00+08:00")
    assert case["state"] == "escalated"
    assert [d["kind"] for d in case["documents"]] == ["decision_request", "referral_letter"]
    letter = case["documents"][1]
    assert letter["number"] == "秀山司函〔2025〕2号"
    body = "\n".join(document_lines(server, t["party"], letter["id"]))
    assert f"本局已以《关于提请裁决“跨区县移送案件管辖争议”行政执法争议的请示》（秀山司请〔2025〕1号）报请{COUNTY}裁决。" in body
    assert f"裁决。\n经{COUNTY}研究，该争议事项不属于{COUNTY}职权范围" in body
    assert overdue(server, t["supervisor"]) == []  # nothing the bureau waits on is past its service level

    # (d) Returned for negotiation, applied again, then withdrawn while the application is pending.
    returned = open_dispute(server, t["owner"], "2025-09-01T09:00:00+08:00", title="建筑垃圾运输车辆执法协助争议",
                            category="assistance")["id"]
    fire(server, t["owner"], returned, "apply", APPLICATION, "2025-09-02T10:00:00+08:00")
    fire(server, t["owner"], returned, "return_to_negotiation", {"reason": "请先协商。"}, expect=403)
    case = fire(server, t["reviewer"], returned, "return_to_negotiation",
                {"reason": "申请材料显示两局尚未就协助事项进行协商，请先依照第22条自行协商。"}, "2025-09-03T10:00:00+08:00")
    assert case["state"] == "negotiating"
    assert "application" not in case["data"]
    assert case["data"]["returned"][0]["application"] == APPLICATION
    # Negotiating again starts a fresh negotiation service level, from Wed 2025-09-03:
    # 9-4, 9-5 (2), 9-8..9-12 (7), 9-15..9-19 (12), 9-22, 9-23, 9-24 (15).
    assert [d["status"] for d in case["deadlines"] if d["name"] == "negotiation"] == ["met", "pending"]
    assert the_deadline(case, "negotiation", "pending")["due_date"] == "2025-09-24"
    fire(server, t["party"], returned, "apply", APPLICATION, "2025-09-15T10:00:00+08:00")
    no_reason = fire(server, t["party"], returned, "withdraw", {}, expect=422)["error"]["fields"]
    assert no_reason == {"reason": ["请写明理由。"]}
    case = fire(server, t["party"], returned, "withdraw", {"reason": "两局已另行达成协助协议。"}, "2025-09-16T10:00:00+08:00")
    assert (case["state"], case["state_title"], case["closed"]) == ("withdrawn", "已撤回", True)
    assert [d["status"] for d in case["deadlines"] if d["name"] == "acceptance"] == ["met", "cancelled"]

    # (e) Withdrawn from negotiation and from coordination.
    quiet = open_dispute(server, t["owner"], "2025-09-01T09:00:00+08:00", title="执法标准争议", category="basis_procedure_standard")["id"]
    case = fire(server, t["owner"], quiet, "withdraw", {"reason": "上级已统一标准，争议消除。"}, "2025-09-05T10:00:00+08:00")
    assert (case["state"], the_deadline(case, "negotiation")["status"]) == ("withdrawn", "cancelled")
    dropped = through_to_coordination(server, t, "权责清单认领争议", category="power_lists")
    case = fire(server, t["owner"], dropped, "withdraw", {"reason": "编办已调整清单。"}, "2025-09-18T10:00:00+08:00")
    assert (case["state"], the_deadline(case, "coordination")["status"]) == ("withdrawn", "cancelled")
    assert not [d for d in case["deadlines"] if d["status"] == "pending"]

    assert overdue(server, t["supervisor"]) == []
    assert swept(server, "2025-12-31T12:00:00+08:00") == (0, 0)  # nothing left to lapse
    assert listed(server, t["supervisor"], "&state=escalated") == [after_report]
    assert listed(server, t["outsider"]) == []


# --- service levels across National Day 2025 -----------------------------------------------------------


def test_service_levels_cross_national_day_and_make_cases_overdue_until_they_move(server: Server):
    """Each service level counts across National Day 2025 (make-up days in, the holiday out, a 30-day period rolled past it); the sweep marks the case overdue at 24:00 of the last day for the supervisor and the parties, and moving on clears it."""
    # 国办发明电〔2024〕12号: Oct 1–8 off; Sun 9-28 and Sat 10-11 are working days.
    t = people(server)

    # Coordination, 30 days from acceptance on Thu 9-4: 10-4 is in the holiday, so the period ends on the
    # first working day after it, Thu 10-9; lapses 10-10 00:00 (+08).
    coordination = open_dispute(server, t["owner"], "2025-09-01T09:00:00+08:00", title="甲争议")["id"]
    fire(server, t["owner"], coordination, "apply", APPLICATION, "2025-09-02T10:00:00+08:00")
    fire(server, t["reviewer"], coordination, "accept", None, "2025-09-04T10:00:00+08:00")

    # Acceptance, 5 working days from Fri 9-26: Sun 9-28 (1), 9-29 (2), 9-30 (3), 10-9 (4), 10-10 (5).
    acceptance = open_dispute(server, t["owner"], "2025-09-22T09:00:00+08:00", title="乙争议")["id"]
    fire(server, t["party"], acceptance, "apply", APPLICATION, "2025-09-26T16:00:00+08:00")

    # Negotiation, 15 working days from Fri 9-19: 9-22..9-26 (5), Sun 9-28 (6), 9-29, 9-30 (8),
    # 10-9, 10-10 (10), Sat 10-11 (11), 10-13..10-16 (15).
    negotiation = open_dispute(server, t["owner"], "2025-09-19T09:00:00+08:00", title="丙争议", parties=[THIRD])["id"]

    due = {cid: the_deadline(get_case(server, t["supervisor"], cid), name)
           for cid, name in ((coordination, "coordination"), (acceptance, "acceptance"), (negotiation, "negotiation"))}
    assert {cid: (d["due_date"], d["lapses_at"]) for cid, d in due.items()} == {
        coordination: ("2025-10-09", "2025-10-09T16:00:00Z"),
        acceptance: ("2025-10-10", "2025-10-10T16:00:00Z"),
        negotiation: ("2025-10-16", "2025-10-16T16:00:00Z"),
    }
    # On the real clock all three are past due already: oldest lapse first, each agency sees only its own.
    assert overdue(server, t["supervisor"]) == [(coordination, "coordination"), (acceptance, "acceptance"),
                                                (negotiation, "negotiation")]
    assert overdue(server, t["third"]) == [(negotiation, "negotiation")]
    assert overdue(server, t["outsider"]) == []
    assert listed(server, t["supervisor"], "&overdue=true") == [coordination, acceptance, negotiation]
    assert listed(server, t["party"], "&overdue=true") == [coordination, acceptance]
    assert listed(server, t["outsider"], "&overdue=true") == []

    names = {coordination: "coordination", acceptance: "acceptance", negotiation: "negotiation"}

    def marked() -> dict[int, str]:
        return {cid: the_deadline(get_case(server, t["supervisor"], cid), name)["status"] for cid, name in names.items()}

    # On the real clock every one is past due, so each case reads overdue before any sweep has run.
    assert all(get_case(server, t["supervisor"], cid)["overdue"] for cid in due)
    # The sweep marks each lapsed only after 24:00 of its own last day (the holiday counted against no one).
    assert swept(server, "2025-10-09T23:59:59+08:00") == (0, 0)
    assert marked() == {coordination: "pending", acceptance: "pending", negotiation: "pending"}
    assert swept(server, "2025-10-10T00:00:01+08:00") == (0, 1)
    assert marked() == {coordination: "lapsed", acceptance: "pending", negotiation: "pending"}
    assert the_deadline(get_case(server, t["party"], coordination), "coordination")["status"] == "lapsed"
    assert swept(server, "2025-10-11T00:00:01+08:00") == (0, 1)
    assert marked() == {coordination: "lapsed", acceptance: "lapsed", negotiation: "pending"}
    assert swept(server, "2025-10-17T00:00:01+08:00") == (0, 1)
    assert marked() == {coordination: "lapsed", acceptance: "lapsed", negotiation: "lapsed"}
    # A service level never moves a case.
    assert [get_case(server, t["supervisor"], cid)["state"] for cid in due] == [
        "coordinating", "application_submitted", "negotiating"]

    # Moving on takes the late step off the overdue list; it stays recorded as lapsed.
    case = fire(server, t["reviewer"], acceptance, "accept", None, "2025-10-13T09:00:00+08:00")
    assert (the_deadline(case, "acceptance")["overdue"], the_deadline(case, "acceptance")["status"]) == (False, "lapsed")
    # The new coordination period: 30 days from Mon 10-13 end Wed 11-12.
    assert the_deadline(case, "coordination")["due_date"] == "2025-11-12"
    fire(server, t["reviewer"], coordination, "report_to_government", {"opinion": "建议由县城市管理局查处。"},
         "2025-10-13T10:00:00+08:00")
    fire(server, t["third"], negotiation, "apply", APPLICATION, "2025-10-20T10:00:00+08:00")
    assert not any(d["overdue"] for cid in due for d in get_case(server, t["supervisor"], cid)["deadlines"]
                   if d["status"] == "lapsed")
    # On the real clock, what two of them wait in now (acceptance of 丙 from Mon 10-20: last day Mon 10-27;
    # coordination of 乙: Wed 11-12) is past due too; 甲 waits on the government, which has no service level.
    assert overdue(server, t["supervisor"]) == [(negotiation, "acceptance"), (acceptance, "coordination")]
    assert listed(server, t["supervisor"], "&overdue=true") == [acceptance, negotiation]
    assert listed(server, t["third"], "&overdue=true") == [negotiation]


def test_overdue_working_days_count_make_up_days_on_a_fixed_clock(system):
    """On a fixed clock the overdue list is exact: not listed on the last day, then counted in working days with the Saturday make-up day and without the Sunday."""
    from adapters.http import create_app

    clock = system.clock
    with system.db.write() as conn:
        supervisor = create_token(conn, name="督查", role="supervisor", agency=None, now=clock.now())
        clerk = create_token(conn, name="市场监管局", role="clerk", agency=PARTY, now=clock.now())
        opener = create_token(conn, name="城管局", role="clerk", agency=OWNER, now=clock.now())
    client = create_app(system).test_client()

    def call(method: str, path: str, token: str, body: Any = None):
        r = client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code < 300, r.get_json()
        return r.get_json()

    clock.move_to(at("2025-09-26T16:00:00+08:00"))
    cid = call("POST", "/api/v1/cases", opener, {"procedure": DC, "agency": OWNER, "title": "丁争议",
                                                 "data": {"category": "other", "parties": [PARTY]}})["id"]
    call("POST", f"/api/v1/cases/{cid}/events", clerk, {"trigger": "apply", "payload": APPLICATION})
    # Acceptance, 5 working days from Fri 9-26: last day Fri 10-10 (see above).
    clock.move_to(at("2025-10-10T23:00:00+08:00"))
    assert call("GET", "/api/v1/overdue", supervisor)["items"] == []
    # Mon 10-13: Sat 10-11 is a make-up working day (1), Sun 10-12 rests, Mon 10-13 (2).
    clock.move_to(at("2025-10-13T10:00:00+08:00"))
    assert system.tick().overdue == 1
    [item] = call("GET", "/api/v1/overdue", clerk)["items"]
    assert (item["case_id"], item["deadline"], item["due_date"], item["working_days_overdue"]) == (
        cid, "acceptance", "2025-10-10", 2)
    assert "对本县无约束力" in item["basis"]  # the source says honestly that it only borrows a neighbour's rule


# --- at least two agencies -----------------------------------------------------------------------------


def test_a_dispute_listing_only_the_opening_agency_is_refused(system):
    """A dispute whose only listed party is the opening agency itself has one agency, not two, and is refused."""
    from adapters.http import create_app

    with system.db.write() as conn:
        opener = create_token(conn, name="城管局", role="clerk", agency=OWNER, now=system.clock.now())
    r = create_app(system).test_client().post(
        "/api/v1/cases", headers={"Authorization": f"Bearer {opener}"},
        json={"procedure": DC, "agency": OWNER, "title": "自己与自己的争议", "data": {"category": "duty", "parties": [OWNER]}})
    assert r.status_code == 422, r.get_json()
