"""规范性文件合法性审查 end to end over HTTP, against a real `xsflow serve` on SQLite and PostgreSQL.

The server reads the real clock, so every `occurred_at` lies in the past (2025, early 2026);
deadlines are made to lapse with `xsflow tick --now`, never by waiting. The one test that
needs an exact "working days overdue" runs the same Flask app in-process on a FixedClock.
"""
from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from xsflow.calendar import OfficialCalendar, bundled_notices, local_date
from xsflow.clock import FixedClock
from xsflow.tokens import create_token

from .conftest import LEGALITY_READY, Server, at, make_tokens, fire, get_case

LR = "legality_review"
UNIT = "scjgj"  # 县市场监管局, the drafting unit
OTHER = "gaj"  # 县公安局, another agency
BUREAU = "sfj"  # 县司法局
DOC_NUMBER = re.compile(r"^(?P<prefix>秀山司[补终审])〔(?P<year>\d{4})〕(?P<seq>[1-9]\d*)号$")


# --- helpers -------------------------------------------------------------------------------


def people(server: Server) -> dict[str, str]:
    return make_tokens(server.database_url, clerk=("clerk", UNIT), reviewer=("reviewer", BUREAU),
                       supervisor=("supervisor", None), other_clerk=("clerk", OTHER))


def open_case(server: Server, token: str, occurred_at: str, *, agency: str = UNIT, title: str = "关于规范农贸市场管理的通知（送审稿）",
              data: dict[str, Any] | None = None) -> dict[str, Any]:
    r = server.call("POST", "/api/v1/cases", token, {"procedure": LR, "agency": agency, "title": title,
                                                     "data": LEGALITY_READY if data is None else data,
                                                     "occurred_at": occurred_at})
    assert r.status == 201, r.body
    return r.body


def history(server: Server, token: str, case_id: int) -> list[dict[str, Any]]:
    r = server.call("GET", f"/api/v1/cases/{case_id}/history", token)
    assert r.status == 200, r.body
    assert r.body["next"] is None
    return r.body["items"]


def deadlines_named(case: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [d for d in case["deadlines"] if d["name"] == name]


def the_deadline(case: dict[str, Any], name: str) -> dict[str, Any]:
    found = deadlines_named(case, name)
    assert len(found) == 1, case["deadlines"]
    return found[0]


def docs_of_kind(case: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [d for d in case["documents"] if d["kind"] == kind]


def fired(server: Server, now: str) -> int:
    """Runs `xsflow tick --now` and returns the number it reports as fired."""
    out = server.tick(now).stdout
    m = re.search(r"^fired (\d+)$", out, re.MULTILINE)
    assert m, out
    return int(m.group(1))


# --- (a) supplemented in time ----------------------------------------------------------------


def test_supplement_in_time_returns_the_case_to_review(server: Server):
    """A supplement notice lists every missing item at once; partial supplies keep the case waiting, the last one returns it to review and the period is met, so no lapse fires later."""
    t = people(server)
    case = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00")
    cid = case["id"]
    assert case["state"] == "submitted"

    missing = ["draft_and_explanation", "legal_basis", "consultation_record"]
    case = fire(server, t["reviewer"], cid, "request_supplement",
                {"missing": missing, "note": "缺少起草说明、法律依据及征求意见情况"}, "2025-03-03T10:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    supplement = the_deadline(case, "supplement")
    # Notice served Mon 2025-03-03; counting starts Tue: 3-4, 3-5, 3-6, 3-7, (weekend), 3-10 → 5th working day.
    assert (supplement["due_date"], supplement["status"], supplement["provisional"]) == ("2025-03-10", "pending", False)
    assert supplement["lapses_at"] == "2025-03-10T16:00:00Z"  # 24:00 Asia/Shanghai of the last day
    assert "第13条" in supplement["basis"]
    [notice] = docs_of_kind(case, "supplement_notice")
    assert DOC_NUMBER.match(notice["number"]).group("prefix") == "秀山司补"
    record = server.call("GET", f"/api/v1/documents/{notice['id']}", t["clerk"])
    assert record.status == 200, record.body
    assert record.body["facts"]["payload"]["missing"] == missing  # 一次性告知: the one notice names all three

    # One notice only (art. 13 一次性告知): the reviewer cannot add a second list later.
    refused = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["other"]},
                   "2025-03-04T10:00:00+08:00", expect=409)
    assert "待补正材料" in refused["error"]["message"]

    case = fire(server, t["clerk"], cid, "supplement", {"items": ["legal_basis"]}, "2025-03-05T15:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    assert the_deadline(case, "supplement")["status"] == "pending"
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["draft_and_explanation"]}, "2025-03-07T15:00:00+08:00")
    assert case["state"] == "awaiting_supplement"
    assert case["data"]["supplied"] == ["legal_basis", "draft_and_explanation"]

    # The last item arrives on the last day, half an hour before the period ends at 24:00.
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["consultation_record"]}, "2025-03-10T23:30:00+08:00")
    assert case["state"] == "under_review"
    assert the_deadline(case, "supplement")["status"] == "met"
    assert case["available_triggers"] == ["withdraw"]  # what the clerk may still do

    steps = [(h["trigger"], h["from_state"], h["to_state"]) for h in history(server, t["reviewer"], cid)]
    assert steps == [
        ("open", None, "submitted"),
        ("request_supplement", "submitted", "awaiting_supplement"),
        ("supplement", "awaiting_supplement", "awaiting_supplement"),
        ("supplement", "awaiting_supplement", "awaiting_supplement"),
        ("supplement", "awaiting_supplement", "under_review"),
    ]

    assert fired(server, "2025-03-11T00:00:01+08:00") == 0
    after = get_case(server, t["reviewer"], cid)
    assert after["state"] == "under_review"
    assert the_deadline(after, "supplement")["status"] == "met"
    assert docs_of_kind(after, "termination_opinion") == []
    assert len(history(server, t["reviewer"], cid)) == 5


