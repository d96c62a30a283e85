"""One issued document of every declared kind, printed by LibreOffice as a bureau would print it, and shown
in docs/documents.md. The documents come from adapters/samples.py, which walks each procedure to the
transitions that issue them; scripts/document-samples draws the pictures from the same documents."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from adapters.samples import convert_to_pdf, declared, issue_samples, picture_stem, uncovered
from xsflow.docx_layout import title_break
from adapters.compose import county_registry

DOCS = Path(__file__).parents[1] / "docs"
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
PAGE_NUMBER = re.compile(r"^\s*—\s*\d+\s*—\s*$")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    return issue_samples(tmp_path_factory.mktemp("paths"))


def squashed(text: str) -> str:
    """Text without the spaces and line ends that printing adds (between Chinese and digits, at line breaks)."""
    return re.sub(r"\s+", "", text)


def test_every_declared_kind_is_issued_by_a_path(samples):
    """Every document kind of every loaded definition version is issued, numbered, by a path in adapters/samples.py."""
    assert uncovered(samples) == [], "a declared kind has no path in adapters/samples.py"
    declared = {(p.name, p.version, d.name): d for p in county_registry().all() for d in p.documents}
    for s in samples:
        assert re.fullmatch(rf"{declared[s.key].prefix}〔20\d\d〕[1-9]\d*号", s.number), s.number


def test_every_kind_has_its_imprint_and_those_sent_up_their_signer(samples):
    """Every kind ends with its 版记 (印发机关 and 印发日期, 抄送 where configured); a kind sent up carries 签发人 on
    its number line (GB/T 9704-2012 7.2.5, 7.4), as python-docx reads the .docx back."""
    import io

    import docx

    declared = {(p.name, p.version, d.name): d for p in county_registry().all() for d in p.documents}
    for s in samples:
        kind = declared[s.key]
        document = docx.Document(io.BytesIO(s.docx()))
        rows = [row.cells[0].text for row in document.tables[-1].rows]
        issued = s.record["facts"]["issued_on"]
        y, m, d = (int(x) for x in issued.split("-"))
        assert rows[-1] == f"{kind.numbering.issuer.printer}\t{y}年{m}月{d}日印发", (s.key, rows)
        assert (rows[0] == f"抄送：{'，'.join(kind.numbering.cc)}。") if kind.numbering.cc else len(rows) == 1, s.key
        number_line = next(p.text for p in document.paragraphs if p.text.startswith(s.number))
        assert number_line == (f"{s.number}\t签发人：{kind.numbering.issuer.signer}" if kind.sent_up else s.number), s.key
    assert {s.kind for s in samples if declared[s.key].sent_up} == {"decision_request", "criticism_report"}


def test_every_kind_has_its_picture_and_row_in_the_gallery():
    """docs/documents.md shows every declared kind with its picture (when not, run scripts/document-samples)."""
    gallery = (DOCS / "documents.md").read_text(encoding="utf-8")
    for key in declared(county_registry()):
        stem = picture_stem(key)
        assert (DOCS / "documents" / f"{stem}.png").is_file(), f"docs/documents/{stem}.png"
        assert f'src="documents/{stem}.png"' in gallery and f"`{key[2]}`" in gallery, key


@pytest.mark.skipif(not (SOFFICE and POPPLER), reason="needs LibreOffice and poppler "
                    "(Debian packages libreoffice-writer-nogui, poppler-utils, fonts-noto-cjk)")
def test_libreoffice_prints_every_kind_whole_with_the_signature_beside_the_body(samples, tmp_path):
    """LibreOffice prints each kind's .docx with its title (a long one broken where the layout chose), its
    number, its recipient and every word of it, and the signature and date on a page with body text
    (GB/T 9704-2012 7.3.1, 7.3.5)."""
    files = []
    for s in samples:
        path = tmp_path / f"{picture_stem(s.key)}.docx"
        path.write_bytes(s.docx())
        files.append(path)
    convert_to_pdf(SOFFICE, files, tmp_path)
    for s, path in zip(samples, files):
        pdf = path.with_suffix(".pdf")
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        assert int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1)) >= 1
        printed = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True,
                                 text=True).stdout
        pages = [squashed("\n".join(line for line in page.splitlines() if not PAGE_NUMBER.match(line)))
                 for page in printed.split("\f") if page.strip()]
        wording = s.record["facts"]["wording"]
        first_line = next(line for line in printed.splitlines() if line.strip())
        assert squashed(first_line) == squashed(s.heading[:title_break(s.heading) or None]), s.kind
        whole = "".join(pages)
        assert whole.startswith(squashed(s.heading) + squashed(s.number)), (s.kind, whole[:80])
        assert squashed(s.recipient) + "：" in whole, s.kind
        for paragraph in wording["paragraphs"]:  # nothing dropped, nothing clipped at a margin
            assert squashed(paragraph) in whole, (s.kind, paragraph)
        signature = squashed(wording["signature"] + wording["date_line"])
        signed = [p for p in pages if signature in p]
        assert len(signed) == 1 and squashed(wording["paragraphs"][-1])[-4:] in signed[0], s.kind
