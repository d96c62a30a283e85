"""行政执法案卷集中评查 — the bureau's annual concentrated evaluation of case files (art. 25–28).

《秀山自治县行政执法监督制度》: once a year the justice bureau evaluates case files, with a panel that
may include agency experts, judges, prosecutors and the government's legal adviser (art. 25); files
of the types each agency's powers cover are drawn at random; each reviewer reads alone, reviewers
score across agencies, hard questions are decided collectively, and the results are summarised
(art. 26); grades follow art. 27; a file under 60 makes the bureau issue a 《行政执法监督意见书》
(art. 28), which here opens a linked `case_supervision` case (on the version in force) whose opinion
and 10-working-day rectification (art. 32) follow that procedure.

One case per year (correlation field `year`), opened by the supervision office for the bureau.
Where the rule is silent (each choice is repeated where it is declared):
- The sample: per agency, `default_size` files or the size set for it with its reason, taken in turn
  from each type the agency has closed files of (art. 26 order), so every type its powers cover is
  read. `random.Random(seed)` over the population sorted by case number: anyone with the seed and the
  same registered files draws the same sample (GET /api/v1/case-file-evaluations/{id}/redraw).
- Each file is read by `reviewers_per_file` members (default 2), never of the file's agency (cross
  review), the least-loaded first, ties broken by the same random draw.
- A file's score is the mean of its readings (two decimals, half up); when the readings differ by more
  than `spread_margin` points (default 10) the panel decides it collectively.
- Exactly once per file: the supervision case's correlation value is "案卷评查/<case number>", unique.
"""
from __future__ import annotations

import random
from collections.abc import Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Any

from marshmallow import ValidationError, fields, validate, validates

from xsflow.definitions import Guard, LinkedCase, Rule, procedure, state, transition
from xsflow.errors import TriggerNotAllowed
from xsflow.payloads import Payload, choice, text

from .assessment import _dec, rounded, score_text
from .case_file_self_review import CASE_TYPES
from .case_file_sheet import MissingSheet, Scoring, has_sheet, missing_sheet_message, sheet_for
from .numbering import document

RULE = Rule("《秀山自治县行政执法监督制度》")
BUREAU = "sfj"  # 县司法局: the campaign's agency
PASSING = Decimal(60)  # art. 27/28: 60.00 is 合格; 59.99 opens a supervision case

MEMBER_ROLES = {  # art. 25
    "bureau_staff": "县司法局工作人员",
    "agency_expert": "行政执法机构业务骨干",
    "judge": "法官",
    "prosecutor": "检察官",
    "legal_adviser": "县政府法律顾问",
}


class Stage(StrEnum):
    PREPARING = "preparing"
    REVIEWING = "reviewing"
    SUMMARISED = "summarised"
    CONCLUDED = "concluded"


def _int(what: str, low: int, high: int, **kw: Any) -> fields.Integer:
    return fields.Integer(strict=True, validate=validate.Range(min=low, max=high, error=f"{what}应在 {low} 至 {high} 之间。"),
                          error_messages={"invalid": f"{what}应为整数。", "required": "必须填写。", "null": "不能为空值。"},
                          **kw)


class CampaignData(Payload):
    year = _int("评查年度", 2022, 2098, required=True)  # files closed in this year are drawn
    reviewers_per_file = _int("每卷评查人数", 1, 5, load_default=2)
    spread_margin = fields.Float(load_default=10, validate=validate.Range(min=0, max=100, error="分差应在 0 至 100 之间。"),
                                 error_messages={"invalid": "分差应为数字。"})

    @validates("year")
    def _has_a_sheet(self, value: int, **_: Any) -> None:
        # Each year is scored on its own sheet (standards/case_file_sheet_<year>.toml): none, no campaign.
        if not has_sheet(value):
            raise ValidationError(missing_sheet_message(value))


class Member(Payload):
    member_id = text(max_length=50, required=True)
    name = text(max_length=100, required=True)
    role = choice(MEMBER_ROLES, what="成员类别")
    agency = text(max_length=40)  # the member's agency code; none for judges, prosecutors, the adviser
    unit = text(max_length=200)  # 工作单位 as printed (法院、检察院、律师事务所)


