"""Who may see and act: every cell of tests/authorization_matrix.py against a real `xsflow serve`.

One run per database sends every (line, caller) cell, then checks what it found: statuses,
refusals that changed nothing, answers that carry no other agency's data, filtered lists, and no
token in the server's log or the database. It is one test per database, not one per check, so
that xdist never sends the same ~700 requests twice.
"""
from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import create_engine, insert, select

from adapters.http import create_app
from xsflow.calendar import SHANGHAI
from xsflow.store import Database
from xsflow.store.schema import incidents, metadata, tokens
from xsflow.tokens import create_token

from . import authorization_matrix as m
from .authorization_matrix import AREA, GOVERNMENT, OTHER, OWN, Line
from .conftest import LEGALITY_READY, cli, make_tokens, record_figures, start_server

DOC = Path(__file__).parents[1] / "docs" / "security.md"
AGENCY_BOUND = tuple(c.key for c in m.CALLERS if c.role is not None and c.agency == OWN and c.role != "reviewer")
TOWNSHIP = tuple(c.key for c in m.CALLERS if c.role == "township")  # sees its area's cases only
COUNTY_WIDE = tuple(c.key for c in m.CALLERS if c.role is not None and c.key not in AGENCY_BOUND + TOWNSHIP + m.READ_ONLY)
MISSING_ID = 987654321
# Requests about an existing case or document, whose "not yours" answer must be one and the same.
ABOUT_A_CASE = {(e, r) for e, r in ((ln.endpoint, ln.request) for ln in m.MATRIX)
                if e in (m.CASE, m.HISTORY, m.FIRE, m.DOCUMENT, m.DOCUMENT_FILE) or r == "file"}


def template(rule: str) -> str:
    """A Flask rule written as the table writes it: <int(min=1):case_id> becomes {case_id}."""
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule)


# --- without a server --------------------------------------------------------------------------------


