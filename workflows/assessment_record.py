"""The annual assessment computed from the record: every deduction traced to the cases behind it.

《秀山自治县行政执法考核评议制度》 (attachment 3) has the assessors read the agencies' files (art. 5 (二));
most of what the 《2022年行政执法考核标准》 deducts for is already recorded by the procedures (a filing
left past its 30 days, a rectification left past its 10 working days, a missed update training, a
criticism notice). The standard file says for each such item which records are its occurrences (its
`feeds`, workflows/standards/assessment_<year>.toml); this module counts them for every agency of a
year with one query per feed (never a loop over the cases), applies the item's per-occurrence amount
and cap, and stores the counts, the deductions and the cases behind each, with when it computed them.
Pages and exports answer from the stored results.

- An occurrence is one case: a lapse of the named deadline whose last day falls in the year, a firing
  of the named trigger dated in the year (local dates, Asia/Shanghai), or a document of the named kind
  issued in the year. A case counts once per item, on its earliest such date.
- Items without feeds are `entered`: their count is the one the assessors recorded in the agency's
  `assessment` case (`record_annual_scoring`), or 0 until they do.
- An assessor may correct a computed count, only with a reason; every correction stays, and the agency
  sees it. The newest correction of an item is the count scored.
- The daily assessment (art. 7, 40%) is derived from a dated record: the computed occurrences on their
  dates and the assessors' inspection findings on theirs, by the rule in
  `workflows/service_levels/assessment.toml` (docs/decisions.md).
- Once the year's results are published county-wide they are read-only: computing, correcting and
  recording findings for that year are refused.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, and_, delete, func, insert, or_, select

from xsflow.access import Actor
from xsflow.calendar import SHANGHAI, local_date
from xsflow.errors import Forbidden, InvalidPayload, NotFound, TriggerNotAllowed
from xsflow.queries import Page, after_key, check_limit, encode_cursor
from xsflow.store.schema import (agencies, assessment_corrections, assessment_findings, assessment_occurrences,
                                 assessment_publications, assessment_results, assessment_runs, cases, deadlines,
                                 documents, history)

from .assessment import (Feed, Standard, StandardMissing, _dec, computed_refusal, points_text, rounded,
                         score_text, standard_for)
from .settings import service_levels

PROCEDURE = "assessment"


def _setting() -> dict[str, Any]:
    return service_levels("assessment")


def assessed_kinds() -> tuple[str, ...]:
    """The agency kinds assessed (att. 3 art. 2: 各执法部门), configuration with its reason."""
    return tuple(_setting().get("assessed", {}).get("kinds", ("enforcement_agency", "township_team")))


def year_span(year: int) -> tuple[datetime, datetime]:
    """The year's first instant and the next year's, Beijing time."""
    return (datetime.combine(date(year, 1, 1), time(), SHANGHAI),
            datetime.combine(date(year + 1, 1, 1), time(), SHANGHAI))


# --- computing ---------------------------------------------------------------------------------------


def _occurrences(conn: Connection, feed: Feed, year: int) -> Iterable[tuple[str, int, date, str]]:
    """(agency, case id, local date, what) of every occurrence of one feed in the year: one query."""
    start, end = year_span(year)
    if feed.lapsed_deadline is not None:
        stmt = (select(cases.c.agency_code, cases.c.id, deadlines.c.due_date)
                .join(cases, cases.c.id == deadlines.c.case_id)
                .where(cases.c.procedure == feed.procedure, deadlines.c.name == feed.lapsed_deadline,
                       deadlines.c.status == "lapsed",
                       deadlines.c.due_date >= date(year, 1, 1), deadlines.c.due_date <= date(year, 12, 31)))
        what = f"deadline:{feed.lapsed_deadline}"
        for agency, case_id, due in conn.execute(stmt):
            yield agency, case_id, due, what
    elif feed.trigger is not None:
        columns = [cases.c.agency_code, cases.c.id, history.c.occurred_at]
        if feed.payload_lists:
            columns.append(history.c.payload)
        stmt = (select(*columns).join(cases, cases.c.id == history.c.case_id)
                .where(cases.c.procedure == feed.procedure, history.c.trigger == feed.trigger,
                       history.c.occurred_at >= start, history.c.occurred_at < end))
        what = f"trigger:{feed.trigger}"
        for row in conn.execute(stmt):
            if feed.payload_lists and not all(code in (row[3] or {}).get(name, []) for name, code in feed.payload_lists):
                continue
            yield row[0], row[1], local_date(row[2]), what
    else:
        # A document issued by a lapse is dated by the lapse, not by when the sweep processed it.
        dated = func.coalesce(documents.c.legal_instant, documents.c.issued_at)
        stmt = (select(cases.c.agency_code, cases.c.id, dated, documents.c.number)
                .join(cases, cases.c.id == documents.c.case_id)
                .where(cases.c.procedure == feed.procedure, documents.c.kind == feed.document,
                       documents.c.corrects_id.is_(None),  # a corrected re-issue is the same notice
                       dated >= start, dated < end))
        for agency, case_id, issued, number in conn.execute(stmt):
            yield agency, case_id, local_date(issued), f"document:{number}"


PUBLICATION = "assessment_publication"


def published(conn: Connection, year: int) -> dict[str, Any] | None:
    """The year's county-wide publication, if its case has been published (however it was fired)."""
    row = conn.execute(select(cases.c.id).where(cases.c.procedure == PUBLICATION,
                                                cases.c.correlation_key == str(year),
                                                cases.c.state == "published")).first()
    if row is None:
        return None
    record = conn.execute(select(assessment_publications).where(assessment_publications.c.year == year)).mappings().first()
    return {"case_id": row[0], **(dict(record) if record else {})}


