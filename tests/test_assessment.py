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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from dataclasses import replace
from decimal import Decimal
from typing import Any

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import at
from workflows import assessment_record
from workflows.assessment import AFTER_THE_YEAR, COMPUTED_CODES, ITEM_CODES, assessment, standard_for
from xsflow import overdue, queries
from xsflow.access import Actor
from xsflow.definitions import check
from xsflow.documents import docx_file
from xsflow.errors import Forbidden, InvalidPayload, NotFound, TriggerNotAllowed
from xsflow.inbound import post_event
from adapters.compose import county_registry
from xsflow.store.schema import cases

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


CORRECTED = "经查阅纸质档案核实（案件记录未登记）"


def score(system, clock, case_id: int, *, daily: float, counts: dict[str, int], when: str) -> dict:
    """Daily score and annual scoring entered, opinion formed at `when`: the case is `scored`.

    The year is computed from the record first (no activity here: every computed count is 0); a
    computed item's count in `counts` is set as an assessor's correction with its reason, the others
    are keyed in."""
    clock.move_to(at(when))
    e = system.engine
    case = get(system, case_id)
    year, agency = case["data"]["year"], case["agency"]
    with system.db.write() as conn:
        # the daily record brought to `daily` by one inspection finding (no computed occurrences here)
        now_daily = Decimal(assessment_record.result(conn, ASSESSOR, year, agency)["daily_score"])
        if now_daily > Decimal(str(daily)):
            assessment_record.add_finding(conn, ASSESSOR, year, agency, date(year, 6, 30),
                                          now_daily - Decimal(str(daily)), "日常检查发现执法公示不及时。", now=clock.now())
        assessment_record.compute(conn, ASSESSOR, case["data"]["year"], now=clock.now())
        for code, n in counts.items():
            if code in COMPUTED_CODES:
                assessment_record.correct(conn, ASSESSOR, case["data"]["year"], case["agency"], code, n, CORRECTED,
                                          now=clock.now())
    entered = {c: n for c, n in counts.items() if c not in COMPUTED_CODES}
    assert e.fire(ASSESSOR, case_id, "record_daily_assessment", {"summary": "日常监督检查情况良好。"})[
        "data"]["daily"]["score"] == f"{Decimal(str(daily)):.2f}"
    e.fire(ASSESSOR, case_id, "record_annual_scoring", {**entered, **({"facts": FACTS} if counts else {})})
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


def stored_cases(system) -> list[tuple[str, str]]:
    """(agency, correlation key) of every case in the database."""
    with system.db.read() as conn:
        return [tuple(r) for r in conn.execute(select(cases.c.agency_code, cases.c.correlation_key).order_by(cases.c.id))]


def duplicate_text(case_id: int, agency_name: str = "县公安局", year: int = 2025) -> str:
    return f"{agency_name}已有考核年度为“{year}”的“年度行政执法考核”案件（案件编号 {case_id}），不能重复立案。"


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
    registry = county_registry()
    fed = set()
    for item in STANDARD.items:
        for feed in item.feeds:
            versions = registry.versions(feed.procedure)
            if feed.lapsed_deadline is not None:
                assert any(d.name == feed.lapsed_deadline and d.on_lapse for p in versions for d in p.deadlines), feed
            elif feed.document is not None:
                assert any(d.name == feed.document for p in versions for d in p.documents), feed
            else:
                transitions = [t for p in versions for t in p.transitions_for(feed.trigger)]
                assert transitions, feed
                for name, code in feed.payload_lists:
                    assert all(t.payload is not None and name in t.payload().fields for t in transitions), feed
                    assert code in transitions[0].payload().fields[name].inner.validators[0].choices, feed
            fed.add(item.code)
    assert fed == {"unfiled_documents", "unlawful_documents", "training_shortfall", "violations_not_corrected",
                   "criticized", "statistics_not_reported"}


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
    assert ("考核标准二.1“规范性文件上报备案情况”：3件（未上报备案每件扣0.01分，最多扣0.1分），扣0.03分"
            f"（依据案件记录计算为0件，经考核人员更正，理由：{CORRECTED}）。") in body
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
    # The corrections stay until corrected again: the assessors correct the count back to the record's 0.
    case = score(system, clock, case["id"], daily=80, counts={"criticized": 0, "unfiled_documents": 0,
                                                              "training_shortfall": 0},
                 when="2026-01-08T10:00:00+08:00")
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
        listed = overdue.page(conn, system.registry, system.calendars.current(conn), ASSESSOR,
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
        system.engine.fire(CLERK, case["id"], "record_daily_assessment", {"summary": "自评满分"})
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
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"three_systems_missing": 2})
    assert "facts" in refused.value.fields
    with pytest.raises(InvalidPayload) as refused:  # computed from the record: corrected, never keyed in
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"unfiled_documents": 2, "facts": "2件未备案"})
    assert list(refused.value.fields) == ["unfiled_documents"]
    assert refused.value.fields["unfiled_documents"][0].startswith(
        "二.1“规范性文件上报备案情况”：本项由系统依据案件记录计算，不在此录入；如需更正，请以更正方式")
    with pytest.raises(TriggerNotAllowed, match="2025年度考核结果尚未计算"):
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"three_systems_missing": 1, "facts": "缺一项制度"})
    with pytest.raises(InvalidPayload) as refused:
        e.fire(ASSESSOR, case["id"], "record_annual_scoring", {"no_enforcer_roster": 2, "facts": "无名册"})
    assert refused.value.fields["no_enforcer_roster"] == ["该项只填 0（无）或 1（有）。"]
    with pytest.raises(InvalidPayload) as refused:  # the daily score is the daily record's, never keyed in
        e.fire(ASSESSOR, case["id"], "record_daily_assessment", {"score": 89.99, "summary": "良好"})
    assert refused.value.fields["score"][0].startswith("日常考核得分由系统依据日常考核记录")
    with pytest.raises(InvalidPayload):
        system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY, title="2021年度", data={"year": 2021})
    with pytest.raises(InvalidPayload):
        system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY, title="改期",
                                data={"year": 2025, "publish_by": "2026-03-31"})
    assert get(system, case["id"])["version"] == case["version"]


