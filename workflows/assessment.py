"""年度行政执法考核 — the annual assessment of one enforcement agency, and its published result.

《秀山自治县行政执法考核评议制度》 (attachment 3): the coordination group of the county committee for
law-based governance leads the assessment (art. 3); its office organises assessors who assess each
agency (art. 9 (一)), hear the agency's report and read its files (art. 5), fill in the assessment
form and form an opinion (art. 9 (二)); the assessment report goes to the coordination group for
review (art. 9 (三)); the results are published (art. 9 (四)), in January for the year before
(art. 10). Daily assessment counts for 40% (art. 7); the grades are 优秀, 较好, 一般 and 差 (art. 8);
an agency graded 差 is criticised in the notice and the notice recommends holding its leaders
responsible (art. 10). The annual scoring follows the office's standard (art. 6), the
《2022年行政执法考核标准》 (attachment 4), kept as data in `standards/assessment_2022.toml` with the
words of each item beside its numbers.

One case per agency and year: the supervisor (the office's assessors) opens it with `data.year`; a
second case for the same agency and year is refused, also when both are opened at once (the year is
the correlation field, unique per agency: the stored key is "<agency code>/<year>", e.g. "gaj/2025",
which another system names to post the agency's report as an event).

Where the rules are silent (each choice is repeated where it is made):
- The standard totals 2 points while art. 8 grades on 100: the annual score is the standard's score
  rate on 100 points, (2 − deductions) / 2 × 100. Daily and annual scores, and the total, have two
  decimals (half up); the total is computed from the two published scores and graded as published,
  so a reader can check the notice by hand. Art. 8's bands are half-open: 90 is 优秀, 89.99 较好,
  60 一般, 59.99 差 (reasons in the standard file).
- Deductions that other procedures record (unfiled documents: filing_review; opinions left
  uncorrected and criticism notices: case_supervision, correction_order; missed update trainings:
  certificate; statistics not reported: enforcement_statistics) are computed from the record by
  workflows/assessment_record.py through each item's `feeds` in the standard file, and stored with the
  cases behind them; an assessor corrects a computed count only with a reason. This case's own
  `record_annual_scoring` takes keyed-in counts only for the items without feeds ("entered"); a count
  keyed in for a computed item is refused (422 naming the item). The computed counts, with any
  correction and its reason, are added to the payload from the stored results by the registry's
  supplier (assessment_record.supply_computed), at `record_annual_scoring` and again at
  `form_opinion`, so the score and the notice use the numbers of the assessment page. The daily
  score too is the stored daily record's (supply_daily), never keyed in. The effects
  see only their own case and payload; nothing here reads the database.
- A year is scored only on its own standard file, assessment_<year>.toml; a year without one is
  refused naming the file (StandardMissing).
- Art. 9 (四) and art. 10 publish the results of a year once it is over ("上年度"): `publish` dated
  (local date, Asia/Shanghai) on or before 31 December of the assessed year is refused (409).
- Art. 10's "一月份" is a date deadline, 31 January of the year after the assessed one (no roll-over:
  the rule names the month). Its lapse has no consequence in the rule but lateness, so it moves
  nothing: the case is listed overdue until the result is published, and the office still publishes.
- The coordination group's review may send the assessment back to the assessors, who score again.
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import ValidationError, fields, post_load, pre_load, validate, validates_schema

from xsflow.definitions import Deadline, Guard, NotBefore, Rule, procedure, state, transition
from xsflow.payloads import Payload, year as year_field

from .numbering import document

ASSESSMENT = Rule("《秀山自治县行政执法考核评议制度》")
STANDARDS = Path(__file__).with_name("standards")
ISSUER = "中共秀山土家族苗族自治县委全面依法治县委员会办公室"
LAST_YEAR = 2098  # the calendar covers 2099, the year a 2098 result is published in
CENT = Decimal("0.01")  # scores are published with two decimals


# --- the scoring standard, as data ------------------------------------------------------------------


def _dec(value: Any) -> Decimal:
    """A number from TOML or JSON as the decimal it was written as (0.01, not 0.01000000000000000020816…)."""
    return Decimal(str(value))


def rounded(value: Decimal) -> Decimal:
    """A published score: two decimals, the third rounded half up (the rule says nothing; the usual practice)."""
    return value.quantize(CENT, ROUND_HALF_UP)


def score_text(value: Decimal) -> str:
    """A published score as printed: always two decimals (89.99, 90.00)."""
    return f"{rounded(value):f}"


def points_text(value: Decimal) -> str:
    """A deduction as the standard writes it: 0.1, 0.03, 2 (no trailing zeros)."""
    return f"{value.normalize():f}"


@dataclass(frozen=True)
class Feed:
    """Where another procedure records an item's occurrences, in the assessed agency's cases and year:
    each lapse of `lapsed_deadline` whose last day falls in the year, each `trigger` fired in it
    (whose payload list `payload_lists` names, if given, holds the code), or each `document` of that
    kind issued in it."""

    procedure: str
    lapsed_deadline: str | None = None
    trigger: str | None = None
    payload_lists: tuple[tuple[str, str], ...] = ()
    document: str | None = None  # each document of this kind issued in the year, in the agency's cases


@dataclass(frozen=True)
class Item:
    """One line of the standard: a deduction per occurrence, up to a cap."""

    code: str
    section: str
    number: int
    content: str
    standard: str  # the 评分标准 in the standard's words
    unit: str
    per: Decimal
    cap: Decimal
    once: bool = False  # a yes/no item: counted 0 or 1
    fed_by: str = ""
    feeds: tuple[Feed, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.section}.{self.number}"

    def deduction(self, count: int) -> Decimal:
        return min(self.per * count, self.cap)


@dataclass(frozen=True)
class Grade:
    name: str
    min: Decimal  # included
    band: str
    source: str


@dataclass(frozen=True)
class Standard:
    title: str
    applies_from: int
    full_marks: Decimal
    rule: str
    daily_weight: Decimal
    scale: Decimal
    grades: tuple[Grade, ...]  # highest first
    sections: dict[str, tuple[str, Decimal]]  # number → (title, points)
    items: tuple[Item, ...]
    scale_source: str = ""  # why the standard's points are converted to art. 8's 100 this way
    file: str = ""  # the data file the standard was read from, shown on every result
    adopted: str = ""  # who adopted it, when (or, for a later year, the decision that it continues)

    def item(self, code: str) -> Item:
        return next(i for i in self.items if i.code == code)

    def grade(self, total: Decimal) -> Grade:
        """The band `total` falls in; each band includes its lower bound (90 is 优秀, 89.99 较好)."""
        return next(g for g in self.grades if total >= g.min)

    def deductions(self, counts: Mapping[str, int]) -> list[dict[str, Any]]:
        """Each item with a count, its amount within the item's cap, in the standard's order."""
        out = []
        for item in self.items:
            count = int(counts.get(item.code, 0))
            if count:
                out.append({"code": item.code, "label": item.label, "content": item.content,
                            "standard": item.standard, "unit": item.unit, "count": count,
                            "per": points_text(item.per), "cap": points_text(item.cap),
                            "amount": points_text(item.deduction(count))})
        return out

    def deducted(self, counts: Mapping[str, int]) -> Decimal:
        """All deductions; a section never loses more than its points."""
        by_section: dict[str, Decimal] = {}
        for item in self.items:
            by_section[item.section] = by_section.get(item.section, Decimal(0)) + item.deduction(
                int(counts.get(item.code, 0)))
        return sum((min(v, self.sections[s][1]) for s, v in by_section.items()), Decimal(0))

    def annual_score(self, counts: Mapping[str, int]) -> Decimal:
        """The standard's score rate on the scale of art. 8: (full − deducted) / full × 100."""
        return rounded((self.full_marks - self.deducted(counts)) / self.full_marks * self.scale)

    def total(self, daily: Decimal, annual: Decimal) -> Decimal:
        """Art. 7: daily assessment 40%, annual 60%, from the published two-decimal scores."""
        return rounded(self.daily_weight * daily + (1 - self.daily_weight) * annual)


