"""Computing a year's assessment of every agency from the record (workflows/assessment_record.py).

    .venv/bin/python bench/bench_assessment.py                    # SQLite, 100,000 cases
    .venv/bin/python bench/bench_assessment.py --pg               # a fresh PostgreSQL schema
    .venv/bin/python bench/bench_assessment.py --cases 10000      # smaller

Bulk seed (Core executemany, no engine per row): `--cases` cases spread over every assessed agency
(54 today and 10 more, 64 in all) and the procedures that feed the standard — filings, supervisions, certificates, correction
orders, statistics periods and others — with three history entries per case, lapsed deadlines dated
in 2025 (and some in 2024 and 2026 that must not count), triggers and criticism notices. Then it
times the computation of 2025 for all agencies (one query per feed, stored in one transaction), one
agency's result page and the year's XLSX, and checks the counts against what was seeded. The
requirement is a ratio in the same run: the computation at `--cases` against the same at a tenth
of the cases, which must stay below 10 × 1.5 (no worse than linear, with noise).
"""
from __future__ import annotations

import argparse
import io
import random
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import pg_base_url, pg_schema, print_notes, workdir_for  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from adapters.assessment_export import write_table  # noqa: E402
from adapters.compose import open_system  # noqa: E402
from workflows import assessment_record as record  # noqa: E402
from workflows.assessment import standard_for  # noqa: E402
from xsflow.access import Actor  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.store.schema import agencies, cases, deadlines, documents, history  # noqa: E402

YEAR = 2025
ASSESSOR = Actor("考核组", "supervisor")
NOW = datetime(2026, 1, 6, 2, 0, tzinfo=timezone.utc)
GENESIS = "0" * 64
# procedure → (share of cases, deadline name that may lapse or None, share of those that lapse)
MIX = {"filing_review": (0.35, "filing", 0.3), "case_supervision": (0.15, "rectification", 0.2),
       "certificate": (0.2, "update_training", 0.15), "correction_order": (0.05, "correction", 0.3),
       "enforcement_statistics": (0.1, "report", 0.1), "legality_review": (0.15, None, 0.0)}


def _due(rng: random.Random, year: int) -> date:
    return date(year, 1, 1) + timedelta(days=rng.randrange(365))


EXTRA_AGENCIES = 10  # the county's 54 assessed units today, and room for the township governments to come


def seed(x, n: int, rng: random.Random) -> dict[str, int]:
    """`n` cases with their deadlines, history and notices; the occurrences 2025 must count, by item."""
    with x.db.write() as conn:
        conn.execute(insert(agencies), [{"code": f"bench{i}", "name": f"基准执法单位{i}", "kind": "township_team",
                                         "basis": "基准"} for i in range(EXTRA_AGENCIES)])
    with x.db.read() as conn:
        codes = conn.execute(select(agencies.c.code).where(agencies.c.kind.in_(record.assessed_kinds()))
                             .order_by(agencies.c.code)).scalars().all()
    expected = {"unfiled_documents": 0, "violations_not_corrected": 0, "training_shortfall": 0,
                "statistics_not_reported": 0, "criticized": 0, "unlawful_documents": 0}
    item_of = {"filing": "unfiled_documents", "rectification": "violations_not_corrected",
               "update_training": "training_shortfall", "report": "statistics_not_reported",
               "correction": "violations_not_corrected"}
    procs = list(MIX)
    weights = [MIX[p][0] for p in procs]
    case_rows, deadline_rows, history_rows, document_rows = [], [], [], []
    seq_no = 0
    t = NOW - timedelta(days=400)
    for case_id in range(1, n + 1):
        proc = rng.choices(procs, weights)[0]
        agency = codes[case_id % len(codes)]
        case_rows.append({"id": case_id, "procedure": proc, "definition_version": 1, "agency_code": agency,
                          "title": f"基准案件 {case_id}", "state": "busy", "closed": False, "version": 3, "data": {},
                          "correlation_key": None, "opened_at": t, "last_occurred_at": t, "history_seq": 3,
                          "history_hash": GENESIS})
        triggers = ["open", "step", "step"]
        _, name, share = MIX[proc]
        if name is not None and rng.random() < share:
            year = rng.choice((2024, 2025, 2025, 2025, 2026))
            due = _due(rng, year)
            deadline_rows.append({"case_id": case_id, "name": name, "period_kind": "days", "period": 30,
                                  "start_date": due - timedelta(days=30), "due_date": due,
                                  "lapses_at": datetime(due.year, due.month, due.day, 16, tzinfo=timezone.utc),
                                  "provisional": False, "service_level": False, "basis": "基准", "status": "lapsed",
                                  "overdue": True, "closed_at": None})
            if year == YEAR:
                expected[item_of[name]] += 1
            if proc == "correction_order":
                seq_no += 1
                lapse = datetime(due.year, due.month, due.day, 16, tzinfo=timezone.utc)
                document_rows.append({"case_id": case_id, "kind": "criticism_notice", "title": "通报批评",
                                      "prefix": "基准府通", "year": due.year + 1, "seq": seq_no,
                                      "number": f"基准府通〔{due.year + 1}〕{seq_no}号", "issued_at": lapse + timedelta(days=3),
                                      "legal_instant": lapse, "basis": "基准", "facts": {}, "history_seq": 3,
                                      "corrects_id": None})
                if year == YEAR and not (due.month == 12 and due.day == 31):
                    expected["criticized"] += 1
                elif year == YEAR - 1 and due.month == 12 and due.day == 31:
                    expected["criticized"] += 1  # the lapse instant is 1 January of the next year, local time
        if proc == "case_supervision" and rng.random() < 0.05:
            triggers[2] = "record_government_action"
            expected["criticized"] += 1
        if proc == "filing_review" and rng.random() < 0.05:
            content = rng.random() < 0.5
            triggers[2] = "require_correction"
            expected["unlawful_documents"] += content
        for s, trig in enumerate(triggers, start=1):
            payload = {"grounds": ["content" if content else "procedure"]} if trig == "require_correction" else {}
            when = datetime(YEAR, 6, 1, 2, tzinfo=timezone.utc) + timedelta(minutes=case_id)
            history_rows.append({"case_id": case_id, "seq": s, "trigger": trig, "actor": "基准", "actor_role": "clerk",
                                 "payload": payload, "occurred_at": when, "recorded_at": when, "from_state": None,
                                 "to_state": "busy", "prev_hash": GENESIS, "hash": GENESIS})
    with x.db.write() as conn:
        for table, rows in ((cases, case_rows), (deadlines, deadline_rows), (history, history_rows),
                            (documents, document_rows)):
            for i in range(0, len(rows), 10000):
                conn.execute(insert(table), rows[i:i + 10000])
    return expected


