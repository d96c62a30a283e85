"""行政执法证 (art. 15–21) end to end over HTTP, and who may enforce on a day.

The `server` tests run a real `xsflow serve` on SQLite and PostgreSQL. The server reads the real
clock, so every `occurred_at` lies in the past; deadlines lapse with `xsflow tick --now`, never by
waiting. Tests that need an exact "working days overdue" or today's date run the same Flask app
in-process on a FixedClock.
"""
from __future__ import annotations

import io
import re
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import docx
import pytest

from workflows.certificate import BEFORE_ISSUE, Stage, certificate
from workflows import enforcers
from xsflow.access import Actor
from xsflow.calendar import OfficialCalendar, bundled_notices, local_date
from xsflow.clock import FixedClock
from xsflow.definitions import Unique, check
from xsflow.errors import InvalidPayload
from xsflow.queries import working_days_after
from xsflow.store.db import Database
from xsflow.tokens import create_token

from .conftest import Server, at

CERT = "certificate"
POLICE = "gaj"  # 县公安局
MARKET = "scjgj"  # 县市场监管局
BUREAU = "sfj"  # 县司法局
NUMBER = re.compile(r"^秀山司证注〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


# --- helpers -----------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class InProcess:
    """The Flask app of `xsflow serve`, called in-process, so that its clock is a FixedClock."""

    def __init__(self, system) -> None:
        from adapters.http import create_app

        self.client = create_app(system).test_client()

    def call(self, method: str, path: str, token: str | None = None, body: Any = None) -> Answer:
        r = self.client.open(path, method=method, json=body,
                             headers={"Authorization": f"Bearer {token}"} if token else {})
        return Answer(r.status_code, r.get_json(), dict(r.headers))


SPEC = {"clerk": ("clerk", POLICE), "other_clerk": ("clerk", MARKET), "reviewer": ("reviewer", BUREAU),
        "supervisor": ("supervisor", None), "system": ("system", None),
        "police_system": ("system", POLICE)}


def tokens(db: Database, now: datetime) -> dict[str, str]:
    """Bearer tokens by role, created straight in the database (the CLI path is tested elsewhere)."""
    with db.write() as conn:
        return {name: create_token(conn, name=name, role=role, agency=agency, now=now)
                for name, (role, agency) in SPEC.items()}


def people(database_url: str) -> dict[str, str]:
    db = Database(database_url)
    try:
        return tokens(db, datetime.now(UTC))
    finally:
        db.dispose()


def people_in(system) -> dict[str, str]:
    return tokens(system.db, system.clock.now())


def open_person(api, token: str, person_id: str, name: str, occurred_at: str, *, agency: str = POLICE) -> dict:
    r = api.call("POST", "/api/v1/cases", token, {
        "procedure": CERT, "agency": agency, "title": f"{name}（行政执法证）",
        "data": {"person_id": person_id, "name": name, "post": "治安管理"}, "occurred_at": occurred_at})
    assert r.status == 201, r.body
    return r.body


def fire(api, token: str, case_id: int, trigger: str, payload: dict | None = None, occurred_at: str | None = None,
         *, expect: int = 200) -> dict:
    body: dict[str, Any] = {"trigger": trigger, "payload": payload or {}}
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    r = api.call("POST", f"/api/v1/cases/{case_id}/events", token, body)
    assert r.status == expect, r.body
    return r.body


def post_event(api, token: str, event_id: str, person_id: str, trigger: str, payload: dict | None,
               occurred_at: str, *, expect: int = 200) -> dict:
    r = api.call("POST", "/api/v1/events", token, {
        "event_id": event_id, "procedure": CERT, "correlation_key": person_id, "trigger": trigger,
        "payload": payload or {}, "occurred_at": occurred_at})
    assert r.status == expect, r.body
    return r.body


def get_case(api, token: str, case_id: int) -> dict:
    r = api.call("GET", f"/api/v1/cases/{case_id}", token)
    assert r.status == 200, r.body
    return r.body


def steps(api, token: str, case_id: int) -> list[tuple[str, str | None, str]]:
    r = api.call("GET", f"/api/v1/cases/{case_id}/history", token)
    assert r.status == 200, r.body
    return [(h["trigger"], h["from_state"], h["to_state"]) for h in r.body["items"]]


def yearly(case: dict) -> list[tuple[str, str, str]]:
    """The yearly update-training checks of a case (art. 20): name, due date, status."""
    return [(d["name"], d["due_date"], d["status"]) for d in case["deadlines"] if d["name"].startswith("update_training")]


def pending(case: dict) -> list[tuple[str, str]]:
    return [(name, due) for name, due, status in yearly(case) if status == "pending"]


def enforcer_ids(api, token: str, query: str = "") -> list[str]:
    r = api.call("GET", f"/api/v1/certificates/enforcers{query}", token)
    assert r.status == 200, r.body
    return [i["person_id"] for i in r.body["items"]]


def overdue(api, token: str) -> list[dict]:
    r = api.call("GET", "/api/v1/overdue", token)
    assert r.status == 200, r.body
    return r.body["items"]


def day_at(day: str, hour: int = 9) -> str:
    return f"{day}T{hour:02d}:00:00+08:00"


def certify(api, t: dict[str, str], person_id: str, name: str, *, opened: str, issued: str, valid_until: str,
            number: str, agency: str = POLICE, clerk: str = "clerk") -> dict:
    """A person walked to `active` by the agency's clerk and the bureau: trainings, exam, review, application, issue."""
    cid = to_applied(api, t, person_id, name, opened=opened, agency=agency, clerk=clerk)
    case = fire(api, t["reviewer"], cid, "issue", {"certificate_number": number, "valid_from": issued,
                                                   "valid_until": valid_until, "areas": ["秀山土家族苗族自治县"]},
                day_at(issued))
    assert case["state"] == "active"
    return case


def to_applied(api, t: dict[str, str], person_id: str, name: str, *, opened: str, agency: str = POLICE,
               clerk: str = "clerk") -> int:
    """A new case of a person walked to `applied` (awaiting the bureau's issue) over the five days after `opened`."""
    start = date.fromisoformat(opened)
    cid = open_person(api, t[clerk], person_id, name, day_at(opened), agency=agency)["id"]
    fire(api, t["reviewer"], cid, "complete_general_training", {"course": "通用法律知识培训"},
         day_at((start + timedelta(days=1)).isoformat()))
    fire(api, t[clerk], cid, "complete_special_training", {"course": "专门法律知识培训"},
         day_at((start + timedelta(days=2)).isoformat()))
    fire(api, t["reviewer"], cid, "record_exam", {"result": "passed", "score": 80},
         day_at((start + timedelta(days=3)).isoformat()))
    fire(api, t[clerk], cid, "approve_qualification", {}, day_at((start + timedelta(days=4)).isoformat()))
    fire(api, t[clerk], cid, "apply", {"online_application": f"CQ-{person_id}"},
         day_at((start + timedelta(days=5)).isoformat()))
    return cid


def fired(server: Server, now: str) -> int:
    out = server.tick(now).stdout
    m = re.search(r"^fired (\d+)$", out, re.MULTILINE)
    assert m, out
    return int(m.group(1))


def download(server: Server, token: str, document_id: int) -> list[str]:
    """The paragraphs of an issued document's .docx, as a clerk opens it."""
    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document_id}/file",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        return [p.text for p in docx.Document(io.BytesIO(r.read())).paragraphs]


