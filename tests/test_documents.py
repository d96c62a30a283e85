"""Issued documents: wording, GB/T 9704 layout, numbering without gaps, immutability."""
from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import docx
import pytest
from docx.shared import Mm
from sqlalchemy import select

from tests.conftest import LEGALITY_READY, at
from xsflow.access import Actor
from xsflow.documents import docx_file
from xsflow.errors import XsflowError
from xsflow.queries import document_record
from xsflow.store.schema import documents

CLERK = Actor("公安局法制科", "clerk", "gaj")
REVIEWER = Actor("司法局审查科", "reviewer", "sfj")
ADMIN = Actor("运维", "admin")


def _draft(system, title="关于规范城区电动自行车通行管理的通知", opened="2025-09-22T09:00:00+08:00"):
    return system.engine.open_case(CLERK, procedure="legality_review", agency="gaj", title=title,
                                   occurred_at=at(opened), data=LEGALITY_READY)


def _file(system, document_id):
    with system.db.read() as conn:
        record = document_record(conn, ADMIN, document_id)
    name, content = docx_file(record)
    return record, name, docx.Document(io.BytesIO(content))


def _texts(document) -> list[str]:
    return [p.text for p in document.paragraphs]


def test_supplement_notice_states_recipient_materials_article_and_deadline(system, clock):
    """The supplement notice names the drafting unit, every missing material, art. 13 and the last day with its counting."""
    clock.move_to(at("2025-09-26T12:00:00+08:00"))
    case = _draft(system)
    case = system.engine.fire(REVIEWER, case["id"], "request_supplement",
                              {"missing": ["legal_basis", "consultation_record"]}, occurred_at=at("2025-09-26T10:00:00+08:00"))
    notice = case["documents"][0]
    record, name, document = _file(system, notice["id"])
    body = "\n".join(_texts(document))
    assert name == "秀山司补〔2025〕1号补正通知.docx"
    assert _texts(document)[:2] == ["补正通知", "秀山司补〔2025〕1号"]
    assert "县公安局：" in _texts(document)
    assert "法律法规依据" in body and "征求意见及意见采纳情况" in body
    assert "《秀山自治县行政执法监督制度》第13条" in body
    # 9-26 (Fri) served; 9-28 (Sun) is a make-up working day; 10-1..10-8 National Day: 9-28, 9-29, 9-30, 10-9, 10-10.
    assert "请于2025年10月10日24时前补齐上述材料" in body
    assert "国庆节" in body and "调休" in body
    assert _texts(document)[-1] == "2025年9月26日"


def test_termination_opinion_cites_notice_outstanding_items_and_both_dates(system, clock):
    """The termination opinion issued at the lapse cites the notice, what is still missing, the lapse instant and its own date."""
    clock.move_to(at("2025-03-03T12:00:00+08:00"))
    case = _draft(system, opened="2025-02-27T09:00:00+08:00")
    system.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis", "other"]},
                       occurred_at=at("2025-03-03T10:00:00+08:00"))
    clock.move_to(at("2025-03-05T09:00:00+08:00"))
    system.engine.fire(CLERK, case["id"], "supplement", {"items": ["other"]})
    clock.move_to(at("2025-03-12T09:30:00+08:00"))
    assert system.tick().fired == 1
    with system.db.read() as conn:
        doc_id = conn.execute(select(documents.c.id).where(documents.c.kind == "termination_opinion")).scalar_one()
    record, name, document = _file(system, doc_id)
    lines = _texts(document)
    body = "\n".join(lines)
    assert lines[:2] == ["终止审核意见书", "秀山司终〔2025〕1号"]
    assert "以补正通知（秀山司补〔2025〕1号）" in body
    outstanding = body.split("仍未补齐下列材料")[1]
    assert "法律法规依据" in outstanding and "其他与制定该规范性文件有关的材料" not in outstanding.split("依照")[0]
    assert "2025年3月10日24时" in body  # the legal lapse instant
    assert lines[-2] == "2025年3月12日"  # dated when the lapse was processed
    assert lines[-1] == "（本意见书在补正期限届满后由系统依规定出具；期限届满时间为2025年3月10日24时，出具日期为2025年3月12日）"
    assert record["legal_instant"] == "2025-03-10T16:00:00Z"


