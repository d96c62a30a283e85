"""规范性文件合法性审查 (art. 9–13) as the bureau would read it, over HTTP against a real `xsflow serve`:
the lapse drafted for the reviewer (by configuration) or issued (default); a paper supplement received
in time but recorded late reopens the case with a numbered revocation; a supplement asked for during
the review has its own period; `accept` names the missing materials of art. 11; a clerk cannot set
the bureau's fields (422 naming the field).

Dates: the notice of Monday 2025-03-03 gives 5 working days ending 2025-03-10 24:00 (contract-smoke).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from workflows.settings import BUNDLED

from .conftest import LEGALITY_READY, Server, cli, fire, get_case, make_tokens

LR = "legality_review"
UNIT = "scjgj"
BUREAU = "sfj"
TITLE = "关于规范农贸市场管理的通知（送审稿）"
# The drafting unit and the proposed number (art. 10); each test gives its own list of materials.
PARTICULARS = {k: v for k, v in LEGALITY_READY.items() if k != "materials"}


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU))


def open_case(server: Server, token: str, data: dict[str, Any], *, expect: int = 201) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", token, {"procedure": LR, "agency": UNIT, "title": TITLE,
                                                     "data": {**PARTICULARS, **data},
                                                     "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert r.status == expect, r.body
    return r.body


def paragraphs(server: Server, token: str, doc_id: int) -> list[str]:
    r = server.call("GET", f"/api/v1/documents/{doc_id}", token)
    assert r.status == 200, r.body
    return r.body["facts"]["wording"]["paragraphs"]


def kinds(case: dict[str, Any]) -> list[str]:
    return [d["kind"] for d in case["documents"]]


def draft_mode(tmp_path: Path) -> dict[str, str]:
    """An operator's service-level folder switching the lapse to "draft for the reviewer"."""
    folder = tmp_path / "levels"
    folder.mkdir()
    text = (BUNDLED / "legality_review.toml").read_text(encoding="utf-8")
    assert 'mode = "issue"' in text
    (folder / "legality_review.toml").write_text(text.replace('mode = "issue"', 'mode = "draft"'), encoding="utf-8")
    return {"XSFLOW_SERVICE_LEVELS": str(folder), "XSFLOW_ALLOW_TIME_TRAVEL": "1"}


def lapse(server: Server, env: dict[str, str] | None = None) -> None:
    p = cli(server.database_url, "tick", "--now", "2025-03-11T00:00:30+08:00",
            env=env or {"XSFLOW_ALLOW_TIME_TRAVEL": "1"})
    assert p.returncode == 0, p.stderr
    assert "fired 1" in p.stdout, p.stdout


def test_a_lapse_drafts_the_termination_opinion_and_the_reviewer_issues_it(server: Server, tmp_path: Path):
    """With `[supplement_lapse] mode = "draft"` the lapse issues nothing: the case waits in 终止审核意见书待签发, in the reviewer's to-do list, until the reviewer issues the opinion."""
    t = people(server)
    case = open_case(server, t["clerk"], {"materials": ["draft_and_explanation"]})
    cid = case["id"]
    case = fire(server, t["reviewer"], cid, "request_supplement", {}, "2025-03-03T10:00:00+08:00")
    notice = case["documents"][0]
    assert notice["kind"] == "supplement_notice"
    listed = paragraphs(server, t["reviewer"], notice["id"])
    assert "1. 法律法规依据" in listed and "2. 征求意见及意见采纳情况" in listed
    assert not any(p.startswith("3. ") for p in listed), listed  # exactly the two missing ones
    lapse(server, draft_mode(tmp_path))
    case = get_case(server, t["reviewer"], cid)
    assert case["state"] == "termination_drafted"
    assert "termination_opinion" not in kinds(case)
    todo = server.call("GET", "/api/v1/todo", t["reviewer"]).body
    mine = [i for i in todo["items"] if i["case_id"] == cid]
    assert mine and "issue_termination" in mine[0]["triggers"], todo
    fire(server, t["clerk"], cid, "issue_termination", {}, "2025-03-11T09:00:00+08:00", expect=403)
    case = fire(server, t["reviewer"], cid, "issue_termination", {"note": "经核对收文登记，期限内未收到补正材料。"},
                "2025-03-11T09:30:00+08:00")
    assert case["state"] == "terminated"
    opinion = [d for d in case["documents"] if d["kind"] == "termination_opinion"]
    assert len(opinion) == 1 and re.fullmatch(r"秀山司终〔2025〕\d+号", opinion[0]["number"])
    text = "\n".join(paragraphs(server, t["reviewer"], opinion[0]["id"]))
    assert "2025年3月10日24时届满" in text and "本局决定终止" in text
    history = server.call("GET", f"/api/v1/cases/{cid}/history", t["reviewer"]).body["items"]
    assert [h["trigger"] for h in history][-2:] == ["supplement_lapsed", "issue_termination"]


