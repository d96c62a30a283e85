"""Hostile input against a real `xsflow serve`, on SQLite and PostgreSQL.

Oversized, deeply nested, undecodable and out-of-range bodies; SQL and HTML in every text field,
query parameter and header; unknown query parameters; hostile ids and paths. Each gets a clear
4xx as `{"error": {"code", "message"}}` in Chinese, or is stored verbatim as data; a refused request
changes no case, history entry, deadline or document; no page shows the text unescaped.
"""
from __future__ import annotations

import base64
import http.client
import http.cookiejar
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import docx
import openpyxl
import pytest
from sqlalchemy import create_engine, func, select, text

from xsflow.store import Database
from xsflow.store.schema import cases, deadlines, documents, history
from xsflow.users import create_user

from .conftest import PG_ENV, Response, Server, make_tokens, pg_base_url, record_figures, start_server

SQL = "'; DROP TABLE cases; --"
HTML = "<script>alert(1)</script>"
HOSTILE = f"{SQL} {HTML} \" onmouseover=\"alert(2)"  # also leaves an attribute if quoted unescaped
ESCAPED_HTML = "&lt;script&gt;alert(1)&lt;/script&gt;"
LR, CS = "legality_review", "case_supervision"
UNIT, BUREAU = "scjgj", "sfj"
PASSWORD = "Zhifa2025ok"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


# --- helpers ---------------------------------------------------------------------------------------


