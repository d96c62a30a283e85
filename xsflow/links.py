"""Fields that name another case by id (CaseLink): checked inside the transaction that writes them."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, select

from .access import Actor
from .errors import InvalidPayload
from .registry import Registry
from .store.schema import case_agencies, cases


def check_links(conn: Connection, registry: Registry, actor: Actor, links: Iterable[Any], values: Mapping[str, Any],
                data: Mapping[str, Any], payload: Mapping[str, Any], *, prefix: str, message: str) -> None:
    """Refuses (422, field by field) a link to a case that does not exist, that the caller may not see
    (answered alike, so that nothing is learnt of it), or of a procedure or state the link does not allow."""
    problems: dict[str, list[str]] = {}
    for link in links:
        case_id = values.get(link.field)
        if case_id is None:
            continue
        row = conn.execute(select(cases.c.procedure, cases.c.definition_version, cases.c.state, cases.c.agency_code)
                           .where(cases.c.id == case_id)).first()
        parties = conn.execute(select(case_agencies.c.agency_code)
                               .where(case_agencies.c.case_id == case_id)).scalars().all() if row else []
        field = f"{prefix}{link.field}"
        if row is None or not actor.sees([row.agency_code, *parties], row.procedure):
            problems[field] = [f"没有编号为 {case_id} 的{link.what}，或您无权查看该案件。"]
            continue
        allowed = link.allowed(data, payload)
        proc = registry.get(row.procedure, row.definition_version)
        if row.procedure not in allowed:
            names = "、".join(registry.versions(p)[-1].title for p in allowed)
            problems[field] = [f"案件 {case_id} 是“{proc.title}”案件，应为{names}案件。"]
            continue
        states = allowed[row.procedure]
        if states is not None and row.state not in set(states):
            wanted = "、".join(f"“{proc.state(s).title}”" for s in states if s in {x.name for x in proc.states})
            problems[field] = [f"案件 {case_id} 当前状态为“{proc.state(row.state).title}”，应为{wanted}。"]
    if problems:
        raise InvalidPayload(message, problems)
