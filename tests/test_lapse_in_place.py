"""A lapse whose transition leaves the case where it is ("on lapse, stay and mark overdue") fires
exactly once: the deadline that lapsed is closed by the lapse whatever the destination, so the
sweep ends. A declared self-transition (dest = the same state) starts the deadline afresh, as it
does for a person's; an internal one (dest=None) does not.

Each sweep here is first bounded by `limit`: a regression shows as `fired == limit`, not as a hang.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.conftest import at
from xsflow import queries
from xsflow.access import Actor
from xsflow.definitions import TIMER, Rule, deadline, procedure, state, transition
from xsflow.registry import Registry
from adapters.compose import open_system

RULE = Rule("《测试规则》")
CLERK = Actor("发改委经办人", "clerk", "fgw")
REVIEWER = Actor("司法局审查员", "reviewer")
SUPERVISOR = Actor("监督科", "supervisor")

OPENED = at("2025-03-03T09:00:00+08:00")  # a Monday; 5 days run to 8 March (Saturday), rolled to Monday 10 March
LAPSES = at("2025-03-11T00:00:00+08:00")  # 24:00 of 10 March
BOUND = 50  # cases a bounded sweep may take; a looping lapse would take them all


def reply_procedure(name: str, lapse_dest: str | None, *, sources=("open",), also_in=(), **period):
    """open → done by a reviewer; the reply period runs in `open` (and `also_in`) and lapses into
    `mark_late`, a timer transition to `lapse_dest`."""
    extra_states = [state(s, "逾期办理中", basis=RULE.art(3)) for s in also_in]
    return procedure(
        name, version=1, title="期限届满留在原处的程序", initial="open", opened_by="clerk", basis=RULE.art(1),
        states=[state("open", "办理中", basis=RULE.art(1)), *extra_states,
                state("done", "办结", basis=RULE.art(2), terminal=True)],
        transitions=[
            transition("finish", ("open", *also_in), "done", role="reviewer", basis=RULE.art(2), title="办结"),
            transition("mark_late", sources, lapse_dest, role=TIMER, basis=RULE.art(3), title="逾期标记"),
        ],
        deadlines=[deadline("reply_by", title="答复期限", while_in=("open", *also_in), on_lapse="mark_late",
                            basis=RULE.art(3), **(period or {"days": 5}))],
    )


STAYS = reply_procedure("stays", None)  # internal: stays, marked overdue
REENTERS = reply_procedure("reenters", "open")  # a declared self-transition: the period starts again
MOVES_WITHIN = reply_procedure("moves_within", "late", sources=("open", "late"), also_in=("late",))
RESTARTS_LAPSED = reply_procedure("restarts_lapsed", "open", fixed=lambda _start: date(2025, 3, 10))


@pytest.fixture
def system(db_url, clock):
    x = open_system(db_url, clock=clock, registry=Registry([STAYS, REENTERS, MOVES_WITHIN, RESTARTS_LAPSED]))
    x.init()
    yield x
    x.db.dispose()


def opened(system, clock, name: str) -> dict:
    clock.move_to(OPENED)
    return system.engine.open_case(CLERK, procedure=name, agency="fgw", title="关于某事项的答复")


def view(system, case_id: int) -> dict:
    with system.db.read() as conn:
        return queries.get_case(system.engine, conn, REVIEWER, case_id)


def lapses_of(system, case_id: int) -> list[dict]:
    with system.db.read() as conn:
        return [e for e in queries.case_history(conn, REVIEWER, case_id).items if e["trigger"] == "mark_late"]


def bounded_sweep(system, now):
    from xsflow.timers import sweep
    return sweep(system.engine, now, limit=BOUND)


@pytest.mark.parametrize("name, stays_in", [("stays", "open"), ("moves_within", "late")])
def test_a_lapse_that_keeps_the_deadline_running_closes_it_and_fires_once(system, clock, name, stays_in):
    """A lapse into the same state (internal) or into another state of the deadline's fires once: the
    deadline is lapsed and overdue, one history entry, the sweep ends with `fired 1` and nothing due."""
    case = opened(system, clock, name)
    clock.move_to(LAPSES + timedelta(days=30))  # long after: a restarted period would have lapsed again

    report = bounded_sweep(system, clock.now())

    assert (report.fired, report.left_due, report.incidents) == (1, 0, [])
    after = view(system, case["id"])
    assert after["state"] == stays_in and after["overdue"] is True
    [d] = after["deadlines"]
    assert (d["name"], d["status"], d["due_date"]) == ("reply_by", "lapsed", "2025-03-10")
    [entry] = lapses_of(system, case["id"])
    assert entry["occurred_at"] == "2025-03-10T16:00:00Z" and entry["actor_role"] == "timer"
    assert (entry["from_state"], entry["to_state"]) == ("open", stays_in)
    assert system.tick(clock.now()).fired == 0  # unbounded now that the bounded one ended
    # The late reply is still taken, and takes the case off the overdue list.
    done = system.engine.fire(REVIEWER, case["id"], "finish")
    assert done["state"] == "done" and done["overdue"] is False
    assert len(lapses_of(system, case["id"])) == 1
    assert system.audit() is None


def test_a_reentering_lapse_closes_the_period_that_lapsed_and_starts_a_new_one(system, clock):
    """dest = the same state declares leaving and entering again: the lapsed period is closed once and a
    new one runs from the lapse date (11 March + 5 days = 16 March); a sweep fires each period once."""
    case = opened(system, clock, "reenters")
    clock.move_to(LAPSES + timedelta(hours=9))

    report = bounded_sweep(system, clock.now())

    assert (report.fired, report.left_due) == (1, 0)
    after = view(system, case["id"])
    assert after["state"] == "open"
    assert [(d["status"], d["due_date"]) for d in after["deadlines"]] == [
        ("lapsed", "2025-03-10"), ("pending", "2025-03-17")]  # 16 March is a Sunday: rolled to Monday
    assert len(lapses_of(system, case["id"])) == 1
    assert system.tick(clock.now()).fired == 0
    clock.move_to(at("2025-03-18T09:00:00+08:00"))
    assert bounded_sweep(system, clock.now()).fired == 1
    assert len(lapses_of(system, case["id"])) == 2
    assert system.audit() is None


def test_a_lapse_restarting_a_period_already_over_is_an_incident_not_a_loop(system, clock):
    """A re-entering lapse whose new period would lapse at once (a fixed date already past) is refused:
    the sweep ends, fires nothing, keeps the deadline due and raises one incident naming it."""
    case = opened(system, clock, "restarts_lapsed")
    clock.move_to(LAPSES + timedelta(hours=9))

    report = bounded_sweep(system, clock.now())

    assert (report.fired, report.left_due) == (0, 1)
    [incident] = report.incidents
    assert "答复期限" in incident and "重新起算" in incident
    after = view(system, case["id"])
    assert [d["status"] for d in after["deadlines"]] == ["pending"]
    assert lapses_of(system, case["id"]) == []
    assert system.tick(clock.now()).incidents == []  # once per deadline, and again it ends