@pytest.mark.parametrize("conclusion,says", [("lawful", "合法"), ("revise", "修改后可提交"), ("unlawful", "不合法")])
def test_review_opinion_states_the_conclusion(system, clock, conclusion, says):
    """Each conclusion of the review opinion is stated in words, with the consequence art. 9 attaches."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    case = _draft(system)
    system.engine.fire(REVIEWER, case["id"], "accept")
    case = system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": conclusion, "reasons": "第三条缺乏上位法依据。"})
    _, _, document = _file(system, case["documents"][0]["id"])
    body = "\n".join(_texts(document))
    assert f"审查结论：{says}。" in body
    assert "第三条缺乏上位法依据。" in body
    if conclusion != "lawful":
        assert "第9条" in body


def test_page_setup_follows_gbt_9704(system, clock):
    """A4, type area 156 × 225 mm (top 37, left 28), title in 方正小标宋简体 2号, body in 仿宋_GB2312 3号."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    case = _draft(system)
    system.engine.fire(REVIEWER, case["id"], "accept")
    case = system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": "lawful"})
    _, _, document = _file(system, case["documents"][0]["id"])
    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.5) and abs(section.page_height - Mm(297)) < Mm(0.5)
    assert abs(section.top_margin - Mm(37)) < Mm(0.5) and abs(section.left_margin - Mm(28)) < Mm(0.5)
    assert abs(section.page_width - section.left_margin - section.right_margin - Mm(156)) < Mm(0.5)
    assert abs(section.page_height - section.top_margin - section.bottom_margin - Mm(225)) < Mm(0.5)
    title_run = document.paragraphs[0].runs[0]
    assert title_run.font.size.pt == 22
    assert title_run._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "方正小标宋简体"
    normal = document.styles["Normal"]
    assert normal.font.size.pt == 16
    assert normal.element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia") == "仿宋_GB2312"


def test_number_uses_tortoise_shell_brackets_without_padding(system, clock):
    """Numbers read 秀山司审〔2025〕N号: U+3014/U+3015, no leading zeros, no 第, one sequence per prefix and year."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    numbers = []
    for i in range(11):
        case = _draft(system, title=f"草案{i}")
        system.engine.fire(REVIEWER, case["id"], "accept")
        numbers.append(system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": "lawful"})["documents"][0]["number"])
    assert numbers == [f"秀山司审〔2025〕{n}号" for n in range(1, 12)]


def test_issued_wording_is_immutable_when_the_template_changes(system, clock, tmp_path, monkeypatch):
    """An operator's template edit changes later documents only; an issued one keeps its wording."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    case = _draft(system)
    system.engine.fire(REVIEWER, case["id"], "accept")
    first = system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": "lawful"})["documents"][0]
    bundled = Path(__import__("workflows").__file__).with_name("templates") / "legality_review_opinion.txt"
    (tmp_path / "legality_review_opinion.txt").write_text(
        bundled.read_text(encoding="utf-8").replace("现提出审查意见如下", "现提出修订后的审查意见如下"), encoding="utf-8")
    from xsflow.wording import Templates
    system.engine.templates = Templates([tmp_path, bundled.parent])
    case2 = _draft(system, title="另一草案")
    system.engine.fire(REVIEWER, case2["id"], "accept")
    second = system.engine.fire(REVIEWER, case2["id"], "issue_opinion", {"conclusion": "lawful"})["documents"][0]
    assert "修订后的审查意见" not in "\n".join(_texts(_file(system, first["id"])[2]))
    assert "修订后的审查意见" in "\n".join(_texts(_file(system, second["id"])[2]))


