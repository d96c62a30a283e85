"""The timer sweep, in-process on SQLite and PostgreSQL: deadlines fire once, atomically, at 24:00
of their last day (民法典 第二百零三条), and a person cannot act past a lapse the sweep has not yet
processed.

Time is moved only with the fixture's FixedClock and `system.tick(now)`; nothing sleeps.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select

from tests.conftest import LEGALITY_READY, at
from xsflow import overdue, queries
from xsflow.access import Actor
from xsflow.errors import TriggerNotAllowed, http_status
from xsflow.store.schema import cases, document_sequences, history
from xsflow.store.schema import documents as documents_table
from xsflow.timers import sweep
from adapters.compose import open_system

CLERK = Actor("发改委经办人", "clerk", "fgw")
OTHER_CLERK = Actor("教委经办人", "clerk", "jw")
REVIEWER = Actor("司法局审查员", "reviewer")
SUPERVISOR = Actor("监督科", "supervisor")

OPENED = at("2025-03-03T09:00:00+08:00")  # a Monday; no holiday in March 2025
NOTICE_SERVED = at("2025-03-03T10:00:00+08:00")
# 5 working days from Monday 3 March: 4, 5, 6, 7, 10 March; the period ends at 24:00 of 10 March.
SUPPLEMENT_DUE = "2025-03-10"
SUPPLEMENT_LAPSES = at("2025-03-11T00:00:00+08:00")
# 15 working days of review from 3 March: last day Monday 24 March.
REVIEW_LAPSES = at("2025-03-25T00:00:00+08:00")


def open_case(system, clock, title: str = "关于加强城区占道经营管理的通告（送审稿）", *, actor: Actor = CLERK,
              when: datetime = OPENED) -> dict:
    clock.move_to(when)
    return system.engine.open_case(actor, procedure="legality_review", agency=actor.agency, title=title, data=LEGALITY_READY)


def awaiting_supplement(system, clock, title: str = "关于加强城区占道经营管理的通告（送审稿）", *,
                        actor: Actor = CLERK) -> dict:
    """A case whose supplement notice was served on Monday 3 March 2025 at 10:00."""
    case = open_case(system, clock, title, actor=actor)
    clock.move_to(NOTICE_SERVED)
    case = system.engine.fire(REVIEWER, case["id"], "request_supplement", {"missing": ["legal_basis"]})
    assert case["state"] == "awaiting_supplement"
    return case


def get(system, case_id: int, actor: Actor = REVIEWER) -> dict:
    with system.db.read() as conn:
        return queries.get_case(system.engine, conn, actor, case_id)


def entries(system, case_id: int) -> list[dict]:
    with system.db.read() as conn:
        return queries.case_history(conn, REVIEWER, case_id).items


def open_incidents(system) -> list[dict]:
    with system.db.read() as conn:
        return queries.open_incidents(conn, SUPERVISOR).items


def deadline(case: dict, name: str) -> dict:
    [d] = [d for d in case["deadlines"] if d["name"] == name]
    return d


def termination_opinions(case: dict) -> list[dict]:
    return [d for d in case["documents"] if d["kind"] == "termination_opinion"]


def install_document_rejection(system, case_id: int) -> None:
    """Makes the database itself refuse to store any document of `case_id` (a real trigger)."""
    with system.db.write() as conn:
        if system.db.is_sqlite:
            conn.exec_driver_sql(
                f"CREATE TRIGGER reject_documents BEFORE INSERT ON documents WHEN NEW.case_id = {case_id} "
                "BEGIN SELECT RAISE(ABORT, 'document store refused the insert'); END")
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION reject_documents() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'document store refused the insert'; END $$")
            conn.exec_driver_sql(
                "CREATE TRIGGER reject_documents BEFORE INSERT ON documents FOR EACH ROW "
                f"WHEN (NEW.case_id = {case_id}) EXECUTE FUNCTION reject_documents()")


def remove_document_rejection(system) -> None:
    with system.db.write() as conn:
        if system.db.is_sqlite:
            conn.exec_driver_sql("DROP TRIGGER reject_documents")
        else:
            conn.exec_driver_sql("DROP TRIGGER reject_documents ON documents")
            conn.exec_driver_sql("DROP FUNCTION reject_documents()")


def test_deadline_missed_while_down_fires_at_next_sweep_recording_lapse_and_processing_instants(system, clock):
    """A lapse missed while nothing ran fires at the next sweep; history keeps the legal lapse instant and when it was processed."""
    case = awaiting_supplement(system, clock)
    back_up = at("2025-03-20T09:30:00+08:00")  # ten days after the lapse, everything restarts
    clock.move_to(back_up)

    report = system.tick(clock.now())

    assert report.fired == 1
    after = get(system, case["id"])
    assert after["state"] == "terminated" and after["closed"] is True
    assert deadline(after, "supplement")["status"] == "lapsed"
    [opinion] = termination_opinions(after)
    assert opinion["number"] == "秀山司终〔2025〕1号"
    assert opinion["legal_instant"] == "2025-03-10T16:00:00Z"  # 24:00 of 10 March, Beijing time
    assert opinion["issued_at"] == "2025-03-20T01:30:00Z"
    last = entries(system, case["id"])[-1]
    assert last["trigger"] == "supplement_lapsed" and last["actor_role"] == "timer"
    assert (last["from_state"], last["to_state"]) == ("awaiting_supplement", "terminated")
    assert last["occurred_at"] == "2025-03-10T16:00:00Z"
    assert last["recorded_at"] == "2025-03-20T01:30:00Z"
    # the period's bounds: the notice served (at issue) on 3 March, its last day; a reopening checks against both
    assert last["payload"] == {"deadline": "supplement", "start_date": "2025-03-03", "due_date": SUPPLEMENT_DUE}
    assert system.audit() is None


def test_leaving_the_state_in_time_marks_the_deadline_met_and_nothing_fires(system, clock):
    """Supplying every listed item before the lapse marks the deadline met, and a later sweep does nothing to the case."""
    case = awaiting_supplement(system, clock)
    clock.move_to(at("2025-03-07T15:00:00+08:00"))
    case = system.engine.fire(CLERK, case["id"], "supplement", {"items": ["legal_basis"]})
    assert case["state"] == "under_review"
    assert deadline(case, "supplement")["status"] == "met"

    clock.move_to(at("2025-03-20T09:00:00+08:00"))
    report = system.tick(clock.now())

    assert report.fired == 0
    after = get(system, case["id"])
    assert after["state"] == "under_review"
    assert deadline(after, "supplement")["status"] == "met"
    assert termination_opinions(after) == []
    assert [e["trigger"] for e in entries(system, case["id"])] == ["open", "request_supplement", "supplement"]


def test_sweep_at_exactly_the_lapse_instant_fires_and_one_microsecond_before_does_not(system, clock):
    """The period ends at 24:00 of its last day: a sweep at 23:59:59.999999 leaves the case, one at 24:00 terminates it."""
    case = awaiting_supplement(system, clock)

    clock.move_to(SUPPLEMENT_LAPSES - timedelta(microseconds=1))
    early = system.tick(clock.now())
    assert early.fired == 0
    assert get(system, case["id"])["state"] == "awaiting_supplement"
    assert deadline(get(system, case["id"]), "supplement")["status"] == "pending"

    clock.move_to(SUPPLEMENT_LAPSES)
    on_time = system.tick(clock.now())
    assert on_time.fired == 1
    after = get(system, case["id"])
    assert after["state"] == "terminated"
    assert entries(system, case["id"])[-1]["recorded_at"] == "2025-03-10T16:00:00Z"


def test_two_sweeps_fire_a_lapse_once(system, clock):
    """Sweeping twice, at the same instant and later, issues one termination opinion and one history entry."""
    case = awaiting_supplement(system, clock)
    clock.move_to(at("2025-03-12T09:00:00+08:00"))

    first = system.tick(clock.now())
    second = system.tick(clock.now())
    clock.move_to(at("2025-04-01T09:00:00+08:00"))
    third = system.tick(clock.now())

    assert (first.fired, second.fired, third.fired) == (1, 0, 0)
    after = get(system, case["id"])
    assert len(termination_opinions(after)) == 1
    assert [e["trigger"] for e in entries(system, case["id"])] == ["open", "request_supplement", "supplement_lapsed"]
    with system.db.read() as conn:
        assert conn.execute(select(document_sequences.c.last)
                            .where(document_sequences.c.prefix == "秀山司终")).scalar_one() == 1


@pytest.mark.postgres
def test_a_case_held_by_a_person_is_left_to_the_next_sweep_and_reported(pg_url, clock):
    """PostgreSQL: a sweep passes over a case whose row a person's transition holds, says so, and the next sweep fires it."""
    system = open_system(pg_url, clock=clock)
    system.init()
    held, free = awaiting_supplement(system, clock), awaiting_supplement(system, clock, "关于规范户外广告设置的通告（送审稿）")
    clock.move_to(at("2025-03-12T09:00:00+08:00"))
    person = create_engine(pg_url)
    try:
        with person.connect() as conn, conn.begin():  # as a transition in progress holds it
            conn.execute(select(cases.c.id).where(cases.c.id == held["id"]).with_for_update())
            report = system.tick(clock.now())
        assert (report.fired, report.left_due) == (1, 1)
        assert get(system, held["id"])["state"] == "awaiting_supplement"
        assert get(system, free["id"])["state"] == "terminated"
        later = system.tick(clock.now())
        assert (later.fired, later.left_due) == (1, 0)
        assert get(system, held["id"])["state"] == "terminated"
    finally:
        person.dispose()
        system.db.dispose()


