"""One-sheet .xlsx workbooks streamed as they are written: the zip (stdlib zipfile, which writes to a
stream it cannot seek with data descriptors) is sent a chunk at a time while the rows are still being
read, so the first byte leaves at once and memory holds one chunk, whatever the rows.

XlsxWriter and openpyxl's write-only mode keep the sheet in a temporary file and zip it at the end
(the first byte after the last row; issue 14), so the sheet's XML is written here: inline strings and
numbers, three styles (plain, the header's bold, and Excel's quote prefix that keeps text looking
like a formula text), column widths, a frozen header and an autofilter. The workbooks are read back
by openpyxl and LibreOffice in tests/test_xlsx_stream.py."""
from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from xsflow.payloads import xml_safe

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # text Excel or WPS would run as a formula (OWASP "CSV injection")
CHUNK_BYTES = 1 << 16
RENDERED_PER_COLUMN = 5_000
PLAIN, HEADER, QUOTED = 0, 1, 2  # cellXfs of STYLES

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
PACKAGE_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
</Relationships>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>\
</Relationships>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<fonts count="2"><font><sz val="11"/><name val="宋体"/></font><font><b/><sz val="11"/><name val="宋体"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center"/></xf>\
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" quotePrefix="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
MAIN = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
RELATIONSHIPS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


class _Pipe:
    """What zipfile writes to: bytes kept until the generator hands them on (not seekable, so zipfile
    writes each member's sizes after its data)."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.written = 0

    def write(self, data: bytes) -> int:
        self.buffer += data
        self.written += len(data)
        return len(data)

    def tell(self) -> int:
        return self.written

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        out = bytes(self.buffer)
        self.buffer.clear()
        return out


def column_name(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def text_cell(value: str) -> str:
    """An inline string, made XML-safe; Excel's quote prefix when a spreadsheet would run it as a formula."""
    style = f' s="{QUOTED}"' if value.startswith(FORMULA_STARTS) else ""
    space = ' xml:space="preserve"' if value != value.strip() else ""
    return f'<c t="inlineStr"{style}><is><t{space}>{escape(xml_safe(value))}</t></is></c>'


def stream_xlsx(sheet: str, columns: Sequence[tuple[str, float]], rows: Iterable[Sequence[Any]], *,
                numeric: frozenset[int] = frozenset(), chunk: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The workbook of one sheet named `sheet`: a bold, frozen header of `columns` (title, width), then
    `rows`. Values in the `numeric` positions are numbers (int, or digits as text); other values are
    text; None and "" leave the cell empty. Text values repeated across rows (labels) are rendered once.
    Memory holds one chunk and the remembered cells, whatever the number of rows."""
    pipe = _Pipe()
    book = zipfile.ZipFile(pipe, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
    for name, body in (("[Content_Types].xml", CONTENT_TYPES), ("_rels/.rels", PACKAGE_RELS),
                       ("xl/_rels/workbook.xml.rels", WORKBOOK_RELS), ("xl/styles.xml", STYLES)):
        book.writestr(name, body)
    last_column = column_name(len(columns) - 1)
    count = 0
    with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as out:
        widths = "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                         for i, (_, w) in enumerate(columns, start=1))
        header = "".join(f'<c t="inlineStr" s="{HEADER}"><is><t>{escape(title)}</t></is></c>' for title, _ in columns)
        out.write((f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet {MAIN} {RELATIONSHIPS}>'
                   '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                   ' state="frozen"/></sheetView></sheetViews>'
                   f'<cols>{widths}</cols><sheetData><row>{header}</row>').encode())
        # Per column, each text's cell rendered once: labels repeat on every row. A column of distinct
        # texts (titles) stops being remembered at RENDERED_PER_COLUMN, so memory stays flat.
        rendered: list[dict[str, str]] = [{} for _ in columns]
        numbers = [i in numeric for i in range(len(columns))]
        lines: list[str] = []
        for count, row in enumerate(rows, start=1):
            cells = []
            for is_number, seen, value in zip(numbers, rendered, row):
                if value is None or value == "":
                    cells.append("<c/>")
                elif is_number:
                    cells.append(f"<c><v>{int(value)}</v></c>")
                else:
                    cell = seen.get(value)
                    if cell is None:
                        cell = text_cell(value)
                        if len(seen) < RENDERED_PER_COLUMN:
                            seen[value] = cell
                    cells.append(cell)
            lines.append("<row>" + "".join(cells) + "</row>")
            if len(lines) == 500:
                out.write("".join(lines).encode())
                lines.clear()
                if len(pipe.buffer) >= chunk:
                    yield pipe.take()
        out.write(("".join(lines) + f'</sheetData><autoFilter ref="A1:{last_column}{count + 1}"/></worksheet>').encode())
    book.writestr("xl/workbook.xml", (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook {MAIN} {RELATIONSHIPS}>'
        f'<sheets><sheet name={quoteattr(sheet)} sheetId="1" r:id="rId1"/></sheets>'
        f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
        f"{escape(repr_sheet(sheet))}!$A$1:${last_column}${count + 1}</definedName></definedNames></workbook>"))
    book.close()
    yield pipe.take()


def repr_sheet(sheet: str) -> str:
    """A sheet's name as a formula names it: quoted, a ' doubled."""
    return "'" + sheet.replace("'", "''") + "'"