def plausible_overdue(due: date, before: date, after: date) -> set[int]:
    """Working days overdue consistent with the server's real today (read around the request)."""
    cal = OfficialCalendar(bundled_notices())
    return {working_days_after(cal, due, before), working_days_after(cal, due, after)}


# --- the definition ------------------------------------------------------------------------------


def test_read_side_knows_the_issued_states_of_the_definition():
    """workflows.enforcers looks at every state a certificate case can reach after issue."""
    after_issue = {s.name for s in certificate.states} - {str(s) for s in BEFORE_ISSUE} - {
        Stage.QUALIFICATION_REFUSED, Stage.WITHDRAWN}
    assert set(enforcers.ISSUED) == after_issue
    assert enforcers.PROCEDURE == certificate.name


# --- to active: the agency's clerk and the bureau ------------------------------------------------------


def test_clerk_and_bureau_walk_a_person_to_active_and_others_end_without_a_certificate(server: Server):
    """Trainings, a failed exam retaken, the agency's review, a returned and renewed application and issue make a person an enforcer from the day of issue, seen by their agency and the supervisor only, while a person refused or withdrawn never becomes one."""
    t = people(server.database_url)
    case = open_person(server, t["clerk"], "P-1001", "张三", "2025-03-03T09:00:00+08:00")
    cid = case["id"]
    assert (case["state"], case["data"]["person_id"]) == ("in_training", "P-1001")
    assert case["available_triggers"] == ["complete_special_training", "withdraw"]  # what the clerk may do

    # art. 17: the bureau's general training, the agency's special training; the exam waits for both.
    case = fire(server, t["reviewer"], cid, "complete_general_training", {"course": "2025年第一期通用法律知识培训"},
                "2025-03-14T17:00:00+08:00")
    assert case["state"] == "in_training"
    refused = fire(server, t["reviewer"], cid, "record_exam", {"result": "passed"}, "2025-03-15T09:00:00+08:00",
                   expect=409)
    assert "资格培训中" in refused["error"]["message"]
    refused = fire(server, t["clerk"], cid, "complete_general_training", {}, "2025-03-15T09:00:00+08:00", expect=403)
    assert "县司法局" in refused["error"]["message"]
    case = fire(server, t["clerk"], cid, "complete_special_training", {"course": "治安管理处罚法专题"},
                "2025-03-28T17:00:00+08:00")
    assert case["state"] == "awaiting_exam"

    # art. 15: failed, retaken, passed.
    case = fire(server, t["reviewer"], cid, "record_exam", {"result": "failed", "score": 52, "session": "2025年4月"},
                "2025-04-19T12:00:00+08:00")
    assert (case["state"], case["state_title"]) == ("awaiting_retake", "考试不合格，待补考")
    bad = fire(server, t["reviewer"], cid, "record_exam", {"result": "pass"}, "2025-04-20T09:00:00+08:00", expect=422)
    assert "考试结果" in bad["error"]["fields"]["result"][0]
    assert enforcer_ids(server, t["clerk"]) == []
    case = fire(server, t["reviewer"], cid, "record_exam", {"result": "passed", "score": 81, "session": "2025年5月补考"},
                "2025-05-17T12:00:00+08:00")
    assert case["state"] == "qualification_review"
    assert [e["result"] for e in case["data"]["exams"]] == ["failed", "passed"]

    # art. 19: the agency reviews and applies; the bureau returns a faulty 申领表 once.
    assert fire(server, t["reviewer"], cid, "approve_qualification", {}, "2025-05-20T09:00:00+08:00",
                expect=403)["error"]["code"] == "forbidden"
    assert fire(server, t["clerk"], cid, "approve_qualification", {"note": "符合申领条件"},
                "2025-05-20T09:00:00+08:00")["state"] == "qualified"
    assert fire(server, t["clerk"], cid, "apply", {"online_application": "CQZF-2025-0521-017"},
                "2025-05-21T09:00:00+08:00")["state"] == "applied"
    case = fire(server, t["reviewer"], cid, "return_application", {"reasons": "《执法证件申领表》未加盖单位印章"},
                "2025-05-23T10:00:00+08:00")
    assert case["state"] == "qualified"
    fire(server, t["clerk"], cid, "apply", {"online_application": "CQZF-2025-0526-003"}, "2025-05-26T09:00:00+08:00")

    # art. 17: the bureau issues; the payload is checked field by field.
    bad = fire(server, t["reviewer"], cid, "issue", {"certificate_number": "500241001001", "valid_from": "2025-06-03",
                                                     "valid_until": "2025-06-02", "areas": []},
               "2025-06-03T10:00:00+08:00", expect=422)
    assert set(bad["error"]["fields"]) == {"valid_until", "areas"}
    assert fire(server, t["clerk"], cid, "issue", {}, "2025-06-03T10:00:00+08:00", expect=403)
    case = fire(server, t["reviewer"], cid, "issue", {"certificate_number": "500241001001", "valid_from": "2025-06-03",
                                                      "valid_until": "2030-06-02",
                                                      "areas": ["秀山土家族苗族自治县行政区域"]},
                "2025-06-03T10:00:00+08:00")
    assert (case["state"], case["data"]["certificate"]["number"]) == ("active", "500241001001")
    # The year of issue is covered by the qualification; the first yearly check is 31 Dec of the next year.
    assert pending(case) == [("update_training", "2026-12-31")]
    assert case["available_triggers"] == []  # the bureau acts again only at cancellation
    assert [(d["name"], d["due_date"]) for d in case["deadlines"] if d["name"] == "validity"] == [
        ("validity", "2030-06-02")]
    assert get_case(server, t["clerk"], cid)["available_triggers"] == ["record_update_training", "recall"]

    assert steps(server, t["supervisor"], cid) == [
        ("open", None, "in_training"),
        ("complete_general_training", "in_training", "in_training"),
        ("complete_special_training", "in_training", "awaiting_exam"),
        ("record_exam", "awaiting_exam", "awaiting_retake"),
        ("record_exam", "awaiting_retake", "qualification_review"),
        ("approve_qualification", "qualification_review", "qualified"),
        ("apply", "qualified", "applied"),
        ("return_application", "applied", "qualified"),
        ("apply", "qualified", "applied"),
        ("issue", "applied", "active"),
    ]

    # Who may enforce: from the day of issue, within validity; the agency and the supervisor see it.
    assert enforcer_ids(server, t["clerk"], "?on=2025-06-02") == []
    r = server.call("GET", "/api/v1/certificates/enforcers?on=2025-06-03", t["clerk"])
    [item] = r.body["items"]
    assert item == {
        "case_id": cid, "person_id": "P-1001", "name": "张三", "post": "治安管理", "agency": POLICE,
        "certificate_number": "500241001001", "valid_from": "2025-06-03", "valid_until": "2030-06-02",
        "areas": ["秀山土家族苗族自治县行政区域"], "issued_on": "2025-06-03", "state": "active", "state_title": "持证",
        "update_training_overdue": False, "missed_training_years": []}
    assert enforcer_ids(server, t["clerk"]) == ["P-1001"]  # today, Asia/Shanghai
    assert enforcer_ids(server, t["clerk"], "?on=2030-06-03") == []  # after the validity
    assert enforcer_ids(server, t["supervisor"], f"?agency={POLICE}&on=2025-06-03") == ["P-1001"]
    assert enforcer_ids(server, t["supervisor"], f"?agency={MARKET}&on=2025-06-03") == []
    assert enforcer_ids(server, t["other_clerk"]) == []  # its own agency: none
    r = server.call("GET", f"/api/v1/certificates/enforcers?agency={POLICE}", t["other_clerk"])
    assert (r.status, r.body["error"]["code"]) == (403, "forbidden")
    r = server.call("GET", "/api/v1/certificates/enforcers?agency=nosuch", t["supervisor"])
    assert r.status == 404 and "单位" in r.body["error"]["message"]
    r = server.call("GET", "/api/v1/certificates/enforcers?on=2025-13-01", t["supervisor"])
    assert r.status == 422 and "YYYY-MM-DD" in r.body["error"]["fields"]["on"][0]
    assert server.call("GET", f"/api/v1/cases/{cid}", t["other_clerk"]).status == 403

    # art. 19 and art. 15: a person found unqualified, or withdrawn before issue, never enforces.
    refused_id = open_person(server, t["clerk"], "P-3003", "王五", "2025-03-03T09:00:00+08:00")["id"]
    fire(server, t["reviewer"], refused_id, "complete_general_training", {}, "2025-03-10T09:00:00+08:00")
    fire(server, t["clerk"], refused_id, "complete_special_training", {}, "2025-03-11T09:00:00+08:00")
    fire(server, t["reviewer"], refused_id, "record_exam", {"result": "passed", "score": 75}, "2025-04-19T09:00:00+08:00")
    assert fire(server, t["clerk"], refused_id, "refuse_qualification", {}, "2025-04-22T09:00:00+08:00",
                expect=422)["error"]["fields"]["reasons"] == ["必须填写。"]
    case = fire(server, t["clerk"], refused_id, "refuse_qualification", {"reasons": "系工勤人员，不具备执法主体资格"},
                "2025-04-22T09:00:00+08:00")
    assert (case["state"], case["closed"], case["available_triggers"]) == ("qualification_refused", True, [])
    late = fire(server, t["clerk"], refused_id, "approve_qualification", {}, "2025-04-23T09:00:00+08:00", expect=409)
    assert "资格审核未通过" in late["error"]["message"]

    withdrawn_id = open_person(server, t["clerk"], "P-3004", "赵六", "2025-03-03T09:00:00+08:00")["id"]
    fire(server, t["reviewer"], withdrawn_id, "complete_general_training", {}, "2025-03-10T09:00:00+08:00")
    fire(server, t["clerk"], withdrawn_id, "complete_special_training", {}, "2025-03-11T09:00:00+08:00")
    fire(server, t["reviewer"], withdrawn_id, "record_exam", {"result": "failed", "score": 40}, "2025-04-19T09:00:00+08:00")
    case = fire(server, t["clerk"], withdrawn_id, "withdraw", {"reasons": "调离执法岗位"}, "2025-05-06T09:00:00+08:00")
    assert (case["state"], case["closed"]) == ("withdrawn", True)
    assert fire(server, t["reviewer"], withdrawn_id, "record_exam", {"result": "passed"}, "2025-05-17T09:00:00+08:00",
                expect=409)

    assert enforcer_ids(server, t["supervisor"], "?on=2025-04-22") == []
    assert enforcer_ids(server, t["supervisor"], "?on=2025-06-03") == ["P-1001"]
    assert enforcer_ids(server, t["supervisor"]) == ["P-1001"]
    assert [d for c in (refused_id, withdrawn_id) for d in get_case(server, t["clerk"], c)["documents"]] == []
    assert overdue(server, t["supervisor"]) == []


