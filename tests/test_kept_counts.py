"""The counts PostgreSQL keeps for the overdue summary, 待办, the audit log and the case list
(xsflow/kept_counts.py, the triggers of migrations 0016, 0017 and 0019): after every kind of
change — cases opened one by one and in bulk, lapses swept, deadlines met or cancelled, cases closed
or moved to another agency by any writer, days passing — the totals read from the counts equal those
counted from the rows, for every filter and role; `xsflow audit verify` names a count that no longer
agrees, and `xsflow audit recount` mends it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update

from xsflow import kept_counts, overdue
from xsflow.audit_log import audit_log
from xsflow.queries import list_cases
from xsflow.todo import todo
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.calendar import local_date
from xsflow.store.schema import cases, open_case_count_changes, overdue_count_changes

from .conftest import LEGALITY_READY, at, cli

pytestmark = pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)],
                                     indirect=True)

UNIT, OTHER = "scjgj", "gaj"
SUPERVISOR = Actor("王五（wang）", "supervisor")
FILTERS = [overdue.Filters(), overdue.Filters(agency=UNIT), overdue.Filters(procedure="legality_review"),
           overdue.Filters(band="1-5"), overdue.Filters(band="21+"), overdue.Filters(min_days=3),
           overdue.Filters(service_level=True), overdue.Filters(service_level=False),
           overdue.Filters(due_from=date(2025, 4, 1), due_to=date(2025, 5, 20))]


def clerk(agency: str) -> Actor:
    return Actor(f"{agency}经办人", "clerk", agency)


def summaries(system, now, monkeypatch) -> list[tuple[dict, dict]]:
    """(from the kept counts, counted from the deadlines) for every filter."""
    out = []
    with system.db.read() as conn:
        bands = overdue.Bands(system.calendars.current(conn), local_date(now))
        for filters in FILTERS:
            kept = overdue.summary(conn, SUPERVISOR, now=now, filters=filters, bands=bands)
            with monkeypatch.context() as m:
                m.setattr(kept_counts, "kept", lambda conn: False)
                counted = overdue.summary(conn, SUPERVISOR, now=now, filters=filters, bands=bands)
            out.append((kept, counted))
    return out


TODO_READERS = [Actor("李四（li）", "reviewer"), SUPERVISOR, Actor(f"{UNIT}经办人", "clerk", UNIT),
                Actor(f"{OTHER}经办人", "clerk", OTHER),
                Actor("中和街道办事处监督员", "township", "zhjd-zf", area=frozenset({"zhjd-zfdd"}))]
NARROWED = [{}, {"state": "submitted"}, {"procedure": "criminal_transfer", "agency": UNIT}]


def todo_totals(system, now, monkeypatch) -> list[tuple[int, int]]:
    """(from the kept counts, counted from the cases) for each reader and narrowing of 待办."""
    out = []
    with system.db.read() as conn:
        calendar = system.calendars.current(conn)
        for actor in TODO_READERS:
            for narrowed in NARROWED:
                kept = todo(conn, system.registry, calendar, actor, now=now, limit=2, **narrowed).total
                with monkeypatch.context() as m:
                    m.setattr(kept_counts, "kept", lambda conn: False)
                    counted = todo(conn, system.registry, calendar, actor, now=now, limit=2, **narrowed).total
                out.append((kept, counted))
    return out


AUDIT_NARROWED = [(SUPERVISOR, {}), (SUPERVISOR, {"procedure": "legality_review"}), (SUPERVISOR, {"agency": UNIT}),
                  (SUPERVISOR, {"agency": OTHER, "procedure": "complaint"}),
                  (clerk(UNIT), {"agency": UNIT}), (clerk(UNIT), {"agency": UNIT, "procedure": "legality_review"}),
                  (clerk(UNIT), {"agency": OTHER})]


LIST_READERS = [SUPERVISOR, Actor(f"{UNIT}经办人", "clerk", UNIT)]
LIST_NARROWED = [{}, {"agency": UNIT}, {"procedure": "legality_review", "state": "submitted"},
                 {"agency": OTHER, "procedure": "legality_review"}]


def case_list_totals(system, now, monkeypatch) -> list[tuple[int, int]]:
    """(from the kept counts, counted from the cases) of the case list, for each reader and narrowing."""
    out = []
    with system.db.read() as conn:
        for actor in LIST_READERS:
            for narrowed in LIST_NARROWED:
                kept = list_cases(conn, system.registry, actor, now=now, limit=2, **narrowed).total
                with monkeypatch.context() as m:
                    m.setattr(kept_counts, "kept", lambda conn: False)
                    counted = list_cases(conn, system.registry, actor, now=now, limit=2, **narrowed).total
                out.append((kept, counted))
    return out


def audit_log_totals(system, monkeypatch) -> list[tuple[int, int]]:
    """(from the kept counts, counted from the entries) of the audit log, for each reader and narrowing
    (a clerk's own agency is read from the counts too; another agency's, through the clerk's scope)."""
    out = []
    with system.db.read() as conn:
        for reader, narrowed in AUDIT_NARROWED:
            kept = audit_log(conn, system.registry, reader, limit=2, **narrowed).total
            with monkeypatch.context() as m:
                m.setattr(kept_counts, "kept", lambda conn: False)
                counted = audit_log(conn, system.registry, reader, limit=2, **narrowed).total
            out.append((kept, counted))
    return out


def assert_agree(system, clock, monkeypatch) -> int:
    pairs = summaries(system, clock.now(), monkeypatch)
    for filters, (kept, counted) in zip(FILTERS, pairs):
        assert kept == counted, filters
    totals = todo_totals(system, clock.now(), monkeypatch)
    assert [kept for kept, _ in totals] == [counted for _, counted in totals]
    assert any(kept for kept, _ in totals)
    logged = audit_log_totals(system, monkeypatch)
    assert [kept for kept, _ in logged] == [counted for _, counted in logged]
    assert all(kept for kept, _ in logged[:2])
    listed = case_list_totals(system, clock.now(), monkeypatch)
    assert [kept for kept, _ in listed] == [counted for _, counted in listed]
    assert all(kept for kept, _ in listed[:2])
    with system.db.read() as conn:
        assert kept_counts.check(conn) == []
    return pairs[0][0]["total"]


def test_the_kept_counts_follow_every_change(system, clock, monkeypatch):
    ids = []
    for n in range(12):  # one by one, every third day from 3 March 2025, in two agencies
        clock.move_to(at((date(2025, 3, 3) + timedelta(days=3 * n)).isoformat() + "T09:00:00+08:00"))
        agency = UNIT if n % 3 else OTHER
        ids.append(system.engine.open_case(clerk(agency), procedure="legality_review", agency=agency,
                                           title=f"第{n}号送审稿", occurred_at=clock.now(), data=LEGALITY_READY)["id"])
    # A transfer approved at 15时 on 27 May must reach the police within 24 hours: its last day is the
    # day it lapses on, so on 28 May after 15时 it is one of today's lapses, counted from the deadlines.
    clock.move_to(at("2025-05-27T15:00:00+08:00"))
    transfer = system.engine.open_case(clerk(UNIT), procedure="criminal_transfer", agency=UNIT, title="某商行销售假冒商品案",
                                       data={"case_number": "秀山市监罚〔2025〕9号", "suspected_offence": "销售假冒注册商标的商品罪"},
                                       occurred_at=clock.now())["id"]
    system.engine.fire(clerk(UNIT), transfer, "submit_report", {"team": "执法人员张某、李某", "facts": "销售金额逾十万元。"})
    system.engine.fire(clerk(UNIT), transfer, "approve", {"reasons": "同意移送。"})
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    total = assert_agree(system, clock, monkeypatch)
    assert total >= 8  # most review periods have lapsed, before the sweep marks them

    system.tick()  # lapses marked overdue, and the changes folded in
    with system.db.read() as conn:
        assert conn.execute(select(overdue_count_changes)).first() is None
        assert conn.execute(select(open_case_count_changes)).first() is None
    assert assert_agree(system, clock, monkeypatch) == total

    system.engine.fire(clerk(UNIT), ids[1], "withdraw")  # closed, its deadline cancelled
    system.engine.fire(Actor("李四（li）", "reviewer"), ids[2], "accept")  # the acceptance period met
    assert assert_agree(system, clock, monkeypatch) < total

    with system.db.write() as conn:  # any writer: the case table itself, as a repair script would
        conn.execute(update(cases).where(cases.c.id == ids[4]).values(closed=True))
        conn.execute(update(cases).where(cases.c.id == ids[5]).values(agency_code=OTHER))
        conn.execute(update(cases).where(cases.c.id == ids[4]).values(closed=False))
    assert_agree(system, clock, monkeypatch)

    open_cases(system.engine, [NewCase(clerk(OTHER), "legality_review", OTHER, f"批量送审稿{i}",
                                       occurred_at=at("2025-04-1%dT09:00:00+08:00" % i), data=LEGALITY_READY)
                               for i in range(5)])
    with system.db.read() as conn:  # a bulk load folds what it appended: the next sweep has nothing to do
        assert conn.execute(select(overdue_count_changes)).first() is None
        assert conn.execute(select(open_case_count_changes)).first() is None
    assert_agree(system, clock, monkeypatch)

    before = assert_agree(system, clock, monkeypatch)
    clock.move_to(at("2025-05-28T16:00:00+08:00"))  # the transfer lapsed an hour ago: pending, then marked
    assert assert_agree(system, clock, monkeypatch) == before + 1
    system.tick()
    assert assert_agree(system, clock, monkeypatch) == before + 1
    for day in ("2025-05-29T23:30:00+08:00", "2025-06-09T08:00:00+08:00", "2025-07-01T10:00:00+08:00"):
        clock.move_to(at(day))  # the bands move with the days; today's lapses come from the deadlines
        assert_agree(system, clock, monkeypatch)
        system.tick()
        assert_agree(system, clock, monkeypatch)


def test_verify_names_a_count_gone_wrong_and_recount_mends_it(system, clock, db_url):
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    system.engine.open_case(clerk(UNIT), procedure="legality_review", agency=UNIT, title="送审稿",
                            occurred_at=clock.now(), data=LEGALITY_READY)
    with system.db.write() as conn:
        conn.execute(text("INSERT INTO overdue_count_changes (agency_code, procedure, due_date, service_level, n) "
                          "VALUES ('scjgj', 'legality_review', DATE '2025-03-04', true, 2)"))
        conn.execute(text("UPDATE open_case_counts SET n = n + 1"))  # none yet: the first change is unfolded
        conn.execute(text("INSERT INTO open_case_count_changes (agency_code, procedure, definition_version, state, n) "
                          "VALUES ('scjgj', 'legality_review', 1, 'submitted', -1)"))
    broken = cli(db_url, "audit", "verify")
    assert broken.returncode == 1
    assert "逾期计数：单位 scjgj、程序 legality_review、最后一日 2025-03-04（办理时限） 记为 2 项，实有 0 项。" in broken.stderr
    assert "待办计数：单位 scjgj、程序 legality_review（第 1 版）、状态 submitted 记为 0 项，实有 1 项。" in broken.stderr
    assert "xsflow audit recount" in broken.stderr
    mended = cli(db_url, "audit", "recount")
    assert mended.returncode == 0 and "已重新计数" in mended.stdout
    assert cli(db_url, "audit", "verify").returncode == 0
