"""What the annual assessment reads from case-file evaluation (issue #15), over HTTP on SQLite and
PostgreSQL: per agency and year the files evaluated, the errors per sheet item (四.1), the missing files
(四.5: penalties reported in the enforcement statistics without a registered file) and the self-review
rate; and the evaluation sheet per year (a year without its file is refused, naming the file)."""
from __future__ import annotations

from .conftest import Server, fire, make_tokens
from .test_case_file_evaluation import MEMBERS, reading
from .test_case_file_import import as_csv, upload

ALL_TYPES = {code: 0 for code in ("licensing", "penalty", "coercion", "expropriation", "charging", "inspection",
                                  "confirmation", "adjudication", "other")}


AFTER = {"2025-Q1": "2025-04", "2025-Q2": "2025-07", "2025-Q3": "2025-10"}  # the month the report is due in


def statistics(server: Server, t: dict[str, str], agency: str, token: str, period: str, penalties: int) -> None:
    r = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "enforcement_statistics", "agency": agency, "title": f"{period}执法统计",
        "data": {"period": period}, "occurred_at": f"{AFTER[period]}-01T09:00:00+08:00"})
    assert r.status == 201, r.body
    fire(server, token, r.body["id"], "submit", {"counts": {**ALL_TYPES, "penalty": penalties}},
         f"{AFTER[period]}-03T09:00:00+08:00")


def test_assessment_facts_per_agency_and_year(server: Server):
    t = make_tokens(server.database_url, platform=("system", None), supervisor=("supervisor", None),
                    reviewer=("reviewer", None), gaj=("clerk", "gaj"), scjgj=("clerk", "scjgj"))
    rows = [[f"秀山公罚〔2025〕{i + 1}号", "gaj", f"公安第{i + 1}号案卷", "行政处罚", "2025-06-30", "经办人"] for i in range(4)]
    rows += [[f"秀山公许〔2025〕{i + 1}号", "gaj", f"公安许可第{i + 1}号", "行政许可", "2025-06-30", "经办人"] for i in range(2)]
    rows += [[f"秀山市监罚〔2025〕{i + 1}号", "scjgj", f"市监第{i + 1}号案卷", "行政处罚", "2025-06-30", "经办人"]
             for i in range(3)]
    assert upload(server, t["platform"], as_csv(rows), "text/csv").status == 201
    # 四.5: 县公安局 reported 6 penalties in 2025 (two quarters) and registered 4 penalty files: 2 missing;
    # 县市场监管局 reported 2 and registered 3: none missing (never below 0). A 2024 report does not count.
    statistics(server, t, "gaj", t["gaj"], "2025-Q1", 2)
    statistics(server, t, "gaj", t["gaj"], "2025-Q2", 4)
    statistics(server, t, "scjgj", t["scjgj"], "2025-Q3", 2)

    # Self-review: 县公安局 reviews 3 of its 6 files; the rest lapse.
    gaj_files = server.call("GET", "/api/v1/cases?procedure=case_file_self_review&agency=gaj&limit=50", t["gaj"]).body["items"]
    for case in gaj_files[:3]:
        fire(server, t["gaj"], case["id"], "self_review", {"deductions": {}}, "2025-07-10T09:00:00+08:00")
    server.tick("2025-08-01T00:00:01+08:00")

    # The campaign: every file drawn (5 per agency at most), read by two members, one 行政处罚 file of
    # 县公安局 losing points on two items.
    campaign = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_file_evaluation", "agency": "sfj", "title": "2025年度行政执法案卷集中评查",
        "data": {"year": 2025}, "occurred_at": "2026-01-05T09:00:00+08:00"}).body
    for m in MEMBERS:
        fire(server, t["supervisor"], campaign["id"], "add_member", m, "2026-01-05T10:00:00+08:00")
    drawn = server.call("POST", f"/api/v1/case-file-evaluations/{campaign['id']}/draw", t["supervisor"],
                        {"seed": 1, "default_size": 6})
    assert drawn.status == 200, drawn.body
    files = drawn.body["data"]["files"]
    assert len(files) == 9
    penalty = next(n for n, f in files.items() if f["agency"] == "gaj" and f["case_type"] == "penalty")
    for number, f in files.items():
        for m in f["reviewers"]:
            reading(server, t["reviewer"], campaign["id"], number, m,
                    {"evidence": 2, "documents": 1} if number == penalty else {})

    r = server.call("GET", "/api/v1/case-files/assessment-facts?year=2025", t["supervisor"])
    assert r.status == 200, r.body
    by = {row["agency"]: row for row in r.body}
    assert set(by) == {"gaj", "scjgj"}
    assert by["gaj"] | {"agency_name": None} == {
        "agency": "gaj", "agency_name": None, "year": 2025, "files_evaluated": 6,
        "errors": {"evidence": 1, "documents": 1}, "penalty_errors": 2, "failing": 0,
        "penalties_reported": 6, "penalty_files_registered": 4, "missing_files": 2,
        "self_review_due": 6, "self_reviewed": 3, "self_review_rate": "50.00"}
    assert (by["scjgj"]["files_evaluated"], by["scjgj"]["penalty_errors"], by["scjgj"]["missing_files"],
            by["scjgj"]["self_review_rate"]) == (3, 0, 0, "0.00")
    # An agency's clerk reads its own row only; another agency's is refused.
    own = server.call("GET", "/api/v1/case-files/assessment-facts?year=2025", t["gaj"])
    assert [row["agency"] for row in own.body] == ["gaj"]
    assert server.call("GET", "/api/v1/case-files/assessment-facts?year=2025&agency=scjgj", t["gaj"]).status == 403
    assert server.call("GET", "/api/v1/case-files/assessment-facts?year=2025&x=1", t["gaj"]).status == 400
    assert server.call("GET", "/api/v1/case-files/assessment-facts", t["gaj"]).status == 422
    # A year with nothing: an empty list.
    assert server.call("GET", "/api/v1/case-files/assessment-facts?year=2023", t["supervisor"]).body == []


def test_a_year_without_its_sheet_is_refused_naming_the_file(server: Server):
    t = make_tokens(server.database_url, supervisor=("supervisor", None))
    r = server.call("POST", "/api/v1/cases", t["supervisor"], {
        "procedure": "case_file_evaluation", "agency": "sfj", "title": "2024年度行政执法案卷集中评查",
        "data": {"year": 2024}, "occurred_at": "2025-01-05T09:00:00+08:00"})
    assert r.status == 422, r.body
    [message] = r.body["error"]["fields"]["data.year"]
    assert "没有2024年度的案卷评查评分表" in message and "case_file_sheet_2024.toml" in message
    # Nothing was opened.
    listed = server.call("GET", "/api/v1/cases?procedure=case_file_evaluation", t["supervisor"]).body["items"]
    assert listed == []