def test_failed_document_issue_writes_nothing_of_the_lapse_raises_an_incident_and_other_cases_still_fire(system, clock):
    """If the termination opinion cannot be stored, that lapse leaves no trace but an incident, and other cases' lapses fire."""
    broken = awaiting_supplement(system, clock, "甲文件（送审稿）")
    healthy = awaiting_supplement(system, clock, "乙文件（送审稿）", actor=OTHER_CLERK)
    install_document_rejection(system, broken["id"])
    with system.db.read() as conn:
        history_before = conn.execute(select(func.count()).select_from(history)).scalar_one()
    clock.move_to(at("2025-03-12T09:00:00+08:00"))

    report = system.tick(clock.now())

    assert report.fired == 1
    ok = get(system, healthy["id"])
    assert ok["state"] == "terminated"
    assert [d["number"] for d in termination_opinions(ok)] == ["秀山司终〔2025〕1号"]
    # Nothing of the failed lapse: state, version, deadline, history and documents as before.
    still = get(system, broken["id"])
    assert still["state"] == "awaiting_supplement"
    assert still["version"] == broken["version"]
    assert deadline(still, "supplement")["status"] == "pending"
    assert termination_opinions(still) == []
    assert [e["trigger"] for e in entries(system, broken["id"])] == ["open", "request_supplement"]
    with system.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(history)).scalar_one() == history_before + 1
    # The operator sees why.
    incidents = open_incidents(system)
    assert [(i["kind"], i["case_id"]) for i in incidents] == [("lapse_failed", broken["id"])]
    assert str(broken["id"]) in incidents[0]["message"]
    assert any(str(broken["id"]) in m for m in report.incidents)

    # Once the store accepts documents again, the next sweep fires it with the next number: no gap.
    remove_document_rejection(system)
    clock.move_to(at("2025-03-12T09:05:00+08:00"))
    assert system.tick(clock.now()).fired == 1
    fixed = get(system, broken["id"])
    assert fixed["state"] == "terminated"
    assert [d["number"] for d in termination_opinions(fixed)] == ["秀山司终〔2025〕2号"]
    assert entries(system, broken["id"])[-1]["occurred_at"] == "2025-03-10T16:00:00Z"
    assert system.audit() is None


