"""规范性文件合法性审查 — legality review of a draft normative document.

《秀山自治县行政执法监督制度》第9–13条: a draft to be issued in the name of the county
government or its office is reviewed by its drafting unit, then sent to the justice
bureau with the materials of art. 11. Missing materials are listed all at once and
supplied within 5 working days; when that lapses, the bureau issues a termination opinion
(art. 13). A draft not reviewed, or found unlawful, may not go to collective deliberation
(art. 9).

What the rule leaves open, and what is done here (docs/decisions.md, "Legality review"):
- the lapse issues the termination opinion at once (the county's wish), or — by configuration,
  `[supplement_lapse]` in service_levels/legality_review.toml — drafts it for the reviewer to issue;
- the opinion is the bureau's act (art. 13): a supplement that reached the bureau on paper within
  the period but was recorded late reopens the case, by the bureau's reviewer, with the reason and
  the date of receipt; the opinion is revoked by a numbered revocation, and both stay in the history;
- a supplement may be asked for during the review too, with its own 5 working days;
- `accept` requires the drafting unit, the proposed document number and the list of submitted materials
  (art. 10–11), given at opening or by the clerk's `record_submission`, and the materials of art. 11
  (一)–(三) among them; the refusal names what is missing, and the notice lists missing materials.
"""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from xsflow.definitions import (TIMER, Guard, Rule, deadline, procedure, service_level, state,
                                transition)
from xsflow.payloads import Payload, choice, codes, day, text
from xsflow.wording import cn_date

from .numbering import document
from .settings import choice_setting, service_level_setting

RULE = Rule("《秀山自治县行政执法监督制度》")

MATERIALS = {  # art. 11
    "draft_and_explanation": "送审稿及起草说明",
    "legal_basis": "法律法规依据",
    "consultation_record": "征求意见及意见采纳情况",
    "other": "其他与制定该规范性文件有关的材料",
}

# Art. 11 (一)–(三) must be there; (四) “其他与制定该规范性文件有关的材料” only where there are any.
REQUIRED = {
    "draft_and_explanation": RULE.art(11, "一"),
    "legal_basis": RULE.art(11, "二"),
    "consultation_record": RULE.art(11, "三"),
}

LAPSE_MODES = {"issue": "期限届满即由系统出具终止审核意见书", "draft": "期限届满拟制终止审核意见书，由审查人员签发"}


def lapse_mode() -> str:
    """`issue` or `draft`: read when a lapse fires, so a changed setting applies from the next lapse."""
    return str(choice_setting("legality_review", "supplement_lapse", LAPSE_MODES)["mode"])


CONCLUSIONS = {"lawful": "合法", "revise": "修改后可提交", "unlawful": "不合法"}


class Stage(StrEnum):
    SUBMITTED = "submitted"
    AWAITING_SUPPLEMENT = "awaiting_supplement"
    UNDER_REVIEW = "under_review"
    TERMINATION_DRAFTED = "termination_drafted"
    OPINION_ISSUED = "opinion_issued"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"


OPEN = (Stage.SUBMITTED, Stage.AWAITING_SUPPLEMENT, Stage.UNDER_REVIEW, Stage.TERMINATION_DRAFTED)


class SubmissionDetails(Payload):
    """What the drafting unit sends (art. 10–11), given at opening or recorded later by its clerk
    (`record_submission`): the materials it submits, the drafting unit and the number the document is
    to carry. Nothing here is the bureau's. The reviewer cannot accept the draft until the drafting unit,
    the proposed number and the list of materials are recorded (`READY_FOR_REVIEW`)."""

    materials = codes(MATERIALS, what="送审材料", required=False, metadata={"title": "报送的材料（第11条）"})
    drafting_unit = text(max_length=200, metadata={"title": "起草单位（第10条）"})
    # The number the document is to carry once published (文号) and its uniform number (art. 8): the
    # register (workflows/document_register.py) finds the review of a filed document by them.
    document_number = text(max_length=100, metadata={"title": "拟发文号"})
    uniform_number = text(max_length=100, metadata={"title": "统一编号"})


class Submission(SubmissionDetails):
    reference = text(max_length=200, metadata={"title": "外部系统编号"})  # the correlation key of another system's events


class SupplementRequest(Payload):
    # Omitted: every material of art. 11 (一)–(三) not recorded as submitted. Given: it must name
    # each of those (一次性告知), and may add a submitted one that does not meet the requirements.
    missing = codes(MATERIALS, what="材料", required=False, metadata={"title": "需补正的材料"})
    note = text(max_length=2000)


class Supplement(Payload):
    items = codes(MATERIALS, what="材料", metadata={"title": "补正的材料"})