def test_matrix_covers_every_api_endpoint():
    """Every method and path the application serves under /api/v1 has lines in the table, and the table names no other."""
    app = create_app(database_url="sqlite://")
    served = {f"{method} {template(rule.rule)}" for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1") for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert served == set(m.ENDPOINTS) == {ln.endpoint for ln in m.MATRIX}


def test_every_line_is_distinct_and_every_bad_token_is_refused():
    """No line is declared twice, and a request without a valid token gets 401 everywhere but the public OpenAPI document and a malformed body."""
    keys = [(ln.endpoint, ln.target, ln.request) for ln in m.MATRIX]
    assert len(keys) == len(set(keys))
    exceptions = {(m.OPENAPI, ""): 200, (m.OPEN, "invalid_body"): 422, (m.ASSESSMENT_CORRECT, "no_reason"): 422}
    for ln in m.MATRIX:
        assert {ln.expected[k] for k in m.INVALID} == {exceptions.get((ln.endpoint, ln.request), 401)}, ln


def test_security_doc_is_rendered_from_the_matrix():
    """The committed docs/security.md is what `python -m tests.authorization_matrix` prints (regenerate it when this fails)."""
    assert DOC.read_text(encoding="utf-8") == m.render()


# --- the run against a real server ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    text: str
    body: Any


@dataclass
class Request:
    method: str
    path: str
    body: Any = None
    marker: str | None = None  # a text the request would put into a new case


@dataclass
class World:
    """The running server, the tokens and the cases the matrix reads and writes."""

    url: str
    database_url: str
    headers: dict[str, str | None] = field(default_factory=dict)  # caller key -> Authorization
    secrets_: dict[str, str] = field(default_factory=dict)  # token name -> the token; texts never to be logged
    hidden: list[str] = field(default_factory=list)  # marks and numbers of OTHER's cases, never shown to OWN
    ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # fixture name -> correlation key
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def send(self, method: str, path: str, auth: str | None, body: Any = None) -> Answer:
        headers = {"Accept": "application/json"}
        if auth is not None:
            headers["Authorization"] = auth
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        with self.lock:
            self.sent += 1
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                status, raw, kind = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, raw, kind = e.code, e.read(), e.headers.get("Content-Type", "")
        if "json" in kind:
            parsed = json.loads(raw)
            # Unescaped, so that a text hidden behind \\u escapes is still found.
            return Answer(status, json.dumps(parsed, ensure_ascii=False), parsed)
        return Answer(status, raw.decode("utf-8", "replace"), None)

    def as_(self, caller: str, method: str, path: str, body: Any = None, expect: int | None = None) -> Any:
        a = self.send(method, path, self.headers[caller], body)
        assert expect is None or a.status == expect, (method, path, a.status, a.text)
        return a.body

    def tag(self, agency: str, text_: str) -> str:
        """`text_`, marked as secret to OWN when it belongs to OTHER."""
        if agency != OTHER:
            return text_
        mark = uuid.uuid4().hex[:10]
        self.hidden.append(mark)
        return f"{text_}〔{mark}〕"


def issue_tokens(world: World) -> None:
    """A token per caller: straight in the database, the expiring one and the revocation through the CLI."""
    url = world.database_url
    made = make_tokens(url, clerk=("clerk", OWN), reviewer=("reviewer", m.BUREAU), supervisor=("supervisor", None),
                       admin=("admin", None), system=("system", None), system_agency=("system", OWN),
                       revoked=("clerk", OWN), other_clerk=("clerk", OTHER), township=("township", GOVERNMENT),
                       area_clerk=("clerk", AREA), procuratorate=("procuratorate", m.PROCURATORATE))
    p = cli(url, "token", "create", "--name", "clerk_expiring", "--role", "clerk", "--agency", OWN,
            "--expires-in-days", "30")
    assert p.returncode == 0, p.stderr
    made["clerk_expiring"] = p.stdout.strip()
    db = Database(url)
    try:
        with db.write() as conn:
            made["expired"] = create_token(conn, name="expired", role="clerk", agency=OWN,
                                           now=datetime.now(UTC) - timedelta(days=31),
                                           expires_at=datetime.now(UTC) - timedelta(minutes=1))
    finally:
        db.dispose()
    p = cli(url, "token", "revoke", "revoked")
    assert p.returncode == 0, p.stderr
    made["unknown"] = "xsf_" + secrets.token_urlsafe(32)
    world.secrets_.update(made)
    world.headers = {k: f"Bearer {v}" for k, v in made.items()}
    world.headers["no_token"] = None
    malformed = base64.b64encode(f"clerk:{secrets.token_urlsafe(16)}".encode()).decode()
    world.headers["malformed"] = f"Basic {malformed}"
    world.secrets_["malformed"] = malformed


def clerk_of(agency: str) -> str:
    return {OWN: "clerk", AREA: "area_clerk"}.get(agency, "other_clerk")


def legality_review(world: World, agency: str, *, occurred_at: str | None = None, notice: bool = False) -> int:
    """A legality review of `agency`, in `submitted`, or with `notice` in `awaiting_supplement` with its notice."""
    body: dict[str, Any] = {"procedure": "legality_review", "agency": agency,
                            "title": world.tag(agency, "关于规范户外广告设置管理的通知（送审稿）"),
                            "data": LEGALITY_READY}
    if occurred_at:
        body["occurred_at"] = occurred_at
    case = world.as_(clerk_of(agency), "POST", "/api/v1/cases", body, 201)
    if notice:
        event = {"trigger": "request_supplement", "payload": {"missing": ["legal_basis"]}}
        if occurred_at:
            event["occurred_at"] = "2025-03-04T10:00:00+08:00"
        case = world.as_("reviewer", "POST", f"/api/v1/cases/{case['id']}/events", event, 200)
        world.hidden.extend(d["number"] for d in case["documents"] if agency == OTHER)
    return case["id"]


def notice_of(world: World, case_id: int) -> int:
    [doc] = world.as_("supervisor", "GET", f"/api/v1/cases/{case_id}", expect=200)["documents"]
    return doc["id"]


def filing(world: World, agency: str, occurred_at: str | None = None) -> tuple[int, str]:
    """A published normative document of `agency` awaiting its filing; its id and document number."""
    # Numbers drawn from 1,000 collided now and then among the matrix's filings: from a billion, never in practice.
    number = world.tag(agency, f"秀山{'市监' if agency == OWN else '公'}发〔2025〕{uuid.uuid4().int % 10**9}号")
    body: dict[str, Any] = {"procedure": "filing_review", "agency": agency,
                            "title": world.tag(agency, "关于加强农村集市秩序管理的通知"),
                            "data": {"document_number": number}}
    if occurred_at:
        body["occurred_at"] = occurred_at
    return world.as_(clerk_of(agency), "POST", "/api/v1/cases", body, 201)["id"], number


def certificate(world: World, agency: str, person: str) -> int:
    """A person of `agency` walked to an active enforcement certificate (art. 15–19)."""
    clerk = clerk_of(agency)
    person_id = world.tag(agency, f"P-{person}")
    cid = world.as_(clerk, "POST", "/api/v1/cases", {
        "procedure": "certificate", "agency": agency, "title": world.tag(agency, f"{person}（行政执法证）"),
        "data": {"person_id": person_id, "name": world.tag(agency, person)},
        "occurred_at": "2025-03-03T09:00:00+08:00"}, 201)["id"]
    steps = [("reviewer", "complete_general_training", {"course": "通用法律知识培训"}, "2025-03-04"),
             (clerk, "complete_special_training", {"course": "专门法律知识培训"}, "2025-03-05"),
             ("reviewer", "record_exam", {"result": "passed", "score": 80}, "2025-03-06"),
             (clerk, "approve_qualification", {}, "2025-03-07"),
             (clerk, "apply", {"online_application": f"CQ-{uuid.uuid4().hex[:8]}"}, "2025-03-08"),
             ("reviewer", "issue", {"certificate_number": world.tag(agency, f"50024100{uuid.uuid4().int % 10000:04d}"),
                                    "valid_from": "2025-03-10", "valid_until": "2099-03-09",
                                    "areas": ["秀山土家族苗族自治县"]}, "2025-03-10")]
    for who, trigger, payload, day in steps:
        world.as_(who, "POST", f"/api/v1/cases/{cid}/events",
                  {"trigger": trigger, "payload": payload, "occurred_at": f"{day}T09:00:00+08:00"}, 200)
    return cid


def transfer(world: World) -> int:
    """A criminal transfer of OWN in `found`: the police and the procuratorate are its parties."""
    return world.as_("clerk", "POST", "/api/v1/cases", {
        "procedure": "criminal_transfer", "agency": OWN, "title": "某商行销售假冒注册商标的商品案",
        "data": {"case_number": f"秀山市监罚〔2025〕{uuid.uuid4().int % 100000}号"}}, 201)["id"]


def build_world(world: World) -> None:
    """The cases the read lines look at, and the ones the refused writes must leave as they were."""
    ids = world.ids
    for side, agency in (("own", OWN), ("other", OTHER)):
        # 2025: the supplement period and the filing period have lapsed, so both show as overdue.
        ids[f"review_{side}"] = legality_review(world, agency, occurred_at="2025-03-03T09:00:00+08:00", notice=True)
        ids[f"document_{side}"] = notice_of(world, ids[f"review_{side}"])
        ids[f"filing_{side}"], number = filing(world, agency, "2025-03-03T09:00:00+08:00")
        world.keys[f"filing_{side}"] = number
        ids[f"certificate_{side}"] = certificate(world, agency, "张明" if agency == OWN else "李强")
        ids[f"submitted_{side}"] = legality_review(world, agency)
    # A team in the township caller's area: a review with its notice (overdue since 2025) and a submitted one.
    ids["review_area"] = legality_review(world, AREA, occurred_at="2025-03-03T09:00:00+08:00", notice=True)
    ids["document_area"] = notice_of(world, ids["review_area"])
    ids["submitted_area"] = legality_review(world, AREA)
    ids["transfer"] = transfer(world)
    ids["dispute_party"] = world.as_("other_clerk", "POST", "/api/v1/cases", {
        "procedure": "dispute_coordination", "agency": OTHER, "title": "流动摊贩占道经营查处职责争议",
        "data": {"category": "duty", "parties": [OWN]}}, 201)["id"]
    # A held provisional deadline needs a year without its holiday notice; the incident row it would
    # raise is written directly, since only the list's filtering is under test here.
    db = Database(world.database_url)
    try:
        with db.write() as conn:
            for side, agency in (("own", OWN), ("other", OTHER)):
                conn.execute(insert(incidents).values(
                    kind="provisional_deadline_due", case_id=ids[f"review_{side}"], created_at=datetime.now(UTC),
                    message=world.tag(agency, "补正材料期限按推定的节假日安排计算，已暂停处理")))
    finally:
        db.dispose()


def succeeds(ln: Line, caller: str) -> bool:
    return ln.expected[caller] in (200, 201)


def prepare(world: World, ln: Line, caller: str, n: int) -> Request:
    """The concrete request of one cell; a write expected to succeed gets a fresh target of its own."""
    agency = OWN if ln.target in ("own", "-") else AREA if ln.target == "area" else OTHER
    side = ln.target
    fresh = ln.method == "POST" and succeeds(ln, caller)
    case_of = {"own": "review_own", "other": "review_other", "party": "dispute_party", "area": "review_area",
               "transfer": "transfer"}
    if ln.endpoint in (m.OPENAPI, m.PROCEDURES, m.AGENCIES, m.INCIDENTS, m.DOCUMENT_NUMBERS):
        return Request(ln.method, ln.path)
    if ln.endpoint == m.PROCEDURE:
        return Request("GET", "/api/v1/procedures/" + ("legality_review" if ln.target == "-" else "no_such_procedure"))
    if ln.endpoint == m.ANNUAL_REPORTS:
        return Request("POST", ln.path, {"year": 2021})
    if ln.endpoint == m.CASE_FILE_IMPORT:
        return Request("POST", ln.path)
    if ln.endpoint in (m.SELF_REVIEW_RATES, m.ASSESSMENT_FACTS):
        return Request("GET", ln.path + "?year=2025" + (f"&agency={OTHER}" if side == "other" else ""))
    if ln.endpoint in (m.CAMPAIGN_DRAW, m.CAMPAIGN_REDRAW):
        body = {"default_size": 1} if ln.endpoint == m.CAMPAIGN_DRAW else None
        return Request(ln.method, ln.path.format(case_id=MISSING_ID), body)
    if ln.endpoint == m.DEADLINE:
        return Request("GET", "/api/v1/calendar/deadline?start=2025-03-03&working_days=5")
    if ln.endpoint in (m.CASES, m.OVERDUE, m.TODO, m.REGISTER, m.ENFORCERS, m.INBOUND_LIST, m.AUDIT_LOG):
        query = "limit=200" + (f"&agency={agency}" if side in ("other", "area") else "") + (
            "&procedure=criminal_transfer" if side == "transfer" else "")
        return Request("GET", f"{ln.path}?{query}")
    if ln.endpoint == m.OVERDUE_SUMMARY:  # counts only: an agency-bound caller's are its own cases'
        return Request("GET", ln.path + (f"?agency={OTHER}" if side == "other" else ""))
    if ln.endpoint == m.STATISTICS_OPEN:
        # a period of its own for each cell expected to open one: a period is opened once
        return Request("POST", ln.path, {"period": f"2025-Q{1 + n % 3}", "occurred_at": "2025-10-01T09:00:00+08:00"})
    if ln.endpoint == m.NAME_OFFICERS:
        code = "nosuch" if side == "none" else agency
        return Request("PUT", ln.path.format(code=code), {"officers": [{"name": "联络员", "phone": "023-76620000"}]})
    if ln.endpoint in (m.OFFICERS, m.OFFICERS_MISSING, m.NOTIFICATIONS):
        return Request("GET", ln.path)
    if ln.endpoint in (m.STATISTICS_TOTALS, m.STATISTICS_CSV):
        return Request("GET", ln.path)
    if ln.endpoint in (m.ASSESSMENT_COMPUTE, m.ASSESSMENT_TABLE, m.ASSESSMENT_PUBLISH):
        year = 2027 if side == "none" else 2025
        body = {"review": "执法协调小组会议评审通过"} if ln.endpoint == m.ASSESSMENT_PUBLISH else None
        return Request(ln.method, ln.path.format(year=year), body)
    if ln.endpoint in (m.ASSESSMENT_RESULT, m.ASSESSMENT_CORRECT, m.ASSESSMENT_FINDING, m.ASSESSMENT_PERSONNEL,
                       m.ASSESSMENT_CASES):
        path = ln.path.format(year=2025, code="nosuch" if side == "none" else agency, item="unfiled_documents")
        body = {"no_reason": {"item": "unfiled_documents", "count": 1},
                "entered_item": {"item": "three_systems_missing", "count": 1, "reason": "复核更正"},
                "finding": {"found_on": "2025-09-10", "points": 1, "text": "执法公示栏内容未及时更新。"}}.get(ln.request)
        return Request(ln.method, path, body)
    if ln.request == "invalid_body":
        return Request("POST", ln.path, {"procedure": "legality_review", "data": {}})
    if ln.endpoint == m.OPEN:
        marker = f"授权矩阵第{n}格"
        body: dict[str, Any] = {"procedure": ln.request, "agency": agency, "title": f"{marker}：规范性文件"}
        if ln.request == "filing_review":  # published that day: its date must be given (dated_by)
            body["data"] = {"document_number": f"秀山矩阵〔2026〕{n}号"}
            body["occurred_at"] = "2025-03-03T09:00:00+08:00"
        if ln.request == "complaint":
            body["data"] = {"source": "report", "channel": "letter", "agency_concerned": OTHER, "facts": "来信举报",
                            "anonymous": True}
        if ln.request == "correction_order":
            body["data"] = {"ground": "statistics", "facts": "未按规定报送行政执法统计数据"}
        return Request("POST", ln.path, body, marker)
    if ln.endpoint in (m.CASE, m.HISTORY):
        cid = MISSING_ID if side == "none" else world.ids[case_of[side]]
        return Request("GET", ln.path.format(case_id=cid))
    if ln.endpoint == m.FIRE and side == "transfer":
        cid = transfer(world) if fresh else world.ids["transfer"]
        return Request("POST", ln.path.format(case_id=cid), {"trigger": ln.request, "payload": {
            "team": "执法人员张某、李某", "facts": "销售金额经核实为人民币28万元。"}})
    if ln.endpoint == m.FIRE:
        cid = MISSING_ID if side == "none" else (
            legality_review(world, agency) if fresh else world.ids[f"submitted_{side}"])
        payload = {"items": ["legal_basis"]} if ln.request == "supplement" else {}
        return Request("POST", ln.path.format(case_id=cid), {"trigger": ln.request, "payload": payload})
    if ln.endpoint == m.INBOUND:
        event = {"event_id": f"authz-{n}", "procedure": "filing_review", "trigger": ln.request, "payload": {}}
        if ln.request == "publish":
            marker = f"秀山矩阵事件〔2026〕{n}号"
            event.update(correlation_key=marker, payload={"agency": agency, "title": "关于做好防汛工作的通知"},
                         occurred_at="2025-03-03T09:00:00+08:00")
            return Request("POST", ln.path, event, marker)
        key = ("秀山不存在〔2026〕1号" if side == "none" else
               filing(world, agency, datetime.now(UTC).isoformat(timespec="seconds"))[1] if fresh else world.keys[f"filing_{side}"])
        event.update(correlation_key=key, payload={"materials": ["filing_report", "official_text"]})
        return Request("POST", ln.path, event)
    if ln.endpoint in (m.DOCUMENT, m.DOCUMENT_FILE, m.CORRECT):
        did = MISSING_ID if side == "none" else (
            notice_of(world, legality_review(world, agency, notice=True)) if fresh and ln.endpoint == m.CORRECT
            else world.ids[f"document_{side}"])
        body = {"reason": "文书中补正期限的起算日写错，予以更正"} if ln.endpoint == m.CORRECT else None
        return Request(ln.method, ln.path.format(document_id=did), body)
    if ln.endpoint == m.SERVE:  # a fresh notice for each cell expected to record its service: once per document
        did = MISSING_ID if side == "none" else (
            notice_of(world, legality_review(world, agency, notice=True)) if fresh else world.ids[f"document_{side}"])
        today = datetime.now(SHANGHAI).date().isoformat()
        return Request("POST", ln.path.format(document_id=did), {"mode": "direct", "served_on": today})
    raise AssertionError(f"no request for {ln.endpoint}")


def snapshot(world: World) -> dict[str, Any]:
    """State, version, documents and history length of every target a refused write aims at."""
    out = {}
    for name in ("submitted_own", "submitted_other", "review_own", "review_other", "filing_own", "filing_other",
                 "transfer"):
        cid = world.ids[name]
        case = world.as_("supervisor", "GET", f"/api/v1/cases/{cid}", expect=200)
        hist = world.as_("supervisor", "GET", f"/api/v1/cases/{cid}/history", expect=200)
        out[name] = [case["state"], case["version"], [d["id"] for d in case["documents"]], len(hist["items"])]
    return out


def every_case(world: World) -> dict[int, dict[str, Any]]:
    """Every case in the database, as the supervisor lists them."""
    found: dict[int, dict[str, Any]] = {}
    cursor = ""
    while True:
        page = world.as_("supervisor", "GET", f"/api/v1/cases?limit=200{cursor}", expect=200)
        found.update({c["id"]: c for c in page["items"]})
        if not page["next"]:
            return found
        cursor = f"&cursor={quote(page['next'])}"


def visible(caller: str, case: dict[str, Any]) -> bool:
    if caller in m.READ_ONLY:
        return case["procedure"] == "criminal_transfer" and m.PROCURATORATE in (case["data"].get("parties") or [])
    if caller in COUNTY_WIDE:
        return True
    if caller in TOWNSHIP:
        return bool({case["agency"], *case["parties"]} & {GOVERNMENT, AREA})
    return case["agency"] == OWN or OWN in (case["data"].get("parties") or [])


def listed_case_ids(endpoint: str, body: dict[str, Any]) -> list[int]:
    return [item["id"] if endpoint == m.CASES else item["case_id"] for item in body["items"]]


def required_ids(world: World, ln: Line, caller: str) -> set[int]:
    """The fixtures a list must hold for this caller: its own agency's, and OTHER's when it sees every agency."""
    if ln.target == "transfer" or caller in m.READ_ONLY:
        return ({world.ids["transfer"]} if ln.endpoint in (m.CASES, m.AUDIT_LOG) and ln.target in ("-", "transfer")
                and caller not in TOWNSHIP else set())
    if ln.endpoint == m.TODO:  # a submitted review: the clerk may withdraw its own, a reviewer accept any
        role = next(c.role for c in m.CALLERS if c.key == caller)
        sides = {"clerk": ["own"], "reviewer": ["own", "other", "area"], "township": ["area"]}.get(role or "", [])
        return {world.ids[f"submitted_{s}"] for s in sides}
    kind = {m.CASES: "review", m.AUDIT_LOG: "review", m.OVERDUE: "review", m.INCIDENTS: "review", m.REGISTER: "filing",
            m.ENFORCERS: "certificate"}[ln.endpoint]
    sides = [ln.target] if ln.target in ("other", "area") else ["own", "other", "area"]
    home = "area" if caller in TOWNSHIP else "own"
    wanted = {world.ids[f"{kind}_{s}"] for s in sides
              if f"{kind}_{s}" in world.ids and (s == home or caller in COUNTY_WIDE)
              and not (ln.endpoint == m.INCIDENTS and s == "area")}  # incidents are written for own and other only
    if ln.endpoint in (m.CASES, m.AUDIT_LOG) and ln.target != "area" and caller not in TOWNSHIP:
        wanted.add(world.ids["dispute_party"])
    return wanted


def database_text(database_url: str) -> tuple[str, dict[str, str]]:
    """Every row of every table as text, and each token name's stored hash."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            dump = "\n".join(json.dumps([dict(r) for r in conn.execute(select(t)).mappings()], default=str,
                                        ensure_ascii=False) for t in metadata.sorted_tables)
            hashes = dict(conn.execute(select(tokens.c.name, tokens.c.token_hash)).all())
    finally:
        engine.dispose()
    return dump, hashes


CHECKS = {  # what each check of the run proves, as its failure says
    "status": "every endpoint, caller and target gets exactly the status the table declares",
    "unchanged": "a refused write leaves its target's state, version, documents and history as they were and "
                 "opens no case; an allowed one opens its case",
    "hidden": "no answer to the agency's callers carries a title, number, name or message of another agency's case",
    "uniform": "reading, firing on or posting for another agency's case gets one and the same refusal, "
               "which tells nothing about the case",
    "lists": "case, overdue, incident, register and enforcer lists hold what the caller may see: its own agency's "
             "items and those it is a party to, every agency's for county-wide roles, and nothing else",
    "log": "the server's access and error log holds no token, valid or not",
    "database": "no table holds a token's text; the tokens table holds each token's SHA-256 digest",
}


def run_matrix(database_url: str, workdir: Path) -> dict[str, Any]:
    """Sends every cell to a fresh server and returns what each check found (lists of problems) and counts."""
    server = start_server(database_url, workdir)
    world = World(server.url, database_url)
    found: dict[str, list[str]] = {check: [] for check in CHECKS}
    try:
        issue_tokens(world)
        build_world(world)
        before = snapshot(world)
        cells = m.cells()
        requests = [prepare(world, ln, caller, n) for n, (ln, caller) in enumerate(cells)]

        def send(i: int) -> Answer:
            caller, req = cells[i][1], requests[i]
            return world.send(req.method, req.path, world.headers[caller], req.body)

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(send, range(len(cells))))
        after = snapshot(world)
        cases = every_case(world)
        check_answers(world, cells, requests, answers, cases, found)
        titles = {c["title"] for c in cases.values()} | {str(c["data"].get("document_number")) for c in cases.values()}
        for (ln, caller), req in zip(cells, requests):
            if req.marker and any(req.marker in t for t in titles) != succeeds(ln, caller):
                found["unchanged"].append(f"{ln.endpoint} {ln.request} as {caller}: case with {req.marker} "
                                          f"{'missing' if succeeds(ln, caller) else 'opened by a refused request'}")
        found["unchanged"] += [f"{k}: {before[k]} became {after[k]}" for k in before if before[k] != after[k]]
    finally:
        server.stop()
    log = server.log.read_text(encoding="utf-8", errors="replace")
    found["log"] = [f"token {name} is in the server log" for name, s in world.secrets_.items() if s in log]
    dump, hashes = database_text(database_url)
    found["database"] = [f"token {name} is stored in the database" for name, s in world.secrets_.items() if s in dump]
    found["database"] += [f"token {name} is not stored as its SHA-256 digest" for name, s in world.secrets_.items()
                          if name in hashes and hashes[name] != hashlib.sha256(s.encode()).hexdigest()]
    return {"found": found, "counts": {
        "lines": len(m.MATRIX), "callers": len(m.CALLERS), "cells": len(cells), "requests": world.sent,
        "log_lines_with_api_requests": sum('"GET /api/v1/' in ln or '"POST /api/v1/' in ln for ln in log.splitlines()),
        "tokens_checked": len(world.secrets_), "hidden_texts_checked": len(world.hidden),
        "problems": sum(len(v) for v in found.values())}}


def check_answers(world: World, cells: list[tuple[Line, str]], requests: list[Request], answers: list[Answer],
                  cases: dict[int, dict[str, Any]], found: dict[str, list[str]]) -> None:
    not_yours: dict[str, set[str]] = {}
    for (ln, caller), req, a in zip(cells, requests, answers):
        where = f"{ln.endpoint} [{ln.target} {ln.request}] as {caller}"
        if a.status != ln.expected[caller]:
            found["status"].append(f"{where}: expected {ln.expected[caller]}, got {a.status}: {a.text[:300]}")
        if caller in AGENCY_BOUND + TOWNSHIP + m.READ_ONLY:
            found["hidden"] += [f"{where}: answer shows {h!r}" for h in world.hidden if h in a.text]
            if ln.target == "other" and (ln.endpoint, ln.request) in ABOUT_A_CASE and a.status >= 400:
                not_yours.setdefault(a.text, set()).add(where)
        if ln.endpoint in m.LISTS and a.status == 200:
            ids = listed_case_ids(ln.endpoint, a.body)
            found["lists"] += [f"{where}: lists case {i}, which it may not see" for i in ids
                               if i not in cases or not visible(caller, cases[i])]
            found["lists"] += [f"{where}: case {i} is missing" for i in required_ids(world, ln, caller) - set(ids)]
    if len(not_yours) > 1:
        found["uniform"] = [f"{sorted(wheres)[0]} (and {len(wheres) - 1} more): {text_[:300]}"
                            for text_, wheres in not_yours.items()]


def report(backend: str, outcome: dict[str, Any]) -> None:
    """Adds this database's counts to $XSFLOW_RELIABILITY_REPORT/authorization.json when that is set."""
    record_figures("authorization.json", backend, {
        **outcome["counts"], "problems_by_check": {k: len(v) for k, v in outcome["found"].items()}})


def test_every_cell_of_the_matrix_on_a_real_server(db_url: str, tmp_path: Path):
    """Every cell answers as the table says, refusals change and leak nothing, lists are filtered, and no token reaches the log or the database."""
    outcome = run_matrix(db_url, tmp_path)
    report("sqlite" if db_url.startswith("sqlite") else "postgresql", outcome)
    counts = outcome["counts"]
    assert counts["cells"] == len(m.MATRIX) * len(m.CALLERS)
    assert counts["hidden_texts_checked"] >= 10  # the leak check has something to look for
    assert counts["log_lines_with_api_requests"] >= counts["cells"]  # the log check reads a real access log
    failed = {check: found for check, found in outcome["found"].items() if found}
    assert not failed, "\n\n".join(f"Not so: {CHECKS[check]}.\n" + "\n".join(found[:30])
                                   + (f"\n… and {len(found) - 30} more" if len(found) > 30 else "")
                                   for check, found in failed.items())
