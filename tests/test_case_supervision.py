"""行政执法个案监督 (case_supervision), both definition versions, end to end over HTTP.

Every path of each version is walked against a real `xsflow serve` on SQLite and PostgreSQL.
The server reads the real clock (late 2026), so every `occurred_at` lies in the past and lapses
are swept with `xsflow tick --now`. Events are posted in global time order, because a sweep acts
on every case of the database at once. Because the real clock is past every date used here, a
period whose last day has gone by is on the overdue list as soon as it exists, even before a
sweep processes it; the overdue list is checked for that at each step, and its exact timing on a
fixed clock in the last test.

Hand-computed periods (国办发明电〔2025〕7号: Spring Festival 2026-02-15 … 02-23 off; Saturdays
02-14 and 02-28 are make-up working days; New Year's make-up Sunday 01-04 lies before every
period here):
- 10 working days from Wed 01-07: 01-08, 01-09, 01-12 … 01-16, 01-19, 01-20, 01-21 → Wed 01-21.
- 10 working days from Wed 02-11: 02-12, 02-13, Sat 02-14, [02-15 … 02-23 holiday], 02-24 … 02-27,
  Sat 02-28, 03-02, 03-03 → Tue 03-03 (without the make-up Saturdays it would be 03-05).
- 10 working days from Wed 02-04: 02-05, 02-06, 02-09 … 02-13, Sat 02-14, 02-24, 02-25 → Wed 02-25.
- 10 working days from Fri 02-13: Sat 02-14, 02-24 … 02-27, Sat 02-28, 03-02 … 03-05 → Thu 03-05.
- 10 working days from Thu 02-12: 02-13, Sat 02-14, 02-24 … 02-27, Sat 02-28, 03-02 … 03-04 → Wed 03-04.
- 10 working days from Thu 02-26: 02-27, Sat 02-28, 03-02 … 03-06, 03-09 … 03-11 → Wed 03-11.
- 10 working days from Wed 03-04: 03-05, 03-06, 03-09 … 03-13, 03-16 … 03-18 → Wed 03-18.
- 10 days from Thu 02-05: day 10 is Sun 02-15, the first day of the holiday; 民法典 第二百零三条
  moves the last day to the first working day after it, Tue 02-24.
- 7 days from Fri 01-23 → Fri 01-30; 15 days from Mon 03-16 → Tue 03-31.
"""
from __future__ import annotations

import io
import re
import urllib.request
from datetime import date, datetime, timezone
from typing import Any

import docx

from adapters.compose import county_registry
from xsflow.store.db import Database
from xsflow.tokens import create_token

from .conftest import Server, at

CS = "case_supervision"
UNIT = "scjgj"  # 县市场监管局
POLICE = "gaj"  # 县公安局
TRANSPORT = "jtj"  # 县交通局, an agency with no case here
BUREAU = "sfj"  # 县司法局