def run(url: str, n: int) -> dict[str, float]:
    clock = FixedClock(NOW)
    x = open_system(url, clock=clock)
    x.init()
    t = time.perf_counter()
    expected = seed(x, n, random.Random(n))
    seeded = time.perf_counter() - t
    t = time.perf_counter()
    with x.db.write() as conn:
        summary = record.compute(conn, ASSESSOR, YEAR, now=NOW)
    computed = time.perf_counter() - t
    with x.db.read() as conn:
        got = dict(conn.execute(select(record.assessment_results.c.item_code, func.sum(record.assessment_results.c.count))
                                .where(record.assessment_results.c.year == YEAR)
                                .group_by(record.assessment_results.c.item_code)).all())
        t = time.perf_counter()
        result = record.result(conn, ASSESSOR, YEAR, "gaj")
        one = time.perf_counter() - t
        t = time.perf_counter()
        standard, rows = record.table(conn, ASSESSOR, YEAR)
        out = io.BytesIO()
        write_table(standard_for(YEAR), record.ranked(rows), record.last_run(conn, YEAR), out)
        xlsx = time.perf_counter() - t
    x.db.dispose()
    wrong = {k: (v, int(got.get(k) or 0)) for k, v in expected.items() if int(got.get(k) or 0) != v}
    print(f"   {n:,} cases over {summary['agencies']} agencies seeded in {seeded:.1f}s; "
          f"{summary['occurrences']:,} occurrences in 2025")
    print(f"   compute all agencies: {computed:.2f}s; one agency's result: {one:.3f}s "
          f"({sum(len(i['cases']) for i in result['items'])} cases listed); year table + XLSX: {xlsx:.2f}s "
          f"({len(out.getvalue()) // 1024} KiB)")
    if wrong:
        print(f"   COUNTS DIFFER (seeded, computed): {wrong}")
    return {"compute": computed, "result": one, "xlsx": xlsx, "ok": not wrong, "standard": standard.file}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--pg", action="store_true", help="PostgreSQL (XSFLOW_BENCH_DATABASE_URL or XSFLOW_TEST_DATABASE_URL)")
    ap.add_argument("--workdir")
    args = ap.parse_args()
    print_notes("assessment computed from the record", {"cases": f"{args.cases:,}"})
    figures = {}
    for n in (args.cases // 10, args.cases):
        if args.pg:
            with pg_schema(pg_base_url(), "bench_assess") as (url, _):
                figures[n] = run(url, n)
        else:
            folder = workdir_for(args.workdir, "bench-assessment-")
            figures[n] = run(f"sqlite:///{folder / f'assess-{n}.db'}", n)
    small, large = figures[args.cases // 10], figures[args.cases]
    ratio = large["compute"] / small["compute"]
    ok = ratio < 15 and small["ok"] and large["ok"]
    print(f"{'PASS' if ok else 'FAIL'}: compute at {args.cases:,} / at {args.cases // 10:,} cases = {ratio:.1f} "
          f"(linear would be 10; required < 15); counts {'match' if small['ok'] and large['ok'] else 'DIFFER'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
