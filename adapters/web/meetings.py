"""联席会议 and 联络员 pages (附件1《秀山自治县行政执法联席会议制度》第二条至第五条、第八条).

- /meetings: the joint meetings the caller may see, keyset paged;
- /meetings/<id>: one meeting's agenda, notice, who reported (art. 5), minutes and the state of every
  task of its minutes, overdue ones marked (workflows/meeting_board.py);
- /liaison: for the bureau, the agencies without a liaison officer (art. 8), the officers named and
  what the notification outbox sent to whom; for an agency, its own officers and notifications.
"""
from __future__ import annotations

from flask import render_template, request, url_for

from workflows.meeting_board import MEETING, meeting_board
from xsflow import liaison, queries

from .auth import current_actor, signed_in
from .blueprint import web, xs
from .cases import agency_names

PAGE = 50


@web.route("/meetings")
@signed_in
def meetings():
    actor, x = current_actor(), xs()
    with x.db.read() as conn:
        names = agency_names(conn)
        page = queries.list_cases(conn, x.registry, actor, now=x.clock.now(), procedure=MEETING,
                                  cursor=request.args.get("cursor") or None, limit=PAGE)
    rows = [{**c, "notice": c["data"].get("notice") or {},
             "minutes_number": next((d["number"] for d in c["documents"] if d["kind"] == "meeting_minutes"), None)}
            for c in page.items]
    next_url = url_for("web.meetings", cursor=page.next) if page.next else None
    return render_template("web/meetings.html", rows=rows, names=names, next_url=next_url)


@web.route("/meetings/<id:case_id>")
@signed_in
def meeting_page(case_id: int):
    actor, x = current_actor(), xs()
    with x.db.read() as conn:
        names = agency_names(conn)
        board = meeting_board(conn, x.engine, x.registry, actor, case_id, now=x.clock.now(), names=names)
    return render_template("web/meeting.html", b=board, names=names)


@web.route("/liaison")
@signed_in
def liaison_page():
    actor, x = current_actor(), xs()
    args = request.args
    with x.db.read() as conn:
        names = agency_names(conn)
        missing = (liaison.agencies_without_officers(conn, actor, cursor=args.get("missing") or None, limit=PAGE)
                   if actor.county_wide else None)
        officers = liaison.officers(conn, actor, cursor=args.get("officers") or None, limit=PAGE)
        sent = liaison.sent_notifications(conn, actor, cursor=args.get("sent") or None, limit=PAGE)

    def more(key: str, page) -> str | None:
        return url_for("web.liaison_page", **{**args.to_dict(), key: page.next}) if page.next else None

    return render_template("web/liaison.html", names=names, missing=missing, officers=officers, sent=sent,
                           missing_next=more("missing", missing) if missing else None,
                           officers_next=more("officers", officers), sent_next=more("sent", sent),
                           county_wide=actor.county_wide)
