"""Document numbering (issue 17): documents in the county government's name are numbered in the
government's series, the bureau's keep the bureau's; numbers the county's OA assigned are taken
with the issuing event and a duplicate or a gap is refused; two series never collide under
concurrent issue; documents sent up carry 签发人 and every document its 版记 (GB/T 9704-2012).

Over HTTP against a real `xsflow serve` (2 worker processes) on SQLite and PostgreSQL, with the
bundled configuration or one written by the test (XSFLOW_DOCUMENT_NUMBERS).
"""
from __future__ import annotations

import io
import re
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import docx
import pytest

from workflows.numbering import BUNDLED, NumberingConfigError, parse
from xsflow.calendar import SHANGHAI
from .conftest import Server, fire, start_server
from .test_dispute_coordination import people, through_to_coordination
from .test_web import signed_in, tree, web  # noqa: F401 (web: the fixture)

GOVERNMENT = "秀山土家族苗族自治县人民政府"


def docx_of(server: Server, token: str, document_id: int) -> docx.document.Document:
    req = urllib.request.Request(f"{server.url}/api/v1/documents/{document_id}/file",
                                 headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200
        return docx.Document(io.BytesIO(r.read()))


def imprint(document) -> list[str]:
    """The rows of the 版记 (the last table), as a reader sees them."""
    assert document.tables, "the document has no 版记"
    return [row.cells[0].text for row in document.tables[-1].rows]


def reported(server: Server, t: dict[str, str], title: str, when: str = "2025-10-09T16:00:00+08:00") -> int:
    """A dispute the bureau has reported to the county government (the request is issued)."""
    cid = through_to_coordination(server, t, title)
    fire(server, t["reviewer"], cid, "report_to_government", {"opinion": "本局认为应由县市场监管局查处。"}, when)
    return cid


def numbers(case: dict, kind: str) -> list[str]:
    return [d["number"] for d in case["documents"] if d["kind"] == kind]


def test_government_decision_has_the_governments_number_and_bureau_documents_keep_the_bureaus(server: Server):
    """A dispute decision goes out in the county government's name and series (秀山府发), the bureau's request
    and coordination opinion in the bureau's; the request carries 签发人 and every document its 版记."""
    t = people(server)
    cid = reported(server, t, "流动摊贩占道销售无证食品查处职责争议")
    case = fire(server, t["oa"], cid, "record_decision", {"decision": "无证无照销售食品由县市场监管局查处。"},
                "2025-10-20T11:00:00+08:00")
    assert numbers(case, "decision_request") == ["秀山司请〔2025〕1号"]
    assert numbers(case, "dispute_decision") == ["秀山府发〔2025〕1号"]

    agreed = through_to_coordination(server, t, "农贸市场周边占道经营联合执法争议")
    opinion = fire(server, t["reviewer"], agreed, "issue_coordination_opinion",
                   {"agreement": "占道经营由县城市管理局查处。", "measures": "相互移送。"}, "2025-09-26T10:00:00+08:00")
    assert numbers(opinion, "coordination_opinion") == ["秀山司协〔2025〕1号"]

    decision = next(d for d in case["documents"] if d["kind"] == "dispute_decision")
    text = [p.text for p in docx_of(server, t["party"], decision["id"]).paragraphs if p.text.strip()]
    assert text[1] == "秀山府发〔2025〕1号" and GOVERNMENT in text[-2:]
    assert imprint(docx_of(server, t["party"], decision["id"])) == [
        "抄送：县司法局。", f"{GOVERNMENT}办公室\t2025年10月20日印发"]

    request = next(d for d in case["documents"] if d["kind"] == "decision_request")
    sent_up = docx_of(server, t["party"], request["id"])
    number_line = [p.text for p in sent_up.paragraphs if p.text.strip()][1]
    assert number_line == "秀山司请〔2025〕1号\t签发人：待确认"  # GB/T 9704 7.2.5: number left, 签发人 right
    assert imprint(sent_up) == ["秀山土家族苗族自治县司法局办公室\t2025年10月9日印发"]
    # The coordination opinion is not sent up: no 签发人, but its 版记.
    plain = docx_of(server, t["party"], opinion["documents"][0]["id"])
    assert not any("签发人" in p.text for p in plain.paragraphs)
    assert imprint(plain)[-1].endswith("2025年9月26日印发")


def test_the_page_and_the_api_show_the_configured_prefixes_with_the_unconfirmed_marked(server: Server):
    """GET /api/v1/document-numbers lists every kind with its issuer and prefix, each marked confirmed or not."""
    t = people(server)
    r = server.call("GET", "/api/v1/document-numbers", t["party"])
    assert r.status == 200, r.body
    rows = {row["kind"]: row for row in r.body["items"]}
    assert (rows["dispute_decision"]["issuer_name"], rows["dispute_decision"]["prefix"]) == (GOVERNMENT, "秀山府发")
    assert rows["criticism_notice"]["prefix"] == "秀山府发" and rows["supervision_decision"]["prefix"] == "秀山府发"
    assert rows["supervision_opinion"]["issuer"] == "justice_bureau"
    assert rows["decision_request"]["sent_up"] and rows["decision_request"]["signer"] == "待确认"
    assert r.body["unconfirmed"] == r.body["total"] == len(rows)  # nothing confirmed by the county yet
    assert server.call("GET", "/api/v1/document-numbers?x=1", t["party"]).status == 400
    assert server.call("GET", "/api/v1/document-numbers").status == 401


OA_CONFIG = BUNDLED.read_text(encoding="utf-8").replace(
    '[issuers.county_government]\n', '[issuers.county_government]\n').replace(
    'name = "秀山土家族苗族自治县人民政府"\nprinter = "秀山土家族苗族自治县人民政府办公室"\nsigner = ""\nconfirmed = false\nsource = "xsflow"',
    'name = "秀山土家族苗族自治县人民政府"\nprinter = "秀山土家族苗族自治县人民政府办公室"\nsigner = ""\nconfirmed = false\nsource = "oa"').replace(
    # the timer issues these two when a correction order lapses: numbered by xsflow, in a prefix of their own
    'criticism_notice = { prefix = "秀山府发",', 'criticism_notice = { source = "xsflow", prefix = "秀山府通",').replace(
    'sanction_recommendation = { prefix = "秀山府函",', 'sanction_recommendation = { source = "xsflow", prefix = "秀山府处建",')


@pytest.fixture
def oa_server(db_url: str, tmp_path: Path, monkeypatch):
    """`xsflow serve` whose county government is numbered by the county's OA system."""
    assert 'source = "oa"' in OA_CONFIG and "秀山府通" in OA_CONFIG
    path = tmp_path / "document_numbers.toml"
    path.write_text(OA_CONFIG, encoding="utf-8")
    monkeypatch.setenv("XSFLOW_DOCUMENT_NUMBERS", str(path))
    s = start_server(db_url, tmp_path)
    yield s
    s.stop()


def decide(server: Server, token: str, cid: int, number: str | None, *, expect: int = 200) -> dict:
    payload = {"decision": "由县市场监管局查处。"}
    if number is not None:
        payload["document_numbers"] = {"dispute_decision": number}
    return fire(server, token, cid, "record_decision", payload, "2025-10-20T11:00:00+08:00", expect=expect)


def test_an_oa_number_is_taken_and_a_duplicate_or_a_gap_is_refused(oa_server: Server):
    """The OA's number comes with the decision; without one, with a wrong prefix, a number already given or
    one that skips a number, the step is refused 422 naming the field and nothing changes."""
    server = oa_server
    t = people(server)
    first, second = reported(server, t, "争议一"), reported(server, t, "争议二")

    refused = decide(server, t["oa"], first, None, expect=422)["error"]
    assert "document_numbers.dispute_decision" in refused["fields"]
    assert "县OA系统" in refused["fields"]["document_numbers.dispute_decision"][0]
    wrong = decide(server, t["oa"], first, "秀山府办发〔2025〕1号", expect=422)["error"]
    assert "机关代字应为“秀山府发”" in wrong["fields"]["document_numbers.dispute_decision"][0]
    gap = decide(server, t["oa"], first, "秀山府发〔2025〕2号", expect=422)["error"]
    assert gap["message"] == "文号不连续，不能登记。"
    assert "下一个文号应为秀山府发〔2025〕1号" in gap["fields"]["document_numbers.dispute_decision"][0]
    assert server.call("GET", f"/api/v1/cases/{first}", t["oa"]).body["state"] == "awaiting_decision"

    case = decide(server, t["oa"], first, "秀山府发〔2025〕1号")
    assert numbers(case, "dispute_decision") == ["秀山府发〔2025〕1号"]
    history = server.call("GET", f"/api/v1/cases/{first}/history", t["oa"]).body["items"]
    assert history[-1]["payload"]["document_numbers"] == {"dispute_decision": "秀山府发〔2025〕1号"}

    duplicate = decide(server, t["oa"], second, "秀山府发〔2025〕1号", expect=422)["error"]
    assert duplicate["message"] == "文号重复，不能登记。"
    assert f"已用于案件 {first} 的《关于行政执法争议的决定》" in duplicate["fields"]["document_numbers.dispute_decision"][0]
    gap = decide(server, t["oa"], second, "秀山府发〔2025〕3号", expect=422)["error"]
    assert "中间缺1个号" in gap["fields"]["document_numbers.dispute_decision"][0]
    decided = decide(server, t["oa"], second, "秀山府发〔2025〕2号")
    assert numbers(decided, "dispute_decision") == ["秀山府发〔2025〕2号"]

    # A correction of an OA-numbered document takes the OA's number too.
    doc_id = decided["documents"][-1]["id"]
    missing = server.call("POST", f"/api/v1/documents/{doc_id}/corrections", t["reviewer"], {"reason": "笔误"})
    assert missing.status == 422 and "县OA系统" in str(missing.body["error"]["fields"])
    year = datetime.now(SHANGHAI).year  # a correction is dated when it is made (the real clock here)
    corrected = server.call("POST", f"/api/v1/documents/{doc_id}/corrections", t["reviewer"],
                            {"reason": "笔误", "document_number": f"秀山府发〔{year}〕1号"})
    assert corrected.status == 201, corrected.body
    assert corrected.body["number"] == f"秀山府发〔{year}〕1号"

    # A kind xsflow numbers takes no outside number.
    third = through_to_coordination(server, t, "争议三")
    bad = fire(server, t["reviewer"], third, "report_to_government",
               {"opinion": "应由县市场监管局查处。", "document_numbers": {"decision_request": "秀山司请〔2025〕9号"}},
               "2025-10-09T16:00:00+08:00", expect=422)["error"]
    assert bad["fields"] == {"document_numbers.decision_request": ["《关于提请裁决行政执法争议的请示》由本系统编号，不接受外部文号。"]}


def test_the_same_oa_number_posted_at_once_is_taken_once(oa_server: Server):
    """Six decisions posted at the same moment with the same OA number: one is recorded, five refused 422."""
    server = oa_server
    t = people(server)
    cases = [reported(server, t, f"并发争议{i}") for i in range(6)]
    with ThreadPoolExecutor(len(cases)) as pool:
        statuses = list(pool.map(lambda cid: server.call("POST", f"/api/v1/cases/{cid}/events", t["oa"], {
            "trigger": "record_decision", "occurred_at": "2025-10-20T11:00:00+08:00",
            "payload": {"decision": "由县市场监管局查处。", "document_numbers": {"dispute_decision": "秀山府发〔2025〕1号"}},
        }).status, cases))
    assert sorted(statuses) == [200, 422, 422, 422, 422, 422]


def test_two_series_never_collide_under_concurrent_issue(server: Server):
    """Government decisions (秀山府发) and bureau requests (秀山司请) issued at once from many threads through two
    worker processes: each series is 1..n without a gap or a duplicate."""
    t = people(server)
    n = 6
    to_decide = [reported(server, t, f"待裁决争议{i}") for i in range(n)]  # issues 秀山司请 1..n
    to_report = [through_to_coordination(server, t, f"待报请争议{i}") for i in range(n)]

    def step(job):
        kind, cid = job
        if kind == "decide":
            body = {"trigger": "record_decision", "payload": {"decision": "由县市场监管局查处。"},
                    "occurred_at": "2025-10-20T11:00:00+08:00"}
        else:
            body = {"trigger": "report_to_government", "payload": {"opinion": "应由县市场监管局查处。"},
                    "occurred_at": "2025-10-21T11:00:00+08:00"}
        r = server.call("POST", f"/api/v1/cases/{cid}/events", t["reviewer"], body)
        assert r.status == 200, r.body
        return r.body

    jobs = [j for pair in zip((("decide", c) for c in to_decide), (("report", c) for c in to_report)) for j in pair]
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(step, jobs))
    government = sorted(int(re.search(r"〕(\d+)号", num).group(1)) for a in answers for num in numbers(a, "dispute_decision"))
    requests = sorted(int(re.search(r"〕(\d+)号", num).group(1)) for a in answers if a["state"] == "awaiting_decision"
                      for num in numbers(a, "decision_request"))
    assert government == list(range(1, n + 1))
    assert requests == list(range(n + 1, 2 * n + 1))  # after the n requests issued while preparing


