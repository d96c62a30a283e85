"""Open cases with a deadline counted on a guessed holiday arrangement (a year whose State
Council notice is not loaded): what a clerk or reviewer needs to know of a missing notice."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, func, select

from .access import Actor
from .queries import _scoped as visible_to  # the one definition of who sees a case
from .store.schema import cases, deadlines


@dataclass(frozen=True)
class ProvisionalCase:
    case_id: int
    title: str
    deadline: str
    due_date: date


def provisional_cases(conn: Connection, actor: Actor, *, limit: int = 10) -> tuple[int, list[ProvisionalCase]]:
    """(how many cases the actor sees have a pending provisional deadline, the first `limit` of them)."""
    condition = ((deadlines.c.provisional.is_(True)) & (deadlines.c.status == "pending")
                 & cases.c.closed.is_(False) & visible_to(actor))
    joined = deadlines.join(cases, cases.c.id == deadlines.c.case_id)
    total = conn.execute(select(func.count(func.distinct(cases.c.id))).select_from(joined).where(condition)).scalar_one()
    rows = conn.execute(select(cases.c.id, cases.c.title, deadlines.c.name, deadlines.c.due_date)
                        .select_from(joined).where(condition)
                        .order_by(deadlines.c.due_date, cases.c.id).limit(limit)).all()
    return total, [ProvisionalCase(*row) for row in rows]
