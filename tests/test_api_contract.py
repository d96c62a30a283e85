"""The public contract (contract.md) over a real `xsflow serve`, on SQLite and PostgreSQL: versions,
idempotency, refusals that change nothing, tokens, inbound events, paging, OpenAPI, the calendar."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from xsflow.store.schema import inbound_events

from .conftest import LEGALITY_READY, Response, Server, cli, make_tokens

LR = "legality_review"
UNIT, OTHER, BUREAU = "scjgj", "gaj", "sfj"
SMOKE = Path(__file__).resolve().parents[2] / "shared" / "tools" / "contract-smoke"


# --- helpers ---------------------------------------------------------------------------------------


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU),
                       supervisor=("supervisor", None), other_clerk=("clerk", OTHER), oa=("system", None))


def open_case(server: Server, token: str, *, agency: str = UNIT, title: str = "草案",
              data: dict[str, Any] | None = None, occurred_at: str = "2025-03-03T09:00:00+08:00") -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", token, {"procedure": LR, "agency": agency, "title": title,
                                                     "data": LEGALITY_READY if data is None else data,
                                                     "occurred_at": occurred_at})
    assert r.status == 201, r.body
    return r.body


def post_event(server: Server, token: str, case_id: int, body: dict[str, Any], **headers: str) -> Response:
    return server.call("POST", f"/api/v1/cases/{case_id}/events", token, body,
                       headers={k.replace("_", "-"): v for k, v in headers.items()})


def snapshot(server: Server, token: str, case_id: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case and its full history, to show that a refused request changed nothing."""
    case = server.call("GET", f"/api/v1/cases/{case_id}", token)
    hist = server.call("GET", f"/api/v1/cases/{case_id}/history", token)
    assert case.status == 200 and hist.status == 200, (case.body, hist.body)
    return case.body, hist.body["items"]


