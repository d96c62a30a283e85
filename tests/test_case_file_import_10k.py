"""The issue's own numbers (#15): an import of 10,000 closed files over HTTP with one bad row imports
nothing and names that row; the same file without it imports all 10,000, within gunicorn's 60 s worker
timeout, on SQLite and PostgreSQL (the import writes through xsflow.bulk: docs/performance.md,
bench/bench_import.py)."""
from __future__ import annotations

from .conftest import Server, make_tokens
from .test_case_file_import import as_csv, upload

N = 10_000
AGENCIES = ("scjgj", "gaj", "jw", "fgw")
TYPES = ("行政处罚", "行政许可", "行政检查", "行政强制")


def rows(bad_at: int | None = None) -> list[list[str]]:
    return [[f"秀山{AGENCIES[i % 4]}〔2025〕{i + 1}号", AGENCIES[i % 4], f"第{i + 1}号案件案卷", TYPES[i % 4],
             "2025-13-01" if i == bad_at else f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "张三、李四"] for i in range(N)]


def registered(server: Server, token: str) -> int:
    r = server.call("GET", "/api/v1/case-files/self-review-rates?year=2025", token)
    assert r.status == 200, r.body
    return sum(row["closed"] for row in r.body)


def test_ten_thousand_rows_one_bad_imports_nothing_and_names_it_without_it_imports_all(server: Server):
    t = make_tokens(server.database_url, platform=("system", None))
    bad_at = 7_311  # row 7,313 of the sheet: the header is row 1
    r = upload(server, t["platform"], as_csv(rows(bad_at)), "text/csv")
    assert r.status == 422, r.body
    assert list(r.body["error"]["fields"]) == [f"rows.{bad_at + 2}"]
    assert f"第{bad_at + 2}行" in r.body["error"]["message"] and "办结日期" in r.body["error"]["message"]
    assert registered(server, t["platform"]) == 0
    r = upload(server, t["platform"], as_csv(rows()), "text/csv")
    assert r.status == 201, r.body
    assert r.body == {"imported": N}
    assert registered(server, t["platform"]) == N
