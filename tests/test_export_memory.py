"""Overdue exports at scale through a real `xsflow serve`: the streamed CSV holds as many rows as the
aggregate counts, and the server's memory stays flat from 2,000 to 20,000 rows exported; an XLSX
export beyond the sheet's row limit tells the user, in Chinese, to use CSV or a filter."""
from __future__ import annotations

import http.client
import io
import os
import re
from datetime import datetime, timezone
from urllib.parse import urlencode

import openpyxl
import pytest

from adapters.compose import open_system
from adapters.http import create_app
from tests.conftest import at, start_server
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.clock import FixedClock
from xsflow.users import create_user

SMALL, LARGE = "scjgj", "gaj"
PASSWORD = "Export-memory-2026!"


def seed_overdue(url: str, small: int, large: int) -> None:
    """`small` + `large` legality reviews opened in March 2025: their review periods lapsed long ago."""
    x = open_system(url, clock=FixedClock(datetime(2025, 6, 2, 2, 0, tzinfo=timezone.utc)))
    x.init()
    items = [NewCase(Actor(f"{a}经办人", "clerk", a), "legality_review", a, f"送审稿{i}",
                     occurred_at=at("2025-03-03T09:00:00+08:00"))
             for i, a in enumerate([SMALL] * small + [LARGE] * large)]
    for start in range(0, len(items), 5000):
        open_cases(x.engine, items[start:start + 5000])
    with x.db.write() as conn:
        create_user(conn, username="supervisor", display_name="监督员", role="supervisor", agency=None,
                    password=PASSWORD, now=x.clock.now())
    x.db.dispose()


def sign_in(port: int) -> tuple[http.client.HTTPConnection, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    conn.request("GET", "/login")
    r = conn.getresponse()
    page = r.read().decode()
    cookie = r.getheader("Set-Cookie", "").split(";")[0]
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    conn.request("POST", "/login", body=urlencode({"username": "supervisor", "password": PASSWORD,
                                                   "csrf_token": csrf, "next": "/"}),
                 headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
    r = conn.getresponse()
    r.read()
    assert r.status == 302
    return conn, r.getheader("Set-Cookie", "").split(";")[0] or cookie


def peak_rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))


def worker_pid(arbiter: int) -> int:
    """The one gunicorn worker: the arbiter's child."""
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == arbiter:
                        return int(p)
            except (OSError, ValueError):
                continue
    raise LookupError("no gunicorn worker")


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_export_rows_equal_the_count_and_memory_stays_flat(db_url, tmp_path, kind):
    if kind == "xlsx" and db_url.startswith("sqlite"):
        pytest.skip("the .xlsx is streamed alike from both databases' rows; its memory is measured on PostgreSQL")
    """Exporting 2,000 then 20,000 overdue rows as CSV or as a streamed .xlsx from one real server worker
    (SQLite: rows read one by one; PostgreSQL: written by COPY): each file has as many rows as the
    summary counts, and the worker's peak resident memory grows by less than a fifth."""
    seed_overdue(db_url, 2_000, 18_000)
    server = start_server(db_url, tmp_path, workers=1)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        conn, cookie = sign_in(port)
        token = server.token("supervisor", "supervisor")
        worker = worker_pid(server.process.pid)

        def count(query: str) -> int:
            return server.call("GET", f"/api/v1/overdue/summary{query}", token).body["total"]

        def export(query: str) -> int:
            conn.request("GET", f"/overdue/export.{kind}{query}", headers={"Cookie": cookie})
            r = conn.getresponse()
            assert r.status == 200
            body = r.read()
            if kind == "csv":
                return body.decode("utf-8-sig").count("\n") - 1  # the header
            sheet = openpyxl.load_workbook(io.BytesIO(body), read_only=True).active
            return sum(1 for _ in sheet.iter_rows(min_row=2))

        conn.request("GET", "/overdue", headers={"Cookie": cookie})  # warm: templates, statements, calendar
        conn.getresponse().read()
        assert export(f"?agency={SMALL}") == count(f"?agency={SMALL}") == 2_000
        small = peak_rss_kib(worker)
        assert export("") == count("") == 20_000
        large = peak_rss_kib(worker)
        print(f"{kind}: peak RSS of the worker: {small / 1024:.0f} MiB after 2,000 rows, {large / 1024:.0f} MiB after 20,000"
              f" (ratio {large / small:.2f})")
        assert large / small <= 1.2, (small, large)
    finally:
        server.stop()


def test_xlsx_beyond_the_row_limit_says_use_csv_or_filter(system, clock):
    """Past the sheet's row limit (set low here), asking for the XLSX gives no file but the overdue page with a Chinese message naming CSV and the filters; under it, a workbook."""
    clock.move_to(at("2025-06-02T10:00:00+08:00"))
    open_cases(system.engine, [NewCase(Actor("经办人", "clerk", SMALL), "legality_review", SMALL, f"送审稿{i}",
                                       occurred_at=at("2025-03-03T09:00:00+08:00")) for i in range(3)])
    with system.db.write() as conn:
        create_user(conn, username="supervisor", display_name="监督员", role="supervisor", agency=None,
                    password=PASSWORD, now=clock.now())
    app = create_app(system)
    app.config["XSFLOW_XLSX_MAX_ROWS"] = 2
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": "supervisor", "password": PASSWORD, "csrf_token": csrf,
                                       "next": "/"}).status_code == 302
    refused = client.get("/overdue/export.xlsx", follow_redirects=True)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and refused.mimetype == "text/html"
    assert "共 3 项，超过 Excel 工作表的行数上限（2 行）" in text and "请改用 CSV 导出" in text and "筛选" in text
    app.config["XSFLOW_XLSX_MAX_ROWS"] = 3
    fits = client.get("/overdue/export.xlsx")
    assert fits.status_code == 200 and fits.data[:2] == b"PK"  # a zip: the workbook