class Attacker:
    """Sends hostile requests, checks each refusal's shape, and that nothing in the database moved."""

    def __init__(self, server: Server, request: pytest.FixtureRequest) -> None:
        self.server = server
        self.sent: Counter[str] = Counter()
        self.figures: dict[str, int] = {}
        self.key = f"{request.node.originalname}[{request.node.callspec.params['server']}]"
        self.engine = create_engine(server.database_url)

    def counts(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                    for t in (cases, history, deadlines, documents)}

    def send(self, kind: str, method: str, path: str, token: str | None = None, body: Any = None,
             raw: bytes | None = None, headers: dict[str, str] | None = None) -> Response:
        self.sent[kind] += 1
        return self.server.call(method, path, token, body, headers=headers, raw=raw)

    def refused(self, kind: str, status: int, method: str, path: str, token: str | None = None, *,
                code: str | None = None, **kw: Any) -> dict[str, Any]:
        """Sends one hostile request: it gets `status` with a Chinese error body, and changes nothing."""
        before = self.counts()
        r = self.send(kind, method, path, token, **kw)
        assert r.status == status, (method, path[:120], r.status, r.body)
        assert isinstance(r.body, dict) and set(r.body) == {"error"}, r.body
        err = r.body["error"]
        assert {"code", "message"} <= set(err) and CHINESE.search(err["message"]), err
        # Echoed text stays inert: a JSON answer that no browser may sniff into a page.
        headers = {k.lower(): v for k, v in r.headers.items()}
        assert headers["content-type"].startswith("application/json"), headers
        assert headers["x-content-type-options"] == "nosniff", headers
        if code is not None:
            assert err["code"] == code, err
        assert self.counts() == before, (method, path[:120])
        return err

    def close(self) -> None:
        record_figures("hostile.json", self.key, {"requests": sum(self.sent.values()), "by_kind": dict(self.sent),
                                          **self.figures})
        self.engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One real `xsflow serve` per database for this module: every test checks counts around each request."""
    workdir = tmp_path_factory.mktemp(f"hostile-{request.param}")
    if request.param == "sqlite":
        yield from _serving(f"sqlite:///{workdir / 'xsflow.db'}", workdir)
        return
    base = pg_base_url()
    if not base:
        pytest.skip(f"PostgreSQL test: set {PG_ENV} (CI sets it to postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    schema = f"xs_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        sep = "&" if "?" in base else "?"
        yield from _serving(f"{base}{sep}options={quote(f'-csearch_path={schema}')}", workdir)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _serving(url: str, workdir: Path):
    s = start_server(url, workdir)
    try:
        yield s
    finally:
        s.stop()


@pytest.fixture
def attacker(server: Server, request: pytest.FixtureRequest):
    a = Attacker(server, request)
    yield a
    a.close()


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU),
                       supervisor=("supervisor", None), oa=("system", None))


def open_review(server: Server, clerk: str, title: str = "关于规范电动自行车管理的通知（送审稿）",
                data: dict[str, Any] | None = None) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", clerk, {"procedure": LR, "agency": UNIT, "title": title,
                                                     "data": data or {}, "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert r.status == 201, r.body
    return r.body


def with_supplement_notice(server: Server, t: dict[str, str]) -> tuple[int, int]:
    """A legality review with one issued document: (case id, document id)."""
    case = open_review(server, t["clerk"])
    r = server.call("POST", f"/api/v1/cases/{case['id']}/events", t["reviewer"], {
        "trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
        "occurred_at": "2025-03-04T10:00:00+08:00"})
    assert r.status == 200, r.body
    return case["id"], r.body["documents"][0]["id"]


class Browser:
    """A person at the web pages: signs in with a password and keeps the session cookie."""

    def __init__(self, server: Server, username: str, role: str, agency: str | None) -> None:
        db = Database(server.database_url)
        try:
            with db.write() as conn:
                create_user(conn, username=username, display_name=f"测试{username}", role=role, agency=agency,
                            password=PASSWORD, now=datetime.now(timezone.utc))
        finally:
            db.dispose()
        self.url = server.url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        form = self.page("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        data = urllib.parse.urlencode({"username": username, "password": PASSWORD, "csrf_token": csrf}).encode()
        with self.opener.open(urllib.request.Request(self.url + "/login", data=data, method="POST"), timeout=60) as r:
            assert r.status == 200 and "/login" not in r.url, r.url  # redirected past the sign-in page

    def page(self, path: str) -> str:
        return self.get(path)[1]

    def post(self, path: str, form_page: str, fields: dict[str, str]) -> tuple[int, str]:
        """Submits a form with the CSRF code of `form_page`, as the browser would."""
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', self.page(form_page)).group(1)
        data = urllib.parse.urlencode({**fields, "csrf_token": csrf}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.url + path, data=data, method="POST"), timeout=60) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.url + path, timeout=60) as r:
                return r.status, r.read().decode("utf-8")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")


def assert_escaped(page: str, where: str, *, shown: bool = True) -> None:
    assert HTML not in page and "onmouseover=\"alert" not in page, f"{where} shows the text unescaped"
    if shown:
        assert ESCAPED_HTML in page, f"{where} does not show the text at all"


# --- bodies ------------------------------------------------------------------------------------------


def test_oversized_deep_undecodable_and_out_of_range_bodies_are_refused(server: Server, attacker: Attacker):
    """Every POST endpoint answers 413 to 2 MB, 400 to deep nesting, bad UTF-8, NaN and 1e400, 415 to a non-JSON type, 422 to NUL and lone surrogates; nothing changes, and a large legitimate body still goes through."""
    t = people(server)
    case_id, document_id = with_supplement_notice(server, t)
    endpoints = {"/api/v1/cases": t["clerk"], f"/api/v1/cases/{case_id}/events": t["clerk"],
                 "/api/v1/events": t["oa"], f"/api/v1/documents/{document_id}/corrections": t["reviewer"]}
    for path, token in endpoints.items():
        post = {"method": "POST", "path": path, "token": token}

        big = json.dumps({"title": "长" * 10, "data": {"text": "x" * (2 * 1024 * 1024)}}).encode()
        # Several times: a server that answered without reading the body would reset the connection
        # under the client still sending it, now and then (about 1 in 5 here), and the 413 would be lost.
        for _ in range(5):
            err = attacker.refused("oversized", 413, **post, raw=big, code="too_large")
            assert "1 MB" in err["message"]

        attacker.refused("deep_json", 400, **post, raw=b"[" * 100_000)
        attacker.refused("deep_json", 400, **post, raw=b"[" * 5000 + b"]" * 5000)
        deep = b'{"trigger": "supplement", "payload": {"x": ' + b"[" * 40 + b"]" * 40 + b"}}"
        assert "嵌套" in attacker.refused("deep_json", 400, **post, raw=deep)["message"]

        for bad in (b'{"title": "\xff\xfe"}', b'{"title": "\xc0\xaf"}', b'{"title": "\xed\xa0\x80"}',
                    b'{"title": "\xe4\xb8"}', b"\xef\xbb\xbf{}", b'{"title": "a"'):
            attacker.refused("invalid_utf8_or_json", 400, **post, raw=bad, code="malformed_json")

        for number in (b"NaN", b"Infinity", b"-Infinity", b"1e400", b"9" * 5000):
            attacker.refused("out_of_range_number", 400, **post, raw=b'{"payload": {"n": %s}}' % number)

        attacker.refused("wrong_content_type", 415, **post, raw=b'{"trigger": "withdraw"}',
                         headers={"Content-Type": "text/plain"}, code="unsupported_media_type")
        for not_object in (b"[]", b'"withdraw"', b"null", b"7"):
            attacker.refused("not_an_object", 422, **post, raw=not_object)

    nul = attacker.refused("unstorable_text", 422, "POST", "/api/v1/cases", t["clerk"], body={
        "procedure": LR, "agency": UNIT, "title": "草案\u0000", "data": {"materials": ["legal_basis", "\ud800"]}})
    assert set(nul["fields"]) == {"title", "data.materials.1"}, nul

    # The limits leave room for real work: every field of the opening data at its full length is stored as sent.
    full = {"drafting_unit": "材" * 200, "document_number": "号" * 100, "uniform_number": "编" * 100,
            "materials": ["draft_and_explanation", "legal_basis", "consultation_record", "other"]}
    body = {"procedure": LR, "agency": UNIT, "title": "大件材料", "data": full, "occurred_at": "2025-03-03T09:00:00+08:00"}
    r = attacker.send("control", "POST", "/api/v1/cases", t["clerk"], raw=json.dumps(body, ensure_ascii=False).encode())
    assert r.status == 201, r.body
    assert server.call("GET", f"/api/v1/cases/{r.body['id']}", t["clerk"]).body["data"] == full


# --- SQL and HTML as data --------------------------------------------------------------------------


def test_sql_and_html_in_every_text_field_are_kept_as_data_and_escaped_on_pages(server: Server, attacker: Attacker):
    """SQL and HTML in titles, data, payloads, correlation keys, reasons, query values and headers are stored verbatim or refused with 4xx, and every page shows them escaped."""
    t = people(server)
    data = {"reference": SQL, "drafting_unit": HOSTILE, "document_number": HTML}
    review = open_review(server, t["clerk"], title=HOSTILE, data=data)
    assert (review["title"], review["data"]) == (HOSTILE, data)
    r = server.call("POST", f"/api/v1/cases/{review['id']}/events", t["reviewer"], {
        "trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
        "occurred_at": "2025-03-04T10:00:00+08:00"})
    assert r.status == 200, r.body

    # An Idempotency-Key is only a key: the same hostile key twice opens one case and answers the same.
    retry = {"procedure": LR, "agency": UNIT, "title": "重试的草案", "occurred_at": "2025-03-03T09:00:00+08:00"}
    first, again = (attacker.send("sql_html_data", "POST", "/api/v1/cases", t["clerk"], retry,
                                  headers={"Idempotency-Key": HOSTILE}) for _ in range(2))
    assert first.status == again.status == 201 and first.body == again.body, (first.body, again.body)

    # Another system finds the case by a correlation key that is an SQL fragment, and applies its event.
    event = {"event_id": HOSTILE, "procedure": LR, "correlation_key": SQL, "trigger": "supplement",
             "payload": {"items": ["legal_basis"]}, "occurred_at": "2025-03-05T10:00:00+08:00"}
    r = attacker.send("sql_html_data", "POST", "/api/v1/events", t["oa"], event)
    assert (r.status, r.body["id"], r.body["state"]) == (200, review["id"], "under_review"), r.body

    # Supervision: free-text opening data and payloads; the opinion's .docx carries them verbatim.
    opening = {"grounds": ["complaint"], "summary": HOSTILE, "source": HTML, "case_file": SQL, "reference": HOSTILE}
    r = attacker.send("sql_html_data", "POST", "/api/v1/cases", t["supervisor"], {
        "procedure": CS, "agency": UNIT, "title": HOSTILE, "data": opening, "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert r.status == 201, r.body
    supervision = r.body["id"]
    assert {k: r.body["data"][k] for k in opening} == opening
    r = attacker.send("sql_html_data", "POST", f"/api/v1/cases/{supervision}/events", t["supervisor"], {
        "trigger": "issue_opinion", "payload": {"findings": HOSTILE, "requirements": SQL},
        "occurred_at": "2025-03-06T10:00:00+08:00"})
    assert r.status == 200, r.body
    opinion = r.body["documents"][-1]["id"]
    correction = attacker.send("sql_html_data", "POST", f"/api/v1/documents/{opinion}/corrections", t["supervisor"],
                               {"reason": HOSTILE})
    assert correction.status == 201, correction.body
    history_payloads = [h["payload"] for h in
                        server.call("GET", f"/api/v1/cases/{supervision}/history", t["supervisor"]).body["items"]]
    assert {"findings": HOSTILE, "requirements": SQL} in history_payloads
    download = urllib.request.Request(f"{server.url}/api/v1/documents/{opinion}/file",
                                      headers={"Authorization": f"Bearer {t['supervisor']}"})
    with urllib.request.urlopen(download, timeout=60) as f:
        opinion_text = "\n".join(p.text for p in docx.Document(io.BytesIO(f.read())).paragraphs)
    assert HOSTILE in opinion_text and SQL in opinion_text

    # Where text must be one of a list, it is refused (and any echo of it is inert JSON, see `refused`).
    for status, body in ((409, {"trigger": SQL}), (409, {"trigger": HTML, "payload": {HTML: SQL}}),
                         (422, {"trigger": "issue_opinion", "payload": {"conclusion": HOSTILE}})):
        attacker.refused("sql_html_refused", status, "POST", f"/api/v1/cases/{review['id']}/events", t["reviewer"],
                         body=body)
    for procedure in (SQL, "' OR '1'='1"):
        attacker.refused("sql_html_refused", 404, "POST", "/api/v1/cases", t["clerk"],
                         body={"procedure": procedure, "agency": UNIT, "title": "草案"})
        attacker.refused("sql_query_value", 422, "GET", f"/api/v1/cases?procedure={urllib.parse.quote(procedure)}",
                         t["supervisor"])
    attacker.refused("sql_html_refused", 403, "POST", "/api/v1/cases", t["clerk"],
                     body={"procedure": LR, "agency": SQL, "title": "草案"})

    # Query values are parameters, never SQL: they match nothing and list nothing.
    q = urllib.parse.quote(SQL)
    for path in (f"/api/v1/register?document_number={q}", f"/api/v1/certificates/enforcers?agency={UNIT}&number={q}"):
        before = attacker.counts()
        r = attacker.send("sql_query_value", "GET", path, t["supervisor"])
        assert r.status == 200 and r.body["items"] == [] and r.body["next"] is None, (path, r.body)
        assert attacker.counts() == before
    # The case and overdue lists check their filter values: one naming nothing is refused (422), quoted as data.
    for path, name in (("cases", "agency"), ("cases", "state"), ("overdue", "agency"), ("overdue/summary", "procedure")):
        before = attacker.counts()
        r = attacker.send("sql_query_value", "GET", f"/api/v1/{path}?{name}={q}", t["supervisor"])
        assert r.status == 422 and SQL in r.body["error"]["fields"][name][0], r.body
        assert attacker.counts() == before
    # Headers: an SQL bearer token is unknown, an SQL If-Match is malformed.
    attacker.refused("sql_header", 401, "GET", "/api/v1/cases", SQL.replace(" ", ""))
    attacker.refused("sql_header", 400, "POST", f"/api/v1/cases/{review['id']}/events", t["reviewer"],
                     body={"trigger": "accept"}, headers={"If-Match": SQL})
    listed = {c["id"] for c in server.call("GET", "/api/v1/cases?limit=200", t["supervisor"]).body["items"]}
    assert {review["id"], first.body["id"], supervision} <= listed
    assert len(listed) == attacker.counts()["cases"]  # the table is there, whole, and lists as before

    # The pages: the case list, the case pages, 待办; as the clerk and as the supervisor.
    clerk = Browser(server, "zhang", "clerk", UNIT)
    supervisor = Browser(server, "wang", "supervisor", None)
    for who, browser in (("clerk", clerk), ("supervisor", supervisor)):
        for path in ("/cases", f"/cases/{review['id']}", f"/cases/{supervision}", "/"):
            status, page = browser.get(path)
            assert status == 200, (who, path)
            attacker.sent["page_checked"] += 1
            assert_escaped(page, f"{path} for the {who}", shown=path != "/")  # 待办 lists only what awaits them


# --- query parameters -------------------------------------------------------------------------------


def test_unknown_query_parameters_are_refused_by_name_on_every_operation(server: Server, attacker: Attacker):
    """Every operation of the OpenAPI document answers an unknown or misspelt query parameter with 400 naming it and the parameters it accepts, and changes nothing."""
    t = people(server)
    case_id, document_id = with_supplement_notice(server, t)
    ids = {"case_id": case_id, "document_id": document_id, "name": LR, "code": "scjgj", "year": 2025,
           "item": "criticized"}
    spec = server.call("GET", "/api/v1/openapi.json").body
    bodies = {"post": {"trigger": "withdraw"}}
    operations = 0
    for template, item in spec["paths"].items():
        path = re.sub(r"{(\w+)}", lambda m: str(ids[m.group(1)]), template)
        for method, op in item.items():
            if method not in ("get", "post"):
                continue
            operations += 1
            documented = {p["name"] for p in op.get("parameters", []) if p["in"] == "query"}
            token = t["reviewer"] if "corrections" in path else t["supervisor"]
            err = attacker.refused("unknown_query_parameter", 400, method.upper(), f"{path}?colour=red&{HTML}=1",
                                   token, body=bodies.get(method))
            assert "“colour”" in err["message"] and "查询参数" in err["message"], (template, err)
            for name in documented:
                assert name in err["message"], (template, name, err)
    assert operations >= 18
    err = attacker.refused("unknown_query_parameter", 400, "GET", f"/api/v1/cases?agancy={UNIT}", t["supervisor"])
    assert "“agancy”" in err["message"] and "agency" in err["message"]
    for query in ("agency=%00", "state=a%00b", "colour%00=1", "cursor=%00"):
        err = attacker.refused("nul_in_query", 400, "GET", f"/api/v1/cases?{query}", t["supervisor"])
        assert "空字符" in err["message"], err
    attacker.figures["openapi_operations"] = operations


# --- ids and paths ------------------------------------------------------------------------------------


HOSTILE_PATHS = [
    "/api/v1/documents/..%2F..%2Fetc%2Fpasswd/file", "/api/v1/documents/../../../etc/passwd",
    "/api/v1/documents/%2e%2e%2f%2e%2e%2fetc%2fpasswd", "/api/v1/documents/%252e%252e%252fetc%252fpasswd/file",
    "/api/v1/documents/1%00/file", "/api/v1/documents/1%00", "/api/v1/documents/99999999999999999999/file",
    "/api/v1/documents/9223372036854775808", "/api/v1/documents/-1/file", "/api/v1/documents/0/file",
    "/api/v1/documents/1.0/file", "/api/v1/documents/%D9%A1/file", "/api/v1/documents/1;/etc/passwd",
    "/api/v1/documents/1/file/..%2F..%2F..%2Fetc%2Fpasswd", "/api/v1/documents/0x1/file",
    "/api/v1/cases/99999999999999999999", "/api/v1/cases/99999999999999999999/history",
    "/api/v1/cases/1%00/history", "/api/v1/procedures/..%2F..%2Fetc%2Fpasswd", "/api/v1/procedures/%00",
    "/api/v1/procedures/..%5C..%5Cwindows%5Cwin.ini",
]


def test_hostile_ids_and_paths_get_4xx_and_never_read_a_file(server: Server, attacker: Attacker):
    """Path traversal, NUL, huge, negative, non-ASCII and non-decimal ids answer 404 or 400 with a JSON error and no file's content; the real document still downloads."""
    t = people(server)
    _, document_id = with_supplement_notice(server, t)
    for path in HOSTILE_PATHS:
        before = attacker.counts()
        r = attacker.send("hostile_path", "GET", path, t["supervisor"])
        assert r.status in (400, 404), (path, r.status, r.body)
        assert isinstance(r.body, dict) and CHINESE.search(r.body["error"]["message"]), (path, r.body)
        assert "root:" not in json.dumps(r.body) and "[fonts]" not in json.dumps(r.body)
        assert attacker.counts() == before
    for path in ("/api/v1/documents/99999999999999999999/corrections", "/api/v1/cases/99999999999999999999/events",
                 "/api/v1/documents/..%2F1/corrections"):
        attacker.refused("hostile_path", 404, "POST", path, t["supervisor"], body={"reason": "更正", "trigger": "x"})

    # Headers that name versions and keys: malformed ones are refused before anything is done.
    events = f"/api/v1/cases/{with_supplement_notice(server, t)[0]}/events"
    for if_match in ("\u00b2", 'W/"x"', '"99999999999999999999"', '"1", "2"', "*"):
        attacker.refused("hostile_header", 400, "POST", events, t["clerk"], body={"trigger": "withdraw"},
                         headers={"If-Match": if_match})
    attacker.refused("hostile_header", 400, "POST", events, t["clerk"], body={"trigger": "withdraw"},
                     headers={"Idempotency-Key": "k" * 201})
    attacker.refused("hostile_header", 401, "GET", "/api/v1/cases", "A" * 4000)

    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document_id}/file",
                                 headers={"Authorization": f"Bearer {t['supervisor']}"})
    with urllib.request.urlopen(req, timeout=60) as r:  # the route itself works
        assert r.status == 200 and r.read(2) == b"PK"

    # The web pages take the same ids: a signed-in person gets a 404 page, not an error.
    browser = Browser(server, "zhao", "supervisor", None)
    for path in ("/cases/99999999999999999999", "/documents/99999999999999999999/file", "/cases/%D9%A1",
                 "/documents/..%2F..%2Fetc%2Fpasswd/file"):
        status, page = browser.get(path)
        attacker.sent["hostile_page_path"] += 1
        assert status == 404 and "root:" not in page, (path, status)
    # A NUL in a page's filter would reach PostgreSQL, which cannot hold it: refused with a page that says so.
    for path in ("/cases?state=%00", "/overdue?agency=%00", "/cases?agency=a%00b"):
        status, page = browser.get(path)
        attacker.sent["hostile_page_query"] += 1
        assert status == 400 and "空字符" in page, (path, status)