def publish(system: Any, actor: Actor, year: int, review: str, occurred_at: datetime | None = None) -> dict[str, Any]:
    """Publishes the year's results county-wide (第9条第（四）项、第10条) in one transaction: the ranking
    from the stored results, the notice numbered in the office's series, the results read-only."""
    if actor.role != "supervisor":
        raise Forbidden("只有考核人员（监督人员）可以公布考核结果。")
    _require_standard(year)
    now = system.clock.now()
    occurred = system.engine.occurred(occurred_at, now)
    with system.db.write() as conn:
        _lock_year(conn, year)
        _refuse_if_published(conn, year)
        key = str(year)
        if conn.execute(select(cases.c.id).where(cases.c.procedure == PUBLICATION,
                                                 cases.c.correlation_key == key)).first() is None:
            system.engine.open_in(conn, actor, procedure=PUBLICATION, agency="sfj",
                                  title=f"{year}年度全县行政执法考核结果公布", data={"year": year},
                                  occurred=occurred, now=now)
        view = system.engine.fire_by_key(conn, actor, procedure=PUBLICATION, correlation_key=key, trigger="publish",
                                         payload={"review": review}, occurred_at=occurred)
        [notice] = [d for d in view["documents"] if d["kind"] == "county_assessment_notice"]
        conn.execute(insert(assessment_publications).values(year=year, document_id=notice["id"], published_at=now,
                                                            actor=actor.name))
    return {"year": year, "case_id": view["id"], "document": notice, "results": view["data"]["results"]}


def _current_run(conn: Connection, year: int, what: str) -> dict[str, Any]:
    """The year's last computation, refused (409) if there is none or if a correction or an inspection
    finding was recorded after it: what is scored and published is one computation's, not a mix."""
    run = last_run(conn, year)
    if run is None:
        raise TriggerNotAllowed(f"{year}年度考核结果尚未计算，不能{what}；请先计算（POST /api/v1/assessments/{year}/compute）。",
                                year=year)
    newest = conn.execute(select(func.max(assessment_corrections.c.recorded_at))
                          .where(assessment_corrections.c.year == year)).scalar()
    found = conn.execute(select(func.max(assessment_findings.c.recorded_at))
                         .where(assessment_findings.c.year == year)).scalar()
    later = [t for t in (newest, found) if t is not None and t > run["computed_at"]]
    if later:
        raise TriggerNotAllowed(
            f"{year}年度考核结果计算于{run['computed_at'].astimezone(SHANGHAI):%Y年%-m月%-d日%H:%M}，"
            f"此后又有更正或日常考核检查记录（最近一次在{max(t for t in later).astimezone(SHANGHAI):%Y年%-m月%-d日%H:%M}）；"
            f"请重新计算后再{what}。", year=year)
    return run


