"""The case-file evaluation sheet (评查评分表) as data, and the payload a reviewer fills in with it.

One file per year: `standards/case_file_sheet_<year>.toml` (or the same name in the folder named by
XSFLOW_CASE_FILE_SHEETS, which wins), whose applies_from is that year. A campaign is scored on its
year's sheet; a year without one is refused, naming the file to add (docs/decisions.md).
Used by the agency's self-review (art. 24) and the bureau's concentrated evaluation (art. 25–27).
Scores have two decimals, like the assessment's (same rounding, `assessment.rounded`).
"""
from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from xsflow.payloads import Payload, text

from .assessment import Grade, _dec, rounded, score_text

STANDARDS = Path(__file__).with_name("standards")
RULE_TITLE = "《秀山自治县行政执法监督制度》"


@dataclass(frozen=True)
class SheetItem:
    code: str
    title: str
    points: Decimal
    content: str
    deduction: str  # what a deduction means, in the sheet's words
    standard_item: str  # the item of the assessment standard it feeds (四.1, 四.5)


@dataclass(frozen=True)
class Sheet:
    title: str
    applies_from: int
    full_marks: Decimal
    grades: tuple[Grade, ...]  # highest first
    items: tuple[SheetItem, ...]

    def grade(self, score: Decimal) -> Grade:
        """Each band includes its lower bound: 90.00 优秀, 89.99 良好, 60.00 合格, 59.99 不合格."""
        return next(g for g in self.grades if score >= g.min)

    def problems(self, deductions: Mapping[str, Any]) -> dict[str, list[str]]:
        """Why deductions do not fit this sheet, per item; empty when they do."""
        known = {i.code: i for i in self.items}
        out: dict[str, list[str]] = {}
        for code, value in deductions.items():
            item = known.get(code)
            if item is None:
                out[code] = [f"《{self.title}》没有代码为“{code}”的评查项目，可选："
                             + "、".join(f"{i.code}（{i.title}）" for i in self.items) + "。"]
            elif not Decimal(0) <= _dec(value) <= item.points:
                out[code] = [f"“{item.title}”扣分应在 0 至 {item.points} 分之间。"]
            elif _dec(value) != rounded(_dec(value)):
                out[code] = ["扣分最多保留两位小数。"]
        return out

    def scored(self, deductions: Mapping[str, Any]) -> dict[str, Any]:
        """What a scored file keeps: the sheet, each item's deduction, the score and its grade."""
        lines = [{"code": i.code, "title": i.title, "points": score_text(i.points),
                  "deducted": score_text(_dec(deductions.get(i.code, 0)))} for i in self.items]
        score = rounded(self.full_marks - sum((_dec(v) for v in deductions.values()), Decimal(0)))
        grade = self.grade(score)
        return {"sheet": self.title, "items": lines, "score": score_text(score), "grade": grade.name,
                "band": grade.band, "grade_source": f"{RULE_TITLE}{grade.source}"}


def read_sheet(path: Path) -> Sheet:
    """A sheet file, checked: every problem listed at once."""
    with path.open("rb") as f:
        raw = tomllib.load(f)
    problems: list[str] = []
    items = tuple(SheetItem(e["code"], e["title"], _dec(e["points"]), e["content"], e["deduction"],
                            e.get("standard_item", "")) for e in raw.get("item", []))
    full = _dec(raw["full_marks"])
    if sum((i.points for i in items), Decimal(0)) != full:
        problems.append(f"item points do not add up to full_marks {full}")
    codes = [i.code for i in items]
    problems += [f"item code {c} appears twice" for c in sorted({c for c in codes if codes.count(c) > 1})]
    grades = tuple(sorted((Grade(g["name"], _dec(g["min"]), g["band"], g["source"]) for g in raw.get("grade", [])),
                          key=lambda g: g.min, reverse=True))
    if not grades or grades[-1].min != 0:
        problems.append("the lowest grade must start at 0")
    named = path.stem.rsplit("_", 1)[-1]
    if named.isdigit() and int(named) != int(raw["applies_from"]):
        problems.append(f"applies_from {raw['applies_from']} is not the year {named} in the file name")
    if problems:
        raise ValueError(f"案卷评查评分表文件 {path} 有误：" + "；".join(problems))
    return Sheet(raw["title"], int(raw["applies_from"]), full, grades, items)


@cache
def sheets() -> tuple[Sheet, ...]:
    files = {p.name: p for p in STANDARDS.glob("case_file_sheet_*.toml")}
    if os.environ.get("XSFLOW_CASE_FILE_SHEETS"):
        files.update({p.name: p for p in Path(os.environ["XSFLOW_CASE_FILE_SHEETS"]).glob("case_file_sheet_*.toml")})
    if not files:
        raise RuntimeError(f"没有找到案卷评查评分表文件（{STANDARDS}/case_file_sheet_*.toml）。")
    return tuple(sorted((read_sheet(p) for p in files.values()), key=lambda s: s.applies_from))


class MissingSheet(LookupError):
    """No sheet file for the year; the message names the file to add."""


def missing_sheet_message(year: int) -> str:
    return (f"没有{year}年度的案卷评查评分表：请在 {STANDARDS}（或环境变量 XSFLOW_CASE_FILE_SHEETS 指定的文件夹）"
            f"放入 case_file_sheet_{year}.toml（可复制上一年度的文件修改），再开展该年度评查。")


def has_sheet(year: int) -> bool:
    return any(s.applies_from == year for s in sheets())


def sheet_for(year: int) -> Sheet:
    """The sheet of `year` (the file case_file_sheet_<year>.toml); MissingSheet when there is none."""
    found = [s for s in sheets() if s.applies_from == year]
    if not found:
        raise MissingSheet(missing_sheet_message(year))
    return found[-1]


def current_sheet() -> Sheet:
    """The newest sheet installed: what a self-review is scored on."""
    return sheets()[-1]


def _deductions() -> fields.Dict:
    return fields.Dict(keys=fields.String(), values=fields.Float(allow_nan=False, error_messages={
        "invalid": "扣分应为数字。"}), load_default=dict, metadata={
        "title": "各评查项目的扣分（项目代码 → 分数，两位小数）",
        "description": "；".join(f"{i.code}：{i.title}（{i.points}分）" for i in sheets()[-1].items)},
        error_messages={"invalid": "扣分应为“项目代码: 分数”的对象。"})


class Scoring(Payload):
    """One reading of a file on the sheet: deductions per item and what was wrong."""

    deductions = _deductions()
    findings = text(max_length=20000)  # 扣分事由，每行一项
    reviewer = text(max_length=100)  # 评查人员姓名（自我评查：法制工作机构的评查人）

    @validates_schema
    def _reasons_for_deductions(self, data: Mapping[str, Any], **_: Any) -> None:
        # Checked against every sheet's codes here; the case's own sheet is checked by the guard.
        known = {i.code for s in sheets() for i in s.items}
        unknown = {f"deductions.{c}": ["不认识的评查项目代码。"] for c in data.get("deductions", {}) if c not in known}
        if unknown:
            raise ValidationError(unknown)
        if any(v for v in data.get("deductions", {}).values()) and not (data.get("findings") or "").strip():
            raise ValidationError("有扣分的，请写明扣分事由（每行一项）。", "findings")