class Opinion(Payload):
    conclusion = choice(CONCLUSIONS, what="审查结论", metadata={"title": "审查结论"})
    reasons = text(max_length=20000, metadata={"title": "审查意见"})


class Reopen(Payload):
    """Art. 13 read with the bureau's duty to act on what it received: the paper supplement that came
    in time. The date of receipt must fall within the period; the reason says why it was recorded late."""

    received_on = day(required=True, metadata={"title": "纸质补正材料收到日期"})
    reason = text(max_length=2000, required=True, min_length=1, metadata={"title": "重新审查的理由（逾期登记的原因）"})


class IssueTermination(Payload):
    note = text(max_length=2000, metadata={"title": "签发说明"})


def still_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> list[str]:
    supplied = set(data.get("supplied", [])) | set(payload.get("items", []))
    return [m for m in data.get("missing", []) if m not in supplied]


def absent(data: Mapping[str, Any]) -> list[str] | None:
    """The required materials (art. 11 (一)–(三)) neither submitted nor supplied; None when the case
    records no list of submitted materials (opened without one: the reviewer's own list governs)."""
    if "materials" not in data:
        return None
    present = set(data["materials"]) | set(data.get("supplied", []))
    return [m for m in REQUIRED if m not in present]


def note_missing(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    missing = list(payload.get("missing") or absent(data) or [])
    # what was supplied for an earlier notice counts as submitted from now on
    submitted = list(dict.fromkeys([*data.get("materials", []), *data.get("supplied", [])]))
    kept = {"materials": submitted} if "materials" in data else {}
    return {**data, **kept, "missing": missing, "supplied": []}


def note_supplied(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    supplied = list(dict.fromkeys([*data.get("supplied", []), *payload["items"]]))
    return {**data, "supplied": supplied}


def note_submission(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The clerk records or completes the submission: given fields replace, materials add up."""
    given = {k: v for k, v in payload.items() if k != "materials" and v not in (None, "")}
    if payload.get("materials") is not None:
        given["materials"] = list(dict.fromkeys([*data.get("materials", []), *payload["materials"]]))
    return {**data, **given}


def note_conclusion(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    return {**data, "conclusion": payload["conclusion"]}


def note_lapse(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The lapse keeps the period's bounds (served on, last day): a reopening checks the date of receipt
    against them."""
    return {**data, "supplement_period": {"start_date": payload.get("start_date"), "due_date": payload.get("due_date")}}


def note_reopened(data: Mapping[str, Any], payload: Mapping[str, Any]) -> dict[str, Any]:
    """The paper supplement received in time completed the materials asked for."""
    record = {"received_on": payload["received_on"], "reason": payload["reason"],
              "materials": list(still_missing(data, {}))}
    return {**data, "supplied": list(dict.fromkeys([*data.get("supplied", []), *data.get("missing", [])])),
            "reopenings": [*data.get("reopenings", []), record]}


def titles(codes: list[str]) -> list[str]:
    return [MATERIALS[c] for c in codes]


def notice_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    submitted = set(data.get("materials", []))
    # a material listed though submitted did not meet the requirements (art. 13 “不符合要求”)
    return {"missing_titles": [MATERIALS[c] + ("（已报送，但不符合要求）" if c in submitted else "")
                               for c in data["missing"]]}


def termination_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    data = facts["data"]
    notices = [d for d in facts["earlier_documents"] if d["kind"] == "supplement_notice"]
    return {
        "notice": notices[-1] if notices else None,
        "requested_titles": titles(data.get("missing", [])),
        "outstanding_titles": titles(still_missing(data, {})),
        "due_date": (data.get("supplement_period") or {}).get("due_date"),
    }


def revocation_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    revoked = [d for d in facts["earlier_documents"] if d["kind"] == "termination_opinion"]
    return {"revoked": revoked[-1] if revoked else None,
            "due_date": (facts["data"].get("supplement_period") or {}).get("due_date"),
            "received_titles": titles(facts["data"]["reopenings"][-1]["materials"])}


def opinion_facts(facts: Mapping[str, Any]) -> dict[str, Any]:
    return {"conclusion_title": CONCLUSIONS[facts["payload"]["conclusion"]]}


ALL_SUPPLIED = Guard(lambda data, payload: not still_missing(data, payload),
                     refusal="补正材料尚未齐全")


def _absent_text(data: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    return ("送审材料不齐全，不能受理审查：缺少" + "、".join(
        f"{MATERIALS[c]}（{REQUIRED[c].article}）" for c in absent(data) or []) + "。请一次性告知起草单位补正（第13条）。")


# What a clerk must supply before review (art. 10–11): recorded, never assumed.
SUBMISSION_DATA = {
    "drafting_unit": ("起草单位", RULE.art(10)),
    "document_number": ("拟发文号", RULE.art(10)),
    "materials": ("报送的材料清单", RULE.art(11)),
}


def unrecorded(data: Mapping[str, Any]) -> list[str]:
    """The submission data of art. 10–11 the clerk has not yet recorded."""
    return [k for k in SUBMISSION_DATA if k not in data or data[k] in (None, "")]


def _ready(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    return not unrecorded(data) and not absent(data)


def _not_ready_text(data: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    missing = unrecorded(data)
    if missing:
        return ("送审信息不完整，不能受理审查：尚未登记" + "、".join(
            f"{SUBMISSION_DATA[k][0]}（{k}，{SUBMISSION_DATA[k][1].article}）" for k in missing)
            + "。请执法机关经办人员通过“登记送审信息”（record_submission）补录。")
    return _absent_text(data, payload)


READY_FOR_REVIEW = Guard(_ready, refusal="送审信息或材料不齐全", explain=_not_ready_text)


def _request_covers(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    missing = absent(data)
    if missing is None:
        return bool(payload.get("missing"))
    listed = payload.get("missing") or missing
    return bool(listed) and set(missing) <= set(listed)


def _request_text(data: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    missing = absent(data)
    if missing is None:
        return "本案未登记报送的材料，请逐项列出需补正的材料。"
    if not missing and not payload.get("missing"):
        return "报送的材料已齐全，没有需补正的材料；如有材料不符合要求，请列出该材料。"
    left = [c for c in missing if c not in payload.get("missing", [])]
    return ("应当一次性告知全部需补正的材料（第13条），尚未列出：" + "、".join(MATERIALS[c] for c in left) + "。")


COVERS_MISSING = Guard(_request_covers, refusal="补正通知未列全缺少的材料", explain=_request_text, field="missing")


def _received_in_period(data: Mapping[str, Any], payload: Mapping[str, Any]) -> bool:
    period = data.get("supplement_period") or {}
    due, start = period.get("due_date"), period.get("start_date")
    received = str(payload["received_on"])
    return due is not None and received <= due and (start is None or received >= start)


def _received_text(data: Mapping[str, Any], payload: Mapping[str, Any]) -> str:
    period = data.get("supplement_period") or {}
    due, start = period.get("due_date"), period.get("start_date")
    if due is None:
        return "本案没有届满的补正期限，不能以期限内收到补正材料为由重新审查。"
    if start is not None and str(payload["received_on"]) < start:
        return (f"纸质补正材料收到日期（received_on）{payload['received_on']}早于补正期限的起算日"
                f"（补正通知送达之日，{cn_date(start)}）：只有在补正期限内收到的材料才能据以重新审查，请核对收到日期。")
    return (f"纸质补正材料收到日期（received_on）{payload['received_on']}晚于补正期限的最后一日（{cn_date(due)}）："
            "期限届满后收到的材料不能使终止审核意见书撤销，请起草单位重新报送审查。")


RECEIVED_IN_PERIOD = Guard(_received_in_period, refusal="收到日期不在补正期限内", explain=_received_text,
                           field="received_on")
ISSUES_AT_LAPSE = Guard(lambda data, payload: lapse_mode() == "issue", refusal="按配置期限届满时拟制终止审核意见书")
DRAFTS_AT_LAPSE = Guard(lambda data, payload: lapse_mode() == "draft", refusal="按配置期限届满时直接出具终止审核意见书")
REOPEN_BASIS = RULE.art(13, note="终止审核意见书是县司法局的行为：期限内已送达的纸质补正材料逾期登记的，由县司法局撤销并恢复审查")

legality_review = procedure(
    "legality_review", version=1, title="规范性文件合法性审查", initial=Stage.SUBMITTED,
    basis=RULE.art(10), opened_by="clerk", data=Submission,
    states=[
        state(Stage.SUBMITTED, "已送审", basis=RULE.art(10)),
        state(Stage.AWAITING_SUPPLEMENT, "待补正材料", basis=RULE.art(13)),
        state(Stage.UNDER_REVIEW, "审查中", basis=RULE.art(11)),
        state(Stage.TERMINATION_DRAFTED, "终止审核意见书待签发",
              basis=RULE.art(13, note="逾期不补充的，县司法局出具终止审核意见书；按配置由审查人员签发")),
        state(Stage.OPINION_ISSUED, "已出具审查意见", basis=RULE.art(9), terminal=True),
        state(Stage.TERMINATED, "已终止审查", basis=RULE.art(13), terminal=True),
        state(Stage.WITHDRAWN, "已撤回", basis=RULE.art(10, note="送审由起草单位提出，亦可由其撤回"), terminal=True),
    ],
    transitions=[
        transition("accept", Stage.SUBMITTED, Stage.UNDER_REVIEW, role="reviewer", basis=RULE.art(11),
                   guard=READY_FOR_REVIEW, title="送审信息和材料齐全，受理审查"),
        transition("record_submission", Stage.SUBMITTED, None, role="clerk", payload=SubmissionDetails,
                   effect=note_submission, basis=RULE.art(10, note="起草单位报送送审稿及第11条所列材料"),
                   title="登记送审信息"),
        transition("request_supplement", (Stage.SUBMITTED, Stage.UNDER_REVIEW), Stage.AWAITING_SUPPLEMENT,
                   role="reviewer", payload=SupplementRequest, guard=COVERS_MISSING, effect=note_missing,
                   issues="supplement_notice",
                   basis=RULE.art(13, note="资料不齐或者不符合要求的，一次性告知；审查中发现的亦同"),
                   title="一次性告知补正材料"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, Stage.UNDER_REVIEW, role=("clerk", "system"),
                   payload=Supplement, guard=ALL_SUPPLIED, effect=note_supplied, basis=RULE.art(13),
                   title="补齐材料"),
        transition("supplement", Stage.AWAITING_SUPPLEMENT, None, role=("clerk", "system"),
                   payload=Supplement, effect=note_supplied, basis=RULE.art(13), title="补正部分材料"),
        transition("supplement_lapsed", Stage.AWAITING_SUPPLEMENT, Stage.TERMINATED, role=TIMER,
                   guard=ISSUES_AT_LAPSE, effect=note_lapse, issues="termination_opinion",
                   basis=RULE.art(13, note="逾期不补充的，出具终止审核意见书"), title="逾期未补正，终止审核"),
        transition("supplement_lapsed", Stage.AWAITING_SUPPLEMENT, Stage.TERMINATION_DRAFTED, role=TIMER,
                   guard=DRAFTS_AT_LAPSE, effect=note_lapse,
                   basis=RULE.art(13, note="逾期不补充的，出具终止审核意见书；按配置拟制后由审查人员签发"),
                   title="逾期未补正，拟制终止审核意见书"),
        transition("issue_termination", Stage.TERMINATION_DRAFTED, Stage.TERMINATED, role="reviewer",
                   payload=IssueTermination, issues="termination_opinion",
                   basis=RULE.art(13, note="逾期不补充的，出具终止审核意见书"), title="签发终止审核意见书"),
        transition("reopen", Stage.TERMINATION_DRAFTED, Stage.UNDER_REVIEW, role="reviewer", payload=Reopen,
                   guard=RECEIVED_IN_PERIOD, effect=note_reopened, basis=REOPEN_BASIS,
                   title="期限内收到纸质补正材料，恢复审查"),
        transition("reopen", Stage.TERMINATED, Stage.UNDER_REVIEW, role="reviewer", payload=Reopen,
                   guard=RECEIVED_IN_PERIOD, effect=note_reopened, issues="termination_revocation",
                   basis=REOPEN_BASIS, reopens=True, title="期限内收到纸质补正材料，撤销终止审核意见书并恢复审查"),
        transition("issue_opinion", Stage.UNDER_REVIEW, Stage.OPINION_ISSUED, role="reviewer",
                   payload=Opinion, effect=note_conclusion, issues="legality_review_opinion",
                   basis=RULE.art(9), title="出具合法性审查意见"),
        transition("withdraw", OPEN, Stage.WITHDRAWN, role="clerk", cancels_deadlines=True,
                   basis=RULE.art(10, note="送审由起草单位提出，亦可由其撤回"), title="撤回送审"),
    ],
    deadlines=[
        # "一次性告知起草单位在5个工作日内予以补齐": the 5 working days run from the day the notice is
        # served (送达), recorded by POST /documents/{id}/service; until then the case waits (待送达).
        deadline("supplement", title="补正材料期限", while_in=Stage.AWAITING_SUPPLEMENT, working_days=5,
                 from_service="supplement_notice", on_lapse="supplement_lapsed",
                 basis=RULE.art(13, note="自补正通知送达之日起算")),
        service_level("review", title="合法性审查办理时限", while_in=(Stage.SUBMITTED, Stage.UNDER_REVIEW),
                      setting=service_level_setting("legality_review", "review")),
    ],
    documents=[
        document("supplement_notice", title="补正通知", issuer="justice_bureau", basis=RULE.art(13),
                 facts=notice_facts),
        document("termination_opinion", title="终止审核意见书", issuer="justice_bureau", basis=RULE.art(13),
                 facts=termination_facts),
        document("termination_revocation", title="撤销终止审核意见书决定书", issuer="justice_bureau", basis=REOPEN_BASIS,
                 facts=revocation_facts),
        document("legality_review_opinion", title="合法性审查意见书", issuer="justice_bureau", basis=RULE.art(10),
                 facts=opinion_facts),
    ],
)

PROCEDURES = [legality_review]
