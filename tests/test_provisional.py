"""Deadlines counted on a guessed calendar, on SQLite and PostgreSQL.

The database starts with every bundled holiday notice except 2026's (deleted right after
`init`, before any case: the engine rebuilds its calendar when the notices table changes), as
a server would stand in November 2025 before the State Council's 2026 notice came out. A
deadline that depends on 2026 is then provisional (domain.md, "Time and periods"): no legal
document may rest on it, and when it comes due the sweep holds it and raises an incident
instead of acting. Loading the 2026 notice with `xsflow calendar load` recounts it.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select

import xsflow.calendar
from tests.conftest import at, cli
from xsflow import queries
from xsflow.access import Actor
from xsflow.errors import CalendarNotLoaded, http_status
from xsflow.store.schema import calendar_notices, document_sequences

NOTICE_2026 = Path(xsflow.calendar.__file__).with_name("data") / "2026.toml"
CLERK = Actor("发改委经办人", "clerk", "fgw")
REVIEWER = Actor("司法局审查员", "reviewer")
SUPERVISOR = Actor("监督科", "supervisor")
TIME_TRAVEL = {"XSFLOW_ALLOW_TIME_TRAVEL": "1"}

# Review opened Monday 2 February 2026. On the real 2026 notice the 15th working day is Saturday
# 28 February (a make-up working day; 15–23 February off for the Spring Festival). Guessed without
# the notice (weekends and 除夕 to 初三, 16–19 February, off; no make-up days) it is Friday 27 February.
REVIEW_OPENED = at("2026-02-02T09:00:00+08:00")
GUESSED_DUE, REAL_DUE = "2026-02-27", "2026-02-28"
REAL_LAPSE = at("2026-03-01T00:00:00+08:00")  # 24:00 of 28 February


@pytest.fixture
def before_2026_notice(system):
    """The initialised system with the 2026 State Council notice removed, before any case exists."""
    with system.db.write() as conn:
        removed = conn.execute(delete(calendar_notices).where(
            calendar_notices.c.kind == "state_council", calendar_notices.c.year == 2026)).rowcount
    assert removed == 1
    with system.db.read() as conn:
        years = system.calendars.current(conn).years_with_notice
    assert 2025 in years and 2026 not in years
    return system


def get(system, case_id: int, actor: Actor = SUPERVISOR) -> dict:
    with system.db.read() as conn:
        return queries.get_case(system.engine, conn, actor, case_id)


def deadline(case: dict, name: str) -> dict:
    [d] = [d for d in case["deadlines"] if d["name"] == name]
    return d


def open_incidents(system) -> list[dict]:
    with system.db.read() as conn:
        return queries.open_incidents(conn, SUPERVISOR).items


def tick(system, now: str):
    """`xsflow tick --now` as the operator runs it."""
    p = cli(system.db.url, "tick", "--now", now, env=TIME_TRAVEL)
    assert p.returncode == 0, p.stderr
    return p


def load_2026(system) -> str:
    p = cli(system.db.url, "calendar", "load", str(NOTICE_2026))
    assert p.returncode == 0, p.stderr
    return p.stdout


def open_review(system, clock) -> dict:
    clock.move_to(REVIEW_OPENED)
    case = system.engine.open_case(CLERK, procedure="legality_review", agency="fgw",
                                   title="关于规范农村集体资产管理的办法（送审稿）")
    review = deadline(case, "review")
    assert (review["due_date"], review["provisional"], review["status"]) == (GUESSED_DUE, True, "pending")
    return case


def test_supplement_notice_counted_into_2026_is_refused_until_the_notice_is_loaded(before_2026_notice, clock):
    """A supplement period running into the unsettled New Year week is provisional, so its notice is refused (409) until 2026 is loaded."""
    system = before_2026_notice
    clock.move_to(at("2025-12-22T09:00:00+08:00"))
    case = system.engine.open_case(CLERK, procedure="legality_review", agency="fgw",
                                   title="关于城区烟花爆竹燃放管理的通告（送审稿）")
    assert deadline(case, "review")["provisional"] is True  # 15 working days reach into January 2026
    # The same period, as the operator checks it: 5 working days from 23 December, exit 3 = provisional.
    p = cli(system.db.url, "calendar", "deadline", "2025-12-23", "--working-days", "5")
    assert (p.returncode, p.stdout.strip()) == (3, "2025-12-30")

    clock.move_to(at("2025-12-23T10:00:00+08:00"))
    with pytest.raises(CalendarNotLoaded) as refused:
        system.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis"]})

    assert http_status(refused.value) == 409
    message = refused.value.message
    assert "补正材料期限" in message and "2025年12月30日" in message and "xsflow calendar load" in message
    unchanged = get(system, case["id"])
    assert unchanged["state"] == "submitted" and unchanged["version"] == case["version"]
    assert [d["name"] for d in unchanged["deadlines"]] == ["review"]
    assert unchanged["documents"] == []
    with system.db.read() as conn:
        assert conn.execute(select(document_sequences)).all() == []  # no number used up

    assert "重新计算了 1 个推定期限" in load_2026(system)
    recounted = deadline(get(system, case["id"]), "review")
    assert (recounted["due_date"], recounted["provisional"]) == ("2026-01-13", False)
    p = cli(system.db.url, "calendar", "deadline", "2025-12-23", "--working-days", "5")
    assert (p.returncode, p.stdout.strip()) == (0, "2025-12-30")

    served = system.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis"]})
    assert served["state"] == "awaiting_supplement"
    supplement = deadline(served, "supplement")
    assert (supplement["due_date"], supplement["provisional"]) == ("2025-12-30", False)
    assert [d["number"] for d in served["documents"]] == ["秀山司补〔2025〕1号"]


def test_due_provisional_deadline_raises_one_incident_and_fires_after_the_notice_is_loaded(before_2026_notice, clock):
    """Past both its guessed and real lapse, a provisional deadline is held with one incident; after the load the next tick acts."""
    system = before_2026_notice
    case = open_review(system, clock)

    first = tick(system, "2026-03-02T09:00:00+08:00")

    assert first.stdout.splitlines()[0] == "fired 0"
    assert "超过办理时限" not in first.stdout
    assert "待处理事件" in first.stderr and f"案件 {case['id']} " in first.stderr
    assert "xsflow calendar load" in first.stderr
    [incident] = open_incidents(system)
    assert (incident["kind"], incident["case_id"]) == ("provisional_deadline_due", case["id"])
    held = get(system, case["id"])
    assert deadline(held, "review")["status"] == "pending" and held["overdue"] is False

    again = tick(system, "2026-03-02T09:01:00+08:00")
    assert "待处理事件" not in again.stderr
    assert [i["id"] for i in open_incidents(system)] == [incident["id"]]

    assert "重新计算了 1 个推定期限" in load_2026(system)
    recounted = deadline(get(system, case["id"]), "review")
    assert (recounted["due_date"], recounted["provisional"], recounted["status"]) == (REAL_DUE, False, "pending")
    assert open_incidents(system) == []

    fired = tick(system, "2026-03-02T09:02:00+08:00")
    assert "超过办理时限 1 件" in fired.stdout
    assert fired.stderr.strip() == ""
    after = get(system, case["id"])
    assert deadline(after, "review")["status"] == "lapsed"
    assert after["overdue"] is True and after["state"] == "submitted"
    assert open_incidents(system) == []


def test_held_deadline_incident_names_the_deadline_and_its_guessed_last_day(before_2026_notice, clock):
    """The operator's incident names the deadline as the rule does and the guessed last day it was held on."""
    system = before_2026_notice
    case = open_review(system, clock)

    tick(system, "2026-03-02T09:00:00+08:00")

    [incident] = open_incidents(system)
    assert incident["case_id"] == case["id"]
    assert "合法性审查办理时限" in incident["message"]
    assert "2026年2月27日" in incident["message"]


