"""One issued document of every declared kind, made as the county makes it: each procedure is walked
through the engine step by step, on a fixed clock, in a throwaway SQLite database per path.

`scripts/document-samples` prints each sample through LibreOffice for the pictures in docs/documents/,
and tests/test_document_pictures.py converts each to PDF. The kinds come from the loaded definitions:
`uncovered` names every declared kind that no path below issued, so a new kind (or a new definition
version) cannot be left out of the pictures unnoticed. A new procedure adds its path to `PATHS`.
"""
from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import and_, select

from adapters.compose import county_registry, open_system
from xsflow.access import Actor
from xsflow.clock import FixedClock
from xsflow.documents import docx_file
from xsflow.queries import document_record
from xsflow.service import record_service
from xsflow.registry import Registry
from xsflow.store.schema import cases, documents, history

BUREAU = "sfj"  # 县司法局
REVIEWER = Actor("县司法局规范性文件审查科", "reviewer", BUREAU)
SUPERVISOR = Actor("县司法局行政执法监督科", "supervisor", BUREAU)
READER = Actor("文书样张", "admin")  # reads every document


def clerk(agency: str) -> Actor:
    return Actor(f"{agency}经办人", "clerk", agency)


def at(text: str) -> datetime:
    """`2025-09-26 10:00` in Beijing time (every path is written in local time)."""
    return datetime.fromisoformat(f"{text.replace(' ', 'T')}+08:00")


Key = tuple[str, int, str]  # (procedure, definition version, document kind)


@dataclass(frozen=True)
class Sample:
    """An issued document with what the gallery says of it."""

    procedure: str
    version: int
    procedure_title: str
    trigger: str
    transition_title: str
    record: dict[str, Any]  # as GET /api/v1/documents/{id} gives it, with its stored facts

    @property
    def key(self) -> Key:
        return (self.procedure, self.version, self.kind)

    @property
    def kind(self) -> str:
        return self.record["kind"]

    @property
    def number(self) -> str:
        return self.record["number"]

    @property
    def basis(self) -> str:
        return self.record["basis"]

    @property
    def heading(self) -> str:
        """The title as printed (a template may set its own, e.g. naming the agency)."""
        return self.record["facts"]["wording"]["title"]

    @property
    def recipient(self) -> str:
        return self.record["facts"]["wording"]["recipient"]

    def docx(self) -> bytes:
        return docx_file(self.record)[1]


class Desk:
    """One path's world: its own database and clock; each step happens at the instant it names."""

    def __init__(self, folder: Path, registry: Registry) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.clock = FixedClock(at("2025-01-02 09:00"))
        self.system = open_system(f"sqlite:///{folder / 'samples.db'}", clock=self.clock, registry=registry)
        self.system.init()

    def open(self, actor: Actor, procedure: str, agency: str, title: str, when: str,
             data: dict[str, Any] | None = None) -> int:
        self.clock.move_to(at(when))
        return self.system.engine.open_case(actor, procedure=procedure, agency=agency, title=title, data=data,
                                            occurred_at=at(when))["id"]

    def fire(self, actor: Actor, case_id: int, trigger: str, when: str, payload: dict[str, Any] | None = None) -> None:
        self.clock.move_to(at(when))
        self.system.engine.fire(actor, case_id, trigger, payload or {}, occurred_at=at(when))
        self._serve_waiting(case_id, when)

    def _serve_waiting(self, case_id: int, when: str) -> None:
        """A period waiting for a document's service (送达) starts the same day: served in person."""
        with self.system.db.read() as conn:
            case = self.system.engine.load_case(conn, case_id)
        waiting = {d["awaits_service"] for d in case.deadlines if d["status"] == "awaiting_service"}
        for kind in waiting:
            document_id = max(d["id"] for d in case.documents if d["kind"] == kind)
            record_service(self.system.engine, SUPERVISOR, document_id,
                           {"mode": "direct", "served_on": at(when).date(), "recipient": "受送达单位收发室"})

    def tick(self, when: str) -> None:
        """Processes the lapses due at `when`; a path ticks only where a lapse must fire."""
        self.clock.move_to(at(when))
        report = self.system.tick()
        if not report.fired:
            raise RuntimeError(f"sample path: nothing lapsed at {when} (incidents: {report.incidents}); "
                               "the path no longer matches the definition")

    def samples(self) -> list[Sample]:
        stmt = (select(documents.c.id, cases.c.procedure, cases.c.definition_version, history.c.trigger,
                       history.c.from_state)
                .join(cases, cases.c.id == documents.c.case_id)
                .join(history, and_(history.c.case_id == documents.c.case_id, history.c.seq == documents.c.history_seq))
                .order_by(documents.c.id))
        found = []
        with self.system.db.read() as conn:
            for doc_id, name, version, trigger, source in conn.execute(stmt).all():
                proc = self.system.registry.get(name, version)
                title = next(t.title for t in proc.transitions_for(trigger) if source in t.sources)
                found.append(Sample(name, version, proc.title, trigger, title, document_record(conn, READER, doc_id)))
        self.system.db.dispose()
        return found