# --- one case per agency and year ---------------------------------------------------------------------


def test_the_declarations_are_checked_at_load():
    """Correlating per agency needs the field in the data schema and no opening event; a not_before rule needs its basis."""
    assert check(assessment) == []
    assert "correlation per agency: 'year' is not a field of the data schema" in check(replace(assessment, data=None))
    assert ("correlation per agency: cases cannot be opened by another system's event"
            in check(replace(assessment, opening_event="report_received")))
    publish_ = replace(assessment.transitions_for("publish")[0], not_before=replace(AFTER_THE_YEAR, basis=None))
    unfounded = replace(assessment, transitions=tuple(publish_ if t.trigger == "publish" else t
                                                      for t in assessment.transitions))
    assert check(unfounded) == ["transition 'publish' has a not_before rule without legal basis"]


def test_a_second_assessment_of_an_agency_for_the_same_year_is_refused(system, clock):
    """A second case for the same agency and year is refused on data.year naming the first case, and nothing is written."""
    first = open_assessment(system, clock)
    clock.move_to(at("2025-12-02T09:00:00+08:00"))
    with pytest.raises(InvalidPayload) as refused:
        system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY, title="2025年度考核（重复）",
                                data={"year": 2025})
    assert refused.value.fields == {"data.year": [duplicate_text(first["id"])]}
    assert stored_cases(system) == [(AGENCY, "gaj/2025")]
    assert get(system, first["id"])["data"]["year"] == 2025  # the stored key shows nowhere in the case


def test_another_agency_or_another_year_opens_its_own_assessment(system, clock):
    """The same year for another agency, and another year for the same agency, are separate cases."""
    open_assessment(system, clock)
    other = open_assessment(system, clock, agency="jtj")
    later = open_assessment(system, clock, year=2026, opened="2026-12-01T09:00:00+08:00")
    assert (other["data"]["year"], later["data"]["year"]) == (2025, 2026)
    assert stored_cases(system) == [(AGENCY, "gaj/2025"), ("jtj", "jtj/2025"), (AGENCY, "gaj/2026")]


def test_two_assessments_of_an_agency_opened_at_once_give_one_case(system, clock):
    """Two opens for the same agency and year at the same moment: one case and one refusal on data.year."""
    clock.move_to(at(OPENED))
    start = threading.Barrier(2)

    def open_one(n: int):
        start.wait()
        try:
            return system.engine.open_case(ASSESSOR, procedure="assessment", agency=AGENCY,
                                           title=f"2025年度行政执法考核（{n}）", data={"year": 2025})
        except InvalidPayload as err:
            return err

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(open_one, range(2)))
    [opened] = [a for a in answers if isinstance(a, dict)]
    [refused] = [a for a in answers if isinstance(a, InvalidPayload)]
    assert refused.fields == {"data.year": [duplicate_text(opened["id"])]}
    assert stored_cases(system) == [(AGENCY, "gaj/2025")]