# --- to active: the Chongqing personnel system posts the events ----------------------------------------


def test_personnel_system_posts_the_path_by_person_id_and_a_repeated_event_applies_once(server: Server):
    """The county-wide personnel system opens the case and posts trainings, exam, application and issue by person id; the same event_id twice applies once, a changed one is refused, an unknown person or a foreign agency's token is kept as rejected."""
    t = people(server.database_url)
    # One county-wide token for the Chongqing personnel system; the person id is the correlation key.
    enrol = {"agency": MARKET, "title": "李四（行政执法证）", "data": {"name": "李四"}}
    first = post_event(server, t["system"], "cq-enrol-2002", "P-2002", "enrol", enrol, "2025-03-03T09:00:00+08:00")
    again = post_event(server, t["system"], "cq-enrol-2002", "P-2002", "enrol", enrol, "2025-03-03T09:00:00+08:00")
    assert again == first
    cid = first["id"]
    listed = server.call("GET", f"/api/v1/cases?procedure={CERT}", t["supervisor"]).body["items"]
    assert [c["id"] for c in listed] == [cid]
    assert (first["agency"], first["state"], first["data"]["person_id"]) == (MARKET, "in_training", "P-2002")
    foreign = post_event(server, t["police_system"], "gaj-gt-2002", "P-2002", "complete_general_training", {},
                         "2025-03-14T17:00:00+08:00", expect=403)  # a token bound to another agency
    assert "其他单位" in foreign["error"]["message"]

    post_event(server, t["system"], "cq-gt-2002", "P-2002", "complete_general_training", {"course": "通用法律知识"},
               "2025-03-14T17:00:00+08:00")
    post_event(server, t["system"], "cq-st-2002", "P-2002", "complete_special_training", {"course": "市场监管法律"},
               "2025-03-21T17:00:00+08:00")
    case = post_event(server, t["system"], "cq-exam-2002", "P-2002", "record_exam", {"result": "passed", "score": 90},
                      "2025-04-19T12:00:00+08:00")
    assert case["state"] == "qualification_review"
    # art. 19: the review is the agency's own act, not the personnel system's.
    refused = post_event(server, t["system"], "cq-approve-2002", "P-2002", "approve_qualification", {},
                         "2025-04-21T09:00:00+08:00", expect=403)
    assert "执法机关" in refused["error"]["message"]
    case = server.call("POST", f"/api/v1/cases/{cid}/events", t["other_clerk"],
                       {"trigger": "approve_qualification", "payload": {}, "occurred_at": "2025-04-21T09:00:00+08:00"})
    assert case.status == 200, case.body
    post_event(server, t["system"], "cq-apply-2002", "P-2002", "apply", {"online_application": "CQZF-2025-0422-001"},
               "2025-04-22T09:00:00+08:00")
    issue = {"certificate_number": "500241002002", "valid_from": "2025-05-06", "valid_until": "2030-05-05",
             "areas": ["秀山土家族苗族自治县"]}
    issued = post_event(server, t["system"], "cq-issue-2002", "P-2002", "issue", issue, "2025-05-06T10:00:00+08:00")
    repeat = post_event(server, t["system"], "cq-issue-2002", "P-2002", "issue", issue, "2025-05-06T10:00:00+08:00")
    assert repeat == issued and issued["state"] == "active"
    assert [s[0] for s in steps(server, t["supervisor"], cid)].count("issue") == 1

    changed = post_event(server, t["system"], "cq-issue-2002", "P-2002", "issue",
                         {**issue, "certificate_number": "500241009999"}, "2025-05-06T10:00:00+08:00", expect=422)
    assert "事件编号" in changed["error"]["message"]
    unknown = post_event(server, t["system"], "cq-exam-9999", "P-9999", "record_exam", {"result": "passed"},
                         "2025-05-06T10:00:00+08:00", expect=404)
    assert "P-9999" in unknown["error"]["message"]
    rejected = server.call("GET", "/api/v1/events?outcome=rejected", t["supervisor"]).body["items"]
    assert [e["event_id"] for e in rejected] == ["cq-exam-9999", "cq-approve-2002", "gaj-gt-2002"]

    assert get_case(server, t["other_clerk"], cid)["data"]["certificate"]["number"] == "500241002002"
    r = server.call("GET", "/api/v1/certificates/enforcers?number=500241002002&on=2025-05-06", t["supervisor"])
    assert [(i["person_id"], i["agency"]) for i in r.body["items"]] == [("P-2002", MARKET)]
    assert enforcer_ids(server, t["supervisor"], "?number=500241009999&on=2025-05-06") == []
    assert enforcer_ids(server, t["other_clerk"], "?on=2025-05-05") == []
    assert enforcer_ids(server, t["other_clerk"], "?on=2025-05-06") == ["P-2002"]