# --- the paths: each walks cases of one procedure to the transitions that issue its kinds --------------


def legality_review(desk: Desk) -> None:
    """补正通知, then 终止审核意见书 when the 5 working days lapse (art. 13), revoked by 撤销终止审核意见书决定书 when
    the paper supplement received in time is registered late; 合法性审查意见书 (art. 10)."""
    police = clerk("gaj")
    draft = desk.open(police, "legality_review", "gaj", "关于规范城区电动自行车通行管理的通知", "2025-09-22 09:00")
    desk.fire(REVIEWER, draft, "request_supplement", "2025-09-26 10:00",
              {"missing": ["legal_basis", "consultation_record"], "note": "征求意见情况应附公开征求意见的起止时间和采纳情况说明。"})
    desk.fire(police, draft, "supplement", "2025-10-09 16:00", {"items": ["legal_basis"]})
    desk.tick("2025-10-13 09:00")  # the 5 working days (National Day counted out) ended 2025-10-10 24:00
    # art. 13: the paper supplement reached the bureau on 10-10 but was registered after the lapse
    desk.fire(REVIEWER, draft, "reopen", "2025-10-13 15:00", {"received_on": "2025-10-10", "reason": (
        "起草单位于2025年10月10日将征求意见及意见采纳情况的纸质材料送至本局收发室，因收文登记延误，"
        "未在补正期限届满前录入系统。")})
    other = desk.open(police, "legality_review", "gaj", "关于加强城区餐饮油烟污染防治管理的通知", "2025-10-14 09:00",
                      {"drafting_unit": "县公安局治安管理大队", "document_number": "秀山公发〔2025〕8号",
                       "materials": ["draft_and_explanation", "legal_basis", "consultation_record"]})
    desk.fire(REVIEWER, other, "accept", "2025-10-15 09:00")
    desk.fire(REVIEWER, other, "issue_opinion", "2025-10-24 10:00", {"conclusion": "revise", "reasons": (
        "一、第三条设定的罚款缺乏法律、法规依据，应当删除。\n"
        "二、第五条有关执法主体的表述应与《中华人民共和国大气污染防治法》第一百一十八条一致。")})


def case_supervision_v1(desk: Desk) -> None:
    """County rule of 2022: 监督意见书 (art. 30), 责令限期改正通知书 (art. 35 (8)), the report to the county government."""
    unit = clerk("scjgj")
    case = desk.open(SUPERVISOR, "case_supervision", "scjgj", "对某药店行政处罚明显不当的投诉", "2026-01-05 09:00",
                     {"grounds": ["complaint", "improper_act"], "summary": "当事人投诉罚款数额明显超出同类案件。",
                      "reference": "12345-0105-021"})
    desk.fire(SUPERVISOR, case, "issue_opinion", "2026-01-06 10:00", {
        "findings": "你单位对某药店销售过期药品一案处以罚款5万元，同类案件的罚款一般为1万元至2万元，未说明从重理由。\n"
                    "处罚决定书未载明当事人申请行政复议和提起行政诉讼的途径和期限。",
        "requirements": "对该案的处罚裁量重新审查，依法作出处理。\n补正处罚决定书的救济途径告知。"})
    desk.fire(unit, case, "confirm_receipt", "2026-01-07 09:30", {"method": "signed"})
    desk.tick("2026-01-22 09:00")  # 10 working days from 01-07 ended 01-21 24:00
    desk.fire(SUPERVISOR, case, "order_correction", "2026-01-23 10:00", {
        "reasons": "你单位收到《行政执法监督意见书》后，未在规定期限内纠正，也未反馈纠正情况。", "period_days": 7,
        "requirements": "重新审查该案的处罚裁量，并将处理结果书面报送本局。"})
    desk.tick("2026-02-02 09:00")  # 7 days from 01-23 ended 01-30 24:00
    desk.fire(SUPERVISOR, case, "report_to_government", "2026-02-03 10:00", {
        "reasons": "经责令限期改正，该局仍未对明显不当的处罚决定作出处理，也未说明理由。",
        "responsible_persons": "县市场监管局分管执法工作的副局长\n该案承办人员"})


