"""cases.next_due — what 待办 is ordered by — equals the nearest last day of the case's pending
deadlines after every kind of deadline change: opening one by one and in bulk, transitions that start,
close or suspend periods, a period waiting for a document's service and the service recorded, the
sweep's lapses (a service level and a statutory period), and a recount on a newly loaded calendar.
On SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import date

from sqlalchemy import delete, func, select

from tests.conftest import at
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.calendar.notices import bundled_notices
from xsflow.service import record_service
from xsflow.store.schema import calendar_notices, cases, deadlines

OWN = "scjgj"
CLERK, REVIEWER = Actor("市场监管局经办人", "clerk", OWN), Actor("司法局审查员", "reviewer")


def stored_and_computed(system) -> dict[int, tuple[date | None, date | None]]:
    """Per case: (cases.next_due, the MIN of its pending deadlines' last days)."""
    pending = (select(deadlines.c.case_id, func.min(deadlines.c.due_date).label("due"))
               .where(deadlines.c.status == "pending").group_by(deadlines.c.case_id).subquery())
    with system.db.read() as conn:
        rows = conn.execute(select(cases.c.id, cases.c.next_due, pending.c.due)
                            .outerjoin(pending, pending.c.case_id == cases.c.id).order_by(cases.c.id)).all()
    return {r[0]: (r[1], r[2]) for r in rows}


def next_due(system) -> dict[int, date | None]:
    """cases.next_due of every case, after checking that each equals what its deadlines say."""
    found = stored_and_computed(system)
    assert {k: v[0] for k, v in found.items()} == {k: v[1] for k, v in found.items()}
    return {k: v[0] for k, v in found.items()}


def review(system, title: str, occurred: str) -> int:
    return system.engine.open_case(CLERK, procedure="legality_review", agency=OWN, title=title,
                                   occurred_at=at(occurred))["id"]


def test_next_due_follows_every_change_of_the_deadlines(system, clock):
    """Opened, opened in bulk, supplement asked (a new period), withdrawn (none left), a period waiting for service and served, lapses swept: the column equals the nearest pending last day each time."""
    clock.move_to(at("2025-03-10T12:00:00+08:00"))
    a = review(system, "送审稿甲", "2025-03-03T09:00:00+08:00")
    b = review(system, "送审稿乙", "2025-03-04T09:00:00+08:00")
    c = review(system, "送审稿丙", "2025-03-05T09:00:00+08:00")
    bulk = open_cases(system.engine, [
        NewCase(CLERK, "legality_review", OWN, "批量送审稿", occurred_at=at("2025-03-06T09:00:00+08:00")),
        NewCase(CLERK, "criminal_transfer", OWN, "涉嫌犯罪案件一",  # no period runs until it is reported
                {"case_number": "秀市监立〔2025〕1号", "suspected_offence": "生产、销售伪劣产品罪"})])
    due = next_due(system)
    assert all(due[i] is not None for i in (a, b, c, bulk[0])) and due[bulk[1]] is None
    assert due[a] < due[b] < due[c]

    system.engine.fire(REVIEWER, a, "request_supplement", {"missing": ["legal_basis"]},
                       occurred_at=at("2025-03-07T10:00:00+08:00"))  # served at issue (the tests' setting)
    after_supplement = next_due(system)[a]
    assert after_supplement is not None and after_supplement != due[a]

    system.engine.fire(CLERK, b, "withdraw", {})
    assert next_due(system)[b] is None

    # The default configuration: the supplement period waits for its notice's service, then runs.
    system.engine.served_at_issue = frozenset()
    case = system.engine.fire(REVIEWER, c, "request_supplement", {"missing": ["legal_basis"]},
                              occurred_at=at("2025-03-10T10:00:00+08:00"))
    assert [d["status"] for d in case["deadlines"] if d["name"] == "supplement"] == ["awaiting_service"]
    assert next_due(system)[c] is None  # nothing pending has a last day yet
    [notice] = case["documents"]
    record_service(system.engine, REVIEWER, notice["id"], {"mode": "direct", "served_on": date(2025, 3, 10)})
    served = next_due(system)[c]
    assert served is not None and served > date(2025, 3, 10)

    # The sweep a month on: the reviews' service levels and the supplement periods lapse.
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    report = system.tick(clock.now())
    assert report.fired + report.overdue >= 3
    assert next_due(system)[bulk[0]] is None  # its review period lapsed: nothing pending


def test_next_due_follows_a_recount_on_a_newly_loaded_calendar(system, clock):
    """A last day guessed without the 2026 notice is counted again when the notice is loaded: so is next_due."""
    with system.db.write() as conn:
        conn.execute(delete(calendar_notices).where(calendar_notices.c.kind == "state_council",
                                                    calendar_notices.c.year == 2026))
    clock.move_to(at("2026-02-02T09:00:00+08:00"))
    case_id = system.engine.open_case(CLERK, procedure="legality_review", agency=OWN, title="关于规范农村集体资产管理的办法（送审稿）")["id"]
    assert next_due(system)[case_id] == date(2026, 2, 27)  # guessed: no make-up working days
    [notice] = [n for n in bundled_notices() if n.kind == "state_council" and n.year == 2026]
    assert system.load_notice(notice)[1] == 1
    assert next_due(system)[case_id] == date(2026, 2, 28)  # the real 15th working day (a make-up Saturday)
