"""Procedure definitions: checked when built (every problem at once), legally grounded, and one
shared `transitions.Machine` per definition version however many cases step through it."""
from __future__ import annotations

import gc
import re
from datetime import UTC, datetime

import pytest
import transitions

from workflows import ALL_PROCEDURES
from workflows.legality_review import legality_review
from xsflow.access import Actor
from xsflow.clock import FixedClock

from .conftest import LEGALITY_READY
from xsflow.definitions import (
    TIMER,
    Basis,
    Rule,
    deadline,
    document,
    procedure,
    state,
    transition,
)
from xsflow.errors import DefinitionError
from xsflow.registry import Registry
from adapters.compose import open_system

RULE = Rule("《测试规则》")


def build(**changes):
    """A small, correct procedure; keyword arguments replace or extend its parts."""
    parts: dict[str, list] = {
        "states": [
            state("open", "办理中", basis=RULE.art(1)),
            state("waiting", "待补正", basis=RULE.art(2)),
            state("done", "办结", basis=RULE.art(3), terminal=True),
            state("ended", "终止", basis=RULE.art(4), terminal=True),
        ],
        "transitions": [
            transition("ask", "open", "waiting", role="reviewer", basis=RULE.art(2), title="要求补正",
                       issues="notice"),
            transition("answer", "waiting", "open", role="clerk", basis=RULE.art(2), title="补正"),
            transition("finish", "open", "done", role="reviewer", basis=RULE.art(3), title="办结"),
            transition("expired", "waiting", "ended", role=TIMER, basis=RULE.art(4), title="逾期终止"),
        ],
        "deadlines": [deadline("answer_by", title="补正期限", while_in="waiting", working_days=5,
                               on_lapse="expired", basis=RULE.art(2))],
        "documents": [document("notice", title="补正通知", prefix="测补", basis=RULE.art(2))],
    }
    for key, extra in changes.items():
        parts[key] = parts[key] + extra
    return procedure("sample", version=1, title="示例程序", initial="open", opened_by="clerk",
                     basis=RULE.art(1), **parts)


def problems_of(**changes) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        build(**changes)
    return caught.value.problems


def mentions(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_a_correct_definition_builds():
    """The sample procedure the broken variants start from is itself accepted."""
    proc = build()
    assert proc.initial == "open"
    assert [t.trigger for t in proc.transitions_for("expired")] == ["expired"]


def test_every_problem_of_a_broken_definition_is_reported_at_once():
    """One DefinitionError lists an unknown state, an unreachable state, a deadline without lapse, a transition without basis, an undeclared document and a person-fired lapse together."""
    problems = problems_of(
        states=[state("orphan", "无人可达", basis=RULE.art(5))],
        transitions=[
            transition("jump", "nowhere", "done", role="reviewer", basis=RULE.art(6), title="从未知状态出发"),
            transition("hurry", "open", "done", role="reviewer", basis=None, title="无依据"),
            transition("certify", "open", "done", role="reviewer", basis=RULE.art(7), title="出证",
                       issues="certificate"),
            transition("give_up", "waiting", "ended", role="clerk", basis=RULE.art(8), title="放弃"),
        ],
        deadlines=[
            deadline("silent", title="无届满处理", while_in="waiting", days=10, basis=RULE.art(9)),
            deadline("by_hand", title="人工届满", while_in="waiting", days=10, on_lapse="give_up", basis=RULE.art(8)),
        ],
    )
    expected = {
        "unknown state": ("jump", "nowhere"),
        "unreachable state": ("orphan", "reached"),
        "deadline without a lapse transition": ("silent", "lapse"),
        "transition without a basis": ("hurry", "basis"),
        "undeclared document": ("certify", "certificate"),
        "lapse trigger firable by a person": ("by_hand", "give_up", "timer"),
    }
    missing = [what for what, words in expected.items() if not mentions(problems, *words)]
    assert not missing, f"not reported: {missing}; reported: {problems}"
    with pytest.raises(DefinitionError) as caught:
        build(transitions=[transition("hurry", "open", "done", role="reviewer", basis=None, title="无依据")],
              deadlines=[deadline("silent", title="无届满处理", while_in="waiting", days=10, basis=RULE.art(9))])
    assert len(caught.value.problems) == 2
    assert "2 problem" in caught.value.message  # the message a developer sees counts and lists them all
    assert all(p in caught.value.message for p in caught.value.problems)


def test_more_definition_problems_are_caught():
    """Undeclared initial state, deadline in an unknown state, a period of zero, unknown roles and leaving a terminal state are each reported."""
    with pytest.raises(DefinitionError) as caught:
        procedure("sample", version=1, title="示例", initial="start", opened_by="mayor", basis=None,
                  states=[state("open", "办理中", basis=RULE.art(1)),
                          state("done", "办结", basis=None, terminal=True)],
                  transitions=[transition("finish", "open", "done", role="boss", basis=RULE.art(3), title="办结"),
                               transition("reopen", "done", "open", role="reviewer", basis=RULE.art(3), title="重开")],
                  deadlines=[deadline("d", title="期限", while_in="limbo", working_days=0, on_lapse="finish",
                                      basis=RULE.art(2))])
    problems = caught.value.problems
    for words in [("initial", "start"), ("opened_by", "mayor"), ("procedure", "basis"), ("done", "basis"),
                  ("finish", "boss"), ("reopen", "terminal"), ("limbo",), ("period of 0",), ("finish", "timer")]:
        assert mentions(problems, *words), (words, problems)


def test_an_acting_side_must_be_declared_and_is_not_the_timers():
    """Transition.acting_side names one of Procedure.sides (xsflow/access.py enforces it)."""
    problems = problems_of(transitions=[
        transition("decide", "open", "done", role="clerk", acting_side="police", basis=RULE.art(3), title="决定"),
        transition("expired", "open", "ended", role=TIMER, acting_side="police", basis=RULE.art(4), title="逾期"),
    ])
    assert mentions(problems, "'decide'", "side 'police'", "does not declare")
    assert mentions(problems, "'expired'", "timer", "no acting side")
    assert mentions(problems, "'expired'", "differ in acting side")


def test_a_lapse_transition_shared_with_a_person_is_refused():
    """A lapse trigger whose roles name a person beside the timer is a definition problem, not silently accepted."""
    problems = problems_of(transitions=[
        transition("cut_off", "waiting", "ended", role=(TIMER, "clerk"), basis=RULE.art(4), title="终止"),
    ], deadlines=[deadline("other", title="另一期限", while_in="waiting", days=3, on_lapse="cut_off",
                           basis=RULE.art(4))])
    assert mentions(problems, "cut_off", "clerk"), problems


# --- the real legality_review definition -----------------------------------------------------------

ARTICLE = re.compile(r"第\d+条|[一二三四五六七八九十]+、|（[一二三四五六七八九十]+）|“[^”]+”一?项")


def bases_of(proc) -> dict[str, Basis | None]:
    found: dict[str, Basis | None] = {"procedure": proc.basis}
    found.update({f"state {s.name}": s.basis for s in proc.states})
    found.update({f"transition {t.trigger} {t.sources}->{t.dest}": t.basis for t in proc.transitions})
    found.update({f"deadline {d.name}": d.basis for d in proc.deadlines})
    found.update({f"document {d.name}": d.basis for d in proc.documents})
    return found


def test_legality_review_every_part_cites_an_article():
    """Every state, transition, deadline and document of legality_review names the article (or section) it rests on."""
    unnamed = {what: str(b) for what, b in bases_of(legality_review).items()
               if b is None or not b.source or not b.article or not ARTICLE.search(b.article)}
    assert not unnamed, f"no article named: {unnamed}"


def test_legality_review_cites_articles_9_to_13_of_the_supervision_rule():
    """The county rule's articles cited by legality_review are those of the legality-review chapter (art. 9–13)."""
    cited = {int(m.group(1)) for b in bases_of(legality_review).values() if b is not None and "监督制度" in b.source
             for m in [re.fullmatch(r"第(\d+)条", b.article)] if m}
    assert cited and cited <= set(range(9, 14)), cited
    assert legality_review.deadline("supplement").working_days == 5
    assert "第13条" in str(legality_review.deadline("supplement").basis)
    assert "第13条" in str(legality_review.document("termination_opinion").basis)


def test_every_registered_procedure_has_a_basis_everywhere():
    """No registered procedure carries a part without a legal basis."""
    missing = {f"{p.name} v{p.version}: {what}" for p in ALL_PROCEDURES for what, b in bases_of(p).items() if b is None}
    assert not missing


# --- the machine is shared ----------------------------------------------------------------------------


def live_machines() -> list[transitions.Machine]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, transitions.Machine)]


