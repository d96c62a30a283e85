"""Another system delivers the same event several times at once (a retry after a timeout while the
first delivery is still being processed): on a real `xsflow serve`, on SQLite and PostgreSQL, every
delivery gets the one answer, one case is opened, and one history entry is written.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import create_engine, func, select

from xsflow.store.schema import cases, history, inbound_events

from .conftest import Server, make_tokens

DELIVERIES = 8
NUMBER = "秀山市监发〔2025〕21号"
PUBLISH = {"event_id": "oa-2025-0930-007", "procedure": "filing_review", "correlation_key": NUMBER,
           "trigger": "publish", "occurred_at": "2025-09-30T15:00:00+08:00",
           "payload": {"agency": "scjgj", "title": "关于规范食品摊贩经营的通知",
                       "data": {"document_number": NUMBER, "uniform_number": "XSSJ-2025-0021"}}}


def counts(database_url: str) -> tuple[int, int, int]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                         for t in (cases, history, inbound_events))
    finally:
        engine.dispose()


def deliver_at_once(server: Server, token: str, events: list[dict]) -> list:
    with ThreadPoolExecutor(len(events)) as pool:
        return list(pool.map(lambda e: server.call("POST", "/api/v1/events", token, e), events))


def test_the_same_event_delivered_eight_times_at_once_opens_one_case(server: Server):
    """Eight simultaneous deliveries of one publish event: eight 200s with the same body, one case, one entry."""
    token = make_tokens(server.database_url, oa=("system", "scjgj"))["oa"]
    answers = deliver_at_once(server, token, [PUBLISH] * DELIVERIES)
    assert [a.status for a in answers] == [200] * DELIVERIES, [a.body for a in answers if a.status != 200]
    assert all(a.body == answers[0].body for a in answers)
    assert counts(server.database_url) == (1, 1, 1)


def test_two_events_for_one_document_number_at_once_open_one_case(server: Server):
    """Different event ids for the same document number, at once: one opens the case, the others are told it exists."""
    token = make_tokens(server.database_url, oa=("system", "scjgj"))["oa"]
    events = [{**PUBLISH, "event_id": f"oa-2025-0930-1{i:02d}"} for i in range(DELIVERIES)]
    answers = deliver_at_once(server, token, events)
    statuses = sorted(a.status for a in answers)
    assert statuses == [200] + [422] * (DELIVERIES - 1), [a.body for a in answers if a.status not in (200, 422)]
    for refused in (a for a in answers if a.status == 422):
        assert "data.document_number" in refused.body["error"]["fields"], refused.body
    assert counts(server.database_url)[:2] == (1, 1)
