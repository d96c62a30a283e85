"""The year's assessment table as .xlsx for the coordination group: agencies × items, in constant memory."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from workflows.assessment import Standard
from xsflow.calendar import SHANGHAI
from xsflow.payloads import xml_safe

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SOURCE = {"computed": "计算", "entered": "录入"}


def header(standard: Standard) -> list[str]:
    cols = ["名次", "单位代码", "单位"]
    for item in standard.items:
        how = SOURCE["computed" if item.feeds else "entered"]
        cols += [f"{item.label} 次数（{how}）", f"{item.label} 扣分"]
    return [*cols, "合计扣分", "年度考核得分", "日常考核得分", "综合得分", "等级"]


def row_values(standard: Standard, row: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = [row["rank"], row["agency"], row["name"]]
    for item in standard.items:
        cell = row["items"].get(item.code, {})
        values += [cell.get("count", 0), float(cell.get("deduction", "0"))]
    return [*values, float(row["deducted"]), float(row["annual_score"]), float(row["daily_score"]),
            float(row["total"]), row["grade"]]


def write_table(standard: Standard, rows: Iterable[Mapping[str, Any]], run: Mapping[str, Any] | None, out) -> None:
    """A write-only workbook: each row goes to disk as it is appended, so memory stays constant."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    sheet = book.create_sheet("考核结果")
    sheet.freeze_panes = "D3"
    when = (f"计算时间：{run['computed_at'].astimezone(SHANGHAI):%Y-%m-%d %H:%M}（北京时间）" if run
            else "尚未计算")
    sheet.append([xml_safe(f"{standard.title}（{standard.file}）；{when}；折算：{standard.scale_source}")])
    cells = []
    for title in header(standard):
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([xml_safe(v) if isinstance(v, str) else v for v in row_values(standard, row)])
    book.save(out)