def case_supervision_v2(desk: Desk) -> None:
    """《行政执法监督条例》 from 2026-02-01: 督办函 (art. 27), 意见书 (art. 28), 异议答复书 (art. 30),
    决定书 (art. 29) and 通报 (art. 31)."""
    market, police = clerk("scjgj"), clerk("gaj")
    opinion = desk.open(SUPERVISOR, "case_supervision", "gaj", "对某网吧超范围扣押财物的投诉", "2026-02-02 09:10",
                        {"grounds": ["complaint"], "summary": "当事人投诉扣押的电脑主机与案件无关。"})
    desk.fire(SUPERVISOR, opinion, "issue_opinion", "2026-02-03 10:00", {
        "findings": "你单位在查处某网吧违法经营案件中扣押的电脑主机12台，其中8台与案件无关。\n扣押清单未由当事人签名确认。",
        "requirements": "解除对与案件无关财物的扣押，并返还当事人。\n补正扣押清单。"})
    letter = desk.open(SUPERVISOR, "case_supervision", "scjgj", "对农贸市场缺斤少两举报未予查处", "2026-02-02 09:00",
                       {"grounds": ["inaction_or_abuse"], "summary": "群众多次举报农贸市场商户使用不合格计量器具。",
                        "reference": "12345-0202-003"})
    desk.fire(SUPERVISOR, letter, "issue_urging_letter", "2026-02-03 09:00", {
        "findings": "你单位于2025年12月接到关于县城农贸市场商户使用不合格计量器具的举报后，30日内未予调查处理。",
        "requirements": "依法调查处理被举报的违法行为。\n将处理结果答复举报人。"})
    desk.fire(market, letter, "confirm_receipt", "2026-02-04 10:00", {"method": "signed"})
    desk.fire(market, letter, "raise_objection", "2026-02-06 10:00",
              {"reasons": "该农贸市场的计量器具检定不属于本单位职责范围。"})
    desk.fire(SUPERVISOR, letter, "dismiss_objection", "2026-02-10 10:00",
              {"reasons": "依照《中华人民共和国计量法》及其实施细则，县市场监管局负责本行政区域内的计量监督管理工作。"})
    desk.tick("2026-03-03 09:00")  # 10 working days from 02-10 (Spring Festival counted out) ended 03-02 24:00
    desk.fire(SUPERVISOR, letter, "request_decision", "2026-03-04 10:00", {"reasons": "逾期未履行督办函所列职责。"})
    desk.fire(SUPERVISOR, letter, "issue_decision", "2026-03-06 10:00", {
        "decision": "责令县市场监管局自本决定作出之日起10日内对被举报的违法行为依法调查处理。\n将处理结果书面答复举报人。",
        "period_days": 10})
    desk.tick("2026-03-17 09:00")  # 10 days from 03-06 ended 03-16 24:00
    desk.fire(SUPERVISOR, letter, "report_publicly", "2026-03-18 10:00", {
        "content": "县市场监管局对群众举报的农贸市场计量违法行为长期不予查处，经督办、作出监督决定后仍不执行，"
                   "损害了群众合法权益和政府公信力。",
        "accountability": "对负有责任的领导人员和直接责任人员，已移送县纪委监委依规依纪依法处理。"})


