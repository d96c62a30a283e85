"""年度行政执法考核 (assessment): scores, grades, the January publication and the 考核结果通报.

In-process on SQLite and PostgreSQL with a fixed clock. Hand-computed scores (《2022年行政执法考核标准》
totals 2 points; the annual score is its score rate on 100 points; 考核评议制度 第7条 weighs the
daily assessment 40%):
- 3 unfiled documents (0.03), 1 criticism (0.01), 1 missed training (0.03): 2 − 0.07 = 1.93 →
  96.50; daily 80.00 → 0.4 × 80 + 0.6 × 96.5 = 32 + 57.9 = 89.90 → 较好.
- 0.2 deducted → annual 90.00; daily 90 → 90.00 (优秀); daily 89.97 → 89.988 → 89.99 (较好).
- 0.8 deducted → annual 60.00; daily 60 → 60.00 (一般); daily 59.97 → 59.988 → 59.99 (差).
- 31 January 2026 is a Saturday: art. 10 names the month, so the last day is not moved.
"""
from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import at
from workflows.assessment import ITEM_CODES, standard_for
from xsflow import queries
from xsflow.access import Actor
from xsflow.documents import docx_file
from xsflow.errors import Forbidden, InvalidPayload, TriggerNotAllowed
from xsflow.registry import default_registry

AGENCY = "gaj"  # 县公安局
ASSESSOR = Actor("依法治县办考核组", "supervisor")
CLERK = Actor("公安局法制大队", "clerk", AGENCY)
OTHER_CLERK = Actor("交通局法规科", "clerk", "jtj")
REVIEWER = Actor("司法局审查科", "reviewer", "sfj")
STANDARD = standard_for(2025)

OPENED = "2025-12-01T09:00:00+08:00"
DEDUCTIONS = {"unfiled_documents": 3, "criticized": 1, "training_shortfall": 1}
FACTS = ("秀山公发〔2025〕3号、5号、8号规范性文件未在发布之日起30日内报送备案。\n"
         "2025年9月被县人民政府通报批评1次。\n执法人员张某未参加2025年度法律知识更新培训。")
# 0.2 and 0.8 points deducted: annual scores 90.00 and 60.00
MINUS_02 = {"unfiled_documents": 10, "unlawful_documents": 10}
MINUS_08 = {"three_systems_missing": 5, "unfiled_documents": 10, "unlawful_documents": 10,
            "no_cleanup_catalogue": 1, "powers_not_reviewed": 1}


def open_assessment(system, clock, *, year: int = 2025, opened: str = OPENED, agency: str = AGENCY) -> dict:
    clock.move_to(at(opened))
    return system.engine.open_case(ASSESSOR, procedure="assessment", agency=agency,
                                   title=f"{year}年度行政执法考核", data={"year": year})


def score(system, clock, case_id: int, *, daily: float, counts: dict[str, int], when: str) -> dict:
    """Daily score and annual scoring entered, opinion formed at `when`: the case is `scored`."""
    clock.move_to(at(when))
    e = system.engine
    e.fire(ASSESSOR, case_id, "record_daily_assessment", {"score": daily, "summary": "日常监督检查情况良好。"})
    e.fire(ASSESSOR, case_id, "record_annual_scoring", {**counts, **({"facts": FACTS} if counts else {})})
    return e.fire(ASSESSOR, case_id, "form_opinion", {"comment": "执法制度健全，个别文件未按期备案。"})


def publish(system, clock, case_id: int, *, reported: str, published: str) -> dict:
    clock.move_to(at(reported))
    system.engine.fire(ASSESSOR, case_id, "report_to_group", {"summary": "2025年度行政执法考核情况报告"})
    clock.move_to(at(published))
    return system.engine.fire(ASSESSOR, case_id, "publish", {"review": "2026年1月16日执法协调小组会议评审通过"})


def paragraphs(system, document_id: int) -> tuple[dict[str, Any], list[str]]:
    with system.db.read() as conn:
        record = queries.document_record(conn, Actor("运维", "admin"), document_id)
    _, content = docx_file(record)
    return record, [p.text for p in docx.Document(io.BytesIO(content)).paragraphs if p.text.strip()]


