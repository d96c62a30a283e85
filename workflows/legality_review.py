"""规范性文件合法性审查 — legality review of a draft normative document.

《秀山自治县行政执法监督制度》第9–13条: a draft to be issued in the name of the county
government or its office is reviewed by its drafting unit, then sent to the justice
bureau with the materials of art. 11. Missing materials are listed all at once and
supplied within 5 working days; when that lapses, the bureau issues a termination opinion
(art. 13). A draft not reviewed, or found unlawful, may not go to collective deliberation
(art. 9).
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from xsflow.definitions import (TIMER, Guard, Rule, deadline, procedure, service_level, state,
                                transition)
from xsflow.payloads import Payload, choice, codes, text

from .numbering import document
from .settings import service_level_setting

RULE = Rule("《秀山自治县行政执法监督制度》")

MATERIALS = {  # art. 11
    "draft_and_explanation": "送审稿及起草说明",
    "legal_basis": "法律法规依据",
    "consultation_record": "征求意见及意见采纳情况",
    "other": "其他与制定该规范性文件有关的材料",
}

CONCLUSIONS = {"lawful": "合法", "revise": "修改后可提交", "unlawful": "不合法"}


class Stage(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    UNDER_REVIEW = "under_review"
    OPINION_ISSUED = "opinion_issued"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


OPEN = (Stage.SUBMITTED, Stage.AWAITING_SUPPLEMENT, Stage.UNDER_REVIEW)


class SupplementRequest(Payload):
    missing = codes(MATERIALS, what="材料")
    note = text(max_length=2000)


class Supplement(Payload):
    items = codes(MATERIALS, what="材料")


class Opinion(Payload):
    conclusion = choice(CONCLUSIONS, what="审查结论")
    reasons = text(max_length=20000)


def still_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    supplied = set(data.get("supplied", [])) | set(payload.get("items", []))
    return [m for m in data.get("missing", []) if m not in supplied]


def note_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "missing": list(payload["missing"]), "supplied": []}


def note_supplied(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    supplied = list(dict.fromkeys([*data.get("supplied", []), *payload["items"]]))
    return {**data, "supplied": supplied}


def note_conclusion(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "conclusion": payload["conclusion"]}


def titles(codes: list[str]) -> list[str]:
    return [MATERIALS[c] for c in codes]


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {"missing_titles": titles(facts["payload"]["missing"])}


def termination_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    notices = [d for d in facts["earlier_documents"] if d["kind"] == "supplement_notice"]
    return {
        "notice": notices[-1] if notices else None,
        "requested_titles": titles(data.get("missing", [])),
        "outstanding_titles": titles(still_missing(data, {})),
    }


def opinion_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {"conclusion_title": CONCLUSIONS[facts["payload"]["conclusion"]]}


ALL_SUPPLIED = Guard(lambda data, payload: not still_missing(data, payload),
                     refusal="补正材料尚未齐全")

legality_review = procedure(
    "legality_review", version=1, title="规范性文件合法性审查", initial=Stage.SUBMITTED,
    basis=RULE.art(10), opened_by="clerk",
    states=[
        state(Stage.SUBMITTED, "已送审", basis=RULE.art(10)),
        state(Stage.AWAITING_SUPPLEMENT, "待补正材料", basis=RULE.art(13)),
        state(Stage.UNDER_REVIEW, "审查中", basis=RULE.art(11)),
        state(Stage.OPINION_ISSUED, "已出具审查意见", basis=RULE.art(9), terminal=True),
        state(Stage.TERMINATED, "已终止审查", basis=RULE.art(13), terminal=True),
        state(Stage.WITHDRAWN, "已撤回", basis=RULE.art(10, note="送审由起草单位提出，亦可由其撤回"), terminal=True),
    ],
    transitions=[
        transition("accept", Stage.SUBMITTED, Stage.UNDER_REVIEW, role="reviewer", basis=RULE.art(11),
                   title="材料齐全，受理审查"),
        transition("request_supplement", Stage.SUBMITTED, Stage.AWAITING_SUPPLEMENT, role="reviewer",
                   payload=SupplementRequest, effect=note_missing, issues="supplement_notice",
                   basis=RULE.art(13, note="一次性告知"), title="一次性告知补正材料"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, Stage.UNDER_REVIEW, role=("clerk", "system"),
                   payload=Supplement, guard=ALL_SUPPLIED, effect=note_supplied, basis=RULE.art(13),
                   title="补齐材料"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, None, role=("clerk", "system"),
                   payload=Supplement, effect=note_supplied, basis=RULE.art(13), title="补正部分材料"),
        transition("supplement_lapsed", Stage.AWAITING_SUPPLEMENT, Stage.TERMINATED, role=TIMER,
                   issues="termination_opinion", basis=RULE.art(13, note="逾期不补充的，出具终止审核意见书"),
                   title="逾期未补正，终止审核"),
        transition("issue_opinion", Stage.UNDER_REVIEW, Stage.OPINION_ISSUED, role="reviewer",
                   payload=Opinion, effect=note_conclusion, issues="legality_review_opinion",
                   basis=RULE.art(9), title="出具合法性审查意见"),
        transition("withdraw", OPEN, Stage.WITHDRAWN, role="clerk", cancels_deadlines=True,
                   basis=RULE.art(10, note="送审由起草单位提出，亦可由其撤回"), title="撤回送审"),
    ],
    deadlines=[
        deadline("supplement", title="补正材料期限", while_in=Stage.AWAITING_SUPPLEMENT, working_days=5,
                 on_lapse="supplement_lapsed", basis=RULE.art(13)),
        service_level("review", title="合法性审查办理时限", while_in=(Stage.SUBMITTED, Stage.UNDER_REVIEW),
                      setting=service_level_setting("legality_review", "review")),
    ],
    documents=[
        document("supplement_notice", title="补正通知", issuer="justice_bureau", basis=RULE.art(13),
                 facts=notice_facts),
        document("termination_opinion", title="终止审核意见书", issuer="justice_bureau", basis=RULE.art(13),
                 facts=termination_facts),
        document("legality_review_opinion", title="合法性审查意见书", issuer="justice_bureau", basis=RULE.art(10),
                 facts=opinion_facts),
    ],
)

PROCEDURES = [legality_review]