def test_broken_template_refuses_the_transition_and_changes_nothing(system, clock, tmp_path):
    """A template naming a fact that does not exist refuses the transition with a message for the operator."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    (tmp_path / "legality_review_opinion.txt").write_text("主送：{{ no_such_fact }}\n正文", encoding="utf-8")
    from xsflow.wording import Templates
    case = _draft(system)
    case = system.engine.fire(REVIEWER, case["id"], "accept")
    system.engine.templates = Templates([tmp_path])
    with pytest.raises(XsflowError, match="模板"):
        system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": "lawful"})
    with system.db.read() as conn:
        assert conn.execute(select(documents)).first() is None
    from xsflow.queries import get_case
    with system.db.read() as conn:
        assert get_case(system.engine, conn, REVIEWER, case["id"])["version"] == case["version"]


@pytest.mark.postgres
def test_200_concurrent_issues_on_postgresql_number_1_to_200(pg_url, clock):
    """200 issuing transitions at once on PostgreSQL get numbers 1..200: no gap, no duplicate; a rollback leaves no hole."""
    from adapters.compose import open_system

    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    setup = open_system(pg_url, clock=clock)
    setup.init()
    ids = []
    for i in range(200):
        case = _draft(setup, title=f"并发草案{i}")
        ids.append(setup.engine.fire(REVIEWER, case["id"], "accept")["id"])
    systems = [open_system(pg_url, clock=clock) for _ in range(8)]

    def issue(case_id: int):
        x = systems[case_id % len(systems)]
        return x.engine.fire(REVIEWER, case_id, "issue_opinion", {"conclusion": "lawful"})["documents"][0]["number"]

    with setup.db.write() as conn:  # a rolled-back transaction that consumed a number
        from xsflow.documents import next_sequence
        assert next_sequence(conn, "秀山司审", 2025) == 1
        conn.rollback()
    with ThreadPoolExecutor(max_workers=16) as pool:
        numbers = list(pool.map(issue, ids))
    assert sorted(numbers, key=lambda n: int(n.split("〕")[1][:-1])) == [f"秀山司审〔2025〕{n}号" for n in range(1, 201)]
    for x in systems + [setup]:
        x.db.dispose()


def test_a_correction_is_a_new_document_naming_the_one_it_corrects(system, clock):
    """Correcting an opinion issues a new number that names the old one; the old one stays as issued and says who corrected it."""
    clock.move_to(at("2025-10-20T12:00:00+08:00"))
    case = _draft(system)
    system.engine.fire(REVIEWER, case["id"], "accept")
    first = system.engine.fire(REVIEWER, case["id"], "issue_opinion", {"conclusion": "revise", "reasons": "第三条应删除。"})
    old = first["documents"][0]
    before = _texts(_file(system, old["id"])[2])
    clock.move_to(at("2025-10-21T09:00:00+08:00"))
    corrected = system.engine.correct_document(REVIEWER, old["id"], "审查意见中条款序号有误")
    assert corrected["number"] == "秀山司审〔2025〕2号" and corrected["corrects_id"] == old["id"]
    new_text = _texts(_file(system, corrected["id"])[2])
    assert new_text[-1] == "（本文书更正秀山司审〔2025〕1号（2025年10月20日出具），原文书作废。更正理由：审查意见中条款序号有误）"
    assert new_text[-2] == "2025年10月21日"
    record, _, document = _file(system, old["id"])
    assert _texts(document) == before
    assert record["corrected_by"] == {"id": corrected["id"], "number": "秀山司审〔2025〕2号"}
    with pytest.raises(XsflowError, match="已由秀山司审〔2025〕2号更正"):
        system.engine.correct_document(REVIEWER, old["id"], "再次更正")
    with pytest.raises(XsflowError, match="审查人员或监督人员"):
        system.engine.correct_document(CLERK, corrected["id"], "经办人员不能更正")
    from xsflow.queries import case_history
    with system.db.read() as conn:
        entries = case_history(conn, REVIEWER, case["id"]).items
    assert entries[-1]["trigger"] == "correct_document" and entries[-1]["payload"]["number"] == "秀山司审〔2025〕1号"
