"""The `transitions` library as the machine under a declaration.

One `transitions.Machine` per definition version, shared by every case and thread: a case
is stepped through a throw-away cursor object holding only its state, so no machine or
model object lives per case. The library's errors become xsflow's here, and only here.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from transitions import Machine, MachineError

from .definitions import Procedure, Transition
from .errors import InvalidPayload, TriggerNotAllowed


class _Cursor:
    """The model `transitions` moves: one per step, never stored."""

    __slots__ = ("state", "fired")

    def __init__(self, state: str) -> None:
        self.state = state
        self.fired: Transition | None = None


@dataclass(frozen=True)
class Step:
    transition: Transition
    source: str
    dest: str  # equals source for an internal transition

    @property
    def changes_state(self) -> bool:
        return self.dest != self.source

    @property
    def reenters(self) -> bool:
        """A declared self-transition (dest named, equal to the source), not an internal one."""
        return self.transition.dest is not None and self.dest == self.source


class ProcedureMachine:
    def __init__(self, procedure: Procedure) -> None:
        self.procedure = procedure
        self._machine = Machine(
            model=None,
            states=[s.name for s in procedure.states],
            initial=procedure.initial,
            auto_transitions=False,
            ignore_invalid_triggers=False,
            send_event=True,
        )
        for t in procedure.transitions:
            self._machine.add_transition(
                t.trigger,
                list(t.sources),
                t.dest,  # None makes it internal: no exit or enter
                conditions=[_guard(t)] if t.guard else [],
                after=[_remember(t)],
            )

    def step(self, state: str, trigger: str, data: Mapping[str, Any], payload: Mapping[str, Any]) -> Step:
        """The transition `trigger` takes from `state`, or TriggerNotAllowed saying why not."""
        proc = self.procedure
        cursor = _Cursor(state)
        event = self._machine.events.get(trigger)
        if event is None:
            raise TriggerNotAllowed(
                f"“{proc.title}”没有“{trigger}”这一操作。",
                trigger=trigger, state=state,
            )
        try:
            event.trigger(cursor, data=data, payload=payload)
        except MachineError:
            raise TriggerNotAllowed(self._refusal(state, trigger), trigger=trigger, state=state) from None
        if cursor.fired is None:  # every candidate's guard said no
            guards = [t.guard for t in proc.transitions_for(trigger) if state in t.sources and t.guard is not None]
            refusals = [g.explain(data, payload) if g.explain else g.refusal for g in guards]
            on_field = {g.field: [r] for g, r in zip(guards, refusals) if g.field}
            if on_field:
                raise InvalidPayload("；".join(refusals), on_field)
            raise TriggerNotAllowed("；".join(refusals) or self._refusal(state, trigger),
                                    trigger=trigger, state=state)
        return Step(cursor.fired, state, cursor.state)

    def _refusal(self, state: str, trigger: str) -> str:
        proc = self.procedure
        title = next((t.title for t in proc.transitions_for(trigger)), trigger)
        allowed = [s for t in proc.transitions_for(trigger) for s in t.sources]
        where = "、".join(f"“{proc.state(s).title}”" for s in dict.fromkeys(allowed))
        return (f"案件当前处于“{proc.state(state).title}”阶段，不能办理“{title}”"
                + (f"；该操作只能在{where}阶段办理。" if where else "。"))


def _guard(t: Transition):
    assert t.guard is not None
    test = t.guard.test
    return lambda event: bool(test(event.kwargs["data"], event.kwargs["payload"]))


def _remember(t: Transition):
    def after(event: Any) -> None:
        event.model.fired = t
    return after
