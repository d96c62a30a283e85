"""The official calendar as the database holds it: the notices loaded by `xsflow init` and
`xsflow calendar load`, shared by every process, rebuilt when a notice is added."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Connection, func, insert, select

from .calendar import Notice, OfficialCalendar, bundled_notices, parse_notice
from .store.schema import calendar_notices


class CalendarStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: tuple[int, int] | None = None
        self._calendar: OfficialCalendar | None = None

    def current(self, conn: Connection) -> OfficialCalendar:
        """The calendar of the notices stored now; bundled notices when none are stored yet."""
        revision = tuple(conn.execute(select(func.count(), func.coalesce(func.max(calendar_notices.c.id), 0))).one())
        with self._lock:
            if revision != self._revision or self._calendar is None:
                texts = conn.execute(select(calendar_notices.c.text, calendar_notices.c.number)
                                     .order_by(calendar_notices.c.id)).all()
                notices = [parse_notice(t, source=f"数据库：{n}") for t, n in texts] or bundled_notices()
                self._calendar = OfficialCalendar(notices)
                self._revision = revision  # type: ignore[assignment]
            return self._calendar


def stored_numbers(conn: Connection) -> set[tuple[str, str]]:
    return {(k, n) for k, n in conn.execute(select(calendar_notices.c.kind, calendar_notices.c.number))}


def store_notice(conn: Connection, notice: Notice, now: datetime) -> bool:
    """Stores a notice unless one with the same kind and number is there; True when stored."""
    if (notice.kind, notice.number) in stored_numbers(conn):
        return False
    conn.execute(insert(calendar_notices).values(
        kind=notice.kind, year=notice.year, number=notice.number, title=notice.title,
        text=notice.text, loaded_at=now))
    return True