def test_notice_moving_a_held_deadline_later_lets_it_run_to_its_real_end(before_2026_notice, clock):
    """A deadline held on its guessed last day is recounted to its real one and lapses only at 24:00 of that day."""
    system = before_2026_notice
    case = open_review(system, clock)

    tick(system, "2026-02-28T08:00:00+08:00")  # past the guessed lapse, before the real one
    assert [i["case_id"] for i in open_incidents(system)] == [case["id"]]

    load_2026(system)
    assert open_incidents(system) == []
    assert deadline(get(system, case["id"]), "review")["due_date"] == REAL_DUE

    early = tick(system, "2026-02-28T23:59:59.999999+08:00")  # the last instant of the real last day
    assert "超过办理时限" not in early.stdout
    assert deadline(get(system, case["id"]), "review")["status"] == "pending"

    on_time = tick(system, REAL_LAPSE.isoformat())
    assert "超过办理时限 1 件" in on_time.stdout
    assert deadline(get(system, case["id"]), "review")["status"] == "lapsed"


def test_provisional_deadline_not_yet_due_raises_no_incident(before_2026_notice, clock):
    """A provisional deadline is only an incident when it comes due: a sweep before its guessed lapse leaves it alone."""
    system = before_2026_notice
    case = open_review(system, clock)

    clock.move_to(at("2026-02-27T23:59:59+08:00"))
    report = system.tick(clock.now())

    assert (report.fired, report.overdue, report.incidents) == (0, 0, [])
    assert open_incidents(system) == []
    assert deadline(get(system, case["id"]), "review")["status"] == "pending"


