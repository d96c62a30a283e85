"""The due-deadline sweep is indexed: sweeping 100 due deadlines among 1,000,000 pending costs
about what it costs among 1,000.

For SQLite and for PostgreSQL, two databases are built side by side by bulk SQL (an
INSERT ... SELECT from a recursive CTE / generate_series, no Python object per row): one with
1,000 and one with 1,000,000 open cases of the benchmark procedure `bench_cycle`, each in
state `busy` with one pending statutory deadline that lapses years from now. Each round adds
100 due cases (deadline already lapsed) to each database and times `xsflow.timers.sweep`,
which must fire exactly those 100 lapse transitions, alternating small and large so both see
the same noise. It also times the claim query alone (the one `sweep` runs per case) with
100 due and with none due, and prints the plan of that query (EXPLAIN QUERY PLAN /
EXPLAIN ANALYZE) as xsflow sends it, captured from the driver.

A negative control then drops the (status, lapses_at) index on the large database and sweeps
20 due deadlines again, to show what the requirement guards against.

Requirements (exit 1 when one fails), on each database:
  * median over the rounds of (sweep time with 1,000,000 pending) / (with 1,000 pending) <= 2;
  * the claim query's plan uses the (status, lapses_at) index.

    .venv/bin/python bench/bench_sweep.py [--quick] [--no-postgres] [--pending N]

PostgreSQL: XSFLOW_BENCH_DATABASE_URL or XSFLOW_TEST_DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/test; a schema per database, dropped afterwards.
The tables are ANALYZEd after the bulk load, as autovacuum would do.
"""
from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (Checks, T0, base_parser, bench_registry, loadavg, median, pg_available,  # noqa: E402
                     pg_base_url, pg_schema, print_notes, sql_insert_cases, workdir_for)

from sqlalchemy import event, func, select, text  # noqa: E402

from xsflow.clock import FixedClock  # noqa: E402
from xsflow.store.schema import cases  # noqa: E402
from xsflow.system import Xsflow  # noqa: E402
from adapters.compose import open_system  # noqa: E402
from xsflow.timers import _claim, sweep  # noqa: E402

NOW = datetime(2025, 6, 2, 2, 0, tzinfo=timezone.utc)  # the sweep's "now"
FAR = datetime(2030, 6, 3, 16, 0, tzinfo=timezone.utc)  # the pending deadlines' lapse instant
INDEX = "ix_deadlines_status_lapses_at"
BASIS = "《基准测试用程序（非真实程序）》第9条"


def _ts(conn, value: datetime):
    """A timestamp parameter as xsflow stores it: naive UTC text on SQLite, aware on PostgreSQL."""
    if conn.dialect.name == "sqlite":
        return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def add_open_cases(x: Xsflow, n: int, lapses_at: datetime) -> tuple[int, int]:
    """`n` cases in `busy`, each with one pending deadline lapsing at `lapses_at`; (first id, last id)."""
    with x.db.write() as conn:
        first = (conn.execute(select(func.max(cases.c.id))).scalar() or 0) + 1
        sql_insert_cases(conn, n, procedure_name="bench_cycle", agency="sfj", state_name="busy", when=T0)
        last = conn.execute(select(func.max(cases.c.id))).scalar()
        due = lapses_at.date() - timedelta(days=1)  # lapses at 24:00 Shanghai of the due day
        conn.execute(text(
            "INSERT INTO deadlines (case_id, name, period_kind, period, start_date, due_date, lapses_at, provisional,"
            " service_level, basis, status, overdue, closed_at) "
            "SELECT id, 'work', 'working_days', 5, :start, :due, :lapses, :f, :f, :basis, 'pending', :f, NULL"
            " FROM cases WHERE id BETWEEN :first AND :last"),
            {"start": (due - timedelta(days=7)).isoformat() if conn.dialect.name == "sqlite" else due - timedelta(days=7),
             "due": due.isoformat() if conn.dialect.name == "sqlite" else due,
             "lapses": _ts(conn, lapses_at), "f": False, "basis": BASIS, "first": first, "last": last})
    return first, last


class ClaimSpy:
    """Captures the claim statement and its parameters as the driver receives them."""

    def __init__(self, x: Xsflow) -> None:
        self.statement: str | None = None
        self.parameters = None
        event.listen(x.db.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.statement is None and "JOIN deadlines" in statement and "LIMIT" in statement.upper():
            self.statement, self.parameters = statement, parameters


def build(x: Xsflow, pending: int) -> float:
    t = time.perf_counter()
    add_open_cases(x, pending, FAR)
    with x.db.write() as conn:
        conn.execute(text("ANALYZE"))
    return time.perf_counter() - t


def sweep_round(x: Xsflow, due: int) -> tuple[float, int]:
    add_open_cases(x, due, NOW - timedelta(days=3))
    t = time.perf_counter()
    report = sweep(x.engine, NOW)
    secs = time.perf_counter() - t
    if report.fired != due or report.incidents:
        raise RuntimeError(f"sweep fired {report.fired} of {due} due (incidents: {report.incidents[:3]})")
    return secs, report.fired


def claim_time(x: Xsflow, due: int, repeat: int) -> tuple[float, float]:
    """Mean seconds of one claim query with `due` due deadlines waiting, then with none."""
    add_open_cases(x, due, NOW - timedelta(days=3))
    out = []
    for _ in range(2):
        with x.db.write() as conn:
            _claim(conn, NOW, set())  # warm
            t = time.perf_counter()
            for _ in range(repeat):
                _claim(conn, NOW, set())
            out.append((time.perf_counter() - t) / repeat)
        if len(out) == 1:
            sweep(x.engine, NOW)  # now none is due
    return out[0], out[1]


def explain(x: Xsflow, spy: ClaimSpy, due: int) -> tuple[str, bool]:
    """The plan of the captured claim query, run while `due` deadlines are due."""
    assert spy.statement is not None, "the claim statement was not captured"
    add_open_cases(x, due, NOW - timedelta(days=3))
    raw = x.db.engine.raw_connection()
    try:
        cur = raw.cursor()
        if x.db.is_sqlite:
            cur.execute("EXPLAIN QUERY PLAN " + spy.statement, spy.parameters)
            lines = [f"{r[3]}" for r in cur.fetchall()]
        else:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + spy.statement, spy.parameters)
            lines = [r[0] for r in cur.fetchall()]
        raw.rollback()
    finally:
        raw.close()
    sweep(x.engine, NOW)
    plan = "\n".join(lines)
    return plan, INDEX in plan