# --- the yearly update training (art. 20) --------------------------------------------------------------------


def test_missed_yearly_training_is_flagged_until_a_training_is_recorded(server: Server):
    """Without an update training in 2025 the holder is flagged at 24:00 on 31 Dec 2025 and listed overdue; the next training clears the flag but the missed year stays on the record, and a second missed year re-flags."""
    t = people(server.database_url)
    # Issued in 2024: the first yearly check is for 2025, due Wed 31 Dec 2025 (a fixed date, never rolled over).
    trained = certify(server, t, "P-4001", "钱七", opened="2024-03-04", issued="2024-06-03", valid_until="2029-06-02",
                      number="500241004001")["id"]
    missing = certify(server, t, "P-4002", "孙八", opened="2024-03-04", issued="2024-06-03", valid_until="2029-06-02",
                      number="500241004002")["id"]
    twice = certify(server, t, "P-4003", "周九", opened="2024-03-04", issued="2024-06-03", valid_until="2029-06-02",
                    number="500241004003", agency=MARKET, clerk="other_clerk")["id"]
    assert pending(get_case(server, t["clerk"], missing)) == [("update_training", "2025-12-31")]

    case = fire(server, t["clerk"], trained, "record_update_training", {"course": "2025年度法律知识更新培训"},
                "2025-09-10T15:00:00+08:00")
    # A declared self-transition: the 2025 check is met and the 2026 one starts.
    assert case["state"] == "active"
    assert yearly(case) == [
        ("update_training", "2025-12-31", "met"), ("update_training", "2026-12-31", "pending")]

    assert fired(server, "2025-12-31T23:59:59+08:00") == 0  # the last day is not over yet
    assert fired(server, "2026-01-01T00:00:01+08:00") == 2  # 24:00 on 31 Dec: 孙八 and 周九
    case = get_case(server, t["supervisor"], missing)
    assert (case["state"], case["state_title"], case["overdue"]) == (
        "training_overdue", "持证（未按年度参加法律知识更新培训）", True)
    assert case["data"]["missed_training_years"] == [2025]
    assert pending(case) == [("update_training_after_miss", "2026-12-31")]
    history = server.call("GET", f"/api/v1/cases/{missing}/history", t["supervisor"]).body["items"]
    assert (history[-1]["trigger"], history[-1]["actor_role"], history[-1]["occurred_at"]) == (
        "update_training_missed", "timer", "2025-12-31T16:00:00Z")
    assert get_case(server, t["clerk"], trained)["state"] == "active"

    # The flag on the overdue list, with working days counted after 31 Dec (New Year 2026: Jan 1–3 off,
    # Sun Jan 4 a make-up working day; the exact count is proven on a fixed clock below).
    before = local_date(datetime.now(UTC))
    items = overdue(server, t["supervisor"])
    after = local_date(datetime.now(UTC))
    assert [(i["case_id"], i["deadline"], i["due_date"]) for i in items] == [
        (missing, "update_training", "2025-12-31"), (twice, "update_training", "2025-12-31")]
    assert items[0]["working_days_overdue"] in plausible_overdue(date(2025, 12, 31), before, after)
    assert "第20条" in items[0]["basis"]
    assert [i["case_id"] for i in overdue(server, t["clerk"])] == [missing]  # each agency its own
    assert [i["case_id"] for i in overdue(server, t["other_clerk"])] == [twice]

    # Still an enforcer (art. 20 is an assessment item, not a condition of the certificate), flagged.
    r = server.call("GET", "/api/v1/certificates/enforcers?on=2026-01-05", t["clerk"])
    assert [(i["person_id"], i["update_training_overdue"], i["missed_training_years"]) for i in r.body["items"]] == [
        ("P-4001", False, []), ("P-4002", True, [2025])]
    first = server.call("GET", "/api/v1/certificates/enforcers?on=2026-01-05&limit=1", t["clerk"]).body
    second = server.call("GET", f"/api/v1/certificates/enforcers?on=2026-01-05&limit=1&cursor={first['next']}",
                         t["clerk"]).body
    assert ([i["person_id"] for i in first["items"]], [i["person_id"] for i in second["items"]], second["next"]) == (
        ["P-4001"], ["P-4002"], None)

    # Dealt with: the training of 2026 clears the flag; 2026 is covered, the next check is 2027.
    case = fire(server, t["clerk"], missing, "record_update_training", {"course": "2026年第一期法律知识更新培训"},
                "2026-03-02T15:00:00+08:00")
    assert (case["state"], case["overdue"]) == ("active", False)
    assert pending(case) == [("update_training", "2027-12-31")]
    assert case["data"]["missed_training_years"] == [2025]  # stays for the annual assessment
    assert [i["case_id"] for i in overdue(server, t["supervisor"])] == [twice]

    # 周九 misses 2026 too: flagged again at 24:00 on 31 Dec 2026, the list shows the latest year;
    # 钱七, trained in 2025 only, is flagged for 2026; 孙八, trained in 2026, is not.
    assert fired(server, "2027-01-01T00:00:01+08:00") == 2
    case = get_case(server, t["supervisor"], twice)
    assert (case["state"], case["data"]["missed_training_years"]) == ("training_overdue", [2025, 2026])
    assert pending(case) == [("update_training_after_miss", "2027-12-31")]
    flagged = [(i["case_id"], i["due_date"]) for i in overdue(server, t["supervisor"])]
    assert sorted(flagged) == sorted([(trained, "2026-12-31"), (twice, "2026-12-31")])
    assert get_case(server, t["clerk"], missing)["state"] == "active"


