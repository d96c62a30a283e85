"""考核: the assessment computed from the record, as pages. The bureau sees the year's ranked table and
every agency; an agency's staff see their own agency's result, with the cases behind each deduction,
the corrections and their reasons, the running daily score and the enforcement persons."""
from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation

import tempfile
from urllib.parse import quote

from flask import flash, redirect, render_template, request, send_file, url_for

from workflows import assessment_record as record
from workflows.assessment_personnel import personnel
from xsflow.calendar import local_date
from xsflow.errors import InvalidPayload

from ..assessment_export import XLSX, write_table
from .auth import current_actor, signed_in
from .blueprint import web, xs

SOURCE = {"computed": "依办案记录计算", "entered": "考核人员录入"}
WHAT = {"deadline:filing": "报送备案期限届满未报送", "deadline:rectification": "整改反馈期限届满未反馈",
        "deadline:update_training": "未参加年度法律知识更新培训",
        "deadline:update_training_after_miss": "连续未参加年度法律知识更新培训",
        "deadline:report": "统计报送期限届满未报送", "deadline:correction": "改正期限届满未改正",
        "trigger:record_government_action": "县人民政府通报批评", "trigger:report_publicly": "行政执法监督通报",
        "trigger:require_correction": "备案审查认定内容不合法"}


def what_text(what: str) -> str:
    if what.startswith("document:"):
        return f"印发《通报批评》{what.removeprefix('document:')}"
    return WHAT.get(what, what)


def _year() -> int:
    return local_date(xs().clock.now()).year - 1  # the year being assessed is the one before


@web.route("/assessments")
@signed_in
def assessments_home():
    return redirect(url_for("web.assessment_year", year=request.args.get("year", type=int) or _year()))


@web.route("/assessments/<int:year>")
@signed_in
def assessment_year(year: int):
    actor = current_actor()
    if not actor.county_wide:
        return redirect(url_for("web.assessment_agency", year=year, code=actor.agency))
    with xs().db.read() as conn:
        standard, rows = record.table(conn, actor, year)
        run = record.last_run(conn, year)
        pub = record.published(conn, year)
    return render_template("web/assessment_year.html", year=year, standard=standard, rows=record.ranked(rows),
                           run=run, published=pub, may_compute=actor.role == "supervisor")


@web.route("/assessments/<int:year>/compute", methods=["POST"])
@signed_in
def assessment_compute(year: int):
    x = xs()
    with x.db.write() as conn:
        done = record.compute(conn, current_actor(), year, now=x.clock.now())
    flash(f"已计算{year}年度 {done['agencies']} 个单位的考核结果（依办案记录计算的扣分事项 {done['occurrences']} 件次）。", "info")
    return redirect(url_for("web.assessment_year", year=year))


@web.route("/assessments/<int:year>/<string:code>")
@signed_in
def assessment_agency(year: int, code: str):
    actor = current_actor()
    with xs().db.read() as conn:
        result = record.result(conn, actor, year, code)
    return render_template("web/assessment_agency.html", r=result, source=SOURCE, what_text=what_text,
                           may_correct=actor.role == "supervisor" and not result["published"])


@web.route("/assessments/<int:year>/<string:code>/corrections", methods=["POST"])
@signed_in
def assessment_correct(year: int, code: str):
    x = xs()
    form = request.form
    count = form.get("count", "").strip()
    if not (count.isascii() and count.isdigit()) or int(count) > 999:
        raise InvalidPayload("更正内容有误。", {"count": ["次数应为 0 至 999 之间的整数。"]})
    with x.db.write() as conn:
        record.correct(conn, current_actor(), year, code, form.get("item", ""), int(count), form.get("reason", ""),
                       now=x.clock.now())
    flash("已更正，更正理由已记入更正记录。", "info")
    return redirect(url_for("web.assessment_agency", year=year, code=code))


@web.route("/assessments/<int:year>/<string:code>/findings", methods=["POST"])
@signed_in
def assessment_finding(year: int, code: str):
    x = xs()
    form = request.form
    problems: dict[str, list[str]] = {}
    try:
        found_on = date.fromisoformat(form.get("found_on", "").strip())
    except ValueError:
        problems["found_on"] = ["检查日期的格式应为 YYYY-MM-DD。"]
    try:
        points = Decimal(form.get("points", "").strip())
        if not points.is_finite() or not 0 <= points <= 100 or points != points.quantize(Decimal("0.01")):
            raise InvalidOperation
    except InvalidOperation:
        problems["points"] = ["扣分应为 0 至 100 之间的数，最多两位小数。"]
    text = form.get("text", "").strip()
    if not text or len(text) > 5000:
        problems["text"] = ["请写明检查发现的问题（不超过 5000 个字）。"]
    if problems:
        raise InvalidPayload("日常考核检查记录有误：" + "".join(m for ms in problems.values() for m in ms), problems)
    with x.db.write() as conn:
        record.add_finding(conn, current_actor(), year, code, found_on, points, text, now=x.clock.now())
    flash("已记入日常考核记录。", "info")
    return redirect(url_for("web.assessment_agency", year=year, code=code))


@web.route("/assessments/<int:year>/<string:code>/personnel")
@signed_in
def assessment_personnel(year: int, code: str):
    x = xs()
    with x.db.read() as conn:
        people = personnel(conn, x.registry, current_actor(), year, code)
    # A complaint is the justice bureau's case: the agency's own staff see its number and finding, not the case.
    return render_template("web/assessment_personnel.html", p=people, opens_complaints=current_actor().county_wide)


@web.route("/assessments/<int:year>/table.xlsx")
@signed_in
def assessment_table(year: int):
    """The year's table as .xlsx, written in constant memory (the bureau only)."""
    with xs().db.read() as conn:
        standard, rows = record.table(conn, current_actor(), year)
        run = record.last_run(conn, year)
    out = tempfile.TemporaryFile()
    write_table(standard, record.ranked(rows), run, out)
    out.seek(0)
    response = send_file(out, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"assessment-{year}.xlsx\"; filename*=UTF-8''{quote(f'{year}年度行政执法考核结果.xlsx')}")
    return response


@web.route("/assessments/<int:year>/publication", methods=["POST"])
@signed_in
def assessment_publish(year: int):
    review = request.form.get("review", "").strip()
    if not review or len(review) > 500:
        raise InvalidPayload("请写明执法协调小组评审情况（会议日期、纪要或文号，不超过 500 个字）。",
                             {"review": ["请写明执法协调小组评审情况。"]})
    done = record.publish(xs(), current_actor(), year, review)
    flash(f"已公布{year}年度考核结果（{done['document']['number']}），结果已只读。", "info")
    return redirect(url_for("web.case_page", case_id=done["case_id"]))
