"""发文字号配置: every document kind of the loaded procedures with its issuer, 机关代字, number source and
版记 data, as the operator configured them (workflows/document_numbers.toml); for the page /prefixes
and GET /api/v1/document-numbers. Values the county has not confirmed are marked."""
from __future__ import annotations

from typing import Any

from xsflow.numbering import SOURCES
from xsflow.registry import Registry


def document_numbers(registry: Registry) -> list[dict[str, Any]]:
    """One row per document kind (the newest declaration of each), by issuer and prefix."""
    rows: dict[str, dict[str, Any]] = {}
    for proc in registry.all():
        for kind in proc.documents:
            n = kind.numbering
            row = rows.setdefault(kind.name, {
                "kind": kind.name, "title": kind.title, "procedures": [],
                "issuer": n.issuer.code if n else None, "issuer_name": n.issuer.name if n else None,
                "prefix": kind.prefix, "example": f"{kind.prefix}〔2026〕1号",
                "confirmed": bool(n and n.confirmed), "source": n.source if n else "xsflow",
                "source_title": SOURCES[n.source if n else "xsflow"],
                "gaps_allowed": bool(n and n.issuer.allow_gaps), "sent_up": kind.sent_up,
                "signer": (n.issuer.signer or None) if n and kind.sent_up else None,
                "signer_confirmed": bool(n and n.issuer.confirmed) if kind.sent_up else None,
                "printer": n.issuer.printer if n else None, "cc": list(n.cc) if n else [],
                "imprint_confirmed": bool(n and n.issuer.confirmed),
            })
            if proc.name not in row["procedures"]:
                row["procedures"].append(proc.name)
    return sorted(rows.values(), key=lambda r: (r["issuer"] or "", r["prefix"], r["kind"]))
