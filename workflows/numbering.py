"""发文机关与机关代字: the operator's configuration of who issues each document kind and with what
number prefix (workflows/document_numbers.toml, or the file named by XSFLOW_DOCUMENT_NUMBERS).

A workflow module declares a kind with `document(name, title=…, issuer=…, basis=…)`: the issuer
comes from the rule, the prefix, its number source and the 版记 data from this configuration.
No prefix is written in a workflow module.
"""
from __future__ import annotations

import os
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from xsflow import definitions
from xsflow.definitions import Basis, DocumentKind, Facts
from xsflow.numbering import SOURCES, Issuer, Numbering

BUNDLED = Path(__file__).with_name("document_numbers.toml")
ENV = "XSFLOW_DOCUMENT_NUMBERS"
GAPS = {"refuse": False, "allow": True}


class NumberingConfigError(ValueError):
    """The configuration cannot be used; the message lists every problem."""


def config_path() -> Path:
    named = os.environ.get(ENV, "").strip()
    if not named:
        return BUNDLED
    path = Path(named)
    return path / "document_numbers.toml" if path.is_dir() else path


@cache
def configuration() -> dict[str, Any]:
    """{issuers: {code: Issuer}, kinds: {(issuer, kind): Numbering}}, checked as a whole."""
    path = config_path()
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise NumberingConfigError(f"发文字号配置文件 {path} 无法读取：{err}") from None
    return parse(raw, str(path))


def _text(value: Any, where: str, problems: list[str], *, required: bool = True, limit: int = 100) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit \
            or any(ord(c) < 32 for c in value):
        problems.append(f"{where} 应为不超过 {limit} 个字的一行文字{'（必填）' if required else ''}")
        return ""
    return value.strip()


def parse(raw: dict[str, Any], source: str = "document_numbers.toml") -> dict[str, Any]:
    problems: list[str] = []
    issuers: dict[str, Issuer] = {}
    kinds: dict[tuple[str, str], Numbering] = {}
    for code, entry in (raw.get("issuers") or {}).items():
        where = f"[issuers.{code}]"
        if not isinstance(entry, dict):
            problems.append(f"{where} 应为表")
            continue
        unknown = set(entry) - {"name", "printer", "signer", "confirmed", "source", "gaps", "prefixes"}
        if unknown:
            problems.append(f"{where} 有不认识的项：{'、'.join(sorted(unknown))}")
        src = entry.get("source", "xsflow")
        if src not in SOURCES:
            problems.append(f"{where} source 应为 \"xsflow\" 或 \"oa\"，现为 {src!r}")
        gaps = entry.get("gaps", "refuse")
        if gaps not in GAPS:
            problems.append(f"{where} gaps 应为 \"refuse\" 或 \"allow\"，现为 {gaps!r}")
        issuer = Issuer(code, _text(entry.get("name"), f"{where} name", problems),
                        _text(entry.get("printer"), f"{where} printer", problems),
                        _text(entry.get("signer", ""), f"{where} signer", problems, required=False, limit=40),
                        entry.get("confirmed") is True, src if src in SOURCES else "xsflow", GAPS.get(gaps, False))
        issuers[code] = issuer
        for kind, item in (entry.get("prefixes") or {}).items():
            at = f"[issuers.{code}.prefixes] {kind}"
            if not isinstance(item, dict):
                problems.append(f"{at} 应写作 {{ prefix = \"…\", confirmed = false }}")
                continue
            unknown = set(item) - {"prefix", "confirmed", "cc", "source"}
            if unknown:
                problems.append(f"{at} 有不认识的项：{'、'.join(sorted(unknown))}")
            prefix = _text(item.get("prefix"), f"{at} prefix", problems, limit=20)
            if any(c in prefix for c in "〔〕[]()（）号0123456789 "):
                problems.append(f"{at} prefix 只写机关代字（如“秀山司监”），不含年份、序号、括号或空格")
            if not isinstance(item.get("confirmed", False), bool):
                problems.append(f"{at} confirmed 应为 true 或 false")
            cc = item.get("cc", [])
            if not isinstance(cc, list) or not all(isinstance(c, str) and c.strip() and len(c) <= 100 for c in cc):
                problems.append(f"{at} cc 应为机关名称的列表，例如 [\"县司法局\"]")
                cc = []
            kind_src = item.get("source", issuer.source)
            if kind_src not in SOURCES:
                problems.append(f"{at} source 应为 \"xsflow\" 或 \"oa\"，现为 {kind_src!r}")
            kinds[(code, kind)] = Numbering(issuer, prefix, item.get("confirmed") is True,
                                            kind_src if kind_src in SOURCES else "xsflow", tuple(c.strip() for c in cc))
    # One prefix, one series: it belongs to one issuer, and its numbers come from one place.
    owners: dict[str, set[str]] = {}
    origins: dict[str, set[str]] = {}
    for (code, _kind), n in kinds.items():
        owners.setdefault(n.prefix, set()).add(code)
        origins.setdefault(n.prefix, set()).add(n.source)
    for prefix, codes in owners.items():
        if len(codes) > 1:
            problems.append(f"机关代字“{prefix}”同时配置给了 {'、'.join(sorted(codes))}：一个机关代字只能属于一个发文机关")
    for prefix, srcs in origins.items():
        if len(srcs) > 1:
            problems.append(f"机关代字“{prefix}”的文号既由本系统编号又由OA系统编号：两个来源会撞号，请为其中一类另设机关代字")
    if problems:
        raise NumberingConfigError(f"发文字号配置 {source} 有误：\n" + "\n".join(f"- {p}" for p in problems))
    return {"issuers": issuers, "kinds": kinds}


def numbering(issuer: str, kind: str) -> Numbering:
    config = configuration()
    if issuer not in config["issuers"]:
        raise NumberingConfigError(
            f"document kind {kind!r} is issued by {issuer!r}, which {config_path()} does not list: add [issuers.{issuer}]")
    try:
        return config["kinds"][(issuer, kind)]
    except KeyError:
        raise NumberingConfigError(
            f"document kind {kind!r} has no prefix in {config_path()}: add under [issuers.{issuer}.prefixes] the line\n"
            f"    {kind} = {{ prefix = \"…\", confirmed = false }}") from None


def document(name: str, *, title: str, issuer: str, basis: Basis | None, template: str = "",
             facts: Facts | None = None, sent_up: bool = False) -> DocumentKind:
    """A document kind issued in `issuer`'s name; `sent_up` for a report or request to a higher organ
    (上行文), which carries 签发人 — the issuer's signer must then be configured."""
    n = numbering(issuer, name)
    if sent_up and not n.issuer.signer:
        raise NumberingConfigError(
            f"document kind {name!r} is sent up (上行文) and carries 签发人: set signer under [issuers.{issuer}] "
            f"in {config_path()}")
    return definitions.document(name, title=title, prefix=n.prefix, basis=basis, template=template, facts=facts,
                                numbering=n, sent_up=sent_up)


def issuers() -> dict[str, Issuer]:
    return dict(configuration()["issuers"])
