"""逾期: every lapsed deadline and open incident the person may see, grouped by agency and
procedure, with a bar chart per agency and exports to .xlsx and CSV."""
from __future__ import annotations

import csv
import io
from urllib.parse import quote
from collections import Counter
from html import escape
from typing import Any

from flask import Response, render_template, request
from markupsafe import Markup

from xsflow import queries
from xsflow.calendar import local_date
from xsflow.payloads import xml_safe

from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import agency_names, all_pages
from .forms import whole_number
from .text import cn_date, cn_instant

KINDS = {"statutory": "法定期限", "service_level": "办理时限"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [("agency_name", "单位"), ("procedure_title", "程序"), ("case_id", "案件编号"), ("case_title", "案件名称"),
           ("state_title", "当前状态"), ("deadline_title", "期限"), ("kind_title", "类别"), ("due_text", "最后一日"),
           ("working_days_overdue", "逾期工作日"), ("basis", "依据"), ("provisional_text", "推定")]


def read_filters() -> dict[str, Any]:
    args = request.args
    return {"agency": args.get("agency") or None, "procedure": args.get("procedure") or None,
            "kind": args.get("kind") if args.get("kind") in KINDS else None,
            "min_days": whole_number(args.get("min_days", ""), "min_days")}


def overdue_items(filters: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """(lapsed deadlines, open incidents, agency names) for the signed-in person."""
    actor = current_actor()
    x = xs()
    now = x.clock.now()
    with x.db.read() as conn:
        calendar = x.calendars.current(conn)
        names = agency_names(conn)
        items = list(all_pages(lambda c: queries.overdue(
            conn, x.registry, calendar, actor, now=now, agency=filters["agency"], procedure=filters["procedure"],
            cursor=c, limit=200)))
        incidents = queries.open_incidents(conn, actor).items
    out = []
    for item in items:
        deadline = next(p.deadline(item["deadline"]) for p in x.registry.versions(item["procedure"])
                        if item["deadline"] in {d.name for d in p.deadlines})
        kind = "service_level" if deadline.service_level else "statutory"
        if filters["kind"] and kind != filters["kind"]:
            continue
        if filters["min_days"] is not None and item["working_days_overdue"] < filters["min_days"]:
            continue
        out.append({**item, "kind": kind, "kind_title": KINDS[kind],
                    "agency_name": names.get(item["agency"], item["agency"]),
                    "procedure_title": x.registry.versions(item["procedure"])[-1].title,
                    "due_text": cn_date(item["due_date"]), "provisional_text": "是" if item["provisional"] else ""})
    out.sort(key=lambda i: (i["agency_name"], i["procedure_title"], -i["working_days_overdue"], i["case_id"]))
    for incident in incidents:
        incident["created_text"] = cn_instant(incident["created_at"])
    return out, incidents, names


def grouped(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        g = groups.setdefault(item["agency"], {"agency": item["agency"], "name": item["agency_name"], "procedures": {}})
        g["procedures"].setdefault(item["procedure_title"], []).append(item)
    return list(groups.values())


def chart(items: list[dict[str, Any]]) -> Markup:
    """Overdue items per agency as horizontal bars (inline SVG; the table beside it has the numbers)."""
    counts = Counter(i["agency_name"] for i in items).most_common()
    if not counts:
        return Markup("")
    label_w, bar_w, row_h = 230, 420, 26
    most = counts[0][1]
    height = row_h * len(counts) + 8
    parts = [(f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {label_w + bar_w + 60} {height}" '
              f'width="{label_w + bar_w + 60}" height="{height}" role="img" aria-labelledby="chart-title">'
              '<title id="chart-title">各单位逾期事项数</title>')]
    for i, (name, n) in enumerate(counts):
        y = 4 + i * row_h
        w = max(2.0, bar_w * n / most)
        parts.append(f'<text class="chart-label" x="{label_w - 8}" y="{y + 17}" text-anchor="end">{escape(name)}</text>'
                     f'<rect class="chart-bar" x="{label_w}" y="{y + 4}" width="{w:.1f}" height="{row_h - 8}" rx="3"/>'
                     f'<text class="chart-value" x="{label_w + w + 6:.1f}" y="{y + 17}">{n}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


@web.route("/overdue")
@signed_in
def overdue():
    filters = read_filters()
    items, incidents, names = overdue_items(filters)
    x = xs()
    counts = Counter(i["agency_name"] for i in items).most_common()
    return render_template("web/overdue.html", items=items, groups=grouped(items), incidents=incidents,
                           names=names, filters=filters, kinds=KINDS, chart=chart(items), counts=counts,
                           procedures={p.name: p.title for p in x.registry.all()},
                           today=local_date(x.clock.now()), query=request.query_string.decode())


def export_rows(items: list[dict[str, Any]]) -> list[list[Any]]:
    return [[i[key] for key, _ in COLUMNS] for i in items]


# Case titles, agency names and the like are typed by clerks. A spreadsheet program runs a cell that
# starts with one of these as a formula (OWASP "CSV injection"), e.g. =HYPERLINK("http://evil","点击").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value: Any) -> bool:
    """Text Excel or WPS would evaluate; numbers are never text, so a negative number is left alone."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """CSV has no types: a leading ' makes the spreadsheet program show the field as text."""
    return "'" + value if looks_like_formula(value) else value


@web.route("/overdue/export.csv")
@signed_in
def overdue_csv():
    items, _, _ = overdue_items(read_filters())
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([title for _, title in COLUMNS])
    writer.writerows([csv_safe(v) for v in row] for row in export_rows(items))
    # A byte-order mark, so that spreadsheet programs read the Chinese as UTF-8.
    body = "\ufeff" + buffer.getvalue()
    return _download(body.encode("utf-8"), "text/csv", "csv")


@web.route("/overdue/export.xlsx")
@signed_in
def overdue_xlsx():
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    items, _, _ = overdue_items(read_filters())
    book = Workbook()
    sheet = book.active
    sheet.title = "逾期事项"
    sheet.append([title for _, title in COLUMNS])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for row in export_rows(items):
        # XML cannot hold control characters: a title stored with one must not stop the export.
        sheet.append([xml_safe(v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                # openpyxl makes any text starting with "=" a formula: store it as the text typed.
                cell.data_type = "s"
            if looks_like_formula(cell.value):
                # Excel's own mark for text typed with a leading ': it stays text when the cell is edited.
                cell.quotePrefix = True
    widths = {"单位": 26, "程序": 22, "案件编号": 10, "案件名称": 40, "当前状态": 14, "期限": 20, "类别": 10,
              "最后一日": 16, "逾期工作日": 12, "依据": 50, "推定": 6}
    for index, (_, title) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = widths.get(title, 14)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions
    out = io.BytesIO()
    book.save(out)
    return _download(out.getvalue(), XLSX, "xlsx")


def _download(content: bytes, mimetype: str, ext: str) -> Response:
    today = local_date(xs().clock.now()).isoformat()
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"overdue-{today}.{ext}\"; filename*=UTF-8''{quote(f'逾期事项-{today}.{ext}')}")
    return response