def filing_review(desk: Desk) -> None:
    """暂缓备案登记通知书, 备案登记回执 (art. 8), 备案审查意见书 (art. 10), 限期纠正通知书 (art. 5)."""
    market = clerk("scjgj")
    case = desk.open(market, "filing_review", "scjgj", "关于规范集贸市场收费的通知", "2025-09-05 09:00",
                     {"document_number": "秀山市监发〔2025〕12号", "uniform_number": "XSSJ-2025-0012",
                      "effective_on": "2025-10-01", "publication_medium": "秀山自治县人民政府网站"})
    desk.fire(market, case, "file", "2025-09-22 10:00",
              {"materials": ["filing_report", "official_text", "basis"], "report_number": "秀山市监文〔2025〕31号"})
    desk.fire(REVIEWER, case, "hold", "2025-09-24 10:00", {"missing": ["drafting_explanation", "legality_opinion"],
                                                          "note": "合法性审核意见应由本单位法制机构出具并加盖印章。"})
    desk.fire(market, case, "supplement", "2025-09-29 16:00", {"items": ["drafting_explanation", "legality_opinion"]})
    desk.fire(REVIEWER, case, "register", "2025-09-30 09:00")
    desk.fire(REVIEWER, case, "require_correction", "2025-10-20 10:00", {
        "grounds": ["content", "procedure"],
        "problems": "第五条对逾期缴纳摊位费的经营者处以罚款，没有法律、法规、规章依据。\n该文件未经本单位集体审议。",
        "rectification_days": 30})
    desk.fire(market, case, "submit_feedback", "2025-11-10 10:00",
              {"measure": "amended", "report": "已删除第五条关于罚款的规定，修改后的文件已重新发布。"})
    desk.fire(REVIEWER, case, "reject_feedback", "2025-11-12 10:00",
              {"reasons": "修改后的文件仍未经本单位集体审议，程序问题未纠正。", "rectification_days": 15})


DISPUTE_APPLICATION = {
    "matters": "城区流动摊贩占道销售无证食品的查处职责。",
    "negotiation": "两单位于2025年8月召开协调会，县城市管理局认为属食品安全监管，县市场监管局认为属占道经营。",
    "proposal": "占道行为由县城市管理局查处，无证经营食品由县市场监管局查处，发现后相互移送。",
    "legal_basis": "《中华人民共和国食品安全法》第三十六条；《重庆市城市管理综合行政执法条例》。",
    "materials": ["协调会会议纪要", "两单位权责清单有关条目"],
}


def dispute_coordination(desk: Desk) -> None:
    """协调意见书, the request to the county government (请示) followed by the referral letter (函), and the
    county government's decision in its own series (art. 22)."""
    city = clerk("cgj")
    agreed = desk.open(city, "dispute_coordination", "cgj", "流动摊贩占道销售无证食品查处职责争议", "2025-09-01 09:00",
                       {"category": "duty", "parties": ["scjgj"]})
    desk.fire(city, agreed, "apply", "2025-09-10 10:00", DISPUTE_APPLICATION)
    desk.fire(REVIEWER, agreed, "accept", "2025-09-12 10:00")
    desk.fire(REVIEWER, agreed, "issue_coordination_opinion", "2025-09-26 10:00", {
        "agreement": "占道经营行为由县城市管理局查处。\n无证经营食品行为由县市场监管局查处。",
        "measures": "两单位发现属于对方职责的违法行为，应于2个工作日内移送，并抄送县司法局。"})
    reported = desk.open(city, "dispute_coordination", "cgj", "城区河道采砂执法职责争议", "2025-09-02 09:00",
                         {"category": "duty", "parties": ["slj"]})
    desk.fire(city, reported, "apply", "2025-09-10 11:00", {
        "matters": "城区河道非法采砂的查处职责。",
        "negotiation": "两单位自行协商两次，对采砂船只的扣押由谁实施未能达成一致。",
        "proposal": "由县水利局查处非法采砂，县城市管理局配合清理岸线堆砂。",
        "legal_basis": "《中华人民共和国水法》第三十九条；《长江河道采砂管理条例》。"})
    desk.fire(REVIEWER, reported, "accept", "2025-09-12 11:00")
    desk.fire(REVIEWER, reported, "report_to_government", "2025-10-09 16:00",
              {"opinion": "本局认为，河道采砂的监督管理属于水行政主管部门的法定职责，建议由县水利局查处。"})
    desk.fire(REVIEWER, reported, "escalate", "2025-10-20 10:00", {
        "competent_organ": "重庆市水利局",
        "reasons": "该河段属于跨区县河道，其采砂规划和许可由市级水行政主管部门负责。"})
    decided = desk.open(city, "dispute_coordination", "cgj", "夜间施工噪声查处职责争议", "2025-09-03 09:00",
                        {"category": "duty", "parties": ["sthjj"]})
    desk.fire(city, decided, "apply", "2025-09-10 14:00", {
        "matters": "城区建筑工地夜间施工噪声的查处职责。",
        "negotiation": "两单位自行协商一次，对夜间施工噪声由谁查处未能达成一致。",
        "proposal": "由县生态环境局查处夜间施工噪声，县城市管理局配合。",
        "legal_basis": "《中华人民共和国噪声污染防治法》第八条。"})
    desk.fire(REVIEWER, decided, "accept", "2025-09-12 14:00")
    desk.fire(REVIEWER, decided, "report_to_government", "2025-10-10 16:00",
              {"opinion": "本局认为，建筑施工噪声污染防治的监督管理属于生态环境主管部门的职责。"})
    desk.fire(REVIEWER, decided, "record_decision", "2025-10-24 10:00",
              {"decision": "城区建筑工地夜间施工噪声由县生态环境局查处。\n县城市管理局发现的，应于2个工作日内移送县生态环境局。"})


