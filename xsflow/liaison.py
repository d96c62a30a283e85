"""Liaison officers (联络员) and the notification outbox.

《秀山自治县行政执法联席会议制度》第八条: every enforcement agency names one or two staff as liaison
officers who keep in touch with the justice bureau and pass work information up and down. Meeting
notices and overdue reminders go to them first: `collect` writes one outbox row per (source, officer)
from what the engine has recorded (an issued meeting notice, a lapsed deadline), so nothing is sent
twice and nothing depends on a process's memory; `deliver` hands pending rows to the sender. The
default sender only logs; the adapters pass another (`adapters/compose.py` reads the operator's
XSFLOW_NOTIFICATION_SENDER=module:factory), the core reads no environment.

Each sweep reads only what is new: `collect` walks the history entries after a mark kept in
`notification_marks` (a notice issued, a deadline lapsed by the timer), and `deliver` reads the
pending rows through the index on (status, id). The mark trails the newest entry by
`MARK_MARGIN`, so an entry whose transaction committed after a later-numbered one (PostgreSQL takes
ids at insert, not at commit) is still read at the next sweep; the unique (source, officer) row
makes reading it twice harmless.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from .access import Actor
from .errors import Forbidden, InvalidPayload, NotFound
from .queries import Page, after_code, after_id, check_limit, encode_cursor
from .store.schema import (agencies, case_agencies, cases, deadlines, documents, history, liaison_officers,
                           notification_marks, notifications)

log = logging.getLogger("xsflow.notifications")
REPORTING_KINDS = ("justice_bureau", "enforcement_agency", "township_team")
NOTICE_KINDS = ("meeting_notice",)  # documents whose parties' liaison officers are told
# An agency without liaison officers is not told: its row says so and is never handed to the sender.
UNDELIVERABLE = "undeliverable"
NO_OFFICER = "未登记联络员"  # the reason shown; the recipient column reads RECIPIENT_NONE
RECIPIENT_NONE = "无（未登记联络员）"
MARK_MARGIN = timedelta(minutes=5)  # longer than any write transaction
BATCH = 5000  # history entries read per sweep at most; the rest at the next


class Sender(Protocol):
    def send(self, notification: Mapping[str, Any]) -> None: ...


class LogSender:
    """Writes each notification to the log: what a deployment without SMS or mail gateway does."""

    def send(self, notification: Mapping[str, Any]) -> None:
        log.info("通知 %s：%s", notification["recipient"], notification["subject"])


# --- officers ------------------------------------------------------------------------------------


def _own(actor: Actor, column):
    """Every agency's rows for the bureau, the caller's own agency's for anybody else."""
    return column.is_not(None) if actor.county_wide else column == actor.agency


def officers(conn: Connection, actor: Actor, *, agency: str | None = None, cursor: str | None = None,
             limit: int | None = None) -> Page:
    """Liaison officers by id, keyset paged, with the count of every page."""
    limit = check_limit(limit)
    mine = _own(actor, liaison_officers.c.agency_code)
    if agency:
        mine = and_(mine, liaison_officers.c.agency_code == agency)
    total = conn.execute(select(func.count()).select_from(liaison_officers).where(mine)).scalar_one()
    rows = conn.execute(select(liaison_officers).where(mine, liaison_officers.c.id > after_id(cursor))
                        .order_by(liaison_officers.c.id).limit(limit + 1)).mappings().all()
    page = rows[:limit]
    return Page([_officer(r) for r in page], encode_cursor(page[-1]["id"]) if len(rows) > limit else None, total)


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
    return officers(conn, Actor("", "admin"), agency=agency).items


def agencies_without_officers(conn: Connection, actor: Actor, *, cursor: str | None = None,
                              limit: int | None = None) -> Page:
    """The agencies that must name liaison officers and have none, by code, keyset paged with a total."""
    if not actor.county_wide:
        raise Forbidden("未指定联络员的单位名单只有县司法局和监督人员可以查看。")
    limit = check_limit(limit)
    named = select(liaison_officers.c.agency_code)
    missing = and_(agencies.c.kind.in_(REPORTING_KINDS), agencies.c.code.not_in(named))
    total = conn.execute(select(func.count()).select_from(agencies).where(missing)).scalar_one()
    rows = conn.execute(select(agencies.c.code, agencies.c.name, agencies.c.kind)
                        .where(missing, agencies.c.code > after_code(cursor))
                        .order_by(agencies.c.code).limit(limit + 1)).mappings().all()
    page = [dict(r) for r in rows[:limit]]
    return Page(page, encode_cursor(page[-1]["code"]) if len(rows) > limit else None, total)


