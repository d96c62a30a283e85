"""Memory is flat in the number of cases: open cases hold no per-case machine objects.

One process, SQLite. Phase 1: 1,000 open cases (bulk-inserted), one transition fired through
`Engine.fire` on each. Phase 2: the same process grows to 100,000 open cases and fires one
transition on each of them. After each phase it counts, with the garbage collector, the
objects of the `transitions` library and of xsflow's per-step classes (a `transitions`
machine or model per case would show here), the Python heap (sys.getallocatedblocks) and the
resident set size (VmRSS).

A positive control shows that the counts would see per-case objects: it builds a
`transitions` model for each of 1,000 cases, the way an engine keeping machines per case would,
and reports what it costs per case and what 100,000 cases would then take.

Requirements (exit 1 when one fails):
  * the number of `transitions` objects and of xsflow step objects alive after phase 2 equals
    the number after phase 1 (one shared machine per definition version, nothing per case);
  * live Python heap blocks (sys.getallocatedblocks) grow by under 0.1 per added case;
  * RSS after phase 2 is at most 1.25 x RSS after phase 1 (the baseline measured in the same run).

    .venv/bin/python bench/bench_memory.py [--quick] [--cases N]

The database file's own size (and SQLite's page cache, bounded by `cache_size`) is not the
process's memory; the durability is set to synchronous=NORMAL only to make the 100,000
transitions quicker: it changes nothing in memory.
"""
from __future__ import annotations

import gc
from array import array
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (Checks, T0, base_parser, bench_registry, loadavg, print_notes, rss_kib,  # noqa: E402
                     sql_insert_cases, workdir_for)

from sqlalchemy import select  # noqa: E402

from xsflow.access import Actor  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.store.db import Database  # noqa: E402
from xsflow.store.schema import cases  # noqa: E402
from xsflow.system import Xsflow  # noqa: E402
from adapters.compose import open_system  # noqa: E402

ACTOR = Actor("基准经办人", "clerk", "sfj")
WATCHED_MODULES = ("transitions",)  # every object of the state-machine library
WATCHED_XSFLOW = {"_Cursor", "Step", "LoadedCase", "ProcedureMachine"}  # xsflow's per-step objects


def census() -> tuple[Counter, int]:
    """(live objects of watched types by type name, all gc-tracked objects)."""
    gc.collect()
    found: Counter = Counter()
    objs = gc.get_objects()
    for o in objs:
        t = type(o)
        mod = t.__module__ if isinstance(t.__module__, str) else ""
        if mod.split(".")[0] in WATCHED_MODULES or (mod.startswith("xsflow") and t.__name__ in WATCHED_XSFLOW):
            found[f"{mod}.{t.__qualname__}"] += 1
    return found, len(objs)


def snapshot(label: str) -> dict:
    watched, tracked = census()
    snap = {"label": label, "watched": watched, "tracked": tracked, "blocks": sys.getallocatedblocks(),
            "rss": rss_kib()}
    print(f"-- {label}: RSS {snap['rss'] / 1024:,.1f} MiB, heap blocks {snap['blocks']:,},"
          f" gc-tracked objects {tracked:,}, watched objects {sum(watched.values())}"
          f" ({', '.join(f'{k} {v}' for k, v in sorted(watched.items()))})   load {loadavg()}")
    return snap


def fire_on(x: Xsflow, ids: array, trigger: str) -> float:
    t = time.perf_counter()
    fire = x.engine.fire
    for cid in ids:
        fire(ACTOR, cid, trigger)
    return len(ids) / (time.perf_counter() - t)


def add_cases(x: Xsflow, n: int) -> array:
    """The new cases' ids, as a C array: a list would itself hold one int object per case."""
    with x.db.write() as conn:
        first = conn.execute(select(cases.c.id).order_by(cases.c.id.desc()).limit(1)).scalar() or 0
        sql_insert_cases(conn, n, procedure_name="bench_cycle", agency="sfj")
        return array("q", conn.execute(select(cases.c.id).where(cases.c.id > first).order_by(cases.c.id)).scalars())