# --- the validation layer (issue 13: items 2, 3, 4, 5, 8, 9, 14) ----------------------------------------


def cursor_of(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def test_malformed_cursors_are_400_on_every_paged_list(server: Server, attacker: Attacker):
    """`true`, `{}`, a 31-digit number, a negative id, a string where an id belongs, bad base64 and a deeply nested cursor get 400 naming cursor, on every list that pages."""
    t = people(server)
    case_id, _ = with_supplement_notice(server, t)
    lists = ["/api/v1/cases", f"/api/v1/cases/{case_id}/history", "/api/v1/events", "/api/v1/overdue",
             "/api/v1/agencies", "/api/v1/register", "/api/v1/certificates/enforcers?agency=scjgj",
             "/api/v1/liaison-officers", "/api/v1/liaison-officers/missing", "/api/v1/notifications"]
    bad = [cursor_of(v) for v in ("true", "{}", "9" * 31, "-1", "[1]", "null1", '["x", 1]',
                                  '["2025-01-01T00:00:00", 1]', "[" * 3000)] + ["!!!", "%FF%FE", "a"]
    for path in lists:
        by_code = "agencies" in path or "missing" in path  # agencies page by code
        for cursor in bad + ([] if by_code else [cursor_of('"abc"')]):
            sep = "&" if "?" in path else "?"
            err = attacker.refused("malformed_cursor", 400, "GET", f"{path}{sep}cursor={cursor}", t["supervisor"])
            assert "cursor" in err["message"], (path, cursor, err)
    # A cursor the list gave out still pages.
    first = server.call("GET", "/api/v1/agencies?limit=2", t["supervisor"]).body
    assert server.call("GET", f"/api/v1/agencies?limit=2&cursor={first['next']}", t["supervisor"]).status == 200


def test_lengths_come_from_the_columns_and_are_checked_first(server: Server, attacker: Attacker):
    """A title over 500, a trigger over 60, an event id or correlation key over 200, an agency over 40 get 422 naming the field and its limit — on PostgreSQL too, where the database would otherwise refuse them with a 500."""
    t = people(server)
    base = {"procedure": LR, "agency": UNIT, "title": "草案", "occurred_at": "2025-03-03T09:00:00+08:00"}
    for name, value, limit in (("title", "长" * 501, 500), ("agency", "a" * 41, 40), ("procedure", "p" * 61, 60)):
        err = attacker.refused("over_long", 422, "POST", "/api/v1/cases", t["clerk"], body={**base, name: value})
        assert str(limit) in err["fields"][name][0], err
    assert open_review(server, t["clerk"], title="长" * 500)["title"] == "长" * 500  # the limit itself fits
    event = {"event_id": "e-1", "procedure": LR, "correlation_key": "k", "trigger": "supplement"}
    for name, value, limit in (("event_id", "e" * 201, 200), ("correlation_key", "k" * 201, 200),
                               ("trigger", "t" * 61, 60)):
        err = attacker.refused("over_long", 422, "POST", "/api/v1/events", t["oa"], body={**event, name: value})
        assert str(limit) in err["fields"][name][0], err
    # A procedure's own field: a case supervision's reference is at most 100 characters.
    err = attacker.refused("over_long", 422, "POST", "/api/v1/cases", t["supervisor"], body={
        **base, "procedure": CS, "data": {"grounds": ["complaint"], "reference": "r" * 101}})
    assert "100" in err["fields"]["data.reference"][0], err


BAD_CHARACTERS = ["\x1b[31m", "\x01", "\ufffe", "\uffff", "\x7f", "\x85", "\U0010ffff"]


def test_control_characters_are_refused_per_kind_of_field(server: Server, attacker: Attacker):
    """ESC, U+0001, U+FFFE and the like are refused with 422 naming the field, in titles, procedure fields, keys and free data; a line break is refused in a one-line field and kept in a multi-line one."""
    t = people(server)
    base = {"procedure": LR, "agency": UNIT, "occurred_at": "2025-03-03T09:00:00+08:00"}
    for bad in BAD_CHARACTERS:
        err = attacker.refused("control_character", 422, "POST", "/api/v1/cases", t["clerk"],
                               body={**base, "title": f"草案{bad}"})
        assert "不允许" in err["fields"]["title"][0], err
        err = attacker.refused("control_character", 422, "POST", "/api/v1/cases", t["clerk"],
                               body={**base, "title": "草案", "data": {"materials": [f"a{bad}"], "drafting_unit": f"a{bad}", f"k{bad}": 1}})
        assert {"data.materials.0", "data.drafting_unit"} <= set(err["fields"]), err
    err = attacker.refused("control_character", 422, "POST", "/api/v1/cases", t["clerk"],
                           body={**base, "title": "第一行\n第二行"})
    assert "换行" in err["fields"]["title"][0]
    # A lone surrogate in a key: the answer names it escaped (it could not be written as JSON otherwise).
    err = attacker.refused("control_character", 422, "POST", "/api/v1/cases", t["clerk"],
                           raw=b'{"procedure": "legality_review", "agency": "scjgj", "title": "t", "data": {"\\ud800": 1}}')
    assert any("ud800" in f for f in err["fields"]), err
    # Multi-line free text keeps its line breaks and tabs; a one-line field of a procedure refuses them.
    case = server.call("POST", "/api/v1/cases", t["supervisor"], {**base, "procedure": CS, "title": "线索核查", "data": {
        "grounds": ["complaint"], "summary": "一、事实\n\t二、问题"}})
    assert case.status == 201 and case.body["data"]["summary"] == "一、事实\n\t二、问题", case.body
    err = attacker.refused("control_character", 422, "POST", "/api/v1/cases", t["supervisor"], body={
        **base, "procedure": CS, "title": "线索核查", "data": {"grounds": ["complaint"], "source": "来信\n转办"}})
    assert "data.source" in err["fields"], err
    attacker.refused("control_character", 422, "POST", f"/api/v1/cases/{case.body['id']}/events", t["supervisor"],
                     body={"trigger": "issue_opinion", "payload": {"findings": "事实\x0c", "requirements": "要求"}})


def test_text_stored_before_the_checks_cannot_break_documents_exports_or_pages(server: Server, attacker: Attacker):
    """A title with control characters and bad dates already in the database: the .docx downloads, a correction issues, the XLSX and CSV exports and the case pages answer 200."""
    t = people(server)
    case = open_review(server, t["clerk"], title="旧数据")
    with attacker.engine.begin() as conn:  # as an older version let it in
        conn.execute(cases.update().where(cases.c.id == case["id"]).values(title="旧\x1b[31m数据\x01\ufffe"))
    r = server.call("POST", f"/api/v1/cases/{case['id']}/events", t["reviewer"], {
        "trigger": "request_supplement", "payload": {"missing": ["legal_basis"]},
        "occurred_at": "2025-03-04T10:00:00+08:00"})
    assert r.status == 200, r.body
    document = r.body["documents"][0]["id"]
    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document}/file",
                                 headers={"Authorization": f"Bearer {t['reviewer']}"})
    with urllib.request.urlopen(req, timeout=60) as f:
        text_ = "\n".join(p.text for p in docx.Document(io.BytesIO(f.read())).paragraphs)
    assert "旧\ufffd[31m数据\ufffd\ufffd" in text_
    correction = server.call("POST", f"/api/v1/documents/{document}/corrections", t["reviewer"], {"reason": "更正"})
    assert correction.status == 201, correction.body

    filing = server.call("POST", "/api/v1/cases", t["clerk"], {
        "procedure": "filing_review", "agency": UNIT, "title": "关于某事项的通知",
        "data": {"document_number": f"秀山市监发〔2025〕{uuid.uuid4().int % 1000}号", "effective_on": "2025-04-01"},
        "occurred_at": "2025-03-03T09:00:00+08:00"})
    assert filing.status == 201, filing.body
    browser = Browser(server, f"li{uuid.uuid4().hex[:6]}", "supervisor", None)
    for stored in ("２０２６-03-01", "2026-03-01\n", "2026-02-30"):
        with attacker.engine.begin() as conn:
            conn.execute(cases.update().where(cases.c.id == filing.body["id"]).values(
                data={**filing.body["data"], "effective_on": stored}))
        status, page = browser.get(f"/cases/{filing.body['id']}")
        assert status == 200 and stored.strip() in page, (stored, status)
    for path in ("/overdue", f"/cases/{case['id']}", "/cases"):
        status, _ = browser.get(path)
        attacker.sent["stored_bad_text"] += 1
        assert status == 200, path
    with browser.opener.open(browser.url + "/overdue/export.xlsx", timeout=60) as r:
        sheet = openpyxl.load_workbook(io.BytesIO(r.read())).active
    assert "旧\ufffd[31m数据\ufffd\ufffd" in [row[3] for row in sheet.iter_rows(values_only=True)]
    with browser.opener.open(browser.url + "/overdue/export.csv", timeout=60) as r:
        assert r.status == 200 and "数据" in r.read().decode("utf-8-sig")


