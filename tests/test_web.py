"""The web pages: sign-in, CSRF and cookies, 待办, the case page and its forms, 逾期, the calendar.

Most tests drive the Flask app in-process on a FixedClock (exact working days); the last one
drives Debian's Chromium with Playwright against a real `xsflow serve` whose clock is real, so
every occurred_at lies in the past and the lapse is made to happen with `xsflow tick --now`.
Dates hand-counted in comments use the 2025 notice (国办发明电〔2024〕12号): 劳动节 5-1..5-5 off,
Sunday 4-27 a make-up working day.
"""
from __future__ import annotations

import csv
import io
import os
import re
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import docx
import openpyxl
import pytest
from lxml import html as lhtml
from marshmallow import fields
from sqlalchemy import select

from adapters.http import create_app
from adapters.web import forms
from adapters.web.state_svg import svg
from tests.conftest import LEGALITY_READY, Server, at
from tests.test_users import user_cli
from xsflow.access import Actor
from xsflow.calendar import OfficialCalendar, bundled_notices, local_date
from xsflow.definitions import Rule, procedure, state, transition
from xsflow.payloads import Payload, choice, codes, text
from xsflow.queries import working_days_after
from xsflow.store.schema import cases, history
from xsflow.tokens import create_token
from xsflow.users import WRONG_CREDENTIALS, create_user

PASSWORD = "Zhifa2025ok"
UNIT, OTHER = "scjgj", "gaj"  # 县市场监管局 (drafting unit), 县公安局
CLERK = Actor("张三（zhang）", "clerk", UNIT)
REVIEWER = Actor("李四（li）", "reviewer")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--lang=zh-CN"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
DOCS_WEB = Path(__file__).resolve().parent.parent / "docs" / "web.md"


# --- helpers -------------------------------------------------------------------------------


@pytest.fixture
def web(system, monkeypatch):
    """The Flask app on the test's xsflow (FixedClock), with a given session key and four people."""
    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    with system.db.write() as conn:
        for username, name, role, agency in [("zhang", "张三", "clerk", UNIT), ("li", "李四", "reviewer", None),
                                             ("wang", "王五", "supervisor", None), ("zhao", "赵六", "clerk", OTHER)]:
            create_user(conn, username=username, display_name=name, role=role, agency=agency, password=PASSWORD,
                        now=system.clock.now())
    return create_app(system)


def token_of(page_html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page_html).group(1)


def signed_in(app, username: str):
    client = app.test_client()
    r = client.post("/login", data={"username": username, "password": PASSWORD,
                                    "csrf_token": token_of(client.get("/login").text)})
    assert r.status_code == 302, r.text
    return client


def tree(response):
    return lhtml.fromstring(response.text)


def texts(doc, xpath: str) -> list[str]:
    return [" ".join(e.text_content().split()) for e in doc.xpath(xpath)]


def open_draft(system, title: str, occurred: str) -> int:
    return system.engine.open_case(CLERK, procedure="legality_review", agency=UNIT, title=title,
                                   occurred_at=at(occurred), data=LEGALITY_READY)["id"]


def form_of(doc, trigger: str):
    [form] = doc.xpath(f'//form[contains(@action, "/events/{trigger}")]')
    return form


# --- sign-in, cookies, CSRF, the session key --------------------------------------------------


def test_session_cookie_is_httponly_and_lax_and_secure_when_configured(web, system, monkeypatch):
    """The session cookie is HttpOnly and SameSite=Lax, and Secure only when XSFLOW_SECURE_COOKIES=1."""
    cookie = web.test_client().get("/login").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    monkeypatch.setenv("XSFLOW_SECURE_COOKIES", "1")
    secure = create_app(system).test_client().get("/login").headers["Set-Cookie"]
    assert "; Secure" in secure and "HttpOnly" in secure


def test_forms_without_their_csrf_token_are_refused_and_change_nothing(web, system, clock):
    """A sign-in or a case form posted without its token answers 400 and changes nothing; the JSON API needs none."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    case_id = open_draft(system, "关于规范农贸市场管理的通知（送审稿）", "2025-04-29T09:00:00+08:00")
    anonymous = web.test_client()
    refused = anonymous.post("/login", data={"username": "li", "password": PASSWORD})
    assert refused.status_code == 400 and "安全校验码" in refused.text
    assert anonymous.get("/").status_code == 302  # still not signed in

    reviewer = signed_in(web, "li")
    form = form_of(tree(reviewer.get(f"/cases/{case_id}")), "accept")
    no_token = reviewer.post(form.get("action"), data={"version": "1"})
    assert no_token.status_code == 400
    wrong_token = reviewer.post(form.get("action"), data={"version": "1", "csrf_token": "forged"})
    assert wrong_token.status_code == 400
    with system.db.read() as conn:
        assert conn.execute(select(cases.c.state, cases.c.version).where(cases.c.id == case_id)).one() == ("submitted", 1)

    with system.db.write() as conn:
        bearer = create_token(conn, name="oa", role="clerk", agency=UNIT, now=clock.now())
    api = web.test_client().post("/api/v1/cases", json={"procedure": "legality_review", "agency": UNIT, "title": "接口立案"},
                                 headers={"Authorization": f"Bearer {bearer}"})
    assert api.status_code == 201, api.json
    assert "Set-Cookie" not in api.headers  # the API keeps no session


def test_every_worker_signs_with_the_same_generated_key(system, tmp_path, monkeypatch):
    """Without XSFLOW_SECRET_KEY, the first page writes xsflow-secret.key (0600) and another worker process's app accepts the same session."""
    monkeypatch.delenv("XSFLOW_SECRET_KEY", raising=False)
    monkeypatch.delenv("XSFLOW_SECRET_KEY_FILE", raising=False)
    monkeypatch.chdir(tmp_path)
    with system.db.write() as conn:
        create_user(conn, username="li", display_name="李四", role="reviewer", agency=None, password=PASSWORD,
                    now=system.clock.now())
    first, second = create_app(system), create_app(system)
    assert not (tmp_path / "xsflow-secret.key").exists()  # the API alone never writes it
    client = signed_in(first, "li")
    key_file = tmp_path / "xsflow-secret.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    cookie = client.get_cookie("xsflow_session").value
    other = second.test_client()
    other.set_cookie("xsflow_session", cookie)
    page = other.get("/")
    assert page.status_code == 200 and "李四" in page.text


