"""Whose field is it: one schema per procedure, trigger and role.

A procedure's payload schema belongs to its trigger; the trigger belongs to the roles that may fire
it. A field that only another role's trigger carries (a reviewer's `conclusion`, the number of the
bureau's opinion) is that role's decision: a clerk who sends it, in the opening data or in the
payload of a trigger of its own, is refused 422 on that field, in Chinese, naming whose it is —
not merely told the field is unknown. Within one trigger fired by several roles, a field declared
with `metadata={"roles": (...)}` (`payloads.only_for`) is set by those roles only.

`fields_for(proc, trigger, role)` is the schema a role fills for a trigger; `check_fields` is the
one check, applied to every payload and every opening data (xsflow/validation.py).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from .definitions import TIMER, Procedure, Transition
from .errors import InvalidPayload

ROLE_TITLES = {
    "clerk": "执法机关（起草单位）经办人员",
    "reviewer": "县司法局审查人员",
    "supervisor": "行政执法监督人员",
    "system": "外部系统",
    "admin": "系统管理员",
    TIMER: "系统（期限届满自动办理）",
}


def field_roles(f: Any) -> frozenset[str] | None:
    """The roles a field is restricted to within its trigger (metadata "roles"), or None: all the trigger's."""
    roles = getattr(f, "metadata", {}).get("roles")
    return frozenset(roles) if roles else None


def field_title(f: Any, name: str) -> str:
    return str(getattr(f, "metadata", {}).get("title") or name)


@cache
def _schema_fields(schema: type) -> dict[str, Any]:
    return dict(schema().fields)


def fields_for(proc: Procedure, trigger: str, role: str) -> frozenset[str]:
    """The payload fields `role` may send with `trigger` (empty when the role may not fire it)."""
    known = proc._index.setdefault("fields_for", {})
    key = (trigger, role)
    if key not in known:
        known[key] = _fields_for(proc, trigger, role)
    return known[key]


def _fields_for(proc: Procedure, trigger: str, role: str) -> frozenset[str]:
    out: set[str] = set()
    for t in proc.transitions_for(trigger):
        if role not in t.roles or t.payload is None:
            continue
        out.update(n for n, f in _schema_fields(t.payload).items() if (field_roles(f) or {role}) >= {role})
    return frozenset(out)


def owners(proc: Procedure) -> dict[str, tuple[tuple[Transition, frozenset[str]], ...]]:
    """Every payload field of the procedure → the transitions carrying it, each with the roles that set it."""
    known = proc._index.get("field_owners")
    if known is None:
        known = proc._index["field_owners"] = _owners(proc)
    return known


def _owners(proc: Procedure) -> dict[str, tuple[tuple[Transition, frozenset[str]], ...]]:
    found: dict[str, list[tuple[Transition, frozenset[str]]]] = {}
    seen: set[str] = set()
    for t in proc.transitions:
        if t.payload is None or t.trigger in seen:
            continue
        seen.add(t.trigger)
        for name, f in _schema_fields(t.payload).items():
            found.setdefault(name, []).append((t, field_roles(f) or t.roles))
    return {k: tuple(v) for k, v in found.items()}


def foreign(proc: Procedure, role: str, sent: Iterable[str], allowed: Iterable[str]) -> dict[str, str]:
    """The sent fields `role` may not set here because they belong to another role's act: field → why."""
    allowed = set(allowed)
    out: dict[str, str] = {}
    for name in sent:
        if name in allowed:
            continue
        carriers = owners(proc).get(name, ())
        theirs = [(t, roles) for t, roles in carriers if role not in roles]
        if not theirs or any(role in roles for _, roles in carriers):
            continue  # unknown to the procedure, or the role's own elsewhere: the schema says "unknown field"
        t, roles = theirs[0]
        f = _schema_fields(t.payload).get(name) if t.payload else None
        whose = "、".join(ROLE_TITLES.get(r, r) for r in sorted(roles - {TIMER}) or sorted(roles))
        out[name] = (f"“{field_title(f, name)}”（{name}）由{whose}在“{t.title}”时填写，属于该环节的决定，"
                     f"{ROLE_TITLES.get(role, role)}不能填写，请删除该字段。")
    return out


def check_fields(proc: Procedure | None, role: str | None, trigger: str | None, sent: Mapping[str, Any], *,
                 allowed: Iterable[str], prefix: str = "", message: str) -> None:
    """Refuses 422 the fields of `sent` that belong to another role (see module doc); `trigger` None: opening data."""
    if proc is None or role is None:
        return
    allowed = allowed if isinstance(allowed, (set, frozenset)) else set(allowed)
    if all(name in allowed for name in sent):  # every field is the role's own here: the usual case
        return
    problems = foreign(proc, role, sent, allowed)
    if trigger is not None:
        for t in proc.transitions_for(trigger):
            if t.payload is None:
                continue
            for name, f in _schema_fields(t.payload).items():
                roles = field_roles(f)
                if name in sent and roles is not None and role not in roles:
                    whose = "、".join(ROLE_TITLES.get(r, r) for r in sorted(roles))
                    problems[name] = (f"“{field_title(f, name)}”（{name}）只能由{whose}填写，"
                                      f"{ROLE_TITLES.get(role, role)}不能填写，请删除该字段。")
    if problems:
        raise InvalidPayload(message, {f"{prefix}{k}": [v] for k, v in problems.items()})