def supply_ranking(conn: Connection, actor: Actor, row: Mapping[str, Any], payload: Mapping[str, Any],
                   now: datetime) -> dict[str, Any]:
    """`publish` on the year's publication case, however fired: the ranking from the stored results of
    the last computation (refused if a correction or finding came after it), never from the request."""
    year = int(row["data"]["year"])
    standard = _require_standard(year)
    run = _current_run(conn, year, "公布")
    _, rows = table(conn, actor, year)
    results = [{k: r[k] for k in ("rank", "agency", "name", "daily_score", "annual_score", "total", "grade")}
               for r in ranked(rows)]
    if not results:
        raise TriggerNotAllowed(f"{year}年度没有已计算的考核结果，不能公布。", year=year)
    return {"results": results, "computed_at": run["computed_at"].isoformat(), "standard": standard.title,
            "scale_source": standard.scale_source}


def supply_computed(conn: Connection, actor: Actor, row: Mapping[str, Any], payload: Mapping[str, Any],
                    now: datetime, *, scoring: bool = False) -> dict[str, Any]:
    """The agency's `assessment` case scores (record_annual_scoring, form_opinion) the computed items'
    stored counts, with the newest correction and its reason; the entered counts of record_annual_scoring
    are written to the stored results at once, so the page shows what the case scores."""
    if not scoring and "annual" not in row["data"]:
        return {}  # nothing scored yet: the transition's guard says so
    year, agency = int(row["data"]["year"]), row["agency_code"]
    standard = _require_standard(year)
    run = last_run(conn, year)
    if run is None:
        raise TriggerNotAllowed(f"{year}年度考核结果尚未计算，不能评分；请先计算（POST /api/v1/assessments/{year}/compute）。",
                                year=year)
    stored = {r["item_code"]: r for r in conn.execute(select(assessment_results).where(
        assessment_results.c.year == year, assessment_results.c.agency_code == agency)).mappings()}
    if not stored:
        raise TriggerNotAllowed(f"{year}年度考核结果中没有该单位（计算时不是考核对象或尚未建立），请重新计算。", year=year)
    reasons = {r["item_code"]: r["reason"] for r in conn.execute(
        select(assessment_corrections.c.item_code, assessment_corrections.c.reason).where(
            assessment_corrections.c.id.in_(
                select(func.max(assessment_corrections.c.id)).where(
                    assessment_corrections.c.year == year, assessment_corrections.c.agency_code == agency)
                .group_by(assessment_corrections.c.item_code)))).mappings()}
    fed = [i for i in standard.items if i.feeds]
    keyed = {i.code: [computed_refusal(i.code)] for i in fed if payload.get(i.code)}
    if keyed:  # an item entered in another year's standard but computed in this one
        raise InvalidPayload("所填项目由系统依据案件记录计算，不能录入。", keyed)
    computed = {i.code: {"count": stored[i.code]["count"] if i.code in stored else 0,
                         "computed_count": stored[i.code]["computed_count"] if i.code in stored else 0,
                         "reason": reasons.get(i.code, ""), "computed_at": run["computed_at"].isoformat()}
                for i in fed}
    if scoring:
        _refuse_if_published(conn, year)  # published results are read-only (附件3第10条)
        for item in standard.items:
            if not item.feeds and item.code in stored:
                n = int(payload.get(item.code) or 0)
                conn.execute(assessment_results.update().where(
                    assessment_results.c.year == year, assessment_results.c.agency_code == agency,
                    assessment_results.c.item_code == item.code).values(
                        count=n, deduction=points_text(item.deduction(n))))
        return {"computed": computed}
    return {"computed": computed, "daily_score": _daily_score(conn, actor, year, agency)}


def _daily_score(conn: Connection, actor: Actor, year: int, agency: str) -> str:
    """The running daily score of the assessment page: the stored computed occurrences and the findings."""
    return result(conn, actor, year, agency)["daily_score"]


def supply_daily(conn: Connection, actor: Actor, row: Mapping[str, Any], payload: Mapping[str, Any],
                 now: datetime) -> dict[str, Any]:
    """record_daily_assessment takes the daily score of the stored daily record (第7条), never a keyed one."""
    year = int(row["data"]["year"])
    if last_run(conn, year) is None:
        raise TriggerNotAllowed(f"{year}年度考核结果尚未计算，不能录入日常考核；请先计算（POST /api/v1/assessments/{year}/compute）。",
                                year=year)
    return {"score": _daily_score(conn, actor, year, row["agency_code"])}