def read_standard(path: Path) -> Standard:
    """A standard file, checked: every problem listed at once.

    A later year's file may say `continues = "assessment_2022.toml"`: the year is scored on that
    file's items and numbers, with its own `applies_from` and `adopted` (the decision that it continues)."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    if "continues" in raw:
        base_path = path.with_name(raw["continues"])
        if not base_path.exists():
            base_path = STANDARDS / raw["continues"]
        with base_path.open("rb") as f:
            base = tomllib.load(f)
        raw = {**base, **{k: v for k, v in raw.items() if k != "continues"}}
    problems: list[str] = []
    scoring = raw.get("scoring", {})
    sections = {s["number"]: (s["title"], _dec(s["points"])) for s in raw.get("section", [])}
    items = []
    for entry in raw.get("item", []):
        feeds = tuple(Feed(f.get("procedure", ""), f.get("lapsed_deadline"), f.get("trigger"),
                           tuple(f.get("payload_lists", {}).items()), f.get("document"))
                      for f in entry.get("feeds", []))
        item = Item(entry["code"], entry["section"], int(entry["number"]), entry["content"], entry["standard"],
                    entry["unit"], _dec(entry["per"]), _dec(entry["cap"]), bool(entry.get("once", False)),
                    entry.get("fed_by", ""), feeds)
        for feed in feeds:
            if not feed.procedure or [feed.lapsed_deadline, feed.trigger, feed.document].count(None) != 2:
                problems.append(f"item {item.code}: a feed names a procedure and one lapsed_deadline, trigger or document")
            elif feed.payload_lists and feed.trigger is None:
                problems.append(f"item {item.code}: payload_lists needs a trigger")
        if item.section not in sections:
            problems.append(f"item {item.code}: unknown section {item.section!r}")
        if not Decimal(0) < item.per <= item.cap:
            problems.append(f"item {item.code}: needs 0 < per <= cap")
        if item.once and item.per != item.cap:
            problems.append(f"item {item.code}: a once item deducts its cap at once (per == cap)")
        items.append(item)
    codes = [i.code for i in items]
    problems += [f"item code {c} appears twice" for c in sorted({c for c in codes if codes.count(c) > 1})]
    full = _dec(raw["full_marks"])
    if sum((p for _, p in sections.values()), Decimal(0)) != full:
        problems.append(f"section points do not add up to full_marks {full}")
    grades = tuple(sorted((Grade(g["name"], _dec(g["min"]), g["band"], g["source"]) for g in raw.get("grade", [])),
                          key=lambda g: g.min, reverse=True))
    if not grades or grades[-1].min != 0:
        problems.append("the lowest grade must start at 0")
    weight = _dec(scoring.get("daily_weight", -1))
    if not Decimal(0) <= weight <= 1:
        problems.append("scoring.daily_weight must lie between 0 and 1")
    if problems:
        raise ValueError(f"考核标准文件 {path} 有误：" + "；".join(problems))
    return Standard(raw["title"], int(raw["applies_from"]), full, scoring["rule"], weight, _dec(scoring["scale"]),
                    grades, sections, tuple(items), scale_source=scoring.get("scale_source", ""),
                    file=path.name, adopted=raw.get("adopted", ""))


def _standard_files() -> dict[str, Path]:
    files = {p.name: p for p in STANDARDS.glob("assessment_*.toml")}
    if os.environ.get("XSFLOW_ASSESSMENT_STANDARDS"):
        files.update({p.name: p for p in Path(os.environ["XSFLOW_ASSESSMENT_STANDARDS"]).glob("assessment_*.toml")})
    return files


@cache
def standards() -> tuple[Standard, ...]:
    """The bundled standards and the operator's (XSFLOW_ASSESSMENT_STANDARDS; a same-named file wins)."""
    files = _standard_files()
    if not files:
        raise RuntimeError(f"没有找到考核标准文件（{STANDARDS}/assessment_*.toml）：安装包缺少 standards 数据文件。")
    return tuple(sorted((read_standard(p) for p in files.values()), key=lambda s: s.applies_from))