def test_a_lapse_that_keeps_failing_is_one_open_incident_closed_when_the_lapse_succeeds(system, clock):
    """A sweep retrying a broken lapse every run does not pile up incidents, and the incident closes once the lapse fires."""
    broken = awaiting_supplement(system, clock)
    install_document_rejection(system, broken["id"])
    for minute in range(3):  # the worker sweeps every minute
        clock.move_to(at(f"2025-03-12T09:0{minute}:00+08:00"))
        system.tick(clock.now())

    incidents = open_incidents(system)
    assert [(i["kind"], i["case_id"]) for i in incidents] == [("lapse_failed", broken["id"])]

    remove_document_rejection(system)
    clock.move_to(at("2025-03-12T09:10:00+08:00"))
    assert system.tick(clock.now()).fired == 1
    assert open_incidents(system) == []


@pytest.mark.parametrize("occurred", [SUPPLEMENT_LAPSES, SUPPLEMENT_LAPSES + timedelta(hours=10)],
                         ids=["at-lapse", "after-lapse"])
def test_person_acting_at_or_after_a_pending_lapse_is_refused_naming_the_deadline(system, clock, occurred):
    """Before the sweep has run, a supplement dated at or after 24:00 of the last day is refused with 409 naming the deadline."""
    case = awaiting_supplement(system, clock)
    clock.move_to(at("2025-03-11T11:00:00+08:00"))  # lapsed, but no sweep has run yet

    with pytest.raises(TriggerNotAllowed) as refused:
        system.engine.fire(CLERK, case["id"], "supplement", {"items": ["legal_basis"]}, occurred_at=occurred)

    assert http_status(refused.value) == 409
    assert "补正材料期限" in refused.value.message
    assert "2025年3月10日" in refused.value.message
    after = get(system, case["id"])
    assert after["state"] == "awaiting_supplement" and after["version"] == case["version"]
    assert deadline(after, "supplement")["status"] == "pending"
    assert len(entries(system, case["id"])) == 2
    # The sweep then does what the law says.
    assert system.tick(clock.now()).fired == 1
    assert get(system, case["id"])["state"] == "terminated"


