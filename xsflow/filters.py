"""The filters people put on lists (agency, procedure, state, a date range), checked once: a value
that names nothing is refused (422, in Chinese, naming the parameter), never silently an empty list.
An agency the caller may not see is not refused here: the list is scoped, and comes back empty."""
from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import Connection, select

from .calendar.timezone import SHANGHAI
from .errors import InvalidPayload
from .registry import Registry
from .store.schema import agencies


def check(conn: Connection, registry: Registry, *, procedure: str | None = None, state: str | None = None,
          agency: str | None = None, date_from: date | None = None, date_to: date | None = None,
          names: tuple[str, str] = ("opened_from", "opened_to"),
          found: dict[str, list[str]] | None = None) -> None:
    """Raises InvalidPayload naming every filter whose value names nothing (all problems at once, with
    those a list's own filters `found`)."""
    problems: dict[str, list[str]] = dict(found or {})
    known = {p.name: p for p in registry.all()}
    if procedure and procedure not in known:
        problems["procedure"] = [f"没有名为“{procedure}”的程序；可选：{'、'.join(sorted(known))}。"]
    if state:
        procs = [p for n, p in known.items() if procedure in (None, "", n)] or list(known.values())
        states = {s.name for p in procs for v in registry.versions(p.name) for s in v.states}
        if state not in states:
            where = f"“{known[procedure].title}”" if procedure in known else "任何程序"
            problems["state"] = [f"{where}没有名为“{state}”的状态。"]
    if agency and conn.execute(select(agencies.c.code).where(agencies.c.code == agency)).first() is None:
        problems["agency"] = [f"没有代码为“{agency}”的单位，请从单位名录中选择。"]
    if date_from and date_to and date_from > date_to:
        problems[names[1]] = [f"截止日期{date_to:%Y年%-m月%-d日}早于起始日期{date_from:%Y年%-m月%-d日}。"]
    if problems:
        raise InvalidPayload("筛选条件有误，请逐项修改。", problems)


def day_start(day: date) -> datetime:
    """00:00 Asia/Shanghai of `day`, as an aware instant: a local date range over stored instants."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)