def assert_error(r: Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert r.status == status, r.body
    assert isinstance(r.body, dict) and set(r.body) == {"error"}, r.body
    err = r.body["error"]
    assert err["message"] and re.search(r"[\u4e00-\u9fff]", err["message"]), err  # a clerk reads Chinese
    if code is not None:
        assert err["code"] == code, err
    return err


def walk(server: Server, token: str, path: str) -> list[dict[str, Any]]:
    """Every item of a list answer, following `next` one item at a time."""
    items, cursor, pages = [], None, 0
    while True:
        sep = "&" if "?" in path else "?"
        r = server.call("GET", f"{path}{sep}limit=1" + (f"&cursor={cursor}" if cursor else ""), token)
        assert r.status == 200, r.body
        assert set(r.body) - {"total"} == {"items", "next"}, r.body  # `total` (all pages) is additive
        assert len(r.body["items"]) <= 1
        items += r.body["items"]
        cursor, pages = r.body["next"], pages + 1
        assert pages < 100, "paging does not end"
        if cursor is None:
            return items


# --- versions and idempotency --------------------------------------------------------------------------


def test_stale_if_match_is_refused_and_changes_nothing(server: Server):
    """A trigger sent with an outdated If-Match version gets 409 and leaves version and history as they were; the current version is accepted."""
    t = people(server)
    cid = open_case(server, t["clerk"])["id"]
    r = post_event(server, t["reviewer"], cid, {"trigger": "accept", "occurred_at": "2025-03-04T09:00:00+08:00"},
                   If_Match='"1"')
    assert r.status == 200 and r.body["version"] == 2, r.body
    case, hist = snapshot(server, t["clerk"], cid)

    stale = post_event(server, t["clerk"], cid, {"trigger": "withdraw", "occurred_at": "2025-03-05T09:00:00+08:00"},
                       If_Match='"1"')
    err = assert_error(stale, 409, "version_conflict")
    assert "2" in err["message"]  # tells the clerk which version is current
    assert snapshot(server, t["clerk"], cid) == (case, hist)

    fresh = post_event(server, t["clerk"], cid, {"trigger": "withdraw", "occurred_at": "2025-03-05T09:00:00+08:00"},
                       If_Match='"2"')
    assert (fresh.status, fresh.body["state"], fresh.body["version"]) == (200, "withdrawn", 3)


def test_idempotency_key_repeats_the_answer_not_the_transition(server: Server):
    """The same Idempotency-Key twice gives one transition and the identical answer; reused with another body it is refused and changes nothing."""
    t = people(server)
    cid = open_case(server, t["clerk"])["id"]
    body = {"trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
            "occurred_at": "2025-03-03T10:00:00+08:00"}
    first = post_event(server, t["reviewer"], cid, body, Idempotency_Key="req-7f3a")
    again = post_event(server, t["reviewer"], cid, body, Idempotency_Key="req-7f3a")
    assert first.status == again.status == 200, (first.body, again.body)
    assert again.body == first.body
    case, hist = snapshot(server, t["reviewer"], cid)
    assert [h["trigger"] for h in hist] == ["open", "request_supplement"]
    assert case["version"] == first.body["version"] == 2
    assert len(case["documents"]) == 1  # one supplement notice, one number used

    other = post_event(server, t["reviewer"], cid, {**body, "payload": {"missing": ["other"]}}, Idempotency_Key="req-7f3a")
    err = assert_error(other, 422, "idempotency_key_reused")
    assert "req-7f3a" in err["message"]
    assert snapshot(server, t["reviewer"], cid) == (case, hist)

    # Opening a case is protected the same way.
    opening = {"procedure": LR, "agency": UNIT, "title": "重试的草案", "data": LEGALITY_READY, "occurred_at": "2025-03-03T09:00:00+08:00"}
    one = server.call("POST", "/api/v1/cases", t["clerk"], opening, headers={"Idempotency-Key": "open-1"})
    two = server.call("POST", "/api/v1/cases", t["clerk"], opening, headers={"Idempotency-Key": "open-1"})
    assert one.status == two.status == 201 and one.body == two.body
    titles = [c["title"] for c in walk(server, t["clerk"], "/api/v1/cases")]
    assert titles.count("重试的草案") == 1


class _HeldCaseLock:
    """Holds the write lock on one case from outside the server, as a slow concurrent transaction would."""

    def __init__(self, database_url: str, case_id: int) -> None:
        self.engine = create_engine(database_url)
        self.conn = self.engine.connect()
        self.postgres = self.engine.dialect.name == "postgresql"
        if self.postgres:
            self.conn.begin()
            self.conn.execute(text("SELECT id FROM cases WHERE id = :id FOR UPDATE"), {"id": case_id})
        else:
            self.conn.exec_driver_sql("BEGIN IMMEDIATE")

    def wait_for_waiters(self, n: int, timeout: float = 30) -> None:
        """Returns once `n` sessions queue behind this lock (PostgreSQL); SQLite shows no waiters, so give them a moment."""
        if not self.postgres:
            time.sleep(1.0)
            return
        holder = self.conn.execute(text("SELECT pg_backend_pid()")).scalar()
        deadline = time.monotonic() + timeout
        # Autocommit: inside one transaction pg_stat_activity is a snapshot and would never change.
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as probe:
            while time.monotonic() < deadline:
                blocked = dict(probe.execute(text("SELECT pid, pg_blocking_pids(pid) FROM pg_stat_activity "
                                                  "WHERE wait_event_type = 'Lock'")).all())
                behind, grew = {holder}, True
                while grew:  # queued behind the holder, directly or behind another waiter
                    more = {pid for pid, by in blocked.items() if set(by) & behind} - behind
                    behind, grew = behind | more, bool(more)
                if len(behind) - 1 >= n:
                    return
                time.sleep(0.05)
        raise AssertionError(f"{n} requests did not reach the case lock within {timeout} s")

    def release(self) -> None:
        if self.postgres:
            self.conn.rollback()
        else:
            self.conn.exec_driver_sql("ROLLBACK")
        self.conn.close()
        self.engine.dispose()


def test_concurrent_retries_with_one_idempotency_key_get_one_answer(server: Server):
    """Two copies of one request (same Idempotency-Key) arriving together both get the same 200 answer and fire once."""
    t = people(server)
    cid = open_case(server, t["clerk"])["id"]
    body = {"trigger": "accept", "occurred_at": "2025-03-04T09:00:00+08:00"}
    answers: list[Response] = []

    def send() -> None:
        answers.append(post_event(server, t["reviewer"], cid, body, Idempotency_Key="retry-1"))

    lock = _HeldCaseLock(server.database_url, cid)
    threads = [threading.Thread(target=send) for _ in range(2)]
    try:
        for th in threads:
            th.start()
        lock.wait_for_waiters(2)
    finally:
        lock.release()
    for th in threads:
        th.join(60)
    assert [a.status for a in answers] == [200, 200], [a.body for a in answers]
    assert answers[0].body == answers[1].body
    _, hist = snapshot(server, t["reviewer"], cid)
    assert [h["trigger"] for h in hist] == ["open", "accept"]


# --- refusals ---------------------------------------------------------------------------------------------


def test_refused_triggers_name_the_reason_and_change_nothing(server: Server):
    """Wrong state → 409 naming the current state; wrong role → 403; another agency's clerk → 403 on reading and acting; nothing changes."""
    t = people(server)
    cid = open_case(server, t["clerk"])["id"]
    post_event(server, t["reviewer"], cid, {"trigger": "accept", "occurred_at": "2025-03-04T09:00:00+08:00"})
    before = snapshot(server, t["supervisor"], cid)

    wrong_state = post_event(server, t["reviewer"], cid, {"trigger": "accept",  # accepted already
                                                          "occurred_at": "2025-03-05T09:00:00+08:00"})
    err = assert_error(wrong_state, 409, "trigger_not_allowed")
    assert "审查中" in err["message"]  # the current state, as the clerk knows it

    wrong_role = post_event(server, t["clerk"], cid, {"trigger": "issue_opinion", "payload": {"conclusion": "lawful"},
                                                      "occurred_at": "2025-03-05T09:00:00+08:00"})
    assert_error(wrong_role, 403, "forbidden")

    stranger = t["other_clerk"]
    assert_error(server.call("GET", f"/api/v1/cases/{cid}", stranger), 403, "forbidden")
    assert_error(server.call("GET", f"/api/v1/cases/{cid}/history", stranger), 403, "forbidden")
    assert_error(post_event(server, stranger, cid, {"trigger": "withdraw", "occurred_at": "2025-03-05T09:00:00+08:00"}),
                 403, "forbidden")
    assert_error(server.call("POST", "/api/v1/cases", stranger, {"procedure": LR, "agency": UNIT, "title": "冒名"}),
                 403, "forbidden")
    assert walk(server, stranger, "/api/v1/cases") == []

    assert_error(server.call("GET", "/api/v1/cases/999999", t["supervisor"]), 404, "not_found")
    assert_error(server.call("GET", f"/api/v1/cases/{cid}"), 401)
    assert_error(server.call("GET", f"/api/v1/cases/{cid}", "xsf_not-a-real-token"), 401)
    assert snapshot(server, t["supervisor"], cid) == before


def test_malformed_and_invalid_bodies(server: Server):
    """Malformed JSON → 400; wrong types and unknown fields → 422 naming each field; future or zone-less occurred_at → 422 naming occurred_at; nothing changes."""
    t = people(server)
    cid = open_case(server, t["clerk"])["id"]
    post_event(server, t["reviewer"], cid, {"trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
                                            "occurred_at": "2025-03-03T10:00:00+08:00"})
    before = snapshot(server, t["clerk"], cid)
    url = f"/api/v1/cases/{cid}/events"

    assert_error(server.call("POST", url, t["clerk"], raw=b'{"trigger": "supplement", '), 400)
    assert_error(server.call("POST", "/api/v1/cases", t["clerk"], raw="{标题".encode()), 400)

    err = assert_error(server.call("POST", url, t["clerk"], {"trigger": 5, "payload": [], "colour": "red"}), 422,
                       "invalid_payload")
    assert {"trigger", "payload", "colour"} <= set(err["fields"]), err

    err = assert_error(post_event(server, t["clerk"], cid, {"trigger": "supplement",
                                                            "payload": {"items": "legal_basis", "urgency": 1},
                                                            "occurred_at": "2025-03-04T10:00:00+08:00"}), 422)
    assert {k.removeprefix("payload.") for k in err["fields"]} >= {"items", "urgency"}, err

    err = assert_error(post_event(server, t["clerk"], cid, {"trigger": "supplement", "payload": {"items": ["passport"]},
                                                            "occurred_at": "2025-03-04T10:00:00+08:00"}), 422)
    assert any("legal_basis" in m for ms in err["fields"].values() for m in ms), err  # lists the valid codes

    err = assert_error(server.call("POST", "/api/v1/cases", t["clerk"],
                                   {"procedure": LR, "agency": 7, "title": "", "extra": True}), 422)
    assert {"agency", "title", "extra"} <= set(err["fields"]), err

    future = post_event(server, t["clerk"], cid, {"trigger": "supplement", "payload": {"items": ["legal_basis"]},
                                                  "occurred_at": "2099-01-01T09:00:00+08:00"})
    assert set(assert_error(future, 422)["fields"]) == {"occurred_at"}
    naive = post_event(server, t["clerk"], cid, {"trigger": "supplement", "payload": {"items": ["legal_basis"]},
                                                 "occurred_at": "2025-03-04T10:00:00"})
    assert set(assert_error(naive, 422)["fields"]) == {"occurred_at"}
    garbled = post_event(server, t["clerk"], cid, {"trigger": "supplement", "payload": {"items": ["legal_basis"]},
                                                   "occurred_at": "4 March 2025"})
    assert set(assert_error(garbled, 422)["fields"]) == {"occurred_at"}

    assert snapshot(server, t["clerk"], cid) == before


def test_revoked_token_is_refused(server: Server):
    """After `xsflow token revoke NAME` the token gets 401 with a clear message; other tokens keep working."""
    token = server.token("市场监管局-张三", "clerk", UNIT)
    colleague = server.token("市场监管局-李四", "clerk", UNIT)
    cid = open_case(server, token)["id"]
    assert server.call("GET", f"/api/v1/cases/{cid}", token).status == 200

    p = cli(server.database_url, "token", "revoke", "市场监管局-张三")
    assert p.returncode == 0, p.stderr
    err = assert_error(server.call("GET", f"/api/v1/cases/{cid}", token), 401, "not_authenticated")
    assert "吊销" in err["message"]
    assert_error(post_event(server, token, cid, {"trigger": "withdraw"}), 401)
    assert server.call("GET", f"/api/v1/cases/{cid}", colleague).status == 200


# --- events from other systems ----------------------------------------------------------------------------


def test_system_events_by_correlation_key(server: Server):
    """An OA system's event finds the case by data.reference, applies once per event_id, and an unknown key is refused with 404 and kept."""
    t = people(server)
    cid = open_case(server, t["clerk"], data={"reference": "OA-2025-0117"})["id"]
    post_event(server, t["reviewer"], cid, {"trigger": "request_supplement", "occurred_at": "2025-03-03T10:00:00+08:00",
                                            "payload": {"missing": ["legal_basis", "consultation_record"]}})
    event = {"event_id": "oa-evt-1", "procedure": LR, "correlation_key": "OA-2025-0117", "trigger": "supplement",
             "payload": {"items": ["legal_basis"]}, "occurred_at": "2025-03-04T10:00:00+08:00"}
    first = server.call("POST", "/api/v1/events", t["oa"], event)
    again = server.call("POST", "/api/v1/events", t["oa"], event)
    assert first.status == again.status == 200, (first.body, again.body)
    assert first.body["id"] == cid and again.body == first.body
    _, hist = snapshot(server, t["supervisor"], cid)
    assert [h["trigger"] for h in hist] == ["open", "request_supplement", "supplement"]
    assert hist[-1]["actor_role"] == "system"

    changed = server.call("POST", "/api/v1/events", t["oa"], {**event, "payload": {"items": ["consultation_record"]}})
    assert_error(changed, 422)
    assert len(snapshot(server, t["supervisor"], cid)[1]) == 3

    unknown = server.call("POST", "/api/v1/events", t["oa"], {**event, "event_id": "oa-evt-2", "correlation_key": "OA-404"})
    err = assert_error(unknown, 404, "not_found")
    assert "OA-404" in err["message"]

    engine = create_engine(server.database_url)
    try:
        with engine.connect() as conn:
            rows = {r["event_id"]: r for r in conn.execute(select(inbound_events)).mappings()}
    finally:
        engine.dispose()
    assert set(rows) == {"oa-evt-1", "oa-evt-2"}
    assert (rows["oa-evt-1"]["outcome"], rows["oa-evt-1"]["case_id"]) == ("applied", cid)
    kept = rows["oa-evt-2"]
    assert (kept["outcome"], kept["status"], kept["correlation_key"], kept["case_id"]) == ("rejected", 404, "OA-404", None)
    assert kept["payload"] == {"items": ["legal_basis"]}


# --- lists, OpenAPI, calendar ---------------------------------------------------------------------------------


def test_lists_page_through_every_item_once(server: Server):
    """Every list answer is {items, next}; ?limit=1 walks each visible case, history entry and agency exactly once."""
    t = people(server)
    mine = [open_case(server, t["clerk"], title=f"草案{i}")["id"] for i in range(4)]
    theirs = [open_case(server, t["other_clerk"], agency=OTHER, title=f"公安草案{i}")["id"] for i in range(2)]
    post_event(server, t["reviewer"], mine[0], {"trigger": "accept", "occurred_at": "2025-03-04T09:00:00+08:00"})

    seen = [c["id"] for c in walk(server, t["supervisor"], "/api/v1/cases")]
    assert sorted(seen) == sorted(mine + theirs) and len(seen) == len(set(seen))
    assert [c["id"] for c in walk(server, t["clerk"], "/api/v1/cases")] == mine
    assert [c["id"] for c in walk(server, t["supervisor"], f"/api/v1/cases?agency={OTHER}")] == theirs
    assert [c["id"] for c in walk(server, t["supervisor"], "/api/v1/cases?state=under_review")] == [mine[0]]
    assert [h["seq"] for h in walk(server, t["clerk"], f"/api/v1/cases/{mine[0]}/history")] == [1, 2]
    server.tick("2025-04-01T09:00:00+08:00")  # the 15-working-day review period of each case (to 3-24) is over
    overdue = walk(server, t["supervisor"], "/api/v1/overdue")
    assert sorted(o["case_id"] for o in overdue) == sorted(mine + theirs)

    codes = [a["code"] for a in server.call("GET", "/api/v1/agencies?limit=200", t["clerk"]).body["items"]]
    assert len(codes) == len(set(codes)) and {UNIT, OTHER, BUREAU} <= set(codes)
    r = server.call("GET", "/api/v1/agencies?limit=7", t["clerk"])
    paged, cursor = list(r.body["items"]), r.body["next"]
    while cursor:
        r = server.call("GET", f"/api/v1/agencies?limit=7&cursor={cursor}", t["clerk"])
        paged += r.body["items"]
        cursor = r.body["next"]
    assert [a["code"] for a in paged] == codes

    for path in ["/api/v1/procedures", "/api/v1/incidents"]:
        r = server.call("GET", path, t["supervisor"])
        assert r.status == 200 and set(r.body) == {"items", "next"}, (path, r.body)
    assert_error(server.call("GET", "/api/v1/cases?limit=0", t["clerk"]), 422)
    assert_error(server.call("GET", "/api/v1/cases?cursor=zzzz", t["clerk"]), 400)


CONTRACT_PATHS = {  # contract.md, "HTTP API", without GET /documents/{id}/file
    "/api/v1/procedures": {"get"},
    "/api/v1/procedures/{name}": {"get"},
    "/api/v1/cases": {"get", "post"},
    "/api/v1/cases/{case_id}": {"get"},
    "/api/v1/cases/{case_id}/history": {"get"},
    "/api/v1/cases/{case_id}/events": {"post"},
    "/api/v1/events": {"post"},
    "/api/v1/overdue": {"get"},
    "/api/v1/documents/{document_id}": {"get"},
    "/api/v1/calendar/deadline": {"get"},
    "/api/v1/agencies": {"get"},
}


def test_openapi_documents_every_contract_path(server: Server):
    """GET /api/v1/openapi.json is an OpenAPI 3 document with every path and method of contract.md."""
    r = server.call("GET", "/api/v1/openapi.json")
    assert r.status == 200
    doc = r.body
    assert str(doc["openapi"]).startswith("3.")
    paths = doc["paths"]
    missing = {p: sorted(methods - set(paths.get(p, {}))) for p, methods in CONTRACT_PATHS.items()
               if not methods <= set(paths.get(p, {}))}
    assert not missing, f"undocumented: {missing}"
    schemas = doc["components"]["schemas"]
    case_fields = set(schemas["CaseOut"]["properties"])
    assert {"id", "procedure", "definition_version", "agency", "title", "state", "version", "data", "opened_at",
            "deadlines", "available_triggers", "documents"} <= case_fields


def test_provisional_deadline_is_flagged_by_command_and_api(server: Server):
    """A period reaching a year whose holiday notice is not loaded exits 3 with a message on the command line and is marked provisional by the API."""
    t = people(server)
    # 2026-12-20 + 30 working days runs into 2027, whose State Council notice is not loaded.
    p = cli(server.database_url, "calendar", "deadline", "2026-12-20", "--working-days", "30")
    assert p.returncode == 3, (p.stdout, p.stderr)
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", p.stdout.strip().splitlines()[0])
    assert "2027" in p.stderr and "推定" in p.stderr
    r = server.call("GET", "/api/v1/calendar/deadline?start=2026-12-20&working_days=30", t["clerk"])
    assert r.status == 200, r.body
    assert r.body["provisional"] is True and r.body["last_day"] == p.stdout.strip().splitlines()[0]
    assert any("2027" in a for a in r.body["assumptions"])

    # A settled period: exit 0, not provisional (National Day 2025: see test_legality_review_http).
    p = cli(server.database_url, "calendar", "deadline", "2025-09-26", "--working-days", "5")
    assert (p.returncode, p.stdout.strip()) == (0, "2025-10-10")
    r = server.call("GET", "/api/v1/calendar/deadline?start=2025-09-26&working_days=5", t["clerk"])
    assert (r.body["last_day"], r.body["provisional"]) == ("2025-10-10", False)
    # "5日" from 9-26 is 10-1, a holiday: the period ends on the first working day after it (民法典 第二百零三条).
    r = server.call("GET", "/api/v1/calendar/deadline?start=2025-09-26&days=5", t["clerk"])
    assert (r.body["last_day"], r.body["provisional"]) == ("2025-10-09", False)


@pytest.mark.skipif(not SMOKE.exists(), reason=f"{SMOKE} not present (shared/ sits beside the repository in CI)")
def test_contract_smoke_passes():
    """The shared contract smoke test runs against the installed xsflow and exits 0."""
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", "")}
    env.pop("XSFLOW_DATABASE_URL", None)
    env.pop("XSFLOW_BACKDATING_DAYS", None)  # the contract as a new installation has it, not the tests' setting
    p = subprocess.run([sys.executable, str(SMOKE)], env=env, capture_output=True, text=True, timeout=300, check=False)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-2000:]
    assert "all checks hold" in p.stdout