def test_dates_are_strict_calendar_dates_within_the_calendar(server: Server, attacker: Attacker):
    """Unicode digits, a trailing newline, 2026-02-30, 20260301 and years outside 2000–2099 are refused with 422 naming the field; an occurred_at outside 2000–2099 too."""
    t = people(server)
    base = {"procedure": "filing_review", "agency": UNIT, "title": "关于某事项的通知",
            "occurred_at": "2025-03-03T09:00:00+08:00"}
    for value in ("２０２６-03-01", "٢٠٢٦-03-01", "2026-03-01\n", "2026-02-30", "20260301", "1999-12-31",
                  "2100-01-01", "2026-3-1", 20260301, None):
        err = attacker.refused("bad_date", 422, "POST", "/api/v1/cases", t["clerk"], body={
            **base, "data": {"document_number": "秀山市监发〔2025〕99号", "effective_on": value}})
        assert "data.effective_on" in err["fields"], (value, err)
    for when in ("0001-01-01T00:00:00+14:00", "1999-12-31T23:00:00+08:00", "9999-12-31T23:59:59-12:00"):
        err = attacker.refused("bad_date", 422, "POST", "/api/v1/cases", t["clerk"], body={
            **base, "occurred_at": when, "data": {"document_number": "秀山市监发〔2025〕98号"}})
        assert "occurred_at" in err["fields"], (when, err)
    for start in ("1999-12-31", "２０２５-01-01", "2025-02-30"):
        attacker.refused("bad_date", 422, "GET", f"/api/v1/calendar/deadline?start={quote(start)}&days=3",
                         t["clerk"])


