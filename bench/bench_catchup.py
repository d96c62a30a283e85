"""The sweep catch-up after an outage: N deadlines fall due at once and are worked off by 1 and by 2
worker processes, with the old code and the new in the same run (issue 14: >= 500 lapses/s with 2).

For each run a fresh PostgreSQL schema is seeded through the engine: `--due` cases opened by the
bulk path (`xsflow.bulk.open_cases`) a month before the sweep — filing reviews (their lapse opens no
document) and legality reviews that the reviewer then asks to supplement (`Engine.fire`
`request_supplement`, the notice deemed served at issue), whose lapse issues the termination opinion
(`--doc-share` of the cases) — so every one of them has exactly one lapse due. Then `--workers`
processes each open the system and call `xsflow.timers.sweep` at once (they wait on a common start
instant after connecting); lapses/s = lapses fired / (last worker's end - first worker's start).

Exactly once, checked after each run: no due deadline left pending, one timer history entry per due
deadline, no case with two timer entries, one termination opinion per legality review and no number
twice, the history chain of every case intact.

    .venv/bin/python bench/bench_catchup.py [--due 4000] [--doc-share 0.3] [--workers 1,2]
        [--engine-path /tmp/old-sweep] [--rounds 1]

`--engine-path` names a checkout of the old code (`git archive main | tar -x -C /tmp/old-sweep`):
its workers import xsflow from there; each round runs old and new alternately on equal fresh seeds.
PostgreSQL: XSFLOW_BENCH_DATABASE_URL or XSFLOW_TEST_DATABASE_URL, else the local test database.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Checks, loadavg, pg_available, pg_base_url, pg_schema, print_notes  # noqa: E402

from sqlalchemy import func, select, text  # noqa: E402

from adapters.compose import open_system  # noqa: E402
from xsflow.access import Actor  # noqa: E402
from xsflow.bulk import NewCase, open_cases  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.store.schema import agencies, cases, deadlines, documents, history  # noqa: E402

SEEDED = datetime(2025, 5, 6, 2, 0, tzinfo=timezone.utc)  # a Tuesday, 10:00 in Shanghai
SWEEP_AT = datetime(2025, 7, 7, 1, 0, tzinfo=timezone.utc)  # two months on: every seeded period has lapsed
REVIEWER = Actor("县司法局审查员", "reviewer")
ROOT = Path(__file__).resolve().parent.parent

WORKER = r"""
import json, sys, time
from datetime import datetime
from adapters.compose import open_system
from xsflow.clock import FixedClock
from xsflow.timers import sweep
url, at, start = sys.argv[1], datetime.fromisoformat(sys.argv[2]), float(sys.argv[3])
x = open_system(url, clock=FixedClock(at))
with x.db.read() as conn:  # connected and warm before the common start
    pass
