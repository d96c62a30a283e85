"""The spreadsheet import of closed case files and the self-review rate, over HTTP on SQLite and PostgreSQL.

The 10,000-row run is bench/bench_import.py (docs/performance.md); here a smaller file shows the rules:
one bad row imports nothing and is named by its row number; the file without it imports every row.
"""
from __future__ import annotations

import csv
import io

from openpyxl import Workbook

from .conftest import Server, fire, make_tokens

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = ["案号", "执法机关代码", "案件名称", "案件类型", "办结日期", "办案人员"]


def rows(n: int, agency: str = "scjgj") -> list[list[str]]:
    return [[f"秀山市监罚〔2025〕{i + 1}号", agency, f"第{i + 1}号案卷", "行政处罚", "2025-09-30", "张三"]
            for i in range(n)]


def upload(server: Server, token: str, content: bytes, kind: str):
    return server.call("POST", "/api/v1/case-files/import", token, raw=content, headers={"Content-Type": kind})


def as_csv(data: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADER, *data])
    return buf.getvalue().encode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM


def files_of(server: Server, token: str) -> int:
    r = server.call("GET", "/api/v1/cases?procedure=case_file_self_review&limit=200", token)
    assert r.status == 200, r.body
    return len(r.body["items"])


def test_a_bad_row_imports_nothing_and_is_named_then_the_good_file_imports_all(server: Server):
    t = make_tokens(server.database_url, clerk=("clerk", "scjgj"), supervisor=("supervisor", None))
    data = rows(120)
    data[76][4] = "2025-13-01"  # row 78 of the sheet: the header is row 1
    r = upload(server, t["clerk"], as_csv(data), "text/csv")
    assert r.status == 422, r.body
    assert list(r.body["error"]["fields"]) == ["rows.78"]
    assert "第78行" in r.body["error"]["message"] and "办结日期" in r.body["error"]["message"]
    assert files_of(server, t["supervisor"]) == 0

    # Another agency's row, and a case number given twice, are reported with the rest, each by its row.
    data[76][4] = "2025-09-30"
    data[3][1] = "gaj"
    data[9][0] = data[8][0]
    r = upload(server, t["clerk"], as_csv(data), "text/csv")
    assert r.status == 422, r.body
    assert set(r.body["error"]["fields"]) == {"rows.5", "rows.11"}
    assert "与第10行重复" in r.body["error"]["fields"]["rows.11"][0]
    assert files_of(server, t["supervisor"]) == 0

    r = upload(server, t["clerk"], as_csv(rows(120)), "text/csv")
    assert r.status == 201, r.body
    assert r.body == {"imported": 120}
    r = server.call("GET", "/api/v1/cases?procedure=case_file_self_review&limit=1", t["clerk"])
    [first] = r.body["items"]
    assert first["data"] == {"case_number": "秀山市监罚〔2025〕1号", "case_type": "penalty", "handler": "张三"}
    assert [d["due_date"] for d in first["deadlines"]] == ["2025-10-30"]
    # Importing the same file again refuses every row: all are registered already.
    r = upload(server, t["clerk"], as_csv(rows(120)), "text/csv")
    assert r.status == 422 and len(r.body["error"]["fields"]) == 120


def test_xlsx_import_and_the_self_review_rate(server: Server):
    t = make_tokens(server.database_url, clerk=("clerk", "gaj"), other=("clerk", "scjgj"),
                    supervisor=("supervisor", None))
    book = Workbook()
    for row in [HEADER, *rows(4, "gaj")]:
        book.active.append(row)
    buf = io.BytesIO()
    book.save(buf)
    r = upload(server, t["clerk"], buf.getvalue(), XLSX)
    assert r.status == 201, r.body
    ids = [c["id"] for c in server.call("GET", "/api/v1/cases?procedure=case_file_self_review", t["clerk"]).body["items"]]
    fire(server, t["clerk"], ids[0], "self_review", {"deductions": {}}, "2025-10-10T09:00:00+08:00")
    fire(server, t["clerk"], ids[1], "self_review", {"deductions": {}}, "2025-10-11T09:00:00+08:00")
    server.tick("2025-10-31T00:00:01+08:00")  # the other two lapse
    fire(server, t["clerk"], ids[2], "self_review", {"deductions": {}}, "2025-11-03T09:00:00+08:00")
    r = server.call("GET", "/api/v1/case-files/self-review-rates?year=2025", t["clerk"])
    assert r.status == 200, r.body
    assert r.body == [{"agency": "gaj", "agency_name": "县公安局", "year": 2025, "closed": 4, "due": 4,
                       "reviewed": 3, "reviewed_late": 1, "overdue": 1, "pending": 0, "rate": "75.00"}]
    assert server.call("GET", "/api/v1/case-files/self-review-rates?year=2025&agency=gaj", t["other"]).status == 403
    assert server.call("GET", "/api/v1/case-files/self-review-rates?year=2024", t["supervisor"]).body == []
