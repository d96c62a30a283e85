"""Liaison officers (联络员) and the notification outbox.

《秀山自治县行政执法联席会议制度》第八条: every enforcement agency names one or two staff as liaison
officers who keep in touch with the justice bureau and pass work information up and down. Meeting
notices and overdue reminders go to them first: `collect` writes one outbox row per (source, officer)
from what the engine has recorded (an issued meeting notice, a lapsed deadline), so nothing is sent
twice and nothing depends on a process's memory; `deliver` hands pending rows to the sender. The
default sender only logs; an operator plugs another with XSFLOW_NOTIFICATION_SENDER=module:factory.
"""
from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Connection, and_, delete, insert, select, update

from .access import Actor
from .errors import Forbidden, InvalidPayload, NotFound
from .store.schema import agencies, case_agencies, cases, deadlines, documents, liaison_officers, notifications

log = logging.getLogger("xsflow.notifications")
REPORTING_KINDS = ("justice_bureau", "enforcement_agency", "township_team")
NOTICE_KINDS = ("meeting_notice",)  # documents whose parties' liaison officers are told


class Sender(Protocol):
    def send(self, notification: Mapping[str, Any]) -> None: ...


class LogSender:
    """Writes each notification to the log: what a deployment without SMS or mail gateway does."""

    def send(self, notification: Mapping[str, Any]) -> None:
        log.info("通知 %s：%s", notification["recipient"], notification["subject"])


def configured_sender() -> Sender:
    spec = os.environ.get("XSFLOW_NOTIFICATION_SENDER")
    if not spec:
        return LogSender()
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(module), name)()


# --- officers ------------------------------------------------------------------------------------


def officers(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    stmt = select(liaison_officers).order_by(liaison_officers.c.agency_code, liaison_officers.c.id)
    if not actor.county_wide:
        stmt = stmt.where(liaison_officers.c.agency_code == actor.agency)
    return [_officer(r) for r in conn.execute(stmt).mappings()]


def name_officers(conn: Connection, actor: Actor, agency: str, people: list[dict[str, Any]],
                  now: datetime) -> list[dict[str, Any]]:
    """Replaces an agency's liaison officers (one or two); its own clerk or the bureau names them."""
    if actor.role == "clerk" and actor.agency == agency or actor.role in ("reviewer", "admin"):
        pass
    else:
        raise Forbidden("联络员由本单位经办人员或县司法局登记。")
    if conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).scalar() is None:
        raise NotFound(f"没有代码为“{agency}”的单位。")
    if not 1 <= len(people) <= 2:
        raise InvalidPayload("联络员人数有误。", {"officers": ["每个单位安排一至两名联络员（联席会议制度第八条）。"]})
    conn.execute(update(notifications).where(notifications.c.officer_id.in_(
        select(liaison_officers.c.id).where(liaison_officers.c.agency_code == agency))).values(officer_id=None))
    conn.execute(delete(liaison_officers).where(liaison_officers.c.agency_code == agency))
    for p in people:
        conn.execute(insert(liaison_officers).values(agency_code=agency, name=p["name"], phone=p["phone"],
                                                     email=p.get("email"), post=p.get("post"), named_at=now))
    return [o for o in officers(conn, Actor("", "admin")) if o["agency"] == agency]


def agencies_without_officers(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    if not actor.county_wide:
        raise Forbidden("未指定联络员的单位名单只有县司法局和监督人员可以查看。")
    named = select(liaison_officers.c.agency_code)
    rows = conn.execute(select(agencies.c.code, agencies.c.name, agencies.c.kind)
                        .where(agencies.c.kind.in_(REPORTING_KINDS), agencies.c.code.not_in(named))
                        .order_by(agencies.c.code)).mappings()
    return [dict(r) for r in rows]


def _officer(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "agency": r["agency_code"], "name": r["name"], "phone": r["phone"], "email": r["email"],
            "post": r["post"]}


# --- the outbox ----------------------------------------------------------------------------------------


def collect(conn: Connection, now: datetime) -> int:
    """Writes the notifications not yet written: each meeting notice to its parties' officers, each
    overdue deadline to its case's agencies' officers. Returns how many rows it added."""
    known = {(r.source, r.officer_id) for r in conn.execute(select(notifications.c.source, notifications.c.officer_id))}
    people: dict[str, list[Any]] = {}
    for r in conn.execute(select(liaison_officers).order_by(liaison_officers.c.id)).mappings():
        people.setdefault(r["agency_code"], []).append(r)
    owners = dict(conn.execute(select(cases.c.id, cases.c.agency_code)).all())
    parties: dict[int, list[str]] = {}
    for case_id, code in conn.execute(select(case_agencies.c.case_id, case_agencies.c.agency_code)):
        parties.setdefault(case_id, []).append(code)
    items: list[tuple[str, int, str, str, str]] = []  # source, case, agency, subject, body
    for d in conn.execute(select(documents.c.id, documents.c.case_id, documents.c.number, documents.c.title)
                          .where(documents.c.kind.in_(NOTICE_KINDS))):
        for code in parties.get(d.case_id, []):
            items.append((f"document:{d.id}", d.case_id, code, f"{d.title}（{d.number}）",
                          f"请查收{d.title}（{d.number}），按通知要求做好参会和汇报准备。"))
    for d in conn.execute(select(deadlines.c.id, deadlines.c.case_id, deadlines.c.due_date, cases.c.title)
                          .join(cases, cases.c.id == deadlines.c.case_id)
                          .where(and_(deadlines.c.overdue.is_(True), deadlines.c.service_level.is_(False)))):
        for code in [owners[d.case_id], *parties.get(d.case_id, [])]:
            items.append((f"deadline:{d.id}", d.case_id, code, f"逾期提醒：{d.title}",
                          f"“{d.title}”的期限已于{d.due_date:%Y年%-m月%-d日}24时届满，请尽快办理并反馈县司法局。"))
    added = 0
    for source, case_id, code, subject, body in items:
        for o in people.get(code, []):
            if (source, o["id"]) in known:
                continue
            conn.execute(insert(notifications).values(
                source=source, case_id=case_id, agency_code=code, officer_id=o["id"],
                recipient=f"{o['name']}（{o['phone']}）", subject=subject, body=body, created_at=now, status="pending"))
            known.add((source, o["id"]))
            added += 1
    return added


def deliver(conn: Connection, sender: Sender, now: datetime) -> int:
    """Hands every pending notification to the sender; a failure is marked and does not stop the rest."""
    sent = 0
    for row in conn.execute(select(notifications).where(notifications.c.status == "pending")
                            .order_by(notifications.c.id)).mappings().all():
        try:
            sender.send(row)
            status, sent = "sent", sent + 1
        except Exception:  # a gateway error must not lose the others
            log.exception("notification %s failed", row["id"])
            status = "failed"
        conn.execute(update(notifications).where(notifications.c.id == row["id"]).values(status=status, sent_at=now))
    return sent


def sent_notifications(conn: Connection, actor: Actor) -> list[dict[str, Any]]:
    stmt = select(notifications).order_by(notifications.c.id)
    if not actor.county_wide:
        stmt = stmt.where(notifications.c.agency_code == actor.agency)
    return [{"id": r["id"], "agency": r["agency_code"], "recipient": r["recipient"], "subject": r["subject"],
             "body": r["body"], "case_id": r["case_id"], "status": r["status"],
             "created_at": r["created_at"].isoformat(), "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None}
            for r in conn.execute(stmt).mappings()]