def test_a_paper_supplement_received_in_time_but_recorded_late_reopens_the_case(server: Server):
    """By default the lapse issues the termination opinion; the reviewer reopens with the reason and a date of receipt within the period: a numbered revocation is issued, both documents stay, the case is back in review."""
    t = people(server)
    cid = open_case(server, t["clerk"], {"materials": ["draft_and_explanation", "consultation_record"]})["id"]
    fire(server, t["reviewer"], cid, "request_supplement", {}, "2025-03-03T10:00:00+08:00")
    lapse(server)
    case = get_case(server, t["reviewer"], cid)
    assert case["state"] == "terminated" and "termination_opinion" in kinds(case)
    assert case["available_triggers"] == ["reopen"]  # offered on the case, to the bureau's reviewer only
    assert get_case(server, t["clerk"], cid)["available_triggers"] == []
    todo = server.call("GET", "/api/v1/todo", t["reviewer"]).body
    assert cid not in [i["case_id"] for i in todo["items"]]  # but not a to-do
    opinion = next(d for d in case["documents"] if d["kind"] == "termination_opinion")
    reopen = {"received_on": "2025-03-07", "reason": "起草单位于2025年3月7日将法律法规依据纸质件送至本局收发室，收文登记延误至期限届满后。"}
    fire(server, t["clerk"], cid, "reopen", reopen, "2025-03-12T09:00:00+08:00", expect=403)
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"], {
        "trigger": "reopen", "payload": {**reopen, "received_on": "2025-03-11"}, "occurred_at": "2025-03-12T09:00:00+08:00"})
    assert r.status == 422 and "received_on" in r.body["error"]["fields"], r.body
    assert "2025年3月10日" in r.body["error"]["fields"]["received_on"][0]
    # nor before the period started: the notice was served (here: at issue) on 3 March
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"], {
        "trigger": "reopen", "payload": {**reopen, "received_on": "2025-03-02"}, "occurred_at": "2025-03-12T09:00:00+08:00"})
    assert r.status == 422 and "早于补正期限的起算日" in r.body["error"]["fields"]["received_on"][0], r.body
    assert "2025年3月3日" in r.body["error"]["fields"]["received_on"][0]
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"], {
        "trigger": "reopen", "payload": {"received_on": "2025-03-07"}, "occurred_at": "2025-03-12T09:00:00+08:00"})
    assert r.status == 422 and "reason" in r.body["error"]["fields"], r.body
    assert get_case(server, t["reviewer"], cid)["state"] == "terminated"  # the refusals changed nothing
    case = fire(server, t["reviewer"], cid, "reopen", reopen, "2025-03-12T09:00:00+08:00")
    assert case["state"] == "under_review"
    assert kinds(case) == ["supplement_notice", "termination_opinion", "termination_revocation"]
    revocation = case["documents"][-1]
    assert re.fullmatch(r"秀山司撤〔2025〕\d+号", revocation["number"])
    text = "\n".join(paragraphs(server, t["reviewer"], revocation["id"]))
    assert opinion["number"] in text and "2025年3月7日" in text and "撤销" in text and "恢复" in text
    history = server.call("GET", f"/api/v1/cases/{cid}/history", t["reviewer"]).body["items"]
    assert [h["trigger"] for h in history][-2:] == ["supplement_lapsed", "reopen"]
    assert history[-1]["payload"]["reason"] == reopen["reason"] and history[-1]["from_state"] == "terminated"
    case = fire(server, t["reviewer"], cid, "issue_opinion", {"conclusion": "lawful"}, "2025-03-13T09:00:00+08:00")
    assert case["state"] == "opinion_issued"