def test_a_configuration_that_would_collide_is_refused_with_every_problem_named():
    """One prefix under two issuers, or numbered both by xsflow and by the OA, cannot be configured."""
    with pytest.raises(NumberingConfigError) as err:
        parse({"issuers": {
            "a": {"name": "甲", "printer": "甲办", "prefixes": {"x": {"prefix": "秀山甲"}}},
            "b": {"name": "乙", "printer": "乙办", "source": "oa",
                  "prefixes": {"y": {"prefix": "秀山甲"}, "z": {"prefix": "秀山乙〔"}}},
            "c": {"name": "", "printer": "丙办", "source": "fax"}}})
    text = str(err.value)
    for expected in ("同时配置给了 a、b", "既由本系统编号又由OA系统编号", "prefix 只写机关代字", "[issuers.c] name",
                     "source 应为"):
        assert expected in text, expected


def test_the_prefixes_page_marks_what_the_county_has_not_confirmed(web):
    """The page 发文字号 lists every kind under its issuer with its prefix and example, 待确认 where unconfirmed."""
    page = signed_in(web, "zhang").get("/prefixes")
    assert page.status_code == 200
    doc = tree(page)
    assert "发文机关与机关代字" in doc.findtext(".//h1")
    sections = {s.findtext("h2"): s for s in doc.iter("section")}
    government = sections[GOVERNMENT]
    row = government.find(".//tr[@data-kind='dispute_decision']")
    cells = [c.text_content().strip() for c in row.findall("td")]
    assert cells[1:5] == ["秀山府发", "秀山府发〔2026〕1号", "待确认", "本系统编号"]
    assert cells[6] == "县司法局"
    bureau = sections["秀山土家族苗族自治县司法局"]
    request = [c.text_content().strip() for c in bureau.find(".//tr[@data-kind='decision_request']").findall("td")]
    assert request[1] == "秀山司请" and request[5] == "待确认（待确认）"
    assert "尚未经县里确认" in page.text