class Desk:
    """One person at the API: a bearer token and the calls the tests make."""

    def __init__(self, server: Server, token: str) -> None:
        self.server, self.token = server, token

    def call(self, method: str, path: str, body: Any = None):
        return self.server.call(method, f"/api/v1{path}", self.token, body)

    def open(self, occurred_at: str, *, agency: str = UNIT, title: str = "对某超市无照经营投诉的处理",
             grounds: list[str] | None = None, expect: int = 201, **data: Any) -> dict[str, Any]:
        body = {"procedure": CS, "agency": agency, "title": title, "occurred_at": occurred_at,
                "data": {"grounds": grounds or ["complaint"], **data}}
        r = self.call("POST", "/cases", body)
        assert r.status == expect, r.body
        return r.body

    def fire(self, case_id: int, trigger: str, payload: dict[str, Any] | None, occurred_at: str, *,
             expect: int = 200) -> dict[str, Any]:
        r = self.call("POST", f"/cases/{case_id}/events",
                      {"trigger": trigger, "payload": payload or {}, "occurred_at": occurred_at})
        assert r.status == expect, r.body
        return r.body

    def case(self, case_id: int) -> dict[str, Any]:
        r = self.call("GET", f"/cases/{case_id}")
        assert r.status == 200, r.body
        return r.body

    def overdue(self) -> list[tuple[int, str, str]]:
        """The overdue list as (case, deadline, state), oldest first."""
        r = self.call("GET", "/overdue")
        assert r.status == 200 and r.body["next"] is None, r.body
        return [(i["case_id"], i["deadline"], i["state"]) for i in r.body["items"]]

    def overdue_cases(self) -> list[int]:
        r = self.call("GET", f"/cases?procedure={CS}&overdue=true")
        assert r.status == 200, r.body
        return [c["id"] for c in r.body["items"]]

    def steps(self, case_id: int) -> list[tuple[str, str | None, str]]:
        r = self.call("GET", f"/cases/{case_id}/history")
        assert r.status == 200 and r.body["next"] is None, r.body
        return [(h["trigger"], h["from_state"], h["to_state"]) for h in r.body["items"]]

    def paragraphs(self, document_id: int) -> list[str]:
        """The paragraphs of an issued document's .docx, as downloaded."""
        req = urllib.request.Request(f"{self.server.url}/api/v1/documents/{document_id}/file",
                                     headers={"Authorization": f"Bearer {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            assert r.status == 200
            return [p.text for p in docx.Document(io.BytesIO(r.read())).paragraphs if p.text.strip()]


def desks(server: Server) -> dict[str, Desk]:
    db = Database(server.database_url)
    spec = {"supervisor": ("supervisor", None), "clerk": ("clerk", UNIT), "police": ("clerk", POLICE),
            "transport": ("clerk", TRANSPORT), "oa": ("system", None)}
    try:
        with db.write() as conn:
            return {name: Desk(server, create_token(conn, name=name, role=role, agency=agency,
                                                    now=datetime.now(timezone.utc)))
                    for name, (role, agency) in spec.items()}
    finally:
        db.dispose()


def fired(server: Server, now: str) -> int:
    m = re.search(r"^fired (\d+)$", server.tick(now).stdout, re.M)
    assert m
    return int(m.group(1))


def pending(case: dict[str, Any], name: str) -> dict[str, Any]:
    [d] = [d for d in case["deadlines"] if d["name"] == name and d["status"] == "pending"]
    return d


def statuses(case: dict[str, Any], name: str) -> list[tuple[str, str]]:
    return [(d["due_date"], d["status"]) for d in case["deadlines"] if d["name"] == name]


def document(case: dict[str, Any], kind: str, index: int = -1) -> dict[str, Any]:
    return [d for d in case["documents"] if d["kind"] == kind][index]


FINDINGS = {"findings": "1. 接到投诉后未依法立案调查。\n2. 未在规定期限内告知投诉人处理结果。",
            "requirements": "依法对投诉事项立案调查，并告知投诉人处理结果。"}


# --- version 1: rectified after a rejected feedback, across the Spring Festival -------------------


def test_v1_opinion_rectified_after_rejected_feedback_across_spring_festival(server: Server):
    """A version-1 case opened in January 2026 keeps version 1 after February 1: 10 working days from receipt cross the Spring Festival, a rejected feedback restarts them, an accepted one closes the case."""
    d = desks(server)
    sup, clerk, police = d["supervisor"], d["clerk"], d["police"]

    listed = [(p["name"], p["version"], p["effective_from"]) for p in sup.call("GET", "/procedures").body["items"]
              if p["name"] == CS]
    assert listed == [(CS, 1, None), (CS, 2, "2026-02-01")]
    assert sup.call("GET", f"/procedures/{CS}").body["version"] == 2
    v1 = sup.call("GET", f"/procedures/{CS}?version=1").body
    assert {"investigating", "awaiting_rectification", "rectification_overdue", "closed"} <= {s["name"] for s in v1["states"]}
    assert [dl["name"] for dl in v1["deadlines"]] == ["rectification", "correction"]

    # Opening is the supervision office's decision (art. 29), on a ground of art. 29 or art. 28.
    assert clerk.open("2026-01-20T09:00:00+08:00", expect=403)["error"]["code"] == "forbidden"
    bad = sup.open("2026-01-20T09:00:00+08:00", grounds=["rumour"], expect=422)["error"]["fields"]
    assert "data.grounds.0" in bad
    bad = sup.open("2026-01-20T09:00:00+08:00", grounds=["case_file_score"], score=60, case_file="某案卷", expect=422)
    assert "60分以上" in bad["error"]["fields"]["data.score"][0]  # exactly 60 is 合格, not "60分以下"

    case = sup.open("2026-01-20T09:00:00+08:00", grounds=["complaint", "media_exposure"], reference="12345-0120-007",
                    source="12345热线工单")
    cid = case["id"]
    assert (case["definition_version"], case["state"], case["agency"]) == (1, "investigating", UNIT)
    assert case["available_triggers"] == ["issue_opinion", "close_no_violation"]
    assert clerk.case(cid)["available_triggers"] == []
    assert police.call("GET", f"/cases/{cid}").status == 403
    assert clerk.fire(cid, "issue_opinion", FINDINGS, "2026-01-28T10:00:00+08:00", expect=403)["error"]["code"] == "forbidden"

    case = sup.fire(cid, "issue_opinion", FINDINGS, "2026-01-28T10:00:00+08:00")
    assert (case["state"], case["deadlines"]) == ("awaiting_receipt", [])  # art. 32 counts from receipt
    opinion = document(case, "supervision_opinion")
    assert opinion["number"] == "秀山司监〔2026〕1号"
    text = clerk.paragraphs(opinion["id"])
    body = "\n".join(text)
    assert text[:3] == ["行政执法监督意见书", "秀山司监〔2026〕1号", "县市场监管局："]
    assert "启动情形：因错误行政执法行为被投诉或举报；因不正确履行行政职责被媒体曝光" in body
    assert "1. 接到投诉后未依法立案调查。" in body and "依照《秀山自治县行政执法监督制度》第30条的规定" in body
    assert "自收到本意见书之日起10个工作日内自行纠正" in body
    assert "第35条第（八）项" in body and "通报批评" in body
    assert text[-2:] == ["秀山土家族苗族自治县司法局", "2026年1月28日"]

    # A case opened at 23:30 on January 31 (Beijing time) is still on version 1; its closing
    # without finding issues nothing.
    quiet = sup.open("2026-01-31T23:30:00+08:00", title="对某加油站执法程序的媒体报道", grounds=["media_exposure"])
    assert quiet["definition_version"] == 1
    closed = sup.fire(quiet["id"], "close_no_violation", {"findings": "经调阅案卷，执法程序合法。"}, "2026-02-03T10:00:00+08:00")
    assert (closed["state"], closed["closed"], closed["data"]["outcome"], closed["documents"]) == ("closed", True, "no_violation", [])

    # From February 1 new cases open on version 2, in the same database, beside the version-1 ones.
    newer = sup.open("2026-02-02T09:00:00+08:00", title="对某餐馆油烟扰民投诉的处理")
    assert newer["definition_version"] == 2
    assert newer["available_triggers"] == ["issue_urging_letter", "issue_opinion", "close_no_violation"]

    # Receipt signed on Wed 2026-02-11: last day Tue 2026-03-03 (computed in the module docstring).
    case = clerk.fire(cid, "confirm_receipt", {"method": "signed"}, "2026-02-11T09:30:00+08:00")
    assert (case["state"], case["definition_version"]) == ("awaiting_rectification", 1)
    rect = pending(case, "rectification")
    assert (rect["due_date"], rect["lapses_at"], rect["provisional"]) == ("2026-03-03", "2026-03-03T16:00:00Z", False)
    assert rect["period"] == {"kind": "working_days", "length": 10, "start_date": "2026-02-11"}
    assert "第32条" in rect["basis"]
    assert case["available_triggers"] == ["submit_feedback"]  # version 1 knows no objection
    assert sup.case(cid)["available_triggers"] == []
    assert sup.overdue() == [(cid, "rectification", "awaiting_rectification")]  # its last day has passed in the world

    case = clerk.fire(cid, "submit_feedback", {"measures": "已立案调查。"}, "2026-03-02T16:00:00+08:00")
    assert (case["state"], statuses(case, "rectification")) == ("feedback_under_review", [("2026-03-03", "met")])
    assert case["data"]["feedback"] == [{"answers": "opinion", "late": False, "verdict": None}]
    assert sup.overdue() == []
    assert clerk.fire(cid, "accept_feedback", {}, "2026-03-03T09:00:00+08:00", expect=403)["error"]["code"] == "forbidden"

    # Rejected: a fresh 10 working days from the rejection, Wed 03-04 → Wed 03-18.
    case = sup.fire(cid, "reject_feedback", {"reasons": "尚未告知投诉人处理结果。"}, "2026-03-04T10:00:00+08:00")
    assert case["state"] == "awaiting_rectification"
    assert statuses(case, "rectification") == [("2026-03-03", "met"), ("2026-03-18", "pending")]
    assert pending(case, "rectification")["period"]["start_date"] == "2026-03-04"

    clerk.fire(cid, "submit_feedback", {"measures": "已书面告知投诉人处理结果。"}, "2026-03-17T11:00:00+08:00")
    case = sup.fire(cid, "accept_feedback", {"opinion": "已纠正。"}, "2026-03-19T10:00:00+08:00")
    assert (case["state"], case["closed"], case["overdue"], case["available_triggers"]) == ("closed", True, False, [])
    assert (case["definition_version"], case["data"]["outcome"]) == (1, "rectified")
    assert [f["verdict"] for f in case["data"]["feedback"]] == ["rejected", "accepted"]
    assert statuses(case, "rectification") == [("2026-03-03", "met"), ("2026-03-18", "met")]
    assert [doc["kind"] for doc in case["documents"]] == ["supervision_opinion"]
    assert fired(server, "2026-03-20T00:00:01+08:00") == 0
    assert sup.overdue() == []
    assert sup.steps(cid) == [
        ("open", None, "investigating"),
        ("issue_opinion", "investigating", "awaiting_receipt"),
        ("confirm_receipt", "awaiting_receipt", "awaiting_rectification"),
        ("submit_feedback", "awaiting_rectification", "feedback_under_review"),
        ("reject_feedback", "feedback_under_review", "awaiting_rectification"),
        ("submit_feedback", "awaiting_rectification", "feedback_under_review"),
        ("accept_feedback", "feedback_under_review", "closed"),
    ]
    assert sup.case(newer["id"])["state"] == "investigating"


# --- version 1: lapse, late feedback, order to correct, refusal, report ----------------------------


def test_v1_lapse_order_to_correct_refusal_and_report_to_the_county_government(server: Server):
    """A lapsed opinion is overdue for supervisors and its own agency; late feedback is still taken and marked late; a refused opinion brings an order to correct (its period rolled past the Spring Festival), and a refused order a report to the county government."""
    d = desks(server)
    sup, clerk, police, transport, oa = d["supervisor"], d["clerk"], d["police"], d["transport"], d["oa"]

    # Three cases opened on Mon 2026-01-05.
    failed = sup.open("2026-01-05T09:00:00+08:00", title="行政处罚案卷评查不合格", grounds=["case_file_score"],
                      score=55.5, case_file="秀山市监处罚〔2025〕31号", reference="PC-2025-031")["id"]
    idle = sup.open("2026-01-05T09:10:00+08:00", agency=POLICE, title="对占道经营举报不作为",
                    grounds=["inaction_or_abuse"])["id"]
    defiant = sup.open("2026-01-05T09:20:00+08:00", title="对某药店行政处罚明显不当", grounds=["improper_act"])["id"]
    refused = sup.fire(failed, "close_no_violation", {"findings": "无问题。"}, "2026-01-05T10:00:00+08:00", expect=409)
    assert "第28条" in refused["error"]["message"]  # a failed case file always gets an opinion

    numbers = [document(sup.fire(c, "issue_opinion", FINDINGS, f"2026-01-06T{h}:00:00+08:00"), "supervision_opinion")["number"]
               for c, h in ((failed, "10"), (idle, "11"), (defiant, "12"))]
    assert numbers == ["秀山司监〔2026〕1号", "秀山司监〔2026〕2号", "秀山司监〔2026〕3号"]
    body = "\n".join(clerk.paragraphs(document(sup.case(failed), "supervision_opinion")["id"]))
    assert "秀山市监处罚〔2025〕31号案卷得分为55.5分，评查等次为不合格（60分以下）" in body
    assert "依照《秀山自治县行政执法监督制度》第28条的规定，本局出具本意见书" in body

    # Receipt on Wed 01-07 in three ways: the agency's OA, the supervisor (留置送达), the clerk.
    event = {"event_id": "oa-receipt-0107-1", "procedure": CS, "correlation_key": "PC-2025-031",
             "trigger": "confirm_receipt", "payload": {"method": "electronic"}, "occurred_at": "2026-01-07T15:00:00+08:00"}
    first = oa.call("POST", "/events", event)
    assert first.status == 200, first.body
    assert oa.call("POST", "/events", event).body == first.body  # a repeated event changes nothing
    sup.fire(idle, "confirm_receipt", {"method": "left", "note": "受文单位拒绝签收，留置送达。"}, "2026-01-07T16:00:00+08:00")
    clerk.fire(defiant, "confirm_receipt", {}, "2026-01-07T17:00:00+08:00")
    for c in (failed, idle, defiant):
        assert pending(sup.case(c), "rectification")["due_date"] == "2026-01-21"
    assert [h[0] for h in sup.steps(failed)].count("confirm_receipt") == 1

    # The pharmacy's agency answers in time that it will not correct.
    clerk.fire(defiant, "submit_feedback", {"measures": "本单位认为原处罚决定并无不当，不予纠正。"}, "2026-01-20T16:00:00+08:00")

    assert fired(server, "2026-01-21T23:59:59+08:00") == 0  # the last day is not over
    assert fired(server, "2026-01-22T00:00:01+08:00") == 2
    for c in (failed, idle):
        case = sup.case(c)
        assert (case["state"], case["overdue"], statuses(case, "rectification")) == \
            ("rectification_overdue", True, [("2026-01-21", "lapsed")])
        assert case["data"]["rectification_lapsed_on"] == "2026-01-21"
    assert sup.overdue() == [(failed, "rectification", "rectification_overdue"), (idle, "rectification", "rectification_overdue")]
    assert clerk.overdue() == [(failed, "rectification", "rectification_overdue")]
    assert police.overdue() == [(idle, "rectification", "rectification_overdue")]
    assert transport.overdue() == []
    assert sup.overdue_cases() == [failed, idle] and police.overdue_cases() == [idle]
    backdated = clerk.fire(failed, "submit_feedback", {"measures": "x"}, "2026-01-21T20:00:00+08:00", expect=422)
    assert "早于本案上一事项" in backdated["error"]["message"]  # not before the processed lapse

    # An answer that refuses to correct is itself a refusal (art. 35 item 8): 7 days, Fri 01-23 → Fri 01-30.
    case = sup.fire(defiant, "order_correction", {"reasons": "你单位在反馈中明确表示不予纠正。", "period_days": 7},
                    "2026-01-23T10:00:00+08:00")
    assert (case["state"], pending(case, "correction")["due_date"]) == ("correction_ordered", "2026-01-30")
    order = document(case, "correction_order")
    assert order["number"] == "秀山司监改〔2026〕1号"
    body = "\n".join(clerk.paragraphs(order["id"]))
    assert "本局于2026年1月6日向你单位出具《行政执法监督意见书》（秀山司监〔2026〕3号）" in body
    assert "届满" not in body.split("经查")[0]  # not lapsed: the answer itself was the refusal
    assert "你单位在反馈中明确表示不予纠正。" in body and "责令你单位于2026年1月30日24时前改正" in body
    assert sup.overdue()[-1] == (defiant, "correction", "correction_ordered")

    # The police answer late: received, marked late, and off the overdue list.
    case = police.fire(idle, "submit_feedback", {"measures": "已立案查处占道经营。"}, "2026-01-26T10:00:00+08:00")
    assert case["state"] == "feedback_under_review"
    assert case["data"]["feedback"] == [{"answers": "opinion", "late": True, "verdict": None}]
    assert sup.steps(idle)[-1] == ("submit_feedback", "rectification_overdue", "feedback_under_review")
    assert police.overdue() == [] and sup.overdue_cases() == [failed, defiant]
    assert sup.fire(idle, "accept_feedback", {}, "2026-01-27T10:00:00+08:00")["data"]["outcome"] == "rectified"

    # The pharmacy's answer to the order is rejected: that is the refusal; a later correction is still taken.
    clerk.fire(defiant, "submit_feedback", {"measures": "已重新审查。"}, "2026-01-29T10:00:00+08:00")
    case = sup.fire(defiant, "reject_feedback", {"reasons": "仍未撤销明显不当的处罚决定。"}, "2026-02-02T10:00:00+08:00")
    assert (case["state"], statuses(case, "correction")) == ("correction_refused", [("2026-01-30", "met")])
    case = clerk.fire(defiant, "submit_feedback", {"measures": "已撤销原处罚决定。"}, "2026-02-03T10:00:00+08:00")
    assert case["data"]["feedback"][-1] == {"answers": "order", "late": True, "verdict": None}
    case = sup.fire(defiant, "accept_feedback", {}, "2026-02-04T10:00:00+08:00")
    assert (case["state"], case["definition_version"], case["data"]["outcome"]) == ("closed", 1, "rectified")
    assert [(f["answers"], f["late"], f["verdict"]) for f in case["data"]["feedback"]] == [
        ("opinion", False, "rejected"), ("order", False, "rejected"), ("order", True, "accepted")]
    assert sup.overdue() == [(failed, "rectification", "rectification_overdue")]

    # The failed case file: order of 10 days on Thu 02-05; day 10 is Sun 02-15 (Spring Festival) → Tue 02-24.
    case = sup.fire(failed, "order_correction", {"reasons": "你单位收到意见书后逾期未纠正，也未反馈。", "period_days": 10,
                                                 "requirements": "重新作出处罚决定。"}, "2026-02-05T10:00:00+08:00")
    correction = pending(case, "correction")
    assert (correction["due_date"], correction["lapses_at"]) == ("2026-02-24", "2026-02-24T16:00:00Z")
    assert correction["period"] == {"kind": "days", "length": 10, "start_date": "2026-02-05"}
    assert sup.overdue() == [(failed, "correction", "correction_ordered")]
    order = document(case, "correction_order")
    assert order["number"] == "秀山司监改〔2026〕2号"
    text = clerk.paragraphs(order["id"])
    body = "\n".join(text)
    assert text[:3] == ["责令限期改正通知书", "秀山司监改〔2026〕2号", "县市场监管局："]
    assert "该期限已于2026年1月21日24时届满，你单位未在期限内纠正并反馈" in body
    assert "《秀山自治县行政执法监督制度》第35条第（八）项规定的拒不执行《行政执法监督意见书》的情形" in body
    assert "责令你单位于2026年2月24日24时前改正" in body and "春节" in body
    assert text[-1] == "2026年2月5日"
    assert sup.fire(failed, "order_correction", {"reasons": "x", "period_days": 5}, "2026-02-06T10:00:00+08:00",
                    expect=409)["error"]["code"] == "trigger_not_allowed"

    assert fired(server, "2026-02-25T00:00:01+08:00") == 1
    case = sup.case(failed)
    assert (case["state"], statuses(case, "correction")) == ("correction_refused", [("2026-02-24", "lapsed")])
    assert sup.overdue() == [(failed, "correction", "correction_refused")] == clerk.overdue()

    case = sup.fire(failed, "report_to_government", {"reasons": "经责令限期改正，仍未重新作出处罚决定。",
                                                     "responsible_persons": "张某，执法支队副支队长"},
                    "2026-02-26T10:00:00+08:00")
    assert (case["state"], case["overdue"]) == ("reported_to_government", False)
    assert sup.overdue() == []
    report = document(case, "criticism_report")
    assert report["number"] == "秀山司监报〔2026〕1号"
    text = sup.paragraphs(report["id"])
    body = "\n".join(text)
    assert text[:3] == ["关于提请对县市场监管局予以通报批评并建议给予行政处分的报告", "秀山司监报〔2026〕1号\t签发人：待确认",
                        "秀山土家族苗族自治县人民政府："]
    assert "于2026年1月6日向该单位出具《行政执法监督意见书》（秀山司监〔2026〕1号）" in body
    assert "本局于2026年2月5日以《责令限期改正通知书》（秀山司监改〔2026〕2号）责令其限期改正" in body
    assert "改正期限已于2026年2月24日24时届满，该单位仍未改正" in body
    assert "张某，执法支队副支队长" in body and "特此报告。" in body
    assert text[-2:] == ["秀山土家族苗族自治县司法局", "2026年2月26日"]

    case = sup.fire(failed, "record_government_action", {"notice_number": "秀山府办〔2026〕9号"}, "2026-03-10T10:00:00+08:00")
    assert (case["state"], case["data"]["outcome"], case["definition_version"]) == ("closed", "criticized", 1)
    assert sup.steps(failed)[2:] == [
        ("confirm_receipt", "awaiting_receipt", "awaiting_rectification"),
        ("rectification_lapsed", "awaiting_rectification", "rectification_overdue"),
        ("order_correction", "rectification_overdue", "correction_ordered"),
        ("correction_lapsed", "correction_ordered", "correction_refused"),
        ("report_to_government", "correction_refused", "reported_to_government"),
        ("record_government_action", "reported_to_government", "closed"),
    ]
    assert sup.steps(defiant)[3:] == [
        ("submit_feedback", "awaiting_rectification", "feedback_under_review"),
        ("order_correction", "feedback_under_review", "correction_ordered"),
        ("submit_feedback", "correction_ordered", "feedback_under_review"),
        ("reject_feedback", "feedback_under_review", "correction_refused"),
        ("submit_feedback", "correction_refused", "feedback_under_review"),
        ("accept_feedback", "feedback_under_review", "closed"),
    ]


# --- version 2: the regulation's tiers ---------------------------------------------------------------


def test_v2_urging_letter_objection_decision_and_public_report(server: Server):
    """Cases opened from 2026-02-01 run on the regulation: an urging letter or an opinion, one objection (dismissed: 10 fresh working days; upheld: withdrawn and reinvestigated), a county-government decision when ignored, and a public report when the decision is not executed."""
    d = desks(server)
    sup, clerk, police = d["supervisor"], d["clerk"], d["police"]

    none_found = sup.open("2026-02-01T00:30:00+08:00", title="对某工地夜间施工执法的投诉")
    assert none_found["definition_version"] == 2
    assert sup.fire(none_found["id"], "close_no_violation", {"findings": "执法行为合法。"},
                    "2026-02-01T10:00:00+08:00")["state"] == "closed"

    slow = sup.open("2026-02-02T09:00:00+08:00", title="对农贸市场缺斤少两举报未予查处", grounds=["inaction_or_abuse"])["id"]
    wrong = sup.open("2026-02-02T09:10:00+08:00", agency=POLICE, title="对某网吧超范围扣押财物", grounds=["complaint"])["id"]
    media = sup.open("2026-02-02T09:20:00+08:00", title="对某商户罚款畸重的媒体报道", grounds=["media_exposure"])["id"]
    refused = sup.open("2026-02-02T09:30:00+08:00", title="案卷评查不合格", grounds=["case_file_score"], score=59.99,
                       case_file="秀山市监处罚〔2025〕40号")["id"]
    assert "第28条" in sup.fire(refused, "issue_urging_letter", FINDINGS, "2026-02-03T09:00:00+08:00",
                                expect=409)["error"]["message"]

    for c in (wrong, media):
        sup.fire(c, "issue_opinion", FINDINGS, "2026-02-03T10:00:00+08:00")
        clerk_of = police if c == wrong else clerk
        case = clerk_of.fire(c, "confirm_receipt", {}, "2026-02-04T10:00:00+08:00")
        assert pending(case, "rectification")["due_date"] == "2026-02-25"  # Wed 02-04 → Wed 02-25
    assert case["available_triggers"] == ["submit_feedback", "raise_objection"]

    case = sup.fire(slow, "issue_urging_letter", {"findings": "接到举报后30日未予查处。", "requirements": "依法查处并答复举报人。"},
                    "2026-02-05T10:00:00+08:00")
    letter = document(case, "urging_letter")
    assert letter["number"] == "秀山司监督〔2026〕1号"
    text = clerk.paragraphs(letter["id"])
    body = "\n".join(text)
    assert text[:3] == ["行政执法监督督办函", "秀山司监督〔2026〕1号", "县市场监管局："]
    assert "不履行或者不正确履行法定职责" in body and "依照《行政执法监督条例》第27条的规定，现督促你单位依法履行职责" in body
    assert "自收到本函之日起10个工作日内" in body and "第30条" in body and "第29条" in body

    # The police object to the opinion (Fri 02-06): the period stops. Upheld: the opinion is withdrawn.
    case = police.fire(wrong, "raise_objection", {"reasons": "扣押财物均与案件有关。"}, "2026-02-06T10:00:00+08:00")
    assert (case["state"], statuses(case, "rectification")) == ("objection_under_review", [("2026-02-25", "cancelled")])
    case = sup.fire(wrong, "uphold_objection", {"reasons": "经核实，扣押财物均属涉案物品。"}, "2026-02-10T10:00:00+08:00")
    assert (case["state"], case["deadlines"][-1]["status"]) == ("investigating", "cancelled")
    reply = document(case, "objection_reply")
    body = "\n".join(police.paragraphs(reply["id"]))
    assert "对本局于2026年2月3日制发的《行政执法监督意见书》（秀山司监〔2026〕1号）提出的异议收悉" in body
    assert "扣押财物均与案件有关。" in body and "你单位的异议成立。本局撤回《行政执法监督意见书》（秀山司监〔2026〕1号）" in body

    # Media case: feedback in time, rejected on Thu 02-12 → fresh 10 working days to Wed 03-04.
    clerk.fire(media, "submit_feedback", {"measures": "已调整罚款数额。"}, "2026-02-10T11:00:00+08:00")
    case = sup.fire(media, "reject_feedback", {"reasons": "未退还多收罚款。"}, "2026-02-12T10:00:00+08:00")
    assert statuses(case, "rectification") == [("2026-02-25", "met"), ("2026-03-04", "pending")]

    # The slow market office signs on Wed 02-11 (→ Tue 03-03) and objects on Fri 02-13.
    assert pending(clerk.fire(slow, "confirm_receipt", {}, "2026-02-11T09:00:00+08:00"), "rectification")["due_date"] == "2026-03-03"
    sup.fire(wrong, "issue_opinion", {"findings": "扣押清单未由当事人签名确认。"}, "2026-02-12T11:00:00+08:00")
    assert pending(police.fire(wrong, "confirm_receipt", {}, "2026-02-13T10:00:00+08:00"), "rectification")["due_date"] == "2026-03-05"
    clerk.fire(slow, "raise_objection", {"reasons": "该市场不在本单位监管范围。"}, "2026-02-13T11:00:00+08:00")

    # Dismissed on Thu 02-26: 10 working days from the reply, across the make-up Saturday 02-28, to Wed 03-11.
    case = sup.fire(slow, "dismiss_objection", {"reasons": "该市场的计量监督属你单位法定职责。"}, "2026-02-26T10:00:00+08:00")
    assert case["state"] == "awaiting_rectification"
    assert statuses(case, "rectification") == [("2026-03-03", "cancelled"), ("2026-03-11", "pending")]
    text = clerk.paragraphs(document(case, "objection_reply")["id"])
    body = "\n".join(text)
    assert text[1] == "秀山司监复〔2026〕2号"
    assert "你单位的异议不成立，《行政执法监督督办函》（秀山司监督〔2026〕1号）继续有效" in body
    assert "请你单位于2026年3月11日24时前" in body and "调休" in body
    again = clerk.fire(slow, "raise_objection", {"reasons": "再次提出。"}, "2026-02-27T10:00:00+08:00", expect=409)
    assert "已提出过异议" in again["error"]["message"]

    # Sweeps: the media case lapses at the end of 03-04, the police case at the end of 03-05.
    assert fired(server, "2026-03-05T00:00:01+08:00") == 1
    assert sup.case(media)["state"] == "rectification_overdue"
    case = clerk.fire(media, "submit_feedback", {"measures": "已退还部分罚款。"}, "2026-03-05T15:00:00+08:00")
    assert case["data"]["feedback"][-1]["late"] is True
    assert fired(server, "2026-03-06T00:00:01+08:00") == 1
    assert sup.overdue() == [(wrong, "rectification", "rectification_overdue"), (slow, "rectification", "awaiting_rectification")]
    assert police.overdue() == [(wrong, "rectification", "rectification_overdue")]

    for c, when in ((wrong, "2026-03-09T10:00:00+08:00"), (media, "2026-03-09T11:00:00+08:00")):
        assert sup.fire(c, "request_decision", {"reasons": "逾期未纠正。"}, when)["state"] == "awaiting_decision"
    assert sup.overdue() == [(slow, "rectification", "awaiting_rectification")]

    # The county government's decisions: media Tue 03-10 + 10 days → Fri 03-20; police Mon 03-16 + 15 → Tue 03-31.
    case = sup.fire(media, "issue_decision", {"decision": "责令县市场监管局退还多收罚款。", "period_days": 10},
                    "2026-03-10T10:00:00+08:00")
    assert (case["state"], pending(case, "decision")["due_date"]) == ("executing_decision", "2026-03-20")
    assert sup.fire(media, "request_decision", {"reasons": "x"}, "2026-03-10T11:00:00+08:00", expect=409)
    clerk.fire(slow, "submit_feedback", {"measures": "已查处并答复举报人。"}, "2026-03-10T16:00:00+08:00")
    case = sup.fire(slow, "accept_feedback", {}, "2026-03-12T10:00:00+08:00")
    assert (case["state"], case["data"]["outcome"], case["definition_version"]) == ("closed", "rectified", 2)

    case = sup.fire(wrong, "issue_decision", {"decision": "责令县公安局补正扣押清单并由当事人签名确认。", "period_days": 15},
                    "2026-03-16T10:00:00+08:00")
    decision = document(case, "supervision_decision")
    assert decision["number"] == "秀山府发〔2026〕2号"
    text = police.paragraphs(decision["id"])
    body = "\n".join(text)
    assert text[:3] == ["行政执法监督决定书", "秀山府发〔2026〕2号", "县公安局："]
    assert "县司法局于2026年2月12日就你单位" in body and "《行政执法监督意见书》（秀山司监〔2026〕3号）" in body
    assert "至2026年3月5日24时" in body
    assert "依照《行政执法监督条例》第29条的规定，本府决定如下" in body and "请你单位于2026年3月31日24时前执行本决定" in body
    assert text[-2:] == ["秀山土家族苗族自治县人民政府", "2026年3月16日"]

    # Media: the answer to the decision is rejected: not executed; a later execution is still taken.
    clerk.fire(media, "submit_feedback", {"measures": "已退还部分罚款。"}, "2026-03-18T10:00:00+08:00")
    case = sup.fire(media, "reject_feedback", {"reasons": "仍有多收罚款未退还。"}, "2026-03-20T10:00:00+08:00")
    assert (case["state"], statuses(case, "decision")) == ("decision_not_executed", [("2026-03-20", "met")])
    clerk.fire(media, "submit_feedback", {"measures": "已全部退还。"}, "2026-03-25T10:00:00+08:00")
    case = sup.fire(media, "accept_feedback", {}, "2026-03-26T10:00:00+08:00")
    assert [(f["answers"], f["late"], f["verdict"]) for f in case["data"]["feedback"]] == [
        ("opinion", False, "rejected"), ("opinion", True, "rejected"), ("decision", False, "rejected"),
        ("decision", True, "accepted")]

    assert fired(server, "2026-03-31T23:59:59+08:00") == 0
    assert fired(server, "2026-04-01T00:00:01+08:00") == 1
    case = sup.case(wrong)
    assert (case["state"], case["overdue"]) == ("decision_not_executed", True)
    assert sup.overdue() == [(wrong, "decision", "decision_not_executed")] == police.overdue()
    assert clerk.overdue() == []

    case = sup.fire(wrong, "report_publicly", {"content": "县公安局拒不执行县人民政府行政执法监督决定。",
                                               "accountability": "已将相关责任人问题线索移送县纪委监委。"},
                    "2026-04-03T10:00:00+08:00")
    assert (case["state"], case["data"]["outcome"]) == ("closed", "reported")
    assert sup.overdue() == []
    text = sup.paragraphs(document(case, "supervision_notice")["id"])
    body = "\n".join(text)
    assert text[:3] == ["关于县公安局拒不执行行政执法监督决定的通报", "秀山司监通〔2026〕1号",
                        "各乡镇人民政府、街道办事处，县级各行政执法机关："]
    assert "县人民政府于2026年3月16日作出《行政执法监督决定书》（秀山府发〔2026〕2号），限其于2026年3月31日24时前执行" in body
    assert "依照《行政执法监督条例》第31条的规定，现予通报" in body

    assert [s[0] for s in sup.steps(wrong)] == [
        "open", "issue_opinion", "confirm_receipt", "raise_objection", "uphold_objection", "issue_opinion",
        "confirm_receipt", "rectification_lapsed", "request_decision", "issue_decision", "decision_lapsed",
        "report_publicly"]


# --- the overdue list's timing, on a fixed clock -------------------------------------------------------


def test_overdue_list_timing_across_the_spring_festival_on_a_fixed_clock(system):
    """A lapsed rectification joins the overdue list at 24:00 of its last day, counts working days overdue across the Spring Festival and its make-up Saturday, and leaves the list when the late feedback arrives."""
    from adapters.http import create_app

    clock = system.clock
    with system.db.write() as conn:
        tokens = {name: create_token(conn, name=name, role=role, agency=agency, now=clock.now())
                  for name, role, agency in (("督查", "supervisor", None), ("市场监管", "clerk", UNIT), ("公安", "clerk", POLICE))}
    client = create_app(system).test_client()

    def call(method: str, path: str, who: str, body: Any = None) -> Any:
        r = client.open(f"/api/v1{path}", method=method, json=body, headers={"Authorization": f"Bearer {tokens[who]}"})
        assert r.status_code in (200, 201), r.get_json()
        return r.get_json()

    def listed(who: str) -> list[tuple[int, str, str, int]]:
        return [(i["case_id"], i["state"], i["due_date"], i["working_days_overdue"]) for i in call("GET", "/overdue", who)["items"]]

    clock.move_to(at("2026-01-20T09:00:00+08:00"))
    cid = call("POST", "/cases", "督查", {"procedure": CS, "agency": UNIT, "title": "对某超市无照经营投诉的处理",
                                         "data": {"grounds": ["complaint"]}})["id"]
    clock.move_to(at("2026-01-26T10:00:00+08:00"))
    call("POST", f"/cases/{cid}/events", "督查", {"trigger": "issue_opinion", "payload": FINDINGS})
    # Received Wed 01-28: 01-29, 01-30, 02-02 … 02-06, 02-09 … 02-11 → last day Wed 2026-02-11.
    clock.move_to(at("2026-01-28T10:00:00+08:00"))
    case = call("POST", f"/cases/{cid}/events", "市场监管", {"trigger": "confirm_receipt"})
    assert pending(case, "rectification")["due_date"] == "2026-02-11"

    clock.move_to(at("2026-02-11T23:59:59+08:00"))
    assert listed("督查") == [] and call("GET", "/cases?overdue=true", "督查")["items"] == []
    assert system.tick().fired == 0

    clock.move_to(at("2026-02-12T00:00:01+08:00"))  # the period ended at 24:00: overdue before any sweep
    assert listed("督查") == [(cid, "awaiting_rectification", "2026-02-11", 1)]
    assert system.tick().fired == 1
    assert listed("督查") == [(cid, "rectification_overdue", "2026-02-11", 1)] == listed("市场监管")
    assert listed("公安") == []
    assert call("GET", f"/cases/{cid}", "督查")["overdue"] is True

    # Tue 02-24: overdue by 02-12, 02-13, Sat 02-14 (make-up day) and 02-24; Feb 15–23 do not count.
    clock.move_to(at("2026-02-24T10:00:00+08:00"))
    assert listed("督查") == [(cid, "rectification_overdue", "2026-02-11", 4)]
    assert [c["id"] for c in call("GET", "/cases?overdue=true", "督查")["items"]] == [cid]

    case = call("POST", f"/cases/{cid}/events", "市场监管", {"trigger": "submit_feedback", "payload": {"measures": "已立案查处。"}})
    assert (case["state"], case["overdue"], case["data"]["feedback"][-1]["late"]) == ("feedback_under_review", False, True)
    assert listed("督查") == [] and call("GET", "/cases?overdue=true", "督查")["items"] == []
    assert [c["id"] for c in call("GET", "/cases?overdue=false", "督查")["items"]] == [cid]


# --- the definitions ---------------------------------------------------------------------------------


def test_new_cases_open_on_the_version_in_force_on_their_date():
    """The registry gives version 1 to a case opened on 2026-01-31 and version 2 from 2026-02-01, the regulation's first day."""
    registry = county_registry()
    assert [p.version for p in registry.versions(CS)] == [1, 2]
    assert registry.current(CS, date(2022, 4, 20)).version == 1
    assert registry.current(CS, date(2026, 1, 31)).version == 1
    assert registry.current(CS, date(2026, 2, 1)).version == 2
    assert registry.versions(CS)[1].effective_from == date(2026, 2, 1)


def test_both_versions_keep_the_contract_vocabulary_and_cite_an_article_everywhere():
    """Both versions have the contract's states, triggers, deadline and document, and every part names a rule and an article."""
    for proc in county_registry().versions(CS):
        states = {s.name for s in proc.states}
        assert {"investigating", "awaiting_rectification", "rectification_overdue", "closed"} <= states
        assert {"issue_opinion", "submit_feedback"} <= {t.trigger for t in proc.transitions}
        rectification = proc.deadline("rectification")
        assert (rectification.working_days, "第32条" in str(rectification.basis)) == (10, True)
        assert proc.document("supervision_opinion").prefix == "秀山司监"
        parts = [*proc.states, *proc.transitions, *proc.deadlines, *proc.documents]
        unnamed = [p for p in parts if p.basis is None or not re.fullmatch(r"第\d+条(第（[一二三四五六七八九十]+）项)?", p.basis.article)]
        assert unnamed == []
    v1, v2 = county_registry().versions(CS)
    assert {p.basis.source for p in [*v1.states, *v1.transitions, *v1.deadlines, *v1.documents]} == {"《秀山自治县行政执法监督制度》"}
    assert "《行政执法监督条例》" in {p.basis.source for p in v2.transitions}
