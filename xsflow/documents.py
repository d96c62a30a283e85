"""Issuing documents: numbers per prefix and year with no gap and no duplicate (xsflow/numbering.py).

The counter row is incremented inside the transition's own transaction, so a transition
that rolls back gives its number back and concurrent transitions queue on the row lock.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from .definitions import DocumentKind
from .errors import InvalidPayload
from .payloads import xml_safe
from .numbering import claim_sequence, document_number, next_sequence  # noqa: F401 (names other modules use)
from .store.db import Prepared
from .store.schema import documents

_INSERT_DOCUMENT = Prepared(insert(documents), (
    "case_id", "kind", "title", "prefix", "year", "seq", "number", "issued_at", "legal_instant", "basis", "facts",
    "history_seq", "corrects_id"))


def issue(conn: Connection, *, case_id: int, kind: DocumentKind, issued_at: datetime, year: int,
          legal_instant: datetime | None, facts: dict[str, Any], history_seq: int,
          corrects_id: int | None = None, given: str | None = None, field: str = "") -> dict[str, Any]:
    """Numbers and stores one document: the next number of its series, or `given`, the number the
    county's OA system assigned (checked: no duplicate, no gap; 422 on `field` otherwise)."""
    if kind.numbering is not None and kind.numbering.from_oa:  # never an xsflow number in the OA's series
        if given is None:
            raise InvalidPayload("文书编号有误。", {field or "document_numbers": [
                f"《{kind.title}》的文号由县OA系统编定，请填写OA系统编定的文号。"]})
        seq = claim_sequence(conn, kind.numbering, year, given, field)
    else:
        seq = next_sequence(conn, kind.prefix, year)
    row = {
        "case_id": case_id, "kind": kind.name, "title": kind.title, "prefix": kind.prefix, "year": year,
        "seq": seq, "number": document_number(kind.prefix, year, seq), "issued_at": issued_at,
        "legal_instant": legal_instant, "basis": str(kind.basis), "facts": facts, "history_seq": history_seq,
        "corrects_id": corrects_id,
    }
    row["id"] = _INSERT_DOCUMENT.insert_id(conn, row)
    return row


def docx_file(row: dict[str, Any]) -> tuple[str, bytes]:
    """The file name and .docx bytes of an issued document, laid out from its stored wording."""
    from .docx_layout import render_docx
    from .wording import Wording

    wording = Wording(**_writable(row["facts"]["wording"]))
    return f"{row['number']}{row['title']}.docx", render_docx(xml_safe(row["number"]), wording,
                                                              _writable(row["facts"].get("layout")))


def _writable(value: Any) -> Any:
    """The stored wording with any character XML cannot hold replaced: text stored before such
    characters were refused (or by a path that let one through) must not stop the file being made."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_writable(v) for v in value]
    if isinstance(value, dict):
        return {k: _writable(v) for k, v in value.items()}
    return value
