"""关联案件 on the case page: the cases this case names (a correction order's source, a complaint's
supervision case, the certificate cases of a complaint's officers by 执法证号), the cases it opened
(`linked_cases`), and the cases that name it — linked both ways. Only cases the person may see are shown."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Integer, or_, select

from xsflow.access import Actor
from xsflow.queries import _scoped
from xsflow.registry import Registry
from xsflow.store.schema import cases


def _link_fields(proc: Any) -> dict[str, str]:
    fields = {link.field: link.what for link in proc.links}
    fields.update({link.field: link.what for t in proc.transitions for link in t.links})
    return fields


def _officers(conn: Connection, data: dict[str, Any]) -> dict[int, str]:
    """The certificate cases of the officers a case names by 执法证号 (a complaint's `officers`)."""
    numbers = {str(o.get("certificate_number", "")).strip(): o.get("name", "")
               for o in data.get("officers") or [] if isinstance(o, dict)}
    if not numbers:
        return {}
    number = cases.c.data[("certificate", "number")].as_string()
    rows = conn.execute(select(cases.c.id, number).where(cases.c.procedure == "certificate", number.in_(list(numbers))))
    return {case_id: f"被投诉举报的执法人员{numbers[n]}（执法证号{n}）" for case_id, n in rows}


def related_cases(conn: Connection, registry: Registry, actor: Actor, case: dict[str, Any]) -> list[dict[str, Any]]:
    proc = registry.get(case["procedure"], case["definition_version"])
    data = case["data"]
    wanted: dict[int, str] = {}
    for field, what in _link_fields(proc).items():
        if isinstance(data.get(field), int):
            wanted.setdefault(data[field], f"本案所涉{what}")
    for linked in data.get("linked_cases", []):
        wanted.setdefault(linked["case_id"], "由本案转办")
    wanted.update(_officers(conn, data))
    naming = []  # cases of any procedure whose link field names this case
    for name in {p.name for p in registry.all()}:
        for field in {f for p in registry.versions(name) for f in _link_fields(p)}:
            naming.append((cases.c.procedure == name) & (cases.c.data[field].as_integer() == case["id"]))
    stmt = select(cases.c.id, cases.c.procedure, cases.c.definition_version, cases.c.title, cases.c.state)
    conditions = [cases.c.id.in_(list(wanted))] + ([or_(*naming)] if naming else [])
    rows = conn.execute(stmt.where(or_(*conditions), _scoped(actor), cases.c.id != case["id"])
                        .order_by(cases.c.id)).mappings().all()
    out = []
    for r in rows:
        other = registry.get(r["procedure"], r["definition_version"])
        out.append({"id": r["id"], "relation": wanted.get(r["id"], "援引本案"), "procedure": other.title,
                    "title": r["title"], "state": other.state(r["state"]).title})
    return out
