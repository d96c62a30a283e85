"""Each party row of a case (case_agencies) carries the case's place: procedure, definition version,
state, closed and next_due, copied from `cases` by database triggers (migration 0018) whenever a
party is added or the case moves. 待办 finds the cases an agency acts on as a party through an index
on these copies instead of reading every case it is a party to (0.2–0.3 s for a party to 50,000
cases at a million). `xsflow audit verify` checks them; `xsflow audit recount` copies them afresh
(after a restore that bypassed the triggers).
"""
from __future__ import annotations

from sqlalchemy import Connection, or_, select, tuple_, update

from .store.schema import case_agencies, cases

PLACE = ("procedure", "definition_version", "state", "closed", "next_due")


def open_in(codes: list[str], triples: list[tuple[str, int, str]]):
    """The ids of the open cases in one of `triples` (procedure, version, state) that an agency of
    `codes` is a party to: ranges of the copies' partial index by party and state (the states named
    apart as well: a condition on the triples alone is not one the index can look up)."""
    ca = case_agencies
    return select(ca.c.case_id).where(
        ca.c.agency_code.in_(codes), ca.c.closed.is_(False), ca.c.state.in_(sorted({s for _, _, s in triples})),
        tuple_(ca.c.procedure, ca.c.definition_version, ca.c.state).in_(triples))


def _stale():
    return or_(*(case_agencies.c[k].is_distinct_from(cases.c[k]) for k in PLACE))


def check(conn: Connection) -> list[str]:
    """Party rows whose copy of the case's place differs from the case, in words (at most 20)."""
    ca = case_agencies
    rows = conn.execute(select(ca.c.case_id, ca.c.agency_code).join(cases, cases.c.id == ca.c.case_id)
                        .where(_stale()).order_by(ca.c.case_id, ca.c.agency_code).limit(20)).all()
    return [f"案件 {r.case_id} 在当事单位 {r.agency_code} 名下记录的办理状态与案件本身不符。" for r in rows]


def rewrite(conn: Connection) -> int:
    """Copies every case's place to its party rows where it differs; how many rows were written."""
    ca = case_agencies
    return conn.execute(update(ca).where(ca.c.case_id == cases.c.id, _stale())
                        .values({k: cases.c[k] for k in PLACE})).rowcount
