"""The official calendar as the database holds it: the notices loaded by `xsflow init` and
`xsflow calendar load`, shared by every process, rebuilt when a notice is added."""
from __future__ import annotations

import threading
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select

from .calendar import Notice, OfficialCalendar, bundled_notices, parse_notice
from .store.db import Prepared
from .store.schema import calendar_notices

# The revision of the stored notices: their number and highest id. `store_notice` gives a
# replaced notice a new id, so any change shows. The engine reads it with the case it loads
# (two scalar subqueries); otherwise it is asked here. Built once, not per call.
NOTICE_COUNT = select(func.count()).select_from(calendar_notices).scalar_subquery()
LAST_NOTICE_ID = select(func.coalesce(func.max(calendar_notices.c.id), 0)).scalar_subquery()
_REVISION = Prepared(select(NOTICE_COUNT.label("notices"), LAST_NOTICE_ID.label("last_id")))


class CalendarStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._revision: tuple[int, int] | None = None
        self._calendar: OfficialCalendar | None = None

    def current(self, conn: Connection, revision: tuple[int, int] | None = None) -> OfficialCalendar:
        """The calendar of the notices stored now; bundled notices when none are stored yet.

        `revision`: (NOTICE_COUNT, LAST_NOTICE_ID) as read earlier in this same transaction,
        which saves asking again.
        """
        if revision is None:
            count, last_id = _REVISION.tuples(conn, {})[0]
            revision = (count, last_id)
        with self._lock:
            if revision != self._revision or self._calendar is None:
                texts = conn.execute(select(calendar_notices.c.text, calendar_notices.c.number)
                                     .order_by(calendar_notices.c.id)).all()
                notices = [parse_notice(t, source=f"数据库：{n}") for t, n in texts] or bundled_notices()
                self._calendar = OfficialCalendar(notices)
                self._revision = revision  # type: ignore[assignment]
            return self._calendar


def store_notice(conn: Connection, notice: Notice, now: datetime, *, replace: bool = True) -> str:
    """Stores a notice: "added", "replaced" (same number, corrected text) or "unchanged".

    `xsflow init` passes replace=False, so an operator's corrected copy of a bundled notice stays.

    The calendar it would make is built first, so a notice that contradicts the loaded ones
    (CalendarConflictError) is refused before anything is written.
    """
    stored = conn.execute(select(calendar_notices.c.id, calendar_notices.c.text).where(
        calendar_notices.c.kind == notice.kind, calendar_notices.c.number == notice.number)).first()
    if stored is not None and (stored.text == notice.text or not replace):
        return "unchanged"
    others = [parse_notice(t, source=f"数据库：{n}") for t, n in conn.execute(
        select(calendar_notices.c.text, calendar_notices.c.number).where(calendar_notices.c.number != notice.number)
        .order_by(calendar_notices.c.id))]
    OfficialCalendar([*others, notice])
    if stored is not None:
        # A new id makes every process see a new revision and rebuild its calendar.
        conn.execute(delete(calendar_notices).where(calendar_notices.c.id == stored.id))
    conn.execute(insert(calendar_notices).values(
        kind=notice.kind, year=notice.year, number=notice.number, title=notice.title,
        text=notice.text, loaded_at=now))
    return "replaced" if stored is not None else "added"