# --- (b) lapsed into termination --------------------------------------------------------------


def test_lapse_at_midnight_terminates_and_issues_one_termination_opinion(server: Server):
    """Unsupplied materials lapse at 24:00 of the fifth working day: one termination opinion, history dated at the legal instant, and a second sweep does nothing."""
    t = people(server)
    cid = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00")["id"]
    fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["legal_basis", "consultation_record"]},
         "2025-03-03T10:00:00+08:00")
    fire(server, t["clerk"], cid, "supplement", {"items": ["legal_basis"]}, "2025-03-05T09:00:00+08:00")

    assert fired(server, "2025-03-10T23:59:59+08:00") == 0  # the last day is not over yet
    assert get_case(server, t["clerk"], cid)["state"] == "awaiting_supplement"

    assert fired(server, "2025-03-11T00:00:01+08:00") == 1
    case = get_case(server, t["clerk"], cid)
    assert case["state"] == "terminated"
    assert case["available_triggers"] == []
    assert the_deadline(case, "supplement")["status"] == "lapsed"
    [opinion] = docs_of_kind(case, "termination_opinion")
    assert opinion["number"] == "秀山司终〔2025〕1号"
    record = server.call("GET", f"/api/v1/documents/{opinion['id']}", t["clerk"]).body
    assert record["legal_instant"] == "2025-03-10T16:00:00Z"
    assert record["issued_at"] == "2025-03-10T16:00:01Z"
    assert "第13条" in record["basis"]
    assert record["facts"]["deadline_lapsed"]["due_date"] == "2025-03-10"

    entries = history(server, t["supervisor"], cid)
    last = entries[-1]
    assert (last["trigger"], last["from_state"], last["to_state"], last["actor_role"]) == \
        ("supplement_lapsed", "awaiting_supplement", "terminated", "timer")
    assert last["occurred_at"] == "2025-03-10T16:00:00Z"  # 2025-03-11 00:00 Asia/Shanghai: when the period ended
    assert last["recorded_at"] == "2025-03-10T16:00:01Z"  # when the sweep ran

    assert fired(server, "2025-03-12T09:00:00+08:00") == 0
    again = get_case(server, t["clerk"], cid)
    assert len(docs_of_kind(again, "termination_opinion")) == 1
    assert len(history(server, t["supervisor"], cid)) == len(entries)

    late = fire(server, t["clerk"], cid, "supplement", {"items": ["consultation_record"]}, expect=409)
    assert "已终止审查" in late["error"]["message"]


