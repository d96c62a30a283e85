"""The assessment computed from the record (workflows/assessment_record.py), over the HTTP API.

A year of activity (2025) is built through the API in two agencies alike — 县市场监管局 (scjgj) and
县交通局 (jtj) — on SQLite and PostgreSQL with an injected clock, time moved by the sweep. By hand
(《2022年行政执法考核标准》, 2 points; the daily rule of workflows/service_levels/assessment.toml):

- 二.1 unfiled documents: 11 filings published in 2025 and never filed, each 30-day period ending in
  2025 → 11 × 0.01 = 0.11, capped at 0.1. One filed in time and one published on 2025-12-20 (its 30
  days end on 2026-01-19, in 2026) do not count.
- 三.3 trainings: 3 certificate holders (issued 2024) missed the update training due 2025-12-31 →
  3 × 0.03 = 0.09, capped at 0.06.
- 五.2 not corrected: 1 supervision opinion left past its 10 working days, 1 correction order left past
  its 10 days → 2 × 0.01 = 0.02.
- 五.3 criticised: the lapsed correction order's criticism notice → 1 × 0.01.
- Deducted 0.1 + 0.06 + 0.02 + 0.01 = 0.19; 1.81 of 2 → annual score 90.50.
- Daily (×50 to 100 points): 二.1 10 × 0.5 = 5 (cap 5, the 11th takes nothing), 三.3 2 × 1.5 = 3
  (cap 3), 五.2 2 × 0.5 = 1, 五.3 0.5, one inspection finding of 2 → 100 − 11.5 = 88.50.
- Total 0.4 × 88.50 + 0.6 × 90.50 = 35.40 + 54.30 = 89.70 → 较好.
"""
from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from openpyxl import load_workbook

from tests.conftest import at
from tests.test_certificate import InProcess, certify
from xsflow.store.db import Database  # noqa: F401  (used through test_certificate's helpers)
from xsflow.tokens import create_token

UNITS = ("scjgj", "jtj")
YEAR = 2025
FINDINGS = {"findings": "1. 接到投诉后未依法立案调查。", "requirements": "依法对投诉事项立案调查，并告知投诉人处理结果。"}
SPEC = {"supervisor": ("supervisor", None), "reviewer": ("reviewer", "sfj"), "scjgj": ("clerk", "scjgj"),
        "jtj": ("clerk", "jtj"), "gaj": ("clerk", "gaj"), "bureau_system": ("system", None)}


def tokens(system) -> dict[str, str]:
    with system.db.write() as conn:
        return {name: create_token(conn, name=name, role=role, agency=agency, now=datetime.now(UTC))
                for name, (role, agency) in SPEC.items()}


class Desk:
    def __init__(self, api: InProcess, token: str) -> None:
        self.api, self.token = api, token

    def call(self, method: str, path: str, body=None, expect: int | None = None):
        r = self.api.call(method, f"/api/v1{path}", self.token, body)
        if expect is not None:
            assert r.status == expect, r.body
        return r

    def open(self, procedure: str, agency: str, title: str, occurred_at: str, data: dict) -> int:
        return self.call("POST", "/cases", {"procedure": procedure, "agency": agency, "title": title,
                                            "occurred_at": occurred_at, "data": data}, expect=201).body["id"]

    def fire(self, case_id: int, trigger: str, payload: dict | None, occurred_at: str) -> dict:
        return self.call("POST", f"/cases/{case_id}/events",
                         {"trigger": trigger, "payload": payload or {}, "occurred_at": occurred_at}, expect=200).body


def year_of_activity(api: InProcess, t: dict[str, str], unit: str) -> dict[str, list[int]]:
    """The same 2025 in `unit`; the ids of the cases that must be counted, by item."""
    clerk, sup = Desk(api, t[unit]), Desk(api, t["supervisor"])
    counted: dict[str, list[int]] = {"unfiled_documents": [], "training_shortfall": [],
                                     "violations_not_corrected": [], "criticized": []}
    for n in range(11):
        day = f"2025-{3 + n % 9:02d}-{1 + n:02d}T09:00:00+08:00"
        counted["unfiled_documents"].append(clerk.open(
            "filing_review", unit, f"关于规范第{n + 1}类事项的通知", day,
            {"document_number": f"秀山{unit}发〔2025〕{n + 1}号"}))
    filed = clerk.open("filing_review", unit, "关于按时报备的通知", "2025-04-01T09:00:00+08:00",
                       {"document_number": f"秀山{unit}发〔2025〕50号"})
    clerk.fire(filed, "file", {"materials": ["filing_report", "official_text", "drafting_explanation", "basis",
                                             "legality_opinion"]}, "2025-04-10T09:00:00+08:00")
    clerk.open("filing_review", unit, "关于年底事项的通知", "2025-12-20T09:00:00+08:00",
               {"document_number": f"秀山{unit}发〔2025〕60号"})

    for n in range(3):
        person = f"{unit}-P{n}"
        counted["training_shortfall"].append(certify(
            api, {**t, "clerk": t[unit]}, person, f"执法员{n}", opened="2024-03-01", issued="2024-03-10",
            valid_until="2029-03-09", number=f"50024100{unit}{n}", agency=unit)["id"])

    cs = sup.open("case_supervision", unit, "对某投诉的处理", "2025-05-06T09:00:00+08:00", {"grounds": ["complaint"]})
    sup.fire(cs, "issue_opinion", FINDINGS, "2025-05-08T10:00:00+08:00")
    clerk.fire(cs, "confirm_receipt", {"method": "signed"}, "2025-05-09T10:00:00+08:00")
    counted["violations_not_corrected"].append(cs)

    order = sup.open("correction_order", unit, "未按规定报送执法统计", "2025-07-01T09:00:00+08:00",
                     {"ground": "statistics", "facts": "未按规定报送2025年第一季度行政执法统计数据。"})
    sup.fire(order, "issue_order", {"period_days": 10, "requirements": "报送统计数据。"}, "2025-07-02T10:00:00+08:00")
    counted["violations_not_corrected"].append(order)
    counted["criticized"].append(order)
    return counted


