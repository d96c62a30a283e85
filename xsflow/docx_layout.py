"""Lays an issued document out as .docx after GB/T 9704-2012 (党政机关公文格式).

A4 with the standard type area (156 mm × 225 mm: top 37 mm, left 28 mm), the title in
2号方正小标宋简体, everything else in 3号仿宋_GB2312 at 22 lines a page, the number line
with 〔〕 brackets, the recipient flush left, the signature and the date in full Arabic
numerals at the right (7.3.5.1), a page number in the footer. The fonts are named as the
standard names them; the font table tells Word and LibreOffice what to use where they are
missing.
"""
from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement, parse_xml
from lxml import etree
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from .wording import Wording

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋"}  # what Windows and most Chinese systems have
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
LINE = Pt(28.9)  # 225 mm / 22 lines
INDENT_2 = Pt(32)  # two characters of 三号


def render_docx(number: str, wording: Wording) -> bytes:
    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    _default_style(doc)
    _declare_fallbacks(doc)

    for line in wording.title.split("\n"):
        _para(doc, line, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
    _para(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "")
    if wording.recipient:
        _para(doc, wording.recipient.rstrip("：:") + "：")
    for text in wording.paragraphs:
        _para(doc, text, first_indent=INDENT_2, align=WD_ALIGN_PARAGRAPH.JUSTIFY)
    _para(doc, "")
    if wording.signature:
        _para(doc, wording.signature, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=INDENT_2 * 2)
    if wording.date_line:
        _para(doc, wording.date_line, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=INDENT_2)
    for note in wording.notes:
        _para(doc, f"（{note.strip('（）()')}）", first_indent=INDENT_2)
    _page_number(section.footer.paragraphs[0])

    out = io.BytesIO()
    doc.core_properties.title = f"{wording.title} {number}"
    doc.save(out)
    return out.getvalue()


def _default_style(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = SIZE_3
    _set_font(normal.element.get_or_add_rPr(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.space_before = fmt.space_after = Pt(0)


def _set_font(rpr, name: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _para(doc, text: str, *, font: str | None = None, size=None, align=None, first_indent=None,
          right_indent=None, line=None):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if align is not None:
        p.alignment = align
    if first_indent is not None:
        fmt.first_line_indent = first_indent
    if right_indent is not None:
        fmt.right_indent = right_indent
    if line is not None:
        fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, line
    if text:
        run = p.add_run(text)
        if size is not None:
            run.font.size = size
        if font is not None:
            _set_font(run._element.get_or_add_rPr(), font)
    return p


def _declare_fallbacks(doc) -> None:
    """Adds <w:altName> for the standard's fonts to the font table (python-docx has no API for it)."""
    for rel in doc.part.rels.values():
        if rel.reltype.endswith("/fontTable"):
            part = rel.target_part
            root = parse_xml(part.blob)
            for name, alt in FALLBACKS.items():
                font = OxmlElement("w:font")
                font.set(qn("w:name"), name)
                for tag, value in (("w:altName", alt), ("w:charset", "86")):  # 86: GB2312
                    child = OxmlElement(tag)
                    child.set(qn("w:val"), value)
                    font.append(child)
                root.append(font)
            part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            return


def _page_number(p) -> None:
    """A centred page number `— 1 —` in 4号 (7.5.1 puts it at the outer edge; centred is a simplification)."""
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("— ", None, " —"):
        run = p.add_run()
        run.font.size = SIZE_4
        if piece:
            run.text = piece
            continue
        for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
            if kind:
                el = OxmlElement("w:fldChar")
                el.set(qn("w:fldCharType"), kind)
            else:
                el = OxmlElement("w:instrText")
                el.set(qn("xml:space"), "preserve")
                el.text = text
            run._r.append(el)
