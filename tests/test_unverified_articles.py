"""Articles encoded from a summary (《行政执法监督条例》 art. 26–31, case_supervision v2) are marked
`verified=false` on GET /api/v1/procedures and ※ on both diagrams; the county rule's are not."""
from __future__ import annotations

from pathlib import Path

from adapters.web.state_svg import svg
from workflows import ALL_PROCEDURES
from xsflow.mermaid import markdown, mermaid

from .conftest import Server, make_tokens

REFERENCE = Path(__file__).resolve().parents[1] / "xsflow" / "reference" / "administrative_enforcement_supervision_regulation.md"


def test_procedures_list_marks_the_regulations_unchecked_articles(server: Server):
    token = make_tokens(server.database_url, admin=("admin", None))["admin"]
    r = server.call("GET", "/api/v1/procedures", token)
    assert r.status == 200
    by_key = {(p["name"], p["version"]): p for p in r.body["items"]}
    v1, v2 = by_key[("case_supervision", 1)], by_key[("case_supervision", 2)]
    assert v1["unverified"] == 0 and all(t["verified"] for t in v1["transitions"])
    marked = {t["trigger"] for t in v2["transitions"] if not t["verified"]}
    assert {"issue_urging_letter", "raise_objection", "issue_decision", "report_publicly"} <= marked
    assert all(not t["verified"] for t in v2["transitions"] if "行政执法监督条例" in t["basis"])
    assert all(t["verified"] for t in v2["transitions"] if "行政执法监督条例" not in t["basis"]
               and "规定时限" not in t["basis"])
    assert {s["name"] for s in v2["states"] if not s["verified"]} >= {"objection_under_review", "awaiting_decision"}
    assert v2["unverified"] > 0 and by_key[("legality_review", 1)]["unverified"] == 0
    # the existing fields stay
    assert {"name", "version", "title", "basis", "states", "transitions", "deadlines", "documents"} <= set(v2)


def test_the_diagrams_mark_them_and_the_reference_file_says_the_text_must_be_checked():
    v2 = next(p for p in ALL_PROCEDURES if p.name == "case_supervision" and p.version == 2)
    v1 = next(p for p in ALL_PROCEDURES if p.name == "case_supervision" and p.version == 1)
    assert "※" in str(svg(v2))
    assert "尚未与公布文本核对" in str(svg(v2)) and "※" not in str(svg(v1))
    assert "行政执法监督条例第27条※" in mermaid(v2) and "※" not in mermaid(v1)
    assert "（条文未经核对）" in markdown([v2])
    text = REFERENCE.read_text(encoding="utf-8")
    assert "NOT CHECKED AGAINST THE PUBLISHED TEXT" in text and "国务院令第825号" in text
