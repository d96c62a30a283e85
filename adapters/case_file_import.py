"""Bulk registration of closed case files for self-review (art. 24) from a spreadsheet (CSV or XLSX).

The whole file is checked first; a file with any bad row is refused with every bad row named by its
row number (the header is row 1) and reason, and nothing is imported. A good file is imported in one
transaction through `xsflow.bulk.open_cases_in` (COPY on PostgreSQL): every row becomes a
`case_file_self_review` case, or (should anything fail on the way, say a concurrent registration of
the same case number) none does, and the refusal names the spreadsheet's row.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from xsflow.access import Actor, check_may_open
from xsflow.calendar import SHANGHAI, local_date
from xsflow.bulk import NewCase, open_cases_in
from xsflow.errors import BadRequest, Forbidden, InvalidPayload, NotFound, XsflowError
from xsflow.payloads import parse_day
from xsflow.store.schema import agencies, cases
from xsflow.system import Xsflow
from workflows.case_file_self_review import CASE_TYPES

PROCEDURE = "case_file_self_review"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_ROWS = 20000

# Column headers, in Chinese as the agencies' spreadsheets have them, or as the data's field names.
COLUMNS = {
    "案号": "case_number", "执法机关代码": "agency", "案件名称": "title", "案件类型": "case_type",
    "办结日期": "closed_on", "办案人员": "handler",
}
REQUIRED = ("case_number", "agency", "title", "case_type", "closed_on", "handler")
MAX_REPORTED = 200  # a file with more bad rows names the first ones and counts the rest


def psycopg_unique_violation() -> type[Exception]:
    """The error COPY raises (on the driver's own cursor, so not wrapped by SQLAlchemy) for a taken key."""
    try:
        from psycopg.errors import UniqueViolation
    except ImportError:  # SQLite only: the write lock leaves no race
        return IntegrityError
    return UniqueViolation


def read_rows(content: bytes, content_type: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {field: text}) for every non-empty row under the header row."""
    if content_type.split(";")[0].strip() == XLSX:
        rows = _xlsx_rows(content)
    elif content_type.split(";")[0].strip() in ("text/csv", "application/csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise BadRequest("CSV 文件应为 UTF-8 编码（Excel 另存为“CSV UTF-8”）。") from None
        rows = _csv_rows(text)
    else:
        raise BadRequest(f"导入文件的类型应为 text/csv 或 {XLSX}。")
    header: list[str] | None = None
    for number, values in enumerate(rows, start=1):
        cells = ["" if v is None else (v.isoformat() if isinstance(v, (date, datetime)) else str(v)).strip()
                 for v in values]
        if header is None:
            header = [COLUMNS.get(c, c) for c in cells]
            missing = [c for c in REQUIRED if c not in header]
            if missing:
                names = {v: k for k, v in COLUMNS.items()}
                raise BadRequest("第1行（表头）缺少列：" + "、".join(f"{names[c]}（{c}）" for c in missing) + "。")
            continue
        if any(cells):
            yield number, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header) if h in REQUIRED}


def _csv_rows(text: str) -> Iterator[list[str]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        yield from reader
    except csv.Error as err:  # e.g. a stray carriage return inside a field
        raise BadRequest(f"CSV 文件第{reader.line_num}行格式有误（{err}）：请用 Excel 另存为“CSV UTF-8”后重新导入。") from None


def _xlsx_rows(content: bytes) -> Iterable[tuple[Any, ...]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a file that is not a workbook
        raise BadRequest("无法读取 XLSX 文件：文件已损坏或不是 Excel 工作簿。") from None
    return book.worksheets[0].iter_rows(values_only=True)


def _closing(text: str, today: date) -> tuple[datetime | None, str | None]:
    try:
        day = parse_day(text[:10])
    except ValidationError:
        return None, f"办结日期“{text}”应为 2000 至 2099 年间的日期，格式 YYYY-MM-DD。"
    if day > today:
        return None, f"办结日期{day:%Y年%-m月%-d日}晚于今天：只能登记已办结的案卷。"
    return datetime.combine(day, time(0, 0), SHANGHAI), None


def check_rows(x: Xsflow, actor: Actor, rows: list[tuple[int, dict[str, str]]]) -> list[tuple[int, dict[str, Any]]]:
    """The rows ready to open, or InvalidPayload naming every bad row; reads, never writes."""
    proc = x.registry.versions(PROCEDURE)[-1]
    schema = proc.data()
    types = {title: code for code, title in CASE_TYPES.items()}  # 行政处罚 or penalty
    numbers = [r["case_number"] for _, r in rows]
    today = local_date(x.clock.now())
    with x.db.read() as conn:
        known = set(conn.execute(select(agencies.c.code)).scalars())
        taken = set()
        for i in range(0, len(numbers), 500):
            taken |= set(conn.execute(select(cases.c.correlation_key).where(
                cases.c.procedure == PROCEDURE, cases.c.correlation_key.in_(numbers[i:i + 500]))).scalars())
    problems: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    ready = []
    for number, row in rows:
        reasons = [f"缺少{name}。" for name, field in COLUMNS.items() if field in REQUIRED and not row.get(field)]
        data = {"case_number": row["case_number"], "case_type": types.get(row["case_type"], row["case_type"]),
                "handler": row["handler"]}
        try:
            data = schema.dump(schema.load(data))
        except ValidationError as err:
            reasons += [f"{k}：{'；'.join(v) if isinstance(v, list) else v}" for k, v in err.messages.items()
                        if row.get(k)]
        if row["agency"] and row["agency"] not in known:
            reasons.append(f"没有代码为“{row['agency']}”的单位。")
        elif row["agency"]:
            try:
                check_may_open(actor, proc, row["agency"])
            except XsflowError as err:
                reasons.append(err.message)
        occurred, wrong = _closing(row["closed_on"], today) if row["closed_on"] else (None, None)
        reasons += [wrong] if wrong else []
        if row["case_number"] in taken:
            reasons.append(f"案号“{row['case_number']}”已登记过，不能重复登记。")
        elif row["case_number"] in first_row:
            reasons.append(f"案号“{row['case_number']}”与第{first_row[row['case_number']]}行重复。")
        first_row.setdefault(row["case_number"], number)
        if reasons:
            problems[f"rows.{number}"] = reasons
        else:
            ready.append((number, {"agency": row["agency"], "title": row["title"], "data": data, "occurred": occurred}))
    if problems:
        shown = dict(list(problems.items())[:MAX_REPORTED])
        more = len(problems) - len(shown)
        first = next(iter(problems))
        raise InvalidPayload(
            f"导入文件有{len(problems)}行有误，未导入任何案卷。第{first.split('.')[1]}行：{'；'.join(problems[first])}"
            + (f"（另有{more}行错误未列出）" if more else ""), shown)
    return ready


def import_case_files(x: Xsflow, actor: Actor, content: bytes, content_type: str) -> dict[str, Any]:
    """Checks the whole file, then opens one self-review case per row in one transaction."""
    rows = list(read_rows(content, content_type))
    if not rows:
        raise BadRequest("导入文件没有数据行。")
    if len(rows) > MAX_ROWS:
        raise BadRequest(f"一次最多导入 {MAX_ROWS} 行，本文件有 {len(rows)} 行：请分批导入。")
    ready = check_rows(x, actor, rows)
    items = [NewCase(actor=actor, procedure=PROCEDURE, agency=row["agency"], title=row["title"], data=row["data"],
                     occurred_at=row["occurred"]) for _, row in ready]
    try:
        with x.db.write() as conn:
            open_cases_in(x.engine, conn, items, x.clock.now())
    except (InvalidPayload, Forbidden, NotFound) as err:  # the checks above passed: a change meanwhile
        raise _as_row(err, [number for number, _ in ready]) from None
    except (IntegrityError, psycopg_unique_violation()) as err:
        raise _registered_meanwhile(x, ready) from err
    return {"imported": len(ready)}


def _as_row(err: InvalidPayload | Forbidden | NotFound, numbers: list[int]) -> XsflowError:
    """A refusal of `open_cases_in`, which names the item (第 3 件, items[2].data.case_number), told by
    the spreadsheet's row number (第4行, rows.4)."""
    match = re.match(r"第 (\d+) 件：(.*)", err.message, re.S)
    if match is None:
        return err
    number = numbers[int(match.group(1)) - 1]
    message = f"第{number}行未能登记，未导入任何案卷：{match.group(2)}"
    if isinstance(err, InvalidPayload):
        return InvalidPayload(message, {f"rows.{number}": [m for v in (err.fields or {}).values() for m in v]})
    return type(err)(message, **err.details)


def _registered_meanwhile(x: Xsflow, ready: list[tuple[int, dict[str, Any]]]) -> InvalidPayload:
    """The unique key refused the batch: a case number was registered by someone else (the platform, a
    clerk) between the check and the write. Nothing was imported; the rows now taken are named."""
    by_number = {row["data"]["case_number"]: number for number, row in ready}
    taken: list[str] = []
    with x.db.read() as conn:
        numbers = list(by_number)
        for i in range(0, len(numbers), 500):
            taken += conn.execute(select(cases.c.correlation_key).where(
                cases.c.procedure == PROCEDURE, cases.c.correlation_key.in_(numbers[i:i + 500]))).scalars()
    rows = sorted(by_number[n] for n in taken if n in by_number)
    fields = {f"rows.{r}": ["该案号在导入过程中已由其他途径（如执法办案平台）登记，不能重复登记。"] for r in rows}
    if not rows:
        fields = {"file": ["导入过程中有案卷由其他途径同时登记，与本文件冲突。"]}
    first = f"第{rows[0]}行案号在导入过程中已由其他途径登记" if rows else "导入过程中有案卷由其他途径同时登记"
    return InvalidPayload(f"{first}，未导入任何案卷：请稍后重新导入，系统将指出重复的行。", fields)
