"""Benchmark of the case-file import (adapters/case_file_import.py): 10,000 rows, CSV and XLSX.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--pg]

For each format: a file with one bad row (must import nothing and name that row), then the same
file without it (must import every row); prints rows per second of the successful import, which
includes the whole-file check. SQLite in a temporary folder; --pg uses a fresh PostgreSQL schema
(XSFLOW_BENCH_DATABASE_URL or XSFLOW_TEST_DATABASE_URL).
"""
from __future__ import annotations

import argparse
import csv
import io
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _common import pg_base_url, pg_schema  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from adapters.case_file_import import XLSX, import_case_files  # noqa: E402
from xsflow.access import Actor  # noqa: E402
from xsflow.clock import FixedClock  # noqa: E402
from xsflow.errors import InvalidPayload  # noqa: E402
from adapters.compose import open_system  # noqa: E402

HEADER = ["案号", "执法机关代码", "案件名称", "案件类型", "办结日期", "办案人员"]
AGENCIES = ["scjgj", "gaj", "jw", "fgw"]
TYPES = ["行政处罚", "行政许可", "行政检查", "行政强制"]


def rows(n: int, bad_at: int | None = None) -> list[list[str]]:
    """n data rows; the one at index bad_at (0-based) names an unknown agency."""
    out = []
    for i in range(n):
        agency = "nope" if i == bad_at else AGENCIES[i % len(AGENCIES)]
        out.append([f"秀山{AGENCIES[i % 4]}罚〔2025〕{i + 1}号", agency, f"第{i + 1}号案件案卷", TYPES[i % 4],
                    f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "张三、李四"])
    return out


def as_csv(data: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *data])
    return buf.getvalue().encode("utf-8")


def as_xlsx(data: list[list[str]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    for row in [HEADER, *data]:
        sheet.append(row)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def run(url: str, fmt: str, n: int) -> float:
    x = open_system(url, clock=FixedClock(datetime(2026, 1, 10, 2, 0, tzinfo=timezone.utc)))
    x.init()
    actor = Actor("县执法办案平台", "system")
    encode, kind = (as_csv, "text/csv") if fmt == "csv" else (as_xlsx, XLSX)
    bad_at = n // 2
    try:
        import_case_files(x, actor, encode(rows(n, bad_at)), kind)
        raise SystemExit(f"FAIL {fmt}: a file with a bad row was imported")
    except InvalidPayload as err:
        assert list(err.fields) == [f"rows.{bad_at + 2}"], err.fields  # the header is row 1
        print(f"{fmt}: bad row refused: {err.message}")
    content = encode(rows(n))
    start = time.perf_counter()
    result = import_case_files(x, actor, content, kind)
    elapsed = time.perf_counter() - start
    assert result["imported"] == n, result
    x.db.dispose()
    print(f"{fmt}: imported {n} rows in {elapsed:.1f} s = {n / elapsed:.0f} rows/s ({len(content) / 1e6:.2f} MB)")
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--pg", action="store_true")
    args = parser.parse_args()
    for fmt in ("csv", "xlsx"):
        if args.pg:
            with pg_schema(pg_base_url(), "import") as (url, _schema):
                run(url, fmt, args.rows)
        else:
            with tempfile.TemporaryDirectory() as folder:
                run(f"sqlite:///{folder}/bench.db", fmt, args.rows)


if __name__ == "__main__":
    main()
