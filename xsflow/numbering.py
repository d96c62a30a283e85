"""Who issues a document and where its number comes from (发文机关, 机关代字, 编号来源).

A document is numbered in its issuer's series: one counter per prefix (机关代字) and year, shared
by every kind the issuer numbers under that prefix. The issuer's numbers come either from xsflow
(the next number of the counter) or from the county's OA system, which sends the number it
assigned with the issuing event (payload field `document_numbers`, docs/decisions.md). Both go
through the same counter row, locked for the transaction, so the two can never give one number
twice: an OA number must be the next one (or, where the operator allows gaps, a later one), never
one already given.

The values themselves are the operator's configuration (workflows/document_numbers.toml); this
module only holds them and applies them.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, select, update

from .errors import InvalidPayload
from .store.db import Prepared, insert_or_skip
from .store.schema import document_sequences, documents

SOURCES = {"xsflow": "本系统编号", "oa": "县OA系统编号"}
FIELD = "document_numbers"  # the payload field that carries OA numbers, by document kind


@dataclass(frozen=True)
class Issuer:
    """An organ in whose name documents go out, with what its 版记 and 签发人 say (GB/T 9704 7.2.5, 7.4)."""

    code: str
    name: str  # 发文机关全称, the signature
    printer: str  # 印发机关 (usually the issuer's office)
    signer: str = ""  # 签发人 of the documents it sends up
    confirmed: bool = False  # the county confirmed name, printer and signer
    source: str = "xsflow"  # "xsflow" | "oa"
    allow_gaps: bool = False  # an OA series that also numbers documents xsflow never sees


@dataclass(frozen=True)
class Numbering:
    """How one document kind is numbered: its issuer, prefix and source, and its 抄送."""

    issuer: Issuer
    prefix: str
    confirmed: bool  # the county has confirmed the prefix
    source: str  # the issuer's, or the kind's own
    cc: tuple[str, ...] = ()

    @property
    def from_oa(self) -> bool:
        return self.source == "oa"


def document_number(prefix: str, year: int, seq: int) -> str:
    """`秀山司监〔2026〕12号`: U+3014/U+3015 brackets, no padding, no 第 (GB/T 9704-2012 7.2.4)."""
    return f"{prefix}〔{year}〕{seq}号"


def parse_number(text: str, prefix: str, year: int) -> int:
    """The sequence of an OA number, which must be `prefix〔year〕n号`; ValueError with a Chinese reason."""
    value = (text or "").strip().replace("[", "〔").replace("]", "〕").replace("［", "〔").replace("］", "〕")
    m = re.fullmatch(r"(.+)〔([0-9]{4})〕([0-9]{1,6})号", value)
    example = document_number(prefix, year, 1)
    if m is None:
        raise ValueError(f"文号“{text}”格式不对，应为“机关代字〔年份〕序号号”，例如“{example}”。")
    if m.group(1) != prefix:
        raise ValueError(f"文号“{text}”的机关代字应为“{prefix}”（本类文书已配置的机关代字），例如“{example}”。")
    if int(m.group(2)) != year:
        raise ValueError(f"文号“{text}”的年份应为{year}（文书的成文日期所在年度）。")
    seq = int(m.group(3))
    if seq < 1 or m.group(3).startswith("0"):
        raise ValueError(f"文号“{text}”的序号应为不编虚位、不加“0”的正整数（GB/T 9704-2012 7.2.4）。")
    return seq


def given_numbers(raw: Any, kinds: Mapping[str, Any]) -> dict[str, str]:
    """The OA numbers a payload carries, checked against the kinds the step issues (kind name → DocumentKind).

    Every kind numbered by the OA must have one; no other kind may have one."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise InvalidPayload("OA系统编定的文号有误。", {FIELD: ["应为“文书种类: 文号”的对象，例如 {\"criticism_notice\": \"秀山府发〔2026〕3号\"}。"]})
    problems: dict[str, list[str]] = {}
    for name, value in raw.items():
        kind = kinds.get(name)
        if kind is None:
            issued = "、".join(kinds) or "无"
            problems[f"{FIELD}.{name}"] = [f"本操作不出具“{name}”；本操作出具的文书：{issued}。"]
        elif kind.numbering is None or not kind.numbering.from_oa:
            problems[f"{FIELD}.{name}"] = [f"《{kind.title}》由本系统编号，不接受外部文号。"]
    for name, kind in kinds.items():
        if kind.numbering is not None and kind.numbering.from_oa and not (raw.get(name) or "").strip():
            problems[f"{FIELD}.{name}"] = [
                f"《{kind.title}》以{kind.numbering.issuer.name}名义印发，文号由县OA系统编定：请填写OA系统编定的文号，"
                f"例如“{kind.numbering.prefix}〔年份〕序号号”。"]
    if problems:
        raise InvalidPayload("文书编号有误，请逐项修改。", problems)
    return dict(raw)