def test_wrong_json_types_and_duplicate_keys_are_refused(server: Server, attacker: Attacker):
    """Numbers, lists and null where text belongs in POST /events (and in an opening event's payload) get 422; a duplicate key in any object gets 400 naming it."""
    t = people(server)
    event = {"event_id": "t-1", "procedure": "filing_review", "correlation_key": "秀山市监发〔2025〕7号",
             "trigger": "publish", "payload": {"agency": UNIT, "title": "关于某事项的通知"}}
    for name in ("event_id", "procedure", "correlation_key", "trigger"):
        for value in (5, ["a"], None, {"a": 1}, True):
            err = attacker.refused("wrong_type", 422, "POST", "/api/v1/events", t["oa"], body={**event, name: value})
            assert name in err["fields"], (name, value, err)
    for value in (7, ["x"], None, {"x": 1}):
        for name in ("agency", "title"):
            r = attacker.send("wrong_type", "POST", "/api/v1/events", t["oa"], body={
                **event, "event_id": f"t-{uuid.uuid4().hex}", "payload": {**event["payload"], name: value}})
            assert r.status == 422 and f"payload.{name}" in r.body["error"]["fields"], (name, value, r.body)
    r = attacker.send("wrong_type", "POST", "/api/v1/events", t["oa"], body={
        **event, "event_id": f"t-{uuid.uuid4().hex}", "payload": {**event["payload"], "data": [1]}})
    assert r.status == 422, r.body
    for raw in (b'{"procedure": "legality_review", "procedure": "case_supervision", "agency": "scjgj", "title": "t"}',
                b'{"procedure": "legality_review", "agency": "scjgj", "title": "t", "data": {"a": 1, "a": 2}}'):
        err = attacker.refused("duplicate_key", 400, "POST", "/api/v1/cases", t["clerk"], raw=raw)
        assert "不止一次" in err["message"], err


