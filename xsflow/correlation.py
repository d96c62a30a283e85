"""Cases found by a key: the correlation key that other systems use, unique per procedure (per
agency, or while a case is open, where the procedure says so), and values that one case only may
hold (a certificate number). What is refused here is worded for the clerk who typed the value."""
from __future__ import annotations

import functools
import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from .definitions import Procedure, Transition, Unique
from .errors import InvalidPayload
from .store.db import insert_or_skip
from .store.schema import case_agencies, cases


@functools.cache
def insert_case_statement(dialect: str):
    """INSERT a case ... ON CONFLICT (procedure, correlation_key) DO NOTHING RETURNING id, built once per dialect."""
    return (insert_or_skip(dialect, cases).on_conflict_do_nothing(index_elements=["procedure", "correlation_key"])
            .returning(cases.c.id))


def case_with_key(conn: Connection, proc: Procedure, key: str | None) -> int | None:
    """The id of the case of `proc` stored under correlation key `key`, if any."""
    if key is None:
        return None
    return conn.execute(select(cases.c.id).where(cases.c.procedure == proc.name,
                                                 cases.c.correlation_key == key)).scalar()


def _field_title(proc: Procedure) -> str:
    """The correlation field as the opening form names it (考核年度), else its name."""
    found = proc.data().fields.get(proc.correlation_field) if proc.data else None  # on refusals only
    return found.metadata.get("title", proc.correlation_field) if found else proc.correlation_field


def visible(conn: Connection, actor: Any, case_id: int | None) -> bool:
    """Whether `actor` may see case `case_id`: only then does a refusal name it."""
    if case_id is None:
        return False
    owner, procedure = conn.execute(select(cases.c.agency_code, cases.c.procedure).where(cases.c.id == case_id)).one()
    parties = conn.execute(select(case_agencies.c.agency_code).where(case_agencies.c.case_id == case_id)).scalars()
    return actor.sees([owner, *parties], procedure)


def duplicate_text(proc: Procedure, agency_name: str, value: Any, case_id: int | None) -> str:
    """Why a case cannot be opened under a key already used: county-wide, the number is named; per
    agency (the opener may act for that agency, so may see its case), the agency and the case too;
    while open, the open case, which has to be closed first. `case_id` is None where the opener may
    not see the case (another agency's): its number is not told."""
    number = f"（案件编号 {case_id}）" if case_id is not None else ""
    if proc.correlation_while_open:
        owner = agency_name if proc.correlation_per_agency else ""
        return (f"{owner}已有{_field_title(proc)}为“{value}”的正在办理的“{proc.title}”案件{number}，"
                "不能重复立案；该案件办结后方可重新立案。")
    if not proc.correlation_per_agency:
        return f"已有“{proc.title}”案件使用编号“{value}”。"
    return f"{agency_name}已有{_field_title(proc)}为“{value}”的“{proc.title}”案件{number}，不能重复立案。"


def no_case_text(proc: Procedure, key: str) -> str:
    """Why an event found no case under its key."""
    if proc.correlation_while_open:
        return f"没有{_field_title(proc)}为“{key}”的正在办理的“{proc.title}”案件（已办结的案件不再接收事件）。"
    form = f"“{proc.title}”案件的关联编号为“单位代码/{_field_title(proc)}”。" if proc.correlation_per_agency else ""
    return f"没有关联编号为“{key}”的“{proc.name}”案件。{form}"


def check_unique(conn: Connection, proc: Procedure, row: Mapping[str, Any], t: Transition, rule: Unique,
                 actor: Any) -> None:
    """Refuses a value (after the effect) that a case of another subject holds, open or closed; the
    holder (its subject and case number) is named only to a caller who may see that case."""
    value = _at_path(row["data"], rule.path)
    if value is None:
        return
    if conn.dialect.name == "postgresql":  # SQLite writes one transaction at a time already
        conn.execute(select(func.pg_advisory_xact_lock(_lock_id(proc.name, rule.path, str(value)))))
    holders = conn.execute(
        select(cases.c.id, cases.c.data)
        .where(cases.c.procedure == proc.name, cases.c.id != row["id"],
               cases.c.data[tuple(rule.path.split("."))].as_string() == str(value))
        .order_by(cases.c.id)).all()
    subject = row["data"].get(proc.correlation_field)
    other = next((h for h in holders if h.data.get(proc.correlation_field) != subject), None)
    if other is None:
        return
    if visible(conn, actor, other.id):
        holder = (f"{_field_title(proc)}为“{other.data.get(proc.correlation_field)}”的"
                  f"“{proc.title}”案件（案件编号 {other.id}）")
    else:
        holder = f"其他单位的“{proc.title}”案件"
    raise InvalidPayload(f"“{t.title}”所附内容有误，请逐项修改。", {rule.field: [
        f"{rule.what}“{value}”已用于{holder}，不能重复使用，请核对。"]})


def _at_path(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted path of the case data (certificate.number), None where it is missing."""
    value: Any = data
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _lock_id(*parts: str) -> int:
    """A signed 64-bit id for pg_advisory_xact_lock, the same for the same parts."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)