@pytest.fixture
def year(system, clock):
    """2025 built in both agencies, the sweep run on 5 January 2026, the year computed over HTTP."""
    api = InProcess(system)
    t = tokens(system)
    clock.move_to(at("2025-12-30T10:00:00+08:00"))
    counted = {unit: year_of_activity(api, t, unit) for unit in UNITS}
    clock.move_to(at("2026-01-05T09:00:00+08:00"))
    system.tick(clock.now())
    sup = Desk(api, t["supervisor"])
    sup.call("POST", f"/assessments/{YEAR}/agencies/scjgj/findings",
             {"found_on": "2025-09-10", "points": 2, "text": "执法公示栏内容未及时更新。"}, expect=201)
    sup.call("POST", f"/assessments/{YEAR}/agencies/jtj/findings",
             {"found_on": "2025-09-10", "points": 2, "text": "执法公示栏内容未及时更新。"}, expect=201)
    run = sup.call("POST", f"/assessments/{YEAR}/compute", expect=200).body
    return api, t, counted, run


def items_of(result: dict) -> dict[str, dict]:
    return {i["code"]: i for i in result["items"]}


def test_each_computed_item_counts_the_cases_that_caused_it_with_its_cap(year):
    """Counts, deductions and caps as computed by hand; each listed case is one that caused the item, once."""
    api, t, counted, run = year
    assert run["standard_file"] == "assessment_2025.toml" and run["computed_at"].startswith("2026-01-05")
    result = Desk(api, t["scjgj"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body
    items = items_of(result)
    expected = {"unfiled_documents": (11, "0.1", True), "training_shortfall": (3, "0.06", True),
                "violations_not_corrected": (2, "0.02", False), "criticized": (1, "0.01", False),
                "unlawful_documents": (0, "0", False), "statistics_not_reported": (0, "0", False)}
    for code, (count, deduction, capped) in expected.items():
        item = items[code]
        assert (item["source"], item["count"], item["deduction"], item["capped"]) == ("computed", count, deduction,
                                                                                      capped), code
        assert sorted(c["case_id"] for c in item["cases"]) == sorted(counted["scjgj"].get(code, [])), code
    assert {c["what"] for c in items["unfiled_documents"]["cases"]} == {"deadline:filing"}
    assert items["unfiled_documents"]["cases_total"] == 11 and items["unfiled_documents"]["cases_next"] is None
    paged, cursor = [], None
    while True:  # the same 11 cases, 4 a page, none lost or repeated, the total on every page
        query = f"?limit=4" + (f"&cursor={cursor}" if cursor else "")
        page = Desk(api, t["scjgj"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj/items/unfiled_documents/cases"
                                          + query, expect=200).body
        assert page["total"] == 11 and len(page["items"]) <= 4
        paged += [c["case_id"] for c in page["items"]]
        cursor = page["next"]
        if cursor is None:
            break
    assert paged == [c["case_id"] for c in items["unfiled_documents"]["cases"]]
    assert all(c["on"].startswith("2025-") for i in items.values() for c in i["cases"])
    [criticism] = items["criticized"]["cases"]
    assert criticism["what"].startswith("document:秀山府发〔2026〕") and criticism["on"].startswith("2025-07-")
    assert items["three_systems_missing"]["source"] == "entered" and items["three_systems_missing"]["count"] == 0
    assert (result["deducted"], result["points"], result["annual_score"]) == ("0.19", "1.81", "90.50")
    assert (result["daily_score"], result["total"], result["grade"]) == ("88.50", "89.70", "较好")
    assert result["computed_at"].startswith("2026-01-05")
    assert "折算" in result["standard"]["scale_source"] and result["standard"]["file"] == "assessment_2025.toml"
    # each listed case really caused it: the filing's deadline lapsed in 2025, the holder's training lapsed
    sup = Desk(api, t["supervisor"])
    for c in items["unfiled_documents"]["cases"]:
        case = sup.call("GET", f"/cases/{c['case_id']}", expect=200).body
        assert [(d["due_date"], d["status"]) for d in case["deadlines"] if d["name"] == "filing"] == [(c["on"], "lapsed")]
        assert case["agency"] == "scjgj" and case["state"] == "filing_overdue"
    for c in items["training_shortfall"]["cases"]:
        case = sup.call("GET", f"/cases/{c['case_id']}", expect=200).body
        assert ("update_training", "2025-12-31", "lapsed") in [(d["name"], d["due_date"], d["status"])
                                                             for d in case["deadlines"]]
    for c in items["violations_not_corrected"]["cases"]:  # a rectification or a correction period lapsed in 2025
        case = sup.call("GET", f"/cases/{c['case_id']}", expect=200).body
        assert [(d["due_date"], d["status"]) for d in case["deadlines"]
                if d["name"] == c["what"].removeprefix("deadline:")] == [(c["on"], "lapsed")]
    case = sup.call("GET", f"/cases/{criticism['case_id']}", expect=200).body
    assert criticism["what"] == f"document:{next(d['number'] for d in case['documents'] if d['kind'] == 'criticism_notice')}"


def test_the_same_activity_in_two_agencies_gives_the_same_deductions(year):
    """scjgj and jtj did the same things in 2025: the same count and deduction for every item, the same scores."""
    api, t, _, _ = year
    sup = Desk(api, t["supervisor"])
    a, b = (sup.call("GET", f"/assessments/{YEAR}/agencies/{u}", expect=200).body for u in UNITS)
    assert [(i["code"], i["count"], i["deduction"]) for i in a["items"]] == \
        [(i["code"], i["count"], i["deduction"]) for i in b["items"]]
    assert (a["annual_score"], a["daily_score"], a["total"]) == (b["annual_score"], b["daily_score"], b["total"])
    quiet = sup.call("GET", f"/assessments/{YEAR}/agencies/gaj", expect=200).body
    assert (quiet["deducted"], quiet["annual_score"], quiet["daily_score"]) == ("0", "100.00", "100.00")


def test_a_correction_needs_a_reason_and_the_agency_sees_it(year):
    """Without a reason 422 and nothing changes; with one the count is corrected, kept, and shown to the agency."""
    api, t, _, _ = year
    sup, clerk = Desk(api, t["supervisor"]), Desk(api, t["scjgj"])
    path = f"/assessments/{YEAR}/agencies/scjgj/corrections"
    for body in ({"item": "violations_not_corrected", "count": 1},
                 {"item": "violations_not_corrected", "count": 1, "reason": ""},
                 {"item": "violations_not_corrected", "count": 1, "reason": "   "}):
        refused = sup.call("POST", path, body, expect=422).body
        assert "reason" in refused["error"]["fields"], refused
    assert clerk.call("POST", path, {"item": "violations_not_corrected", "count": 1, "reason": "自行纠正"},
                      expect=403)
    assert items_of(clerk.call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body)[
        "violations_not_corrected"]["count"] == 2
    reason = "责令改正一案系统计数据报送问题，与个案监督同一事实，不重复扣分（2026年1月8日考核组会议）。"
    done = sup.call("POST", path, {"item": "violations_not_corrected", "count": 1, "reason": reason}, expect=201).body
    assert (done["computed_count"], done["count"], done["deduction"]) == (2, 1, "0.01")
    item = items_of(clerk.call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body)["violations_not_corrected"]
    assert (item["computed_count"], item["count"], item["deduction"]) == (2, 1, "0.01")
    assert [(c["computed_count"], c["count"], c["reason"]) for c in item["corrections"]] == [(2, 1, reason)]
    # a recomputation keeps the correction
    sup.call("POST", f"/assessments/{YEAR}/compute", expect=200)
    item = items_of(sup.call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body)["violations_not_corrected"]
    assert (item["computed_count"], item["count"]) == (2, 1)
    assert Desk(api, t["gaj"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj").status == 403
    entered = sup.call("POST", path, {"item": "three_systems_missing", "count": 1, "reason": "x"}, expect=422).body
    assert "item" in entered["error"]["fields"]


def test_a_year_without_its_standard_file_is_refused_naming_the_file(system, clock):
    """2027 has no assessment_2027.toml: computing it, reading it and opening its assessment are refused, naming the file."""
    api = InProcess(system)
    t = tokens(system)
    sup = Desk(api, t["supervisor"])
    for r in (sup.call("POST", "/assessments/2027/compute"), sup.call("GET", "/assessments/2027/agencies/gaj")):
        assert r.status == 422 and "assessment_2027.toml" in r.body["error"]["message"], r.body
    clock.move_to(at("2026-12-01T09:00:00+08:00"))
    r = sup.call("POST", "/cases", {"procedure": "assessment", "agency": "gaj", "title": "2027年度行政执法考核",
                                    "data": {"year": 2027}})
    assert r.status == 422 and "assessment_2027.toml" in str(r.body["error"]["fields"]["data.year"])
    assert sup.call("POST", "/assessments/2026/compute").status == 200  # 2026 has its own file


def test_the_year_table_exports_every_agency_and_item(year):
    """The XLSX has one row per assessed agency, ranked, with each item's count and deduction and the scores."""
    api, t, _, _ = year
    r = api.client.get(f"/api/v1/assessments/{YEAR}/table.xlsx", headers={"Authorization": f"Bearer {t['supervisor']}"})
    assert r.status_code == 200
    sheet = load_workbook(io.BytesIO(r.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    head = list(rows[1])
    by_code = {row[1]: dict(zip(head, row)) for row in rows[2:]}
    assert len(by_code) > 50 and {"scjgj", "jtj", "gaj"} <= set(by_code)
    assert by_code["scjgj"]["二.1 次数（计算）"] == 11 and by_code["scjgj"]["二.1 扣分"] == 0.1
    assert by_code["scjgj"]["综合得分"] == 89.7 and by_code["scjgj"]["等级"] == "较好"
    assert by_code["gaj"]["名次"] == 1 and by_code["scjgj"]["名次"] == by_code["jtj"]["名次"]
    assert api.client.get(f"/api/v1/assessments/{YEAR}/table.xlsx",
                          headers={"Authorization": f"Bearer {t['scjgj']}"}).status_code == 403


def test_the_year_is_published_in_one_ranked_notice_and_then_read_only(year, clock):
    """One 考核结果通报 for the whole county, numbered in the office's series, every agency ranked with
    score and grade; 差 criticised with art. 10's recommendation; afterwards nothing of the year changes."""
    import docx

    api, t, _, _ = year
    sup = Desk(api, t["supervisor"])
    # jtj's daily record gets a finding that takes its daily score to 0: 0.6 × 90.50 = 54.30 → 差
    clock.move_to(at("2026-01-06T09:00:00+08:00"))
    sup.call("POST", f"/assessments/{YEAR}/agencies/jtj/findings",
             {"found_on": "2025-11-20", "points": 90, "text": "拒不配合日常考核检查。"}, expect=201)
    assert Desk(api, t["scjgj"]).call("POST", f"/assessments/{YEAR}/publication", {"review": "评审通过"}).status == 403
    # the stored results predate the finding: publishing them is refused until the year is recomputed
    stale = sup.call("POST", f"/assessments/{YEAR}/publication", {"review": "评审通过"}, expect=409).body
    assert "此后又有更正或日常考核检查记录" in stale["error"]["message"] and "请重新计算后再公布" in stale["error"]["message"]
    clock.move_to(at("2026-01-06T10:00:00+08:00"))
    sup.call("POST", f"/assessments/{YEAR}/compute", expect=200)
    done = sup.call("POST", f"/assessments/{YEAR}/publication",
                    {"review": "2026年1月16日执法协调小组会议评审通过"}, expect=201).body
    assert done["document"]["number"] == "秀山委法办〔2026〕1号"
    ranks = {r["agency"]: r for r in done["results"]}
    assert ranks["gaj"]["rank"] == 1 and ranks["scjgj"]["total"] == "89.70"
    assert (ranks["jtj"]["total"], ranks["jtj"]["grade"]) == ("54.30", "差") and ranks["jtj"]["rank"] == len(ranks)
    totals = [float(r["total"]) for r in done["results"]]
    assert totals == sorted(totals, reverse=True)
    r = api.client.get(f"/api/v1/documents/{done['document']['id']}/file",
                       headers={"Authorization": f"Bearer {t['supervisor']}"})
    lines = [p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs if p.text.strip()]
    body = "\n".join(lines)
    assert lines[:2] == ["关于2025年度全县行政执法考核结果的通报", "秀山委法办〔2026〕1号"]
    assert "县市场监管局：日常考核88.50分，年度考核90.50分，综合得分89.70分，“较好”。" in body
    assert "县交通局2025年度行政执法考核等级为“差”" in body and "建议有关部门追究其领导责任" in body
    # read-only from now on
    assert sup.call("POST", f"/assessments/{YEAR}/compute").status == 409
    assert sup.call("POST", f"/assessments/{YEAR}/agencies/scjgj/corrections",
                    {"item": "criticized", "count": 0, "reason": "复核"}).status == 409
    assert sup.call("POST", f"/assessments/{YEAR}/agencies/scjgj/findings",
                    {"found_on": "2025-12-01", "points": 1, "text": "补记"}).status == 409
    assert sup.call("POST", f"/assessments/{YEAR}/publication", {"review": "再次公布"}).status == 409
    assert sup.call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body["published"] is True


def test_a_hand_made_ranking_is_refused_and_publish_takes_the_stored_results(year, clock):
    """`publish` fired on the publication case directly: a payload carrying the ranking (or when it was
    computed) is refused 422 naming the field; without it the stored ranking is published, and a
    correction after the computation makes it refuse until the year is recomputed."""
    api, t, _, _ = year
    sup = Desk(api, t["supervisor"])
    case = sup.open("assessment_publication", "sfj", "2025年度全县行政执法考核结果公布", "2026-01-05T09:00:00+08:00",
                    {"year": YEAR})
    forged = [{"rank": 1, "agency": "jtj", "name": "县交通局", "daily_score": "100.00", "annual_score": "100.00",
               "total": "100.00", "grade": "优秀"}]
    clock.move_to(at("2026-01-06T09:00:00+08:00"))
    for extra in ({"results": forged}, {"computed_at": "2026-01-05T09:00:00+08:00"}, {"standard": "自定标准"}):
        r = sup.call("POST", f"/cases/{case}/events", {"trigger": "publish", "occurred_at": "2026-01-06T09:00:00+08:00",
                                                       "payload": {"review": "评审通过", **extra}}, expect=422).body
        [field] = extra
        assert list(r["error"]["fields"]) == [field], r
        assert "由系统依据已计算并保存的考核结果生成，不能在请求中提供" in r["error"]["fields"][field][0]
    sup.call("POST", f"/assessments/{YEAR}/agencies/jtj/corrections",
             {"item": "criticized", "count": 0, "reason": "通报批评系对上年度问题作出，不计入本年度。"}, expect=201)
    stale = sup.call("POST", f"/cases/{case}/events", {"trigger": "publish", "occurred_at": "2026-01-06T09:00:00+08:00",
                                                      "payload": {"review": "评审通过"}}, expect=409).body
    assert "请重新计算后再公布" in stale["error"]["message"]
    assert sup.call("GET", f"/cases/{case}", expect=200).body["state"] == "preparing"
    clock.move_to(at("2026-01-06T10:00:00+08:00"))
    sup.call("POST", f"/assessments/{YEAR}/compute", expect=200)
    done = sup.fire(case, "publish", {"review": "2026年1月6日执法协调小组会议评审通过"}, "2026-01-06T10:00:00+08:00")
    ranks = {r["agency"]: r for r in done["data"]["results"]}
    assert ranks["jtj"]["total"] != "100.00" and ranks["gaj"]["rank"] == 1
    assert (ranks["scjgj"]["total"], ranks["jtj"]["annual_score"]) == ("89.70", "91.00")  # 0.19 − 0.01 = 0.18
    assert done["data"]["computed_at"] == "2026-01-06T02:00:00+00:00"
    assert sup.call("POST", f"/assessments/{YEAR}/compute").status == 409  # read-only, however it was published


def test_the_agency_case_scores_the_stored_computed_counts(year, clock):
    """The per-agency assessment case over HTTP: a keyed-in count for a computed item is refused 422 naming
    it; the case scores the stored counts (with the assessor's correction and its reason) plus the entered
    ones; the assessment page shows the same annual score at once, and the notice prints those numbers."""
    import docx

    api, t, _, _ = year
    sup = Desk(api, t["supervisor"])
    case = sup.open("assessment", "scjgj", "2025年度行政执法考核", "2026-01-05T09:00:00+08:00", {"year": YEAR})
    on = "2026-01-06T09:00:00+08:00"
    clock.move_to(at(on))
    for code in ("unfiled_documents", "criticized"):
        r = sup.call("POST", f"/cases/{case}/events", {"trigger": "record_annual_scoring", "occurred_at": on,
                                                       "payload": {code: 0, "facts": "核查"}}, expect=422).body
        assert list(r["error"]["fields"]) == [code]
        assert "本项由系统依据案件记录计算" in r["error"]["fields"][code][0]
        assert "如需更正，请以更正方式" in r["error"]["fields"][code][0] and "说明理由" in r["error"]["fields"][code][0]
    reason = "个案监督与责令改正系同一事实，只计1件（2026年1月6日考核组会议）。"
    sup.call("POST", f"/assessments/{YEAR}/agencies/scjgj/corrections",
             {"item": "violations_not_corrected", "count": 1, "reason": reason}, expect=201)
    r = sup.call("POST", f"/cases/{case}/events", {"trigger": "record_daily_assessment", "occurred_at": on,
                                                   "payload": {"score": 100, "summary": "日常考核检查1次。"}}, expect=422)
    assert "日常考核得分由系统依据日常考核记录" in r.body["error"]["fields"]["score"][0]
    daily = sup.fire(case, "record_daily_assessment", {"summary": "日常考核检查1次，发现问题1项。"}, on)
    assert daily["data"]["daily"]["score"] == "88.50"  # the page's running daily score
    scored = sup.fire(case, "record_annual_scoring", {"three_systems_missing": 1, "facts": "未建立执法全过程记录制度。"}, on)
    annual = scored["data"]["annual"]
    # 0.1 (二.1, 11 capped) + 0.06 (三.3, 3 capped) + 0.01 (五.2 corrected 2 → 1) + 0.01 (五.3) + 0.1 (一.1 entered)
    assert (annual["deducted"], annual["points"], annual["score"]) == ("0.28", "1.72", "86.00")
    by_code = {d["code"]: d for d in annual["deductions"]}
    assert (by_code["unfiled_documents"]["count"], by_code["unfiled_documents"]["source"]) == (11, "computed")
    assert (by_code["violations_not_corrected"]["computed_count"], by_code["violations_not_corrected"]["count"],
            by_code["violations_not_corrected"]["correction"]) == (2, 1, reason)
    assert by_code["three_systems_missing"]["source"] == "entered"
    page = sup.call("GET", f"/assessments/{YEAR}/agencies/scjgj", expect=200).body
    assert (page["annual_score"], page["deducted"]) == ("86.00", "0.28")
    assert {i["code"]: i["count"] for i in page["items"]}["three_systems_missing"] == 1
    opinion = sup.fire(case, "form_opinion", {"comment": "制度建设有待加强。"}, on)
    assert (opinion["data"]["result"]["annual_score"], opinion["data"]["result"]["total"]) == \
        (page["annual_score"], page["total"]) == ("86.00", "87.00")
    sup.fire(case, "report_to_group", {}, on)
    done = sup.fire(case, "publish", {"review": "2026年1月6日执法协调小组会议评审通过"}, on)
    r = api.client.get(f"/api/v1/documents/{done['documents'][0]['id']}/file",
                       headers={"Authorization": f"Bearer {t['supervisor']}"})
    body = "\n".join(p.text for p in docx.Document(io.BytesIO(r.data)).paragraphs)
    assert "满分2分，扣0.28分，得1.72分，折合百分制86.00分" in body
    assert f"扣0.01分（依据案件记录计算为2件，经考核人员更正，理由：{reason.rstrip('。')}）。" in body
    assert "考核标准二.1“规范性文件上报备案情况”：11件" in body and "扣0.1分（依据案件记录计算）" in body


def complaint_about(sup: Desk, officers: list[dict], finding: str, replied: str, agency: str = "scjgj") -> int:
    """A complaint about `agency` naming `officers`, transferred, its result recorded and replied with `finding`."""
    cid = sup.open("complaint", "sfj", "投诉执法人员检查时未出示执法证件", f"{replied[:8]}01T09:00:00+08:00", {
        "source": "complaint", "channel": "phone", "agency_concerned": agency, "facts": "执法人员检查时未出示执法证件。",
        "complainant": {"name": "李某某", "phone": "13900000000"}, "officers": officers})
    sup.fire(cid, "transfer", {"requirements": "请核实并依法处理。"}, f"{replied[:8]}02T09:00:00+08:00")
    sup.fire(cid, "report_result", {"result": "已核实。"}, f"{replied[:8]}03T09:00:00+08:00")
    sup.fire(cid, "reply", {"result": "经核查，答复如下。", "finding": finding}, f"{replied}T10:00:00+08:00")
    return cid


def officer(n: int, unit: str = "scjgj") -> dict:
    """The certified person 执法员n of `unit` (year_of_activity), as a complaint names them."""
    return {"name": f"执法员{n}", "certificate_number": f"50024100{unit}{n}"}


@pytest.fixture
def complaints(year):
    """2025: two complaints about 执法员0 (属实, 不属实), one about 执法员1 (部分属实); one about 执法员0 found true
    but replied in 2026, and one about jtj's 执法员2 (same name as scjgj's, another number)."""
    api, t, _, _ = year
    sup = Desk(api, t["supervisor"])
    counted = {"执法员0": [complaint_about(sup, [officer(0)], "upheld", "2025-03-20")],
               "执法员1": [complaint_about(sup, [officer(1)], "partly_upheld", "2025-06-20")]}
    complaint_about(sup, [officer(0)], "not_upheld", "2025-09-20")
    complaint_about(sup, [officer(0)], "upheld", "2026-01-04")
    complaint_about(sup, [officer(2, "jtj")], "upheld", "2025-10-20", "jtj")
    return counted


def test_personnel_of_an_agency_for_the_year(year, complaints):
    """Each certificate holder with the certificate's state, the year's missed training and the complaints upheld
    against them (属实, 部分属实) with their cases; only the agency and the bureau see it."""
    api, t, counted, _ = year
    clerk = Desk(api, t["scjgj"])
    for n, (closed, handler) in enumerate([("2025-04-01", "执法员0"), ("2025-06-01", "执法员0"), ("2024-12-01", "执法员0"),
                                           ("2025-07-01", "执法员1")]):
        clerk.open("case_file_self_review", "scjgj", f"某商行销售过期食品案（{n}）", f"{closed}T09:00:00+08:00",
                   {"case_number": f"秀市监罚〔{closed[:4]}〕{n + 1}号", "case_type": "penalty", "handler": handler})
    people = Desk(api, t["scjgj"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj/personnel", expect=200).body
    assert {p["name"]: p["cases_handled"] for p in people["people"]} == {"执法员0": 2, "执法员1": 1, "执法员2": 0}
    assert sorted(p["case_id"] for p in people["people"]) == sorted(counted["scjgj"]["training_shortfall"])
    assert all(p["training_missed"] and p["trainings"] == [] and p["state"] == "training_overdue"
               for p in people["people"])
    assert {p["name"]: p["complaints_upheld"] for p in people["people"]} == {"执法员0": 1, "执法员1": 1, "执法员2": 0}
    assert {p["name"]: [(c["case_id"], c["finding_title"], c["replied_on"]) for c in p["complaints"]]
            for p in people["people"]} == {"执法员0": [(complaints["执法员0"][0], "属实", "2025-03-20")],
                                           "执法员1": [(complaints["执法员1"][0], "部分属实", "2025-06-20")], "执法员2": []}
    assert "属实或部分属实" in people["complaints_upheld_note"]
    assert "李某某" not in str(people) and "13900000000" not in str(people)  # nothing of the complainant
    jtj = Desk(api, t["supervisor"]).call("GET", f"/assessments/{YEAR}/agencies/jtj/personnel", expect=200).body
    assert {p["name"]: p["complaints_upheld"] for p in jtj["people"]} == {"执法员0": 0, "执法员1": 0, "执法员2": 1}
    assert Desk(api, t["gaj"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj/personnel").status == 403
    assert Desk(api, t["reviewer"]).call("GET", f"/assessments/{YEAR}/agencies/scjgj/personnel").status == 200


# --- the pages ------------------------------------------------------------------------------------


def signed_in_client(system, monkeypatch, username: str, role: str, agency: str | None):
    import re

    from adapters.http import create_app
    from xsflow.users import create_user

    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    with system.db.write() as conn:
        create_user(conn, username=username, display_name=username, role=role, agency=agency,
                    password="mima-2026-kaohe", now=system.clock.now())
    client = create_app(system).test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    r = client.post("/login", data={"username": username, "password": "mima-2026-kaohe", "csrf_token": token})
    assert r.status_code == 302, r.text
    return client


def test_the_agency_page_shows_each_item_with_its_cases_and_the_bureau_corrects_with_a_reason(year, system,
                                                                                                monkeypatch):
    """The agency's page: per item the count, deduction, computed or entered and the cases (links); when it was
    computed; a correction without a reason refused on the page; another agency's clerk refused."""
    import re

    from lxml import html as lhtml

    _, _, counted, _ = year
    clerk = signed_in_client(system, monkeypatch, "scjgj_fazhi", "clerk", "scjgj")
    page = clerk.get(f"/assessments/{YEAR}/scjgj")
    assert page.status_code == 200
    doc = lhtml.fromstring(page.text)
    row = " ".join(doc.xpath('//tr[@id="item-unfiled_documents"]')[0].text_content().split())
    assert "11件" in row and "0.1（已达上限）" in row and "依办案记录计算" in row
    links = doc.xpath('//tr[@id="item-unfiled_documents"]//a/@href')
    assert sorted(int(h.rsplit("/", 1)[1]) for h in links) == sorted(counted["scjgj"]["unfiled_documents"])
    assert "考核人员录入" in doc.xpath('//tr[@id="item-three_systems_missing"]')[0].text_content()
    assert "结果计算于" in page.text and doc.xpath('//*[@id="total"]')[0].text == "89.70"
    assert not doc.xpath('//form[contains(@action, "/corrections")]')  # the agency does not correct
    assert clerk.get(f"/assessments/{YEAR}/jtj").status_code == 403
    assert clerk.get(f"/assessments/{YEAR}").headers["Location"].endswith(f"/assessments/{YEAR}/scjgj")

    bureau = signed_in_client(system, monkeypatch, "kaohezu", "supervisor", None)
    listing = bureau.get(f"/assessments/{YEAR}")
    assert listing.status_code == 200 and "县市场监管局" in listing.text and "89.70" in listing.text
    page = bureau.get(f"/assessments/{YEAR}/scjgj").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = bureau.post(f"/assessments/{YEAR}/scjgj/corrections",
                          data={"item": "criticized", "count": "0", "reason": "", "csrf_token": token})
    assert refused.status_code == 422 and "理由" in refused.text
    done = bureau.post(f"/assessments/{YEAR}/scjgj/corrections",
                       data={"item": "criticized", "count": "0", "reason": "该通报已被县人民政府撤销。", "csrf_token": token})
    assert done.status_code == 302
    seen = clerk.get(f"/assessments/{YEAR}/scjgj").text
    assert "将计算结果1更正为0。理由：该通报已被县人民政府撤销。" in seen


def test_the_personnel_page_shows_the_complaints_upheld_per_person_with_links(year, complaints, system, monkeypatch):
    """The personnel page: 1 complaint upheld for 执法员0 and 1 for 执法员1, each linking the bureau to its case; the
    agency's clerk sees the same numbers and findings, without links to the bureau's complaint cases."""
    from lxml import html as lhtml

    _, _, counted, _ = year
    people = dict(zip(("执法员0", "执法员1", "执法员2"), counted["scjgj"]["training_shortfall"]))
    bureau = signed_in_client(system, monkeypatch, "sfj_jiandu", "supervisor", None)
    doc = lhtml.fromstring(bureau.get(f"/assessments/{YEAR}/scjgj/personnel").text)

    def cell(name: str):
        return doc.xpath(f'//tr[@id="person-{people[name]}"]/td[@class="complaints-upheld"]')[0]

    for name, finding in (("执法员0", "属实"), ("执法员1", "部分属实")):
        assert cell(name).xpath('span[@class="count"]')[0].text == "1"
        assert cell(name).xpath("a/@href") == [f"/cases/{complaints[name][0]}"]
        assert f"（{finding}，" in cell(name).text_content()
    assert cell("执法员2").text_content().strip() == "0" and not cell("执法员2").xpath("a")
    # The complaint's page links the officer it names to the certificate case of that 执法证号.
    page = lhtml.fromstring(bureau.get(f"/cases/{complaints['执法员0'][0]}").text)
    assert f"/cases/{people['执法员0']}" in page.xpath("//a/@href")
    assert "被投诉举报的执法人员执法员0（执法证号50024100scjgj0）" in page.text_content()
    clerk = signed_in_client(system, monkeypatch, "scjgj_fazhi2", "clerk", "scjgj")
    page = clerk.get(f"/assessments/{YEAR}/scjgj/personnel").text
    doc = lhtml.fromstring(page)
    assert cell("执法员0").xpath('span[@class="count"]')[0].text == "1" and not cell("执法员0").xpath("a")
    assert f"第{complaints['执法员0'][0]}号（属实，2025-03-20答复）" in cell("执法员0").text_content()
    assert "李某某" not in page


def test_the_bureau_downloads_the_table_and_publishes_from_the_pages(year, system, monkeypatch):
    """The year page's XLSX link and 公布 form work for a signed-in assessor; a clerk cannot download the table."""
    import re

    bureau = signed_in_client(system, monkeypatch, "kaohezu2", "supervisor", None)
    sheet = load_workbook(io.BytesIO(bureau.get(f"/assessments/{YEAR}/table.xlsx").data), read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) > 50
    page = bureau.get(f"/assessments/{YEAR}").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    done = bureau.post(f"/assessments/{YEAR}/publication", data={"review": "评审通过", "csrf_token": token})
    assert done.status_code == 302 and "/cases/" in done.headers["Location"]
    assert "结果只读" in bureau.get(f"/assessments/{YEAR}").text
    clerk = signed_in_client(system, monkeypatch, "scjgj_2", "clerk", "scjgj")
    assert clerk.get(f"/assessments/{YEAR}/table.xlsx").status_code == 403


def test_two_computations_of_a_year_at_once_both_succeed_and_store_one_result(year, system):
    """Two assessors compute the same year at the same moment: both answer, and each agency and item has one stored row."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from xsflow.store.schema import assessment_results

    api, t, _, _ = year
    start = threading.Barrier(2)
    # The apps are built first, one after the other: building one compiles its routes with ast.parse,
    # which CPython 3.11 cannot run in two threads at once (SystemError "AST constructor recursion depth").
    clients = [InProcess(system) for _ in range(2)]

    def compute(client):
        start.wait()
        return client.call("POST", f"/api/v1/assessments/{YEAR}/compute", t["supervisor"]).status

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(compute, clients)) == [200, 200]
    with system.db.read() as conn:
        rows = conn.execute(select(func.count()).select_from(assessment_results)
                            .where(assessment_results.c.year == YEAR)).scalar()
        keys = conn.execute(select(func.count()).select_from(
            select(assessment_results.c.agency_code, assessment_results.c.item_code)
            .where(assessment_results.c.year == YEAR).distinct().subquery())).scalar()
    assert rows == keys > 0


def test_findings_and_results_are_refused_where_they_do_not_belong(system, clock):
    """A finding dated outside the year or with an empty text is 422; an agency that is not assessed (a party department) is 404."""
    api = InProcess(system)
    t = tokens(system)
    sup = Desk(api, t["supervisor"])
    clock.move_to(at("2026-01-05T09:00:00+08:00"))
    path = f"/assessments/{YEAR}/agencies/scjgj/findings"
    assert "found_on" in sup.call("POST", path, {"found_on": "2024-12-31", "points": 1, "text": "x"},
                                  expect=422).body["error"]["fields"]
    assert "text" in sup.call("POST", path, {"found_on": "2025-12-31", "points": 1, "text": "  "},
                              expect=422).body["error"]["fields"]
    assert "points" in sup.call("POST", path, {"found_on": "2025-12-31", "points": 1.005, "text": "x"},
                                expect=422).body["error"]["fields"]
    refused = sup.call("GET", f"/assessments/{YEAR}/agencies/zzb", expect=404).body
    assert "不是行政执法考核的对象" in refused["error"]["message"]


def test_the_command_computes_a_year_and_refuses_one_without_its_standard(sqlite_url):
    """`xsflow assessment compute 2025` stores the year; 2027 exits 2 naming assessment_2027.toml."""
    from tests.conftest import cli

    assert cli(sqlite_url, "init").returncode == 0
    done = cli(sqlite_url, "assessment", "compute", "2025")
    assert done.returncode == 0 and "computed 2025:" in done.stdout and "assessment_2025.toml" in done.stdout
    refused = cli(sqlite_url, "assessment", "compute", "2027")
    assert refused.returncode == 2 and "assessment_2027.toml" in refused.stderr


def test_in_chromium_the_agency_follows_a_deduction_to_its_case(server, tmp_path):
    """Against a real `xsflow serve`: two filings of 2025 lapse, the year is computed; in Chromium the agency's
    clerk sees 二.1 with 2件 and 0.02, computed from the record, and follows a listed case to its page."""
    from pathlib import Path

    from tests.conftest import make_tokens
    from tests.test_users import user_cli
    from tests.test_web import CHROMIUM, CHROMIUM_ARGS

    if not Path(CHROMIUM).exists():
        pytest.skip("浏览器测试需要 Debian 的 Chromium：apt-get install -y chromium")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    t = make_tokens(server.database_url, clerk=("clerk", "scjgj"), supervisor=("supervisor", None))
    ids = []
    for n in (1, 2):
        r = server.call("POST", "/api/v1/cases", t["clerk"], {
            "procedure": "filing_review", "agency": "scjgj", "title": f"关于规范第{n}类经营行为的通知",
            "occurred_at": f"2025-0{n + 2}-03T09:00:00+08:00", "data": {"document_number": f"秀山市监发〔2025〕{n}号"}})
        assert r.status == 201, r.body
        ids.append(r.body["id"])
    server.tick(datetime.now(UTC).isoformat())
    assert server.call("POST", f"/api/v1/assessments/{YEAR}/compute", t["supervisor"]).status == 200
    made = user_cli(server.database_url, "create", "--username", "shijianju", "--name", "市监局法规科",
                    "--role", "clerk", "--agency", "scjgj", password="mima-2026-kaohe\n")
    assert made.returncode == 0, made.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai").new_page()
        page.goto(server.url + "/login")
        page.fill("#username", "shijianju")
        page.fill("#password", "mima-2026-kaohe")
        page.keyboard.press("Enter")
        page.wait_for_url(server.url + "/")
        page.get_by_role("link", name="考核").click()
        page.wait_for_url(f"**/assessments/{YEAR}/scjgj")
        row = page.locator("#item-unfiled_documents")
        assert "2件" in row.inner_text() and "0.02" in row.inner_text() and "依办案记录计算" in row.inner_text()
        assert "结果计算于" in page.content()
        row.get_by_role("link", name="关于规范第1类经营行为的通知").click()
        page.wait_for_url(f"**/cases/{ids[0]}")
        assert "报送备案" in page.content()
        browser.close()
