"""Township and street governments (乡镇人民政府、街道办事处) and the teams in their areas.

《秀山自治县行政执法监督制度》(附件2) 第三条: the county justice bureau supervises the township and
street governments, and each supervises the enforcement in its area. A team names its government in
the reference data (`agencies.government`); a government's user (role `township`) sees and
supervises the cases of its own government and of those teams, and nothing of other areas.
"""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import Connection, select

from .access import Actor
from .store.schema import agencies

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