def get(system, case_id: int, actor: Actor = ASSESSOR) -> dict:
    with system.db.read() as conn:
        return queries.get_case(system.engine, conn, actor, case_id)


def publication(case: dict) -> dict:
    [d] = [d for d in case["deadlines"] if d["name"] == "publication"]
    return d


# --- scores and grades -------------------------------------------------------------------------------


@pytest.mark.parametrize("total,grade", [("100", "优秀"), ("90", "优秀"), ("89.99", "较好"), ("80", "较好"),
                                         ("79.99", "一般"), ("60", "一般"), ("59.99", "差"), ("0", "差")])
def test_grade_bands_include_their_lower_bound(total, grade):
    """考核评议制度 第8条: 90 is 优秀 and 89.99 较好, 80 较好 and 79.99 一般, 60 一般 and 59.99 差."""
    assert STANDARD.grade(Decimal(total)).name == grade


def test_opinion_grades_the_published_total_on_each_boundary(system, clock):
    """Forming the opinion weighs daily 40% and annual 60%, rounds to two decimals and grades that figure: 90 优秀, 89.99 较好, 60 一般, 59.99 差."""
    results = []
    for agency, daily, counts in [("gaj", 90, MINUS_02), ("jtj", 89.97, MINUS_02), ("slj", 60, MINUS_08),
                                  ("lyj", 59.97, MINUS_08)]:
        case = open_assessment(system, clock, agency=agency)
        case = score(system, clock, case["id"], daily=daily, counts=counts, when="2025-12-20T10:00:00+08:00")
        assert case["state"] == "scored"
        results.append((case["data"]["annual"]["score"], case["data"]["result"]["total"], case["data"]["result"]["grade"]))
    assert results == [("90.00", "90.00", "优秀"), ("90.00", "89.99", "较好"), ("60.00", "60.00", "一般"),
                       ("60.00", "59.99", "差")]


@settings(max_examples=200, deadline=None)
@given(daily=st.integers(0, 10_000).map(lambda n: Decimal(n) / 100),
       counts=st.dictionaries(st.sampled_from(ITEM_CODES), st.integers(0, 40)))
def test_scores_stay_within_bounds_and_deductions_never_raise_them(daily, counts):
    """For any counts the annual score lies in 0–100, the total between the two scores, and one more occurrence never raises it."""
    counts = {c: min(n, 1) if STANDARD.item(c).once else n for c, n in counts.items()}
    annual = STANDARD.annual_score(counts)
    total = STANDARD.total(daily, annual)
    assert 0 <= annual <= 100 and 0 <= total <= 100
    assert min(daily, annual) - Decimal("0.005") <= total <= max(daily, annual) + Decimal("0.005")
    for code in counts:
        if not STANDARD.item(code).once:
            assert STANDARD.annual_score({**counts, code: counts[code] + 1}) <= annual
    assert STANDARD.grade(total).min <= total


def test_item_caps_hold():
    """Each item deducts per occurrence up to its cap: 15 unfiled documents cost 0.1, not 0.15 (考核标准 二.1)."""
    assert STANDARD.deducted({"unfiled_documents": 3}) == Decimal("0.03")
    assert STANDARD.deducted({"unfiled_documents": 15}) == Decimal("0.1")
    assert STANDARD.annual_score({"unfiled_documents": 15}) == Decimal("95.00")


def test_every_feed_names_a_statutory_deadline_or_a_trigger_of_its_procedure():
    """The records an item is counted from exist: renaming a deadline, trigger or payload field elsewhere fails here."""
    registry = default_registry()
    fed = set()
    for item in STANDARD.items:
        for feed in item.feeds:
            versions = registry.versions(feed.procedure)
            if feed.lapsed_deadline is not None:
                assert any(d.name == feed.lapsed_deadline and d.on_lapse for p in versions for d in p.deadlines), feed
            else:
                transitions = [t for p in versions for t in p.transitions_for(feed.trigger)]
                assert transitions, feed
                for name, code in feed.payload_lists:
                    assert all(t.payload is not None and name in t.payload().fields for t in transitions), feed
                    assert code in transitions[0].payload().fields[name].inner.validators[0].choices, feed
            fed.add(item.code)
    assert fed == {"unfiled_documents", "unlawful_documents", "training_shortfall", "violations_not_corrected",
                   "criticized"}


