"""Each party row of a case (case_agencies) carries the case's place: owner, procedure, definition
version, state, closed, next_due and history length, copied from `cases` by database triggers
(migration 0018) whenever a party is added or the case moves. 待办 finds the cases an agency acts on as a party through an index
on these copies instead of reading every case it is a party to (0.2–0.3 s for a party to 50,000
cases at a million), and a party's audit log counts their history entries from the copies
(`history_entries`). `xsflow audit verify` checks them; `xsflow audit recount` copies them afresh
(after a restore that bypassed the triggers).
"""
from __future__ import annotations

from sqlalchemy import Connection, func, or_, select, tuple_, update

from .store.schema import case_agencies, cases

# Each copy beside the party, and the column of `cases` it copies (migration 0018 names the same).
COPIED = {"owner_code": "agency_code", "procedure": "procedure", "definition_version": "definition_version",
          "state": "state", "closed": "closed", "next_due": "next_due", "history_seq": "history_seq"}


def open_in(codes: list[str], triples: list[tuple[str, int, str]]):
    """The ids of the open cases in one of `triples` (procedure, version, state) that an agency of
    `codes` is a party to: ranges of the copies' partial index by party and state (the states named
    apart as well: a condition on the triples alone is not one the index can look up)."""
    ca = case_agencies
    return select(ca.c.case_id).where(
        ca.c.agency_code.in_(codes), ca.c.closed.is_(False), ca.c.state.in_(sorted({s for _, _, s in triples})),
        tuple_(ca.c.procedure, ca.c.definition_version, ca.c.state).in_(triples))


def _stale():
    return or_(*(case_agencies.c[t].is_distinct_from(cases.c[s]) for t, s in COPIED.items()))


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
                        .values({t: cases.c[s] for t, s in COPIED.items()})).rowcount


def history_entries(codes: list[str]):
    """How many history entries the cases that an agency of `codes` is a party to (and does not own)
    hold, summed from the copies: one index range, not one count per case."""
    ca = case_agencies
    of_party = select(ca.c.case_id, ca.c.history_seq).where(ca.c.agency_code.in_(codes),
                                                            ca.c.owner_code.not_in(codes))
    if len(codes) > 1:  # a case two of them are parties to counts once
        of_party = of_party.distinct()
    counted = of_party.subquery("of_party")
    return select(func.coalesce(func.sum(counted.c.history_seq), 0)).scalar_subquery()
