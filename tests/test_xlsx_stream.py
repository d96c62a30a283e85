"""The streamed .xlsx (adapters/xlsx_stream.py): what a spreadsheet program reads back from it (openpyxl,
and LibreOffice Calc where installed), and that its first bytes leave before its last row is read."""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from itertools import count

import openpyxl
import pytest

from adapters.xlsx_stream import column_name, stream_xlsx

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
COLUMNS = [("单位", 26), ("案件编号", 10), ("案件名称", 40), ("逾期工作日", 12), ("推定", 6)]
ROWS = [("县市场监管局", 17, '=HYPERLINK("http://example.com","点击")', 3, "是"),
        ("县公安局", "18", "<关于&规范>的 \"通知\"", "0", None),
        ("县'司法局", 19, " 前后有空格 ", 12, ""),
        ("控制\x07字符", 20, "-1 号文", 1, "是")]


def workbook(rows, **kwargs) -> bytes:
    return b"".join(stream_xlsx("逾期事项", COLUMNS, rows, numeric=frozenset({1, 3}), **kwargs))


def test_column_names_run_past_z():
    assert [column_name(i) for i in (0, 10, 25, 26, 27, 51, 52, 701, 702)] == [
        "A", "K", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]


def test_openpyxl_reads_the_cells_styles_and_layout_written():
    """Numbers are numbers, text is text (a formula-like one with Excel's quote prefix), an empty value
    leaves its cell empty without shifting the next, XML's special characters and spaces survive, a
    control character becomes U+FFFD; the header is bold and frozen, widths set, the autofilter spans the rows."""
    book = openpyxl.load_workbook(io.BytesIO(workbook(ROWS)))
    sheet = book["逾期事项"]
    values = list(sheet.values)
    assert values[0] == tuple(title for title, _ in COLUMNS)
    assert values[1:] == [("县市场监管局", 17, '=HYPERLINK("http://example.com","点击")', 3, "是"),
                          ("县公安局", 18, "<关于&规范>的 \"通知\"", 0, None),
                          ("县'司法局", 19, " 前后有空格 ", 12, None),
                          ("控制\ufffd字符", 20, "-1 号文", 1, "是")]
    assert [c.data_type for c in sheet[2]] == ["s", "n", "s", "n", "s"]
    assert [c.quotePrefix for c in sheet["C"][1:]] == [True, False, False, True]
    assert all(c.font.b for c in sheet[1]) and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["C"].width == 40
    assert sheet.auto_filter.ref == "A1:E5"


def test_an_empty_export_is_a_header_alone():
    sheet = openpyxl.load_workbook(io.BytesIO(workbook([]))).active
    assert list(sheet.values) == [tuple(title for title, _ in COLUMNS)]


def test_the_first_bytes_leave_before_the_last_row_is_read():
    """60,000 rows: the first chunk is handed on after a small part of them (the browser starts the
    download at once), and the workbook holds them all."""
    taken = count()

    def rows():
        for i in range(60_000):
            next(taken)
            yield ("县公安局", i, f"案件{i}", i % 30, None)

    chunks = stream_xlsx("逾期事项", COLUMNS, rows(), numeric=frozenset({1, 3}))
    first = next(chunks)
    read_before_first = next(taken)
    rest = b"".join(chunks)
    assert first.startswith(b"PK") and read_before_first < 30_000
    sheet = openpyxl.load_workbook(io.BytesIO(first + rest), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows(min_row=2)) == 60_000


@pytest.mark.skipif(not SOFFICE, reason="needs LibreOffice Calc (Debian package libreoffice-calc-nogui)")
def test_libreoffice_calc_opens_the_workbook(tmp_path):
    """LibreOffice Calc, a real spreadsheet program, converts the workbook to CSV with every value in place."""
    path = tmp_path / "overdue.xlsx"
    path.write_bytes(workbook(ROWS))
    done = subprocess.run([SOFFICE, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile",
                           "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir", str(tmp_path),
                           str(path)], capture_output=True, text=True, timeout=180)
    converted = tmp_path / "overdue.csv"
    if not converted.exists() and "no export filter" in (done.stdout + done.stderr).lower():
        pytest.skip("LibreOffice Calc is not installed (Debian package libreoffice-calc-nogui)")
    rows = list(csv.reader(io.StringIO(converted.read_text(encoding="utf-8"))))
    assert rows[0] == [title for title, _ in COLUMNS]
    assert rows[1] == ["县市场监管局", "17", '=HYPERLINK("http://example.com","点击")', "3", "是"]
    assert rows[2] == ["县公安局", "18", "<关于&规范>的 \"通知\"", "0", ""]
    assert rows[3][2] == " 前后有空格 " and rows[4][:3] == ["控制\ufffd字符", "20", "-1 号文"]