def test_working_days_overdue_of_a_missed_year_skip_the_new_year_holiday(system):
    """On a fixed clock the flag of 31 Dec 2025 is 0 working days overdue during New Year (Jan 1–3 2026), 1 on the make-up Sunday Jan 4, 2 on Monday Jan 5."""
    clock: FixedClock = system.clock  # type: ignore[assignment]
    clock.move_to(at("2025-12-01T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    cid = certify(api, t, "P-5001", "吴十", opened="2024-03-04", issued="2024-06-03", valid_until="2029-06-02",
                  number="500241005001")["id"]
    assert system.tick(at("2026-01-01T00:00:01+08:00")).fired == 1
    # 国办发明电〔2025〕7号: 元旦 Jan 1 (Thu) – Jan 3 (Sat) off, Sun Jan 4 a make-up working day.
    for now, expected in [("2026-01-02T10:00:00+08:00", 0), ("2026-01-03T23:00:00+08:00", 0),
                          ("2026-01-04T10:00:00+08:00", 1), ("2026-01-05T10:00:00+08:00", 2),
                          ("2026-01-06T10:00:00+08:00", 3)]:
        clock.move_to(at(now))
        [item] = overdue(api, t["supervisor"])
        assert (item["case_id"], item["working_days_overdue"]) == (cid, expected), now


def test_a_yearly_check_due_on_a_sunday_is_not_rolled_over(system):
    """31 Dec 2028 is a Sunday; the yearly check is a fixed date (每年), so it stays on that day and lapses at its 24:00."""
    clock: FixedClock = system.clock  # type: ignore[assignment]
    clock.move_to(at("2027-06-10T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    case = certify(api, t, "P-5002", "郑一", opened="2027-03-01", issued="2027-06-01", valid_until="2032-05-31",
                   number="500241005002")
    [d] = [d for d in case["deadlines"] if d["status"] == "pending" and d["name"] == "update_training"]
    assert (d["name"], d["due_date"], d["lapses_at"]) == ("update_training", "2028-12-31", "2028-12-31T16:00:00Z")
    assert d["period"]["kind"] == "fixed_date"


# --- art. 21: expiry and leaving work, recall and cancellation --------------------------------------------------


def test_expiry_and_leaving_work_lead_to_recall_and_cancellation_with_a_notice(server: Server):
    """A certificate stops counting after its validity or from its recall, the agency recalls it for expiry or for leaving work, and the bureau's cancellation issues a numbered notice naming certificate, reason and art. 21."""
    t = people(server.database_url)
    expiring = certify(server, t, "P-6001", "冯二", opened="2025-01-06", issued="2025-04-01", valid_until="2026-03-31",
                       number="500241006001")["id"]
    leaving = certify(server, t, "P-6002", "陈三", opened="2025-01-06", issued="2025-04-01", valid_until="2030-03-31",
                      number="500241006002")["id"]

    # Validity is checked by date, before anyone registers the expiry.
    assert enforcer_ids(server, t["clerk"], "?on=2026-03-31") == ["P-6001", "P-6002"]
    assert enforcer_ids(server, t["clerk"], "?on=2026-04-01") == ["P-6002"]

    # Expiry: registered by the personnel system, recalled by the agency, cancelled by the bureau.
    refused = fire(server, t["clerk"], expiring, "recall", {"reason": "expired"}, "2026-03-20T09:00:00+08:00",
                   expect=409)
    assert "有效期内" in refused["error"]["message"]
    assert fired(server, "2026-03-31T23:59:59+08:00") == 0
    assert fired(server, "2026-04-01T00:00:01+08:00") == 1  # 24:00 of valid_until, nobody acting
    case = get_case(server, t["clerk"], expiring)
    assert (case["state"], case["state_title"]) == ("expired", "有效期满，待回收")
    assert [(i["case_id"], i["deadline"], i["due_date"]) for i in overdue(server, t["supervisor"])] == [
        (expiring, "validity", "2026-03-31")]  # on the list until the agency recalls it
    assert [status for _, _, status in yearly(case)] == ["cancelled"]
    assert get_case(server, t["clerk"], expiring)["available_triggers"] == ["recall"]
    assert fire(server, t["other_clerk"], expiring, "recall", {"reason": "expired"}, "2026-04-03T09:00:00+08:00",
                expect=403)["error"]["code"] == "forbidden"
    case = fire(server, t["clerk"], expiring, "recall", {"reason": "expired"}, "2026-04-03T09:00:00+08:00")
    assert (case["state"], case["available_triggers"]) == ("recalled", [])
    assert fire(server, t["clerk"], expiring, "cancel", {}, "2026-04-08T09:00:00+08:00", expect=403)
    case = fire(server, t["reviewer"], expiring, "cancel", {}, "2026-04-08T10:00:00+08:00")
    assert (case["state"], case["closed"], case["available_triggers"]) == ("cancelled", True, [])
    [notice] = case["documents"]
    assert (notice["kind"], notice["number"]) == ("certificate_cancellation", "秀山司证注〔2026〕1号")
    lines = download(server, t["clerk"], notice["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["行政执法证注销通知", "秀山司证注〔2026〕1号"]
    assert "县公安局：" in lines
    assert "冯二同志的行政执法证（证号：500241006001，有效期自2025年4月1日至2026年3月31日" in body
    assert "回收原因：执法证有效期满。" in body
    assert "《秀山自治县行政执法监督制度》第21条" in body and "本局已于2026年4月8日注销该执法证" in body
    assert lines[-1] == "2026年4月8日"
    # Asked for a past day, the answer is the one of that day: 冯二 could enforce on 31 March.
    assert enforcer_ids(server, t["supervisor"], f"?agency={POLICE}&on=2026-03-31") == ["P-6001", "P-6002"]

    # Leaving work: recalled from the day of the recall, before the validity ends.
    assert fire(server, t["clerk"], leaving, "recall", {"reason": "expired"}, "2026-05-11T09:00:00+08:00",
                expect=409)
    case = fire(server, t["clerk"], leaving, "recall", {"reason": "left_work", "note": "调任县政府办综合岗位"},
                "2026-05-11T09:00:00+08:00")
    assert case["state"] == "recalled"
    assert [status for _, _, status in yearly(case)] == ["cancelled"]
    assert enforcer_ids(server, t["clerk"], "?on=2026-05-10") == ["P-6002"]
    assert enforcer_ids(server, t["clerk"], "?on=2026-05-11") == []
    assert enforcer_ids(server, t["clerk"]) == []
    case = post_event(server, t["system"], "cq-cancel-6002", "P-6002", "cancel", {"note": "已在系统中注销"},
                      "2026-05-13T10:00:00+08:00")
    [notice] = case["documents"]
    assert NUMBER.match(notice["number"]).group("seq") == "2"
    body = "\n".join(download(server, t["clerk"], notice["id"]))
    assert "回收原因：不再从事行政执法工作。" in body and "情况说明：调任县政府办综合岗位" in body

    assert overdue(server, t["supervisor"]) == []
    assert [s[0] for s in steps(server, t["supervisor"], leaving)][-2:] == ["recall", "cancel"]


def test_a_certificate_lapses_into_expired_at_24_00_of_its_last_valid_day(system):
    """With nobody acting, the sweep after 24:00 of valid_until moves the certificate to `expired` and lists it overdue until the agency recalls it."""
    clock: FixedClock = system.clock  # type: ignore[assignment]
    clock.move_to(at("2026-04-10T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    cid = certify(api, t, "P-7001", "褚四", opened="2025-01-06", issued="2025-04-01", valid_until="2026-03-31",
                  number="500241007001")["id"]
    assert system.tick(at("2026-04-01T00:00:01+08:00")).fired == 1
    case = get_case(api, t["supervisor"], cid)
    assert case["state"] == "expired"
    assert [i["case_id"] for i in overdue(api, t["supervisor"])] == [cid]


def test_enforcers_default_to_today_in_asia_shanghai(system):
    """At 00:30 on 1 April in Xiushan (still 31 March in UTC) a certificate valid until 31 March no longer counts by default."""
    clock: FixedClock = system.clock  # type: ignore[assignment]
    clock.move_to(at("2026-03-31T12:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    certify(api, t, "P-8001", "卫五", opened="2025-01-06", issued="2025-04-01", valid_until="2026-03-31",
            number="500241008001")
    assert enforcer_ids(api, t["clerk"]) == ["P-8001"]
    clock.move_to(at("2026-04-01T00:30:00+08:00"))  # 2026-03-31T16:30Z
    assert enforcer_ids(api, t["clerk"]) == []
    assert enforcer_ids(api, t["clerk"], "?on=2026-03-31") == ["P-8001"]


# --- over the years: one open case per person, a new case after the last one closed -------------------


def enforcer_items(api, token: str, query: str) -> list[tuple[str, int, str]]:
    r = api.call("GET", f"/api/v1/certificates/enforcers{query}", token)
    assert r.status == 200, r.body
    return [(i["person_id"], i["case_id"], i["certificate_number"]) for i in r.body["items"]]


def refused_open(api, token: str, person_id: str, *, agency: str = POLICE) -> list[str]:
    r = api.call("POST", "/api/v1/cases", token, {
        "procedure": CERT, "agency": agency, "title": "重复立案（行政执法证）",
        "data": {"person_id": person_id, "name": "重复"}, "occurred_at": day_at("2026-01-05")})
    assert r.status == 422, r.body
    return r.body["error"]["fields"]["data.person_id"]


def open_text(person_id: str, case_id: int | None) -> str:
    """The refusal of a second case; the open case's number only for a caller who may see it."""
    number = f"（案件编号 {case_id}）" if case_id is not None else ""
    return (f"已有人员编号为“{person_id}”的正在办理的“行政执法证管理”案件{number}，"
            "不能重复立案；该案件办结后方可重新立案。")


def test_a_person_whose_certificate_was_cancelled_is_certified_again_by_a_new_case(system):
    """A holder who left work and whose certificate was cancelled is enrolled again by the personnel system, whose events by person id reach the new case, and is then listed once as an enforcer with the new certificate."""
    system.clock.move_to(at("2026-06-01T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    old = certify(api, t, "P-9101", "蒋六", opened="2024-03-04", issued="2024-06-03", valid_until="2029-06-02",
                  number="500241009101")["id"]
    fire(api, t["clerk"], old, "recall", {"reason": "left_work", "note": "借调县委办"}, day_at("2025-03-10"))
    assert refused_open(api, t["clerk"], "P-9101") == [open_text("P-9101", old)]  # recalled: still open
    assert fire(api, t["reviewer"], old, "cancel", {}, day_at("2025-03-12"))["closed"] is True

    # art. 21 then art. 15–19 again: back in enforcement work in 2026, enrolled and certified anew.
    enrol = {"agency": POLICE, "title": "蒋六（行政执法证）", "data": {"name": "蒋六", "post": "交通管理"}}
    new = post_event(api, t["system"], "cq-enrol-9101-2026", "P-9101", "enrol", enrol, day_at("2026-02-02"))["id"]
    assert new != old
    post_event(api, t["system"], "cq-gt-9101", "P-9101", "complete_general_training", {}, day_at("2026-02-10"))
    post_event(api, t["system"], "cq-st-9101", "P-9101", "complete_special_training", {}, day_at("2026-02-11"))
    post_event(api, t["system"], "cq-exam-9101", "P-9101", "record_exam", {"result": "passed"}, day_at("2026-04-18"))
    fire(api, t["clerk"], new, "approve_qualification", {}, day_at("2026-04-20"))
    post_event(api, t["system"], "cq-apply-9101", "P-9101", "apply", {"online_application": "CQZF-2026-0421"},
               day_at("2026-04-21"))
    case = post_event(api, t["system"], "cq-issue-9101", "P-9101", "issue", {
        "certificate_number": "500241009111", "valid_from": "2026-05-06", "valid_until": "2031-05-05",
        "areas": ["秀山土家族苗族自治县"]}, day_at("2026-05-06"))
    assert (case["id"], case["state"], case["data"]["certificate"]["number"]) == (new, "active", "500241009111")

    # The old case keeps the person's id and its whole record, closed.
    kept = get_case(api, t["supervisor"], old)
    assert (kept["state"], kept["data"]["person_id"], kept["data"]["certificate"]["number"]) == (
        "cancelled", "P-9101", "500241009101")
    assert [s[0] for s in steps(api, t["supervisor"], old)][-2:] == ["recall", "cancel"]
    listed = api.call("GET", f"/api/v1/cases?procedure={CERT}", t["supervisor"]).body["items"]
    assert [(c["id"], c["state"]) for c in listed] == [(old, "cancelled"), (new, "active")]

    # Once, with the certificate in force on the day asked.
    assert enforcer_items(api, t["clerk"], "?on=2024-06-03") == [("P-9101", old, "500241009101")]
    assert enforcer_items(api, t["clerk"], "?on=2025-06-01") == []
    assert enforcer_items(api, t["clerk"], "?on=2026-05-06") == [("P-9101", new, "500241009111")]
    assert enforcer_items(api, t["supervisor"], "") == [("P-9101", new, "500241009111")]  # today
    assert enforcer_items(api, t["supervisor"], "?number=500241009101&on=2026-05-06") == []


def test_a_second_case_while_one_is_open_is_refused_naming_the_open_case(system):
    """While a person's case is open a second one is refused, by any agency and by the personnel system's enrol event, with the open case's number for those who may see it (not another agency's clerk); once it is closed, events by person id find no open case."""
    system.clock.move_to(at("2026-01-10T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    cid = open_person(api, t["clerk"], "P-9201", "沈七", day_at("2026-01-05"))["id"]
    assert refused_open(api, t["clerk"], "P-9201") == [open_text("P-9201", cid)]
    assert refused_open(api, t["other_clerk"], "P-9201", agency=MARKET) == [open_text("P-9201", None)]
    enrol = {"agency": MARKET, "title": "沈七（行政执法证）", "data": {"name": "沈七"}}
    refused = post_event(api, t["system"], "cq-enrol-9201", "P-9201", "enrol", enrol, day_at("2026-01-06"),
                         expect=422)
    assert refused["error"]["fields"]["data.person_id"] == [open_text("P-9201", cid)]
    listed = api.call("GET", f"/api/v1/cases?procedure={CERT}", t["supervisor"]).body["items"]
    assert [c["id"] for c in listed] == [cid]

    fire(api, t["clerk"], cid, "withdraw", {"reasons": "调离执法岗位"}, day_at("2026-01-07"))
    late = post_event(api, t["system"], "cq-gt-9201", "P-9201", "complete_general_training", {},
                      day_at("2026-01-08"), expect=404)
    assert late["error"]["message"] == (
        "没有人员编号为“P-9201”的正在办理的“行政执法证管理”案件（已办结的案件不再接收事件）。")


def test_a_refused_qualification_is_retried_the_next_year_by_a_new_case(system):
    """A person refused at the agency's review in 2025 (art. 19) is trained, examined and certified by a new case in 2026, the refusal staying on the old case."""
    system.clock.move_to(at("2026-06-01T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    old = open_person(api, t["clerk"], "P-9301", "韩八", day_at("2025-03-03"))["id"]
    fire(api, t["reviewer"], old, "complete_general_training", {}, day_at("2025-03-10"))
    fire(api, t["clerk"], old, "complete_special_training", {}, day_at("2025-03-11"))
    fire(api, t["reviewer"], old, "record_exam", {"result": "passed", "score": 70}, day_at("2025-04-19"))
    fire(api, t["clerk"], old, "refuse_qualification", {"reasons": "尚未取得执法岗位编制"}, day_at("2025-04-22"))

    new = certify(api, t, "P-9301", "韩八", opened="2026-03-02", issued="2026-04-01", valid_until="2031-03-31",
                  number="500241009301")["id"]
    assert new != old
    assert get_case(api, t["clerk"], old)["data"]["qualification_refused"] == {"reasons": "尚未取得执法岗位编制"}
    assert enforcer_items(api, t["clerk"], "") == [("P-9301", new, "500241009301")]


def test_a_certificate_number_is_issued_to_one_person_only(system):
    """The bureau cannot issue a number another person holds or once held, naming that person's case, while the same person's new certificate may keep it."""
    system.clock.move_to(at("2026-06-01T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    holder = certify(api, t, "P-9401", "杨九", opened="2025-03-03", issued="2025-04-01", valid_until="2030-03-31",
                     number="500241009401")["id"]
    other = to_applied(api, t, "P-9402", "朱十", opened="2025-03-03")
    taken = ("执法证号“500241009401”已用于人员编号为“P-9401”的“行政执法证管理”案件"
             f"（案件编号 {holder}），不能重复使用，请核对。")
    issue = {"certificate_number": " 500241009401 ", "valid_from": "2025-04-02", "valid_until": "2030-04-01",
             "areas": ["秀山土家族苗族自治县"]}
    refused = fire(api, t["reviewer"], other, "issue", issue, day_at("2025-04-02"), expect=422)
    assert refused["error"]["fields"] == {"certificate_number": [taken]}
    refused = post_event(api, t["system"], "cq-issue-9402", "P-9402", "issue", issue, day_at("2025-04-02"),
                         expect=422)
    assert refused["error"]["fields"] == {"certificate_number": [taken]}
    assert get_case(api, t["reviewer"], other)["state"] == "applied"

    # Cancelled, the number is still the holder's: not for another person, but for the holder's new certificate.
    fire(api, t["clerk"], holder, "recall", {"reason": "left_work"}, day_at("2025-05-06"))
    fire(api, t["reviewer"], holder, "cancel", {}, day_at("2025-05-07"))
    assert fire(api, t["reviewer"], other, "issue", issue, day_at("2025-05-08"), expect=422)["error"]["fields"] == {
        "certificate_number": [taken]}
    again = certify(api, t, "P-9401", "杨九", opened="2026-03-02", issued="2026-04-01", valid_until="2031-03-31",
                    number="500241009401")
    assert again["data"]["certificate"]["number"] == "500241009401"
    issued = fire(api, t["reviewer"], other, "issue", {**issue, "certificate_number": "500241009402"},
                  day_at("2025-05-08"))
    assert issued["state"] == "active"
    assert sorted(enforcer_items(api, t["supervisor"], "?on=2026-04-01")) == [
        ("P-9401", again["id"], "500241009401"), ("P-9402", other, "500241009402")]


def test_the_declarations_of_the_certificate_are_checked_at_load():
    """Correlating while open needs a terminal state that gives the key up, and a unique value needs the payload field it is refused on."""
    endless = replace(certificate, states=tuple(replace(s, terminal=False) for s in certificate.states))
    assert "correlation while open: no state is terminal, so no case would give its key up" in check(endless)
    misnamed = replace(certificate, transitions=tuple(
        replace(tr, unique=Unique("number", "certificate.number", "执法证号")) if tr.unique else tr
        for tr in certificate.transitions))
    assert ("transition 'issue' keeps 'certificate.number' unique by payload field 'number', which it does not carry"
            in check(misnamed))


def test_an_issue_waiting_on_an_uncommitted_issue_of_the_same_number_is_refused_once_it_commits(system):
    """Two persons issued one number at the same moment: the second waits for the first (PostgreSQL: on a lock of the number) and is refused once it commits."""
    system.clock.move_to(at("2025-06-01T10:00:00+08:00"))
    api = InProcess(system)
    t = people_in(system)
    first = to_applied(api, t, "P-9501", "秦一", opened="2025-03-03")
    second = to_applied(api, t, "P-9502", "尤二", opened="2025-03-03")
    bureau = Actor("司法局审查科", "reviewer", BUREAU)
    issue = {"certificate_number": "500241009501", "valid_from": "2025-04-01", "valid_until": "2030-03-31",
             "areas": ["秀山土家族苗族自治县"]}
    with ThreadPoolExecutor(1) as pool:
        with system.db.write() as conn:
            system.engine.fire_by_key(conn, bureau, procedure=CERT, correlation_key="P-9501", trigger="issue",
                                      payload=issue, occurred_at=at(day_at("2025-04-01")))
            waiting = pool.submit(system.engine.fire, bureau, second, "issue", issue,
                                  occurred_at=at(day_at("2025-04-01")))
            time.sleep(0.5)  # SQLite: the write lock; PostgreSQL: the number's lock
            assert not waiting.done()
        with pytest.raises(InvalidPayload) as refused:
            waiting.result(timeout=30)
    [message] = refused.value.fields["certificate_number"]
    assert f"（案件编号 {first}）" in message
    assert [get_case(api, t["reviewer"], c)["state"] for c in (first, second)] == ["active", "applied"]