def test_an_open_waiting_on_an_uncommitted_one_is_refused_once_it_commits(system, clock):
    """An open that meets another still uncommitted (PostgreSQL: past the check, at the unique key) is refused once it commits."""
    clock.move_to(at(OPENED))
    with ThreadPoolExecutor(1) as pool:
        with system.db.write() as conn:
            first = system.engine.open_in(conn, ASSESSOR, procedure="assessment", agency=AGENCY, title="2025年度",
                                          data={"year": 2025}, occurred=clock.now(), now=clock.now())
            second = pool.submit(system.engine.open_case, ASSESSOR, procedure="assessment", agency=AGENCY,
                                 title="2025年度（同时）", data={"year": 2025})
            time.sleep(0.5)  # the second waits: SQLite for the write lock, PostgreSQL on the unique key
            assert not second.done()
        with pytest.raises(InvalidPayload) as refused:
            second.result(timeout=30)
    assert refused.value.fields == {"data.year": [duplicate_text(first["id"])]}
    assert stored_cases(system) == [(AGENCY, "gaj/2025")]


def test_another_system_finds_an_assessment_by_agency_and_year(system, clock):
    """An event for key "gaj/2025" reaches that agency's 2025 case; a bare year is not a key, and the 404 says what is."""
    case = open_assessment(system, clock)
    oa = Actor("公安局办公系统", "system", AGENCY)
    clock.move_to(at("2025-12-10T09:00:00+08:00"))
    event = {"procedure": "assessment", "trigger": "submit_report", "occurred_at": None,
             "payload": {"report": "2025年度本局行政执法工作总结。"}}
    view = post_event(system.engine, oa, event_id="oa-report-1", correlation_key="gaj/2025", **event)
    assert (view["id"], view["data"]["reports"]) == (case["id"], ["2025年度本局行政执法工作总结。"])
    with pytest.raises(NotFound, match="关联编号为“单位代码/考核年度”"):
        post_event(system.engine, oa, event_id="oa-report-2", correlation_key="2025", **event)


# --- publication after the year ------------------------------------------------------------------------


def test_the_result_of_a_year_is_not_published_before_the_year_is_over(system, clock):
    """考核评议制度 第10条: publishing the 2025 result dated 31 December 2025 is refused and changes nothing; dated 5 January 2026 it goes."""
    case = open_assessment(system, clock)
    score(system, clock, case["id"], daily=80, counts={}, when="2025-12-10T10:00:00+08:00")
    with pytest.raises(TriggerNotAllowed) as refused:
        publish(system, clock, case["id"], reported="2025-12-20T10:00:00+08:00", published="2025-12-31T23:59:00+08:00")
    assert str(refused.value) == ("“公布考核结果”自2026年1月1日起方可办理，本次办理日期为2025年12月31日："
                                  "考核结果在考核年度结束后公布，每年一月份公布上年度考核结果"
                                  "（《秀山自治县行政执法考核评议制度》第10条）。")
    waiting = get(system, case["id"])
    assert (waiting["state"], waiting["documents"]) == ("under_group_review", [])

    clock.move_to(at("2026-01-05T10:00:00+08:00"))
    with pytest.raises(TriggerNotAllowed, match="第10条"):  # dated back into the year, on its local date
        system.engine.fire(ASSESSOR, case["id"], "publish", {"review": "评审通过"},
                           occurred_at=at("2025-12-31T15:59:00+00:00"))
    assert get(system, case["id"])["version"] == waiting["version"]
    published = system.engine.fire(ASSESSOR, case["id"], "publish", {"review": "2026年1月5日执法协调小组会议评审通过"})
    assert published["state"] == "published"
    assert published["documents"][0]["number"] == "秀山委法办〔2026〕1号"


def test_the_first_local_day_after_the_year_may_publish(system, clock):
    """0:30 on 1 January 2026 in Shanghai (16:30 UTC on 31 December) is after the assessed year: publishing goes."""
    case = open_assessment(system, clock)
    score(system, clock, case["id"], daily=80, counts={}, when="2025-12-10T10:00:00+08:00")
    published = publish(system, clock, case["id"], reported="2025-12-20T10:00:00+08:00",
                        published="2025-12-31T16:30:00+00:00")
    assert published["state"] == "published"


def test_the_procedure_tells_integrators_the_key_form_and_when_publishing_opens():
    """GET /procedures shows that the assessment's key is per agency and that publishing waits for the year's end, with its article."""
    from xsflow.json_views import procedure_view
    view = procedure_view(assessment)
    assert (view["correlation_field"], view["correlation_per_agency"], view["correlation_while_open"]) == \
        ("year", True, False)
    [publish] = [t for t in view["transitions"] if t["trigger"] == "publish"]
    assert "第10条" in publish["not_before"] and "一月" in publish["not_before"]
    assert all(t["not_before"] is None for t in view["transitions"] if t["trigger"] != "publish")