def test_event_ids_are_scoped_per_issuing_token(server: Server, attacker: Attacker):
    """Two systems may use the same event id; a second token of the same name neither squats the first one's id nor receives its case on a replay."""
    t = people(server)
    a = make_tokens(server.database_url, sys_a=("system", UNIT))["sys_a"]
    b = make_tokens(server.database_url, sys_a=("system", "gaj"))["sys_a"]  # same name, another agency
    number = f"秀山市监发〔2025〕{uuid.uuid4().int % 100000}号"
    event = {"event_id": "shared-1", "procedure": "filing_review", "correlation_key": f"{UNIT}/{number}",
             "trigger": "publish", "payload": {"agency": UNIT, "title": "甲系统的文件"},
             "occurred_at": "2025-03-03T09:00:00+08:00"}
    first = server.call("POST", "/api/v1/events", a, event)
    assert first.status == 200, first.body
    assert server.call("POST", "/api/v1/events", a, event).body == first.body  # the same token's repeat
    other = {**event, "correlation_key": f"gaj/{number}", "payload": {"agency": "gaj", "title": "乙系统的文件"}}
    second = server.call("POST", "/api/v1/events", b, other)
    assert second.status == 200 and second.body["id"] != first.body["id"], second.body
    # The second token replaying the first one's exact event gets no view of the first one's case.
    replay = server.call("POST", "/api/v1/events", b, event)
    assert replay.status in (403, 409, 422) and set(replay.body) == {"error"}, replay.body
    assert "甲系统的文件" not in json.dumps(replay.body, ensure_ascii=False), replay.body
    listed = server.call("GET", "/api/v1/events?limit=200", t["supervisor"]).body["items"]
    assert sum(1 for e in listed if e["event_id"] == "shared-1" and e["outcome"] == "applied") == 2