def test_registry_holds_one_machine_per_definition_version():
    """Building a registry creates exactly one transitions.Machine per definition version, and always hands out that one."""
    before = len(live_machines())
    registry = Registry(ALL_PROCEDURES)
    assert len(live_machines()) - before == len(registry.all())
    for proc in registry.all():
        assert registry.machine(proc) is registry.machine(registry.get(proc.name, proc.version))


def test_stepping_ten_thousand_cases_creates_no_machine_per_case():
    """10,000 cases stepped through legality_review leave the machine count, and the machine's model list, unchanged."""
    registry = Registry([legality_review])
    shared = registry.machine(legality_review)
    inner = shared._machine
    before = len(live_machines())
    path = [("submitted", "request_supplement", {"missing": ["legal_basis", "other"]}),
            ("awaiting_supplement", "supplement", {"items": ["legal_basis"]}),
            ("awaiting_supplement", "supplement", {"items": ["other"]}),
            ("under_review", "issue_opinion", {"conclusion": "lawful"})]
    ends = []
    for i in range(10_000):
        data: dict = {}
        state_ = "submitted"
        for expected, trigger, payload in path[: 1 + i % 4]:
            assert state_ == expected
            step = registry.machine(legality_review).step(state_, trigger, data, payload)
            if step.transition.effect is not None:
                data = step.transition.effect(data, payload)
            state_ = step.dest
        ends.append(state_)
    assert ends[:4] == ["awaiting_supplement", "awaiting_supplement", "under_review", "opinion_issued"]
    assert registry.machine(legality_review) is shared and shared._machine is inner
    assert len(live_machines()) == before
    assert list(inner.models) == []  # no case was attached to the shared machine


def test_cases_run_by_the_engine_use_the_shared_machine(sqlite_url):
    """Opening and moving cases through the engine builds no further transitions.Machine."""
    x = open_system(sqlite_url, clock=FixedClock(datetime(2025, 3, 3, 1, 0, tzinfo=UTC)))
    x.init()
    clerk, reviewer = Actor("经办", "clerk", "scjgj"), Actor("审查", "reviewer", "sfj")
    before = len(live_machines())
    for i in range(30):
        case = x.engine.open_case(clerk, procedure="legality_review", agency="scjgj", title=f"草案{i}", data=LEGALITY_READY)
        x.engine.fire(reviewer, case["id"], "accept")
        x.engine.fire(reviewer, case["id"], "issue_opinion", {"conclusion": "lawful"})
    assert len(live_machines()) == before
    x.db.dispose()