def login_answer(client, username: str, password: str):
    r = client.post("/login", data={"username": username, "password": password,
                                    "csrf_token": token_of(client.get("/login").text)})
    errors = texts(tree(r), '//*[@id="login-error"]') if r.status_code != 302 else []
    return r.status_code, (errors or [None])[0]


def test_sign_in_says_the_same_for_unknown_names_wrong_passwords_and_locked_accounts(web):
    """Unknown name, wrong password, and (after five wrong ones) the locked account's right password: each is answered 401 with the one message docs/web.md quotes."""
    client = web.test_client()
    same = (401, WRONG_CREDENTIALS)
    assert login_answer(client, "nobody", PASSWORD) == same
    assert [login_answer(client, "zhang", "wrong-password-1") for _ in range(5)] == [same] * 5
    assert login_answer(client, "zhang", PASSWORD) == same  # locked
    assert login_answer(client, "li", PASSWORD)[0] == 302
    assert f"“{WRONG_CREDENTIALS}”" in DOCS_WEB.read_text(encoding="utf-8")


def test_too_many_failures_from_one_address_are_refused_with_429(web, system, clock):
    """With 20 failures allowed per address in 15 minutes, the 21st attempt from that address is refused with 429 even with a right password; another address signs in."""
    client = web.test_client()
    names = ["nobody", "zhang", "li", "someone"]
    for i in range(20):
        assert login_answer(client, names[i % 4], f"wrong-{i}")[0] == 401
    status, message = login_answer(client, "wang", PASSWORD)
    assert status == 429 and "从本机地址登录失败的次数过多" in message
    elsewhere = web.test_client()
    r = elsewhere.post("/login", data={"username": "wang", "password": PASSWORD,
                                       "csrf_token": token_of(elsewhere.get("/login").text)},
                       environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert r.status_code == 302
    clock.move_to(clock.now() + timedelta(minutes=15, seconds=1))
    assert login_answer(client, "wang", PASSWORD)[0] == 302


def test_behind_a_proxy_the_forwarded_address_is_throttled(system, monkeypatch):
    """With XSFLOW_PROXY_HOPS=1 the throttle counts the address in X-Forwarded-For: one client is refused, another behind the same proxy signs in."""
    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    monkeypatch.setenv("XSFLOW_PROXY_HOPS", "1")
    monkeypatch.setenv("XSFLOW_SIGN_IN_ADDRESS_FAILURES", "2")
    with system.db.write() as conn:
        create_user(conn, username="li", display_name="李四", role="reviewer", agency=None, password=PASSWORD,
                    now=system.clock.now())
    app = create_app(system)

    def status(client_address: str, password: str) -> int:
        client = app.test_client()
        page = client.get("/login")
        return client.post("/login", data={"username": "li", "password": password, "csrf_token": token_of(page.text)},
                           headers={"X-Forwarded-For": client_address}).status_code

    assert [status("10.0.0.7", "wrong-1"), status("10.0.0.7", "wrong-2"), status("10.0.0.7", PASSWORD)] == [401, 401, 429]
    assert status("10.0.0.8", PASSWORD) == 302


# Each would leave the site, or break the Location header, if `next` were used as it came.
OFF_SITE = ["/%09/evil.example", "/%5c/evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "//evil.example",
            "/\\evil.example", "\\/evil.example", "https://evil.example/", "http:/evil.example", " //evil.example",
            "/%0a/evil.example", "/\x00/evil.example", "/\u3000/evil.example", "javascript:alert(1)", "evil.example",
            "/\x7f/evil.example", "/\u200b/evil.example"]


@pytest.mark.parametrize("target", OFF_SITE)
def test_sign_in_never_sends_the_browser_off_site(web, target):
    """A `next` with whitespace, control characters, a backslash, a scheme or a host leads to 待办 after signing in, and never to a 500."""
    client = web.test_client()
    page = client.get("/login", query_string={"next": target})
    if "\x00" in target:  # no query may carry a NUL (PostgreSQL cannot store one): 400, like the API
        assert page.status_code == 400
    else:
        assert page.status_code == 200 and tree(page).xpath('//input[@name="next"]/@value') == [""]
    r = client.post("/login", data={"username": "li", "password": PASSWORD, "next": target,
                                    "csrf_token": token_of(client.get("/login").text)})
    assert (r.status_code, r.headers["Location"]) == (302, "/")
    again = client.get("/login", query_string={"next": target})  # already signed in
    assert (again.status_code, again.headers.get("Location")) == ((400, None) if "\x00" in target else (302, "/"))


def test_the_reported_address_signs_in_to_the_todo_list(web):
    """The address of the report, /login?next=/%09/evil.example (a tab once decoded), and one with a %0A newline, lead to 待办."""
    for address in ("/login?next=/%09/evil.example", "/login?next=/%0A/evil.example", "/login?next=%2F%0d%0a%2Fevil"):
        client = web.test_client()
        page = client.get(address)
        assert page.status_code == 200, address
        r = client.post("/login", data={"username": "li", "password": PASSWORD, "csrf_token": token_of(page.text),
                                        "next": tree(page).xpath('//input[@name="next"]/@value')[0]})
        assert r.headers["Location"] == "/"
        assert client.get(address).headers["Location"] == "/"


def test_sign_in_returns_to_the_page_asked_for(web):
    """A page of this site, with its query, is where signing in leads; a Chinese query value arrives %-encoded."""
    client = web.test_client()
    first = client.get("/cases?state=submitted&q=农贸")
    assert first.status_code == 302
    page = client.get(first.headers["Location"])
    next_field = tree(page).xpath('//input[@name="next"]/@value')[0]
    r = client.post("/login", data={"username": "li", "password": PASSWORD, "next": next_field,
                                    "csrf_token": token_of(page.text)})
    assert r.headers["Location"] == "/cases?state=submitted&q=%E5%86%9C%E8%B4%B8"


SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
                    "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"}


def test_every_answer_carries_the_security_headers(web):
    """Pages, their 404/405/400 (CSRF) pages, the API's JSON errors raised before any view, and a 500 all carry the CSP, nosniff and no-store."""
    client = web.test_client()

    @web.route("/boom")
    def boom():
        raise RuntimeError("an unforeseen fault")

    answers = {
        "page": client.get("/login"),
        "404 page": client.get("/no-such-page"),
        "404 case": signed_in(web, "li").get("/cases/987654"),
        "405 page": client.get("/logout"),
        "400 CSRF": client.post("/login", data={"username": "li"}),
        "401 API": client.get("/api/v1/cases"),
        "404 API": client.get("/api/v1/no-such-thing"),
        "400 API query": client.get("/api/v1/cases?q=%00"),
        "500": client.get("/boom"),
    }
    for name, r in answers.items():
        assert "default-src 'self'" in r.headers.get("Content-Security-Policy", ""), name
        assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"], name
        assert {k: r.headers.get(k) for k in SECURITY_HEADERS} == SECURITY_HEADERS, name
    assert [r.status_code for r in answers.values()] == [200, 404, 404, 405, 400, 401, 404, 400, 500]


