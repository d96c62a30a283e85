"""Leads into 责令限期改正 (art. 35): the step by which a case of another procedure, stuck in a state the
rule calls a ground, opens its correction order — one click for the supervisor.

The lead is an internal transition (`open_correction_order`, the case stays where it is) whose rule opens
a `correction_order` case in the same transaction (Transition.opens): the agency is the source case's,
the ground the one art. 35 names for that state, the facts a sentence written from the source case (the
supervisor may write them instead), and `source_case` the source's id. The order names its source
(checked by the order's CaseLink), and the source lists the order under `linked_cases`: linked both ways.
The order starts in `preparing`: the supervisor sets its period when issuing it. A second lead while the
order is open is refused (one open order per source case: the order's correlation key).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from marshmallow import fields, validate

from xsflow.definitions import LinkedCase, Transition, transition
from xsflow.payloads import Payload, text

from .correction_order import GROUND_TITLES, GROUNDS, RULE

TRIGGER = "open_correction_order"


class Lead(Payload):
    """What the supervisor may add to the prefilled order; nothing is required."""

    facts = fields.String(validate=validate.Length(min=1, max=20000, error="违法事实应为 1 至 20000 个字。"),
                          error_messages={"null": "不能为空值。", "invalid": "应为文字。"},
                          metadata={"title": "违法事实（不填的，按本案情况自动写明）"})
    sanctioning_authority = text(max_length=200)  # 处分建议的主送机关


Facts = Callable[[Mapping[str, Any], Mapping[str, Any]], str]  # (case data, origin) → the facts


def lead(ground: str, sources: str | Iterable[str], facts: Facts) -> Transition:
    """The lead from `sources` into an order on `ground` (a key of correction_order.GROUNDS)."""
    item, _ = GROUNDS[ground]

    def opens(data: Mapping[str, Any], payload: Mapping[str, Any], origin: Mapping[str, Any]) -> list[LinkedCase]:
        order = {"ground": ground, "facts": payload.get("facts") or facts(data, origin),
                 "source_case": origin["case_id"]}
        if payload.get("sanctioning_authority"):
            order["sanctioning_authority"] = payload["sanctioning_authority"]
        return [LinkedCase("correction_order", origin["agency"], f"责令限期改正：{origin['title']}"[:500], order)]

    return transition(TRIGGER, sources, None, role="supervisor", payload=Lead, opens=opens,
                      basis=RULE.art(35, item, note=GROUND_TITLES[ground].split("：", 1)[1]),
                      title=f"转责令限期改正（第35条第（{item}）项）")
