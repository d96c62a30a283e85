"""案卷评查 pages in-process on a FixedClock (exact days), SQLite and PostgreSQL: the self-review list's
keyset pages with their total and the days left counted by hand; the scoring page without script (the
server shows the total, a refusal records nothing and keeps what was typed)."""
from __future__ import annotations

from adapters.case_file_rates import population
from tests.conftest import at
from tests.test_web import signed_in, texts, token_of, tree, web  # noqa: F401  (web is a fixture)
from xsflow.access import Actor
from xsflow.queries import get_case

CLERK = Actor("张三（zhang）", "clerk", "scjgj")
OTHER = Actor("赵六（zhao）", "clerk", "gaj")
BOSS = Actor("王五（wang）", "supervisor")


def closed_file(system, actor: Actor, number: str, closed: str, case_type: str = "penalty") -> int:
    return system.engine.open_case(actor, procedure="case_file_self_review", agency=actor.agency,
                                   title=f"{number}案卷", occurred_at=at(closed),
                                   data={"case_number": number, "case_type": case_type, "handler": "张三"})["id"]


def test_self_review_list_pages_with_a_total_and_the_days_left(web, system, clock):  # noqa: F811
    clock.move_to(at("2025-10-01T10:00:00+08:00"))
    # Closed 9-30: the 30 days end 10-30 (a Thursday). Closed 9-01: the 30th day, 10-01, is National Day:
    # rolled over to 10-09, the first working day after the holiday (2025: 10-1..10-8 off).
    for i in range(54):
        closed_file(system, CLERK, f"秀山市监罚〔2025〕{i + 1}号", "2025-09-30T16:00:00+08:00")
    early = closed_file(system, CLERK, "秀山市监罚〔2025〕900号", "2025-09-01T16:00:00+08:00")
    closed_file(system, OTHER, "秀山公罚〔2025〕1号", "2025-09-30T16:00:00+08:00")  # another agency's

    clerk = signed_in(web, "zhang")
    page = tree(clerk.get("/case-files/self-review"))
    assert texts(page, "//h1/span[@class='count']") == ["55 件"]
    rows = page.xpath("//table[contains(@class,'self-review')]/tbody/tr")
    assert len(rows) == 50
    assert texts(page, "//table[contains(@class,'self-review')]/tbody/tr[1]/td[2]") == ["秀山市监罚〔2025〕900号案卷"]
    assert texts(page, "//td[contains(@class,'days-left')]")[:2] == ["剩 8 天", "剩 29 天"]
    assert page.xpath(f"//a[@href='/cases/{early}']")
    [next_url] = page.xpath("//a[text()='下一页']/@href")
    second = tree(clerk.get(next_url))
    assert len(second.xpath("//table[contains(@class,'self-review')]/tbody/tr")) == 5
    assert texts(second, "//h1/span[@class='count']") == ["55 件"] and not second.xpath("//a[text()='下一页']")
    assert not set(texts(page, "//td[1]") + texts(second, "//td[1]")) & {"秀山公罚〔2025〕1号"}
    # A cursor that is not one of ours: a clear 400, not a 500.
    refused = clerk.get("/case-files/self-review?cursor=nonsense")
    assert refused.status_code == 400 and "翻页参数" in refused.text

    # The bureau sees every agency's, or one agency's by the filter.
    boss = signed_in(web, "wang")
    assert texts(tree(boss.get("/case-files/self-review")), "//h1/span[@class='count']") == ["56 件"]
    assert texts(tree(boss.get("/case-files/self-review?agency=gaj")), "//h1/span[@class='count']") == ["1 件"]


