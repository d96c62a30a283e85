"""Township and street governments (乡镇人民政府、街道办事处) and the teams in their areas.

《秀山自治县行政执法监督制度》(附件2) 第三条: the county justice bureau supervises the township and
street governments, and each supervises the enforcement in its area. A team names its government in
the reference data (`agencies.government`); a government's user (role `township`) sees and
supervises the cases of its own government and of those teams, and nothing of other areas.
"""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, exists, insert, select

from .access import Actor
from .registry import Registry
from .store.schema import agencies, case_agencies, cases

KIND = "township_government"


def area_of(conn: Connection, government: str) -> frozenset[str]:
    """The codes of the teams whose government is `government`."""
    return frozenset(conn.execute(select(agencies.c.code).where(agencies.c.government == government)).scalars())


def with_area(conn: Connection, actor: Actor) -> Actor:
    """The caller with the teams of its area, for a township government's user; else unchanged."""
    if actor.role != "township" or actor.agency is None:
        return actor
    return replace(actor, area=area_of(conn, actor.agency))


def government_of(conn: Connection, agency: str | None) -> str | None:
    if agency is None:
        return None
    return conn.execute(select(agencies.c.government).where(agencies.c.code == agency)).scalar()


def township_problems(conn: Connection, agency: str | None) -> dict[str, list[str]]:
    """A township user or token belongs to a township or street government."""
    kind = conn.execute(select(agencies.c.kind).where(agencies.c.code == agency)).scalar() if agency else None
    if kind != KIND:
        return {"agency": ["乡镇人民政府、街道办事处监督人员（township）必须指定所属的乡镇人民政府或街道办事处。"]}
    return {}


def add_governments(conn: Connection, registry: Registry) -> int:
    """Makes the township government of a concerned agency a party of the open cases that name the agency
    (Procedure.subject_field) and lack it: cases opened before the governments were loaded, or after a
    team was moved to another government (the former one keeps its sight). One statement per procedure."""
    added = 0
    for name in sorted({p.name for p in registry.all() if p.subject_field is not None}):
        fields = {p.subject_field for p in registry.versions(name) if p.subject_field is not None}
        for field in sorted(fields):
            subject = agencies.alias("subject")
            rows = select(cases.c.id, subject.c.government).select_from(
                cases.join(subject, subject.c.code == cases.c.data[field].as_string())).where(
                cases.c.procedure == name, cases.c.closed.is_(False), subject.c.government.is_not(None),
                subject.c.government != cases.c.agency_code,
                ~exists().where(case_agencies.c.case_id == cases.c.id,
                                case_agencies.c.agency_code == subject.c.government))
            added += conn.execute(insert(case_agencies).from_select(["case_id", "agency_code"], rows)).rowcount
    return added