def test_sign_out_ends_the_session(web):
    """After 退出 the same browser is sent back to the sign-in page."""
    client = signed_in(web, "zhang")
    page = client.get("/")
    assert client.post("/logout", data={"csrf_token": token_of(page.text)}).status_code == 302
    assert client.get("/").headers["Location"].startswith("/login")


# --- 待办 ---------------------------------------------------------------------------------------


def test_todo_lists_what_each_person_can_do_soonest_last_day_first(web, system, clock):
    """The clerk's 待办 puts the supplement due 5-12 before the review due 5-23, with working days left; the reviewer sees only the case awaiting review."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    open_draft(system, "关于加强城区占道经营管理的通知（送审稿）", "2025-04-29T09:00:00+08:00")
    supplement = open_draft(system, "关于规范农贸市场管理的通知（送审稿）", "2025-04-29T10:00:00+08:00")
    system.engine.fire(REVIEWER, supplement, "request_supplement", {"missing": ["legal_basis"]},
                       occurred_at=at("2025-04-30T10:00:00+08:00"))

    rows = tree(signed_in(web, "zhang").get("/")).xpath('//table[@class="list"]/tbody/tr')
    assert [r.xpath("string(td[1]/a)") for r in rows] == ["关于规范农贸市场管理的通知（送审稿）",
                                                          "关于加强城区占道经营管理的通知（送审稿）"]
    first, second = ([" ".join(td.text_content().split()) for td in r.xpath("td")] for r in rows)
    # Notice 4-30 (Wed); 5-1..5-5 劳动节; 5-6, 5-7, 5-8, 5-9, 5-12 → last day Mon 5-12, 5 working days after today.
    assert first[3:] == ["待补正材料", "补齐材料／补正部分材料；撤回送审", "补正材料期限", "2025年5月12日（周一）",
                         "剩余 5 个工作日"]
    # Opened 4-29 (Tue): 4-30, then 5-6..5-9, 5-12..5-16, 5-19..5-23 → 15th working day Fri 5-23; 14 after today.
    assert second[3:] == ["已送审", "登记送审信息；撤回送审", "合法性审查办理时限", "2025年5月23日（周五）", "剩余 14 个工作日"]

    reviewer_rows = tree(signed_in(web, "li").get("/")).xpath('//table[@class="list"]/tbody/tr')
    assert [r.xpath("string(td[1]/a)") for r in reviewer_rows] == ["关于加强城区占道经营管理的通知（送审稿）"]
    assert "材料齐全，受理审查；一次性告知补正材料" in reviewer_rows[0].text_content()
    assert "目前没有需要您办理的案件" in signed_in(web, "zhao").get("/").text
    assert "逾期事项请见" in signed_in(web, "wang").get("/").text


# --- the case page ------------------------------------------------------------------------------


def test_case_form_shows_refusals_beside_fields_then_fires_and_records(web, system, clock):
    """An empty checkbox list is refused beside its field, a stale version is refused, then the request is recorded once with its notice, deadline and explanation."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    # opened with its title only: no list of materials recorded yet
    case_id = system.engine.open_case(CLERK, procedure="legality_review", agency=UNIT,
                                      title="关于规范农贸市场管理的通知（送审稿）",
                                      occurred_at=at("2025-04-29T09:00:00+08:00"))["id"]
    reviewer = signed_in(web, "li")
    page = tree(reviewer.get(f"/cases/{case_id}"))
    form = form_of(page, "request_supplement")
    labels = texts(form, './/fieldset//label')
    assert labels == ["送审稿及起草说明", "法律法规依据", "征求意见及意见采纳情况", "其他与制定该规范性文件有关的材料"]
    assert texts(form, ".//fieldset/legend") == ["需补正的材料"]  # optional: omitted, the missing ones are listed
    assert form.xpath('.//textarea[@name="note"]/@id') == ["request_supplement-note"]
    assert page.xpath('//label[@for="request_supplement-note"]/text()') == ["说明"]
    assert page.xpath('//*[contains(@class, "dg-state") and contains(@class, "current")]//text()')[0] == "已送审"

    empty = reviewer.post(form.get("action"), data={**_hidden(form), "note": "缺法律依据"})
    assert empty.status_code == 422
    refused = tree(empty)
    assert texts(refused, '//*[@id="request_supplement-missing-error"]') == ["本案未登记报送的材料，请逐项列出需补正的材料。"]
    assert refused.xpath('//fieldset[@aria-describedby="request_supplement-missing-error"]/@aria-invalid') == ["true"]
    assert refused.xpath('//textarea[@name="note"]/text()') == ["缺法律依据"]  # what was typed stays

    future = reviewer.post(form.get("action"), data={**_hidden(form), "missing": "legal_basis",
                                                     "occurred_at": "2025-05-01T09:00"})
    assert future.status_code == 422
    assert "晚于当前时间" in texts(tree(future), '//*[@id="request_supplement-occurred_at-error"]')[0]

    stale = reviewer.post(form.get("action"), data={**_hidden(form), "version": "0", "missing": "legal_basis"})
    assert stale.status_code == 409 and "案件已被他人更新" in stale.text

    good = {**_hidden(form), "missing": ["legal_basis", "consultation_record"], "note": "缺法律依据",
            "occurred_at": "2025-04-30T10:00"}
    assert reviewer.post(form.get("action"), data=good).status_code == 302
    assert reviewer.post(form.get("action"), data=good).status_code == 302  # a double click: same form key
    with system.db.read() as conn:
        triggers = conn.execute(select(history.c.trigger).where(history.c.case_id == case_id)).scalars().all()
    assert triggers == ["open", "request_supplement"]

    after = reviewer.get(f"/cases/{case_id}")
    assert "已办理：一次性告知补正材料。" in after.text
    page = tree(after)
    assert texts(page, '//p[@class="meta"]//strong') == ["待补正材料"]
    assert texts(page, '//ul[@class="docs"]/li/a') == ["补正通知"]
    assert "秀山司补〔2025〕1号" in texts(page, '//ul[@class="docs"]/li')[0]
    deadline = texts(page, '//li[contains(@class, "deadline")]')
    supplement = next(d for d in deadline if d.startswith("补正材料期限"))
    assert "5个工作日，自2025年4月30日（周三）的次日起算；最后一日：2025年5月12日（周一）" in supplement
    assert "劳动节" in supplement and "逾期未补正，终止审核" in supplement
    last = page.xpath('//ol[@class="timeline"]/li')[-1]
    assert texts(last, "div") == ["一次性告知补正材料：已送审 → 待补正材料", "李四（li）（县司法局审查人员）",
                                  "发生：2025年4月30日 10:00｜登记：2025年4月30日 12:00"]
    assert dict(zip(texts(last, "dl/dt"), texts(last, "dl/dd"))) == {
        "需补正的材料": "法律法规依据、征求意见及意见采纳情况", "说明": "缺法律依据"}

    href = page.xpath('//ul[@class="docs"]/li/a/@href')[0]
    file = reviewer.get(href)
    assert file.status_code == 200
    assert docx.Document(io.BytesIO(file.data)).paragraphs[1].text == "秀山司补〔2025〕1号"


