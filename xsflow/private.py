"""Personal data kept from people who need not see it (Procedure.private; Actor.sees_private).

A complainant's name and contact stay with the bureau: the agency complained about, a township
government supervising it and anyone else who sees the case get every answer — case, lists, history,
document records, pages, exports — without those fields, and not the documents addressed to the person.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .access import Actor
from .definitions import Procedure
from .errors import Forbidden


# A document's service record (xsflow/service.py) names who received it, the receipt and a note: of a
# case with personal data (a reply to the complainant), personal too; its history entry is this trigger.
SERVICE_TRIGGER = "record_service"
SERVICE_FIELDS = ("recipient", "receipt", "note")


def hidden(proc: Procedure, actor: Actor | None, owner: str) -> bool:
    """Whether the case's personal data is to be left out of answers to `actor` (None: the system itself)."""
    return proc.private is not None and actor is not None and not actor.sees_private(owner)


def without(proc: Procedure, data: Mapping[str, Any]) -> dict[str, Any]:
    assert proc.private is not None
    return {k: v for k, v in data.items() if k not in proc.private.fields}


def case_data(proc: Procedure, actor: Actor | None, owner: str, data: Mapping[str, Any]) -> Mapping[str, Any]:
    return without(proc, data) if hidden(proc, actor, owner) else data


def payload(proc: Procedure, actor: Actor | None, owner: str, value: Mapping[str, Any]) -> Mapping[str, Any]:
    """A history entry's payload: the opening entry carries the data under "data", a step its own fields."""
    if not hidden(proc, actor, owner) or not isinstance(value, Mapping):
        return value
    out = without(proc, value)
    if isinstance(out.get("data"), Mapping):
        out["data"] = without(proc, out["data"])
    return out


def entry(proc: Procedure, actor: Actor | None, owner: str, trigger: str, value: Any) -> Any:
    """A history entry's payload as the caller may see it: without the personal data fields, and a
    service record without who received the document (SERVICE_FIELDS)."""
    value = payload(proc, actor, owner, value)
    if trigger == SERVICE_TRIGGER and hidden(proc, actor, owner) and isinstance(value, Mapping):
        value = {k: v for k, v in value.items() if k not in SERVICE_FIELDS}
    return value


def service(proc: Procedure, actor: Actor | None, owner: str, record: Mapping[str, Any]) -> Mapping[str, Any]:
    """A service record (GET /cases/{id} `services`) as the caller may see it."""
    return {**record, **dict.fromkeys(SERVICE_FIELDS)} if hidden(proc, actor, owner) else record


def document_facts(proc: Procedure, actor: Actor | None, owner: str, kind: str,
                   facts: Mapping[str, Any]) -> Mapping[str, Any]:
    """An issued document's facts; a document addressed to the person is refused (403)."""
    if not hidden(proc, actor, owner):
        return facts
    assert proc.private is not None
    if kind in proc.private.documents:
        raise Forbidden("该文书载有投诉举报人等个人信息，您无权查看。")
    out = without(proc, facts)
    for key in ("data", "payload"):
        if isinstance(out.get(key), Mapping):
            out[key] = without(proc, out[key])
    return out
