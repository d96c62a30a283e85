"""案卷评查 pages (issue #15): the agency's files due for self-review with the days left (art. 24), the
reviewer's scoring page (the year's sheet, with the running total; art. 26), and the bureau's campaign
page with the grade distribution per agency as a server-drawn chart and the export of all scores
(CSV streamed, XLSX written in constant memory; art. 26–27). Also the links between a file, the
campaign and the art. 28 supervision case, shown on each case page."""
from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Iterator
from datetime import date
from html import escape
from typing import Any
from urllib.parse import quote

from flask import Response, flash, redirect, render_template, request, send_file, stream_with_context, url_for
from markupsafe import Markup
from sqlalchemy import func, select, tuple_

from workflows.case_file_evaluation import MEMBER_ROLES, evaluated_per_agency, items_deducted
from workflows.case_file_self_review import CASE_TYPES, SELF_REVIEW_DAYS
from workflows.case_file_sheet import MissingSheet, current_sheet, sheet_for
from xsflow import queries
from xsflow.calendar import local_date
from xsflow.correlation import visible
from xsflow.errors import BadRequest, InvalidPayload, NotFound, TriggerNotAllowed, VersionConflict
from xsflow.store.schema import cases, deadlines

from ..case_file_rates import self_review_rates
from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import agency_names
from .forms import whole_number
from .overdue import _xlsx_cell, csv_safe
from .text import cn_date

SELF_REVIEW = "case_file_self_review"
CAMPAIGN = "case_file_evaluation"
SUPERVISION = "case_supervision"
OPEN_STATES = ("awaiting_self_review", "self_review_overdue")
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
GRADE_COLOURS = {"优秀": "#2e7d32", "良好": "#1565c0", "合格": "#f9a825", "不合格": "#c62828"}


# --- the agency's files due for self-review ----------------------------------------------------------


def _cursor(raw: str | None) -> tuple[date, int] | None:
    if not raw:
        return None
    try:
        day, _, case_id = raw.partition("~")
        return date.fromisoformat(day), int(case_id)
    except ValueError:
        raise BadRequest("翻页参数 cursor 有误：请从列表第一页重新打开。") from None


@web.route("/case-files/self-review")
@signed_in
def self_review_list():
    """Files closed and not yet self-reviewed, the nearest last day first; keyset pages with a total."""
    actor, x = current_actor(), xs()
    today = local_date(x.clock.now())
    agency = actor.agency if not actor.county_wide else (request.args.get("agency") or None)
    after = _cursor(request.args.get("cursor"))
    where = [cases.c.procedure == SELF_REVIEW, cases.c.state.in_(OPEN_STATES), deadlines.c.name == "self_review"]
    if agency:
        where.append(cases.c.agency_code == agency)
    joined = cases.join(deadlines, deadlines.c.case_id == cases.c.id)
    with x.db.read() as conn:
        names = agency_names(conn)
        total = conn.execute(select(func.count()).select_from(joined).where(*where)).scalar_one()
        overdue = conn.execute(select(func.count()).select_from(joined).where(
            *where, cases.c.state == "self_review_overdue")).scalar_one()
        query = (select(cases.c.id, cases.c.title, cases.c.agency_code, cases.c.state, cases.c.data,
                        cases.c.opened_at, deadlines.c.due_date)
                 .select_from(joined).where(*where)
                 .order_by(deadlines.c.due_date, cases.c.id).limit(PAGE_SIZE + 1))
        if after:
            query = query.where(tuple_(deadlines.c.due_date, cases.c.id) > tuple_(*after))
        rows = conn.execute(query).all()
        rates = self_review_rates(conn, actor, year=today.year, agency=agency) if (agency or actor.county_wide) else []
    items = []
    for r in rows[:PAGE_SIZE]:
        left = (r.due_date - today).days
        items.append({"id": r.id, "title": r.title, "number": r.data.get("case_number", ""),
                      "type": CASE_TYPES.get(r.data.get("case_type"), ""), "agency": names.get(r.agency_code, r.agency_code),
                      "closed_on": cn_date(local_date(r.opened_at)), "due": cn_date(r.due_date, weekday=True),
                      "left": left, "overdue": r.state == "self_review_overdue",
                      "left_text": (f"剩 {left} 天" if left > 0 else "今天是最后一日" if left == 0 else f"已逾期 {-left} 天")})
    next_url = None
    if len(rows) > PAGE_SIZE:
        last = rows[PAGE_SIZE - 1]
        next_url = url_for("web.self_review_list", cursor=f"{last.due_date.isoformat()}~{last.id}",
                           **({"agency": agency} if agency and actor.county_wide else {}))
    return render_template("web/case_files.html", items=items, files_total=total, overdue=overdue, today=today,
                           agency=agency, names=names, days=SELF_REVIEW_DAYS, next_url=next_url,
                           first_page=after is None, rates=rates, year=today.year)