class SampleSize(Payload):
    agency = text(max_length=40, required=True)
    size = _int("抽取件数", 0, 500, required=True)
    reason = text(max_length=500, required=True)


class PopulationFile(Payload):
    case_id = fields.Integer(required=True)
    case_number = text(max_length=100, required=True)
    agency = text(max_length=40, required=True)
    agency_name = text(max_length=200, required=True)
    case_type = choice(CASE_TYPES, what="案件类型")
    title = text(max_length=500, required=True)


class Draw(Payload):
    """Built by POST /api/v1/case-file-evaluations/{id}/draw from the registered files of the year."""

    seed = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=2**63 - 1))
    default_size = _int("每单位抽取件数", 1, 500, required=True)
    sizes = fields.List(fields.Nested(SampleSize), load_default=list)
    population = fields.List(fields.Nested(PopulationFile), required=True)


class Reading(Scoring):
    file = text(max_length=100, required=True)  # the case number
    member = text(max_length=50, required=True)


class Collective(Scoring):
    file = text(max_length=100, required=True)
    minutes = text(max_length=5000, required=True)  # 集体评议意见


class Letter(Payload):
    agency = text(max_length=40, required=True)


# --- the draw: pure, so anyone can redraw ----------------------------------------------------------


def draw(population: list[Mapping[str, Any]], seed: int, default_size: int,
         sizes: Mapping[str, int]) -> tuple[list[dict[str, Any]], random.Random]:
    """The sample, per agency in code order, taken in turn from each case type; and the generator, for
    the assignment that follows."""
    rng = random.Random(seed)
    files = sorted((dict(f) for f in population), key=lambda f: f["case_number"])
    sample: list[dict[str, Any]] = []
    for agency in sorted({f["agency"] for f in files}):
        groups = {t: [f for f in files if f["agency"] == agency and f["case_type"] == t] for t in CASE_TYPES}
        for group in groups.values():
            rng.shuffle(group)
        want, picked = sizes.get(agency, default_size), []
        while len(picked) < want and any(groups.values()):
            for group in groups.values():
                if group and len(picked) < want:
                    picked.append(group.pop(0))
        sample += picked
    return sample, rng


def assign(sample: list[dict[str, Any]], members: list[Mapping[str, Any]], per_file: int,
           rng: random.Random) -> dict[str, list[str]]:
    """Reviewers per file: never of the file's agency, the least-loaded first, ties by the draw."""
    load = {m["member_id"]: 0 for m in members}
    out = {}
    for f in sample:
        eligible = [m["member_id"] for m in sorted(members, key=lambda m: m["member_id"]) if m.get("agency") != f["agency"]]
        chosen = sorted(eligible, key=lambda m: (load[m], rng.random()))[:per_file]
        for m in chosen:
            load[m] += 1
        out[f["case_number"]] = chosen
    return out


