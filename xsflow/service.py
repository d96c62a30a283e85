"""Service of documents (送达): how and when an issued document reached its addressee, recorded once.

A period that runs from a notice runs from its service, not from the day it was drafted
(`Deadline.from_service`): until the service is recorded it waits (`awaiting_service`), and the
record starts it, counted from the day of service. The modes are data: those the 民事诉讼法 names
(第八十七条至第九十五条, 2023 revision), which 行政处罚法 第六十一条 applies to administrative
decisions; each says which day is the day of service.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select

from . import deadlines as deadline_rows
from .access import Actor
from .calendar import local_date
from .errors import Forbidden, InvalidPayload, NotFound, TriggerNotAllowed
from .json_views import case_view, day, instant
from .private import SERVICE_FIELDS, SERVICE_TRIGGER
from .payloads import Payload, choice, day as day_field, text
from .store.schema import document_services, documents

CIVIL = "《中华人民共和国民事诉讼法》"


@dataclass(frozen=True)
class Mode:
    code: str
    title: str
    basis: str
    served_on: str  # which day is the day of service, as the form says it
    deemed_after_days: int = 0  # public notice: deemed served this many days after publication


MODES = (
    Mode("direct", "直接送达", f"{CIVIL}第八十八条", "受送达人在送达回证上签收的日期"),
    Mode("left", "留置送达", f"{CIVIL}第八十九条", "留置文书的日期（送达回证记明拒收事由和日期）"),
    Mode("electronic", "电子送达", f"{CIVIL}第九十条（经受送达人同意）", "文书到达受送达人特定系统的日期"),
    Mode("entrusted", "委托送达", f"{CIVIL}第九十一条", "受送达人在送达回证上签收的日期"),
    Mode("post", "邮寄送达", f"{CIVIL}第九十一条", "回执上注明的收件日期"),
    Mode("transferred", "转交送达", f"{CIVIL}第九十二条、第九十三条", "受送达人在送达回证上签收的日期"),
    Mode("public", "公告送达", f"{CIVIL}第九十五条", "公告发出之日（自该日起经过三十日即视为送达）", 30),
)
MODE_BY_CODE = {m.code: m for m in MODES}
# The bureau issues every document, so its staff record their service (as they correct them).
RECORDERS = frozenset({"reviewer", "supervisor"})


def mode_titles() -> dict[str, str]:
    return {m.code: m.title for m in MODES}


class ServiceIn(Payload):
    """What a service record carries: the one schema of the API and the case page."""

    mode = choice(mode_titles(), what="送达方式")
    served_on = day_field(required=True, metadata={
        "title": "送达日期", "description": "直接送达填签收日期；邮寄送达填回执上注明的收件日期；"
                                        "电子送达填到达受送达人系统的日期；公告送达填公告发出之日。"})
    recipient = text(max_length=200, metadata={"title": "受送达人（签收人）"})
    receipt = text(max_length=200, metadata={"title": "送达回证、邮件号或电子送达记录"})
    note = text(max_length=2000, multiline=True, metadata={"title": "备注"})


def service_view(row: Any) -> dict[str, Any]:
    mode = MODE_BY_CODE.get(row["mode"])
    return {"document_id": row["document_id"], "mode": row["mode"], "mode_title": mode.title if mode else row["mode"],
            "basis": mode.basis if mode else None, "served_on": day(row["served_on"]),
            "delivered_on": day(row["delivered_on"]), "recipient": row["recipient"], "receipt": row["receipt"],
            "note": row["note"], "recorded_by": row["recorded_by"], "recorded_at": instant(row["recorded_at"])}


def services_of(conn: Connection, case_id: int) -> list[dict[str, Any]]:
    return [service_view(r) for r in conn.execute(select(document_services).where(
        document_services.c.case_id == case_id).order_by(document_services.c.id)).mappings()]


def record_service(engine: Any, actor: Actor, document_id: int, body: dict[str, Any]) -> dict[str, Any]:
    """Records how and when a document was served, once; starts the periods waiting for it. Refused
    (changing nothing): a second record, a day of service before the document was issued or after today."""
    if actor.role not in RECORDERS:
        raise Forbidden("只有县司法局审查人员或监督人员（文书的出具机关）可以登记文书送达。")
    with engine.db.write() as conn:
        case_id = conn.execute(select(documents.c.case_id).where(documents.c.id == document_id)).scalar()
        if case_id is None:
            raise NotFound(f"没有编号为 {document_id} 的文书。", document_id=document_id)
        case = engine.load_case(conn, case_id, lock=True)
        now = engine.clock.now()  # under the lock, as a transition reads it
        actor.check_sees(case.agencies)
        doc = next(d for d in case.documents if d["id"] == document_id)
        earlier = conn.execute(select(document_services).where(
            document_services.c.document_id == document_id)).mappings().first()
        if earlier is not None:
            raise TriggerNotAllowed(
                f"{doc['number']}已于{earlier['served_on']:%Y年%-m月%-d日}以"
                f"{MODE_BY_CODE[earlier['mode']].title}登记送达（{earlier['recorded_by']}登记），不能重复登记；"
                "登记有误的，请联系系统管理员。", document_id=document_id)
        mode = MODE_BY_CODE[body["mode"]]
        delivered: date = body["served_on"]
        # The date the document bears (the act's date; a lapse's document, the day it was processed),
        # not the instant it was recorded.
        bears = (doc.get("facts") or {}).get("issued_on")
        issued = date.fromisoformat(bears) if bears else local_date(doc["issued_at"])
        today = local_date(now)
        if delivered < issued:
            raise InvalidPayload("送达日期有误。", {"served_on": [
                f"{delivered:%Y年%-m月%-d日}早于文书出具之日{issued:%Y年%-m月%-d日}。"]})
        if delivered > today:
            raise InvalidPayload("送达日期有误。", {"served_on": [
                f"{delivered:%Y年%-m月%-d日}晚于今天（{today:%Y年%-m月%-d日}），不能登记尚未发生的送达。"]})
        served_on = delivered + timedelta(days=mode.deemed_after_days)
        row = {"document_id": document_id, "case_id": case_id, "mode": mode.code, "served_on": served_on,
               "delivered_on": delivered, "recipient": body.get("recipient"), "receipt": body.get("receipt"),
               "note": body.get("note"), "recorded_by": actor.name, "recorded_role": actor.role, "recorded_at": now}
        conn.execute(insert(document_services).values(**row))
        calendar = engine.calendars.current(conn, case.calendar_revision)
        how = f"{doc['number']}于{delivered:%Y年%-m月%-d日}{mode.title}"
        if mode.deemed_after_days:
            how += f"，经过{mode.deemed_after_days}日视为送达"
        started = deadline_rows.served(conn, calendar, case, doc["kind"], served_on, how)
        state = case.row["state"]
        payload = {"document_id": document_id, "number": doc["number"], "mode": mode.code,
                   "served_on": served_on.isoformat(), "delivered_on": delivered.isoformat(),
                   **{k: body[k] for k in SERVICE_FIELDS if body.get(k)}}
        engine.append_history(conn, case, trigger=SERVICE_TRIGGER, actor=actor, payload=payload,
                              source=state, dest=state, occurred=now, now=now)
        case.row["last_occurred_at"] = max(case.row["last_occurred_at"], now)
        engine.save(conn, case, case.row["version"])
        view = case_view(case.row, case.proc, case.deadlines, case.documents, actor, case.agencies[1:], now)
        return {**service_view(row), "deadlines_started": [d["name"] for d in started], "case": view}
