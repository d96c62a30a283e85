"""待办 through GET /api/v1/todo on SQLite and PostgreSQL: paged by cursor while cases change, a clerk
sees only its agency's cases and those its agency is a party to, and `total` counts every row."""
from __future__ import annotations

from typing import Any

from adapters.http import create_app
from tests.conftest import LEGALITY_READY, at
from xsflow.access import Actor
from xsflow.queries import encode_cursor
from xsflow.tokens import create_token

OWN, OTHER = "scjgj", "gaj"  # 县市场监管局, 县公安局
CLERK, OTHER_CLERK = Actor("市场监管局经办人", "clerk", OWN), Actor("公安局经办人", "clerk", OTHER)
REVIEWER = Actor("司法局审查员", "reviewer")
NO_DEADLINE = "9999"  # sorts after every last day


def review(system, actor: Actor, title: str, occurred: str) -> int:
    return system.engine.open_case(actor, procedure="legality_review", agency=actor.agency, title=title,
                                   occurred_at=at(occurred), data=LEGALITY_READY)["id"]


def dispute(system, parties: list[str], title: str) -> int:
    """A dispute in negotiation: clerks of the owner and the parties may act."""
    return system.engine.open_case(OTHER_CLERK, procedure="dispute_coordination", agency=OTHER, title=title,
                                   data={"category": "duty", "parties": parties})["id"]


def transfer(system, number: str) -> int:
    """A suspected crime found by the clerk's agency: no period runs until it is reported."""
    return system.engine.open_case(CLERK, procedure="criminal_transfer", agency=OWN, title=f"涉嫌犯罪案件{number}",
                                   data={"case_number": number, "suspected_offence": "生产、销售伪劣产品罪"})["id"]


def withdraw(system, case_id: int) -> None:
    system.engine.fire(CLERK, case_id, "withdraw", {})


