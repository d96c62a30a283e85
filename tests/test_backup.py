"""`xsflow backup` and `xsflow restore`: a round trip that `xsflow audit verify` accepts."""
from __future__ import annotations

from sqlalchemy import func, select

from tests.conftest import LEGALITY_READY, at, cli
from xsflow.access import Actor
from xsflow.store.schema import cases, documents, history

CLERK = Actor("公安局法制科", "clerk", "gaj")
REVIEWER = Actor("司法局审查科", "reviewer", "sfj")


def _fill(system, clock):
    """Three cases: one terminated by a lapse (with its documents), one under review, one withdrawn."""
    clock.move_to(at("2025-03-03T12:00:00+08:00"))
    a = system.engine.open_case(CLERK, procedure="legality_review", agency="gaj", title="甲",
                                occurred_at=at("2025-02-27T09:00:00+08:00"))
    system.engine.fire(REVIEWER, a["id"], "request_supplement", {"missing": ["legal_basis"]},
                       occurred_at=at("2025-03-03T10:00:00+08:00"))
    b = system.engine.open_case(CLERK, procedure="legality_review", agency="gaj", title="乙", data=LEGALITY_READY)
    system.engine.fire(REVIEWER, b["id"], "accept")
    c = system.engine.open_case(CLERK, procedure="legality_review", agency="gaj", title="丙")
    system.engine.fire(CLERK, c["id"], "withdraw")
    clock.move_to(at("2025-03-12T09:00:00+08:00"))
    assert system.tick().fired == 1


def _counts(url):
    from xsflow.store import Database

    db = Database(url)
    with db.read() as conn:
        result = tuple(conn.execute(select(func.count()).select_from(t)).scalar() for t in (cases, history, documents))
    db.dispose()
    return result


def test_round_trip_keeps_every_row_and_the_audit_chain(system, clock, tmp_path, new_pg_url):
    """A backup of a used database restored into a new one (SQLite or PostgreSQL) has the same rows and verifies."""
    _fill(system, clock)
    dump = tmp_path / "xsflow-backup.jsonl.gz"
    p = cli(system.db.url, "backup", str(dump))
    assert p.returncode == 0, p.stderr
    for target in (f"sqlite:///{tmp_path / 'restored.db'}", new_pg_url()):
        p = cli(target, "restore", str(dump))
        assert p.returncode == 0, p.stderr
        assert _counts(target) == _counts(system.db.url)
        verify = cli(target, "audit", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr


def test_restored_database_keeps_working_and_numbering(system, clock, tmp_path, sqlite_url):
    """After a restore new cases get fresh ids and document numbers continue the sequence."""
    _fill(system, clock)
    dump = tmp_path / "b.jsonl.gz"
    assert cli(system.db.url, "backup", str(dump)).returncode == 0
    target = f"sqlite:///{tmp_path / 'again.db'}"
    assert cli(target, "restore", str(dump)).returncode == 0
    from adapters.compose import open_system

    x = open_system(target, clock=clock)
    d = x.engine.open_case(CLERK, procedure="legality_review", agency="gaj", title="丁")
    assert d["id"] == 4
    x.engine.fire(REVIEWER, d["id"], "request_supplement", {"missing": ["other"]})
    clock.move_to(at("2025-03-20T09:00:00+08:00"))
    x.tick()
    with x.db.read() as conn:
        numbers = sorted(conn.execute(select(documents.c.number)).scalars())
    assert "秀山司终〔2025〕2号" in numbers and "秀山司补〔2025〕2号" in numbers
    x.db.dispose()


def test_restore_refuses_a_database_that_holds_cases(system, clock, tmp_path):
    """Restoring over live data is refused with a clear message and changes nothing."""
    _fill(system, clock)
    dump = tmp_path / "b.jsonl.gz"
    assert cli(system.db.url, "backup", str(dump)).returncode == 0
    before = _counts(system.db.url)
    p = cli(system.db.url, "restore", str(dump))
    assert p.returncode != 0 and "已有案件" in p.stderr
    assert _counts(system.db.url) == before
