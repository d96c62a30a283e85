"""The HTTP event endpoint against a trivial Flask JSON endpoint, same server, same load generator
(issue 14: `POST /api/v1/cases/{id}/events` >= 50% of `/bench/ping`).

A fresh PostgreSQL schema; `--cases` legality reviews opened through the bulk path
(`xsflow.bulk.open_cases`); the production server as `xsflow serve --no-scheduler` runs it (gunicorn,
2 gthread workers) with bench_scale.py's extra `/bench/ping` route. wrk (-t1 -c4) then drives, in
turns, `/bench/ping` and `POST /api/v1/cases/{id}/events` (`accept` by a reviewer's bearer token, a
fresh case per request: a Lua script cycling through case ids no other run uses). With `--old
PATH` (a source tree, e.g. `git archive main | tar -x -C /tmp/old-events`) a second server runs
that code on the same database, and the two are measured alternately: before and after, same run.

Afterwards, exactly once: every 2xx answer accepted one case, each case has one `accept` entry.
`--profile N` first fires N events in this process through the Flask app (cProfile, and the
statements, connection check-outs and transactions per request).

    .venv/bin/python bench/bench_events.py [--old /tmp/old-events] [--rounds 3] [--seconds 5]
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (LEGALITY_SUBMISSION, Checks, loadavg, pg_schema, served_bench_ready,  # noqa: E402
                     print_notes)
from bench_scale import WRK_EVENTS, _free_port, clerk, start_server, stop_server, wrk_stats  # noqa: E402

from sqlalchemy import event, func, select, text  # noqa: E402

from adapters.compose import open_system  # noqa: E402
from xsflow.bulk import NewCase, open_cases  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.store.schema import cases, history  # noqa: E402
from xsflow.tokens import create_token  # noqa: E402

HERE = Path(__file__).resolve().parent.parent


def seed(x, n: int, now: datetime, chunk: int = 5000) -> list[int]:
    """`n` legality reviews submitted half an hour ago, waiting to be accepted."""
    ids: list[int] = []
    for start in range(0, n, chunk):
        ids += open_cases(x.engine, [NewCase(clerk("gaj"), "legality_review", "gaj", f"待受理送审稿{i}",
                                             LEGALITY_SUBMISSION,
                                             occurred_at=now - timedelta(minutes=30))
                                     for i in range(start, min(n, start + chunk))])
    return ids


def profile(url: str, token: str, ids: list[int], top: int) -> None:
    """Fires len(ids) events in this process through the Flask app: cProfile and round trips per request."""
    from adapters.http import create_app

    app = create_app(database_url=url)
    engine = app.extensions["xsflow"].db.engine
    counts = {"statements": 0, "checkouts": 0, "commits": 0}

    def count(key):
        def bump(*_args, **_kw):
            counts[key] += 1
        return bump
    event.listen(engine, "before_cursor_execute", count("statements"))
    event.listen(engine.pool, "checkout", count("checkouts"))
    event.listen(engine, "commit", count("commits"))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    client.post(f"/api/v1/cases/{ids[0]}/events", json={"trigger": "accept"}, headers=headers)  # warm
    for k in counts:
        counts[k] = 0
    prof = cProfile.Profile()
    t = time.perf_counter()
    prof.enable()
    for case_id in ids[1:]:
        r = client.post(f"/api/v1/cases/{case_id}/events", json={"trigger": "accept"}, headers=headers)
        assert r.status_code == 200, r.get_data(as_text=True)
    prof.disable()
    secs = time.perf_counter() - t
    n = len(ids) - 1
    print(f"-- in process (Flask test client, no server), {n} events: {n / secs:,.0f}/s;"
          f" per request {counts['statements'] / n:.1f} statements (pre-pings not counted),"
          f" {counts['checkouts'] / n:.1f} connection check-outs, {counts['commits'] / n:.1f} commits")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    app.extensions["xsflow"].db.dispose()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=0, help="legality reviews to seed (default: enough for the runs)")
    p.add_argument("--seconds", type=int, default=5, help="each wrk run")
    p.add_argument("--rounds", type=int, default=3, help="ping/events pairs per server")
    p.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    p.add_argument("--old", type=Path, default=None, help="a source tree to measure alternately (before)")
    p.add_argument("--profile", type=int, default=0, help="events to fire in process under cProfile first")
    p.add_argument("--top", type=int, default=40, help="profile lines to print")
    args = p.parse_args()
    print_notes("bench_events", {"old": str(args.old) if args.old else "-"})
    checks = Checks()
    base = served_bench_ready(checks, "event endpoint (PostgreSQL)")
    if base is None:
        return checks.finish()
    servers = {"new": HERE, **({"old": args.old.resolve()} if args.old else {})}
    per_run = 1500 * args.seconds  # more than one server answers in a run on this machine
    n = args.cases or per_run * args.rounds * len(servers) + args.profile + 1
    workdir = Path(tempfile.mkdtemp(prefix="xsflow-bench-events-"))
    try:
        with pg_schema(base, "bench_events") as (url, _schema):
            now = datetime.now(timezone.utc).replace(microsecond=0)
            x = open_system(url, clock=FixedClock(now))
            x.init([])
            t = time.perf_counter()
            ids = seed(x, n, now)
            print(f"-- seeded {len(ids):,} legality reviews in {time.perf_counter() - t:.1f}s")
            with x.db.write() as conn:
                token = create_token(conn, name="bench reviewer", role="reviewer", agency=None, now=now)
                conn.execute(text("ANALYZE"))
            x.db.dispose()
            if args.profile:
                profile(url, token, ids[: args.profile + 1], args.top)
                ids = ids[args.profile + 1:]
            runs = measure(url, args, servers, ids, token, workdir)
            report(runs, servers, args, checks)
            exactly_once(x, runs, checks)
            x.db.dispose()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(f"   load at end: {loadavg()}")
    return checks.finish()


def measure(url, args, servers, ids, token, workdir) -> dict[str, list[dict]]:
    """Both servers up; per round and server: wrk on /bench/ping, then on the event endpoint."""
    procs, ports = {}, {}
    runs: dict[str, list[dict]] = {name: [] for name in servers}
    per_run = len(ids) // (args.rounds * len(servers))
    try:
        for name, root in servers.items():
            ports[name] = _free_port()
            procs[name] = start_server(url, ports[name], args.workers, workdir / f"{name}.log", root)
        slices = iter(range(0, per_run * args.rounds * len(servers), per_run))
        for r in range(args.rounds):
            for name in servers:
                start = next(slices)
                script = workdir / f"events-{name}-{r}.lua"
                script.write_text(WRK_EVENTS % (",".join(map(str, ids[start:start + per_run])), token))
                ping = wrk_stats(ports[name], "/bench/ping", args.seconds)
                ev = wrk_stats(ports[name], "/api/v1/cases/1/events", args.seconds, script)
                if ev["requests"] > per_run:
                    print(f"   {name}: {ev['requests']} requests for {per_run} cases: raise --cases")
                runs[name].append({"ping": ping, "events": ev, "ids": ids[start:start + per_run]})
                print(f"   round {r + 1} {name:3}: ping {ping['rate']:7,.0f} req/s (p50 {ping['p50']:5.1f} ms,"
                      f" p99 {ping['p99']:5.1f}); events {ev['rate']:6,.0f} req/s (p50 {ev['p50']:5.1f} ms,"
                      f" p99 {ev['p99']:5.1f}); ratio {ev['rate'] / ping['rate']:.0%}   load {loadavg()}")
    finally:
        for proc in procs.values():
            stop_server(proc)
    return runs


def report(runs, servers, args, checks: Checks) -> None:
    print()
    print(f"== wrk -t1 -c4, {args.seconds}s a run, {args.rounds} rounds, {args.workers} gunicorn workers; medians")
    print(f"   {'code':5} {'ping req/s':>11} {'events req/s':>13} {'ratio':>6} {'ev p50 ms':>10} {'ev p99 ms':>10}")
    for name in servers:
        rs = runs[name]
        ratio = statistics.median(r["events"]["rate"] / r["ping"]["rate"] for r in rs)
        print(f"   {name:5} {statistics.median(r['ping']['rate'] for r in rs):11,.0f}"
              f" {statistics.median(r['events']['rate'] for r in rs):13,.0f} {ratio:6.0%}"
              f" {statistics.median(r['events']['p50'] for r in rs):10.1f}"
              f" {statistics.median(r['events']['p99'] for r in rs):10.1f}")
        if name == "new":
            checks.check("event endpoint >= 50% of a trivial Flask JSON endpoint", ratio >= 0.5, f"{ratio:.0%}")


def exactly_once(x, runs, checks: Checks) -> None:
    """Every 2xx answer accepted one case; no case accepted twice; wrapped-around requests refused (409)."""
    ok_answers = sum(r["events"]["requests"] - r["events"]["non2xx"] for rs in runs.values() for r in rs)
    used = [i for rs in runs.values() for r in rs for i in r["ids"]]
    with x.db.read() as conn:
        accepted = conn.execute(select(func.count()).select_from(cases).where(
            cases.c.id.in_(used), cases.c.state != "submitted")).scalar_one()
        entries = conn.execute(select(func.count()).select_from(history).where(
            history.c.case_id.in_(used), history.c.trigger == "accept")).scalar_one()
    # wrk stops mid-request: a request it sent at the end may have been done and not counted.
    checks.check("exactly once", entries == accepted and 0 <= accepted - ok_answers <= 4 * sum(map(len, runs.values())),
                 f"{ok_answers:,} 2xx answers, {accepted:,} cases accepted, {entries:,} accept entries")


if __name__ == "__main__":
    sys.exit(main())
