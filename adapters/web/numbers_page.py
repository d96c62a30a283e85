"""发文字号: the configured issuers, 机关代字 and number sources of every document kind, with the values the
county has not yet confirmed marked (workflows/document_numbers.toml; adapters/document_numbers.py)."""
from __future__ import annotations

from itertools import groupby

from flask import render_template

from ..document_numbers import document_numbers
from .auth import signed_in
from .blueprint import web, xs


@web.route("/prefixes")
@signed_in
def prefixes_page():
    rows = document_numbers(xs().registry)
    groups = [(issuer, list(items)) for issuer, items in groupby(rows, key=lambda r: r["issuer_name"] or "未配置")]
    return render_template("web/prefixes.html", groups=groups, total=len(rows),
                           unconfirmed=sum(1 for r in rows if not r["confirmed"]))