def test_person_acting_one_microsecond_before_the_lapse_is_accepted_even_when_recorded_late(system, clock):
    """Materials received at 23:59:59.999999 of the last day but recorded next morning meet the deadline."""
    case = awaiting_supplement(system, clock)
    clock.move_to(at("2025-03-11T11:00:00+08:00"))

    case = system.engine.fire(CLERK, case["id"], "supplement", {"items": ["legal_basis"]},
                              occurred_at=SUPPLEMENT_LAPSES - timedelta(microseconds=1))

    assert case["state"] == "under_review"
    assert deadline(case, "supplement")["status"] == "met"
    assert system.tick(clock.now()).fired == 0
    assert get(system, case["id"])["state"] == "under_review"


def test_service_level_deadline_lapsing_makes_the_case_overdue_without_moving_it(system, clock):
    """Past the 15 working days of review the case is overdue for the supervisor, but stays where it is, with no document."""
    case = open_case(system, clock)
    assert deadline(case, "review")["due_date"] == "2025-03-24"
    clock.move_to(REVIEW_LAPSES)

    report = system.tick(clock.now())

    assert (report.fired, report.overdue) == (0, 1)
    after = get(system, case["id"], SUPERVISOR)
    assert after["state"] == "submitted" and after["version"] == case["version"]
    assert after["overdue"] is True
    assert deadline(after, "review")["status"] == "lapsed"
    assert after["documents"] == []
    assert [e["trigger"] for e in entries(system, case["id"])] == ["open"]
    with system.db.read() as conn:
        calendar = system.calendars.current(conn)
        listed = overdue.page(conn, system.registry, calendar, SUPERVISOR, now=clock.now()).items
        overdue_cases = queries.list_cases(conn, system.registry, SUPERVISOR, now=clock.now(), overdue=True).items
    assert [(i["case_id"], i["deadline"], i["due_date"]) for i in listed] == [(case["id"], "review", "2025-03-24")]
    assert [c["id"] for c in overdue_cases] == [case["id"]]
    # Counted once, and the reviewer can still act on the case.
    assert system.tick(clock.now()).overdue == 0
    clock.move_to(at("2025-03-25T10:00:00+08:00"))
    accepted = system.engine.fire(REVIEWER, case["id"], "accept")
    assert accepted["state"] == "under_review" and accepted["overdue"] is True


def install_rejection(system, table: str, case_id: int) -> None:
    """Makes the database itself refuse to store any row of `table` for `case_id` (a real trigger)."""
    with system.db.write() as conn:
        if system.db.is_sqlite:
            conn.exec_driver_sql(
                f"CREATE TRIGGER reject_rows BEFORE INSERT ON {table} WHEN NEW.case_id = {case_id} "
                "BEGIN SELECT RAISE(ABORT, 'the store refused the insert'); END")
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION reject_rows() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the store refused the insert'; END $$")
            conn.exec_driver_sql(
                f"CREATE TRIGGER reject_rows BEFORE INSERT ON {table} FOR EACH ROW "
                f"WHEN (NEW.case_id = {case_id}) EXECUTE FUNCTION reject_rows()")


