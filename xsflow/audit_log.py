"""操作记录: every recorded act across the cases a caller may see, newest first, keyset-paged.

The per-case history answers "what happened to this case"; this list answers the auditor's question
"who did what, when, across the county". It shows no payloads: what a transition carried stays on the
case page, where personal data is hidden by role (xsflow/private.py). Ordered by (recorded_at, id) on
their index, so a page costs the same whatever the size of the history; the total is one COUNT.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select

from . import filters, kept_counts, party_places
from .access import ROLE_TITLES, Actor
from .json_views import instant
from .payloads import limit as column_limit, unprintable
from .queries import Page, _scoped, after_key, agency_case_ids, check_limit, encode_cursor, sees_every_case_of
from .registry import Registry
from .store.schema import cases, history


def audit_log(conn: Connection, registry: Registry, actor: Actor, *, agency: str | None = None,
              procedure: str | None = None, by: str | None = None, role: str | None = None,
              trigger: str | None = None, recorded_from: date | None = None, recorded_to: date | None = None,
              cursor: str | None = None, limit: int | None = None) -> Page:
    """`by`: the actor exactly as recorded (a user's 姓名（用户名）, a token's name); `recorded_from`/`to`:
    local dates (Asia/Shanghai) the entry was recorded on. A filter naming nothing is a 422."""
    limit = check_limit(limit)
    after = after_key(cursor, _aware)
    filters.check(conn, registry, procedure=procedure, agency=agency, date_from=recorded_from,
                  date_to=recorded_to, names=("recorded_from", "recorded_to"),
                  found=_problems(by=by, role=role, trigger=trigger))
    # What narrows the cases and what narrows the entries: a county-wide caller's count over no case filter
    # reads the history alone (joining every entry with its case is the one cost that grows with the database).
    on_cases = [] if sees_every_case_of(actor, agency) else [_scoped(actor)]
    on_cases += [c == v for c, v in ((cases.c.agency_code, agency), (cases.c.procedure, procedure)) if v]
    on_history = [c == v for c, v in ((history.c.actor, by), (history.c.actor_role, role),
                                      (history.c.trigger, trigger)) if v]
    if recorded_from:
        on_history.append(history.c.recorded_at >= filters.day_start(recorded_from))
    if recorded_to:
        on_history.append(history.c.recorded_at < filters.day_start(recorded_to + timedelta(days=1)))
    where = [*on_cases, *on_history]
    joined = history.join(cases, cases.c.id == history.c.case_id)
    # Counted as "entries of these cases" (each case's entries from the (case_id, seq) index): counted over
    # a join with cases, the planner read every case (a clerk at a million cases: 0.4 s; 0.2 s so).
    only_agency_scope = not (actor.county_wide or actor.read_only or agency or procedure)
    if only_agency_scope and not on_history:
        total = conn.execute(select(_entries_seen(sorted(actor.codes)))).scalar_one()
    elif sees_every_case_of(actor, agency) and not on_history and kept_counts.kept(conn):
        # Entries PostgreSQL counts per (agency, procedure): as many rows read as keys, however long the
        # history (counting them took 43 ms at a million and grows with every step ever recorded).
        total = kept_counts.total(conn, kept_counts.HISTORY_ENTRIES, agency_code=agency, procedure=procedure)
    else:
        ids = agency_case_ids(actor) if only_agency_scope else select(cases.c.id).where(*on_cases)
        of_cases = [history.c.case_id.in_(ids)] if on_cases else []
        total = conn.execute(select(func.count()).select_from(history).where(*of_cases, *on_history)).scalar_one()
    if on_cases and total > SPARSE_ABOVE:
        rows = _newest_walked(conn, and_(*on_cases), on_history, after, limit)
    else:
        stmt = select(*_COLUMNS).select_from(joined).where(*where)
        rows = conn.execute(_after(stmt, history, after).order_by(*_NEWEST).limit(limit + 1)).mappings().all()
    page = rows[:limit]
    items = [_item(r, registry) for r in page]
    last = page[-1] if len(rows) > limit else None
    return Page(items, encode_cursor([last["recorded_at"].isoformat(), last["id"]]) if last else None, total)


def _entries_seen(codes: list[str]):
    """How many entries the cases of an agency's own and those it is a party to hold: a case's entries are
    numbered 1, 2, … without a gap (the chain `xsflow audit verify` checks), so its last number counts them,
    summed from the cases it owns and from the copies beside it as a party (xsflow/party_places.py).
    Counting the entries was 0.2–0.3 s for the county police (party to 50,000 cases at a million)."""
    own = select(func.coalesce(func.sum(cases.c.history_seq), 0)).where(cases.c.agency_code.in_(codes))
    return own.scalar_subquery() + party_places.history_entries(codes)


# A caller limited to some cases (an agency's, or one procedure's) whose entries are many: its page is
# found by walking the whole history newest first, a chunk at a time, keeping the entries of its cases;
# with that many, a chunk or two holds a page. With few, they are read through their cases and sorted:
# walking would pass over most of the history for them (1 s at a million entries for an agency of 3
# cases), and sorting many is what a clerk's page cost before (0.8 s for 57,000 entries at a million).
SPARSE_ABOVE = 5_000
WALK_CHUNK = 2_000
_COLUMNS = (history.c.id, history.c.case_id, history.c.seq, history.c.trigger, history.c.actor, history.c.actor_role,
            history.c.occurred_at, history.c.recorded_at, history.c.from_state, history.c.to_state,
            cases.c.title, cases.c.procedure, cases.c.definition_version, cases.c.agency_code)
_NEWEST = (history.c.recorded_at.desc(), history.c.id.desc())


def _after(stmt, table, after: tuple[datetime, int] | None):
    if after is None:
        return stmt
    return stmt.where(or_(table.c.recorded_at < after[0], and_(table.c.recorded_at == after[0], table.c.id < after[1])))


def _newest_walked(conn: Connection, on_cases: Any, on_history: list[Any], after: tuple[datetime, int] | None,
                   limit: int) -> list[Any]:
    """The first `limit + 1` entries after `after` that meet both conditions: chunks of the newest entries
    meeting `on_history` (a range of the (recorded_at, id) index), each joined with its cases and marked
    whether the case meets `on_cases`."""
    rows: list[Any] = []
    while len(rows) <= limit:
        chunk = _after(select(history).where(*on_history), history, after).order_by(*_NEWEST).limit(WALK_CHUNK).subquery()
        columns = [chunk.c[c.name] if c.table is history else c for c in _COLUMNS]
        fetched = conn.execute(select(*columns, on_cases.label("shown"))
                               .select_from(chunk.join(cases, cases.c.id == chunk.c.case_id))
                               .order_by(chunk.c.recorded_at.desc(), chunk.c.id.desc())).mappings().all()
        rows += [r for r in fetched if r["shown"]]
        if len(fetched) < WALK_CHUNK:
            break
        after = (fetched[-1]["recorded_at"], fetched[-1]["id"])
    return rows[:limit + 1]


def _aware(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:  # no answer gives out a naive instant
        raise ValueError(text)
    try:
        return value.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00+14:00 has no UTC instant
        raise ValueError(text) from None


def _problems(**values: str | None) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if values["role"] and values["role"] not in ROLE_TITLES:
        problems["role"] = [f"没有名为“{values['role']}”的角色；可选：{'、'.join(sorted(ROLE_TITLES))}。"]
    for name, column, title in (("by", history.c.actor, "操作人"), ("trigger", history.c.trigger, "操作")):
        value = values[name]
        if value and len(value) > column_limit(column):
            problems[name] = [f"{title}最多 {column_limit(column)} 个字，实际 {len(value)} 个字。"]
        elif value and (why := unprintable(value, multiline=False)):
            problems[name] = [f"{title}：{why}"]
    return problems


def _item(row: Any, registry: Registry) -> dict[str, Any]:
    proc = registry.get(row["procedure"], row["definition_version"])
    return {
        "id": row["id"], "case_id": row["case_id"], "seq": row["seq"], "case_title": row["title"],
        "procedure": row["procedure"], "definition_version": row["definition_version"],
        "procedure_title": proc.title, "agency": row["agency_code"],
        "trigger": row["trigger"], "actor": row["actor"], "actor_role": row["actor_role"],
        "occurred_at": instant(row["occurred_at"]), "recorded_at": instant(row["recorded_at"]),
        "from_state": row["from_state"], "to_state": row["to_state"],
        "to_state_title": proc.state(row["to_state"]).title,
    }
