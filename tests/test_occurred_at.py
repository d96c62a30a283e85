"""When an act may be dated (issue #13, items 5, 10, 12): not before the backdating window, not before
the case's last event (checked under the case's lock, so concurrent requests are never refused for
it), and a refusal over a used key names no case the caller may not see."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from workflows.assessment_record import compute
from xsflow.access import Actor
from xsflow.errors import InvalidPayload

from .conftest import Server, at, make_tokens

SUPERVISOR = Actor("监督科", "supervisor")
POLICE_CLERK = Actor("公安局法制科", "clerk", "gaj")
MARKET_CLERK = Actor("市场监管局法制科", "clerk", "scjgj")
REQUESTS = 80


def test_concurrent_events_stamped_now_are_never_refused_as_earlier_than_the_last(server: Server):
    """80 entries at once on one case through two gunicorn workers, none giving a time: each is
    stamped when it holds the case's lock, so every one is accepted and recorded in order."""
    token = make_tokens(server.database_url, sup=("supervisor", None))["sup"]
    case = server.call("POST", "/api/v1/cases", token, {
        "procedure": "assessment", "agency": "gaj", "title": "2026年度行政执法考核", "data": {"year": 2026}})
    assert case.status == 201, case.body
    computed = server.call("POST", "/api/v1/assessments/2026/compute", token)  # the daily record reads it
    assert computed.status == 200, computed.body
    entry = {"trigger": "record_daily_assessment", "payload": {"summary": "日常监督检查情况良好。"}}
    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(lambda _: server.call(
            "POST", f"/api/v1/cases/{case.body['id']}/events", token, entry), range(REQUESTS)))
    refused = [a.body for a in answers if a.status != 200]
    assert refused == []
    history = server.call("GET", f"/api/v1/cases/{case.body['id']}/history", token).body
    entries = history["items"] if isinstance(history, dict) else history
    times = [e["occurred_at"] for e in entries]
    assert len(times) == REQUESTS + 1 and times == sorted(times)


def test_an_act_older_than_the_backdating_window_is_refused_naming_the_first_day_allowed(system, clock):
    system.engine.backdating_days = 90
    clock.move_to(at("2025-03-01T09:00:00+08:00"))
    with pytest.raises(InvalidPayload) as refused:
        system.engine.open_case(SUPERVISOR, procedure="assessment", agency="gaj", title="2024年度行政执法考核",
                                data={"year": 2024}, occurred_at=at("2024-11-30T23:59:00+08:00"))
    assert "2024年12月1日" in refused.value.fields["occurred_at"][0]
    case = system.engine.open_case(SUPERVISOR, procedure="assessment", agency="gaj", title="2024年度行政执法考核",
                                   data={"year": 2024}, occurred_at=at("2024-12-01T00:00:00+08:00"))
    assert case["state"] == "assessing"


def test_an_act_dated_before_the_case_was_opened_is_refused_naming_the_opening(system, clock):
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    case = system.engine.open_case(SUPERVISOR, procedure="assessment", agency="gaj", title="2025年度行政执法考核",
                                   data={"year": 2025})
    with system.db.write() as conn:  # the daily record reads the year's computed results
        compute(conn, SUPERVISOR, 2025, now=clock.now())
    with pytest.raises(InvalidPayload) as refused:
        system.engine.fire(SUPERVISOR, case["id"], "record_daily_assessment", {"summary": "良好"},
                           occurred_at=at("2025-03-02T10:00:00+08:00"))
    assert "立案时间为2025年3月3日09时00分" in refused.value.fields["occurred_at"][0]


def test_a_used_person_id_is_refused_without_naming_another_agencys_case(system, clock):
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    person = {"person_id": "P-1001", "name": "张三", "post": "治安管理"}
    held = system.engine.open_case(POLICE_CLERK, procedure="certificate", agency="gaj", title="张三（行政执法证）",
                                   data=person)
    with pytest.raises(InvalidPayload) as other_agency:
        system.engine.open_case(MARKET_CLERK, procedure="certificate", agency="scjgj", title="张三（行政执法证）",
                                data=person)
    with pytest.raises(InvalidPayload) as own_agency:
        system.engine.open_case(POLICE_CLERK, procedure="certificate", agency="gaj", title="张三（行政执法证）",
                                data=person)
    assert "案件编号" not in other_agency.value.fields["data.person_id"][0]
    assert f"案件编号 {held['id']}" in own_agency.value.fields["data.person_id"][0]