def test_paging_loses_and_repeats_nothing_while_cases_change(system, clock):
    """Pages of 3, with cases opened and withdrawn between them: no case twice, none that stayed missing, never another agency's, soonest last day first; `total` is the number of rows on all pages."""
    clock.move_to(at("2025-03-14T12:00:00+08:00"))
    with system.db.write() as conn:
        tokens = {who: create_token(conn, name=who, role=a.role, agency=a.agency, now=clock.now())
                  for who, a in (("clerk", CLERK), ("other", OTHER_CLERK), ("reviewer", REVIEWER))}
    client = create_app(system).test_client()

    def get(who: str, query: str = "", status: int = 200) -> dict[str, Any]:
        r = client.get(f"/api/v1/todo{query}", headers={"Authorization": f"Bearer {tokens[who]}"})
        assert r.status_code == status, r.get_json()
        return r.get_json()

    # Own cases opened on five days (two on 3-4: the same last day), two of them then asked to supplement.
    own = [review(system, CLERK, f"本单位送审稿{i}", f"2025-03-0{day}T09:0{i}:00+08:00")
           for i, day in enumerate([3, 4, 4, 5, 6, 7, 7])]
    for case_id in own[3:5]:
        system.engine.fire(REVIEWER, case_id, "request_supplement", {"missing": ["legal_basis"]},
                           occurred_at=at("2025-03-10T10:00:00+08:00"))
    others = [review(system, OTHER_CLERK, f"公安局送审稿{i}", "2025-03-05T09:00:00+08:00") for i in range(3)]
    party = dispute(system, [OWN], "占道经营查处职责争议（本单位为当事方）")
    not_party = dispute(system, ["jw"], "校园周边管理职责争议（与本单位无关）")
    found = transfer(system, "秀市监立〔2025〕7号")

    first = get("clerk", "?limit=3")
    assert first["total"] == len(own) + 2
    assert get("reviewer")["total"] == 5 + 3  # what a reviewer may accept or request: every agency's

    seen: list[dict[str, Any]] = []
    touched: set[int] = set()
    page, step = first, 0
    while True:
        seen += page["items"]
        if page["next"] is None:
            break
        # Underneath: one case not yet listed and one already listed are withdrawn, new cases are
        # opened before and after the cursor, and another agency opens one.
        step += 1
        listed = {i["case_id"] for i in seen}
        unseen = [c for c in own if c not in listed and c not in touched]
        for case_id in [unseen[-1]] if unseen else []:
            withdraw(system, case_id)
            touched.add(case_id)
        done = [c for c in listed if c in own and c not in touched]
        for case_id in done[:1]:
            withdraw(system, case_id)
            touched.add(case_id)
        touched.add(review(system, CLERK, f"翻页中新送审稿{step}甲", "2025-03-03T08:00:00+08:00"))
        touched.add(review(system, CLERK, f"翻页中新送审稿{step}乙", "2025-03-14T09:00:00+08:00"))
        review(system, OTHER_CLERK, f"翻页中公安局送审稿{step}", "2025-03-14T09:00:00+08:00")
        page = get("clerk", f"?limit=3&cursor={page['next']}")

    ids = [i["case_id"] for i in seen]
    assert step >= 2  # the walk did change cases underneath, more than once
    assert len(ids) == len(set(ids)), "a case appears on two pages"
    stayed = (set(own) | {party, found}) - touched
    assert stayed <= set(ids), f"missing: {stayed - set(ids)}"
    assert not set(ids) & (set(others) | {not_party}), "another agency's case is listed to the clerk"
    assert all(i["agency"] == OWN for i in seen if i["case_id"] != party)
    keys = [i["deadline"]["due_date"] if i["deadline"] else NO_DEADLINE for i in seen]
    assert keys == sorted(keys) and ids[-1] == found and keys[-1] == NO_DEADLINE  # no deadline: last

    # Nothing changes now: every page carries the same total, the number of rows on all pages.
    rows, totals, cursor = [], set(), ""
    while cursor is not None:
        page = get("clerk", f"?limit=2{'&cursor=' + cursor if cursor else ''}")
        rows += page["items"]
        totals.add(page["total"])
        cursor = page["next"]
    assert totals == {len(rows)} and len({r["case_id"] for r in rows}) == len(rows)
    # The police: their own reviews and both disputes; not the transfer, though a party: it is found, and
    # its steps until the transfer are the agency's (acting_side, see workflows/criminal_transfer.py).
    police = {i["case_id"] for i in get("other", "?limit=50")["items"]}
    assert found not in police and len(police) == get("other")["total"] == len(others) + step + 2


def test_items_say_what_to_do_and_by_when(system, clock):
    """An item names the triggers the role may fire, the nearest pending deadline and the working days left or overdue; unknown parameters and forged cursors are refused."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    with system.db.write() as conn:
        token = create_token(conn, name="clerk", role="clerk", agency=OWN, now=clock.now())
    client = create_app(system).test_client()
    opened = review(system, CLERK, "关于规范农贸市场管理的通知（送审稿）", "2025-04-29T10:00:00+08:00")
    system.engine.fire(REVIEWER, opened, "request_supplement", {"missing": ["legal_basis"]},
                       occurred_at=at("2025-04-30T10:00:00+08:00"))

    def get(query: str) -> Any:
        return client.get(f"/api/v1/todo{query}", headers={"Authorization": f"Bearer {token}"})

    [item] = get("").get_json()["items"]
    assert item["triggers"] == ["supplement", "withdraw"]
    # Notice 4-30 (Wed); 5-1..5-5 劳动节; 5-6, 5-7, 5-8, 5-9, 5-12 → last day Mon 5-12, 5 working days after today.
    assert (item["deadline"]["name"], item["deadline"]["due_date"]) == ("supplement", "2025-05-12")
    assert (item["working_days_left"], item["working_days_overdue"]) == (5, None)
    clock.move_to(at("2025-05-14T09:00:00+08:00"))  # past the lapse, before the sweep: 5-13, 5-14 overdue
    [item] = get("").get_json()["items"]
    assert (item["working_days_left"], item["working_days_overdue"]) == (None, 2)

    assert get("?sort=due").status_code == 400  # unknown parameters are refused (agency, procedure, state filter)
    assert get(f"?cursor={encode_cursor(['not a day', 1])}").status_code == 400
    assert get("?limit=0").status_code in (400, 422)