def test_a_supplement_requested_during_the_review_has_its_own_period_and_lapses(server: Server):
    """In review, a material found not to meet the requirements is asked for again: 5 working days of its own, and the same lapse."""
    t = people(server)
    all_in = ["draft_and_explanation", "legal_basis", "consultation_record"]
    cid = open_case(server, t["clerk"], {"materials": all_in})["id"]
    case = fire(server, t["reviewer"], cid, "accept", None, "2025-03-03T09:30:00+08:00")
    assert case["state"] == "under_review"
    case = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["legal_basis"], "note": "所附依据已废止。"},
                "2025-03-03T10:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    supplement = [d for d in case["deadlines"] if d["name"] == "supplement"]
    assert [(d["due_date"], d["status"]) for d in supplement] == [("2025-03-10", "pending")]
    listed = paragraphs(server, t["reviewer"], case["documents"][0]["id"])
    assert "1. 法律法规依据（已报送，但不符合要求）" in listed
    lapse(server)
    case = get_case(server, t["reviewer"], cid)
    assert case["state"] == "terminated" and "termination_opinion" in kinds(case)


def test_accept_names_the_missing_materials_and_the_notice_must_list_them_all(server: Server):
    t = people(server)
    cid = open_case(server, t["clerk"], {"materials": ["draft_and_explanation"]})["id"]
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"],
                    {"trigger": "accept", "occurred_at": "2025-03-03T09:30:00+08:00"})
    assert r.status == 409, r.body
    assert "法律法规依据（《秀山自治县行政执法监督制度》第11条第（二）项）" not in r.body["error"]["message"]
    assert "法律法规依据（第11条第（二）项）" in r.body["error"]["message"]
    assert "征求意见及意见采纳情况（第11条第（三）项）" in r.body["error"]["message"]
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"], {
        "trigger": "request_supplement", "payload": {"missing": ["legal_basis"]}, "occurred_at": "2025-03-03T10:00:00+08:00"})
    assert r.status == 422 and "征求意见及意见采纳情况" in r.body["error"]["fields"]["missing"][0], r.body
    assert get_case(server, t["reviewer"], cid)["state"] == "submitted"
    case = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["legal_basis", "consultation_record"]},
                "2025-03-03T10:00:00+08:00")
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["legal_basis", "consultation_record"]},
                "2025-03-05T10:00:00+08:00")
    assert case["state"] == "under_review"


def test_a_clerk_cannot_set_the_bureaus_fields(server: Server):
    """`conclusion` is the reviewer's (出具合法性审查意见): in a clerk's opening data or supplement it is refused 422 naming the field in Chinese, and nothing changes."""
    t = people(server)
    r = server.call("POST", "/api/v1/cases", t["clerk"], {"procedure": LR, "agency": UNIT, "title": TITLE,
                                                          "data": {"conclusion": "lawful"}})
    assert r.status == 422, r.body
    message = r.body["error"]["fields"]["data.conclusion"][0]
    assert "审查结论" in message and "县司法局审查人员" in message and "出具合法性审查意见" in message
    cid = open_case(server, t["clerk"], {"materials": ["draft_and_explanation"]})["id"]
    fire(server, t["reviewer"], cid, "request_supplement", {}, "2025-03-03T10:00:00+08:00")
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["clerk"], {
        "trigger": "supplement", "payload": {"items": ["legal_basis"], "conclusion": "lawful"},
        "occurred_at": "2025-03-04T10:00:00+08:00"})
    assert r.status == 422, r.body
    assert "审查结论" in r.body["error"]["fields"]["conclusion"][0]
    assert get_case(server, t["clerk"], cid)["version"] == 2