# --- the whole procedure -----------------------------------------------------------------------------


def test_assessment_published_in_january_issues_a_numbered_notice(system, clock):
    """A full run: the agency reports, assessors score, the group reviews, and publishing issues 考核结果通报 秀山委法办〔2026〕1号."""
    case = open_assessment(system, clock)
    assert publication(case)["due_date"] == "2026-01-31" and publication(case)["status"] == "pending"
    clock.move_to(at("2025-12-10T09:00:00+08:00"))
    system.engine.fire(CLERK, case["id"], "submit_report", {"report": "2025年度本局行政执法工作总结。"})
    case = score(system, clock, case["id"], daily=80, counts=DEDUCTIONS, when="2026-01-08T10:00:00+08:00")
    assert case["data"]["annual"]["score"] == "96.50"
    case = publish(system, clock, case["id"], reported="2026-01-09T10:00:00+08:00",
                   published="2026-01-20T15:00:00+08:00")

    assert case["state"] == "published"
    assert publication(case)["status"] == "met"
    [notice] = case["documents"]
    assert (notice["kind"], notice["number"]) == ("assessment_notice", "秀山委法办〔2026〕1号")
    record, lines = paragraphs(system, notice["id"])
    body = "\n".join(lines)
    assert lines[:2] == ["关于县公安局2025年度行政执法考核结果的通报", "秀山委法办〔2026〕1号"]
    assert "县公安局：" in lines
    assert "《秀山自治县行政执法考核评议制度》第9条" in body and "该制度第10条" in body
    assert record["basis"] == "《秀山自治县行政执法考核评议制度》第10条"
    assert "日常考核得分80.00分" in body
    assert "满分2分，扣0.07分，得1.93分，折合百分制96.50分" in body
    assert "综合得分89.90分（80分以上、不满90分），评定为“较好”等级。" in body
    assert "考核标准二.1“规范性文件上报备案情况”：3件（未上报备案每件扣0.01分，最多扣0.1分），扣0.03分。" in body
    assert "考核标准五.3“违法行政或执法违纪被上级部门通报批评的”：1次" in body
    assert "秀山公发〔2025〕3号、5号、8号规范性文件未在发布之日起30日内报送备案。" in lines
    assert "通报批评" not in body.split("四、考核评语")[1]
    assert lines[-2:] == ["中共秀山土家族苗族自治县委全面依法治县委员会办公室", "2026年1月20日"]


def test_an_agency_graded_poor_is_criticised_in_the_notice(system, clock):
    """差 (under 60) brings 通报批评 and the recommendation to hold the agency's leaders responsible (第10条)."""
    case = open_assessment(system, clock, agency="jtj")
    score(system, clock, case["id"], daily=59.97, counts=MINUS_08, when="2026-01-05T10:00:00+08:00")
    case = publish(system, clock, case["id"], reported="2026-01-06T10:00:00+08:00",
                   published="2026-01-12T10:00:00+08:00")
    _, lines = paragraphs(system, case["documents"][0]["id"])
    body = "\n".join(lines)
    assert "县交通局：" in lines
    assert "综合得分59.99分（不满60分），评定为“差”等级。" in body
    assert ("依照《秀山自治县行政执法考核评议制度》第10条的规定，对你单位予以通报批评，"
            "并建议有关部门追究你单位领导责任。") in body


def test_group_review_can_send_the_assessment_back(system, clock):
    """A review that does not approve returns the case to the assessors; the new scoring gives a new result."""
    case = open_assessment(system, clock)
    score(system, clock, case["id"], daily=80, counts=DEDUCTIONS, when="2026-01-05T10:00:00+08:00")
    clock.move_to(at("2026-01-06T10:00:00+08:00"))
    system.engine.fire(ASSESSOR, case["id"], "report_to_group", {})
    clock.move_to(at("2026-01-07T10:00:00+08:00"))
    case = system.engine.fire(ASSESSOR, case["id"], "return_for_rescoring", {"reasons": "通报批评次数有误。"})
    assert case["state"] == "assessing" and "result" not in case["data"]
    case = score(system, clock, case["id"], daily=80, counts={}, when="2026-01-08T10:00:00+08:00")
    assert (case["data"]["result"]["total"], case["data"]["result"]["grade"]) == ("92.00", "优秀")