time.sleep(max(0.0, start - time.time()))
t = time.time()
report = sweep(x.engine, at)
print(json.dumps({"start": t, "end": time.time(), "fired": report.fired, "incidents": len(report.incidents)}))
"""


def seed(url: str, n: int, doc_share: float) -> dict[str, int]:
    """`n` cases with one lapse each due at SWEEP_AT; `doc_share` of them issue a document on lapsing."""
    x = open_system(url, clock=FixedClock(SEEDED))
    x.init()
    with x.db.read() as conn:
        codes = list(conn.execute(select(agencies.c.code).where(agencies.c.kind == "enforcement_agency")
                                  .order_by(agencies.c.code)).scalars())
    n_docs = int(n * doc_share)
    items = []
    for i in range(n):
        agency = codes[i % len(codes)]
        clerk = Actor(f"{agency}经办人", "clerk", agency)
        if i < n_docs:
            items.append(NewCase(clerk, "legality_review", agency, f"关于规范第{i}号事项管理的通知（送审稿）"))
        else:
            items.append(NewCase(clerk, "filing_review", agency, f"关于加强第{i}号事项管理的通知",
                                 {"document_number": f"{agency}发〔2025〕{i}号"}, occurred_at=SEEDED))
    ids = []
    for start in range(0, n, 2000):
        ids += open_cases(x.engine, items[start:start + 2000])
    for case_id in ids[:n_docs]:
        x.engine.fire(REVIEWER, case_id, "request_supplement", {"missing": ["legal_basis"]})
    with x.db.write() as conn:
        conn.execute(text("ANALYZE"))
    with x.db.read() as conn:
        due = due_count(conn)
    x.db.dispose()
    return {"cases": n, "documents_expected": n_docs, "due": due}


def due_count(conn) -> int:
    return conn.execute(select(func.count()).select_from(deadlines).where(
        deadlines.c.status == "pending", deadlines.c.lapses_at <= SWEEP_AT,
        deadlines.c.provisional.is_(False))).scalar_one()


def run_workers(url: str, workers: int, engine_path: str | None) -> dict[str, float]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (engine_path or str(ROOT), str(ROOT)) if p)
    start = time.time() + 4.0  # every worker has started Python and connected by then
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, url, SWEEP_AT.isoformat(), repr(start)], env=env,
                              cwd=engine_path or str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(workers)]
    outs = [p.communicate() for p in procs]
    results = []
    for p, (out, err) in zip(procs, outs):
        if p.returncode != 0 or not out.strip():
            raise SystemExit(f"worker failed ({p.returncode}):\n{err[-3000:]}")
        results.append(json.loads(out.strip().splitlines()[-1]))
    first = min(r["start"] for r in results)
    last = max(r["end"] for r in results)
    fired = sum(r["fired"] for r in results)
    return {"seconds": last - first, "fired": fired, "incidents": sum(r["incidents"] for r in results),
            "per_worker": [r["fired"] for r in results], "rate": fired / max(last - first, 1e-6)}


def exactly_once(url: str, expected: dict[str, int]) -> dict[str, int]:
    x = open_system(url, clock=FixedClock(SWEEP_AT))
    with x.db.read() as conn:
        left = due_count(conn)
        timer = conn.execute(select(func.count()).select_from(history)
                             .where(history.c.actor_role == "timer")).scalar_one()
        doubles = conn.execute(text(
            "SELECT count(*) FROM (SELECT case_id FROM history WHERE actor_role = 'timer'"
            " GROUP BY case_id HAVING count(*) > 1) d")).scalar_one()
        opinions = conn.execute(select(func.count()).select_from(documents)
                                .where(documents.c.kind == "termination_opinion")).scalar_one()
        opinion_doubles = conn.execute(text(
            "SELECT count(*) FROM (SELECT case_id FROM documents WHERE kind = 'termination_opinion'"
            " GROUP BY case_id HAVING count(*) > 1) d")).scalar_one()
        numbers_twice = conn.execute(text(
            "SELECT count(*) FROM (SELECT number FROM documents GROUP BY number HAVING count(*) > 1) d")).scalar_one()
        terminated = conn.execute(select(func.count()).select_from(cases).where(
            cases.c.procedure == "legality_review", cases.c.state == "terminated")).scalar_one()
    broken = x.audit()
    x.db.dispose()
    ok = (left == 0 and timer == expected["due"] and doubles == 0 and opinions == expected["documents_expected"]
          and opinion_doubles == 0 and numbers_twice == 0 and terminated == expected["documents_expected"]
          and broken is None)
    return {"left": left, "timer_entries": timer, "doubles": doubles, "documents": opinions,
            "document_doubles": opinion_doubles, "numbers_twice": numbers_twice, "audit_ok": broken is None,
            "ok": ok}


def one_run(base: str, label: str, engine_path: str | None, workers: int, n: int, doc_share: float) -> dict:
    with pg_schema(base, "bench_catchup") as (url, _):
        t = time.perf_counter()
        seeded = seed(url, n, doc_share)
        seed_secs = time.perf_counter() - t
        r = run_workers(url, workers, engine_path)
        once = exactly_once(url, seeded)
    print(f"-- {label}, {workers} worker(s): {seeded['due']:,} due ({seeded['documents_expected']:,} issue a document;"
          f" seeded in {seed_secs:.0f}s): {r['fired']:,} fired {r['per_worker']} in {r['seconds']:.1f}s ="
          f" {r['rate']:,.0f} lapses/s; documents {once['documents']:,}; exactly once: {once['ok']}"
          f" (left {once['left']}, timer entries {once['timer_entries']:,}, doubles {once['doubles']},"
          f" document doubles {once['document_doubles']}, numbers twice {once['numbers_twice']},"
          f" audit {'ok' if once['audit_ok'] else 'BROKEN'}, incidents {r['incidents']})   load {loadavg()}",
          flush=True)
    return {**r, **once, "due": seeded["due"], "label": label, "workers": workers}


def main() -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--due", type=int, default=4000, help="due lapses seeded per run")
    p.add_argument("--doc-share", type=float, default=0.3, help="share of lapses that issue a document")
    p.add_argument("--workers", default="1,2", help="worker counts, comma-separated")
    p.add_argument("--engine-path", default=None, help="a checkout of the old code to compare with")
    p.add_argument("--rounds", type=int, default=1)
    args = p.parse_args()
    print_notes("bench_catchup", {"due per run": f"{args.due:,}", "doc share": str(args.doc_share),
                                  "old code": args.engine_path or "-"})
    base = pg_base_url()
    why = pg_available(base)
    checks = Checks()
    if why:
        checks.not_measured("sweep catch-up", f"{base}: {why}")
        return checks.finish()
    counts = [int(w) for w in args.workers.split(",")]
    codes = [("new", None)] + ([("old", args.engine_path)] if args.engine_path else [])
    results: dict[tuple[str, int], list[dict]] = {}
    for r in range(args.rounds):
        for w in counts:
            for label, path in (codes if r % 2 == 0 else codes[::-1]):
                results.setdefault((label, w), []).append(one_run(base, label, path, w, args.due, args.doc_share))
    print("== summary (median lapses/s over rounds)")
    best = {k: sorted(x["rate"] for x in v)[len(v) // 2] for k, v in results.items()}
    for (label, w), rate in sorted(best.items()):
        print(f"   {label}, {w} worker(s): {rate:,.0f} lapses/s")
    for w in counts:
        if ("old", w) in best:
            print(f"   new / old with {w} worker(s): {best[('new', w)] / best[('old', w)]:.1f}x")
    if 1 in counts and 2 in counts:
        for label, _ in codes:
            print(f"   {label}: 2 workers / 1 worker: {best[(label, 2)] / best[(label, 1)]:.2f}x")
    checks.check("exactly once in every run", all(x["ok"] for v in results.values() for x in v), "see runs above")
    if ("new", 2) in best:
        checks.check("catch-up >= 500 lapses/s with 2 workers", best[("new", 2)] >= 500,
                     f"{best[('new', 2)]:,.0f} lapses/s")
    print(f"   load at end: {loadavg()}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
