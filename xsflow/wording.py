"""The wording of an issued document, rendered from an operator-editable template.

A template is a Jinja2 text file. After rendering, a line starting with `标题：`, `主送：`,
`署名：` or `日期：` sets that part; `附注：` adds a note below the date; every other non-empty
line is a body paragraph. The wording is rendered once, when the document is issued, and stored
with it: a later edit of the template changes later documents only.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateError

from .calendar import SHANGHAI
from .errors import XsflowError

_MARKERS = {"标题：": "title", "主送：": "recipient", "署名：": "signature", "日期：": "date_line"}


@dataclass(frozen=True)
class Wording:
    title: str
    recipient: str
    paragraphs: list[str]
    signature: str
    date_line: str
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class TemplateProblem(XsflowError):
    code = "template_error"


def cn_date(value: date | str) -> str:
    """GB/T 9704-2012 7.3.5.1: the year in full, month and day without padding: 2026年3月5日."""
    d = date.fromisoformat(value) if isinstance(value, str) else value
    return f"{d.year}年{d.month}月{d.day}日"


def cn_lapse(value: datetime | str) -> str:
    """A lapse instant as the law says it: the last day at 24时, not the next day at 0时."""
    instant = datetime.fromisoformat(value.replace("Z", "+00:00")) if isinstance(value, str) else value
    local = instant.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second) == (0, 0, 0):
        return f"{cn_date(local.date() - timedelta(days=1))}24时"
    return f"{cn_date(local.date())}{local.hour}时{local.minute:02d}分"


def numbered(items: Sequence[str]) -> list[str]:
    return [f"{i}. {item}" for i, item in enumerate(items, 1)]


class Templates:
    """Looks a template up in the operator's folder first, then in the bundled ones."""

    def __init__(self, folders: Sequence[Path]) -> None:
        self.env = Environment(loader=FileSystemLoader([str(f) for f in folders]), undefined=StrictUndefined,
                               autoescape=False, keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True)
        self.env.filters.update(cn_date=cn_date, cn_lapse=cn_lapse, numbered=numbered)

    def render(self, template: str, facts: Mapping[str, Any], *, default_title: str) -> Wording:
        try:
            text = self.env.get_template(template).render(**facts)
        except TemplateError as err:
            raise TemplateProblem(f"文书模板“{template}”无法生成文书：{err}。请系统管理员检查模板。") from None
        return parse_wording(text, default_title=default_title)


def parse_wording(text: str, *, default_title: str) -> Wording:
    parts: dict[str, str] = {"title": default_title, "recipient": "", "signature": "", "date_line": ""}
    paragraphs: list[str] = []
    notes: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("附注："):
            notes.append(line.removeprefix("附注："))
            continue
        marker = next((m for m in _MARKERS if line.startswith(m)), None)
        if marker:
            parts[_MARKERS[marker]] = line.removeprefix(marker).strip()
        else:
            paragraphs.append(line)
    return Wording(parts["title"], parts["recipient"], paragraphs, parts["signature"], parts["date_line"], notes)