def test_scoring_page_without_script_shows_the_total_and_refuses_without_recording(web, system, clock):  # noqa: F811
    clock.move_to(at("2025-07-01T10:00:00+08:00"))
    for i in range(2):
        closed_file(system, OTHER, f"秀山公罚〔2025〕{i + 1}号", "2025-06-30T16:00:00+08:00")
    clock.move_to(at("2026-01-05T10:00:00+08:00"))
    campaign = system.engine.open_case(BOSS, procedure="case_file_evaluation", agency="sfj",
                                       title="2025年度行政执法案卷集中评查", data={"year": 2025})["id"]
    for m in [{"member_id": "m1", "name": "刘一", "role": "bureau_staff", "agency": "sfj"},
              {"member_id": "m4", "name": "李四", "role": "judge", "unit": "秀山县人民法院"},
              {"member_id": "m3", "name": "张三", "role": "agency_expert", "agency": "gaj"}]:
        system.engine.fire(BOSS, campaign, "add_member", m)
    with system.db.read() as conn:
        files = population(conn, 2025)
    drawn = system.engine.fire(BOSS, campaign, "draw_sample", {"seed": 5, "default_size": 1, "population": files})
    [number] = drawn["data"]["sample"]
    assert sorted(drawn["data"]["files"][number]["reviewers"]) == ["m1", "m4"]  # never m3, of 县公安局

    reviewer = signed_in(web, "li")
    page = reviewer.get(f"/case-file-evaluations/{campaign}/score", query_string={"file": number})
    assert page.status_code == 200
    doc = tree(page)
    assert texts(doc, "//output[@id='total']") == ["100.00"]
    assert texts(doc, "//select[@id='member']/option")[1:] == ["刘一", "李四（秀山县人民法院）"]
    form = {"csrf_token": token_of(page.text), "version": str(drawn["version"]), "file": number, "member": "m4",
            "d_evidence": "20", "d_procedure": "20", "d_documents": "0.01", "findings": ""}
    refused = reviewer.post(f"/case-file-evaluations/{campaign}/score", data=form)
    assert refused.status_code == 422
    doc = tree(refused)
    assert texts(doc, "//output[@id='total']") == ["59.99"]
    assert doc.xpath("//input[@id='d_evidence']/@value") == ["20"]
    assert "扣分事由" in " ".join(texts(doc, "//*[contains(@class,'field-error') or contains(@class,'error-box')]"))
    with system.db.read() as conn:
        assert get_case(system.engine, conn, BOSS, campaign)["version"] == drawn["version"]  # nothing recorded
    # With the reasons it is recorded, once.
    done = reviewer.post(f"/case-file-evaluations/{campaign}/score", data={**form, "findings": "主要证据缺失"})
    assert done.status_code == 302
    again = tree(reviewer.get(f"/case-file-evaluations/{campaign}/score", query_string={"file": number}))
    assert texts(again, "//select[@id='member']/option")[1:] == ["刘一"]
    # An agency's clerk may not open the bureau's campaign, its scoring page or its export.
    clerk = signed_in(web, "zhao")
    for path in (f"/case-file-evaluations/{campaign}", f"/case-file-evaluations/{campaign}/score?file={number}",
                 f"/case-file-evaluations/{campaign}/scores.csv"):
        assert clerk.get(path).status_code == 403, path


def test_the_legal_unit_self_reviews_a_file_on_the_sheet(web, system, clock):  # noqa: F811
    clock.move_to(at("2025-10-01T10:00:00+08:00"))
    case_id = closed_file(system, CLERK, "秀山市监罚〔2025〕77号", "2025-09-30T16:00:00+08:00")
    clerk = signed_in(web, "zhang")
    listed = tree(clerk.get("/case-files/self-review"))
    [link] = listed.xpath("//a[text()='自我评查']/@href")
    assert link == f"/case-files/{case_id}/self-review"
    # The case page offers the sheet too.
    assert tree(clerk.get(f"/cases/{case_id}")).xpath(f"//ul[@class='related']//a[@href='{link}']")
    page = clerk.get(link)
    assert page.status_code == 200 and texts(tree(page), "//output[@id='total']") == ["100.00"]
    done = clerk.post(link, data={"csrf_token": token_of(page.text), "version": "1", "reviewer": "法制科王五",
                                  "d_evidence": "5", "d_documents": "0.5", "findings": "询问笔录未签名\n送达回证不全"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{case_id}")
    with system.db.read() as conn:
        case = get_case(system.engine, conn, CLERK, case_id)
    assert case["state"] == "self_reviewed"
    assert (case["data"]["self_review"]["score"], case["data"]["self_review"]["late"],
            case["data"]["self_review"]["reviewer"]) == ("94.50", False, "法制科王五")
    # Reviewed: gone from the list, and the page says so.
    assert not tree(clerk.get("/case-files/self-review")).xpath("//a[text()='自我评查']")
    assert "本案卷已自我评查" in clerk.get(link).text
    # Another agency's clerk may not open it.
    assert signed_in(web, "zhao").get(link).status_code == 403
