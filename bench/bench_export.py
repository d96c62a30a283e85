"""Overdue exports (CSV and XLSX, adapters/web/overdue.py) in rows per second, in process (Flask's test
client reads the streamed body as a browser would), on PostgreSQL.

    .venv/bin/python bench/bench_export.py --seed 50000            # seeds a schema, prints its URL, keeps it
    .venv/bin/python bench/bench_export.py --url '<that URL>' [--out /tmp/x] [--only csv]
    .venv/bin/python bench/bench_export.py --drop '<that URL>'

Measuring the same kept schema with two checkouts, one after the other (`python <checkout>/bench/
bench_export.py --url ...`), gives a before/after ratio in one run on the shared machine; --out
writes the files so that the two can be compared byte for byte.
"""
from __future__ import annotations

import argparse
import hashlib
import re
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from adapters.compose import open_system  # noqa: E402
from adapters.http import create_app  # noqa: E402
from xsflow.access import Actor  # noqa: E402
from xsflow.bulk import NewCase, open_cases  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.users import create_user  # noqa: E402

NOW = datetime(2025, 9, 1, 2, 0, tzinfo=timezone.utc)
AGENCIES = ("scjgj", "gaj", "jw", "fgw", "sfj", "zjw")
PASSWORD = "Bench-export-2026!"


def seed(n: int) -> str:
    import os
    import uuid
    base = os.environ.get("XSFLOW_BENCH_DATABASE_URL") or os.environ.get(
        "XSFLOW_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench_export_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    x = open_system(url, clock=FixedClock(NOW))
    x.init()
    items = []
    for i in range(n):
        a = AGENCIES[i % len(AGENCIES)]
        title = f"=HYPERLINK(\"x\",\"{i}\")" if i % 97 == 0 else f"关于规范第{i}号事项的通知，\"征求意见稿\""
        items.append(NewCase(Actor(f"{a}经办人", "clerk", a), "legality_review", a, title,
                             occurred_at=datetime(2025, 1 + i % 6, 1 + i % 27, 1, 0, tzinfo=timezone.utc)))
    for start in range(0, n, 5000):
        open_cases(x.engine, items[start:start + 5000])
    with x.db.write() as conn:
        create_user(conn, username="supervisor", display_name="监督员", role="supervisor", agency=None,
                    password=PASSWORD, now=x.clock.now())
        # Planner statistics now, not when autovacuum gets round to it: on a freshly COPYed schema
        # without them a reviewer's 待办 over these 50,000 cases took 45-53 s instead of 0.3-0.4 s.
        conn.execute(text("ANALYZE cases"))
        conn.execute(text("ANALYZE deadlines"))
    x.db.dispose()
    return url


def measure(url: str, out: str | None, only: str | None) -> None:
    x = open_system(url, clock=FixedClock(NOW))
    app = create_app(x)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "supervisor", "password": PASSWORD, "csrf_token": csrf,
                                       "next": "/"}).status_code == 302
    client.get("/overdue")  # warm: templates, statements, calendar
    total = 0
    for ext in ("csv", "xlsx"):
        if only and ext != only:
            continue
        start = time.perf_counter()
        r = client.get(f"/overdue/export.{ext}", buffered=False)
        first = None
        digest, size, lines, chunks = hashlib.sha256(), 0, 0, []
        for chunk in r.response:
            if first is None:
                first = time.perf_counter() - start
            digest.update(chunk)
            size += len(chunk)
            lines += chunk.count(b"\n")
            if out:
                chunks.append(chunk)
        r.close()
        secs = time.perf_counter() - start
        if out:
            Path(f"{out}.{ext}").write_bytes(b"".join(chunks))
        if ext == "csv":
            total = lines - 1  # the header; no field holds a line break here
        elif not total:  # counted after the clock stopped
            from io import BytesIO

            from openpyxl import load_workbook
            sheet = load_workbook(BytesIO(b"".join(chunks) if out else client.get("/overdue/export.xlsx").data),
                                  read_only=True).worksheets[0]
            total = sum(1 for _ in sheet.iter_rows(min_row=2, values_only=True))
        rate = f"{total / secs:,.0f} rows/s" if total else "(rows counted by the CSV)"
        print(f"{ext}: {total} rows in {secs:.2f} s = {rate}, first byte {1000 * first:.0f} ms, "
              f"{size / 1e6:.1f} MB, sha256 {digest.hexdigest()[:16]}")
    x.db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int)
    parser.add_argument("--url")
    parser.add_argument("--out")
    parser.add_argument("--only", choices=("csv", "xlsx"))
    parser.add_argument("--drop")
    args = parser.parse_args()
    if args.seed:
        print(seed(args.seed))
    if args.url:
        measure(args.url, args.out, args.only)
    if args.drop:
        schema = parse_qs(urlparse(args.drop).query)["options"][0].split("=", 1)[1]
        base = args.drop.split("?")[0]
        admin = create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


if __name__ == "__main__":
    main()