# --- (c) withdrawn from each open state ---------------------------------------------------------


def test_withdraw_from_each_open_state_cancels_running_deadlines(server: Server):
    """The drafting unit may withdraw from submitted, awaiting_supplement and under_review; what was running is cancelled and never fires."""
    t = people(server)
    submitted = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00", title="草案甲")["id"]
    waiting = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00", title="草案乙")["id"]
    fire(server, t["reviewer"], waiting, "request_supplement", {"missing": ["legal_basis"]}, "2025-03-03T10:00:00+08:00")
    reviewing = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00", title="草案丙")["id"]
    fire(server, t["reviewer"], reviewing, "accept", None, "2025-03-03T10:00:00+08:00")

    running = {submitted: ["review"], waiting: ["supplement"], reviewing: ["review"]}
    for cid, names in running.items():
        before = get_case(server, t["clerk"], cid)
        assert "withdraw" in before["available_triggers"]
        assert sorted(d["name"] for d in before["deadlines"] if d["status"] == "pending") == names
        case = fire(server, t["clerk"], cid, "withdraw", None, "2025-03-05T09:00:00+08:00")
        assert case["state"] == "withdrawn", before["state"]
        assert case["available_triggers"] == []
        assert [d["status"] for d in case["deadlines"] if d["name"] in names] == ["cancelled"], before["state"]
        assert not [d for d in case["deadlines"] if d["status"] == "pending"]

    assert fired(server, "2025-06-30T09:00:00+08:00") == 0
    issued = {cid: [d["kind"] for d in get_case(server, t["supervisor"], cid)["documents"]] for cid in running}
    assert issued == {submitted: [], waiting: ["supplement_notice"], reviewing: []}
    assert {get_case(server, t["supervisor"], cid)["state"] for cid in running} == {"withdrawn"}
    overdue = server.call("GET", "/api/v1/overdue", t["supervisor"]).body
    assert overdue == {"items": [], "next": None}


# --- (d) each conclusion --------------------------------------------------------------------------


def test_each_conclusion_issues_a_numbered_review_opinion(server: Server):
    """lawful, revise and unlawful each close the case as opinion_issued with a legality review opinion, numbered without gaps."""
    t = people(server)
    numbers = []
    for conclusion in ("lawful", "revise", "unlawful"):
        cid = open_case(server, t["clerk"], "2025-03-03T09:00:00+08:00", title=f"草案（{conclusion}）")["id"]
        fire(server, t["reviewer"], cid, "accept", None, "2025-03-04T09:00:00+08:00")
        case = fire(server, t["reviewer"], cid, "issue_opinion", {"conclusion": conclusion, "reasons": "经审查……"},
                    "2025-03-12T16:00:00+08:00")
        assert (case["state"], case["closed"], case["data"]["conclusion"]) == ("opinion_issued", True, conclusion)
        assert case["available_triggers"] == []
        assert the_deadline(case, "review")["status"] == "met"  # 15 working days from 3-3 end on 3-24
        [opinion] = docs_of_kind(case, "legality_review_opinion")
        record = server.call("GET", f"/api/v1/documents/{opinion['id']}", t["clerk"]).body
        assert record["facts"]["payload"]["conclusion"] == conclusion
        assert record["case_id"] == cid
        numbers.append(DOC_NUMBER.match(opinion["number"]))
    assert {m.group("prefix") for m in numbers} == {"秀山司审"}
    assert [int(m.group("seq")) for m in numbers] == [1, 2, 3]


# --- (e) periods across holidays --------------------------------------------------------------------