def test_the_case_page_asks_for_the_oa_number_and_shows_its_refusal_beside_the_field(sqlite_url, clock, tmp_path,
                                                                                      monkeypatch):
    """Where the OA numbers a step's document, the form has a box for the number; a gap is refused beside it."""
    from adapters.http import create_app
    from tests.test_web import PASSWORD, form_of, texts
    from xsflow import definitions
    from xsflow.access import Actor
    from xsflow.definitions import Rule, procedure, state, transition
    from xsflow.numbering import Issuer, Numbering
    from xsflow.registry import Registry
    from xsflow.system import Xsflow
    from xsflow.users import create_user

    rule = Rule("《测试规则》")
    government = Issuer("county_government", GOVERNMENT, f"{GOVERNMENT}办公室", source="oa")
    decision = definitions.document("test_decision", title="测试决定", prefix="秀山府发", basis=rule.art(1),
                                    numbering=Numbering(government, "秀山府发", False, "oa"))
    proc = procedure(
        "oa_test", version=1, title="OA编号测试", initial="open", basis=rule.art(1), opened_by="clerk",
        states=[state("open", "办理中", basis=rule.art(1)), state("done", "已决定", basis=rule.art(2), terminal=True)],
        transitions=[transition("decide", "open", "done", role="reviewer", basis=rule.art(2), title="作出决定",
                                issues="test_decision")],
        documents=[decision])
    (tmp_path / "test_decision.txt").write_text("主送：{{ recipient.name }}\n决定。\n署名：" + GOVERNMENT +
                                                "\n日期：{{ issued_on | cn_date }}\n", encoding="utf-8")
    system = Xsflow(sqlite_url, registry=Registry([proc]), template_folders=[tmp_path], clock=clock)
    system.init()
    monkeypatch.setenv("XSFLOW_SECRET_KEY", "k" * 64)
    with system.db.write() as conn:
        create_user(conn, username="li", display_name="李四", role="reviewer", agency=None, password=PASSWORD,
                    now=clock.now())
    case = system.engine.open_case(Actor("张三", "clerk", "scjgj"), procedure="oa_test", agency="scjgj", title="测试")
    app = create_app(system)
    reviewer = signed_in(app, "li")
    form = form_of(tree(reviewer.get(f"/cases/{case['id']}")), "decide")
    assert form.xpath('.//input[@name="document_numbers__test_decision"]')
    assert "《测试决定》文号（县OA系统编定）" in " ".join(texts(form, ".//label"))

    hidden = {i.get("name"): i.get("value") for i in form.xpath('.//input[@type="hidden"]')}
    gap = reviewer.post(form.get("action"), data={**hidden, "document_numbers__test_decision": "秀山府发〔2025〕2号"})
    assert gap.status_code == 422
    assert "下一个文号应为秀山府发〔2025〕1号" in " ".join(texts(tree(gap), '//*[@id="decide-document_numbers__test_decision-error"]'))
    form = form_of(tree(gap), "decide")
    hidden = {i.get("name"): i.get("value") for i in form.xpath('.//input[@type="hidden"]')}
    ok = reviewer.post(form.get("action"), data={**hidden, "document_numbers__test_decision": "秀山府发〔2025〕1号"})
    assert ok.status_code == 302, ok.text
    with system.db.read() as conn:
        assert [d["number"] for d in system.engine.load_case(conn, case["id"]).documents] == ["秀山府发〔2025〕1号"]
    system.db.dispose()