def supply_scoring(conn: Connection, actor: Actor, row: Mapping[str, Any], payload: Mapping[str, Any],
                   now: datetime) -> dict[str, Any]:
    return supply_computed(conn, actor, row, payload, now, scoring=True)


SUPPLIERS = {("assessment", "record_daily_assessment"): supply_daily,
             ("assessment", "record_annual_scoring"): supply_scoring,
             ("assessment", "form_opinion"): supply_computed,
             ("assessment_publication", "publish"): supply_ranking}


def _lock_year(conn: Connection, year: int) -> None:
    """One writer of a year's results at a time (PostgreSQL; SQLite writes one transaction at a time):
    two computations at once would otherwise both delete and insert the same rows."""
    if conn.dialect.name == "postgresql":
        digest = hashlib.sha256(f"assessment_results\x1f{year}".encode()).digest()
        conn.execute(select(func.pg_advisory_xact_lock(int.from_bytes(digest[:8], "big", signed=True))))


def _refuse_if_published(conn: Connection, year: int) -> None:
    if published(conn, year) is not None:
        raise TriggerNotAllowed(f"{year}年度考核结果已公布（《秀山自治县行政执法考核评议制度》第9条第（四）项、第10条），"
                                "公布后的结果只读，不能再计算、更正或补记。", year=year)


def _require_standard(year: int) -> Standard:
    try:
        return standard_for(year)
    except StandardMissing as missing:
        raise InvalidPayload(str(missing), {"year": [str(missing)]}) from None


def _entered_counts(conn: Connection, year: int) -> dict[str, dict[str, int]]:
    """The assessors' entered counts per agency, from each agency's `assessment` case of the year."""
    stmt = select(cases.c.agency_code, cases.c.data).where(
        cases.c.procedure == PROCEDURE, cases.c.correlation_key.like(f"%/{year}"))
    out: dict[str, dict[str, int]] = {}
    for agency, data in conn.execute(stmt):
        if (data or {}).get("year") == year:
            annual = data.get("annual") or {}
            out[agency] = ({c: int(n) for c, n in annual["entered"].items()} if "entered" in annual
                           else {d["code"]: int(d["count"]) for d in annual.get("deductions", [])})
    return out


def _latest_corrections(conn: Connection, year: int, agency: str | None = None) -> dict[tuple[str, str], int]:
    newest = (select(func.max(assessment_corrections.c.id)).where(assessment_corrections.c.year == year)
              .group_by(assessment_corrections.c.agency_code, assessment_corrections.c.item_code))
    if agency is not None:
        newest = newest.where(assessment_corrections.c.agency_code == agency)
    stmt = select(assessment_corrections.c.agency_code, assessment_corrections.c.item_code,
                  assessment_corrections.c.corrected_count).where(assessment_corrections.c.id.in_(newest))
    return {(a, i): n for a, i, n in conn.execute(stmt)}