def drawn(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    sizes = {s["agency"]: s["size"] for s in payload.get("sizes", [])}
    sample, rng = draw(payload["population"], payload["seed"], payload["default_size"], sizes)
    reviewers = assign(sample, data.get("members", []), data["reviewers_per_file"], rng)
    files = {f["case_number"]: {**f, "reviewers": reviewers[f["case_number"]], "readings": {}, "status": "reading",
                                "final": None} for f in sample}
    return {**data, "seed": payload["seed"], "default_size": payload["default_size"],
            "sizes": list(payload.get("sizes", [])), "population_size": len(payload["population"]),
            "sample": [f["case_number"] for f in sample], "files": files}


def _assignable(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    agencies = {f["agency"] for f in payload.get("population", [])}
    members = data.get("members", [])
    return all(len([m for m in members if m.get("agency") != a]) >= data["reviewers_per_file"] for a in agencies)


ASSIGNABLE = Guard(_assignable, refusal="评查组中非本单位的成员不足，无法做到每卷由规定人数交叉评查（第26条）：请先增加评查组成员")


def joined(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "members": [*data.get("members", []), dict(payload)]}


NEW_MEMBER = Guard(lambda data, payload: payload["member_id"] not in {m["member_id"] for m in data.get("members", [])},
                   refusal="评查组已有该编号的成员")


# --- scoring ---------------------------------------------------------------------------------------


def _sheet(data: Mapping[str, Any]):
    try:
        return sheet_for(int(data["year"]))
    except MissingSheet as missing:  # the year's file was removed after the campaign opened
        raise TriggerNotAllowed(str(missing)) from None


def _finalised(data: Mapping[str, Any], f: dict[str, Any], result: dict[str, Any], how: str) -> dict[str, Any]:
    return {**f, "status": "final", "final": {**result, "how": how}}


def read(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    sheet = _sheet(data)
    f = dict(data["files"][payload["file"]])
    result = {**sheet.scored(payload.get("deductions", {})), "findings": payload.get("findings", "")}
    f["readings"] = {**f["readings"], payload["member"]: result}
    if len(f["readings"]) == len(f["reviewers"]):
        scores = [_dec(r["score"]) for r in f["readings"].values()]
        if max(scores) - min(scores) > _dec(data["spread_margin"]):
            f["status"] = "collective"
        else:
            mean = rounded(sum(scores, Decimal(0)) / len(scores))
            grade = sheet.grade(mean)
            f = _finalised(data, f, {"score": score_text(mean), "grade": grade.name, "band": grade.band}, "mean")
    return {**data, "files": {**data["files"], payload["file"]: f}}


def decided(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    result = {**_sheet(data).scored(payload.get("deductions", {})), "findings": payload.get("findings", ""),
              "minutes": payload["minutes"]}
    f = _finalised(data, dict(data["files"][payload["file"]]), result, "collective")
    return {**data, "files": {**data["files"], payload["file"]: f}}


def _may_read(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    f = data.get("files", {}).get(payload["file"])
    member = next((m for m in data.get("members", []) if m["member_id"] == payload["member"]), None)
    return (f is not None and member is not None and payload["member"] in f["reviewers"]
            and member.get("agency") != f["agency"] and payload["member"] not in f["readings"]
            and not _sheet(data).problems(payload.get("deductions", {})))


MAY_READ = Guard(_may_read, refusal="该案卷不在本次抽取范围，或未分配给该评查人员（评查人员不评查本单位案卷），"
                                    "或该评查人员已提交过评分（个人独立阅卷，第26条），或扣分不符合评查评分表")
IN_DISPUTE = Guard(lambda data, payload: (data.get("files", {}).get(payload["file"]) or {}).get("status") == "collective"
                   and not _sheet(data).problems(payload.get("deductions", {})),
                   refusal="只有评分差距超过规定分差、提交集体评议的案卷才由集体评议定分，或扣分不符合评查评分表")


def failing_files(data: Mapping[str, Any], payload: Mapping[str, Any], origin: Mapping[str, Any]) -> list[LinkedCase]:
    """Art. 28: every finally scored file under 60 that has no supervision case yet."""
    opened = {link["key"] for link in data.get("linked_cases", [])}
    out = []
    for f in data.get("files", {}).values():
        key = f"案卷评查/{f['case_number']}"
        if f["final"] and _dec(f["final"]["score"]) < PASSING and key not in opened:
            out.append(LinkedCase("case_supervision", f["agency"], f"{f['title']}（案卷评查不合格）", {
                "grounds": ["case_file_score"], "case_file": f"{f['case_number']} {f['title']}",
                "score": float(f["final"]["score"]), "reference": key,
                "source": f"{data['year']}年度行政执法案卷集中评查（评查组得分{f['final']['score']}分）"}, opened_as="supervisor"))
    return out


# --- results ---------------------------------------------------------------------------------------


def summary(data: Mapping[str, Any]) -> dict[str, Any]:
    """Per agency and county-wide: files evaluated, grade counts, mean score, files under 60, and per
    sheet item the files in which it lost points (what assessment item 四.1 counts)."""
    sheet = _sheet(data)
    grades = [g.name for g in sheet.grades]
    per: dict[str, dict[str, Any]] = {}
    for f in data.get("files", {}).values():
        if not f["final"]:
            continue
        row = per.setdefault(f["agency"], {"agency": f["agency"], "agency_name": f["agency_name"], "files": 0,
                                           "grades": {g: 0 for g in grades}, "total": Decimal(0),
                                           "errors": {i.code: 0 for i in sheet.items}, "failing": []})
        row["files"] += 1
        row["grades"][f["final"]["grade"]] += 1
        row["total"] += _dec(f["final"]["score"])
        readings = list(f["readings"].values()) + ([f["final"]] if f["final"].get("items") else [])
        for item in sheet.items:
            row["errors"][item.code] += any(_dec(next(i["deducted"] for i in r["items"] if i["code"] == item.code))
                                            for r in readings)
        if _dec(f["final"]["score"]) < PASSING:
            row["failing"].append(f["case_number"])
    agencies = []
    for code in sorted(per):
        total = per[code].pop("total")
        agencies.append({**per[code], "mean": score_text(total / per[code]["files"])})
    county = {"files": sum(a["files"] for a in agencies),
              "grades": {g: sum(a["grades"][g] for a in agencies) for g in grades},
              "failing": sum(len(a["failing"]) for a in agencies)}
    return {"agencies": agencies, "county": county, "items": [{"code": i.code, "title": i.title} for i in sheet.items]}


def items_deducted(f: Mapping[str, Any]) -> set[str]:
    """The sheet items a finally scored file lost points on: the collective decision's, or, for a mean
    of readings, every item some reader deducted on (the mean deducts on it too)."""
    final = f.get("final") or {}
    readings = [final] if final.get("how") == "collective" else list(f.get("readings", {}).values())
    return {i["code"] for r in readings for i in r.get("items", []) if _dec(i["deducted"]) > 0}


def evaluated_per_agency(data: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """What the assessment reads from a campaign, per agency: files finally scored, files per sheet item
    with a deduction, and 四.1's count — per 行政处罚 file, one error per item deducted on
    (《2022年行政执法考核标准》四.1 每错一项扣0.01分) — and the files under 60."""
    out: dict[str, dict[str, Any]] = {}
    for f in (data.get("files") or {}).values():
        if not f.get("final"):
            continue
        row = out.setdefault(f["agency"], {"files_evaluated": 0, "errors": {}, "penalty_errors": 0, "failing": 0})
        row["files_evaluated"] += 1
        wrong = items_deducted(f)
        for code in wrong:
            row["errors"][code] = row["errors"].get(code, 0) + 1
        if f["case_type"] == "penalty":
            row["penalty_errors"] += len(wrong)
        row["failing"] += _dec(f["final"]["score"]) < PASSING
    return out


def summarised(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "summary": summary(data), "letters": []}


def lettered(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "letters": [*data.get("letters", []), payload["agency"]]}


ALL_FINAL = Guard(lambda data, payload: bool(data.get("files")) and all(f["final"] for f in data["files"].values()),
                  refusal="尚有案卷未形成最终得分（未评完或待集体评议），不能汇总评查结果")
LETTER_DUE = Guard(lambda data, payload: payload["agency"] in {a["agency"] for a in data["summary"]["agencies"]}
                   and payload["agency"] not in data.get("letters", []),
                   refusal="该单位没有被评查的案卷，或已出具过评查结果函")
ALL_LETTERS = Guard(lambda data, payload: {a["agency"] for a in data["summary"]["agencies"]} <= set(data.get("letters", [])),
                    refusal="尚有单位未出具评查结果函")


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    by_agency: dict[str, dict[str, Any]] = {}
    for f in data["files"].values():
        by_agency.setdefault(f["agency"], {"name": f["agency_name"], "files": []})["files"].append(
            {**f, "type_title": CASE_TYPES[f["case_type"]]})
    reasons = {s["agency"]: s for s in data.get("sizes", [])}
    return {"year": data["year"], "agencies": [by_agency[k] | {"size": reasons.get(k)} for k in sorted(by_agency)],
            "members": [{**m, "role_title": MEMBER_ROLES[m["role"]]} for m in data.get("members", [])]}


def bulletin_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    return {"year": data["year"], "summary": data["summary"], "sheet": _sheet(data).title,
            "grade_bands": [{"name": g.name, "band": g.band} for g in _sheet(data).grades]}


def letter_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    code = facts["payload"]["agency"]
    row = next(a for a in data["summary"]["agencies"] if a["agency"] == code)
    files = [f for f in data["files"].values() if f["agency"] == code]
    links = {link["key"]: link["case_id"] for link in data.get("linked_cases", [])}
    return {"year": data["year"], "agency": row, "recipient": {"code": code, "name": row["agency_name"]},
            "files": [{**f, "supervision_case": links.get(f"案卷评查/{f['case_number']}")} for f in files]}


PANEL = RULE.art(25, note="邀请行政执法机构业务骨干、法官、检察官、县政府法律顾问等组成案卷评查组")
METHOD = RULE.art(26, note="个人独立阅卷、交叉互评、疑难问题集体评议、汇总评查结果")

case_file_evaluation = procedure(
    "case_file_evaluation", version=1, title="行政执法案卷集中评查", initial=Stage.PREPARING,
    basis=RULE.art(25), opened_by="supervisor", data=CampaignData, correlation_field="year",
    states=[
        state(Stage.PREPARING, "组建评查组、抽取案卷", basis=PANEL),
        state(Stage.REVIEWING, "阅卷评分中", basis=METHOD),
        state(Stage.SUMMARISED, "已汇总评查结果", basis=RULE.art(26, note="汇总评查结果")),
        state(Stage.CONCLUDED, "评查结束", basis=RULE.art(27), terminal=True),
    ],
    transitions=[
        transition("add_member", Stage.PREPARING, None, role="supervisor", payload=Member, guard=NEW_MEMBER,
                   effect=joined, basis=PANEL, title="增加评查组成员"),
        transition("draw_sample", Stage.PREPARING, Stage.REVIEWING, role="supervisor", payload=Draw,
                   guard=ASSIGNABLE, effect=drawn, issues="evaluation_notice",
                   basis=RULE.art(26, note="结合各单位法定职权随机抽取各类型案卷；交叉互评"),
                   title="随机抽取案卷并分配评查人员"),
        transition("submit_score", Stage.REVIEWING, None, role=("reviewer", "supervisor"), payload=Reading,
                   guard=MAY_READ, effect=read, opens=failing_files,
                   basis=RULE.art(26, note="个人独立阅卷、交叉互评；60分以下的依第28条出具意见书"),
                   title="提交评查评分"),
        transition("decide_collectively", Stage.REVIEWING, None, role="supervisor", payload=Collective,
                   guard=IN_DISPUTE, effect=decided, opens=failing_files,
                   basis=RULE.art(26, note="疑难问题集体评议；60分以下的依第28条出具意见书"),
                   title="集体评议定分"),
        transition("summarise", Stage.REVIEWING, Stage.SUMMARISED, role="supervisor", guard=ALL_FINAL,
                   effect=summarised, issues="evaluation_bulletin", basis=RULE.art(26, note="汇总评查结果"),
                   title="汇总评查结果并通报"),
        transition("issue_result_letter", Stage.SUMMARISED, None, role="supervisor", payload=Letter,
                   guard=LETTER_DUE, effect=lettered, issues="evaluation_result_letter",
                   basis=RULE.art(27), title="向被评查单位出具评查结果函"),
        transition("conclude", Stage.SUMMARISED, Stage.CONCLUDED, role="supervisor", guard=ALL_LETTERS,
                   basis=RULE.art(27), title="评查结束"),
    ],
    documents=[
        document("evaluation_notice", title="关于开展行政执法案卷集中评查的通知", issuer="justice_bureau",
                 basis=RULE.art(25), facts=notice_facts),
        document("evaluation_bulletin", title="行政执法案卷集中评查情况通报", issuer="justice_bureau",
                 basis=RULE.art(27), facts=bulletin_facts),
        document("evaluation_result_letter", title="行政执法案卷评查结果告知函", issuer="justice_bureau",
                 basis=RULE.art(27), facts=letter_facts),
    ],
)

PROCEDURES = [case_file_evaluation]