def test_supplement_period_across_national_day_2025(server: Server):
    """A notice served the Friday before National Day 2025 counts the Sunday make-up day, skips Oct 1–8 and ends on Oct 10."""
    # Served Fri 2025-09-26 (国办发明电〔2024〕12号: Oct 1–8 off; Sun 9-28 and Sat 10-11 are working days).
    # Counting starts the next day:  9-27 Sat  rest
    #                                9-28 Sun  make-up working day   → 1
    #                                9-29 Mon                        → 2
    #                                9-30 Tue                        → 3
    #                                10-1 … 10-8  National Day/Mid-Autumn holiday
    #                                10-9 Thu                        → 4
    #                                10-10 Fri                       → 5  last day; lapses 10-11 00:00 (+08) = 10-10T16:00Z
    # (Counting 5 calendar days would give 10-1; ignoring the make-up Sunday, 10-13.)
    t = people(server)
    cid = open_case(server, t["clerk"], "2025-09-25T09:00:00+08:00")["id"]
    case = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["legal_basis"]}, "2025-09-26T16:00:00+08:00")
    d = the_deadline(case, "supplement")
    assert (d["due_date"], d["lapses_at"], d["provisional"]) == ("2025-10-10", "2025-10-10T16:00:00Z", False)
    assert d["period"] == {"kind": "working_days", "length": 5, "start_date": "2025-09-26"}

    assert fired(server, "2025-10-08T23:59:59+08:00") == 0  # still inside the holiday
    assert fired(server, "2025-10-10T23:59:59+08:00") == 0
    assert fired(server, "2025-10-11T00:00:01+08:00") == 1
    assert get_case(server, t["clerk"], cid)["state"] == "terminated"
    assert history(server, t["clerk"], cid)[-1]["occurred_at"] == "2025-10-10T16:00:00Z"


def test_supplement_period_across_spring_festival_2026(server: Server):
    """A notice served just before Spring Festival 2026 counts the Saturday make-up day, skips Feb 15–23 and ends on Feb 25."""
    # Served Wed 2026-02-11 (国办发明电〔2025〕7号: Feb 15–23 off; Sat 2-14 and Sat 2-28 are working days).
    #   2-12 Thu → 1,  2-13 Fri → 2,  2-14 Sat make-up working day → 3,
    #   2-15 Sun … 2-23 Mon  Spring Festival holiday,
    #   2-24 Tue → 4,  2-25 Wed → 5  last day; lapses 2-26 00:00 (+08) = 2026-02-25T16:00Z
    # (Ignoring the make-up Saturday would give 2-26.)
    t = people(server)
    cid = open_case(server, t["clerk"], "2026-02-10T09:00:00+08:00")["id"]
    case = fire(server, t["reviewer"], cid, "request_supplement", {"missing": ["consultation_record", "other"]},
                "2026-02-11T11:00:00+08:00")
    d = the_deadline(case, "supplement")
    assert (d["due_date"], d["lapses_at"], d["provisional"]) == ("2026-02-25", "2026-02-25T16:00:00Z", False)

    # Supplied on the last day: met, and nothing fires at the lapse instant.
    case = fire(server, t["clerk"], cid, "supplement", {"items": ["consultation_record", "other"]},
                "2026-02-25T17:00:00+08:00")
    assert (case["state"], the_deadline(case, "supplement")["status"]) == ("under_review", "met")
    assert fired(server, "2026-02-26T00:00:01+08:00") == 0

    # A second case served the same day is terminated at the same instant.
    other = open_case(server, t["clerk"], "2026-02-10T09:00:00+08:00", title="另一草案")["id"]
    fire(server, t["reviewer"], other, "request_supplement", {"missing": ["legal_basis"]}, "2026-02-11T11:00:00+08:00")
    assert fired(server, "2026-02-25T23:59:59+08:00") == 0
    assert fired(server, "2026-02-26T00:00:01+08:00") == 1
    terminated = get_case(server, t["clerk"], other)
    assert terminated["state"] == "terminated"
    assert [d["number"] for d in docs_of_kind(terminated, "termination_opinion")] == ["秀山司终〔2026〕1号"]


# --- (f) the review service level ----------------------------------------------------------------------


def _working_days_between(cal: OfficialCalendar, due: date, today: date) -> set[int]:
    """The overdue counts consistent with `today`: n working days after `due` fall on or before it, n+1 after."""
    def ok(n: int) -> bool:
        reached = n == 0 or cal.add_working_days(due, n).last_day <= today
        return reached and cal.add_working_days(due, n + 1).last_day > today
    return {n for n in range(800) if ok(n)}


