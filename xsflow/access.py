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


def check_may_fire(actor: Actor, proc: Procedure, candidates: tuple[Transition, ...], agencies: Iterable[str]) -> None:
    roles = {r for t in candidates for r in t.roles}
    if actor.role not in roles or actor.read_only:
        allowed = "、".join(ROLE_TITLES.get(r, r) for r in sorted(roles - {"timer"})) or "系统自动处理"
        title = candidates[0].title
        raise Forbidden(f"“{title}”只能由{allowed}办理，您的角色（{ROLE_TITLES.get(actor.role, actor.role)}）无权办理。",
                        trigger=candidates[0].trigger)
    actor.check_sees(agencies)


def check_may_open(actor: Actor, proc: Procedure, agency: str) -> None:
    if actor.role not in proc.opened_by:
        allowed = "、".join(ROLE_TITLES.get(r, r) for r in sorted(proc.opened_by))
        raise Forbidden(f"“{proc.title}”案件只能由{allowed}发起，您的角色（{ROLE_TITLES.get(actor.role, actor.role)}）无权发起。")
    if not actor.county_wide and agency not in actor.codes:
        raise Forbidden("只能以本单位名义发起案件，不能替其他单位发起。", agency=agency)