def _hidden(form) -> dict[str, str]:
    return {i.get("name"): i.get("value") for i in form.xpath('.//input[@type="hidden"]')}


def test_a_clerk_of_another_agency_cannot_see_or_act_on_the_case(web, system, clock):
    """The county public-security clerk gets 403 pages for the market-regulation case, its document and its form."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    case_id = open_draft(system, "关于规范农贸市场管理的通知（送审稿）", "2025-04-29T09:00:00+08:00")
    view = system.engine.fire(REVIEWER, case_id, "request_supplement", {"missing": ["legal_basis"]},
                              occurred_at=at("2025-04-30T10:00:00+08:00"))
    other = signed_in(web, "zhao")
    page = other.get(f"/cases/{case_id}")
    assert page.status_code == 403 and "该案件属于其他单位" in page.text
    assert other.get(f"/documents/{view['documents'][0]['id']}/file").status_code == 403
    token = token_of(other.get("/").text)
    post = other.post(f"/cases/{case_id}/events/supplement", data={"csrf_token": token, "version": "2",
                                                                  "items": "legal_basis"})
    assert post.status_code == 403
    with system.db.read() as conn:
        assert conn.execute(select(cases.c.state).where(cases.c.id == case_id)).scalar() == "awaiting_supplement"


def test_open_case_form_names_missing_title_then_opens_for_own_agency(web, system, clock):
    """A clerk's 立案 form refuses an empty title beside the field, then opens the case for the clerk's own agency at the given time."""
    clock.move_to(at("2025-04-30T12:00:00+08:00"))
    clerk = signed_in(web, "zhang")
    choices = tree(clerk.get("/cases/new"))
    assert "规范性文件合法性审查" in texts(choices, '//ul[@class="choices"]//a')
    form_page = clerk.get("/cases/new/legality_review")
    token = token_of(form_page.text)
    empty = clerk.post("/cases/new/legality_review", data={"csrf_token": token, "title": " "})
    assert empty.status_code == 422
    assert texts(tree(empty), '//*[@id="open-title-error"]') == ["请填写案件名称（如规范性文件草案名称）。"]
    opened = clerk.post("/cases/new/legality_review", data={
        "csrf_token": token, "title": "关于规范农贸市场管理的通知（送审稿）", "data.reference": "秀山市监文〔2025〕3号",
        "occurred_at": "2025-04-29T09:00", "agency": OTHER})  # a clerk's agency is their own, whatever is posted
    assert opened.status_code == 302
    with system.db.read() as conn:
        row = conn.execute(select(cases).where(cases.c.title == "关于规范农贸市场管理的通知（送审稿）")).mappings().one()
    assert (row["agency_code"], row["correlation_key"], row["opened_at"]) == (UNIT, "秀山市监文〔2025〕3号",
                                                                            at("2025-04-29T09:00:00+08:00"))
    assert signed_in(web, "wang").get("/cases/new/legality_review").status_code == 403


# --- 逾期 -------------------------------------------------------------------------------------


def test_every_page_warns_while_next_years_holiday_notice_is_missing(web, clock):
    """From 1 November every page a supervisor opens says next year's notice is not loaded and from which day deadlines are guessed."""
    clock.move_to(at("2026-10-30T09:00:00+08:00"))
    assert "节假日安排的通知" not in signed_in(web, "wang").get("/").text
    clock.move_to(at("2026-11-02T09:00:00+08:00"))  # the bundled notices end with 2026
    [alert] = texts(tree(signed_in(web, "wang").get("/")), "//main/p[@role='alert']")
    assert alert.startswith("尚未载入国务院办公厅关于2027年部分节假日安排的通知：届满日在12月25日及以后的期限")
    assert "节假日安排的通知" not in web.test_client().get("/login").text  # not before signing in


def test_clerks_see_only_their_own_cases_that_a_missing_holiday_notice_affects(web, system, clock):
    """A clerk is not shown the operator's warning, only the own agency's cases whose deadline is counted on a guess."""
    clock.move_to(at("2026-12-01T09:00:00+08:00"))
    clerk, other, reviewer = signed_in(web, "zhang"), signed_in(web, "zhao"), signed_in(web, "li")
    for client in (clerk, other, reviewer):
        page = client.get("/").text
        assert "尚未载入国务院办公厅" not in page and "按推定的节假日安排计算" not in page
    clock.move_to(at("2026-12-10T09:00:00+08:00"))  # 15 working days of review end after 25 December
    case_id = open_draft(system, "关于加强城区占道经营管理的通告（送审稿）", "2026-12-10T09:00:00+08:00")
    clerk, other, reviewer = signed_in(web, "zhang"), signed_in(web, "zhao"), signed_in(web, "li")
    [box] = tree(clerk.get("/")).xpath("//main/div[@class='warn-box']")
    assert " ".join(box.text_content().split()).startswith("本单位有 1 件案件的期限按推定的节假日安排计算")
    assert box.xpath(".//a/@href") == [f"/cases/{case_id}"]
    assert "按推定的节假日安排计算" not in other.get("/").text  # another agency's clerk: nothing of it
    assert "您可见的有 1 件案件" in " ".join(reviewer.get("/").text.split())