# --- the campaign page -------------------------------------------------------------------------------


def _campaign(case_id: int) -> dict[str, Any]:
    actor, x = current_actor(), xs()
    with x.db.read() as conn:
        case = queries.get_case(x.engine, conn, actor, case_id)  # 403 for an agency's clerk
    if case["procedure"] != CAMPAIGN:
        raise NotFound(f"案件 {case_id} 不是行政执法案卷集中评查。")
    return case


def grade_chart(rows: list[dict[str, Any]], grades: list[str]) -> Markup:
    """Files per grade per agency as stacked horizontal bars (inline SVG; the table beside has the numbers)."""
    if not rows:
        return Markup("")
    label_w, bar_w, row_h, legend_h = 200, 440, 28, 30
    most = max(r["files"] for r in rows) or 1
    height = legend_h + row_h * len(rows) + 8
    width = label_w + bar_w + 50
    parts = [f'<svg class="chart grade-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="{width}" height="{height}" role="img" aria-labelledby="grade-chart-title">'
             '<title id="grade-chart-title">各单位被评查案卷的等次分布</title>']
    x = label_w
    for g in grades:  # the legend
        parts.append(f'<rect x="{x}" y="6" width="14" height="14" fill="{GRADE_COLOURS.get(g, "#777")}"/>'
                     f'<text class="chart-label" x="{x + 18}" y="18">{escape(g)}</text>')
        x += 30 + 14 * len(g)
    for i, r in enumerate(rows):
        y = legend_h + i * row_h
        parts.append(f'<text class="chart-label" x="{label_w - 8}" y="{y + 18}" text-anchor="end">{escape(r["name"])}</text>')
        x = float(label_w)
        for g in grades:
            n = r["grades"].get(g, 0)
            if not n:
                continue
            w = bar_w * n / most
            parts.append(f'<rect class="grade-bar" data-grade="{escape(g)}" x="{x:.1f}" y="{y + 4}" width="{w:.1f}" '
                         f'height="{row_h - 8}" fill="{GRADE_COLOURS.get(g, "#777")}"><title>{escape(r["name"])}：'
                         f'{escape(g)} {n} 件</title></rect>')
            if w >= 14:
                parts.append(f'<text class="chart-in" x="{x + w / 2:.1f}" y="{y + 18}" text-anchor="middle" '
                             f'fill="#fff" font-size="12">{n}</text>')
            x += w
        parts.append(f'<text class="chart-value" x="{x + 6:.1f}" y="{y + 18}">{r["files"]}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def distribution(data: dict[str, Any], grades: list[str]) -> list[dict[str, Any]]:
    """Per agency, the finally scored files per grade (so far)."""
    per: dict[str, dict[str, Any]] = {}
    for f in (data.get("files") or {}).values():
        row = per.setdefault(f["agency"], {"agency": f["agency"], "name": f["agency_name"], "files": 0, "drawn": 0,
                                           "grades": {g: 0 for g in grades}})
        row["drawn"] += 1
        if f.get("final"):
            row["files"] += 1
            row["grades"][f["final"]["grade"]] = row["grades"].get(f["final"]["grade"], 0) + 1
    return [per[k] for k in sorted(per)]


@web.route("/case-file-evaluations/<id:case_id>")
@signed_in
def campaign_page(case_id: int):
    case = _campaign(case_id)
    data = case["data"]
    try:
        sheet = sheet_for(int(data["year"]))
    except MissingSheet as missing:
        raise TriggerNotAllowed(str(missing)) from None
    grades = [g.name for g in sheet.grades]
    rows = distribution(data, grades)
    links = {link["key"]: link["case_id"] for link in data.get("linked_cases", [])}
    members = {m["member_id"]: m for m in data.get("members", [])}
    files = []
    for number in data.get("sample", []):
        f = data["files"][number]
        files.append({**f, "type": CASE_TYPES.get(f["case_type"], f["case_type"]),
                      "reviewer_names": "、".join(members.get(m, {}).get("name", m) for m in f["reviewers"]),
                      "read": len(f["readings"]), "supervision": links.get(f"案卷评查/{number}"),
                      "status_text": {"reading": "阅卷评分中", "collective": "待集体评议", "final": "已定分"}[f["status"]]})
    facts = evaluated_per_agency(data)
    return render_template("web/campaign.html", case=case, data=data, sheet=sheet, grades=grades, rows=rows,
                           chart=grade_chart([r for r in rows if r["files"]], grades), files=files, facts=facts,
                           members=[{**m, "role_title": MEMBER_ROLES.get(m["role"], m["role"])}
                                    for m in data.get("members", [])])


# --- the scoring page --------------------------------------------------------------------------------


def _scoring_context(case: dict[str, Any], number: str) -> dict[str, Any]:
    data = case["data"]
    f = (data.get("files") or {}).get(number)
    if f is None:
        raise NotFound(f"案卷“{number}”不在本次抽取的范围内。")
    sheet = sheet_for(int(data["year"]))
    members = {m["member_id"]: m for m in data.get("members", [])}
    open_for = [members[m] for m in f["reviewers"] if m not in f["readings"] and m in members]
    return {"case": case, "file": {**f, "type": CASE_TYPES.get(f["case_type"], f["case_type"])}, "sheet": sheet,
            "open_for": open_for, "members": members, "number": number}


def read_sheet_form(sheet, form: dict[str, Any]) -> tuple[dict[str, str], dict[str, float]]:
    """The deductions typed per item (as typed, and as numbers); a wrong number noted in form["errors"]."""
    values = {i.code: "" for i in sheet.items}
    deductions: dict[str, float] = {}
    if request.method != "POST":
        return values, deductions
    for item in sheet.items:
        raw = (request.form.get(f"d_{item.code}") or "").strip()
        values[item.code] = raw
        if not raw:
            continue
        try:
            deductions[item.code] = float(raw)
        except ValueError:
            form["errors"][item.code] = "扣分应为数字（最多两位小数）。"
    return values, deductions


def fire_sheet_form(case_id: int, trigger: str, payload: dict[str, Any], form: dict[str, Any]) -> bool:
    """Fires the scoring step; a refusal goes into the form (nothing is recorded)."""
    try:
        xs().engine.fire(current_actor(), case_id, trigger, payload,
                         expected_version=whole_number(request.form.get("version"), "version"))
    except InvalidPayload as err:
        form["general"].append(err.message)
        for key, messages in err.fields.items():
            form["errors"][key.removeprefix("deductions.")] = "；".join(messages)
        return False
    except (TriggerNotAllowed, VersionConflict) as err:
        form["general"].append(err.message)
        return False
    return True


def render_sheet_form(sheet, values: dict[str, str], form: dict[str, Any], **ctx: Any):
    deducted = sum(float(v) for k, v in values.items() if v and k not in form["errors"] and _is_number(v))
    status = 422 if form["errors"] or form["general"] else 200
    return render_template("web/score.html", sheet=sheet, values=values, form=form,
                           sheet_total=f"{float(sheet.full_marks) - deducted:.2f}", **ctx), status


@web.route("/case-file-evaluations/<id:case_id>/score", methods=["GET", "POST"])
@signed_in
def score_page(case_id: int):
    case = _campaign(case_id)
    number = request.values.get("file", "")
    try:
        ctx = _scoring_context(case, number)
    except MissingSheet as missing:
        raise TriggerNotAllowed(str(missing)) from None
    sheet = ctx.pop("sheet")
    form = {"member": request.form.get("member", ""), "findings": request.form.get("findings", ""),
            "reviewer": "", "errors": {}, "general": []}
    values, deductions = read_sheet_form(sheet, form)
    if request.method == "POST":
        if not form["member"]:
            form["errors"]["member"] = "请选择评查人员。"
        payload = {"file": number, "member": form["member"], "deductions": deductions, "findings": form["findings"],
                   "reviewer": ctx["members"].get(form["member"], {}).get("name", "")}
        if not form["errors"] and fire_sheet_form(case_id, "submit_score", payload, form):
            flash(f"已提交“{number}”的评分。", "success")
            return redirect(url_for("web.campaign_page", case_id=case_id))
    return render_sheet_form(sheet, values, form, mode="campaign", **ctx)


@web.route("/case-files/<id:case_id>/self-review", methods=["GET", "POST"])
@signed_in
def self_review_page(case_id: int):
    """The agency's legal unit scores its own closed file on the sheet (art. 24)."""
    actor, x = current_actor(), xs()
    with x.db.read() as conn:
        case = queries.get_case(x.engine, conn, actor, case_id)  # 403 for another agency's file
    if case["procedure"] != SELF_REVIEW:
        raise NotFound(f"案件 {case_id} 不是行政执法案卷自我评查。")
    sheet = current_sheet()
    form = {"member": "", "findings": request.form.get("findings", ""), "reviewer": request.form.get("reviewer", ""),
            "errors": {}, "general": []}
    values, deductions = read_sheet_form(sheet, form)
    if request.method == "POST" and not form["errors"]:
        payload = {"deductions": deductions, "findings": form["findings"], "reviewer": form["reviewer"]}
        if fire_sheet_form(case_id, "self_review", payload, form):
            flash("已登记自我评查结果。", "success")
            return redirect(url_for("web.case_page", case_id=case_id))
    number = case["data"].get("case_number", "")
    file = {"title": case["title"], "agency_name": agency_names_of(case["agency"]),
            "type": CASE_TYPES.get(case["data"].get("case_type"), "")}
    open_for = [True] if case["state"] in OPEN_STATES else []
    return render_sheet_form(sheet, values, form, mode="self_review", case=case, file=file, number=number,
                             open_for=open_for, members={})


def agency_names_of(code: str) -> str:
    with xs().db.read() as conn:
        return agency_names(conn).get(code, code)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- the export of all scores ------------------------------------------------------------------------


def score_rows(case: dict[str, Any]) -> tuple[list[str], Iterator[list[Any]]]:
    """Every reading, then each file's final score (mean or collective), one row each."""
    data = case["data"]
    sheet = sheet_for(int(data["year"]))
    members = {m["member_id"]: m for m in data.get("members", [])}
    header = ["案号", "单位", "案件类型", "案件名称", "评分类别", "评查人员", "成员类别", "工作单位",
              *[f"{i.title}扣分" for i in sheet.items], "得分", "等次", "扣分事由"]

    def rows() -> Iterator[list[Any]]:
        for number in data.get("sample", []):
            f = data["files"][number]
            base = [number, f["agency_name"], CASE_TYPES.get(f["case_type"], f["case_type"]), f["title"]]
            for member_id, r in f["readings"].items():
                m = members.get(member_id, {})
                deducted = {i["code"]: i["deducted"] for i in r.get("items", [])}
                yield [*base, "个人阅卷", m.get("name", member_id), MEMBER_ROLES.get(m.get("role"), ""),
                       m.get("unit") or m.get("agency") or "", *[float(deducted.get(i.code, 0)) for i in sheet.items],
                       float(r["score"]), r["grade"], r.get("findings", "")]
            final = f.get("final")
            if final:
                how = "集体评议" if final.get("how") == "collective" else "最终得分（各评查人员平均）"
                wrong = items_deducted(f)
                deducted = {i["code"]: i["deducted"] for i in final.get("items", [])}
                yield [*base, how, "", "", "",
                       *[float(deducted[i.code]) if i.code in deducted else ("有扣分" if i.code in wrong else 0)
                         for i in sheet.items],
                       float(final["score"]), final["grade"], final.get("minutes", "")]
    return header, rows()


def _download(content: Any, mimetype: str, year: int, ext: str) -> Response:
    response = content if isinstance(content, Response) else Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"case-file-scores-{year}.{ext}\"; "
        f"filename*=UTF-8''{quote(f'{year}年度案卷评查评分-{year}.{ext}')}")
    return response


