"""Shared pieces of the benchmarks: machine notes, PostgreSQL schemas, RSS, a benchmark-only
procedure, bulk fixtures and the pass/fail report.

Benchmarks are scripts, never timed tests: each prints its figures and exits non-zero when
a requirement fails. Every requirement is a ratio against a baseline measured in the same
run, because the machine (2 cores) is shared and noisy.
"""
from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.append(str(ROOT))  # after any --engine-path, which must win

import sqlalchemy  # noqa: E402
from sqlalchemy import create_engine, insert, text  # noqa: E402

from xsflow.definitions import Rule, deadline, procedure, state, transition  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_ENV = ("XSFLOW_BENCH_DATABASE_URL", "XSFLOW_TEST_DATABASE_URL")
T0 = datetime(2025, 3, 3, 2, 0, tzinfo=timezone.utc)  # Monday 10:00 in Shanghai; 2025 notice is bundled
# What a legality review must carry before `accept` (art. 10, 11): a bench that accepts opens with it.
LEGALITY_SUBMISSION = {"drafting_unit": "县市场监督管理局法规科", "document_number": "秀山市监发〔2025〕1号",
                       "materials": ["draft_and_explanation", "legal_basis", "consultation_record"]}


# --- machine notes ---------------------------------------------------------------------------


def machine_notes() -> dict[str, str]:
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    notes = {
        "nproc": str(os.cpu_count()),
        "loadavg (1/5/15 min) at start": load,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
    }
    try:
        import psycopg

        notes["psycopg"] = psycopg.__version__
    except ImportError:  # pragma: no cover
        pass
    return notes


def print_notes(title: str, extra: dict[str, str] | None = None) -> None:
    print(f"== {title}")
    for k, v in {**machine_notes(), **(extra or {})}.items():
        print(f"   {k}: {v}")
    print(f"   command: {' '.join([Path(sys.executable).name, *sys.argv])}")


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- memory ------------------------------------------------------------------------------------


