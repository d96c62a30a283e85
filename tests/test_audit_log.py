"""操作记录 (GET /api/v1/audit-log and the web page): every act on the cases a caller may see, newest first,
keyset pages that lose and repeat nothing while acts are recorded underneath, a total from one COUNT,
filters by agency, procedure, actor, role, trigger and the date recorded; payloads stay on the case page."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from adapters.http import create_app
from tests.conftest import Server, at, fire
from xsflow.access import Actor
from xsflow.bulk import NewCase, open_cases
from xsflow.tokens import create_token

from .test_users import user_cli
from .test_web import CHROMIUM, CHROMIUM_ARGS, PASSWORD, browser_page, screenshot_folder

OWN, OTHER = "scjgj", "gaj"
CLERK, OTHER_CLERK = Actor("市场监管局经办人", "clerk", OWN), Actor("公安局经办人", "clerk", OTHER)


def test_pages_filters_and_scope(system, clock):
    """A supervisor pages the whole log newest first, three at a time, while cases are opened underneath: every act recorded before the first page is listed once, newer ones not at all; filters narrow the rows and the total alike; a clerk sees its own agency's cases only, without payloads."""
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    ids = open_cases(system.engine, [NewCase(CLERK, "legality_review", OWN, f"送审稿{i}") for i in range(4)]
                     + [NewCase(OTHER_CLERK, "legality_review", OTHER, f"公安送审稿{i}") for i in range(2)])
    clock.move_to(at("2025-03-05T15:00:00+08:00"))
    system.engine.fire(CLERK, ids[0], "withdraw", {})
    with system.db.write() as conn:
        supervisor = create_token(conn, name="监督科", role="supervisor", agency=None, now=clock.now())
        other_clerk = create_token(conn, name="公安局法制科", role="clerk", agency=OTHER, now=clock.now())
    client = create_app(system).test_client()

    def get(query: str, token: str = supervisor, status: int = 200) -> dict[str, Any]:
        r = client.get(f"/api/v1/audit-log{query}", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status, r.get_json()
        return r.get_json()

    first = get("?limit=3")
    assert first["total"] == 7
    newest = first["items"][0]
    assert (newest["case_id"], newest["trigger"], newest["actor"], newest["actor_role"]) == (
        ids[0], "withdraw", CLERK.name, "clerk")
    assert newest["to_state_title"] == "已撤回" and newest["case_title"] == "送审稿0" and "payload" not in newest
    seen: list[int] = []
    page = first
    while True:
        seen += [e["id"] for e in page["items"]]
        if page["next"] is None:
            break
        clock.move_to(clock.now() + timedelta(minutes=1))  # acts recorded between pages: newer than all listed
        open_cases(system.engine, [NewCase(CLERK, "legality_review", OWN, f"翻页时新送审稿{len(seen)}")])
        page = get(f"?limit=3&cursor={page['next']}")
    assert len(seen) == len(set(seen)) == 7, "an act was listed twice or missed"
    assert get("?limit=200")["total"] == 9  # the two opened while paging, listed on a new first page

    assert get(f"?agency={OTHER}")["total"] == 2
    assert get(f"?by={CLERK.name}")["total"] == 4 + 1 + 2
    assert [e["case_id"] for e in get("?trigger=withdraw")["items"]] == [ids[0]]
    assert get("?role=reviewer")["total"] == 0
    one_day = get("?recorded_from=2025-03-03&recorded_to=2025-03-03")
    assert one_day["total"] == 6 and {e["trigger"] for e in one_day["items"]} == {"open"}
    assert get("?procedure=legality_review")["total"] == 9

    own = get("?limit=200", token=other_clerk)
    assert own["total"] == 2 and {e["agency"] for e in own["items"]} == {OTHER}
    assert get(f"?agency={OWN}", token=other_clerk)["total"] == 0  # scoped, not refused



@pytest.mark.parametrize("walked", [False, True], ids=["sorted from its cases", "walked newest first"])
def test_a_clerks_pages_are_the_same_however_they_are_found(system, clock, monkeypatch, walked):
    """A clerk's log lists the entries of its own cases and of those it is a party to, once each, newest first,
    whether its page is sorted from its cases' entries or found by walking the whole history (as for an agency
    with many entries; here the threshold and the chunk are made small)."""
    import xsflow.audit_log as log
    if walked:
        monkeypatch.setattr(log, "SPARSE_ABOVE", 0)
        monkeypatch.setattr(log, "WALK_CHUNK", 3)
    clock.move_to(at("2025-03-03T09:00:00+08:00"))
    mine = []
    for i in range(5):  # the clerk's cases interleaved with others', so chunks hold some of each
        mine += open_cases(system.engine, [NewCase(CLERK, "legality_review", OWN, f"送审稿{i}")])
        open_cases(system.engine, [NewCase(OTHER_CLERK, "legality_review", OTHER, f"公安送审稿{i}{j}")
                                   for j in range(4)])
        clock.move_to(clock.now() + timedelta(minutes=1))
    system.engine.fire(CLERK, mine[1], "withdraw", {})
    with system.db.write() as conn:
        token = create_token(conn, name="市场监管局法制科", role="clerk", agency=OWN, now=clock.now())
    client = create_app(system).test_client()
    listed, cursor = [], None
    while True:
        r = client.get(f"/api/v1/audit-log?limit=2{f'&cursor={cursor}' if cursor else ''}",
                       headers={"Authorization": f"Bearer {token}"}).get_json()
        assert r["total"] == 6
        listed += [(e["case_id"], e["trigger"]) for e in r["items"]]
        if (cursor := r["next"]) is None:
            break
    assert listed == [(mine[1], "withdraw")] + [(c, "open") for c in reversed(mine)]


def test_filters_naming_nothing_are_refused_in_chinese(system):
    """An unknown role or procedure, a reversed date range, an actor past the column's length or with a control character: 422 naming each parameter in Chinese; a forged cursor 400."""
    with system.db.write() as conn:
        token = create_token(conn, name="监督科", role="supervisor", agency=None, now=at("2025-03-03T09:00:00+08:00"))
    client = create_app(system).test_client()
    auth = {"Authorization": f"Bearer {token}"}
    r = client.get("/api/v1/audit-log?role=boss&procedure=nothing&recorded_from=2025-03-05&recorded_to=2025-03-01",
                   headers=auth)
    assert r.status_code == 422, r.get_json()
    text = str(r.get_json())
    assert "没有名为“boss”的角色" in text and "没有名为“nothing”的程序" in text and "早于起始日期" in text
    for name in ("role", "procedure", "recorded_to"):
        assert name in text
    r = client.get("/api/v1/audit-log", query_string={"by": "张" * 201}, headers=auth)
    assert r.status_code == 422 and "操作人最多 200 个字" in str(r.get_json())
    r = client.get("/api/v1/audit-log", query_string={"by": "张\x07三"}, headers=auth)
    assert r.status_code == 422 and "U+0007" in str(r.get_json())
    for cursor in ("bm90IGpzb24", "WyIyMDI1LTAzLTAzVDAxOjAwOjAwIiwgMV0"):  # not JSON; a naive instant
        r = client.get(f"/api/v1/audit-log?cursor={cursor}", headers=auth)
        assert r.status_code == 400 and "翻页参数" in r.get_json()["error"]["message"], r.get_json()


def test_the_audit_log_page_in_the_browser(server: Server, tmp_path: Path):
    """In Chromium: a supervisor opens 操作记录 from the menu, sees the withdrawal first and the total, and clicking the clerk's name narrows the list to that person's acts."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    made = user_cli(server.database_url, "create", "--username", "jiandu", "--name", "王监督", "--role", "supervisor",
                    password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    clerk = server.token("市场监管局法制股", "clerk", OWN)
    police = server.token("公安局法制科", "clerk", OTHER)
    opened = [server.call("POST", "/api/v1/cases", token, {"procedure": "legality_review", "agency": agency,
                                                             "title": title}).body["id"]
              for token, agency, title in [(clerk, OWN, "关于规范户外广告设置的通知（送审稿）"),
                                           (police, OTHER, "关于电动自行车登记的通告（送审稿）")]]
    fire(server, clerk, opened[0], "withdraw", {})

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser_page(browser, server, "jiandu")
        page.get_by_role("link", name="操作记录", exact=True).click()
        assert page.locator("h1").inner_text() == "操作记录"
        assert page.locator("p.total").inner_text() == "共 3 项"
        shots = screenshot_folder(server, tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=shots / "audit-log.png", full_page=True)
        rows = page.locator("table.list tbody tr")
        assert rows.count() == 3
        first = " ".join(rows.nth(0).inner_text().split())
        assert "关于规范户外广告设置的通知（送审稿）" in first and "市场监管局法制股" in first and "已撤回" in first
        rows.nth(0).get_by_role("link", name="市场监管局法制股").click()
        assert page.locator("p.total").inner_text() == "共 2 项"
        assert page.get_by_label("操作人").input_value() == "市场监管局法制股"
        assert all("市场监管局法制股" in r for r in page.locator("table.list tbody tr").all_inner_texts())
        browser.close()
