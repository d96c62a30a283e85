"""What a request must satisfy before it steps a case: the time it names, its payload and case data."""
from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime, time, timedelta
from typing import Any

from marshmallow import ValidationError

from .calendar import SHANGHAI, local_date
from .definitions import Procedure, Transition
from .access import Actor
from .errors import Forbidden, InvalidPayload, TriggerNotAllowed
from .field_owners import check_fields, fields_for
from .payloads import case_title

DEFAULT_BACKDATING_DAYS = 1096  # three years; docs/decisions.md, "Time"


def occurred(occurred_at: datetime | None, now: datetime, backdating_days: int) -> datetime:
    """When the act took effect: now when not given; never in the future, nor before the first day of
    the window that may still be entered (`backdating_days` back from today, Beijing time)."""
    if occurred_at is None:
        return now
    if occurred_at.tzinfo is None:
        raise InvalidPayload("发生时间缺少时区。", {"occurred_at": ["请写明时区，例如 2025-03-03T10:00:00+08:00。"]})
    if occurred_at > now:
        raise InvalidPayload("发生时间不能晚于当前时间。", {"occurred_at": [
            f"{local_text(occurred_at)}晚于当前时间{local_text(now)}：只能登记已经发生的事项。"]})
    earliest = local_date(now) - timedelta(days=backdating_days)
    if occurred_at < datetime.combine(earliest, time(), SHANGHAI):
        raise InvalidPayload("发生时间早于可以补录的最早日期。", {"occurred_at": [
            f"只能登记{earliest:%Y年%-m月%-d日}（含）以后发生的事项：补录期限为{backdating_days}日。"
            "更早的事项请报县司法局系统管理员处理。"]})
    return occurred_at


def check_after_last_event(row: Mapping[str, Any], occurred_at: datetime) -> None:
    """An act cannot precede the case's last recorded one (and so not its opening either). Checked
    under the case's row lock: the last event is the one a concurrent request may just have added."""
    if occurred_at < row["last_occurred_at"]:
        raise InvalidPayload("发生时间早于本案上一事项。", {"occurred_at": [
            f"不能早于本案上一事项的发生时间（{local_text(row['last_occurred_at'])}）；"
            f"本案立案时间为{local_text(row['opened_at'])}。"]})


def check_not_before(t: Transition, row: Mapping[str, Any], occurred_at: datetime) -> None:
    """Refuses an act dated before the first day its rule allows (e.g. a result published before the
    assessed year is over), on the act's local date."""
    rule = t.not_before
    if rule is None:
        return
    first, dated = rule.first_day(row["data"]), local_date(occurred_at)
    if dated < first:
        raise TriggerNotAllowed(
            f"“{t.title}”自{first:%Y年%-m月%-d日}起方可办理，本次办理日期为{dated:%Y年%-m月%-d日}："
            f"{rule.reason}（{rule.basis}）。", trigger=t.trigger, state=row["state"])


def validated_data(proc: Procedure, data: dict[str, Any], role: str | None = None) -> dict[str, Any]:
    """The case data of a new case, as its procedure's schema loads and dumps it; fields that belong to
    another role's act are refused by name (xsflow/field_owners.py)."""
    allowed = _schema(proc.data).fields if proc.data is not None else data  # not a new schema per case
    check_fields(proc, role, None, data, allowed=allowed, prefix="data.", message="立案信息有误，请逐项修改。")
    if proc.data is None:
        return data
    try:
        schema = _schema(proc.data)  # one instance per schema, as for payloads
        return schema.dump(schema.load(data))
    except ValidationError as err:
        raise InvalidPayload("立案信息有误，请逐项修改。", _flatten(err.messages, "data")) from None


def validated_payload(t: Transition, payload: dict[str, Any], proc: Procedure | None = None,
                      role: str | None = None) -> dict[str, Any]:
    """What a transition carries, checked against its payload schema: with the procedure and the acting
    role, the schema of that trigger and role (fields of another role's act refused by name)."""
    if proc is not None and role is not None:
        check_fields(proc, role, t.trigger, payload, allowed=fields_for(proc, t.trigger, role),
                     message=f"“{t.title}”所附内容有误，请逐项修改。")
    if t.payload is None:
        if payload:
            raise InvalidPayload("该操作不需要附带内容。", {name: ["不认识的字段。"] for name in payload})
        return {}
    try:
        _schema(t.payload).load(payload)
    except ValidationError as err:
        raise InvalidPayload(f"“{t.title}”所附内容有误，请逐项修改。", _flatten(err.messages)) from None
    return payload


def local_text(value: datetime) -> str:
    return value.astimezone(SHANGHAI).strftime("%Y年%-m月%-d日%H时%M分")


@functools.cache
def _schema(cls: type) -> Any:
    """One instance per payload schema: building a marshmallow schema deep-copies its fields,
    and `load` keeps no state between calls."""
    return cls()


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for k, v in messages.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def acting(t: Transition, actor: Actor, payload: dict[str, Any], agencies: list[str]) -> dict[str, Any]:
    """The payload with its acting agency (Transition.acting_agency): a clerk acts for its own agency
    only; the bureau names the agency it acts for. Either way one of the case's agencies."""
    name = t.acting_agency
    if name is None:
        return payload
    if not actor.county_wide:
        if payload.get(name) not in (None, actor.agency):
            raise Forbidden("只能以本单位名义办理，不能替其他单位办理。", agency=payload.get(name))
        payload = {**payload, name: actor.agency}
    if payload.get(name) not in agencies:
        raise InvalidPayload(f"“{t.title}”所附内容有误，请逐项修改。",
                             {name: ["请填写参与本案的单位代码（代哪一单位办理）。"]})
    return payload

TITLE = case_title()


def validated_title(title: str) -> dict[str, list[str]]:
    """Problems of a case's title (length of its column, printable characters), by field; {} when fine."""
    try:
        TITLE.deserialize(title)
    except ValidationError as err:
        return {"title": list(err.messages) if isinstance(err.messages, list) else [str(err.messages)]}
    return {}