def test_unpublished_by_31_january_is_overdue_and_can_still_be_published(system, clock):
    """Art. 10: a result not published by 24:00 of 31 January is listed overdue, stays where it is, and is still published."""
    case = open_assessment(system, clock)
    score(system, clock, case["id"], daily=80, counts={}, when="2026-01-20T10:00:00+08:00")
    clock.move_to(at("2026-01-31T23:59:00+08:00"))
    assert system.tick(clock.now()).overdue == 0
    assert get(system, case["id"])["overdue"] is False

    clock.move_to(at("2026-02-01T00:00:00+08:00"))
    assert system.tick(clock.now()).overdue == 1
    late = get(system, case["id"])
    assert late["state"] == "scored" and late["overdue"] is True
    assert publication(late)["status"] == "lapsed"
    with system.db.read() as conn:
        listed = queries.overdue(conn, system.registry, system.calendars.current(conn), ASSESSOR,
                                 now=clock.now()).items
    assert [(i["case_id"], i["deadline"], i["due_date"]) for i in listed] == [(case["id"], "publication", "2026-01-31")]

    published = publish(system, clock, case["id"], reported="2026-02-02T10:00:00+08:00",
                        published="2026-02-03T10:00:00+08:00")
    assert published["state"] == "published" and published["overdue"] is False
    assert published["documents"][0]["number"] == "秀山委法办〔2026〕1号"


# --- who may do what, and what is refused -------------------------------------------------------------


def test_roles_and_agencies_are_enforced(system, clock):
    """Only assessors open, score and publish; the agency's clerk reports on its own case only; a reviewer cannot publish."""
    clock.move_to(at(OPENED))
    with pytest.raises(Forbidden):
        system.engine.open_case(CLERK, procedure="assessment", agency=AGENCY, title="自评", data={"year": 2025})
    case = open_assessment(system, clock)
    with pytest.raises(Forbidden):
        system.engine.fire(CLERK, case["id"], "record_daily_assessment", {"score": 100, "summary": "自评满分"})
    with pytest.raises(Forbidden):
        system.engine.fire(OTHER_CLERK, case["id"], "submit_report", {"report": "交通局的汇报"})
    system.engine.fire(CLERK, case["id"], "submit_report", {"report": "公安局的汇报"})
    score(system, clock, case["id"], daily=80, counts={}, when=OPENED)
    system.engine.fire(ASSESSOR, case["id"], "report_to_group", {})
    with pytest.raises(Forbidden):
        system.engine.fire(REVIEWER, case["id"], "publish", {"review": "评审通过"})
    with pytest.raises(Forbidden):
        system.engine.fire(CLERK, case["id"], "publish", {"review": "评审通过"})
    assert get(system, case["id"])["state"] == "under_group_review"


def test_incomplete_or_malformed_scoring_is_refused(system, clock):
    """No opinion without both scores; deductions need their facts; a yes/no item counts once; scores have two decimals."""
    case = open_assessment(system, clock)
    e = system.engine
    with pytest.raises(TriggerNotAllowed, match="尚未录入日常考核得分或年度考核评分"):
        e.fire(ASSESSOR, case["id"], "form_opinion", {"comment": "良好"})
    with pytest.raises(InvalidPayload) as refused:
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"unfiled_documents": 2})
    assert "facts" in refused.value.fields
    with pytest.raises(InvalidPayload) as refused:
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"no_enforcer_roster": 2, "facts": "无名册"})
    assert refused.value.fields["no_enforcer_roster"] == ["该项只填 0（无）或 1（有）。"]
    with pytest.raises(InvalidPayload) as refused:
        e.fire(ASSESSOR, case["id"], "record_daily_assessment", {"score": 89.995, "summary": "良好"})
    assert refused.value.fields["score"] == ["得分最多保留两位小数。"]
    with pytest.raises(InvalidPayload):
        system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY, title="2021年度", data={"year": 2021})
    with pytest.raises(InvalidPayload):
        system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY, title="改期",
                                data={"year": 2025, "publish_by": "2026-03-31"})
    assert get(system, case["id"])["version"] == case["version"]