def _officer(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"id": r["id"], "agency": r["agency_code"], "name": r["name"], "phone": r["phone"], "email": r["email"],
            "post": r["post"]}


# --- the outbox ----------------------------------------------------------------------------------------


def collect(conn: Connection, now: datetime, registry: Any = None) -> int:
    """Writes the notifications not yet written for the history entries after the mark: a meeting
    notice to its parties' officers, a deadline the timer lapsed to its case's agencies' officers (those
    the procedure's `reminded` names, when it names them). Returns how many rows it added."""
    # The mark row is locked for the whole pass (migration 0012 inserts it): a second worker waits and
    # then reads past what the first wrote, so no (source, officer) row is attempted twice.
    mark = conn.execute(select(notification_marks.c.last_id).where(notification_marks.c.name == "history")
                        .with_for_update()).scalar()
    if mark is None:  # a database whose row was removed by hand: start again from the beginning
        conn.execute(insert(notification_marks).values(name="history", last_id=0))
        mark = 0
    entries = conn.execute(select(history.c.id, history.c.case_id, history.c.seq, history.c.actor_role,
                                  history.c.recorded_at)
                           .where(history.c.id > mark).order_by(history.c.id).limit(BATCH)).all()
    if not entries:
        return 0
    items: list[tuple[str, int, list[str], str, str]] = []  # source, case, agencies, subject, body
    seqs = [(e.case_id, e.seq) for e in entries]
    touched = sorted({e.case_id for e in entries})
    lapsed_in = sorted({e.case_id for e in entries if e.actor_role == "timer"})
    parties: dict[int, list[str]] = {}
    for case_id, code in conn.execute(select(case_agencies.c.case_id, case_agencies.c.agency_code)
                                      .where(case_agencies.c.case_id.in_(touched))):
        parties.setdefault(case_id, []).append(code)
    owners = dict(conn.execute(select(cases.c.id, cases.c.agency_code).where(cases.c.id.in_(touched))).all())
    issued = set(seqs)
    for d in conn.execute(select(documents.c.id, documents.c.case_id, documents.c.history_seq, documents.c.number,
                                 documents.c.title)
                          .where(documents.c.case_id.in_(touched), documents.c.kind.in_(NOTICE_KINDS))):
        if (d.case_id, d.history_seq) in issued:
            items.append((f"document:{d.id}", d.case_id, parties.get(d.case_id, []), f"{d.title}（{d.number}）",
                          f"请查收{d.title}（{d.number}），按通知要求做好参会和汇报准备。"))
    for d in conn.execute(select(deadlines.c.id, deadlines.c.case_id, deadlines.c.due_date, deadlines.c.name,
                                 cases.c.title, cases.c.procedure, cases.c.definition_version, cases.c.data)
                          .join(cases, cases.c.id == deadlines.c.case_id)
                          .where(deadlines.c.case_id.in_(lapsed_in), deadlines.c.overdue.is_(True),
                                 deadlines.c.service_level.is_(False))):
        agencies_ = [owners[d.case_id], *parties.get(d.case_id, [])]
        proc = registry.get(d.procedure, d.definition_version) if registry is not None else None
        named = proc.reminded(d.data, d.name) if proc is not None and proc.reminded is not None else None
        if named is not None:  # only the case's own agencies, whatever the procedure says
            agencies_ = [code for code in dict.fromkeys(named) if code in agencies_]
        items.append((f"deadline:{d.id}", d.case_id, agencies_,
                      f"逾期提醒：{d.title}",
                      f"“{d.title}”的期限已于{d.due_date:%Y年%-m月%-d日}24时届满，请尽快办理并反馈县司法局。"))
    added = _write(conn, items, now)
    settled = None  # the last entry of the unbroken run of settled ones: the mark never skips a newer one
    for e in entries:
        if e.recorded_at > now - MARK_MARGIN:
            break
        settled = e.id
    if settled is not None:
        conn.execute(update(notification_marks).where(notification_marks.c.name == "history")
                     .values(last_id=settled))
    return added


