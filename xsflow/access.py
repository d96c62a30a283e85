"""Who may see and act: roles and agency scoping (domain.md, "Who uses it")."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from .definitions import OBSERVER_ROLES, Procedure, Transition
from .errors import Forbidden

ROLE_TITLES = {
    "clerk": "执法机关（起草单位）经办人员",
    "reviewer": "县司法局审查人员",
    "supervisor": "行政执法监督人员",
    "system": "对接系统",
    "admin": "系统管理员",
    "township": "乡镇人民政府、街道办事处监督人员",
    "timer": "系统（期限届满）",
    "procuratorate": "检察院（只读：涉嫌犯罪案件移送）",
}

# Roles that see every agency's cases; the others see their own agency's only.
COUNTY_WIDE = frozenset({"reviewer", "supervisor", "admin"})


@dataclass(frozen=True)
class Actor:
    name: str
    role: str
    agency: str | None = None
    token_id: int | None = None
    # A township or street government's user (role township, agency its government): the codes of the
    # teams in its area (agencies.government), whose cases it sees and supervises (附件2 第三条).
    area: frozenset[str] = frozenset()
    # For a read-only role (OBSERVER_ROLES): the procedures whose cases it may see, set by `in_scope`
    # when the caller is authenticated; None there sees nothing. Ignored for the other roles.
    procedures: frozenset[str] | None = None

    @property
    def scope(self) -> str:
        """The namespace of this caller's idempotency keys."""
        return f"token:{self.token_id}" if self.token_id is not None else f"actor:{self.name}"

    @property
    def county_wide(self) -> bool:
        # A system token without an agency is an integration for the whole county.
        return self.role in COUNTY_WIDE or (self.role == "system" and self.agency is None)

    @property
    def read_only(self) -> bool:
        return self.role in OBSERVER_ROLES

    def sees(self, agencies: Iterable[str], procedure: str | None = None) -> bool:
        """Whether the caller sees a case of `procedure` whose owner and parties are `agencies`."""
        if self.read_only and procedure not in (self.procedures or ()):
            return False
        return self.county_wide or bool(self.codes & set(agencies))

    @property
    def codes(self) -> frozenset[str]:
        """The agencies whose cases (owned or taken part in) this caller sees, unless county-wide."""
        return frozenset(c for c in (self.agency, *self.area) if c is not None)

    def sees_private(self, owner: str) -> bool:
        """Whether the caller sees a case's personal data (Private): the county-wide roles and the owning
        agency's own clerks and systems do; a party, a township government and another agency do not."""
        return self.county_wide or (self.role in ("clerk", "system") and self.agency == owner)

    def check_sees(self, agencies: Iterable[str], procedure: str | None = None) -> None:
        if not self.sees(agencies, procedure):
            raise Forbidden("该案件属于其他单位，您无权查看或办理。")


TIMER_ACTOR = Actor(name="系统（期限届满自动处理）", role="timer")


def in_scope(actor: Actor, registry: Any) -> Actor:
    """The authenticated caller with what a read-only role may see: the procedures naming it an observer."""
    return replace(actor, procedures=registry.observed_by(actor.role)) if actor.read_only else actor


def acts_on_side(actor: Actor, proc: Procedure, t: Transition, owner: str) -> bool:
    """Whether the caller's agency is the side that acts in `t` (Transition.acting_side): the case's own
    agency, or one of the side's configured agencies (the police). A caller without an agency — a
    county-wide integration, which relays what either side recorded — acts for either."""
    if t.acting_side is None or actor.agency is None:
        return True
    side = proc.sides[t.acting_side]
    return actor.agency in (side.agencies if side.agencies is not None else {owner})


def may_fire(actor: Actor, proc: Procedure, t: Transition, owner: str) -> bool:
    """Whether `t` is offered to the caller on a case of `owner` (its role and its side)."""
    return actor.role in t.roles and not actor.read_only and acts_on_side(actor, proc, t, owner)


def check_may_fire(actor: Actor, proc: Procedure, candidates: tuple[Transition, ...], agencies: Iterable[str]) -> None:
    """`agencies`: the case's own agency first, then its parties."""
    roles = {r for t in candidates for r in t.roles}
    title = candidates[0].title
    if actor.role not in roles or actor.read_only:
        allowed = "、".join(ROLE_TITLES.get(r, r) for r in sorted(roles - {"timer"})) or "系统自动处理"
        raise Forbidden(f"“{title}”只能由{allowed}办理，您的角色（{ROLE_TITLES.get(actor.role, actor.role)}）无权办理。",
                        trigger=candidates[0].trigger)
    agencies = list(agencies)
    actor.check_sees(agencies)
    t = candidates[0]  # transitions sharing a trigger share their side (definitions.check)
    if not acts_on_side(actor, proc, t, agencies[0]):
        side = proc.sides[t.acting_side or ""]
        raise Forbidden(f"“{title}”应由{side.title}办理；您所在单位（{actor.agency}）不是本案的{side.title}，无权办理。",
                        trigger=t.trigger, side=t.acting_side)


def check_may_open(actor: Actor, proc: Procedure, agency: str) -> None:
    if actor.role not in proc.opened_by:
        allowed = "、".join(ROLE_TITLES.get(r, r) for r in sorted(proc.opened_by))
        raise Forbidden(f"“{proc.title}”案件只能由{allowed}发起，您的角色（{ROLE_TITLES.get(actor.role, actor.role)}）无权发起。")
    # The caller's own agency only: a township government's area (actor.codes) is what it supervises,
    # not the agencies it may act for.
    if not actor.county_wide and agency != actor.agency:
        raise Forbidden("只能以本单位名义发起案件，不能替其他单位发起。", agency=agency)