@web.route("/case-file-evaluations/<id:case_id>/scores.csv")
@signed_in
def scores_csv(case_id: int):
    case = _campaign(case_id)
    header, rows = score_rows(case)

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(header)
        for n, row in enumerate(rows, start=1):
            writer.writerow([csv_safe(v) for v in row])
            if n % 200 == 0:
                yield buffer.getvalue().encode("utf-8")
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue().encode("utf-8")
    return _download(stream_with_context(lines()), "text/csv", case["data"]["year"], "csv")


@web.route("/case-file-evaluations/<id:case_id>/scores.xlsx")
@signed_in
def scores_xlsx(case_id: int):
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    case = _campaign(case_id)
    header, rows = score_rows(case)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("评查评分")
    sheet.freeze_panes = "A2"
    cells = []
    for title in header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = Font(bold=True)
        cells.append(cell)
    sheet.append(cells)
    for row in rows:
        sheet.append([_xlsx_cell(sheet, v, WriteOnlyCell) for v in row])
    out = tempfile.TemporaryFile()
    book.save(out)
    out.seek(0)
    return _download(send_file(out, mimetype=XLSX), XLSX, case["data"]["year"], "xlsx")


# --- links between a file, its campaign and the art. 28 supervision case -----------------------------


def related_cases(conn, actor, case: dict[str, Any]) -> list[dict[str, Any]]:
    """What the case page lists under 关联案件: for a file, its art. 28 supervision case and the campaign
    that drew it; for such a supervision case, the file and the campaign; for a campaign, its page and
    the supervision cases it opened. Only cases the person may see are linked."""
    out: list[dict[str, Any]] = []

    def add(case_id: int | None, note: str) -> None:
        if case_id is not None and visible(conn, actor, case_id):
            title = conn.execute(select(cases.c.title).where(cases.c.id == case_id)).scalar()
            out.append({"url": url_for("web.case_page", case_id=case_id), "title": title, "note": note})

    def campaigns_with(predicate) -> list[int]:
        rows = conn.execute(select(cases.c.id, cases.c.data).where(cases.c.procedure == CAMPAIGN))  # one a year
        return [r.id for r in rows if predicate(r.data)]

    if case["procedure"] == SELF_REVIEW:
        number = case["data"].get("case_number")
        if case["state"] in OPEN_STATES and actor.role in ("clerk", "system") and actor.agency == case["agency"]:
            out.append({"url": url_for("web.self_review_page", case_id=case["id"]), "title": "按评查评分表自我评查",
                        "note": "逐项扣分，合计得分随填随算（第24条）"})
        supervision = conn.execute(select(cases.c.id).where(cases.c.procedure == SUPERVISION,
                                                            cases.c.correlation_key == f"案卷评查/{number}")).scalar()
        add(supervision, "集中评查得分不满60分，依第28条启动的个案监督")
        for cid in campaigns_with(lambda d: number in (d.get("files") or {})):
            add(cid, "抽取本案卷的集中评查")
    elif case["procedure"] == SUPERVISION and str(case["data"].get("reference", "")).startswith("案卷评查/"):
        number = case["data"]["reference"].removeprefix("案卷评查/")
        add(conn.execute(select(cases.c.id).where(cases.c.procedure == SELF_REVIEW,
                                                  cases.c.correlation_key == number)).scalar(), "被评查的案卷")
        for cid in campaigns_with(lambda d: any(link["case_id"] == case["id"] for link in d.get("linked_cases", []))):
            add(cid, "得分不满60分的集中评查（第28条）")
    elif case["procedure"] == CAMPAIGN:
        out.append({"url": url_for("web.campaign_page", case_id=case["id"]), "title": "评查工作页面",
                    "note": "评分、等次分布图、导出全部评分"})
        for link in case["data"].get("linked_cases", []):
            add(link["case_id"], f"依第28条启动的个案监督（{link['key']}）")
    return out

