"""Issuing documents: numbers per prefix and year with no gap and no duplicate.

The counter row is incremented inside the transition's own transaction, so a transition
that rolls back gives its number back and concurrent transitions queue on the row lock.
"""
from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, insert

from .definitions import DocumentKind
from .payloads import xml_safe
from .store.db import Prepared, insert_or_skip
from .store.schema import document_sequences, documents


def document_number(prefix: str, year: int, seq: int) -> str:
    """`秀山司监〔2026〕12号`: U+3014/U+3015 brackets, no padding, no 第 (GB/T 9704-2012 7.2.4)."""
    return f"{prefix}〔{year}〕{seq}号"


_INSERT_DOCUMENT = Prepared(insert(documents), (
    "case_id", "kind", "title", "prefix", "year", "seq", "number", "issued_at", "legal_instant", "basis", "facts",
    "history_seq", "corrects_id"))


@cache
def _next_sequence_statement(dialect: str) -> Prepared:
    """Built once per dialect; prefix and year come as execution parameters."""
    return Prepared(insert_or_skip(dialect, document_sequences).values(
        prefix=bindparam("seq_prefix"), year=bindparam("seq_year"), last=1).on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"last": document_sequences.c.last + 1},
    ).returning(document_sequences.c.last))


def next_sequence(conn: Connection, prefix: str, year: int) -> int:
    """The next number for (prefix, year); the row stays locked until the transaction ends."""
    stmt = _next_sequence_statement(conn.dialect.name)
    return int(stmt.scalar(conn, {"seq_prefix": prefix, "seq_year": year}))


def issue(conn: Connection, *, case_id: int, kind: DocumentKind, issued_at: datetime, year: int,
          legal_instant: datetime | None, facts: dict[str, Any], history_seq: int,
          corrects_id: int | None = None) -> dict[str, Any]:
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
    return f"{row['number']}{row['title']}.docx", render_docx(xml_safe(row["number"]), wording)


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