def test_numeric_web_parameters_and_form_versions_are_strict(server: Server, attacker: Attacker):
    """A form version of -1, 1.0, ² or ١ is refused (400) instead of skipping the stale check; `²` in a page's numeric parameter gets 400 or a message, never 500."""
    t = people(server)
    case = open_review(server, t["clerk"])
    browser = Browser(server, f"zh{uuid.uuid4().hex[:6]}", "clerk", UNIT)
    before = attacker.counts()
    for version in ("-1", "1.0", "\u00b2", "\u0661", "99999999999"):
        status, page = browser.post(f"/cases/{case['id']}/events/withdraw", f"/cases/{case['id']}",
                                    {"version": version, "occurred_at": "2025-03-04T10:00"})
        attacker.sent["web_version"] += 1
        assert status == 400 and "version" in page, (version, status)
    assert attacker.counts() == before
    status, page = browser.post(f"/cases/{case['id']}/events/withdraw", f"/cases/{case['id']}",
                                {"version": "0", "occurred_at": "2025-03-04T10:00"})
    assert status == 409, status  # an old version is stale, as it always was
    for path, expected in (("/overdue?min_days=%C2%B2", 400), ("/overdue?min_days=-1", 400),
                           ("/calendar?start=2025-01-01&n=%C2%B2&unit=days", 200),
                           ("/calendar?year=%C2%B2", 200), ("/calendar?start=%EF%BC%92025-01-01&n=3&unit=days", 200)):
        status, _ = browser.get(path)
        attacker.sent["web_number"] += 1
        assert status == expected, (path, status)


