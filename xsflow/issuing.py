"""Documents a step issues, and corrections of issued ones: both in the step's transaction, both
numbered there (a rollback consumes no number), both recorded in the case's history."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from . import documents as docs
from .access import Actor
from .calendar import local_date
from .deadlines import deadline_facts
from .definitions import DocumentKind, Transition
from .errors import CalendarNotLoaded, Forbidden, InvalidPayload, NotFound, TriggerNotAllowed
from .json_views import document_view
from .numbering import FIELD as NUMBERS_FIELD, given_numbers
from .store.schema import agencies, documents
from .wording import cn_date

if TYPE_CHECKING:
    from .engine import Engine, LoadedCase

CORRECTORS = frozenset({"reviewer", "supervisor"})  # the bureau issues documents, so it corrects them


def issue_documents(engine: Engine, conn: Connection, case: LoadedCase, t: Transition, payload: dict[str, Any],
                    started: list[dict[str, Any]], lapsed: dict[str, Any] | None, entry: dict[str, Any],
                    now: datetime, numbers: Mapping[str, str] | None = None) -> None:
    """Issues the documents of transition `t`, with the facts of the case and of the step; `numbers`
    are the numbers the county's OA system assigned, by kind (checked by numbering.given_numbers)."""
    guessed = [d for d in started + ([lapsed] if lapsed else []) if d["provisional"]]
    if guessed:
        d = guessed[0]
        raise CalendarNotLoaded(
            f"“{case.proc.deadline(d['name']).title}”的计算涉及尚未载入国务院节假日安排通知的年份，"
            f"届满日（暂按{d['due_date']:%Y年%-m月%-d日}推定）不能确定，不能据此出具法律文书。"
            "请系统管理员载入该年度的节假日安排通知（xsflow calendar load）后再办理。")
    if any(d["number"] is None for d in case.documents):  # held by a sweep's batch: this step names them
        docs.number_held(conn)
    # A person's act is dated when it took effect in the world; a lapse, when it is processed.
    dated = local_date(now if lapsed else entry["occurred_at"])
    calendar = engine.calendars.current(conn, case.calendar_revision)
    names = case.agency_names if case.agency_names is not None else dict(conn.execute(
        select(agencies.c.code, agencies.c.name).where(agencies.c.code.in_(case.agencies))).all())
    agency = {"code": case.row["agency_code"], "name": names[case.row["agency_code"]]}
    common = {
        "case": {"id": case.row["id"], "title": case.row["title"], "procedure": case.proc.title,
                 "opened_on": local_date(case.row["opened_at"]).isoformat()},
        "recipient": dict(agency), "parties": [{"code": c, "name": names[c]} for c in case.agencies],
        "transition": t.title, "basis": str(t.basis),
        "occurred_on": local_date(entry["occurred_at"]).isoformat(), "issued_on": dated.isoformat(),
        "payload": payload, "data": case.row["data"],
        "deadlines_started": [deadline_facts(calendar, case.proc, d) for d in started],
        "deadline_lapsed": deadline_facts(calendar, case.proc, lapsed) if lapsed else None,
        "earlier_documents": [{"kind": d["kind"], "title": d["title"], "number": d["number"],
                               "issued_on": d["facts"].get("issued_on") or local_date(d["issued_at"]).isoformat()}
                              for d in case.documents],
    }
    for name in t.issues:
        kind = case.proc.document(name)
        facts = {**common, "document": {"kind": kind.name, "title": kind.title, "basis": str(kind.basis)}}
        if kind.facts is not None:
            facts.update(kind.facts(facts))
        facts["wording"] = engine.templates.render(kind.template, facts, default_title=kind.title).as_json()
        facts["layout"] = layout(kind, dated)
        doc = docs.issue(conn, case_id=case.row["id"], kind=kind, issued_at=now, year=dated.year,
                         legal_instant=lapsed["lapses_at"] if lapsed else None, facts=facts,
                         history_seq=entry["seq"], given=(numbers or {}).get(kind.name),
                         field=f"{NUMBERS_FIELD}.{kind.name}")
        case.documents.append(doc)
    if t.opens is not None:  # the cases it opens name its documents by number
        docs.number_held(conn)


def layout(kind: DocumentKind, dated: date) -> dict[str, Any] | None:
    """What GB/T 9704 sets around the wording, from the operator's configuration: 签发人 of a document
    sent up (7.2.5), and the 版记 (7.4): 抄送, 印发机关, 印发日期 (the date of issue)."""
    n = kind.numbering
    if n is None:
        return None
    return {"signer": n.issuer.signer if kind.sent_up else None, "cc": list(n.cc), "printer": n.issuer.printer,
            "printed_on": dated.isoformat(), "issuer": n.issuer.name, "source": n.source}


def correct_document(engine: Engine, actor: Actor, document_id: int, reason: str,
                     number: str | None = None) -> dict[str, Any]:
    """Issues a correction: a new document of the same kind and a new number (for a kind the OA
    numbers, `number`, the one it assigned), naming the one it corrects; the issued one is never
    changed. Recorded in the case's history."""
    if actor.role not in CORRECTORS:
        raise Forbidden("只有县司法局审查人员或监督人员可以更正已出具的文书。")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidPayload("请写明更正理由。", {"reason": ["必须填写更正理由。"]})
    with engine.db.write() as conn:
        case_id = conn.execute(select(documents.c.case_id).where(documents.c.id == document_id)).scalar()
        if case_id is None:
            raise NotFound(f"没有编号为 {document_id} 的文书。", document_id=document_id)
        case = engine.load_case(conn, case_id, lock=True)
        now = engine.clock.now()  # under the lock: never before an event recorded while this one waited
        actor.check_sees(case.agencies, case.proc.name)
        old = next(d for d in case.documents if d["id"] == document_id)
        newer = next((d for d in case.documents if d["corrects_id"] == document_id), None)
        if newer is not None:
            raise TriggerNotAllowed(f"{old['number']}已由{newer['number']}更正；如需再次更正，请更正{newer['number']}。")
        kind = case.proc.document(old["kind"])
        given = given_numbers({old["kind"]: number} if number else None, {kind.name: kind}).get(kind.name)
        dated = local_date(now)
        facts = {**old["facts"], "issued_on": dated.isoformat(),
                 "corrects": {"number": old["number"], "issued_on": old["facts"]["issued_on"], "reason": reason}}
        facts.pop("wording", None)
        if old["facts"].get("layout"):
            facts["layout"] = {**old["facts"]["layout"], "printed_on": dated.isoformat()}
        wording = engine.templates.render(kind.template, facts, default_title=kind.title)
        note = (f"本文书更正{old['number']}（{cn_date(old['facts']['issued_on'])}出具），原文书作废。"
                f"更正理由：{reason}")
        facts["wording"] = replace(wording, notes=[*wording.notes, note]).as_json()
        state = case.row["state"]
        entry = engine.append_history(conn, case, trigger="correct_document", actor=actor,
                                      payload={"document_id": document_id, "number": old["number"], "reason": reason},
                                      source=state, dest=state, occurred=now, now=now)
        doc = docs.issue(conn, case_id=case_id, kind=kind, issued_at=now, year=dated.year,
                         legal_instant=old["legal_instant"], facts=facts, history_seq=entry["seq"],
                         corrects_id=document_id, given=given, field="document_number")
        case.row["last_occurred_at"] = max(case.row["last_occurred_at"], now)
        engine.save(conn, case, case.row["version"])
        return {**document_view(doc), "case_id": case_id, "agency": case.row["agency_code"],
                "facts": facts, "corrects_id": document_id}