@pytest.mark.parametrize("table", ["documents", "history"])
def test_a_lapse_failing_inside_a_batch_holds_back_only_its_own_case(system, clock, table):
    """Seven lapses swept three to a transaction, the fourth case's document (or history entry, which
    PostgreSQL writes at the end of the batch) refused: the six others fire once each with opinions
    numbered 1 to 6, the fourth is one incident and untouched, and it fires with number 7 once fixed."""
    opened = [awaiting_supplement(system, clock, f"第{i + 1}号文件（送审稿）") for i in range(7)]
    broken = opened[3]
    install_rejection(system, table, broken["id"])
    clock.move_to(at("2025-03-12T09:00:00+08:00"))

    report = sweep(system.engine, clock.now(), batch=3)

    assert report.fired == 6 and report.left_due == 1
    numbers = sorted(d["number"] for c in opened if c is not broken for d in termination_opinions(get(system, c["id"])))
    assert numbers == sorted(f"秀山司终〔2025〕{n}号" for n in range(1, 7))
    for c in opened:
        triggers = [e["trigger"] for e in entries(system, c["id"])]
        assert triggers == ["open", "request_supplement"] + ([] if c is broken else ["supplement_lapsed"])
    still = get(system, broken["id"])
    assert (still["state"], still["version"]) == ("awaiting_supplement", broken["version"])
    assert [(i["kind"], i["case_id"]) for i in open_incidents(system)] == [("lapse_failed", broken["id"])]

    with system.db.write() as conn:
        conn.exec_driver_sql("DROP TRIGGER reject_rows" if system.db.is_sqlite else "DROP TRIGGER reject_rows ON " + table)
    clock.move_to(at("2025-03-12T09:05:00+08:00"))
    assert system.tick(clock.now()).fired == 1
    assert [d["number"] for d in termination_opinions(get(system, broken["id"]))] == ["秀山司终〔2025〕7号"]
    assert open_incidents(system) == []
    assert system.audit() is None


@pytest.mark.postgres
def test_a_batch_numbers_its_documents_at_its_end_so_the_series_is_free_while_it_lapses(pg_url, clock):
    """PostgreSQL: the documents a sweep's batch issues are numbered when it ends, in the order issued.
    While it runs, a person's step may take the series' next number (the counter is not held from the
    batch's first document on); the batch's numbers follow it, with no gap and no number twice. A batch
    that fails consumes no number."""
    from xsflow import documents
    from xsflow.numbering import next_sequence

    system = open_system(pg_url, clock=clock)
    system.init()
    opened = [open_case(system, clock, f"第{i + 1}号文件（送审稿）") for i in range(3)]
    kind = system.engine.registry.versions("legality_review")[-1].document("termination_opinion")
    person = create_engine(pg_url)
    try:
        def issue(conn, case: dict) -> dict:
            return documents.issue(conn, case_id=case["id"], kind=kind, issued_at=clock.now(), year=2025,
                                   legal_instant=None, facts={}, history_seq=1)

        with pytest.raises(RuntimeError), system.db.write() as conn, documents.numbered_at_end(conn):
            issue(conn, opened[0])
            raise RuntimeError("the batch fails")
        with system.db.write() as conn:
            with documents.numbered_at_end(conn):
                held = [issue(conn, c) for c in opened]
                assert [d["number"] for d in held] == [None, None, None]
                with person.connect() as other, other.begin():  # would wait for the batch if it held the counter
                    other.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                    assert next_sequence(other, kind.prefix, 2025) == 1
            assert [d["number"] for d in held] == [f"秀山司终〔2025〕{n}号" for n in (2, 3, 4)]
        with system.db.read() as conn:
            stored = conn.execute(select(documents_table.c.case_id, documents_table.c.number)
                                  .order_by(documents_table.c.seq)).all()
            assert stored == [(c["id"], f"秀山司终〔2025〕{n}号") for c, n in zip(opened, (2, 3, 4))]
            assert conn.execute(select(document_sequences.c.last)).scalar_one() == 4
    finally:
        person.dispose()
        system.db.dispose()