def standard_file_name(year: int) -> str:
    return f"assessment_{year}.toml"


class StandardMissing(LookupError):
    """No standard file for the year: the year is not scored on another year's standard."""

    def __init__(self, year: int) -> None:
        self.year = year
        self.file = standard_file_name(year)
        super().__init__(
            f"{year}年度没有考核标准文件 {self.file}（应放在 {STANDARDS} 或 XSFLOW_ASSESSMENT_STANDARDS 指定的目录）："
            f"考核标准由县委全面依法治县委员会办公室逐年制定（《秀山自治县行政执法考核评议制度》第6条），"
            f"不以其他年度的标准代替。")


def has_standard(year: int) -> bool:
    return standard_file_name(year) in _standard_files()


def standard_for(year: int) -> Standard:
    """The standard of `year`: its own file `assessment_<year>.toml`, or StandardMissing naming that file.

    Art. 6 has the office make the standard; the 2022 one is titled for its year. A year without its
    file is refused rather than scored on another year's standard (which the county may have changed)."""
    for standard in standards():
        if standard.file == standard_file_name(year):
            return standard
    raise StandardMissing(year)


FIRST_YEAR = standards()[0].applies_from


# --- what the case and its steps carry -------------------------------------------------------------


def _required_text(what: str, max_length: int) -> fields.String:
    return fields.String(required=True, metadata={"title": what},
                         validate=validate.Length(min=1, max=max_length, error=f"请填写{what}（不超过 {max_length} 个字）。"),
                         error_messages={"required": "必须填写。", "null": "不能为空值。", "invalid": "应为文字。"})