def test_review_service_level_overdue_for_supervisor_not_other_agency(server: Server):
    """An open review past 15 working days is overdue for the supervisor and its own clerk, in /overdue and ?overdue=true, and invisible to another agency's clerk."""
    t = people(server)
    # Opened Mon 2025-09-22. 15 working days: 9-23..9-26 (4), Sun 9-28 make-up (5), 9-29, 9-30 (7),
    # 10-9, 10-10 (9), Sat 10-11 make-up (10), 10-13..10-17 (15) → last day Fri 2025-10-17.
    late = open_case(server, t["clerk"], "2025-09-22T09:00:00+08:00", title="逾期未审草案")["id"]
    prompt = open_case(server, t["clerk"], "2025-09-22T09:00:00+08:00", title="按期审结草案")["id"]
    fire(server, t["reviewer"], prompt, "accept", None, "2025-09-23T09:00:00+08:00")
    fire(server, t["reviewer"], prompt, "issue_opinion", {"conclusion": "lawful"}, "2025-10-16T09:00:00+08:00")
    assert the_deadline(get_case(server, t["clerk"], late), "review")["due_date"] == "2025-10-17"

    tick = server.tick("2025-10-20T09:00:00+08:00")
    assert re.search(r"^fired 0$", tick.stdout, re.MULTILINE)  # a service level never moves the case
    assert "超过办理时限 1 件" in tick.stdout

    case = get_case(server, t["supervisor"], late)
    assert (case["state"], case["overdue"]) == ("submitted", True)
    assert the_deadline(case, "review")["status"] == "lapsed"

    today_before = local_date(datetime.now(UTC))
    r = server.call("GET", "/api/v1/overdue", t["supervisor"])
    today_after = local_date(datetime.now(UTC))
    assert r.status == 200, r.body
    [item] = r.body["items"]
    assert (item["case_id"], item["deadline"], item["due_date"], item["agency"]) == (late, "review", "2025-10-17", UNIT)
    assert "国办发〔2018〕115号" in item["basis"]
    cal = OfficialCalendar(bundled_notices())
    assert item["working_days_overdue"] in (_working_days_between(cal, date(2025, 10, 17), today_before)
                                            | _working_days_between(cal, date(2025, 10, 17), today_after))

    listed = server.call("GET", "/api/v1/cases?overdue=true", t["supervisor"]).body
    assert [c["id"] for c in listed["items"]] == [late]
    not_overdue = server.call("GET", "/api/v1/cases?overdue=false", t["supervisor"]).body
    assert [c["id"] for c in not_overdue["items"]] == [prompt]

    own = server.call("GET", "/api/v1/overdue", t["clerk"]).body
    assert [i["case_id"] for i in own["items"]] == [late]
    assert server.call("GET", "/api/v1/overdue", t["other_clerk"]).body == {"items": [], "next": None}
    assert server.call("GET", "/api/v1/cases?overdue=true", t["other_clerk"]).body == {"items": [], "next": None, "total": 0}


def test_overdue_filter_and_overdue_flag_agree_before_a_sweep(server: Server):
    """Before any sweep, a case past its review period is overdue everywhere or nowhere: its own flag, ?overdue=true/false and /overdue agree."""
    t = people(server)
    cid = open_case(server, t["clerk"], "2025-09-22T09:00:00+08:00")["id"]  # review period ended 2025-10-17
    flag = get_case(server, t["supervisor"], cid)["overdue"]
    in_overdue_list = cid in [i["case_id"] for i in server.call("GET", "/api/v1/overdue", t["supervisor"]).body["items"]]
    listed_true = server.call("GET", "/api/v1/cases?overdue=true", t["supervisor"]).body["items"]
    listed_false = server.call("GET", "/api/v1/cases?overdue=false", t["supervisor"]).body["items"]
    assert {"flag": flag, "/overdue": in_overdue_list, "?overdue=true": cid in [c["id"] for c in listed_true],
            "?overdue=false": cid not in [c["id"] for c in listed_false]} == dict.fromkeys(
        ["flag", "/overdue", "?overdue=true", "?overdue=false"], flag)
    assert flag is True  # the period ended at 24:00 on 2025-10-17: lapsed in law, swept or not
    assert all(c["overdue"] for c in listed_true) and not any(c["overdue"] for c in listed_false)


