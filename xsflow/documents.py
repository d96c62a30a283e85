"""Issuing documents: numbers per prefix and year with no gap and no duplicate (xsflow/numbering.py).

The counter row is incremented inside the transition's own transaction, so a transition
that rolls back gives its number back and concurrent transitions queue on the row lock.
A sweep's batch numbers its documents at its end instead (`numbered_at_end`), so that the counter is
locked for the last moment of the batch, not from its first document on.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from .definitions import DocumentKind
from .errors import InvalidPayload
from .payloads import xml_safe
from .numbering import (claim_sequence, document_number, next_sequence,  # noqa: F401 (names other modules use)
                        next_sequences)
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
        held = conn.info.get(_HELD)
        if held is not None:  # numbered, with its id, when the block ends (the row is filled in then)
            row = _row(case_id, kind, year, None, issued_at, legal_instant, facts, history_seq, corrects_id)
            held.append(row)
            return row
        seq = next_sequence(conn, kind.prefix, year)
    row = _row(case_id, kind, year, seq, issued_at, legal_instant, facts, history_seq, corrects_id)
    row["id"] = _INSERT_DOCUMENT.insert_id(conn, row)
    return row


def _row(case_id: int, kind: DocumentKind, year: int, seq: int | None, issued_at: datetime,
         legal_instant: datetime | None, facts: dict[str, Any], history_seq: int,
         corrects_id: int | None) -> dict[str, Any]:
    return {
        "case_id": case_id, "kind": kind.name, "title": kind.title, "prefix": kind.prefix, "year": year,
        "seq": seq, "number": None if seq is None else document_number(kind.prefix, year, seq),
        "issued_at": issued_at, "legal_instant": legal_instant, "basis": str(kind.basis), "facts": facts,
        "history_seq": history_seq, "corrects_id": corrects_id,
    }


_HELD = "xsflow_documents_numbered_at_end"


@contextmanager
def numbered_at_end(conn: Connection) -> Iterator[None]:
    """Within: documents of a series xsflow numbers are held back; when the block ends without error
    they are numbered, in the order they were issued, with one counter update per series, and stored
    in one statement. The counter rows are then locked from the block's end to the commit only, so
    two sweep workers' batches no longer queue on them (docs/performance.md). A step that must read
    a number it issued (a second document of a case, a linked case naming the first) calls
    `number_held` first. On error nothing held is written: the transaction rolls back whole.
    SQLite writes one transaction at a time, so there is no lock to shorten: nothing is held there."""
    if conn.dialect.name == "sqlite" or _HELD in conn.info:
        yield
        return
    held: list[dict[str, Any]] = []
    conn.info[_HELD] = held
    try:
        yield
    finally:
        conn.info.pop(_HELD, None)
    _store_numbered(conn, held)


def number_held(conn: Connection) -> None:
    """Numbers and stores the documents held so far by `numbered_at_end` (none outside it)."""
    held = conn.info.get(_HELD)
    if held:
        _store_numbered(conn, held)
        held.clear()


def _store_numbered(conn: Connection, held: list[dict[str, Any]]) -> None:
    series: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for row in held:
        series.setdefault((row["prefix"], row["year"]), []).append(row)
    for (prefix, year) in sorted(series):  # one order for every worker: two batches never deadlock
        rows = series[(prefix, year)]
        for row, seq in zip(rows, next_sequences(conn, prefix, year, len(rows))):
            row["seq"], row["number"] = seq, document_number(prefix, year, seq)
    if held:
        ids = conn.execute(insert(documents).returning(documents.c.id, sort_by_parameter_order=True),
                           [{k: row[k] for k in _INSERT_DOCUMENT.columns} for row in held]).scalars().all()
        for row, id_ in zip(held, ids):
            row["id"] = id_


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