def _optional_text(what: str, max_length: int) -> fields.String:
    return fields.String(metadata={"title": what},
                         validate=validate.Length(max=max_length, error=f"不能超过 {max_length} 个字。"),
                         error_messages={"null": "不能为空值。", "invalid": "应为文字。"})


class AssessmentData(Payload):
    """The assessed year; the agency is the case's agency. `publish_by` follows from the year (art. 10)."""

    year = year_field("考核年度", first=FIRST_YEAR, last=LAST_YEAR, since=f"考核标准自{FIRST_YEAR}年起施行")
    publish_by = fields.Date(dump_only=True, metadata={"title": "考核结果公布期限"})

    @validates_schema
    def _standard_exists(self, data: Mapping[str, Any], **_: Any) -> None:
        if "year" in data and not has_standard(data["year"]):
            raise ValidationError(str(StandardMissing(data["year"])), "year")

    @post_load
    def _publish_by(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {**data, "publish_by": date(data["year"] + 1, 1, 31)}


class SelfReport(Payload):
    report = _required_text("执法工作情况汇报", 20000)


def _two_decimals(value: float) -> None:
    if _dec(value) != rounded(_dec(value)):
        raise ValidationError("得分最多保留两位小数。")


DAILY_TEXT = ("日常考核得分由系统依据日常考核记录（依案件记录计算的扣分和考核人员记录的检查发现，第7条）得出，"
              "不在此录入；检查发现请记入日常考核记录（POST /api/v1/assessments/<年度>/agencies/<单位代码>/findings）。")


class DailyAssessment(Payload):
    """The assessors' summary; the score is the stored daily record's (assessment_record.supply_daily)."""

    summary = _required_text("日常考核情况", 5000)

    @pre_load
    def _no_keyed_score(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping) and "score" in data:
            raise ValidationError({"score": [DAILY_TEXT]})
        return data


def _count_field(code: str) -> fields.Integer:
    """A count for an item, titled with the newest standard's words for it."""
    newest = next(s.item(code) for s in reversed(standards()) if code in {i.code for i in s.items})
    yes_no = all(s.item(code).once for s in standards() if code in {i.code for i in s.items})
    most = 1 if yes_no else 999
    return fields.Integer(
        load_default=0, strict=True,
        metadata={"title": f"{newest.label} {newest.content}（{newest.standard}）",
                  **({"description": f"查{newest.fed_by}。"} if newest.fed_by else {})},
        validate=validate.Range(min=0, max=most, error="该项只填 0（无）或 1（有）。" if yes_no
                                else f"次数应为 0 至 {most} 之间的整数。"),
        error_messages={"null": "不能为空值。", "invalid": "应为整数（次数、件数或项数）。"})


ITEM_CODES = tuple(dict.fromkeys(i.code for s in standards() for i in s.items))
# Items computed from the record in every standard that has them: the assessors do not key in their
# count (no second data entry); the count is the stored computed one, corrected only with a reason.
COMPUTED_CODES = tuple(code for code in ITEM_CODES
                       if all(s.item(code).feeds for s in standards() if code in {i.code for i in s.items}))
ENTERED_CODES = tuple(code for code in ITEM_CODES if code not in COMPUTED_CODES)
COMPUTED_TEXT = ("本项由系统依据案件记录计算，不在此录入；如需更正，请以更正方式（考核页面“更正”，或 POST "
                 "/api/v1/assessments/<年度>/agencies/<单位代码>/corrections）并说明理由。")


def computed_refusal(code: str) -> str:
    item = next(s.item(code) for s in reversed(standards()) if code in {i.code for i in s.items})
    return f"{item.label}“{item.content}”：{COMPUTED_TEXT}"


class _Scoring(Payload):
    @pre_load
    def _no_computed_counts(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            keyed = {code: [computed_refusal(code)] for code in COMPUTED_CODES if code in data}
            if keyed:
                raise ValidationError(keyed)
        return data

    @validates_schema
    def _facts_for_deductions(self, data: Mapping[str, Any], **_: Any) -> None:
        if any(data.get(code) for code in ENTERED_CODES) and not (data.get("facts") or "").strip():
            raise ValidationError("有扣分项目的，请写明扣分事实（涉及的文件、案件或时间）。", "facts")


AnnualScoring = _Scoring.from_dict({**{code: _count_field(code) for code in ENTERED_CODES},
                                    "facts": _optional_text("扣分事实（涉及的文件、案件、时间，每行一项）", 20000)},
                                   name="AnnualScoring")


class Opinion(Payload):
    comment = _required_text("考核评语", 5000)


class GroupReport(Payload):
    summary = _optional_text("考核情况报告（要点或文号）", 5000)


class Return(Payload):
    reasons = _required_text("退回理由", 5000)


class Publication(Payload):
    review = _required_text("执法协调小组评审情况（会议日期、纪要或文号）", 500)


# --- effects: the scores are computed once and kept with the standard's numbers ----------------------


def counts_of(payload: Mapping[str, Any]) -> dict[str, int]:
    """The entered counts a scoring payload carries (computed items are never keyed in)."""
    return {code: int(payload[code]) for code in ENTERED_CODES if payload.get(code)}


def annual_scoring(year: int, entered: Mapping[str, int], computed: Mapping[str, Mapping[str, Any]],
                   facts: str) -> dict[str, Any]:
    """The annual scoring of the case: entered counts as keyed in, computed ones as stored by
    workflows/assessment_record.py (with the assessor's correction and its reason), so the case,
    its notice and the assessment page score the same numbers."""
    standard = standard_for(year)
    counts = {**{c: n for c, n in entered.items() if n},
              **{c: int(v["count"]) for c, v in computed.items() if int(v["count"])}}
    deducted = standard.deducted(counts)
    deductions = []
    for d in standard.deductions(counts):
        if d["code"] in computed:
            c = computed[d["code"]]
            d = {**d, "source": "computed", "computed_count": c.get("computed_count"),
                 "correction": c.get("reason") or ""}
        else:
            d = {**d, "source": "entered"}
        deductions.append(d)
    return {
        "standard": standard.title, "full_marks": points_text(standard.full_marks),
        "deductions": deductions, "deducted": points_text(deducted),
        "points": points_text(standard.full_marks - deducted), "score": score_text(standard.annual_score(counts)),
        "facts": facts, "entered": dict(entered),
        "computed_at": next(iter({v.get("computed_at") for v in computed.values()}), None),
    }


def note_report(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "reports": [*data.get("reports", []), payload["report"]]}


def note_daily(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "daily": {"score": score_text(_dec(payload["score"])), "summary": payload["summary"]}}


def note_annual(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    annual = annual_scoring(data["year"], counts_of(payload), payload.get("computed", {}), payload.get("facts", ""))
    return {**data, "annual": annual}


def note_opinion(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    standard = standard_for(data["year"])
    if "daily_score" in payload:  # the daily record's score as stored now
        data = {**data, "daily": {**data["daily"], "score": score_text(_dec(payload["daily_score"]))}}
    if "computed" in payload:  # the computed counts as stored now (a recomputation since the scoring counts)
        old = data["annual"]
        data = {**data, "annual": annual_scoring(data["year"], old.get("entered", {}), payload["computed"],
                                                 old.get("facts", ""))}
    daily, annual = _dec(data["daily"]["score"]), _dec(data["annual"]["score"])
    total = standard.total(daily, annual)
    grade = standard.grade(total)
    result = {"daily_score": score_text(daily), "annual_score": score_text(annual), "total": score_text(total),
              "daily_weight": points_text(standard.daily_weight), "grade": grade.name, "band": grade.band,
              "grade_source": f"{standard.rule}{grade.source}", "comment": payload["comment"]}
    return {**data, "result": result}


def note_returned(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in data.items() if k != "result"}
    return {**out, "returns": [*data.get("returns", []), payload["reasons"]]}


def note_group_report(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "group_report": payload.get("summary", "")}


def note_published(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "review": payload["review"]}


def _items_apply(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    """Every counted item belongs to the year's standard, and a yes/no item is counted at most once."""
    standard = standard_for(data["year"])
    known = {i.code: i for i in standard.items}
    return all(code in known and (not known[code].once or n <= 1) for code, n in counts_of(payload).items())


ITEMS_APPLY = Guard(_items_apply, refusal="所填扣分项目不属于该年度适用的考核标准，或“有／无”类项目填写的次数大于1")
BOTH_SCORED = Guard(lambda data, payload: "daily" in data and "annual" in data,
                    refusal="尚未录入日常考核得分或年度考核评分，不能形成考核意见（《秀山自治县行政执法考核评议制度》第7条、第9条第（二）项）")


# --- the notice ------------------------------------------------------------------------------------


def _lines(value: str | None) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    result, annual = data["result"], data["annual"]
    return {
        "year": data["year"], "result": result, "annual": annual,
        "weight_percent": points_text(_dec(result["daily_weight"]) * 100),
        "annual_percent": points_text((1 - _dec(result["daily_weight"])) * 100),
        "fact_lines": _lines(annual.get("facts")), "comment_lines": _lines(result["comment"]),
        "criticised": result["grade"] == standard_for(data["year"]).grades[-1].name,
        "issuer": ISSUER,
    }


# --- the procedure ---------------------------------------------------------------------------------


class Stage(StrEnum):
    ASSESSING = "assessing"
    SCORED = "scored"
    UNDER_GROUP_REVIEW = "under_group_review"
    PUBLISHED = "published"


BEFORE_PUBLICATION = frozenset({Stage.ASSESSING, Stage.SCORED, Stage.UNDER_GROUP_REVIEW})

# Art. 10: results are published in January. A date the case data holds (31 January after the year);
# its lapse only lists the case overdue (the `service_level` kind of deadline, which moves nothing),
# because the rule attaches no other consequence and the office must still publish.
PUBLICATION = Deadline("publication", "公布考核结果期限", frozenset(str(s) for s in BEFORE_PUBLICATION),
                       ASSESSMENT.art(10, note="每年一月份公布上年度考核结果，即次年1月31日24时前；逾期的列为逾期，仍应公布"),
                       on_date="publish_by", service_level=True)

# Art. 10: "每年一月份公布上年度考核结果": the result of a year is published once the year is over.
AFTER_THE_YEAR = NotBefore(lambda data: date(data["year"] + 1, 1, 1),
                           reason="考核结果在考核年度结束后公布，每年一月份公布上年度考核结果",
                           basis=ASSESSMENT.art(10))

assessment = procedure(
    "assessment", version=1, title="年度行政执法考核", initial=Stage.ASSESSING,
    basis=ASSESSMENT.art(9), opened_by="supervisor", data=AssessmentData,
    correlation_field="year", correlation_per_agency=True,
    states=[
        state(Stage.ASSESSING, "考核中", basis=ASSESSMENT.art(9, "一", note="县委全面依法治县委员会办公室组织有关人员进行考核")),
        state(Stage.SCORED, "已形成考核意见", basis=ASSESSMENT.art(9, "二")),
        state(Stage.UNDER_GROUP_REVIEW, "报执法协调小组评审中", basis=ASSESSMENT.art(9, "三")),
        state(Stage.PUBLISHED, "考核结果已公布", basis=ASSESSMENT.art(9, "四"), terminal=True),
    ],
    transitions=[
        transition("submit_report", Stage.ASSESSING, None, role=("clerk", "system"), payload=SelfReport,
                   effect=note_report, basis=ASSESSMENT.art(5, "一", note="听取被考核执法机构和人员的汇报"),
                   title="报送执法工作情况汇报"),
        transition("record_daily_assessment", Stage.ASSESSING, None, role="supervisor", payload=DailyAssessment,
                   effect=note_daily, basis=ASSESSMENT.art(7, note="日常考核情况在年度考核中占40%的分数"),
                   title="录入日常考核得分"),
        transition("record_annual_scoring", Stage.ASSESSING, None, role="supervisor", payload=AnnualScoring,
                   guard=ITEMS_APPLY, effect=note_annual,
                   basis=ASSESSMENT.art(9, "二", note="填写考核表，按考核标准逐项扣分"), title="录入年度考核评分"),
        transition("form_opinion", Stage.ASSESSING, Stage.SCORED, role="supervisor", payload=Opinion,
                   guard=BOTH_SCORED, effect=note_opinion,
                   basis=ASSESSMENT.art(9, "二", note="形成考核意见；等级依第8条评定"), title="形成考核意见"),
        transition("report_to_group", Stage.SCORED, Stage.UNDER_GROUP_REVIEW, role="supervisor",
                   payload=GroupReport, effect=note_group_report, basis=ASSESSMENT.art(9, "三"),
                   title="形成考核情况报告，报执法协调小组评审"),
        # The rule does not say what follows a review that does not approve; the assessors score again.
        transition("return_for_rescoring", (Stage.SCORED, Stage.UNDER_GROUP_REVIEW), Stage.ASSESSING,
                   role="supervisor", payload=Return, effect=note_returned,
                   basis=ASSESSMENT.art(9, "三", note="评审未通过的，退回重新考核"), title="退回重新考核"),
        transition("publish", Stage.UNDER_GROUP_REVIEW, Stage.PUBLISHED, role="supervisor", payload=Publication,
                   effect=note_published, issues="assessment_notice", not_before=AFTER_THE_YEAR,
                   basis=ASSESSMENT.art(10, note="每年一月份公布上年度考核结果；被评为差的，给予通报批评"),
                   title="公布考核结果"),
    ],
    deadlines=[PUBLICATION],
    documents=[
        document("assessment_notice", title="考核结果通报", issuer="rule_of_law_committee_office", basis=ASSESSMENT.art(10),
                 facts=notice_facts),
    ],
)

PROCEDURES = [assessment]
