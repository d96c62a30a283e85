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
from collections.abc import Mapping
from datetime import date
from typing import Any

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from lxml import etree
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt

from .wording import Wording

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
SIGNER_FONT = "楷体_GB2312"  # 7.2.5: the signer's name
HEADING_FONT = "黑体"  # 7.3.3: the first level of headings (一、) "一般用黑体字"
FALLBACKS = {TITLE_FONT: "宋体", BODY_FONT: "仿宋", SIGNER_FONT: "楷体"}  # what Windows and most Chinese systems have
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
LINE = Pt(28.9)  # 225 mm / 22 lines
INDENT_2 = Pt(32)  # two characters of 三号


def render_docx(number: str, wording: Wording, layout: Mapping[str, Any] | None = None) -> bytes:
    """The document laid out; `layout` (stored with it, issuing.layout) adds 签发人 (7.2.5) and the 版记 (7.4)."""
    layout = layout or {}
    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28)
    _default_style(doc)
    _chinese_text(doc)
    _declare_fallbacks(doc)

    for line in wording.title.split("\n"):
        title = _para(doc, line, font=TITLE_FONT, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(35))
        _break_title(title, line)
    if layout.get("signer"):
        _number_and_signer(doc, number, layout["signer"])
    else:
        _para(doc, number, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc, "")
    if wording.recipient:
        _para(doc, wording.recipient.rstrip("：:") + "：")
    body = [_para(doc, text, first_indent=INDENT_2, align=WD_ALIGN_PARAGRAPH.JUSTIFY,
                  font=HEADING_FONT if _is_heading(text) else None) for text in wording.paragraphs]
    gap = _para(doc, "")
    # 7.3.5: the signature and the date (and the seal over them) never stand on a page without body text.
    for p in body[-1:] + [gap]:
        p.paragraph_format.keep_with_next = True
    last = _sign(doc, wording.signature, wording.date_line)
    if last is not None and wording.notes:  # the 附注 below the date goes with it
        last.paragraph_format.keep_with_next = True
    for note in wording.notes:
        _para(doc, f"（{note.strip('（）()')}）", first_indent=INDENT_2)
    if layout.get("printer") and layout.get("printed_on"):
        _imprint(doc, layout.get("cc") or [], layout["printer"], layout["printed_on"])
    _page_number(section.footer.paragraphs[0])

    out = io.BytesIO()
    doc.core_properties.title = f"{wording.title} {number}"
    doc.save(out)
    return out.getvalue()


def _number_and_signer(doc, number: str, signer: str) -> None:
    """7.2.5: in a document sent up, the number 居左空一字 and 签发人 居右空一字 on one line, the name
    in 3号楷体 after “签发人：” in 3号仿宋."""
    p = _para(doc, number)
    fmt = p.paragraph_format
    fmt.left_indent = fmt.right_indent = SIZE_3
    fmt.tab_stops.add_tab_stop(TYPE_AREA - SIZE_3 * 2, WD_TAB_ALIGNMENT.RIGHT)
    p.add_run("\t签发人：")
    _set_font(p.add_run(signer)._element.get_or_add_rPr(), SIGNER_FONT)


def _imprint(doc, cc: list[str], printer: str, printed_on: str) -> None:
    """7.4 版记, after the text: 抄送 (7.4.2) and 印发机关和印发日期 (7.4.3) in 4号仿宋, each 左右各空一字,
    between separator lines as wide as the type area, the first and the last thick (0.35 mm), those
    between thin (0.25 mm). Set as a one-column table, as the usual Word templates of the standard do.
    A simplification: it follows the text instead of standing at the foot of an even page."""
    d = date.fromisoformat(printed_on)
    rows = ([f"抄送：{'，'.join(c.strip('，,。') for c in cc)}。"] if cc else []) + [f"{printer}\t{d.year}年{d.month}月{d.day}日印发"]
    table = doc.add_table(rows=len(rows), cols=1)
    table.autofit = False
    _table_borders(table)
    for row, text in zip(table.rows, rows):
        row.cells[0].width = TYPE_AREA
        p = row.cells[0].paragraphs[0]
        fmt = p.paragraph_format
        fmt.left_indent = fmt.right_indent = SIZE_4
        if text.startswith("抄送："):  # 7.4.2: a second line aligns under the first organ (回行时与冒号后的首字对齐)
            fmt.left_indent, fmt.first_line_indent = SIZE_4 * 4, -SIZE_4 * 3
        fmt.tab_stops.add_tab_stop(TYPE_AREA - SIZE_4 - Mm(4), WD_TAB_ALIGNMENT.RIGHT)  # less the cell margins
        fmt.keep_with_next = True
        p.add_run(text).font.size = SIZE_4
    doc.paragraphs[-1].paragraph_format.keep_with_next = True  # the text's last lines go with the 版记


THICK, THIN = 8, 6  # border widths in eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.25 mm