def positive_control(n: int) -> tuple[float, float]:
    """Bytes per case and objects per case when every case keeps its own `transitions` model."""
    from transitions import Machine

    from _common import bench_procedures

    proc = bench_procedures()[0]
    gc.collect()
    before_blocks, before_rss = sys.getallocatedblocks(), rss_kib()
    before_watched = sum(census()[0].values())
    kept = []
    for _ in range(n):
        model = type("CaseModel", (), {})()
        Machine(model=model, states=[s.name for s in proc.states], initial=proc.initial,
                transitions=[{"trigger": t.trigger, "source": list(t.sources), "dest": t.dest}
                             for t in proc.transitions], auto_transitions=False)
        kept.append(model)
    watched = sum(census()[0].values()) - before_watched
    grown_blocks = sys.getallocatedblocks() - before_blocks
    grown_rss = rss_kib() - before_rss
    print(f"-- positive control: a `transitions` model per case for {n:,} cases: +{watched / n:,.0f} watched objects"
          f" and +{grown_blocks / n:,.0f} heap blocks per case, RSS +{grown_rss / 1024:,.1f} MiB"
          f" (= {grown_rss * 1024 / n:,.0f} bytes per case; 100,000 cases would take"
          f" ~{grown_rss * 100_000 / n / 1024:,.0f} MiB)")
    del kept
    gc.collect()
    return watched / n, grown_blocks / n


def main() -> int:
    p = base_parser(__doc__.split("\n\n")[0])
    p.add_argument("--cases", type=int, default=None, help="cases in phase 2 (default 100,000; --quick 20,000)")
    args = p.parse_args()
    workdir = workdir_for(args.workdir, "xsflow-bench-memory-")
    big = args.cases or (20_000 if args.quick else 100_000)
    small = 1_000
    print_notes("bench_memory", {"phase 1 cases": f"{small:,}", "phase 2 cases": f"{big:,}",
                                 "mode": "quick" if args.quick else "full"})
    checks = Checks()
    url = f"sqlite:///{workdir / 'memory.db'}"
    x = open_system(url, clock=FixedClock(T0), registry=bench_registry())
    x.db.dispose()
    x.db = x.engine.db = Database(url, sqlite_synchronous="NORMAL")
    x.init()

    ids = add_cases(x, small)
    fire_on(x, ids[:50], "go")  # warm-up: compiled statements, calendar, pools
    fire_on(x, ids[:50], "back")
    rate1 = fire_on(x, ids, "go")
    s1 = snapshot(f"phase 1: {small:,} open cases, one transition fired on each ({rate1:,.0f}/s)")

    ids += add_cases(x, big - small)
    rate2 = fire_on(x, ids[small:], "go")
    rate2b = fire_on(x, ids[:small], "back")
    s2 = snapshot(f"phase 2: {big:,} open cases, one transition fired on each ({rate2:,.0f}/s; then {rate2b:,.0f}/s)")
    with x.db.read() as conn:
        from sqlalchemy import func
        open_cases = conn.execute(select(func.count()).where(cases.c.closed.is_(False))).scalar_one()
    print(f"   open cases in the database: {open_cases:,}")
    x.db.dispose()

    per_case_obj, per_case_obj_blocks = positive_control(small)

    added = big - small
    checks.check("no per-case machine objects", s2["watched"] == s1["watched"],
                 f"watched objects after {small:,} cases: {sum(s1['watched'].values())}, after {big:,}:"
                 f" {sum(s2['watched'].values())} (a model per case would add ~{per_case_obj:,.0f} per case)")
    per_case_blocks = (s2["blocks"] - s1["blocks"]) / added
    checks.check("Python heap flat in cases", per_case_blocks < 0.1,
                 f"{s2['blocks'] - s1['blocks']:+,} live heap blocks for {added:,} added cases"
                 f" = {per_case_blocks:+.4f} per case (limit 0.1: one object per ten cases;"
                 f" a model per case adds ~{per_case_obj_blocks:,.0f})")
    ratio = s2["rss"] / s1["rss"]
    checks.check("RSS flat in cases", ratio <= 1.25,
                 f"RSS {s1['rss'] / 1024:,.1f} MiB with {small:,} cases, {s2['rss'] / 1024:,.1f} MiB with {big:,}:"
                 f" ratio {ratio:.3f} (limit 1.25)")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