def certificate(desk: Desk) -> None:
    """行政执法证注销通知 (art. 21): a holder leaves enforcement work and the agency recalls the certificate."""
    police = clerk("gaj")
    case = desk.open(police, "certificate", "gaj", "张某某申领行政执法证", "2025-03-03 09:00",
                     {"person_id": "500241198805120017", "name": "张某某", "post": "治安管理"})
    desk.fire(REVIEWER, case, "complete_general_training", "2025-03-14 17:00", {"course": "2025年第一期通用法律知识培训"})
    desk.fire(police, case, "complete_special_training", "2025-03-21 17:00", {"course": "治安管理处罚法专题培训"})
    desk.fire(REVIEWER, case, "record_exam", "2025-04-19 12:00",
              {"result": "passed", "score": 86, "session": "2025年4月"})
    desk.fire(police, case, "approve_qualification", "2025-04-22 09:00")
    desk.fire(police, case, "apply", "2025-04-23 09:00", {"online_application": "CQZF-2025-0423-011"})
    desk.fire(REVIEWER, case, "issue", "2025-05-06 10:00", {
        "certificate_number": "500241001017", "valid_from": "2025-05-06", "valid_until": "2030-05-05",
        "areas": ["秀山土家族苗族自治县行政区域"]})
    desk.fire(police, case, "recall", "2025-11-03 09:00", {"reason": "left_work", "note": "该同志已调任县公安局办公室从事文秘工作。"})
    desk.fire(REVIEWER, case, "cancel", "2025-11-05 10:00")


def assessment(desk: Desk) -> None:
    """考核结果通报 (《秀山自治县行政执法考核评议制度》第10条): one agency's 2025 result, published in January 2026."""
    from workflows import assessment_record

    market = clerk("scjgj")
    for n in (7, 9):  # two normative documents never filed: 二.1 computed from the record
        desk.open(market, "filing_review", "scjgj", f"关于加强第{n}项市场监管工作的通知", "2025-10-09 09:00",
                  {"document_number": f"秀山市监发〔2025〕{n}号"})
    desk.tick("2025-11-11 00:01")
    case = desk.open(SUPERVISOR, "assessment", "scjgj", "县市场监管局2025年度行政执法考核", "2026-01-05 09:00",
                     {"year": 2025})
    desk.fire(market, case, "submit_report", "2026-01-08 10:00",
              {"report": "2025年，本局共办理行政处罚案件312件，全面推行行政执法“三项制度”。"})
    from datetime import date
    from decimal import Decimal

    desk.clock.move_to(at("2026-01-09 09:00"))
    with desk.system.db.write() as conn:  # daily: 100 − 2 × 0.5 (二.1 computed) − 14 (this finding) = 85
        assessment_record.add_finding(conn, SUPERVISOR, 2025, "scjgj", date(2025, 9, 16), Decimal(14),
                                      "执法公示栏未及时更新，部分执法人员未按规定着装。", now=desk.clock.now())
        assessment_record.compute(conn, SUPERVISOR, 2025, now=desk.clock.now())
    desk.fire(SUPERVISOR, case, "record_daily_assessment", "2026-01-09 10:00",
              {"summary": "全年日常考核四次，按期报送执法统计数据。"})
    desk.clock.move_to(at("2026-01-12 09:00"))
    with desk.system.db.write() as conn:
        assessment_record.compute(conn, SUPERVISOR, 2025, now=desk.clock.now())
        assessment_record.correct(conn, SUPERVISOR, 2025, "scjgj", "training_shortfall", 2,
                                  "两名执法人员的证件未在系统登记，经查培训签到表均未参加2025年度更新培训。",
                                  now=desk.clock.now())
    desk.fire(SUPERVISOR, case, "record_annual_scoring", "2026-01-12 10:00", {
        "reports_not_handled": 1,
        "facts": "秀山市监发〔2025〕7号、〔2025〕9号两件规范性文件未报送备案。\n"
                 "全年仅组织法制教育培训一次，且未制定年度培训计划。\n"
                 "对县行政执法监督机构督办的农贸市场计量违法举报未及时查处。"})
    desk.fire(SUPERVISOR, case, "form_opinion", "2026-01-14 10:00",
              {"comment": "该局执法程序总体规范，案卷质量较好。\n规范性文件备案和执法人员培训有待加强。"})
    desk.fire(SUPERVISOR, case, "report_to_group", "2026-01-16 10:00", {"summary": "2025年度行政执法考核情况报告"})
    desk.fire(SUPERVISOR, case, "publish", "2026-01-23 10:00",
              {"review": "2026年1月22日执法协调小组第1次会议"})


