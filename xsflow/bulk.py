"""Opening many cases at once: a migration of last years' cases, a city's seed, a benchmark.

`open_cases` writes exactly the rows that `Engine.open_case` writes one by one — the case, its
parties, the first history entry with its hash, the deadlines of the initial state — checked by
the same rules, but in one transaction and a few statements per table: the ids are reserved up
front (the history hash covers the case id), then every table is written in one batch (COPY on
PostgreSQL, executemany elsewhere). All the cases open, or none: the first refusal is raised
naming the item (`items[3].title`), and nothing is written.

What it does not do: idempotency keys (a bulk load is repeated by loading again into an empty
database), and waiting for a concurrent opener of the same correlation key (the unique key then
refuses the whole batch with the database's error instead of a 422).
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Connection, Table, func, insert, select, text, tuple_

from . import correlation, deadlines as deadline_rows, kept_counts
from .access import Actor, check_may_open
from .audit import GENESIS, entry_hash
from .calendar import local_date
from .errors import Forbidden, InvalidPayload, NotFound
from .links import check_links
from .opening import check_dated, check_new_case
from .store.schema import agencies, case_agencies, cases, deadlines, history
from .validation import validated_data

__all__ = ["NewCase", "open_cases"]


@dataclass(frozen=True)
class NewCase:
    """One case to open, as `Engine.open_case` takes it (no idempotency key)."""

    actor: Actor
    procedure: str
    agency: str
    title: str
    data: Mapping[str, Any] = field(default_factory=dict)
    occurred_at: datetime | None = None


WRITTEN = (cases, case_agencies, history, deadlines,
           *(t for kind in kept_counts.ALL for t in (kind.counts, kind.changes)))


def open_cases(engine: Any, items: Sequence[NewCase], *, analyze: bool = True) -> list[int]:
    """Opens every case of `items` in one transaction; their ids, in order. Raises an XsflowError
    naming the first refused item, and then changes nothing. `analyze`: then folds the kept counts'
    changes (each batch appends its own) and vacuums the tables written, gathering the planner's
    statistics (`vacuum_written`); a load in several calls asks for it on the last."""
    if not items:
        return []
    now = engine.clock.now()
    with engine.db.write() as conn:
        ids = open_cases_in(engine, conn, items, now)
    if analyze and not engine.db.is_sqlite:
        with engine.db.write() as conn:  # else the first sweep folds a million cases' worth (6 s)
            kept_counts.fold(conn)
    if analyze:
        vacuum_written(engine)
    return ids


def vacuum_written(engine: Any) -> None:
    """VACUUM (ANALYZE) of the tables a bulk load writes. Rows added by COPY leave PostgreSQL's planner
    without statistics, and its visibility map unset, until autovacuum comes by (minutes on a busy
    server): 待办 on 50,000 cases just loaded took 45 s, and 0.3 s after ANALYZE; a count a page shows
    read every row it counted from the table too (a clerk's audit-log total at a million cases: 574 ms,
    193 ms once vacuumed: docs/performance.md). 4 s after a million cases. SQLite: nothing to do."""
    if engine.db.is_sqlite:
        return
    with engine.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:  # not in a transaction
        for table in WRITTEN:
            conn.execute(text(f"VACUUM (ANALYZE) {table.name}"))


def open_cases_in(engine: Any, conn: Connection, items: Sequence[NewCase], now: datetime) -> list[int]:
    """`open_cases` inside `conn`."""
    governments = dict(conn.execute(select(agencies.c.code, agencies.c.government)).all())  # read once a batch
    prepared = [_named(i, _checked, engine, conn, i, item, now, governments) for i, item in enumerate(items)]
    _check_agencies(conn, prepared)
    _check_keys(conn, prepared)
    calendar = engine.calendars.current(conn)
    ids = _reserve_ids(conn, len(prepared))
    case_rows: list[dict[str, Any]] = []
    party_rows: list[dict[str, Any]] = []
    history_rows: list[dict[str, Any]] = []
    deadline_list: list[dict[str, Any]] = []
    for case_id, p in zip(ids, prepared):
        row, proc, occurred, actor = p["row"], p["proc"], p["occurred"], p["actor"]
        row["id"] = case_id
        party_rows += [{"case_id": case_id, "agency_code": a} for a in p["others"]]
        entry = {"case_id": case_id, "seq": 1, "trigger": "open", "actor": actor.name, "actor_role": actor.role,
                 "payload": {"title": row["title"], "data": row["data"]}, "occurred_at": occurred,
                 "recorded_at": now, "from_state": None, "to_state": proc.initial, "prev_hash": GENESIS}
        entry["hash"] = entry_hash(entry)
        history_rows.append(entry)
        row["history_seq"], row["history_hash"] = 1, entry["hash"]
        case_rows.append(row)
        started = []
        for d in proc.deadlines_entered(None, proc.initial):
            try:
                started.append(deadline_rows.started_row(
                    calendar, case_id, proc, d, occurred, row["data"], row["data"], None, restarted=False,
                    served_at_issue=engine.served_at_issue))
            except InvalidPayload as err:
                raise InvalidPayload(f"第 {p['index'] + 1} 件：{err.message}",
                                     {f"items[{p['index']}].data.{k}": v for k, v in err.fields.items()}) from None
        row["next_due"] = deadline_rows.next_due(started)
        deadline_list += started
    _write(conn, cases, case_rows)
    _write(conn, case_agencies, party_rows)
    _write(conn, history, history_rows)
    _write(conn, deadlines, deadline_list)
    return ids


# --- the checks of Engine.open_in (xsflow/opening.py), per item, the database asked once per batch -------------


def _named(index: int, check: Any, *args: Any) -> Any:
    """`check(*args)`; a refusal it raises names the item: 第 4 件, and its fields as items[3].<field>."""
    try:
        return check(*args)
    except InvalidPayload as err:
        if err.message.startswith("第 "):
            raise
        raise InvalidPayload(f"第 {index + 1} 件：{err.message}",
                             {f"items[{index}].{k}": v for k, v in err.fields.items()}) from None
    except (Forbidden, NotFound) as err:
        raise type(err)(f"第 {index + 1} 件：{err.message}", **err.details) from None


def _checked(engine: Any, conn: Connection, index: int, item: NewCase, now: datetime,
             governments: Mapping[str, str | None]) -> dict[str, Any]:
    occurred = engine.occurred(item.occurred_at, now)
    proc = engine.registry.current(item.procedure, local_date(occurred))
    check_may_open(item.actor, proc, item.agency)
    _named(index, check_dated, proc, item.occurred_at is not None)
    data = _named(index, validated_data, proc, dict(item.data or {}), item.actor.role)
    _named(index, lambda: check_links(conn, engine.registry, item.actor, proc.links, data, data, {},
                                      prefix="data.", message="立案信息有误，请逐项修改。"))
    parties = list(dict.fromkeys(data.get(proc.parties_field, []))) if proc.parties_field else []
    value = data.get(proc.correlation_field)
    others = [a for a in parties if a != item.agency]
    if proc.subject_field is not None:  # as Engine.open_in: the concerned agency's township government sees it
        government = governments.get(data.get(proc.subject_field))  # areas.government_of, from the batch's read
        if government is not None and government not in (item.agency, *others):
            others.append(government)
    return {
        "index": index, "proc": proc, "actor": item.actor, "occurred": occurred, "parties": parties,
        "title": item.title,
        "others": others, "value": value,
        "row": {"procedure": proc.name, "definition_version": proc.version, "agency_code": item.agency,
                "title": item.title.strip(), "state": proc.initial, "closed": False, "version": 1, "data": data,
                "correlation_key": proc.correlation_key(item.agency, value), "opened_at": occurred,
                "last_occurred_at": occurred},
    }


def _check_agencies(conn: Connection, prepared: list[dict[str, Any]]) -> None:
    """`check_new_case` per item (agency, parties, title), the agencies asked once for the batch."""
    codes = {c for p in prepared for c in (p["row"]["agency_code"], *p["parties"])}
    known = dict(conn.execute(select(agencies.c.code, agencies.c.name).where(agencies.c.code.in_(codes))).all())
    for p in prepared:
        problems = check_new_case(p["proc"], agency=p["row"]["agency_code"], title=p["title"],
                                  parties=p["parties"], known=known)
        if problems:
            raise InvalidPayload(f"第 {p['index'] + 1} 件：立案信息有误，请逐项修改。",
                                 {f"items[{p['index']}].{k}": v for k, v in problems.items()})


def _check_keys(conn: Connection, prepared: list[dict[str, Any]]) -> None:
    """A correlation key taken already, or twice in the batch, is refused as one by one would refuse it."""
    keyed = [(p["row"]["procedure"], p["row"]["correlation_key"]) for p in prepared
             if p["row"]["correlation_key"] is not None]
    taken: set[tuple[str, str]] = set()
    for start in range(0, len(keyed), 1000):
        chunk = keyed[start:start + 1000]
        taken |= {tuple(r) for r in conn.execute(select(cases.c.procedure, cases.c.correlation_key).where(
            tuple_(cases.c.procedure, cases.c.correlation_key).in_(chunk)))}
    seen: set[tuple[str, str]] = set()
    for p in prepared:
        key = (p["row"]["procedure"], p["row"]["correlation_key"])
        if key[1] is None:
            continue
        if key in taken or key in seen:  # refused in the words of one-by-one opening (Engine.open_in)
            proc, agency = p["proc"], p["row"]["agency_code"]
            case_id = correlation.case_with_key(conn, proc, key[1]) if key in taken else None
            name = conn.execute(select(agencies.c.name).where(agencies.c.code == agency)).scalar() or agency
            shown = case_id if correlation.visible(conn, p["actor"], case_id) else None
            raise InvalidPayload(f"第 {p['index'] + 1} 件：立案信息有误，请逐项修改。", {
                f"items[{p['index']}].data.{proc.correlation_field}": [
                    correlation.duplicate_text(proc, name, p["value"], shown)]})
        seen.add(key)


# --- writing --------------------------------------------------------------------------------------


def _reserve_ids(conn: Connection, n: int) -> list[int]:
    """`n` case ids that nobody else will be given: the history hash covers the id, so it is known first.

    PostgreSQL: drawn from the id sequence. SQLite: the write transaction holds the database's lock
    (BEGIN IMMEDIATE), so the ids after the largest are free, as its rowid would give them."""
    if conn.dialect.name == "postgresql":
        return sorted(conn.execute(text("SELECT nextval(pg_get_serial_sequence('cases', 'id'))"
                                        " FROM generate_series(1, :n)"), {"n": n}).scalars())
    last = conn.execute(select(func.max(cases.c.id))).scalar() or 0
    return list(range(last + 1, last + n + 1))


def _write(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    if conn.dialect.name == "postgresql":
        _copy(conn, table, rows)
        return
    for start in range(0, len(rows), 5000):
        conn.execute(insert(table), rows[start:start + 5000])


def _copy(conn: Connection, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """COPY rows into `table` on the transaction's own connection. JSON is serialised as SQLAlchemy
    binds it (json.dumps with its defaults), instants go as aware datetimes (timestamptz)."""
    columns = [c for c in table.c if c.key in _keys(table)]
    keys = [c.key for c in columns]
    json_keys = [c.key for c in columns if isinstance(c.type, JSON)]
    names = ", ".join(f'"{c.name}"' for c in columns)
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy(f'COPY {table.name} ({names}) FROM STDIN') as copy:
        for row in rows:
            values = {**row, **{k: json.dumps(row[k]) for k in json_keys}}
            copy.write_row([values.get(k) for k in keys])


def _keys(table: Table) -> frozenset[str]:
    """The columns a bulk write fills: all but an id the database assigns (deadlines, history)."""
    keys = {c.key for c in table.c}
    if table is not cases and "id" in keys and table.c.id.autoincrement:
        keys.discard("id")
    return frozenset(keys)

