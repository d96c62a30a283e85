"""Shared fixtures: real SQLite files, real PostgreSQL schemas, a real `xsflow serve` process.

PostgreSQL tests read XSFLOW_TEST_DATABASE_URL (CI sets it); without it they are skipped
with that reason. Each PostgreSQL test gets a schema of its own, dropped afterwards.
"""
from __future__ import annotations

import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from xsflow.clock import FixedClock
from adapters.compose import open_system

PG_ENV = "XSFLOW_TEST_DATABASE_URL"
# The tests walk cases dated 2025 on servers that run on today's clock: entering acts long past is
# allowed here (every process a test starts inherits this); tests/test_backdating.py sets its own.
os.environ.setdefault("XSFLOW_BACKDATING_DAYS", "36600")
# The tests written before service (送达) was recorded count a notice's period from its issue, as a
# county whose agencies accepted electronic service through xsflow would configure it
# (docs/decisions.md); tests/test_service.py sets it empty, which waits for the recorded service.
os.environ.setdefault("XSFLOW_SERVED_AT_ISSUE", "*")
# A legality review the reviewer can accept: the drafting unit, the proposed document number and the
# materials of art. 11 recorded (workflows/legality_review.py READY_FOR_REVIEW). Tests that `accept`
# open with it; tests/test_legality_review_fidelity.py checks the refusal without it.
LEGALITY_READY = {"drafting_unit": "县市场监督管理局法规科", "document_number": "秀山市监发〔2025〕1号",
                  "materials": ["draft_and_explanation", "legal_basis", "consultation_record"]}
# Nor do the year's annual reports open at every tick after 1 December (the scheduler's job, tested in
# tests/test_annual_report.py and tests/test_scheduled_jobs.py, which use the bundled setting).
QUIET_SETTINGS = Path(__file__).with_name("settings_quiet")
os.environ.setdefault("XSFLOW_SERVICE_LEVELS", str(QUIET_SETTINGS))


@pytest.fixture
def bundled_settings(monkeypatch):
    """The bundled service-level settings, as an operator who changed none runs them."""
    from workflows.settings import service_levels
    monkeypatch.setenv("XSFLOW_SERVICE_LEVELS", "")
    service_levels.cache_clear()
    yield
    service_levels.cache_clear()
XSFLOW = shutil.which("xsflow", path=str(Path(sys.executable).parent)) or "xsflow"


def record_figures(file_name: str, key: str, figures: dict[str, Any]) -> None:
    """Adds `figures` under `key` to a JSON file in $XSFLOW_RELIABILITY_REPORT, when that names a
    folder: the counts docs/reliability.md reports. xdist workers may write the same file at once."""
    folder = os.environ.get("XSFLOW_RELIABILITY_REPORT")
    if not folder:
        return
    path = Path(folder) / file_name
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        data = json.loads(f.read() or "{}")
        data[key] = figures
        f.seek(0)
        f.truncate()
        json.dump(data, f, ensure_ascii=False, indent=2, sort_keys=True)


def pg_base_url() -> str | None:
    return os.environ.get(PG_ENV)


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'xsflow.db'}"