def control(x: Xsflow, due: int, indexed_per_deadline: float) -> None:
    with x.db.write() as conn:
        conn.execute(text(f"DROP INDEX {INDEX}"))
        conn.execute(text("ANALYZE"))
    secs, _ = sweep_round(x, due)
    print(f"   negative control: without {INDEX}, sweeping {due} due among the large set took {secs:.2f}s ="
          f" {1000 * secs / due:,.1f} ms per due deadline (indexed: {1000 * indexed_per_deadline:,.2f} ms),"
          f" {secs / due / indexed_per_deadline:,.0f}x")


def run(kind: str, urls: tuple[str, str], small: int, large: int, rounds: int, due: int, checks: Checks,
        do_control: bool) -> None:
    xs = {}
    for label, url, n in (("small", urls[0], small), ("large", urls[1], large)):
        x = open_system(url, clock=FixedClock(NOW), registry=bench_registry())
        x.init()
        secs = build(x, n)
        print(f"   {kind}: {n:,} pending deadlines (and cases) bulk-inserted in {secs:.1f}s")
        xs[label] = x
    spy = ClaimSpy(xs["large"])
    for x in xs.values():
        sweep_round(x, 5)  # warm-up: statements, calendar
    times: dict[str, list[float]] = {"small": [], "large": []}
    for r in range(rounds):
        for label in ("small", "large") if r % 2 == 0 else ("large", "small"):
            secs, _ = sweep_round(xs[label], due)
            times[label].append(secs)
    ratios = [b / a for a, b in zip(times["small"], times["large"])]
    ratio = median(ratios)
    print(f"-- {kind}: sweep of {due} due: {small:,} pending median {median(times['small']):.3f}s,"
          f" {large:,} pending median {median(times['large']):.3f}s; ratio {ratio:.2f}"
          f"   (rounds small {', '.join(f'{t:.3f}' for t in times['small'])};"
          f" large {', '.join(f'{t:.3f}' for t in times['large'])})   load {loadavg()}")
    claims = {label: claim_time(x, due, 200) for label, x in xs.items()}
    print(f"   claim query alone (mean of 200): {small:,} pending: {1e6 * claims['small'][0]:,.0f} us with {due} due,"
          f" {1e6 * claims['small'][1]:,.0f} us with none; {large:,} pending: {1e6 * claims['large'][0]:,.0f} us,"
          f" {1e6 * claims['large'][1]:,.0f} us")
    plan, uses_index = explain(xs["large"], spy, due)
    print(f"   claim query as sent ({kind}):\n      " + spy.statement.replace("\n", "\n      "))
    print(f"   plan ({kind}, {large:,} pending):\n      " + plan.replace("\n", "\n      "))
    checks.check(f"{kind}: sweep cost flat in pending deadlines", ratio <= 2.0,
                 f"100 due among {large:,} vs among {small:,}: ratio {ratio:.2f} (limit 2)")
    checks.check(f"{kind}: claim query uses {INDEX}", uses_index, "see plan above")
    if do_control:
        control(xs["large"], 20, median(times["large"]) / due)
    for x in xs.values():
        x.db.dispose()


def main() -> int:
    p = base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--pending", type=int, default=None, help="pending deadlines in the large set (default 1,000,000)")
    p.add_argument("--no-control", action="store_true", help="skip the negative control (dropping the index)")
    args = p.parse_args()
    workdir = workdir_for(args.workdir, "xsflow-bench-sweep-")
    small = 1_000
    large = args.pending or (100_000 if args.quick else 1_000_000)
    rounds = 3 if args.quick else 5
    due = 100
    print_notes("bench_sweep", {"pending": f"{small:,} vs {large:,}", "due per sweep": str(due),
                                "mode": "quick" if args.quick else "full"})
    checks = Checks()
    urls = (f"sqlite:///{workdir / 'sweep_small.db'}", f"sqlite:///{workdir / 'sweep_large.db'}")
    for u in urls:
        Path(u.removeprefix("sqlite:///")).unlink(missing_ok=True)
    run("SQLite", urls, small, large, rounds, due, checks, not args.no_control)
    if args.no_postgres:
        checks.not_measured("PostgreSQL sweep", "--no-postgres given")
    else:
        base = pg_base_url()
        why = pg_available(base)
        if why:
            checks.not_measured("PostgreSQL sweep", f"{base}: {why}")
        else:
            with ExitStack() as stack:
                a, _ = stack.enter_context(pg_schema(base, "bench_sweep_small"))
                b, _ = stack.enter_context(pg_schema(base, "bench_sweep_large"))
                run("PostgreSQL", (a, b), small, large, rounds, due, checks, not args.no_control)
    print(f"   load at end: {loadavg()}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