def rss_kib() -> int:
    """Resident set size of this process, from /proc (no psutil needed)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


# --- PostgreSQL ------------------------------------------------------------------------------


def pg_base_url() -> str:
    for name in PG_ENV:
        if os.environ.get(name):
            return os.environ[name]
    return PG_DEFAULT


def pg_available(base: str) -> str | None:
    """None when PostgreSQL answers at `base`, else why not."""
    try:
        eng = create_engine(base, connect_args={"connect_timeout": 3})
        with eng.connect() as conn:
            conn.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as err:  # noqa: BLE001 - any failure means "not measured"
        return f"{type(err).__name__}: {str(err).splitlines()[0]}"


def served_bench_ready(checks: Checks, what: str) -> str | None:
    """The PostgreSQL base URL for a benchmark through a real server and wrk, or None (said why, and
    `what` recorded as not measured) when either is missing."""
    if not shutil.which("wrk"):
        print("   wrk not found: apt-get install -y wrk")
        checks.not_measured(what, "wrk not installed")
        return None
    base = pg_base_url()
    why = pg_available(base)
    if why:
        checks.not_measured(what, f"{base}: {why}")
        return None
    return base


@contextmanager
def pg_schema(base: str, prefix: str = "bench") -> Iterator[tuple[str, str]]:
    """(SQLAlchemy URL whose search_path is a fresh schema, schema name); dropped afterwards."""
    schema = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-csearch_path={schema}')}", schema
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def psycopg_dsn(sa_url: str) -> str:
    """The libpq URL of an SQLAlchemy psycopg URL."""
    return sa_url.replace("postgresql+psycopg://", "postgresql://", 1)


# --- the benchmark-only procedures --------------------------------------------------------------

BENCH_RULE = Rule("《基准测试用程序（非真实程序）》")


def bench_procedures():
    """Two tiny procedures that cycle a case forever between `idle` and `busy`.

    `bench_cycle` starts a 5-working-day deadline on entering `busy` (insert) and meets it on
    leaving (update); `bench_flat` is the same without a deadline. Steady state, no terminal
    pile-up: every `go`/`back` is one transition with one history entry and a version bump.
    """
    def build(name: str, with_deadline: bool):
        return procedure(
            name, version=1, title=f"基准测试（{name}）", initial="idle", basis=BENCH_RULE.art(1), opened_by="clerk",
            states=[state("idle", "空闲", basis=BENCH_RULE.art(2)), state("busy", "办理中", basis=BENCH_RULE.art(3)),
                    state("done", "已办结", basis=BENCH_RULE.art(4), terminal=True)],
            transitions=[
                transition("go", "idle", "busy", role="clerk", basis=BENCH_RULE.art(5), title="开始办理"),
                transition("back", "busy", "idle", role="clerk", basis=BENCH_RULE.art(6), title="退回"),
                transition("finish", ("idle", "busy"), "done", role="clerk", basis=BENCH_RULE.art(7), title="办结"),
                *([transition("lapse", "busy", "idle", role="timer", basis=BENCH_RULE.art(8), title="逾期退回")]
                  if with_deadline else []),
            ],
            deadlines=[deadline("work", title="办理期限", while_in="busy", working_days=5, on_lapse="lapse",
                                basis=BENCH_RULE.art(9))] if with_deadline else [],
        )
    return [build("bench_cycle", True), build("bench_flat", False)]


def bench_registry():
    from xsflow.registry import Registry

    return Registry(bench_procedures())


# --- minimal bulk fixtures ----------------------------------------------------------------------

GENESIS = "0" * 64


def case_rows(n: int, *, procedure_name: str, agency: str, state_name: str = "idle", start: int = 0,
              when: datetime = T0) -> list[dict[str, Any]]:
    """Minimal, valid case rows (no history yet: seq 0, genesis hash, which audits clean)."""
    return [{"procedure": procedure_name, "definition_version": 1, "agency_code": agency, "title": f"基准案件 {start + i}",
             "state": state_name, "closed": False, "version": 1, "data": {}, "correlation_key": None,
             "opened_at": when, "last_occurred_at": when, "history_seq": 0, "history_hash": GENESIS}
            for i in range(n)]


def bulk_insert_cases(conn, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    from xsflow.store.schema import cases

    for i in range(0, len(rows), chunk):
        conn.execute(insert(cases), rows[i:i + chunk])


def sql_insert_cases(conn, n: int, *, procedure_name: str, agency: str, state_name: str = "idle",
                     when: datetime = T0) -> None:
    """`n` minimal case rows made by the database itself (no Python object per row):
    a recursive CTE on SQLite, generate_series on PostgreSQL."""
    params = {"n": n, "proc": procedure_name, "agency": agency, "state": state_name, "genesis": GENESIS}
    if conn.dialect.name == "sqlite":
        params["t"] = when.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        conn.execute(text(
            "WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :n) "
            "INSERT INTO cases (procedure, definition_version, agency_code, title, state, closed, version, data,"
            " correlation_key, opened_at, last_occurred_at, history_seq, history_hash) "
            "SELECT :proc, 1, :agency, '基准案件 ' || i, :state, 0, 1, '{}', NULL, :t, :t, 0, :genesis FROM seq"),
            params)
    else:
        params["t"] = when
        conn.execute(text(
            "INSERT INTO cases (procedure, definition_version, agency_code, title, state, closed, version, data,"
            " correlation_key, opened_at, last_occurred_at, history_seq, history_hash) "
            "SELECT :proc, 1, :agency, '基准案件 ' || i, :state, false, 1, '{}'::json, NULL, :t, :t, 0, :genesis"
            " FROM generate_series(1, :n) AS i"), params)


# --- the raw writes both baselines do -----------------------------------------------------------


def raw_history_hash(case_id: int, seq: int, trigger: str, prev: str, occurred: str) -> str:
    """What the engine's hash chain costs, done by hand: canonical JSON and SHA-256."""
    body = {"case_id": case_id, "seq": seq, "trigger": trigger, "actor": "基准经办人", "actor_role": "clerk",
            "payload": {}, "occurred_at": occurred, "recorded_at": occurred, "from_state": None,
            "to_state": None, "prev_hash": prev}
    return hashlib.sha256(json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


# --- timing and reporting -----------------------------------------------------------------------


def timed(fn: Callable[[], int]) -> tuple[float, int]:
    """(seconds, units) of one call; gc collected before, so one run's garbage is not the next's cost."""
    gc.collect()
    t = time.perf_counter()
    n = fn()
    return time.perf_counter() - t, n


def median(xs: list[float]) -> float:
    return statistics.median(xs)


@dataclass
class Checks:
    results: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, detail: str) -> bool:
        self.results.append((name, ok, detail))
        print(f"   [{'PASS' if ok else 'FAIL'}] {name}: {detail}")
        return ok

    def not_measured(self, name: str, why: str) -> None:
        self.results.append((name, False, f"NOT MEASURED: {why}"))
        print(f"   [NOT MEASURED] {name}: {why}")

    def finish(self) -> int:
        failed = [r for r in self.results if not r[1]]
        print()
        print("== summary")
        for name, ok, detail in self.results:
            print(f"   {'PASS' if ok else 'FAIL'}  {name}: {detail}")
        if failed:
            print(f"   {len(failed)} of {len(self.results)} requirements FAILED or not measured")
            return 1
        print(f"   all {len(self.results)} requirements met")
        return 0


def workdir_for(explicit: str | None, prefix: str) -> Path:
    """`explicit` (kept), else a fresh temporary folder that is removed, databases and all, when
    the script exits (forked workers leave through os._exit and do not remove it)."""
    import atexit
    import shutil
    import tempfile

    if explicit:
        path = Path(explicit)
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def base_parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--quick", action="store_true", help="a short run (smaller counts, fewer rounds)")
    p.add_argument("--no-postgres", action="store_true",
                   help="skip PostgreSQL (its requirements are then reported as not measured and the run fails)")
    p.add_argument("--workdir", default=None, help="where SQLite files go (default: a fresh temp folder)")
    return p
