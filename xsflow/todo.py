"""待办: the open cases a person can act on now, soonest last day first, in one query.

Which (procedure, version, state) a role acts in comes from the declarations; it becomes one SQL
condition, so the database pages and counts the list, whatever the number of procedures and cases.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Date, and_, false, func, literal, or_, select, tuple_

from . import kept_counts, party_places
from .access import Actor, acts_on_side, may_fire
from .calendar import OfficialCalendar, local_date
from .json_views import deadline_view, instant
from .queries import Page, after_key, check_limit, encode_cursor, working_days_after
from .queries import _scoped as visible_to  # the one definition of who sees a case
from .registry import Registry
from .service import RECORDERS as SERVICE_RECORDERS
from .store.schema import cases, deadlines

# A township or street government's user fires nothing; it supervises the teams in its area (附件2 第三条),
# so its 待办 is what waits for their act: the states in which a clerk acts.
WATCHES = {"township": "clerk"}
NO_DEADLINE = date.max  # the cursor's day of a case without a pending deadline: after every last day


def actionable(registry: Registry, role: str, agency: str | None = None) -> tuple[list[tuple[str, int, str]],
                                                                                list[tuple[str, int, str]]]:
    """The (procedure, version, state) in which `role` of `agency` has a transition to fire: those where
    it acts on any case it sees, and those where it acts on its own agency's cases only (a step whose
    acting side is the case's own agency, Transition.acting_side; a step of another side is left out)."""
    anywhere: list[tuple[str, int, str]] = []
    owned: list[tuple[str, int, str]] = []
    probe = Actor("", role, agency)
    for p in registry.all():
        for s in p.states:
            steps = [t for trigger in p.triggers_of(role, s.name) for t in p.transitions_for(trigger)
                     if s.name in t.sources]
            if any(acts_on_side(probe, p, t, owner="") for t in steps):  # no case's owner is ""
                anywhere.append((p.name, p.version, s.name))
            elif any(acts_on_side(probe, p, t, owner=agency or "") for t in steps):
                owned.append((p.name, p.version, s.name))
    return anywhere, owned


def todo(conn: Connection, registry: Registry, calendar: OfficialCalendar, actor: Actor, *, now: datetime,
         cursor: str | None = None, limit: int | None = None, agency: str | None = None,
         procedure: str | None = None, state: str | None = None) -> Page:
    """`agency`, `procedure`, `state` narrow the list (and its total) alike."""
    limit = check_limit(limit)
    after = after_key(cursor, date.fromisoformat)  # the (last day, case id) the previous page ended on
    watched = actor.role in WATCHES  # a township watches its teams' steps, whichever side they are of
    anywhere, owned = actionable(registry, WATCHES.get(actor.role, actor.role), None if watched else actor.agency)
    if not anywhere and not owned:
        return Page([], None, 0)
    where = tuple_(cases.c.procedure, cases.c.definition_version, cases.c.state)
    acts = or_(where.in_(anywhere) if anywhere else false(),
               and_(where.in_(owned), cases.c.agency_code == actor.agency) if owned else false())
    narrowed = [c == v for c, v in ((cases.c.agency_code, agency), (cases.c.procedure, procedure),
                                    (cases.c.state, state)) if v]
    total, rows = 0, []
    for i, part in enumerate(_visible_parts(actor, anywhere)):
        seen = and_(cases.c.closed.is_(False), part, *narrowed)
        mine = and_(seen, acts)
        if i == PARTY_PART and actor.role not in SERVICE_RECORDERS:
            n, found = _counted_first_rows(conn, select(cases).where(mine).cte("party").prefix_with("MATERIALIZED"),
                                           after, limit)
            total, rows = total + n, rows + found
            continue
        if i != PARTY_PART and kept_counts.kept(conn) and not actor.read_only:
            total += _kept_total(conn, actor, anywhere, owned, agency, procedure, state)
        else:
            total += conn.execute(select(func.count()).select_from(cases).where(mine)).scalar_one()
        if actor.role in SERVICE_RECORDERS:  # the issuer records the service a period waits for (待送达)
            awaiting = cases.c.id.in_(select(deadlines.c.case_id).where(deadlines.c.status == "awaiting_service"))
            # Counted apart: "acts OR awaiting" in one count is a filter on every case (1.6 s at 1,000,000).
            total += conn.execute(select(func.count()).select_from(cases).where(seen, awaiting, ~acts)).scalar_one()
            mine = and_(seen, or_(acts, awaiting))
        rows += _first_rows(conn, cases, [mine], after, limit)
    # Each part's first rows in (next_due, id) order, the cases without a last day after all others:
    # merged, the first of them are the page.
    rows.sort(key=lambda r: (r["next_due"] or NO_DEADLINE, r["id"]))
    rows = rows[:limit + 1]
    page = rows[:limit]

    soonest: dict[int, Any] = {}
    waiting: set[int] = set()
    for d in conn.execute(select(deadlines).where(deadlines.c.case_id.in_([r["id"] for r in page]),
                                                  deadlines.c.status.in_(("pending", "awaiting_service")))
                          .order_by(deadlines.c.due_date, deadlines.c.lapses_at, deadlines.c.id)).mappings():
        if d["status"] == "awaiting_service":
            waiting.add(d["case_id"])
        else:
            soonest.setdefault(d["case_id"], d)
    today = local_date(now)
    items = [{**_item(r, registry, actor, soonest.get(r["id"]), calendar, today), "awaiting_service": r["id"] in waiting}
             for r in page]
    last = page[-1] if len(rows) > limit else None
    return Page(items, encode_cursor([(last["next_due"] or NO_DEADLINE).isoformat(), last["id"]]) if last else None,
                total)


