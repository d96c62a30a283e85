"""逾期: the summary of lapsed deadlines the person may see (counts per agency × procedure ×
days-overdue band, from one aggregate query, with a bar chart per agency), the first page of rows
grouped by agency and procedure, and exports streamed to CSV and .xlsx (their rows written by PostgreSQL's
COPY where it runs, read one by one on SQLite)."""
from __future__ import annotations

import codecs
import csv
import io
from collections import Counter
from collections.abc import Iterator
from html import escape
from itertools import chain, islice
from typing import Any
from urllib.parse import quote, urlencode

from flask import Response, current_app, flash, redirect, render_template, request, stream_with_context, url_for
from markupsafe import Markup

from xsflow import overdue as core
from xsflow import queries
from xsflow.calendar import local_date
from xsflow.errors import BadRequest
from xsflow.json_views import day
from xsflow.payloads import xml_safe
from xsflow.store.copy_out import copies_csv, copy_csv, snapshot

from .. import overdue_bands
from ..xlsx_stream import FORMULA_STARTS, stream_xlsx
from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import agency_names
from .dates import DATE_HINT, parse_form_date
from .forms import whole_number
from .text import cn_date, cn_instant

KINDS = {"statutory": "法定期限", "service_level": "办理时限"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
COLUMNS = [("agency_name", "单位"), ("procedure_title", "程序"), ("case_id", "案件编号"), ("case_title", "案件名称"),
           ("state_title", "当前状态"), ("deadline_title", "期限"), ("kind_title", "类别"), ("due_text", "最后一日"),
           ("working_days_overdue", "逾期工作日"), ("basis", "依据"), ("provisional_text", "推定")]
PAGE_SIZE = 100
FILTER_NAMES = ("agency", "procedure", "kind", "min_days", "band", "due_from", "due_to")


def _form_date(name: str, title: str):
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_form_date(raw)
    except ValueError:
        raise BadRequest(f"{title}的日期格式有误（{DATE_HINT}），收到的是“{raw[:20]}”。") from None


def read_filters() -> dict[str, Any]:
    args = request.args
    kind = args.get("kind") if args.get("kind") in KINDS else None
    return {"agency": args.get("agency") or None, "procedure": args.get("procedure") or None, "kind": kind,
            "min_days": whole_number(args.get("min_days", ""), "min_days"), "band": args.get("band") or None,
            "due_from": _form_date("due_from", "最后一日起"), "due_to": _form_date("due_to", "最后一日止")}


def core_filters(filters: dict[str, Any]) -> core.Filters:
    return core.Filters(agency=filters["agency"], procedure=filters["procedure"], band=filters["band"],
                        due_from=filters["due_from"], due_to=filters["due_to"], min_days=filters["min_days"],
                        service_level=None if filters["kind"] is None else filters["kind"] == "service_level")


class Labels:
    """Names a person reads for the codes a row holds."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.procedures = {p.name: p.title for p in xs().registry.all()}

    def row(self, item: dict[str, Any]) -> dict[str, Any]:
        kind = "service_level" if item["service_level"] else "statutory"
        return {**item, "kind": kind, "kind_title": KINDS[kind], "agency_name": self.names.get(item["agency"], item["agency"]),
                "procedure_title": self.procedures.get(item["procedure"], item["procedure"]),
                "due_text": cn_date(item["due_date"]), "provisional_text": "是" if item["provisional"] else ""}


def grouped(items: list[dict[str, Any]], counts: Counter) -> list[dict[str, Any]]:
    """A page's rows by agency and procedure; `counts` gives each group's total over every page."""
    groups: dict[str, dict[str, Any]] = {}
    for item in items:
        g = groups.setdefault(item["agency"], {"agency": item["agency"], "name": item["agency_name"], "procedures": {}})
        p = g["procedures"].setdefault(item["procedure"], {"title": item["procedure_title"], "rows": [],
                                                            "total": counts[item["agency"], item["procedure"]]})
        p["rows"].append(item)
    return list(groups.values())


CHART_AGENCIES = 30  # a city holds hundreds of agencies: the page stays one screen's worth (issue 14)


def top_agencies(per_agency: Counter, most: int = CHART_AGENCIES) -> list[tuple[str, int]]:
    """The agencies with the most overdue items, most first; the others summed in one row (their
    own figures are one filter away: 单位)."""
    counts = per_agency.most_common()
    if len(counts) <= most:
        return counts
    rest = counts[most:]
    return [*counts[:most], (f"其余 {len(rest)} 个单位", sum(n for _, n in rest))]


def chart(counts: list[tuple[str, int]]) -> Markup:
    """Overdue items per agency as horizontal bars (inline SVG; the table beside it has the numbers)."""
    if not counts:
        return Markup("")
    label_w, bar_w, row_h = 230, 420, 26
    most = max(n for _, n in counts)
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
    actor, x = current_actor(), xs()
    now = x.clock.now()
    with x.db.read() as conn:
        calendar = x.calendars.current(conn)
        labels = Labels(agency_names(conn))
        bands = overdue_bands.bands(calendar, now)
        # The chart (per agency) and the bands from the summary; the group totals (per agency and
        # procedure) only for the agencies this page shows (counted per procedure for the whole city,
        # the summary took 0.24 s at a million cases, three times as long).
        summary = core.summary(conn, actor, now=now, filters=core_filters(filters), bands=bands)
        page = core.page(conn, x.registry, calendar, actor, now=now, filters=core_filters(filters), bands=bands,
                         order="grouped", cursor=request.args.get("cursor") or None, limit=PAGE_SIZE)
        shown = sorted({i["agency"] for i in page.items})
        groups = core.summary(conn, actor, now=now, filters=core_filters(filters), bands=bands, by=core.BY_PROCEDURE,
                              within=shown)["items"] if shown else []
        incidents = queries.open_incidents(conn, actor).items
    for incident in incidents:
        incident["created_text"] = cn_instant(incident["created_at"])
    items = [labels.row(i) for i in page.items]
    per_agency: Counter = Counter()
    per_group: Counter = Counter()
    for c in summary["items"]:
        per_agency[labels.names.get(c["agency"], c["agency"])] += c["count"]
    for c in groups:
        per_group[c["agency"], c["procedure"]] += c["count"]
    counts = top_agencies(per_agency)
    query = {k: v for k, v in request.args.items() if k in FILTER_NAMES and v}
    next_url = url_for("web.overdue", **query, cursor=page.next) if page.next else None
    return render_template("web/overdue.html", items=items, groups=grouped(items, per_group), incidents=incidents,
                           names=labels.names, filters=filters, kinds=KINDS, chart=chart(counts), counts=counts,
                           total=summary["total"], bands=[(b["band"], b["title"], b["count"]) for b in summary["bands"]],
                           procedures=labels.procedures, today=local_date(now), next_url=next_url,
                           first_page=not request.args.get("cursor"), query=urlencode(query))


# Case titles, agency names and the like are typed by clerks. A spreadsheet program runs a cell that
# starts with one of FORMULA_STARTS as a formula (OWASP "CSV injection"), e.g. =HYPERLINK("http://evil","点击").
def looks_like_formula(value: Any) -> bool:
    """Text Excel or WPS would evaluate; numbers are never text, so a negative number is left alone."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """CSV has no types: a leading ' makes the spreadsheet program show the field as text."""
    return "'" + value if looks_like_formula(value) else value


def export_rows(filters: dict[str, Any], safe: Any = None) -> Iterator[tuple[Any, ...]]:
    """The export's rows in COLUMNS' order, read from a server-side cursor as they are written: memory
    stays flat. `safe` (csv_safe for CSV) is applied to every text: once per distinct label (agency,
    procedure, state, deadline, basis), per row only to the case title."""
    actor, x = current_actor(), xs()
    now = x.clock.now()
    with x.db.read() as conn:
        calendar = x.calendars.current(conn)
        labels = Labels(agency_names(conn))
        safe = safe or (lambda value: value)
        text: dict[Any, Any] = {}  # label → as written
        agency_text: dict[str, Any] = {}
        procedure_text: dict[str, Any] = {}
        due_text: dict[Any, str] = {}
        kinds = (safe(KINDS["statutory"]), safe(KINDS["service_level"]))
        provisional_text = (safe(""), safe("是"))
        for (case_id, agency, procedure, title, state_title, deadline_title, due, days, provisional, service_level,
             basis) in core.stream_tuples(conn, x.registry, calendar, actor, now=now, filters=core_filters(filters),
                                          bands=overdue_bands.bands(calendar, now)):
            a = agency_text.get(agency)
            if a is None:
                a = agency_text[agency] = safe(labels.names.get(agency, agency))
            p = procedure_text.get(procedure)
            if p is None:
                p = procedure_text[procedure] = safe(labels.procedures.get(procedure, procedure))
            s = text.get(state_title)
            if s is None:
                s = text[state_title] = safe(state_title)
            d = text.get(deadline_title)
            if d is None:
                d = text[deadline_title] = safe(deadline_title)
            b = text.get(basis)
            if b is None:
                b = text[basis] = safe(basis)
            due_shown = due_text.get(due)
            if due_shown is None:
                due_shown = due_text[due] = safe(cn_date(day(due)))
            yield (a, p, case_id, safe(title), s, d, kinds[service_level], due_shown, days, b,
                   provisional_text[provisional])


def export_total(filters: dict[str, Any]) -> int:
    actor, x = current_actor(), xs()
    now = x.clock.now()
    with x.db.read() as conn:
        bands = overdue_bands.bands(x.calendars.current(conn), now)
        return core.summary(conn, actor, now=now, filters=core_filters(filters), bands=bands)["total"]


CSV_CHUNK_ROWS = 2000


def csv_lines(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    """The CSV text of rows already made safe (export_rows(..., csv_safe)), some thousand rows per chunk;
    a byte-order mark first, so spreadsheet programs read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")  # as PostgreSQL's COPY ends a line (copied_csv)
    buffer.write("\ufeff")
    writer.writerow([title for _, title in COLUMNS])
    while True:
        before = buffer.tell()
        writer.writerows(islice(rows, CSV_CHUNK_ROWS))
        if buffer.tell() == before:
            break
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


def copied(filters: dict[str, Any], formula_starts: tuple[str, ...]) -> Iterator[bytes] | None:
    """The export's rows as CSV written by PostgreSQL (COPY): the fields export_rows gives, text a
    spreadsheet would run marked with a leading ' when `formula_starts` names its starts; None where the
    database cannot write them (SQLite). The statement is built here, run when the first chunk is asked for."""
    actor, x = current_actor(), xs()
    now = x.clock.now()
    with x.db.read() as conn:
        if not copies_csv(conn):
            return None
        calendar = x.calendars.current(conn)
        words = core.ExportWords(procedures={p.name: p.title for p in x.registry.all()},
                                 kinds=(KINDS["statutory"], KINDS["service_level"]), provisional=("", "是"),
                                 date=cn_date, formula_starts=formula_starts)
        stmt = core.export_select(x.registry, calendar, actor, now=now, filters=core_filters(filters),
                                  bands=overdue_bands.bands(calendar, now), words=words)

    def chunks() -> Iterator[bytes]:
        with x.db.read() as conn:
            snapshot(conn)
            for part in core.export_parts(conn, stmt):  # the first rows leave before the others are sorted
                yield from copy_csv(conn, part)

    return chunks()


def csv_rows(chunks: Iterator[bytes]) -> Iterator[list[str]]:
    """The rows of CSV text arriving in chunks (a chunk may end inside a line)."""
    def lines() -> Iterator[str]:
        rest = ""
        for text in codecs.iterdecode(chunks, "utf-8"):
            *complete, rest = (rest + text).split("\n")
            for line in complete:
                yield line + "\n"
        if rest:
            yield rest
    return csv.reader(lines())


def csv_header() -> bytes:
    header = io.StringIO()
    csv.writer(header, lineterminator="\n").writerow([title for _, title in COLUMNS])
    return ("\ufeff" + header.getvalue()).encode("utf-8")


@web.route("/overdue/export.csv")
@signed_in
def overdue_csv():
    filters = read_filters()
    copy = copied(filters, FORMULA_STARTS)
    body = (chain([csv_header()], copy) if copy is not None
            else (chunk.encode("utf-8") for chunk in csv_lines(export_rows(filters, csv_safe))))
    return _download(stream_with_context(body), "text/csv", "csv")


XLSX_WIDTHS = {"单位": 26, "程序": 22, "案件编号": 10, "案件名称": 40, "当前状态": 14, "期限": 20, "类别": 10,
               "最后一日": 16, "逾期工作日": 12, "依据": 50, "推定": 6}
XLSX_NUMBERS = frozenset(i for i, (name, _) in enumerate(COLUMNS) if name in ("case_id", "working_days_overdue"))


def _xlsx_cell(sheet, value: Any, cell_type) -> Any:
    """An openpyxl write-only cell for `value` (the case-file exports): text stays text, a formula-like one quoted."""
    if not isinstance(value, str):
        return value
    # XML cannot hold control characters: a title stored with one must not stop the export.
    cell = cell_type(sheet, value=xml_safe(value))
    # openpyxl makes any text starting with "=" a formula: store it as the text typed.
    cell.data_type = "s"
    if looks_like_formula(value):
        # Excel's own mark for text typed with a leading ': it stays text when the cell is edited.
        cell.quotePrefix = True
    return cell


@web.route("/overdue/export.xlsx")
@signed_in
def overdue_xlsx():
    filters = read_filters()
    try:
        core.check_xlsx(export_total(filters), current_app.config.get("XSFLOW_XLSX_MAX_ROWS", core.XLSX_MAX_ROWS))
    except BadRequest as refused:
        flash(refused.message, "error")
        return redirect(url_for("web.overdue", **{k: v for k, v in request.args.items() if k in FILTER_NAMES}))
    # Streamed as it is written (the browser shows the download growing); text a spreadsheet would run
    # is marked by the cell's quote prefix, not a leading ', so the rows come unmarked.
    copy = copied(filters, ())
    rows = csv_rows(copy) if copy is not None else export_rows(filters)
    columns = [(title, XLSX_WIDTHS.get(title, 14)) for _, title in COLUMNS]
    body = stream_xlsx("逾期事项", columns, rows, numeric=XLSX_NUMBERS)
    return _download(stream_with_context(body), XLSX, "xlsx")


def _download(content: Any, mimetype: str, ext: str) -> Response:
    today = local_date(xs().clock.now()).isoformat()
    response = content if isinstance(content, Response) else Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"overdue-{today}.{ext}\"; filename*=UTF-8''{quote(f'逾期事项-{today}.{ext}')}")
    return response