def test_review_finished_late_counts_as_lapsed_not_met(server: Server):
    """A review whose opinion is issued after the 15-working-day service level is recorded as lapsed, whether or not a sweep ran before the opinion."""
    t = people(server)
    # Both opened Mon 2025-09-22: the review service level ends Fri 2025-10-17 (computed above).
    swept = open_case(server, t["clerk"], "2025-09-22T09:00:00+08:00", title="甲")["id"]
    unswept = open_case(server, t["clerk"], "2025-09-22T09:00:00+08:00", title="乙")["id"]
    fire(server, t["reviewer"], swept, "accept", None, "2025-09-23T09:00:00+08:00")
    fire(server, t["reviewer"], unswept, "accept", None, "2025-09-23T09:00:00+08:00")

    # `unswept` gets its (late) opinion before any sweep; `swept` only after a sweep marked it overdue.
    fire(server, t["reviewer"], unswept, "issue_opinion", {"conclusion": "revise"}, "2025-10-24T09:00:00+08:00")
    server.tick("2025-10-24T08:00:00+08:00")
    fire(server, t["reviewer"], swept, "issue_opinion", {"conclusion": "revise"}, "2025-10-24T09:00:00+08:00")

    assert the_deadline(get_case(server, t["supervisor"], swept), "review")["status"] == "lapsed"
    assert the_deadline(get_case(server, t["supervisor"], unswept), "review")["status"] == "lapsed"


def test_working_days_overdue_is_exact_on_a_fixed_clock(system):
    """With a fixed clock the overdue count is exact: a Saturday make-up day counts, a Sunday does not."""
    from adapters.http import create_app

    clock: FixedClock = system.clock  # type: ignore[assignment]
    with system.db.write() as conn:
        supervisor = create_token(conn, name="督查", role="supervisor", agency=None, now=clock.now())
        clerk = create_token(conn, name="经办", role="clerk", agency=UNIT, now=clock.now())
        other = create_token(conn, name="他单位", role="clerk", agency=OTHER, now=clock.now())
    client = create_app(system).test_client()

    def call(method: str, path: str, token: str, body: Any = None):
        return client.open(path, method=method, json=body, headers={"Authorization": f"Bearer {token}"})

    # Opened Fri 2025-09-12. 15 working days: 9-15..9-19 (5), 9-22..9-26 (10), Sun 9-28 make-up (11),
    # 9-29, 9-30 (13), Oct 1–8 holiday, 10-9 (14), 10-10 (15) → last day Fri 2025-10-10.
    clock.move_to(at("2025-09-12T09:00:00+08:00"))
    r = call("POST", "/api/v1/cases", clerk, {"procedure": LR, "agency": UNIT, "title": "草案"})
    assert r.status_code == 201, r.get_json()
    cid = r.get_json()["id"]

    # Mon 2025-10-13: Sat 10-11 is a make-up working day (1), Sun 10-12 rests, Mon 10-13 (2).
    clock.move_to(at("2025-10-13T10:00:00+08:00"))
    assert system.tick().overdue == 1
    r = call("GET", "/api/v1/overdue", supervisor)
    assert r.status_code == 200, r.get_json()
    [item] = r.get_json()["items"]
    assert (item["case_id"], item["due_date"], item["lapses_at"]) == (cid, "2025-10-10", "2025-10-10T16:00:00Z")
    assert item["working_days_overdue"] == 2

    clock.move_to(at("2025-10-20T10:00:00+08:00"))  # + 10-14..10-17 and 10-20
    assert call("GET", "/api/v1/overdue", supervisor).get_json()["items"][0]["working_days_overdue"] == 7
    assert call("GET", "/api/v1/overdue", other).get_json() == {"items": [], "next": None}
