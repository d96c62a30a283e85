"""docs/procedures.md is generated from the definitions and kept current."""
from pathlib import Path

from xsflow.mermaid import markdown, mermaid
from adapters.compose import county_registry

DOC = Path(__file__).parents[1] / "docs" / "procedures.md"


def test_procedures_doc_matches_the_definitions():
    """The committed docs/procedures.md is what `xsflow procedures doc` generates now (regenerate it when this fails)."""
    assert DOC.read_text(encoding="utf-8") == markdown(county_registry().all()) + "\n"


def test_every_transition_appears_in_its_diagram_with_its_article():
    """Each transition of each procedure is an edge of the diagram labelled with its trigger and article."""
    for proc in county_registry().all():
        diagram = mermaid(proc)
        for t in proc.transitions:
            for src in t.sources:
                assert f"{src} --> {t.dest or src} : {t.trigger}（" in diagram
                assert t.basis is not None and t.basis.article in diagram


def test_current_state_is_highlighted():
    """A diagram drawn for a case marks its current state."""
    proc = county_registry().versions("legality_review")[-1]
    assert "class awaiting_supplement current" in mermaid(proc, current="awaiting_supplement")