def _write(conn: Connection, items: list[tuple[str, int, list[str], str, str]], now: datetime) -> int:
    """One row per (source, officer) not written before; for an agency without officers one row per
    (source, agency) marked undeliverable, so the bureau sees who was not told (nothing is sent)."""
    codes = sorted({code for item in items for code in item[2]})
    people: dict[str, list[Any]] = {}
    for r in conn.execute(select(liaison_officers).where(liaison_officers.c.agency_code.in_(codes))
                          .order_by(liaison_officers.c.id)).mappings():
        people.setdefault(r["agency_code"], []).append(r)
    known: set[tuple[str, Any]] = set()
    for r in conn.execute(select(notifications.c.source, notifications.c.officer_id, notifications.c.agency_code,
                                 notifications.c.status)
                          .where(notifications.c.source.in_(sorted({i[0] for i in items})))):
        # an undeliverable row has no officer: it is known by its agency (collect runs one at a time)
        known.add((r.source, f"agency:{r.agency_code}" if r.status == UNDELIVERABLE else r.officer_id))
    added = 0
    for source, case_id, agency_codes, subject, body in items:
        for code in agency_codes:
            if not people.get(code) and (source, f"agency:{code}") not in known:
                log.warning("单位 %s 未登记联络员，未能通知：%s", code, subject)
                conn.execute(insert(notifications).values(
                    source=source, case_id=case_id, agency_code=code, officer_id=None, recipient=RECIPIENT_NONE,
                    subject=subject, body=body, created_at=now, status=UNDELIVERABLE))
                known.add((source, f"agency:{code}"))
                added += 1
            for o in people.get(code, []):
                if (source, o["id"]) in known:
                    continue
                conn.execute(insert(notifications).values(
                    source=source, case_id=case_id, agency_code=code, officer_id=o["id"],
                    recipient=f"{o['name']}（{o['phone']}）", subject=subject, body=body, created_at=now,
                    status="pending"))
                known.add((source, o["id"]))
                added += 1
    return added


def deliver(conn: Connection, sender: Sender, now: datetime) -> int:
    """Hands every pending notification to the sender; a failure is marked and does not stop the rest."""
    sent = 0
    for row in conn.execute(select(notifications).where(notifications.c.status == "pending")
                            .order_by(notifications.c.id).limit(BATCH)).mappings().all():
        try:
            sender.send(row)
            status, sent = "sent", sent + 1
        except Exception:  # a gateway error must not lose the others
            log.exception("notification %s failed", row["id"])
            status = "failed"
        conn.execute(update(notifications).where(notifications.c.id == row["id"]).values(status=status, sent_at=now))
    return sent


def sent_notifications(conn: Connection, actor: Actor, *, agency: str | None = None, case_id: int | None = None,
                       cursor: str | None = None, limit: int | None = None) -> Page:
    """What was sent to whom, and to whom it could not be (`undeliverable`, with its reason), newest
    first, keyset paged with the count of every page."""
    limit = check_limit(limit)
    mine = _own(actor, notifications.c.agency_code)
    if agency:
        mine = and_(mine, notifications.c.agency_code == agency)
    if case_id is not None:
        mine = and_(mine, notifications.c.case_id == case_id)
    total = conn.execute(select(func.count()).select_from(notifications).where(mine)).scalar_one()
    stmt = select(notifications).where(mine).order_by(notifications.c.id.desc()).limit(limit + 1)
    if cursor:
        stmt = stmt.where(notifications.c.id < after_id(cursor))
    rows = conn.execute(stmt).mappings().all()
    page = rows[:limit]
    items = [{"id": r["id"], "agency": r["agency_code"], "recipient": r["recipient"], "subject": r["subject"],
              "body": r["body"], "case_id": r["case_id"], "status": r["status"],
              "reason": NO_OFFICER if r["status"] == UNDELIVERABLE else None,
              "created_at": r["created_at"].isoformat(), "sent_at": r["sent_at"].isoformat() if r["sent_at"] else None}
             for r in page]
    return Page(items, encode_cursor(page[-1]["id"]) if len(rows) > limit else None, total)