def compute(conn: Connection, actor: Actor, year: int, *, now: datetime) -> dict[str, Any]:
    """Computes and stores the year's results for every assessed agency; the run's summary."""
    if actor.role != "supervisor":
        raise Forbidden("只有考核人员（监督人员）可以计算考核结果。")
    standard = _require_standard(year)
    _lock_year(conn, year)
    _refuse_if_published(conn, year)
    codes = conn.execute(select(agencies.c.code).where(agencies.c.kind.in_(assessed_kinds()))
                         .order_by(agencies.c.code)).scalars().all()
    assessed = set(codes)
    found: dict[tuple[str, str, int], tuple[date, str]] = {}
    for item in standard.items:
        for feed in item.feeds:
            for agency, case_id, on, what in _occurrences(conn, feed, year):
                if agency not in assessed:
                    continue
                key = (agency, item.code, case_id)
                if key not in found or on < found[key][0]:
                    found[key] = (on, what)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for agency, code, _ in found:
        counts[(agency, code)] += 1
    entered = _entered_counts(conn, year)
    corrections = _latest_corrections(conn, year)
    conn.execute(delete(assessment_occurrences).where(assessment_occurrences.c.year == year))
    conn.execute(delete(assessment_results).where(assessment_results.c.year == year))
    rows = []
    for agency in codes:
        for item in standard.items:
            if item.feeds:
                computed = counts.get((agency, item.code), 0)
                count = corrections.get((agency, item.code), computed)
                source = "computed"
            else:
                computed, source = None, "entered"
                count = entered.get(agency, {}).get(item.code, 0)
            rows.append({"year": year, "agency_code": agency, "item_code": item.code, "source": source,
                         "computed_count": computed, "count": count,
                         "deduction": points_text(item.deduction(count)), "computed_at": now})
    if rows:
        conn.execute(insert(assessment_results), rows)
    occurrence_rows = [{"year": year, "agency_code": a, "item_code": c, "case_id": cid, "occurred_on": on, "what": w}
                       for (a, c, cid), (on, w) in found.items()]
    for i in range(0, len(occurrence_rows), 5000):
        conn.execute(insert(assessment_occurrences), occurrence_rows[i:i + 5000])
    conn.execute(insert(assessment_runs).values(year=year, computed_at=now, actor=actor.name,
                                                standard_file=standard.file))
    return {"year": year, "computed_at": now, "standard_file": standard.file, "agencies": len(codes),
            "occurrences": len(occurrence_rows),
            "computed_items": [i.code for i in standard.items if i.feeds],
            "entered_items": [i.code for i in standard.items if not i.feeds]}