def county_assessment(desk: Desk) -> None:
    """考核结果通报（全县） (考核评议制度 第9条第（四）项、第10条): 2025 computed from the record — two
    filings of 县交通局 and one of 县市场监管局 left unfiled — with an inspection finding that grades
    县交通局 差, published in January 2026."""
    from datetime import date
    from decimal import Decimal

    from workflows import assessment_record

    for agency, n in (("jtj", 1), ("jtj", 2), ("scjgj", 3)):
        desk.open(clerk(agency), "filing_review", agency, f"关于加强第{n}项管理工作的通知", "2025-10-09 09:00",
                  {"document_number": f"秀山{agency}发〔2025〕{n}号"})
    desk.tick("2025-11-11 00:01")  # 30 days from 10-09: Sat 11-08, a rest day, rolled to Mon 11-10
    desk.clock.move_to(at("2026-01-12 10:00"))
    with desk.system.db.write() as conn:
        assessment_record.add_finding(conn, SUPERVISOR, 2025, "jtj", date(2025, 11, 20), Decimal(100),
                                      "执法公示、全过程记录、法制审核三项制度均未落实，拒不整改。", now=desk.clock.now())
        assessment_record.compute(conn, SUPERVISOR, 2025, now=desk.clock.now())
    desk.clock.move_to(at("2026-01-23 10:00"))
    assessment_record.publish(desk.system, SUPERVISOR, 2025, "2026年1月22日执法协调小组第1次会议评审通过",
                              at("2026-01-23 10:00"))


def complaint(desk: Desk) -> None:
    """投诉举报转办函 and 答复书 (考核标准 三.5): a 12345 complaint transferred, handled, checked and answered."""
    case = desk.open(SUPERVISOR, "complaint", BUREAU, "投诉县市场监管局检查超市时未出示执法证件", "2026-02-13 09:00", {
        "source": "complaint", "channel": "hotline", "ticket": "12345-20260213-0042", "agency_concerned": "scjgj",
        "facts": "2026年2月10日，县市场监管局执法人员检查某超市时未出示执法证件。\n当场作出罚款决定，未告知陈述申辩权利。",
        "complainant": {"name": "李某某", "phone": "13900000000"}})
    desk.fire(SUPERVISOR, case, "transfer", "2026-02-24 10:00", {"requirements": "请核实执法人员是否出示执法证件，依法处理。"})
    desk.fire(SUPERVISOR, case, "report_result", "2026-03-10 10:00",
              {"result": "已撤销该罚款决定，重新依法告知后作出处理。", "letter": "秀山市监函〔2026〕8号"})
    desk.fire(SUPERVISOR, case, "reply", "2026-03-12 10:00",
              {"result": "经核查，县市场监管局已撤销原罚款决定，并对有关执法人员批评教育。", "finding": "upheld"})


def correction_order(desk: Desk) -> None:
    """责令限期改正通知书 (art. 35), then, when it lapses, 通报批评 and 处分建议书."""
    market = clerk("scjgj")
    filing = desk.open(market, "filing_review", "scjgj", "关于规范集贸市场收费的通知", "2025-12-01 09:00",
                       {"document_number": "秀山市监发〔2025〕30号"})
    desk.tick("2026-01-01 09:00")  # 30 days from 12-01 ended 12-31 24:00
    order = desk.open(SUPERVISOR, "correction_order", "scjgj", "规范性文件逾期未报备案", "2026-02-10 09:00", {
        "ground": "filing_overdue", "source_case": filing,
        "facts": "你单位于2025年12月1日发布《关于规范集贸市场收费的通知》（秀山市监发〔2025〕30号），至今未报送县司法局备案。"})
    desk.fire(SUPERVISOR, order, "issue_order", "2026-02-11 10:00",
              {"period_days": 10, "requirements": "将该文件及备案材料报送县司法局。"})
    desk.tick("2026-02-25 09:00")  # 10 days from 02-11, rolled past the Spring Festival, ended 02-24 24:00