PARTY_PART = 1  # the second of _visible_parts: the cases of other agencies the actor's is a party to


def _kept_total(conn: Connection, actor: Actor, anywhere: list[tuple[str, int, str]], owned: list[tuple[str, int, str]],
                agency: str | None, procedure: str | None, state: str | None) -> int:
    """The first part's total from the open cases PostgreSQL counts per (agency, procedure version, state)
    (kept_counts.OPEN_CASES): the same cases as counting them, read in as many rows as keys."""
    kept = kept_counts.rows(kept_counts.OPEN_CASES)
    where = tuple_(kept.c.procedure, kept.c.definition_version, kept.c.state)
    acts = or_(where.in_(anywhere) if anywhere else false(),
               and_(where.in_(owned), kept.c.agency_code == actor.agency) if owned else false())
    seen = [] if actor.county_wide else [kept.c.agency_code.in_(sorted(actor.codes))]
    narrowed = [c == v for c, v in ((kept.c.agency_code, agency), (kept.c.procedure, procedure),
                                    (kept.c.state, state)) if v]
    return conn.execute(select(func.coalesce(func.sum(kept.c.n), 0)).where(acts, *seen, *narrowed)).scalar_one()


def _visible_parts(actor: Actor, anywhere: list[tuple[str, int, str]]) -> list[Any]:
    """Who sees a case, as disjoint conditions that each read one index range: an agency's own cases,
    then the open others it is a party to in a state where it acts (`anywhere`: a party never acts
    where only the case's own agency does), found by the copies of their place beside the party
    (xsflow/party_places.py). As one "own OR party" the planner joined every case the clerk may act
    on before the first page (2.8 s at 1,000,000 cases)."""
    if actor.county_wide or actor.read_only:
        return [visible_to(actor)]
    codes = sorted(actor.codes)
    return [cases.c.agency_code.in_(codes),
            and_(cases.c.agency_code.not_in(codes), cases.c.id.in_(party_places.open_in(codes, anywhere)))]


def _first_rows(conn: Connection, source: Any, where: list[Any], after: tuple[date, int] | None, limit: int,
                *extra: Any) -> list[Any]:
    """The first `limit + 1` cases of `source` (cases, or a set of them) meeting `where` after the cursor,
    ordered by next_due (the nearest pending last day, kept with the case's deadlines), then id: on
    `cases`, a range of an index on (…, next_due, id). The cases with a last day come first, then those
    without (NULL), each read by a keyset of its own, so both dialects page alike. `extra`: columns added."""
    rows: list[Any] = []
    if after is None or after[0] != NO_DEADLINE:
        dated = select(source, *extra).where(*where, source.c.next_due.is_not(None))
        if after is not None:
            dated = dated.where(tuple_(source.c.next_due, source.c.id) > tuple_(literal(after[0], Date()), after[1]))
        rows = list(conn.execute(dated.order_by(source.c.next_due, source.c.id).limit(limit + 1)).mappings())
    if len(rows) <= limit:
        undated = select(source, *extra).where(*where, source.c.next_due.is_(None))
        if after is not None and after[0] == NO_DEADLINE:
            undated = undated.where(source.c.id > after[1])
        rows += conn.execute(undated.order_by(source.c.id).limit(limit + 1 - len(rows))).mappings()
    return rows


def _counted_first_rows(conn: Connection, party: Any, after: tuple[date, int] | None,
                        limit: int) -> tuple[int, list[Any]]:
    """How many cases the set `party` holds, and its first rows, the set read once per statement. The cases
    an agency is a party to are found from case_agencies, by the copies of their place there
    (xsflow/party_places.py); paged through the next_due index instead, the planner checked every
    actionable case of the city for the party (0.5 s at 1,000,000 cases)."""
    counted = select(func.count()).select_from(party).scalar_subquery().label("_part_total")
    rows = _first_rows(conn, party, [], after, limit, counted)
    if not rows:  # past the last page: counted alone
        return conn.execute(select(func.count()).select_from(party)).scalar_one(), []
    return rows[0]["_part_total"], rows


def _item(row: Any, registry: Registry, actor: Actor, deadline: Any, calendar: OfficialCalendar,
          today: date) -> dict[str, Any]:
    proc = registry.get(row["procedure"], row["definition_version"])
    left = overdue = None
    if deadline is not None:
        due = deadline["due_date"]
        if due >= today:
            left = working_days_after(calendar, today, due)
        else:
            overdue = working_days_after(calendar, due, today)
    return {
        "case_id": row["id"], "procedure": row["procedure"], "procedure_title": proc.title,
        "definition_version": row["definition_version"], "agency": row["agency_code"], "title": row["title"],
        "state": row["state"], "state_title": proc.state(row["state"]).title, "version": row["version"],
        "opened_at": instant(row["opened_at"]),
        "triggers": [t for t in proc.triggers_of(actor.role, row["state"])  # of its side, where a step names one
                     if any(may_fire(actor, proc, tr, row["agency_code"]) for tr in proc.transitions_for(t))],
        "deadline": deadline_view(deadline, proc) if deadline is not None else None,
        "working_days_left": left, "working_days_overdue": overdue,
    }