def last_run(conn: Connection, year: int) -> dict[str, Any] | None:
    row = conn.execute(select(assessment_runs).where(assessment_runs.c.year == year)
                       .order_by(assessment_runs.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


# --- corrections and findings ------------------------------------------------------------------------


def _check_agency(conn: Connection, actor: Actor, agency: str) -> str:
    if not actor.county_wide and actor.agency != agency:
        raise Forbidden("只能查看本单位的考核结果。", agency=agency)
    row = conn.execute(select(agencies.c.name, agencies.c.kind).where(agencies.c.code == agency)).first()
    if row is None:
        raise NotFound(f"没有代码为“{agency}”的单位，请从单位名录（GET /api/v1/agencies）中选择。", agency=agency)
    if row.kind not in assessed_kinds():
        raise NotFound(f"{row.name}不是行政执法考核的对象（《秀山自治县行政执法考核评议制度》第2条：各执法部门；"
                       "考核对象的单位类别见 workflows/service_levels/assessment.toml）。", agency=agency)
    return row.name


def correct(conn: Connection, actor: Actor, year: int, agency: str, item_code: str, count: int, reason: str,
            *, now: datetime) -> dict[str, Any]:
    """An assessor's correction of a computed count, with its reason; the result's item afterwards."""
    if actor.role != "supervisor":
        raise Forbidden("只有考核人员（监督人员）可以更正计算的扣分次数。")
    standard = _require_standard(year)
    _check_agency(conn, actor, agency)
    problems: dict[str, list[str]] = {}
    item = next((i for i in standard.items if i.code == item_code), None)
    if item is None:
        problems["item"] = [f"“{item_code}”不是{year}年度考核标准（{standard.file}）的项目。"]
    elif not item.feeds:
        problems["item"] = ["该项目由考核人员录入（年度考核评分），不是由办案记录计算的，无需更正。"]
    elif item.once and count > 1:
        problems["count"] = ["该项只填 0（无）或 1（有）。"]
    if not (reason or "").strip():
        problems["reason"] = ["更正计算结果必须写明理由（将记入更正记录，被考核单位可见）。"]
    if problems:
        raise InvalidPayload("更正内容有误：" + "".join(m for ms in problems.values() for m in ms), problems)
    _lock_year(conn, year)
    _refuse_if_published(conn, year)
    result = conn.execute(select(assessment_results).where(
        assessment_results.c.year == year, assessment_results.c.agency_code == agency,
        assessment_results.c.item_code == item_code)).mappings().first()
    if result is None:
        raise TriggerNotAllowed(f"{year}年度考核结果尚未计算，请先计算后再更正。", year=year)
    conn.execute(insert(assessment_corrections).values(
        year=year, agency_code=agency, item_code=item_code, computed_count=result["computed_count"],
        corrected_count=count, reason=reason.strip(), actor=actor.name, recorded_at=now))
    conn.execute(assessment_results.update().where(
        assessment_results.c.year == year, assessment_results.c.agency_code == agency,
        assessment_results.c.item_code == item_code).values(count=count, deduction=points_text(item.deduction(count))))
    return {"year": year, "agency": agency, "item": item_code, "computed_count": result["computed_count"],
            "count": count, "deduction": points_text(item.deduction(count)), "reason": reason.strip()}


def add_finding(conn: Connection, actor: Actor, year: int, agency: str, found_on: date, points: Decimal, text: str,
                *, now: datetime) -> dict[str, Any]:
    """An assessor's dated inspection finding in the daily record (art. 7)."""
    if actor.role != "supervisor":
        raise Forbidden("只有考核人员（监督人员）可以记录日常考核检查情况。")
    _require_standard(year)
    _check_agency(conn, actor, agency)
    if found_on.year != year or found_on > local_date(now):
        raise InvalidPayload("检查日期有误。", {"found_on": [f"检查日期应在{year}年内，且不晚于今天。"]})
    if not text.strip():
        raise InvalidPayload("请写明检查发现的问题。", {"text": ["请写明检查发现的问题。"]})
    _lock_year(conn, year)
    _refuse_if_published(conn, year)
    row = {"year": year, "agency_code": agency, "found_on": found_on, "points": points_text(points),
           "text": text.strip(), "actor": actor.name, "recorded_at": now}
    row["id"] = conn.execute(insert(assessment_findings).values(**row)).inserted_primary_key[0]
    return row


# --- the daily assessment ---------------------------------------------------------------------------


def daily_rule() -> dict[str, Any]:
    return _setting().get("daily", {})


def running_daily(standard: Standard, occurrences: Iterable[Mapping[str, Any]],
                  findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The dated daily record with the running daily score after each entry.

    The rule (workflows/service_levels/assessment.toml [daily]): start from `start` points; each
    computed occurrence deducts its item's per-occurrence amount converted to the 100 scale, the
    item's cap converted likewise bounding what the item takes; each finding deducts its points;
    the score never falls below 0."""
    rule = daily_rule()
    start = _dec(rule.get("start", 100))
    factor = standard.scale / standard.full_marks
    items = {i.code: i for i in standard.items}
    entries = ([{"on": o["occurred_on"], "kind": "computed", "item": o["item_code"], "case_id": o["case_id"],
                 "what": o["what"]} for o in occurrences]
               + [{"on": f["found_on"], "kind": "finding", "points": _dec(f["points"]), "text": f["text"],
                   "actor": f["actor"]} for f in findings])
    entries.sort(key=lambda e: (e["on"], e["kind"], e.get("case_id") or 0))
    taken: dict[str, Decimal] = defaultdict(Decimal)
    deducted = Decimal(0)
    out = []
    for e in entries:
        if e["kind"] == "computed":
            item = items[e["item"]]
            room = item.cap * factor - taken[item.code]
            amount = max(Decimal(0), min(item.per * factor, room))
            taken[item.code] += amount
            e = {**e, "label": item.label, "content": item.content}
        else:
            amount = e["points"]
        deducted += amount
        out.append({**e, "on": e["on"].isoformat(), "deducted": points_text(amount) if amount else "0",
                    "score": score_text(max(Decimal(0), start - deducted))})
        out[-1].pop("points", None)
    return out


# --- reading the stored results -----------------------------------------------------------------------


def result(conn: Connection, actor: Actor, year: int, agency: str, *, today: date | None = None) -> dict[str, Any]:
    """One agency's stored result of a year: per item the count, deduction, computed or entered, the cases
    behind it and the corrections; the annual, daily and total scores, the grade and how they arise."""
    name = _check_agency(conn, actor, agency)
    standard = _require_standard(year)
    run = last_run(conn, year)
    stored = {r["item_code"]: dict(r) for r in conn.execute(select(assessment_results).where(
        assessment_results.c.year == year, assessment_results.c.agency_code == agency)).mappings()}
    # The daily record needs every dated occurrence (item, case, date: no titles); each item lists its first
    # cases with their titles, the rest paged by item_cases().
    occurrences = [dict(r) for r in conn.execute(
        select(assessment_occurrences.c.item_code, assessment_occurrences.c.case_id,
               assessment_occurrences.c.occurred_on, assessment_occurrences.c.what)
        .where(assessment_occurrences.c.year == year, assessment_occurrences.c.agency_code == agency)).mappings()]
    by_item: dict[str, Page] = {item.code: _item_page(conn, year, agency, item.code, None, FIRST_CASES)
                                for item in standard.items if item.feeds}
    corrections: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in conn.execute(select(assessment_corrections).where(
            assessment_corrections.c.year == year, assessment_corrections.c.agency_code == agency)
            .order_by(assessment_corrections.c.id)).mappings():
        corrections[c["item_code"]].append({"computed_count": c["computed_count"], "count": c["corrected_count"],
                                            "reason": c["reason"], "actor": c["actor"],
                                            "recorded_at": c["recorded_at"].isoformat()})
    items, counts = [], {}
    for item in standard.items:
        row = stored.get(item.code)
        count = row["count"] if row else 0
        counts[item.code] = count
        items.append({"code": item.code, "label": item.label, "content": item.content, "standard": item.standard,
                      "unit": item.unit, "per": points_text(item.per), "cap": points_text(item.cap),
                      "source": "computed" if item.feeds else "entered",
                      "computed_count": row["computed_count"] if row else None, "count": count,
                      "deduction": points_text(item.deduction(count)),
                      "capped": item.per * count > item.cap,
                      "fed_by": item.fed_by,
                      "cases": by_item[item.code].items if item.code in by_item else [],
                      "cases_total": by_item[item.code].total if item.code in by_item else 0,
                      "cases_next": by_item[item.code].next if item.code in by_item else None,
                      "corrections": corrections.get(item.code, [])})
    findings = [dict(r) for r in conn.execute(select(assessment_findings).where(
        assessment_findings.c.year == year, assessment_findings.c.agency_code == agency)
        .order_by(assessment_findings.c.found_on, assessment_findings.c.id)).mappings()]
    daily = running_daily(standard, [{**o, "occurred_on": o["occurred_on"]} for o in occurrences], findings)
    daily_score = _dec(daily[-1]["score"]) if daily else _dec(daily_rule().get("start", 100))
    annual = standard.annual_score(counts)
    total = standard.total(rounded(daily_score), annual)
    grade = standard.grade(total)
    deducted = standard.deducted(counts)
    pub = published(conn, year)
    return {
        "year": year, "agency": agency, "agency_name": name,
        "computed_at": run["computed_at"].isoformat() if run else None,
        "standard": {"title": standard.title, "file": standard.file, "adopted": standard.adopted,
                     "full_marks": points_text(standard.full_marks), "scale": points_text(standard.scale),
                     "scale_source": standard.scale_source, "daily_weight": points_text(standard.daily_weight)},
        "items": items, "deducted": points_text(deducted), "points": points_text(standard.full_marks - deducted),
        "annual_score": score_text(annual), "daily_score": score_text(daily_score), "total": score_text(total),
        "grade": grade.name, "band": grade.band, "grade_source": f"{standard.rule}{grade.source}",
        "daily": {"rule": daily_rule().get("source", ""), "entries": daily},
        "published": pub is not None,
    }


FIRST_CASES = 50  # the cases of an item on the result; the rest page by item_cases()


def _cases_stmt(year: int, agency: str, item: str | None = None):
    stmt = (select(assessment_occurrences.c.id, assessment_occurrences.c.item_code, assessment_occurrences.c.case_id,
                   assessment_occurrences.c.occurred_on, assessment_occurrences.c.what, cases.c.title, cases.c.procedure)
            .join(cases, cases.c.id == assessment_occurrences.c.case_id)
            .where(assessment_occurrences.c.year == year, assessment_occurrences.c.agency_code == agency))
    return stmt if item is None else stmt.where(assessment_occurrences.c.item_code == item)


def _case_ref(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"case_id": row["case_id"], "title": row["title"], "procedure": row["procedure"],
            "on": row["occurred_on"].isoformat(), "what": row["what"]}


def item_cases(conn: Connection, actor: Actor, year: int, agency: str, item: str, *, cursor: str | None = None,
               limit: int | None = None) -> Page:
    """The cases behind one item of an agency's stored result, by date then case, keyset-paged, with the total."""
    _check_agency(conn, actor, agency)
    standard = _require_standard(year)
    if item not in {i.code for i in standard.items}:
        raise NotFound(f"“{item}”不是{year}年度考核标准（{standard.file}）的项目。", item=item)
    return _item_page(conn, year, agency, item, after_key(cursor, date.fromisoformat), check_limit(limit))


def _item_page(conn: Connection, year: int, agency: str, item: str, after: tuple[Any, int] | None,
               limit: int) -> Page:
    stmt = _cases_stmt(year, agency, item)
    if after is not None:
        on, last = after
        stmt = stmt.where(or_(assessment_occurrences.c.occurred_on > on,
                              and_(assessment_occurrences.c.occurred_on == on, assessment_occurrences.c.case_id > last)))
    rows = [dict(r) for r in conn.execute(stmt.order_by(assessment_occurrences.c.occurred_on,
                                                        assessment_occurrences.c.case_id).limit(limit + 1)).mappings()]
    total = conn.execute(select(func.count()).select_from(assessment_occurrences).where(
        assessment_occurrences.c.year == year, assessment_occurrences.c.agency_code == agency,
        assessment_occurrences.c.item_code == item)).scalar()
    page = rows[:limit]
    nxt = encode_cursor([page[-1]["occurred_on"].isoformat(), page[-1]["case_id"]]) if len(rows) > limit else None
    return Page([_case_ref(r) for r in page], nxt, int(total or 0))


def table(conn: Connection, actor: Actor, year: int) -> tuple[Standard, list[dict[str, Any]]]:
    """The year's table for the coordination group: every agency × item, from one query over the results."""
    if not actor.county_wide:
        raise Forbidden("全县考核结果汇总表只有县司法局、监督人员和全县对接系统可以查看。")
    standard = _require_standard(year)
    stmt = (select(assessment_results.c.agency_code, agencies.c.name, assessment_results.c.item_code,
                   assessment_results.c.source, assessment_results.c.computed_count, assessment_results.c.count,
                   assessment_results.c.deduction)
            .join(agencies, agencies.c.code == assessment_results.c.agency_code)
            .where(assessment_results.c.year == year)
            .order_by(assessment_results.c.agency_code))
    rows: dict[str, dict[str, Any]] = {}
    for r in conn.execute(stmt).mappings():
        row = rows.setdefault(r["agency_code"], {"agency": r["agency_code"], "name": r["name"], "items": {}})
        row["items"][r["item_code"]] = {"source": r["source"], "computed_count": r["computed_count"],
                                        "count": r["count"], "deduction": r["deduction"]}
    occurrences: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for o in conn.execute(select(assessment_occurrences.c.agency_code, assessment_occurrences.c.item_code,
                                 assessment_occurrences.c.case_id, assessment_occurrences.c.occurred_on,
                                 assessment_occurrences.c.what).where(assessment_occurrences.c.year == year)).mappings():
        occurrences[o["agency_code"]].append(dict(o))
    findings: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in conn.execute(select(assessment_findings).where(assessment_findings.c.year == year)).mappings():
        findings[f["agency_code"]].append(dict(f))
    start = _dec(daily_rule().get("start", 100))
    out = []
    for row in rows.values():
        counts = {code: v["count"] for code, v in row["items"].items()}
        annual = standard.annual_score(counts)
        daily = running_daily(standard, occurrences.get(row["agency"], []), findings.get(row["agency"], []))
        daily_score = rounded(_dec(daily[-1]["score"])) if daily else start
        total = standard.total(daily_score, annual)
        out.append({**row, "deducted": points_text(standard.deducted(counts)), "annual_score": score_text(annual),
                    "daily_score": score_text(daily_score), "total": score_text(total),
                    "grade": standard.grade(total).name})
    return standard, out


def ranked(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Highest total first; equal totals share a rank (1, 2, 2, 4), then by agency code."""
    ordered = sorted(rows, key=lambda r: (-_dec(r["total"]), r["agency"]))
    out, rank = [], 0
    for n, row in enumerate(ordered, start=1):
        if n == 1 or row["total"] != ordered[n - 2]["total"]:
            rank = n
        out.append({**row, "rank": rank})
    return out