def test_a_chunked_body_over_the_limit_is_413(server: Server, attacker: Attacker):
    """A body sent chunked (no Content-Length) over 1 MB gets 413 like a declared one, not 400 for a cut-short body; a small chunked body is read whole."""
    t = people(server)
    host, port = server.url.removeprefix("http://").split(":")

    def chunked(chunks: list[bytes]) -> tuple[int, dict[str, Any]]:
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        try:
            conn.request("POST", "/api/v1/cases", body=iter(chunks), encode_chunked=True, headers={
                "Content-Type": "application/json", "Authorization": f"Bearer {t['clerk']}",
                "Transfer-Encoding": "chunked"})
            r = conn.getresponse()
            return r.status, json.loads(r.read())
        finally:
            conn.close()

    before = attacker.counts()
    body = json.dumps({"procedure": LR, "agency": UNIT, "title": "t", "data": {"x": "y" * (2 * 1024 * 1024)}}).encode()
    status, answer = chunked([body[i:i + 65536] for i in range(0, len(body), 65536)])
    attacker.sent["chunked_oversized"] += 1
    assert (status, answer["error"]["code"]) == (413, "too_large"), answer
    assert attacker.counts() == before
    small = json.dumps({"procedure": LR, "agency": UNIT, "title": "分块发送的草案",
                        "occurred_at": "2025-03-03T09:00:00+08:00"}).encode()
    status, answer = chunked([small[:10], small[10:]])
    assert status == 201 and answer["title"] == "分块发送的草案", answer