def test_a_township_sees_its_teams_cases_that_a_missing_holiday_notice_affects(web, system, clock):
    """A township government's user (附件2 第三条) is told of its area's teams' cases whose deadline is counted on
    a guess, as its lists show them; another area's government is told of none of them."""
    with system.db.write() as conn:
        for username, name, agency in [("zhong", "中和街道监督员", "zhjd-zf"), ("wu", "乌杨街道监督员", "wyjd-zf")]:
            create_user(conn, username=username, display_name=name, role="township", agency=agency,
                        password=PASSWORD, now=system.clock.now())
    clock.move_to(at("2026-12-10T09:00:00+08:00"))  # 15 working days of review end after 25 December
    team = Actor("中和街道执法大队", "clerk", "zhjd-zfdd")
    case_id = system.engine.open_case(team, procedure="legality_review", agency="zhjd-zfdd",
                                      title="关于规范中和街道占道经营的通告（送审稿）",
                                      occurred_at=at("2026-12-10T09:00:00+08:00"))["id"]
    town = signed_in(web, "zhong")
    assert case_id in [int(h.rsplit("/", 1)[1]) for h in tree(town.get("/cases")).xpath("//a[starts-with(@href, '/cases/')]/@href")
                       if h.rsplit("/", 1)[1].isdigit()]
    [box] = tree(town.get("/")).xpath("//main/div[@class='warn-box']")
    assert " ".join(box.text_content().split()).startswith("本辖区有 1 件案件的期限按推定的节假日安排计算")
    assert box.xpath(".//a/@href") == [f"/cases/{case_id}"]
    assert "按推定的节假日安排计算" not in signed_in(web, "wu").get("/").text


def test_overdue_page_groups_filters_charts_and_exports(web, system, clock):
    """The supervisor sees the lapsed review period grouped by agency with working days overdue, can filter it away, and exports it to .xlsx and CSV."""
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    case_id = open_draft(system, "关于加强城区占道经营管理的通知（送审稿）", "2025-04-29T09:00:00+08:00")
    supervisor = signed_in(web, "wang")
    page = tree(supervisor.get("/overdue"))
    assert texts(page, '//section[@class="group"]/h2') == ["县市场监管局"]
    assert texts(page, '//section[@class="group"]/h3') == ["规范性文件合法性审查（1 项）"]
    [row] = page.xpath('//section[@class="group"]//tbody/tr')
    cells = [" ".join(td.text_content().split()) for td in row.xpath("td")]
    # Last day Fri 5-23 (see the 待办 test); after it 5-26, 5-27, 5-28 are working days.
    assert cells[0].startswith("关于加强城区占道经营管理的通知（送审稿）")
    assert cells[3:] == ["办理时限", "2025年5月23日（周五）", "3 个工作日"]
    assert "县市场监管局" in texts(page, '//svg[@class="chart"]//text')
    assert texts(page, '//svg[@class="chart"]//text[@class="chart-value"]') == ["1"]

    assert "没有符合条件的逾期事项" in supervisor.get("/overdue?kind=statutory").text
    assert "没有符合条件的逾期事项" in supervisor.get("/overdue?min_days=4").text
    assert "3 个工作日" in supervisor.get(f"/overdue?agency={UNIT}&procedure=legality_review&kind=service_level").text

    book = openpyxl.load_workbook(io.BytesIO(supervisor.get("/overdue/export.xlsx?kind=service_level").data))
    rows = list(book.active.values)
    assert rows[0][:4] == ("单位", "程序", "案件编号", "案件名称")
    assert rows[1][:4] == ("县市场监管局", "规范性文件合法性审查", case_id, "关于加强城区占道经营管理的通知（送审稿）")
    assert rows[1][8] == 3
    exported = supervisor.get("/overdue/export.csv").data.decode("utf-8")
    assert exported.startswith("\ufeff单位,程序")
    assert list(csv.reader(io.StringIO(exported.lstrip("\ufeff"))))[1][8] == "3"
    assert "没有符合条件的逾期事项" in signed_in(web, "zhao").get("/overdue").text  # another agency's clerk


def test_overdue_exports_keep_formula_like_titles_as_text(web, system, clock):
    """A title a clerk typed as a formula stays text: a string cell in the .xlsx, a leading ' in the CSV."""
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    titles = ['=HYPERLINK("http://example.com","点击")', "@SUM(1)", "+1+1"]
    for title in titles:
        open_draft(system, title, "2025-04-29T09:00:00+08:00")
    supervisor = signed_in(web, "wang")

    sheet = openpyxl.load_workbook(io.BytesIO(supervisor.get("/overdue/export.xlsx").data)).active
    title_cells = [row[3] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in title_cells] == titles  # same working days overdue, so in case order
    assert [c.data_type for c in title_cells] == ["s", "s", "s"]
    assert all(c.quotePrefix for c in title_cells)  # Excel keeps it text even when the cell is edited
    assert [row[8].value for row in sheet.iter_rows(min_row=2)] == [3, 3, 3]  # numbers stay numbers

    exported = supervisor.get("/overdue/export.csv").data.decode("utf-8").lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(exported)))[1:]
    assert [r[3] for r in rows] == ["'" + t for t in titles]
    assert [r[8] for r in rows] == ["3", "3", "3"]