def _table_borders(table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for side, size in (("top", THICK), ("left", None), ("bottom", THICK), ("right", None),
                       ("insideH", THIN), ("insideV", None)):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            for attr, value in (("w:sz", str(size)), ("w:space", "0"), ("w:color", "000000")):
                el.set(qn(attr), value)
        borders.append(el)
    tbl_pr.append(borders)


def _units(text: str) -> float:
    """Width in characters of the text's size: ASCII is half a character, and LibreOffice and Word
    put about a quarter of a character between Chinese and Western text."""
    width = sum(0.5 if ord(c) < 128 else 1.0 for c in text)
    return width + 0.25 * sum((ord(a) < 128) != (ord(b) < 128) for a, b in zip(text, text[1:]))


TYPE_AREA = Mm(156)
TITLE_CHARS = TYPE_AREA / SIZE_2  # 20.1 characters of 2号 on a line
_NO_LINE_START = "”’》）〕」』、，。；：！？"
_NO_LINE_END = "“‘《（〔「『"
# Where a phrase starts in these titles: a line may break before them without splitting a word.
TITLE_PHRASES = ("并", "及", "和", "与", "行政", "监督", "考核", "争议", "予以", "拒不")


def title_break(title: str) -> int | None:
    """Where a title too long for one line breaks (7.3.1: 词意完整, 梯形): at a phrase boundary near the
    middle, the first line the longer one (a box that narrows the title can only make that shape).
    None when it fits on one line or needs more than two."""
    if _units(title) <= TITLE_CHARS:
        return None
    best: tuple[float, int] | None = None
    for i in range(1, len(title)):
        left, right = title[:i], title[i:]
        if right[0] in _NO_LINE_START or left[-1] in _NO_LINE_END or ord(right[0]) < 128:
            continue
        wl, wr = _units(left), _units(right)
        if wl > TITLE_CHARS or wr > wl:
            continue
        phrase = left[-1] in "”’》）" or right[0] in _NO_LINE_END or right.startswith(TITLE_PHRASES)
        quoted = left.count("“") > left.count("”") or left.count("《") > left.count("》")  # inside a name
        cost = (wl - wr) + (0 if phrase and not quoted else 12) + (6 if quoted else 0)
        if best is None or cost < best[0]:
            best = (cost, i)
    return best[1] if best else None


def _break_title(p, title: str) -> None:
    """Narrows the centred title to its first line's width so that it breaks where `title_break` says;
    the text stays one paragraph, as typed."""
    at = title_break(title)
    if at is None:
        return
    side = Emu(int((TYPE_AREA - SIZE_2 * (_units(title[:at]) + 0.3)) / 2))
    p.paragraph_format.left_indent = p.paragraph_format.right_indent = side


def _is_heading(text: str) -> bool:
    """A first-level heading standing on its own line: 一、需要协调的事项 (not an item that says something)."""
    head, sep, rest = text.partition("、")
    return bool(sep) and bool(head) and all(c in "一二三四五六七八九十" for c in head) \
        and 0 < len(rest) <= 20 and not any(c in rest for c in "，。；：")


def _sign(doc, signature: str, date_line: str):
    """7.3.5.1 (a sealed document): the date 右空四字, the issuing organ centred over the date, both
    pressed by the seal; an organ too long for that is set flush right, on one line where it fits.
    Returns the last paragraph it set, if any."""
    date_indent = INDENT_2 * 2
    last = None
    if signature:
        offset = (_units(date_line) - _units(signature)) / 2 if date_line else 0
        indent = max(0, min(int(date_indent + SIZE_3 * offset), int(TYPE_AREA - SIZE_3 * _units(signature))))
        last = _para(doc, signature, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=Emu(indent))
        last.paragraph_format.keep_with_next = bool(date_line)
    if date_line:
        last = _para(doc, date_line, align=WD_ALIGN_PARAGRAPH.RIGHT, right_indent=date_indent)
    return last


def _default_style(doc) -> None:
    normal = doc.styles["Normal"]
    normal.font.size = SIZE_3
    _set_font(normal.element.get_or_add_rPr(), BODY_FONT)
    fmt = normal.paragraph_format
    fmt.line_spacing_rule, fmt.line_spacing = WD_LINE_SPACING.EXACTLY, LINE
    fmt.space_before = fmt.space_after = Pt(0)
    # Word's default, said explicitly: LibreOffice then keeps a line's last comma inside the type area.
    # Left unsaid, LibreOffice lets it hang past the margin and drops it from a justified line.
    punct = OxmlElement("w:overflowPunct")
    punct.set(qn("w:val"), "1")
    normal.element.pPr.find(qn("w:spacing")).addprevious(punct)


def _chinese_text(doc) -> None:
    """Marks the East Asian text as Chinese (PRC). The bundled template says en-US, and LibreOffice then
    falls back to Japanese glyph forms (，。： centred in the em box) where the standard's fonts are missing."""
    rpr = doc.styles.element.xpath("w:docDefaults/w:rPrDefault/w:rPr")[0]
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")


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