def test_a_publication_date_is_never_defaulted_to_today(server: Server):
    """The 30 days of art. 10 run from publication: a filing opened without its publication date (occurred_at), by a clerk or by another system's `publish`, is refused 422 on occurred_at, and nothing is opened."""
    t = make_tokens(server.database_url, clerk=("clerk", UNIT), oa=("system", UNIT))
    body = {"procedure": "filing_review", "agency": UNIT, "title": "关于规范集贸市场收费的通知",
            "data": {"document_number": "秀山市监发〔2025〕31号"}}
    r = server.call("POST", "/api/v1/cases", t["clerk"], body)
    assert r.status == 422 and "发布日期" in r.body["error"]["fields"]["occurred_at"][0], r.body
    event = {"event_id": "oa-31", "procedure": "filing_review", "correlation_key": "秀山市监发〔2025〕31号",
             "trigger": "publish", "payload": {"agency": UNIT, "title": "关于规范集贸市场收费的通知"}}
    r = server.call("POST", "/api/v1/events", t["oa"], event)
    assert r.status == 422 and "发布日期" in r.body["error"]["fields"]["occurred_at"][0], r.body
    assert server.call("GET", "/api/v1/cases?procedure=filing_review", t["clerk"]).body["items"] == []
    r = server.call("POST", "/api/v1/cases", t["clerk"], {**body, "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert r.status == 201 and r.body["opened_at"].startswith("2025-03-03T01:00"), r.body


def test_accept_waits_for_the_drafting_unit_the_proposed_number_and_the_materials(server: Server):
    """Art. 10–11: a draft opened with only its title stays open, but the reviewer cannot accept it until
    the clerk has recorded the drafting unit, the proposed document number and the materials; the 409
    names exactly what is missing, and the clerk's `record_submission` completes it."""
    t = people(server)
    r = server.call("POST", "/api/v1/cases", t["clerk"], {"procedure": LR, "agency": UNIT, "title": TITLE,
                                                          "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert r.status == 201, r.body
    cid = r.body["id"]
    assert "record_submission" in get_case(server, t["clerk"], cid)["available_triggers"]
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"],
                    {"trigger": "accept", "occurred_at": "2025-03-03T09:30:00+08:00"})
    assert r.status == 409, r.body
    message = r.body["error"]["message"]
    assert "起草单位（drafting_unit，第10条）" in message and "拟发文号（document_number，第10条）" in message
    assert "报送的材料清单（materials，第11条）" in message and "登记送审信息" in message
    fire(server, t["reviewer"], cid, "record_submission", {"drafting_unit": "法规科"}, "2025-03-03T09:40:00+08:00",
         expect=403)  # the drafting unit's to record, not the bureau's
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["clerk"], {
        "trigger": "record_submission", "payload": {"materials": ["draft"]}, "occurred_at": "2025-03-03T09:40:00+08:00"})
    assert r.status == 422 and "materials.0" in r.body["error"]["fields"], r.body
    fire(server, t["clerk"], cid, "record_submission", {"drafting_unit": "县市场监督管理局法规科"},
         "2025-03-03T09:45:00+08:00")
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"],
                    {"trigger": "accept", "occurred_at": "2025-03-03T09:50:00+08:00"})
    assert r.status == 409, r.body
    assert "起草单位" not in r.body["error"]["message"] and "拟发文号" in r.body["error"]["message"]
    case = fire(server, t["clerk"], cid, "record_submission", {
        "document_number": "秀山市监发〔2025〕7号", "materials": ["draft_and_explanation", "legal_basis"]},
        "2025-03-03T10:00:00+08:00")
    assert case["state"] == "submitted"
    assert case["data"]["drafting_unit"] == "县市场监督管理局法规科"  # kept from the earlier record
    r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"],
                    {"trigger": "accept", "occurred_at": "2025-03-03T10:10:00+08:00"})
    assert r.status == 409 and "征求意见及意见采纳情况（第11条第（三）项）" in r.body["error"]["message"], r.body
    fire(server, t["clerk"], cid, "record_submission", {"materials": ["consultation_record"]}, "2025-03-03T10:20:00+08:00")
    case = fire(server, t["reviewer"], cid, "accept", None, "2025-03-03T10:30:00+08:00")
    assert case["state"] == "under_review"
    assert case["data"]["materials"] == ["draft_and_explanation", "legal_basis", "consultation_record"]