@cache
def _next_statement(dialect: str) -> Prepared:
    """Built once per dialect; prefix, year and how many numbers come as execution parameters."""
    count = bindparam("seq_count", type_=Integer)
    return Prepared(insert_or_skip(dialect, document_sequences).values(
        prefix=bindparam("seq_prefix"), year=bindparam("seq_year"), last=count).on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"last": document_sequences.c.last + count},
    ).returning(document_sequences.c.last))


@cache
def _lock_statement(dialect: str) -> Prepared:
    """Creates the counter at 0 or touches it: either way the row stays locked until the transaction ends
    (PostgreSQL locks a row an ON CONFLICT DO UPDATE touches; SQLite writes one transaction at a time)."""
    return Prepared(insert_or_skip(dialect, document_sequences).values(
        prefix=bindparam("seq_prefix"), year=bindparam("seq_year"), last=0).on_conflict_do_update(
        index_elements=["prefix", "year"], set_={"last": document_sequences.c.last},
    ).returning(document_sequences.c.last))


def next_sequence(conn: Connection, prefix: str, year: int) -> int:
    """The next number for (prefix, year); the row stays locked until the transaction ends."""
    return next_sequences(conn, prefix, year, 1)[0]


def next_sequences(conn: Connection, prefix: str, year: int, count: int) -> range:
    """The next `count` numbers for (prefix, year), taken in one statement; the row stays locked until
    the transaction ends."""
    last = int(_next_statement(conn.dialect.name).scalar(
        conn, {"seq_prefix": prefix, "seq_year": year, "seq_count": count}))
    return range(last - count + 1, last + 1)


def claim_sequence(conn: Connection, numbering: Numbering, year: int, text: str, field: str) -> int:
    """Takes the number the OA assigned, if it is the series' next one (or a later one where gaps are
    allowed); a duplicate, an earlier number or a gap is refused (422 on `field`), changing nothing."""
    prefix = numbering.prefix
    try:
        seq = parse_number(text, prefix, year)
    except ValueError as err:
        raise InvalidPayload("OA系统编定的文号有误。", {field: [str(err)]}) from None
    last = int(_lock_statement(conn.dialect.name).scalar(conn, {"seq_prefix": prefix, "seq_year": year}))
    number = document_number(prefix, year, seq)
    if seq <= last:
        holder = conn.execute(select(documents.c.case_id, documents.c.title).where(
            documents.c.prefix == prefix, documents.c.year == year, documents.c.seq == seq)).first()
        where = f"（已用于案件 {holder.case_id} 的《{holder.title}》）" if holder else ""
        raise InvalidPayload("文号重复，不能登记。", {field: [
            f"{number}已经使用{where}；{prefix}〔{year}〕已登记至{last}号，下一个文号应为{document_number(prefix, year, last + 1)}。"]})
    if seq > last + 1 and not numbering.issuer.allow_gaps:
        raise InvalidPayload("文号不连续，不能登记。", {field: [
            f"{prefix}〔{year}〕已登记至{last}号，下一个文号应为{document_number(prefix, year, last + 1)}，"
            f"OA系统给出的是{number}，中间缺{seq - last - 1}个号。请核对OA系统的编号。"]})
    conn.execute(update(document_sequences).where(document_sequences.c.prefix == prefix,
                                                  document_sequences.c.year == year).values(last=seq))
    return seq