def test_init_that_brings_the_missing_notice_recounts_provisional_deadlines_at_once(before_2026_notice, clock):
    """After an upgrade whose `xsflow init` loads the 2026 notice, a provisional deadline shows its real, earlier last day and lapses then."""
    system = before_2026_notice
    # From Wednesday 6 May 2026, 15 working days: the notice makes Saturday 9 May a working day,
    # so the real last day is 26 May; guessed without it, 27 May.
    clock.move_to(at("2026-05-06T09:00:00+08:00"))
    case = system.engine.open_case(CLERK, procedure="legality_review", agency="fgw",
                                   title="关于城区停车收费管理的规定（送审稿）")
    assert (deadline(case, "review")["due_date"], deadline(case, "review")["provisional"]) == ("2026-05-27", True)

    p = cli(system.db.url, "init")
    assert p.returncode == 0, p.stderr

    review = deadline(get(system, case["id"]), "review")
    assert (review["due_date"], review["provisional"]) == ("2026-05-26", False)
    fired = tick(system, "2026-05-27T00:00:00+08:00")  # 24:00 of the real last day
    assert "超过办理时限 1 件" in fired.stdout
    assert deadline(get(system, case["id"]), "review")["status"] == "lapsed"


def test_the_operator_is_warned_from_november_until_the_next_years_notice_is_loaded(before_2026_notice):
    """`xsflow tick` warns from 1 November that next year's notice is missing, says from which day it bites, and stops once it is loaded."""
    system = before_2026_notice
    assert "警告" not in tick(system, "2025-10-31T09:00:00+08:00").stderr
    november = tick(system, "2025-11-03T09:00:00+08:00").stderr
    assert "警告：尚未载入国务院办公厅关于2026年部分节假日安排的通知" in november
    assert "届满日在12月25日及以后的期限将按推定计算" in november and "xsflow calendar load" in november
    january = tick(system, "2026-01-05T09:00:00+08:00").stderr
    assert "2026年部分节假日安排" in january and "本年度的期限均按推定计算" in january
    load_2026(system)
    assert "警告" not in tick(system, "2026-01-05T09:05:00+08:00").stderr