@pytest.mark.parametrize("db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True)
def test_overdue_csv_written_by_postgresql_matches_the_row_by_row_export(web, system, clock, monkeypatch):
    """On PostgreSQL the CSV is written by COPY; it holds the very fields the row-by-row writer (SQLite's
    path) writes: titles with commas, quotes, formula starts and spaces, the days overdue, a clerk's
    scope and a filter, in the same order."""
    clock.move_to(at("2025-05-28T10:00:00+08:00"))
    titles = ['关于"城区"占道经营，管理的通知', "-1 号文", " 前后有空格 ", "@SUM(1)", "普通标题"]
    for i, title in enumerate(titles):
        open_draft(system, title, f"2025-04-{22 + i}T09:00:00+08:00")
    clients = {name: signed_in(web, name) for name in ("wang", "zhang", "zhao")}
    for name, query in [("wang", ""), ("zhang", ""), ("zhao", ""), ("wang", "?min_days=4"),
                        ("wang", f"?agency={UNIT}&kind=service_level")]:
        copied = clients[name].get("/overdue/export.csv" + query).data.decode("utf-8")
        with monkeypatch.context() as m:
            m.setattr("adapters.web.overdue.copies_csv", lambda conn: False)
            written = clients[name].get("/overdue/export.csv" + query).data.decode("utf-8")
        assert copied.startswith("\ufeff单位,程序")
        rows = list(csv.reader(io.StringIO(copied.lstrip("\ufeff"))))
        assert rows == list(csv.reader(io.StringIO(written.lstrip("\ufeff")))), (name, query)
        assert copied == written, (name, query)  # the same bytes, line ends included
    everything = list(csv.reader(io.StringIO(clients["wang"].get("/overdue/export.csv").data.decode("utf-8-sig"))))
    expected = ["'" + t if t[0] in "-@" else t.strip() for t in titles]  # a title is stored trimmed
    assert sorted(r[3] for r in everything[1:]) == sorted(expected)
    # Opened Tue 4-22 … Sat 4-26: one working day apart, but Friday's and Saturday's run from the same day.
    assert sorted(r[8] for r in everything[1:]) == ["6", "6", "7", "8", "9"]
    assert len(list(csv.reader(io.StringIO(clients["zhao"].get("/overdue/export.csv").data.decode("utf-8-sig"))))) == 1


# --- the calendar ------------------------------------------------------------------------------


def test_calendar_page_shows_the_year_and_counts_a_deadline(web):
    """2025 shows 劳动节 with its make-up Sunday, and 5 working days from 4-30 end on 5-12 with the explanation."""
    page = tree(signed_in(web, "zhang").get("/calendar?year=2025&start=2025-04-30&n=5&unit=working_days"))
    blocks = texts(page, '//ul[@class="blocks"]/li')
    labour = next(b for b in blocks if b.startswith("劳动节"))
    assert "2025年5月1日至2025年5月5日，共 5 天；调休上班：2025年4月27日（周日）" in labour
    assert page.xpath('//table[@class="month"][5]//td[@class="holiday"]/text()')[:5] == ["1", "2", "3", "4", "5"]
    assert page.xpath('//table[@class="month"][4]//td[@class="make_up"]/text()') == ["27"]
    assert page.xpath('//*[@id="calc-last-day"]/@data-date') == ["2025-05-12"]
    assert any("不计入的休息日（共7日）" in line for line in texts(page, '//div[@class="result"]//p'))
    unknown = signed_in(web, "zhang").get("/calendar?year=2031")
    assert "尚未载入国务院办公厅关于 2031 年部分节假日安排的通知" in unknown.text
    bad = tree(signed_in(web, "zhang").get("/calendar?start=2025-13-01&n=0"))
    assert texts(bad, '//*[@id="calc-n-error"]') == ["期间长度应为 1 至 3650 之间的整数。"]


def test_every_procedure_has_a_labelled_opening_form_and_a_diagram(web, system):
    """For each procedure a person may open, the 立案 form labels every control, and every definition version draws its diagram."""
    people = {"clerk": "zhang", "supervisor": "wang", "reviewer": "li"}
    clients = {role: signed_in(web, username) for role, username in people.items()}
    opened = []
    for proc in system.registry.all():
        assert str(svg(proc, current=proc.initial)).count('class="dg-state') == len(proc.states)
        role = next((r for r in people if r in proc.opened_by), None)
        if role is None:
            continue
        page = clients[role].get(f"/cases/new/{proc.name}")
        assert page.status_code == 200, (proc.name, page.text)
        doc = tree(page)
        for control in doc.xpath('//form[contains(@class, "form")]//*[self::input or self::select or self::textarea]'
                                 '[not(@type="hidden")]'):
            labelled = (doc.xpath(f'//label[@for="{control.get("id")}"]') or control.xpath("ancestor::label")
                        or control.xpath("ancestor::fieldset/legend"))
            assert labelled, (proc.name, lhtml.tostring(control))
            assert re.search(r"[\u4e00-\u9fff]", " ".join(x.text_content() for x in labelled)), (proc.name, control.get("name"))
        opened.append(proc.name)
    assert "legality_review" in opened


# --- generated forms and diagrams (no database) ---------------------------------------------------


class Sample(Payload):
    kinds = codes({"a": "甲类（含乙）", "b": "丙类"}, what="类别")
    outcome = choice({"ok": "通过", "no": "不通过"}, what="结论")
    days = fields.Integer(required=True, metadata={"title": "改正期限（日）"})
    served = fields.Date()
    remark = text(max_length=100)
    reasons = text(max_length=5000)


def test_forms_are_generated_from_payload_schemas():
    """Codes become checkboxes and a choice a select, both with their Chinese names; numbers and dates get their inputs; submitted text is converted for the engine."""
    specs = {s.name: s for s in forms.schema_fields(Sample)}
    assert (specs["kinds"].kind, specs["kinds"].label, specs["kinds"].choices) == (
        "checkboxes", "类别", [("a", "甲类（含乙）"), ("b", "丙类")])
    assert (specs["outcome"].kind, specs["outcome"].label, specs["outcome"].choices[1]) == ("select", "结论", ("no", "不通过"))
    assert (specs["days"].kind, specs["days"].label, specs["days"].required) == ("number", "改正期限（日）", True)
    assert [specs[n].kind for n in ("served", "remark", "reasons")] == ["date", "text", "textarea"]
    from werkzeug.datastructures import MultiDict
    values, problems = forms.read_form(MultiDict([("kinds", "a"), ("kinds", "b"), ("days", "10"), ("remark", " 好 "),
                                                  ("served", "")]), specs.values())
    assert values == {"kinds": ["a", "b"], "days": 10, "remark": "好"} and problems == {}
    _, problems = forms.read_form(MultiDict([("days", "十")]), specs.values())
    assert problems == {"days": ["应为整数（半角数字）。"]}
    assert forms.errors_by_field({"kinds.0": ["x"], "_schema": ["y"]}, specs) == ({"kinds": ["x"]}, ["y"])


def test_state_diagram_has_every_state_once_and_survives_cycles():
    """The SVG names every state once, marks the current one, and lays out a procedure whose feedback loops back."""
    rule = Rule("《测试规则》")
    proc = procedure(
        "loop_test", version=1, title="循环测试", initial="open", basis=rule.art(1), opened_by="clerk",
        states=[state("open", "办理中", basis=rule.art(1)), state("check", "核查中", basis=rule.art(2)),
                state("done", "已办结", basis=rule.art(3), terminal=True)],
        transitions=[transition("report", "open", "check", role="clerk", basis=rule.art(2), title="报送"),
                     transition("reject", "check", "open", role="reviewer", basis=rule.art(2), title="退回"),
                     transition("note", "open", None, role="clerk", basis=rule.art(2), title="备注"),
                     transition("accept", "check", "done", role="reviewer", basis=rule.art(3), title="办结")])
    drawn = lhtml.fromstring(str(svg(proc, current="check")))
    assert drawn.xpath('//text[@class="dg-title"]/text()') == ["办理中", "核查中", "已办结"]
    assert drawn.xpath('//g[contains(@class, "current")]//text[@class="dg-title"]/text()') == ["核查中"]
    assert sorted(drawn.xpath('//text[@class="dg-label"]/text()')) == ["办结", "报送", "退回"]
    assert drawn.xpath('//text[@class="dg-loop"]/text()') == ["↻ 备注"]


# --- in the browser ------------------------------------------------------------------------------


def browser_page(browser, server: Server, username: str, password: str = PASSWORD):
    """A new page in `browser`, signed in as `username` on the 待办 list (zh-CN, Beijing time)."""
    page = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN",
                               timezone_id="Asia/Shanghai").new_page()
    page.goto(server.url + "/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(server.url + "/")
    return page


def screenshot_folder(server: Server, tmp_path: Path) -> Path:
    """docs/screenshots when XSFLOW_SCREENSHOTS=1 (SQLite run only), else a temporary folder."""
    if os.environ.get("XSFLOW_SCREENSHOTS") == "1" and server.database_url.startswith("sqlite"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path / "screenshots"


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="浏览器测试需要 Debian 的 Chromium：apt-get install -y chromium（不使用 playwright install）")
def test_a_case_from_draft_to_termination_in_the_browser(server: Server, tmp_path: Path):
    """In Chromium: a clerk submits drafts by form, a reviewer asks for two materials by checkbox, the lapse terminates the case, the clerk downloads the opinion, the supervisor finds the lapsed review on 逾期, and another agency's clerk and a tokenless form are refused."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    for username, name, role, agency in [("zhang", "张三", "clerk", UNIT), ("li", "李四", "reviewer", None),
                                         ("wang", "王五", "supervisor", None), ("zhao", "赵六", "clerk", OTHER)]:
        made = user_cli(server.database_url, "create", "--username", username, "--name", name, "--role", role,
                        *(["--agency", agency] if agency else []), password=PASSWORD + "\n")
        assert made.returncode == 0, made.stderr
    shots = screenshot_folder(server, tmp_path)
    shots.mkdir(parents=True, exist_ok=True)

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def person(username: str, *, shoot: bool = False):
            context = browser.new_context(viewport={"width": 1360, "height": 900}, locale="zh-CN",
                                          timezone_id="Asia/Shanghai", accept_downloads=True)
            page = context.new_page()
            page.goto(server.url + "/")  # sends an anonymous visitor to the sign-in page
            assert "/login" in page.url
            if shoot:
                page.screenshot(path=shots / "login.png")
            # By keyboard: the user name field takes the focus; Tab to the password; Enter signs in.
            page.wait_for_function("document.activeElement && document.activeElement.id === 'username'")
            page.keyboard.type(username)
            page.keyboard.press("Tab")
            page.keyboard.type(PASSWORD)
            page.keyboard.press("Enter")
            page.wait_for_url(server.url + "/")
            return page

        def shot(page, name: str) -> None:
            page.screenshot(path=shots / f"{name}.png", full_page=True)

        # The clerk submits two drafts through the 立案 form.
        clerk = person("zhang", shoot=True)
        clerk.get_by_role("link", name="立案", exact=True).click()
        clerk.get_by_role("link", name="规范性文件合法性审查").click()
        drafts = [("关于规范农贸市场管理的通知（送审稿）", "2025-04-29T09:00"),
                  ("关于加强城区占道经营管理的通知（送审稿）", "2025-04-30T15:00")]
        ids = []
        for title, when in drafts:
            clerk.goto(server.url + "/cases/new/legality_review")
            clerk.get_by_label("案件名称").fill(title)
            clerk.get_by_label("发生时间").fill(when)
            if not ids:
                shot(clerk, "new-case")
            clerk.get_by_role("button", name="立案").click()
            assert clerk.locator(".meta strong").inner_text() == "已送审"
            ids.append(int(clerk.url.rsplit("/", 1)[1]))
        market, street = ids

        # The reviewer's 待办: the review of the first draft ends 5-23 (4-29 + 15 working days over 劳动节),
        # of the second 5-26 (4-30 + 15: 5-6..5-9, 5-12..5-16, 5-19..5-23, 5-26): the first is listed first.
        reviewer = person("li")
        assert reviewer.locator("table.list tbody tr td:first-child a").all_inner_texts() == [t for t, _ in drafts]
        assert reviewer.locator("table.list tbody tr td:nth-child(7)").all_inner_texts() == [
            "2025年5月23日（周五）", "2025年5月26日（周一）"]
        shot(reviewer, "todo")
        reviewer.get_by_role("link", name=drafts[0][0]).click()
        action = reviewer.locator("section.action", has=reviewer.get_by_role("heading", name="一次性告知补正材料"))
        action.get_by_role("button", name="一次性告知补正材料").click()
        assert reviewer.locator("#request_supplement-missing-error").inner_text() == "本案未登记报送的材料，请逐项列出需补正的材料。"
        shot(reviewer, "case-form-error")
        action = reviewer.locator("section.action", has=reviewer.get_by_role("heading", name="一次性告知补正材料"))
        action.get_by_role("checkbox", name="法律法规依据").check()
        action.get_by_role("checkbox", name="征求意见及意见采纳情况").check()
        action.get_by_label("说明", exact=True).fill("请补充上位法依据及征求意见情况。")
        action.get_by_label("发生时间").fill("2025-04-30T10:00")
        action.get_by_role("button", name="一次性告知补正材料").click()
        assert reviewer.locator(".flash").inner_text() == "已办理：一次性告知补正材料。"
        assert reviewer.locator(".meta strong").inner_text() == "待补正材料"
        # Served Wed 4-30; 5-1..5-5 劳动节; 5-6, 5-7, 5-8, 5-9, (weekend), 5-12 → last day Mon 5-12.
        assert "最后一日：2025年5月12日（周一）" in reviewer.locator("li.deadline", has_text="补正材料期限").inner_text()
        assert "秀山司补〔2025〕1号" in reviewer.locator("ul.docs").inner_text()
        shot(reviewer, "case")

        # Another agency's clerk: 403 by link, by document link and by a form posted with a valid token.
        other = person("zhao")
        forbidden = other.goto(f"{server.url}/cases/{market}")
        assert forbidden.status == 403 and "该案件属于其他单位" in other.content()
        shot(other, "forbidden")
        other.goto(server.url + "/")
        token = other.locator('input[name="csrf_token"]').first.input_value()
        posted = other.request.post(f"{server.url}/cases/{market}/events/supplement",
                                    form={"csrf_token": token, "version": "2", "items": "legal_basis"})
        assert posted.status == 403

        # A form without its CSRF token is refused, and the case is unchanged.
        refused = clerk.request.post(f"{server.url}/cases/{street}/events/withdraw", form={"version": "1"})
        assert refused.status == 400
        clerk.goto(f"{server.url}/cases/{street}")
        assert clerk.locator(".meta strong").inner_text() == "已送审"

        # Before the sweep the lapsed supplement period is already on 逾期; the sweep at 5-13 00:00:30 terminates.
        supervisor = person("wang")
        supervisor.goto(server.url + "/overdue")
        assert "补正材料期限" in supervisor.locator("section.group").inner_text()
        assert "fired 1" in server.tick("2025-05-13T00:00:30+08:00").stdout
        supervisor.reload()
        group = supervisor.locator("section.group")
        assert group.locator("h2").all_inner_texts() == ["县市场监管局"]
        rows = group.locator("tbody tr")
        assert rows.count() == 1 and drafts[1][0] in rows.inner_text()
        calendar = OfficialCalendar(bundled_notices())
        assert calendar.add_working_days(date(2025, 4, 30), 15).last_day == date(2025, 5, 26)
        late = working_days_after(calendar, date(2025, 5, 26), local_date(datetime.now(UTC)))
        assert rows.locator("td").nth(5).inner_text() == f"{late} 个工作日"
        shot(supervisor, "overdue")
        with supervisor.expect_download() as download:
            supervisor.get_by_role("link", name="Excel（.xlsx）").click()
        assert download.value.suggested_filename.endswith(".xlsx")
        download.value.save_as(tmp_path / "overdue.xlsx")
        sheet = openpyxl.load_workbook(tmp_path / "overdue.xlsx").active
        assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [drafts[1][0]]

        # The clerk sees the termination and downloads the termination opinion.
        clerk.goto(f"{server.url}/cases/{market}")
        assert clerk.locator(".meta strong").inner_text() == "已终止审查"
        assert "逾期未补正，终止审核" in clerk.locator("ol.timeline li").last.inner_text()
        with clerk.expect_download() as download:
            clerk.get_by_role("link", name="终止审核意见书").click()
        download.value.save_as(tmp_path / "opinion.docx")
        opinion = docx.Document(tmp_path / "opinion.docx")
        assert "秀山司终〔2025〕1号" in [p.text for p in opinion.paragraphs]
        assert download.value.suggested_filename == "秀山司终〔2025〕1号终止审核意见书.docx"
        shot(clerk, "case-terminated")

        clerk.goto(server.url + "/calendar?year=2025")
        clerk.get_by_label("起算日（事项发生之日）").fill("2025-04-30")
        clerk.get_by_label("期间长度").fill("5")
        clerk.get_by_role("button", name="计算").click()
        assert clerk.locator("#calc-last-day").get_attribute("data-date") == "2025-05-12"
        shot(clerk, "calendar")
        browser.close()


@pytest.mark.skipif(not Path(CHROMIUM).exists(),
                    reason="浏览器测试需要 Debian 的 Chromium：apt-get install -y chromium（不使用 playwright install）")
def test_sign_in_stays_on_site_and_sign_out_ends_a_copied_cookie_in_the_browser(server: Server):
    """In Chromium: signing in from /login?next=/%09/evil.example lands on 待办 of this server, not evil.example; a second browser given a copy of the cookie is signed in until the first clicks 退出, and then is sent to the sign-in page."""
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    made = user_cli(server.database_url, "create", "--username", "li", "--name", "李四", "--role", "reviewer",
                    password=PASSWORD + "\n")
    assert made.returncode == 0, made.stderr
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        owner = browser.new_context(locale="zh-CN")
        # Were the browser sent off-site, it would land here (no name lookup needed) and the test would see it.
        owner.route("**/*", lambda route: route.fulfill(body="evil")
                    if urlsplit(route.request.url).hostname == "evil.example" else route.continue_())
        page = owner.new_page()
        page.goto(server.url + "/login?next=/%09/evil.example")
        page.get_by_label("用户名").fill("li")
        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert page.url == server.url + "/" and "李四" in page.locator(".who").inner_text()

        thief = browser.new_context(locale="zh-CN")
        thief.add_cookies(owner.cookies())
        copy = thief.new_page()
        copy.goto(server.url + "/cases")
        assert copy.url == server.url + "/cases" and "李四" in copy.locator(".who").inner_text()

        page.get_by_role("button", name="退出").click()
        page.wait_for_url(server.url + "/login")
        copy.goto(server.url + "/cases")
        assert copy.url.startswith(server.url + "/login")
        assert "登录已失效" in copy.locator(".flash").inner_text()
        browser.close()


def test_dates_are_typed_as_the_county_writes_them_not_in_the_browsers_locale(web, system, clock):
    """Date fields are text fields showing 2026-12-03; 2026年12月3日 and 2026-12-03 09:30 are accepted, 12/03/2026 is refused by the field."""
    clock.move_to(at("2025-05-06T10:00:00+08:00"))
    clerk = signed_in(web, "zhang")
    page = clerk.get("/cases/new/filing_review")
    doc = tree(page)
    for name in ("data.effective_on", "occurred_at"):
        [box] = doc.xpath(f'//input[@name="{name}"]')
        assert box.get("type") in (None, "text") and box.get("placeholder", "").startswith("2026-12-03"), name

    def post(effective: str, occurred: str):
        return clerk.post("/cases/new/filing_review", data={
            "csrf_token": token_of(page.text), "agency": UNIT, "title": "关于规范城区停车管理的通知",
            "data.document_number": f"秀山市监发〔2025〕{len(effective)}号", "data.effective_on": effective,
            "occurred_at": occurred, "form_key": f"k-{effective}-{occurred}"})

    refused = post("05/01/2025", "2025-05-01 09:00")
    assert refused.status_code == 422
    assert "2026年12月3日" in " ".join(texts(tree(refused), "//p[@class='field-error']"))
    opened = post("2025年5月1日", "2025年5月1日 9:30")
    assert opened.status_code == 302, opened.text
    case_id = int(opened.headers["Location"].rsplit("/", 1)[1])
    with system.db.read() as conn:
        row = conn.execute(cases.select().where(cases.c.id == case_id)).mappings().one()
    assert row["data"]["effective_on"] == "2025-05-01"
    assert row["opened_at"] == at("2025-05-01T09:30:00+08:00")