def case_file_evaluation(desk: Desk) -> None:
    """评查通知、评查情况通报、评查结果函 (《秀山自治县行政执法监督制度》第25条至第28条): the 2025 campaign
    over four files of two agencies, one scored under 60."""
    files = []
    for agency, n, kind in (("scjgj", 101, "penalty"), ("scjgj", 102, "licensing"), ("gaj", 201, "penalty"),
                            ("gaj", 202, "coercion")):
        number = f"秀山{'市监' if agency == 'scjgj' else '公'}罚〔2025〕{n}号"
        desk.open(clerk(agency), "case_file_self_review", agency, f"{number}案卷", "2025-06-30 17:00",
                  {"case_number": number, "case_type": kind, "handler": "张三、李四"})
        files.append({"case_number": number, "agency": agency, "agency_name": {"scjgj": "县市场监管局",
                                                                             "gaj": "县公安局"}[agency],
                      "case_type": kind, "title": f"{number}案卷", "case_id": n})
    case = desk.open(SUPERVISOR, "case_file_evaluation", BUREAU, "2025年度行政执法案卷集中评查", "2026-01-05 09:00",
                     {"year": 2025, "reviewers_per_file": 1})
    for member in ({"member_id": "m1", "name": "刘一", "role": "bureau_staff", "agency": BUREAU},
                   {"member_id": "m2", "name": "李四", "role": "judge", "unit": "秀山县人民法院"}):
        desk.fire(SUPERVISOR, case, "add_member", "2026-01-05 10:00", member)
    desk.fire(SUPERVISOR, case, "draw_sample", "2026-01-06 10:00",
              {"seed": 20260106, "default_size": 2, "population": files})
    with desk.system.db.read() as conn:
        drawn = desk.system.engine.load_case(conn, case).row["data"]["files"]
    for i, f in enumerate(files):
        [member] = drawn[f["case_number"]]["reviewers"]
        desk.fire(REVIEWER, case, "submit_score", "2026-01-20 10:00", {
            "file": f["case_number"], "member": member,
            "deductions": {"evidence": 20, "procedure": 20, "documents": 0.01} if i == 2 else {"documents": 1.5},
            "findings": "询问笔录未经当事人签名\n未告知陈述申辩权利" if i == 2 else "送达回证未填写送达日期"})
    desk.fire(SUPERVISOR, case, "summarise", "2026-01-23 10:00")
    for agency in ("gaj", "scjgj"):
        desk.fire(SUPERVISOR, case, "issue_result_letter", "2026-01-26 10:00", {"agency": agency})


def joint_meeting(desk: Desk) -> None:
    """会议通知 (art. 4) and 会议纪要 (art. 5) of a joint meeting called on two member units' topics."""
    meeting = desk.open(REVIEWER, "joint_meeting", BUREAU, "2025年第三季度行政执法联席会议", "2025-09-01 09:00",
                        {"members": ["gaj", "scjgj", "cgj"]})
    desk.fire(clerk("gaj"), meeting, "propose_topic", "2025-09-02 10:00", {"topic": "涉嫌犯罪案件移送衔接问题"})
    desk.fire(clerk("cgj"), meeting, "propose_topic", "2025-09-03 10:00", {"topic": "流动摊贩联合执法"})
    desk.fire(REVIEWER, meeting, "submit_agenda", "2025-09-04 10:00", {"topics": [1, 2]})
    desk.fire(SUPERVISOR, meeting, "approve_agenda", "2025-09-05 10:00", {"approved_by": "联席会议主任"})
    desk.fire(REVIEWER, meeting, "send_notice", "2025-09-10 10:00", {
        "meeting_date": "2025-09-25", "meeting_time": "上午9时", "place": "县政府第三会议室", "chair": "联席会议主任",
        "invited": ["县人民法院分管领导", "县人民检察院分管领导"], "reporting": ["gaj", "scjgj"],
        "reports_due": "2025-09-22"})
    desk.fire(clerk("gaj"), meeting, "submit_report", "2025-09-20 10:00", {
        "three_systems": "三项制度均已落实。", "responsibility": "执法责任已分解到岗到人。",
        "power_list": "权力清单已动态调整。", "discretion": "裁量权基准已公布执行。"})
    desk.tick("2025-09-23 00:01")
    desk.fire(REVIEWER, meeting, "issue_minutes", "2025-09-26 10:00", {
        "held_on": "2025-09-25", "summary": "传达学习上级关于行政执法体制改革的精神，研究贯彻落实措施。",
        "decisions": [{"decision": "建立涉嫌犯罪案件移送信息共享机制", "agencies": ["gaj", "scjgj"], "due_date": "2025-10-20"},
                      {"decision": "制定流动摊贩联合执法方案", "agencies": ["cgj"], "due_date": "2025-11-10"}]})


