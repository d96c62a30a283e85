"""The case's place copied beside each of its parties (case_agencies; xsflow/party_places.py, the
triggers of migration 0018), on SQLite and PostgreSQL: after a party is added by every path (one by
one, in bulk) and after every kind of case write (a step, a closing step, a raw UPDATE), each party
row holds its case's procedure, version, state, closed and next_due; the party's 待办 lists the case
exactly while it is in a state where the party acts. `xsflow audit verify` names a copy gone wrong,
`xsflow audit recount` mends it."""
from __future__ import annotations

from sqlalchemy import func, select, text, update

from xsflow import party_places
from xsflow.access import Actor
from xsflow.audit_log import audit_log
from xsflow.bulk import NewCase, open_cases
from xsflow.store.schema import case_agencies, cases, history
from xsflow.todo import todo

from .conftest import at, cli
from .test_dispute_coordination import APPLICATION

OWNER, PARTY, OTHER_PARTY = "cgj", "scjgj", "jw"
REVIEWER = Actor("司法局审查员", "reviewer")


def clerk(agency: str) -> Actor:
    return Actor(f"{agency}经办人", "clerk", agency)


def dispute(system, title: str) -> dict:
    return system.engine.open_case(clerk(OWNER), procedure="dispute_coordination", agency=OWNER, title=title,
                                   data={"category": "duty", "parties": [PARTY, OTHER_PARTY]})


def copies(system, case_id: int) -> list[tuple]:
    """Each party row's copy beside the case's own place."""
    with system.db.read() as conn:
        return conn.execute(
            select(case_agencies.c.agency_code,
                   *(case_agencies.c[t] for t in party_places.COPIED),
                   *(cases.c[s] for s in party_places.COPIED.values()))
            .join(cases, cases.c.id == case_agencies.c.case_id)
            .where(case_agencies.c.case_id == case_id).order_by(case_agencies.c.agency_code)).all()


def assert_follows(system, case_id: int, state: str, closed: bool) -> None:
    rows = copies(system, case_id)
    n = len(party_places.COPIED)
    assert [r[0] for r in rows] == sorted([PARTY, OTHER_PARTY])
    for r in rows:
        assert tuple(r[1:1 + n]) == tuple(r[1 + n:]), r
        assert (r[1 + n + 3], r[1 + n + 4]) == (state, closed)
    with system.db.read() as conn:
        assert party_places.check(conn) == []


def party_todo(system, clock) -> set[int]:
    with system.db.read() as conn:
        page = todo(conn, system.registry, system.calendars.current(conn), clerk(PARTY), now=clock.now(), limit=50)
    return {i["case_id"] for i in page.items}


def test_each_party_row_follows_its_case_and_the_party_todo_with_it(system, clock):
    clock.move_to(at("2025-09-01T09:00:00+08:00"))
    one = dispute(system, "占道经营查处职责争议")["id"]
    [bulk] = open_cases(system.engine, [NewCase(clerk(OWNER), "dispute_coordination", OWNER, "户外广告监管职责争议",
                                                {"category": "duty", "parties": [PARTY, OTHER_PARTY]})])
    for case_id in (one, bulk):
        assert_follows(system, case_id, "negotiating", False)
    assert party_todo(system, clock) >= {one, bulk}  # the parties negotiate too

    clock.move_to(at("2025-09-10T10:00:00+08:00"))
    system.engine.fire(clerk(OWNER), one, "apply", APPLICATION)
    assert_follows(system, one, "application_submitted", False)
    clock.move_to(at("2025-09-12T10:00:00+08:00"))
    system.engine.fire(REVIEWER, one, "accept", {})
    assert_follows(system, one, "coordinating", False)
    with system.db.read() as conn:  # the coordination's period runs: its last day is copied too
        assert conn.execute(select(case_agencies.c.next_due).where(case_agencies.c.case_id == one)).scalars().all() \
            == [conn.execute(select(cases.c.next_due).where(cases.c.id == one)).scalar_one()] * 2 != [None, None]
    system.engine.fire(clerk(OWNER), bulk, "withdraw", {"reason": "已协商一致。"})
    assert_follows(system, bulk, "withdrawn", True)
    assert bulk not in party_todo(system, clock)

    with system.db.write() as conn:  # any writer of the case row: the copies follow
        conn.execute(update(cases).where(cases.c.id == bulk).values(state="negotiating", closed=False))
    assert_follows(system, bulk, "negotiating", False)
    assert bulk in party_todo(system, clock)

    # The party's audit log counts the entries of its own cases and of those it is a party to from the
    # copies: as many as there are, with a case of its own among them.
    system.engine.open_case(clerk(PARTY), procedure="dispute_coordination", agency=PARTY, title="本单位提起的争议",
                            data={"category": "duty", "parties": [OWNER]})
    with system.db.read() as conn:
        seen = select(cases.c.id).where(cases.c.agency_code == PARTY).union(
            select(case_agencies.c.case_id).where(case_agencies.c.agency_code == PARTY))
        entries = conn.execute(select(func.count()).select_from(history).where(history.c.case_id.in_(seen))).scalar_one()
        logged = audit_log(conn, system.registry, clerk(PARTY), limit=2)
    assert logged.total == entries == 3 + 2 + 1  # opened, applied, accepted; opened, withdrawn; its own opened


def test_verify_names_a_copy_gone_wrong_and_recount_mends_it(system, clock, db_url):
    clock.move_to(at("2025-09-01T09:00:00+08:00"))
    case_id = dispute(system, "占道经营查处职责争议")["id"]
    with system.db.write() as conn:  # as a restore with the triggers off might leave it
        conn.execute(text("UPDATE case_agencies SET state = 'withdrawn', closed = true WHERE agency_code = :a"),
                     {"a": PARTY})
    assert case_id not in party_todo(system, clock)
    broken = cli(db_url, "audit", "verify")
    assert broken.returncode == 1
    assert f"案件 {case_id} 在当事单位 {PARTY} 名下记录的办理状态与案件本身不符。" in broken.stderr
    assert "xsflow audit recount" in broken.stderr
    mended = cli(db_url, "audit", "recount")
    assert mended.returncode == 0 and "当事单位名下的案件状态更正 1 条" in mended.stdout, mended.stdout
    assert cli(db_url, "audit", "verify").returncode == 0
    assert case_id in party_todo(system, clock)


def test_a_clerk_filtering_cases_by_agency_sees_its_own_whole_and_of_others_what_it_is_party_to(system, clock):
    from xsflow.queries import list_cases

    clock.move_to(at("2025-09-01T09:00:00+08:00"))
    shared = dispute(system, "占道经营查处职责争议")["id"]
    system.engine.open_case(clerk(OWNER), procedure="dispute_coordination", agency=OWNER, title="与本单位无关的争议",
                            data={"category": "duty", "parties": [OTHER_PARTY]})
    own = system.engine.open_case(clerk(PARTY), procedure="dispute_coordination", agency=PARTY, title="本单位提起的争议",
                                  data={"category": "duty", "parties": [OTHER_PARTY]})["id"]

    def listed(agency: str) -> tuple[int, set[int]]:
        with system.db.read() as conn:
            page = list_cases(conn, system.registry, clerk(PARTY), now=clock.now(), agency=agency, limit=50)
        return page.total, {c["id"] for c in page.items}

    assert listed(PARTY) == (1, {own})
    assert listed(OWNER) == (1, {shared})  # the owner's other case is not the party's to see