@pytest.fixture
def new_pg_url():
    """A factory of PostgreSQL URLs, each on a fresh schema; all dropped after the test."""
    base = pg_base_url()
    if not base:
        pytest.skip(f"PostgreSQL test: set {PG_ENV} (CI sets it to postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    made: list[str] = []

    def make() -> str:
        schema = f"xs_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        made.append(schema)
        sep = "&" if "?" in base else "?"
        return f"{base}{sep}options={quote(f'-csearch_path={schema}')}"

    yield make
    with admin.connect() as conn:
        for schema in made:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def pg_url(new_pg_url) -> str:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped after the test."""
    return new_pg_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


def at(text_: str) -> datetime:
    """An aware instant from ISO 8601 text, e.g. at("2025-03-03T10:00:00+08:00")."""
    value = datetime.fromisoformat(text_)
    assert value.tzinfo is not None
    return value


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2025, 3, 1, 1, 0, tzinfo=timezone.utc))


@pytest.fixture
def system(db_url: str, clock: FixedClock):
    """An initialised xsflow on a real database, its time moved only by the test."""
    x = open_system(db_url, clock=clock)
    x.init()
    yield x
    x.db.dispose()


def cli(url: str, *args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """Runs the installed `xsflow` command against `url`."""
    full_env = {**os.environ, "XSFLOW_DATABASE_URL": url, **(env or {})}
    return subprocess.run([XSFLOW, *args], env=full_env, capture_output=True, text=True, timeout=timeout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Server:
    """A running `xsflow serve` process and a tiny JSON client for it."""

    url: str
    database_url: str
    process: subprocess.Popen
    log: Path

    def call(self, method: str, path: str, token: str | None = None, body: Any = None,
             headers: dict[str, str] | None = None, raw: bytes | None = None) -> Response:
        h = {"Accept": "application/json", **(headers or {})}
        if token:
            h["Authorization"] = f"Bearer {token}"
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return Response(r.status, json.loads(r.read() or b"null"), dict(r.headers))
        except urllib.error.HTTPError as e:
            payload = e.read()
            try:
                parsed = json.loads(payload or b"null")
            except ValueError:
                parsed = {"_raw": payload.decode("utf-8", "replace")}
            return Response(e.code, parsed, dict(e.headers))

    def token(self, name: str, role: str, agency: str | None = None) -> str:
        p = cli(self.database_url, "token", "create", "--name", name, "--role", role,
                *(["--agency", agency] if agency else []))
        assert p.returncode == 0, p.stderr
        return p.stdout.strip()

    def tick(self, now: str) -> subprocess.CompletedProcess:
        p = cli(self.database_url, "tick", "--now", now, env={"XSFLOW_ALLOW_TIME_TRAVEL": "1"})
        assert p.returncode == 0, p.stderr
        return p

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(15)


def make_tokens(database_url: str, **spec: tuple[str, str | None]) -> dict[str, str]:
    """Bearer tokens by name (role, agency), created straight in the database; the CLI path is tested elsewhere."""
    from xsflow.store import Database
    from xsflow.tokens import create_token

    db = Database(database_url)
    try:
        with db.write() as conn:
            return {name: create_token(conn, name=name, role=role, agency=agency, now=datetime.now(timezone.utc))
                    for name, (role, agency) in spec.items()}
    finally:
        db.dispose()


def fire(server: Server, token: str, case_id: int, trigger: str, payload: dict[str, Any] | None = None,
         occurred_at: str | None = None, *, expect: int = 200) -> dict[str, Any]:
    """POST /cases/{id}/events and check the status; the answer's body."""
    body: dict[str, Any] = {"trigger": trigger}
    if payload is not None:
        body["payload"] = payload
    if occurred_at is not None:
        body["occurred_at"] = occurred_at
    r = server.call("POST", f"/api/v1/cases/{case_id}/events", token, body)
    assert r.status == expect, r.body
    return r.body


def get_case(server: Server, token: str, case_id: int) -> dict[str, Any]:
    """GET /cases/{id}, which must answer 200."""
    r = server.call("GET", f"/api/v1/cases/{case_id}", token)
    assert r.status == 200, r.body
    return r.body


def start_server(database_url: str, workdir: Path, *, workers: int = 2, scheduler: bool = False) -> Server:
    p = cli(database_url, "init")
    assert p.returncode == 0, p.stderr
    port = free_port()
    log = workdir / f"serve-{port}.log"
    args = [XSFLOW, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    if not scheduler:
        args.append("--no-scheduler")
    process = subprocess.Popen(args, env={**os.environ, "XSFLOW_DATABASE_URL": database_url},
                               stdout=log.open("w"), stderr=subprocess.STDOUT, cwd=workdir)
    server = Server(f"http://127.0.0.1:{port}", database_url, process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"xsflow serve exited at start:\n{log.read_text()}")
        try:
            urllib.request.urlopen(server.url + "/api/v1/openapi.json", timeout=1)
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.1)
    server.stop()
    raise RuntimeError(f"xsflow serve did not answer within 60 s:\n{log.read_text()}")


@pytest.fixture
def server(db_url: str, tmp_path: Path):
    """A real `xsflow serve` (gunicorn, 2 workers, no scheduler: time moves by `tick --now`)."""
    s = start_server(db_url, tmp_path)
    yield s
    s.stop()