PATHS: list[Callable[[Desk], None]] = [legality_review, case_supervision_v1, case_supervision_v2, filing_review,
                                       dispute_coordination, certificate, assessment, county_assessment, complaint,
                                       correction_order,
                                       case_file_evaluation, joint_meeting]


# --- issuing, coverage, printing ------------------------------------------------------------------------


def declared(registry: Registry) -> list[Key]:
    """Every kind of every loaded definition version, in declaration order."""
    return [(p.name, p.version, d.name) for p in registry.all() for d in p.documents]


def issue_samples(folder: Path, registry: Registry | None = None,
                  paths: Sequence[Callable[[Desk], None]] = PATHS) -> list[Sample]:
    """Walks every path, each in a database of its own under `folder`; the first document of each
    declared kind, in declaration order."""
    registry = registry or county_registry()
    first: dict[Key, Sample] = {}
    for path in paths:
        desk = Desk(folder / path.__name__, registry)
        try:
            path(desk)
        except Exception as err:  # name the path: the engine's refusal alone does not say which
            raise RuntimeError(f"sample path {path.__name__} (adapters/samples.py) failed: {err}") from err
        for sample in desk.samples():
            first.setdefault(sample.key, sample)
    return [first[k] for k in declared(registry) if k in first]


def uncovered(samples: Iterable[Sample], registry: Registry | None = None) -> list[Key]:
    """Declared kinds no path issued: a new kind needs a path in adapters/samples.py."""
    have = {s.key for s in samples}
    return [k for k in declared(registry or county_registry()) if k not in have]


def picture_stem(key: Key, registry: Registry | None = None) -> str:
    """`<kind>` for the newest definition version declaring the kind, `<kind>.v<N>` for an older one."""
    procedure, version, kind = key
    newest = max(p.version for p in (registry or county_registry()).versions(procedure)
                 if any(d.name == kind for d in p.documents))
    return kind if version == newest else f"{kind}.v{version}"


# The standard's fonts are not free; where they are missing, LibreOffice would print the body in a sans
# face. The pictures and the test stand in a Song face for both (the title in bold, as 小标宋 is heavy),
# and a sans face for 黑体.
STAND_INS = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig>
  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>
  <match target="pattern">
    <test name="family"><string>方正小标宋简体</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Serif CJK SC</string></edit>
    <edit name="weight" mode="assign" binding="strong"><const>bold</const></edit>
  </match>
  <match target="pattern">
    <test name="family"><string>黑体</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Sans CJK SC</string></edit>
  </match>
  <match target="pattern">
    <test name="family"><string>仿宋_GB2312</string></test>
    <edit name="family" mode="assign" binding="strong"><string>Noto Serif CJK SC</string></edit>
  </match>
</fontconfig>
"""


def convert_to_pdf(soffice: str, docx_files: Sequence[Path], outdir: Path, *, timeout: int = 300) -> None:
    """One LibreOffice run for all files (its start-up is most of the cost), in a profile of its own so
    that it neither meets a running instance nor leaves anything in the user's home."""
    outdir.mkdir(parents=True, exist_ok=True)
    fonts = outdir / "stand-ins.conf"
    fonts.write_text(STAND_INS, encoding="utf-8")
    profile = outdir / "lo-profile"
    env = {**os.environ, "FONTCONFIG_FILE": str(fonts.resolve())}
    subprocess.run([soffice, f"-env:UserInstallation={profile.resolve().as_uri()}", "--headless", "--norestore",
                    "--convert-to", "pdf", "--outdir", str(outdir), *map(str, docx_files)],
                   check=True, capture_output=True, timeout=timeout, env=env)
