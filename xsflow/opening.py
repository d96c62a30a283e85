"""The checks of a new case that one-by-one opening (`Engine.open_in`) and bulk opening
(`xsflow/bulk.py`) share, so both refuse the same input with the same words. The database lookups
(agency names, a case under the same key) are the caller's: bulk asks once per batch."""
from __future__ import annotations

from collections.abc import Mapping

from .definitions import Procedure
from .errors import InvalidPayload
from .validation import validated_title


def check_dated(proc: Procedure, dated: bool) -> None:
    """A procedure `dated_by` a date the clerk must supply (a publication date) is never opened as of today."""
    if not dated and proc.dated_by is not None:
        what, why = proc.dated_by
        raise InvalidPayload(f"请填写{what}。", {"occurred_at": [
            f"必须填写{what}（occurred_at，如 2025-03-03T09:00:00+08:00），不能默认为今天：{why}。"]})


def check_new_case(proc: Procedure, *, agency: str, title: str | None, parties: list[str],
                   known: Mapping[str, str], duplicate: str | None = None) -> dict[str, list[str]]:
    """The problems of a new case, field → messages: its agency and parties (`known`: code → name of
    those that exist), the number of parties, the title, and `duplicate`, the refusal of a correlation
    key already taken (correlation.duplicate_text), if any."""
    problems: dict[str, list[str]] = {}
    if agency not in known:
        problems["agency"] = [f"没有代码为“{agency}”的单位，请从单位名录中选择。"]
    unknown = [p for p in parties if p not in known]
    if unknown:
        problems[f"data.{proc.parties_field}"] = [f"没有代码为“{'、'.join(unknown)}”的单位。"]
    elif proc.min_parties and len({agency, *parties}) < proc.min_parties:
        problems[f"data.{proc.parties_field}"] = [
            f"“{proc.title}”须有{proc.min_parties}个以上单位参加：除本单位外，还须列出至少{proc.min_parties - 1}个其他单位。"]
    if not title or not title.strip():
        problems["title"] = ["请填写案件名称（如规范性文件草案名称）。"]
    else:  # every way in (HTTP, pages, other systems, imports, linked cases) meets the one rule
        problems.update(validated_title(title))
    if duplicate is not None:
        problems[f"data.{proc.correlation_field}"] = [duplicate]
    return problems
