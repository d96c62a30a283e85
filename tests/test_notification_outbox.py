"""The notification outbox in process, on SQLite and PostgreSQL: the sender comes from the adapters,
`collect` reads only the history after its mark, and `deliver` only pending rows."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from adapters.compose import notification_sender, open_system
from tests.conftest import at
from xsflow import liaison
from xsflow.access import Actor
from xsflow.liaison import LogSender
from xsflow.store.schema import history, notification_marks, notifications

OFFICE = Actor("县司法局", "reviewer", "sfj")
DIRECTOR = Actor("监督科", "supervisor")


class Recorder:
    """A sender that keeps what it was given; `fail_for` raises for one recipient."""

    sent: list[dict[str, Any]] = []

    def __init__(self, fail_for: str | None = None) -> None:
        self.fail_for = fail_for

    def send(self, notification):
        if notification["recipient"].startswith(self.fail_for or "\0"):
            raise RuntimeError("gateway down")
        Recorder.sent.append(dict(notification))


def recorder() -> Recorder:
    return Recorder(fail_for="刘洋")


def a_called_meeting(system, clock) -> int:
    clock.move_to(at("2025-10-08T09:00:00+08:00"))
    e = system.engine
    mid = e.open_case(OFFICE, procedure="joint_meeting", agency="sfj", title="联席会议",
                      data={"members": ["gaj", "scjgj"]})["id"]
    e.fire(Actor("公安经办", "clerk", "gaj"), mid, "propose_topic", {"topic": "执法证件管理"})
    e.fire(OFFICE, mid, "submit_agenda", {"topics": [1]})
    e.fire(DIRECTOR, mid, "approve_agenda", {"approved_by": "联席会议主任"})
    e.fire(OFFICE, mid, "send_notice", {"meeting_date": "2025-10-20", "meeting_time": "下午3时", "place": "县司法局",
                                        "chair": "局长", "reporting": ["gaj"], "reports_due": "2025-10-17"})
    return mid


def name_officers(system, agency: str, people: list[dict[str, str]]) -> None:
    with system.db.write() as conn:
        liaison.name_officers(conn, OFFICE, agency, people, system.clock.now())


def test_the_sender_is_the_adapters_and_a_failure_stops_no_other(system, clock, monkeypatch, db_url):
    monkeypatch.setenv("XSFLOW_NOTIFICATION_SENDER", "tests.test_notification_outbox:recorder")
    assert isinstance(notification_sender(), Recorder)
    monkeypatch.delenv("XSFLOW_NOTIFICATION_SENDER")
    assert isinstance(notification_sender(), LogSender)
    monkeypatch.setenv("XSFLOW_NOTIFICATION_SENDER", "no_such_module:factory")
    with pytest.raises(SystemExit, match="XSFLOW_NOTIFICATION_SENDER"):
        notification_sender()

    Recorder.sent = []
    monkeypatch.setenv("XSFLOW_NOTIFICATION_SENDER", "tests.test_notification_outbox:recorder")
    x = open_system(db_url, clock=clock)
    try:
        name_officers(x, "gaj", [{"name": "王敏", "phone": "1"}, {"name": "刘洋", "phone": "2"}])
        a_called_meeting(x, clock)
        assert x.notify(clock.now() + timedelta(minutes=1)) == 1
        assert [n["recipient"] for n in Recorder.sent] == ["王敏（1）"]
        with x.db.read() as conn:
            statuses = dict(conn.execute(select(notifications.c.recipient, notifications.c.status)).all())
        # 县市场监管局 named no officer: not told, and the row says so; the sender never saw it.
        assert statuses == {"王敏（1）": "sent", "刘洋（2）": "failed", "无（未登记联络员）": "undeliverable"}
    finally:
        x.db.dispose()


def test_collect_reads_the_history_after_its_mark_only(system, clock):
    name_officers(system, "gaj", [{"name": "王敏", "phone": "1"}])
    a_called_meeting(system, clock)
    with system.db.read() as conn:
        last = conn.execute(select(func.max(history.c.id))).scalar_one()
    # Within the margin the mark stays behind (a late commit could still appear below it) ...
    assert system.notify(clock.now() + timedelta(minutes=1)) == 1
    with system.db.read() as conn:
        assert conn.execute(select(notification_marks.c.last_id)).scalar() == 0
    # ... and reading the same entries again writes nothing twice.
    assert system.notify(clock.now() + timedelta(minutes=2)) == 0
    later = clock.now() + liaison.MARK_MARGIN + timedelta(seconds=1)
    assert system.notify(later) == 0
    with system.db.read() as conn:
        assert conn.execute(select(notification_marks.c.last_id)).scalar() == last
        assert conn.execute(select(func.count()).select_from(notifications)).scalar_one() == 2  # gaj's, scjgj's undeliverable
    # Nothing new after the mark: collect reads no entry at all.
    with system.db.write() as conn:
        assert liaison.collect(conn, later + timedelta(minutes=1), system.registry) == 0
