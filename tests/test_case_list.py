"""The case list (GET /api/v1/cases and the web page 案件) at scale: filters by agency, procedure, state and
the date a case took effect, a total from one aggregate, keyset pages that lose and repeat nothing while
cases change underneath, and a filter value that names nothing refused in Chinese (422)."""
from __future__ import annotations

from typing import Any

from adapters.http import create_app
from tests.conftest import at
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.tokens import create_token

OWN, OTHER = "scjgj", "gaj"
CLERK, OTHER_CLERK = Actor("市场监管局经办人", "clerk", OWN), Actor("公安局经办人", "clerk", OTHER)


def test_pages_total_and_filters_while_cases_change(system, clock):
    """Pages of 7 over 40 cases while cases are opened and withdrawn between pages: each case listed once, none of those present throughout missed; total counts the rows; date and agency filters narrow total and rows alike."""
    clock.move_to(at("2025-03-20T12:00:00+08:00"))
    items = [NewCase(CLERK if i % 2 else OTHER_CLERK, "legality_review", OWN if i % 2 else OTHER, f"送审稿{i}",
                     occurred_at=at(f"2025-03-{3 + i % 10:02d}T09:00:00+08:00")) for i in range(40)]
    ids = open_cases(system.engine, items)
    owner = {case_id: item.actor for case_id, item in zip(ids, items)}
    with system.db.write() as conn:
        token = create_token(conn, name="supervisor", role="supervisor", agency=None, now=clock.now())
    client = create_app(system).test_client()

    def get(query: str, status: int = 200) -> dict[str, Any]:
        r = client.get(f"/api/v1/cases{query}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status, r.get_json()
        return r.get_json()

    first = get("?limit=7")
    assert first["total"] == 40
    seen: list[int] = []
    withdrawn: set[int] = set()
    page = first
    while True:
        seen += [c["id"] for c in page["items"]]
        if page["next"] is None:
            break
        # Underneath: a case not yet listed is withdrawn (it stays in the list, now closed), one is opened.
        later = [i for i in ids if i not in seen and i not in withdrawn]
        if later:
            system.engine.fire(owner.get(later[-1], CLERK), later[-1], "withdraw", {})
            withdrawn.add(later[-1])
        ids += open_cases(system.engine, [NewCase(CLERK, "legality_review", OWN, f"新送审稿{len(ids)}")])
        page = get(f"?limit=7&cursor={page['next']}")
    assert len(seen) == len(set(seen)), "a case was listed twice"
    assert set(ids[:40]) <= set(seen), "a case present throughout was missed"
    assert seen == sorted(seen)

    narrowed = get(f"?agency={OWN}&opened_from=2025-03-05&opened_to=2025-03-06&limit=200")
    rows = narrowed["items"]
    assert narrowed["total"] == len(rows) == 4
    assert all(c["agency"] == OWN and c["opened_at"][:10] in ("2025-03-05", "2025-03-04", "2025-03-06") for c in rows)
    assert get("?state=withdrawn&limit=200")["total"] == len(withdrawn)


def test_unknown_filter_values_are_refused_in_chinese(system, clock):
    """An unknown procedure, state or agency, or a reversed date range, is a 422 naming each parameter in Chinese; a known agency the clerk may not see is an empty list, not a refusal."""
    with system.db.write() as conn:
        token = create_token(conn, name="clerk", role="clerk", agency=OWN, now=clock.now())
    client = create_app(system).test_client()
    r = client.get("/api/v1/cases?procedure=nothing&state=nowhere&agency=xx&opened_from=2025-03-05&opened_to=2025-03-01",
                   headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422, r.get_json()
    body = r.get_json()
    text = str(body)
    for name in ("procedure", "state", "agency", "opened_to"):
        assert name in text
    assert "没有名为“nothing”的程序" in text and "没有代码为“xx”的单位" in text and "早于起始日期" in text
    r = client.get(f"/api/v1/cases?agency={OTHER}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.get_json()["items"] == [] and r.get_json()["total"] == 0


def test_overdue_filters_naming_nothing_are_refused_in_chinese(system, clock):
    """The overdue list and its summary refuse an unknown agency or procedure and a reversed due-date range (422, each parameter named); known values list as before."""
    with system.db.write() as conn:
        token = create_token(conn, name="supervisor", role="supervisor", agency=None, now=clock.now())
    client = create_app(system).test_client()
    for path in ("/api/v1/overdue", "/api/v1/overdue/summary"):
        r = client.get(f"{path}?agency=xx&procedure=nothing&due_from=2025-03-05&due_to=2025-03-01",
                       headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 422, r.get_json()
        assert set(r.get_json()["error"]["fields"]) == {"agency", "procedure", "due_to"}
        r = client.get(f"{path}?agency={OWN}&procedure=legality_review", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200


def test_todo_filters_narrow_rows_and_total_alike(system, clock):
    """待办 narrowed by agency, procedure and state: the total equals the rows listed, every row matches; a value naming nothing is a 422."""
    clock.move_to(at("2025-03-14T12:00:00+08:00"))
    open_cases(system.engine, [NewCase(CLERK if i % 3 else OTHER_CLERK, "legality_review", OWN if i % 3 else OTHER,
                                       f"送审稿{i}", occurred_at=at("2025-03-10T09:00:00+08:00")) for i in range(9)])
    with system.db.write() as conn:
        token = create_token(conn, name="reviewer", role="reviewer", agency=None, now=clock.now())
    client = create_app(system).test_client()

    def get(query: str, status: int = 200) -> dict[str, Any]:
        r = client.get(f"/api/v1/todo{query}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status, r.get_json()
        return r.get_json()

    assert get("")["total"] == 9
    mine = get(f"?agency={OWN}&procedure=legality_review&state=submitted&limit=200")
    assert mine["total"] == len(mine["items"]) == 6 and {i["agency"] for i in mine["items"]} == {OWN}
    assert set(get("?agency=xx&state=nowhere", 422)["error"]["fields"]) == {"agency", "state"}
