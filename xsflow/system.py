"""One process's xsflow: database, procedures, calendar and engine, wired together."""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from . import liaison
from .areas import add_governments
from .audit import verify_all
from .calendar import Notice, bundled_notices, local_date, missing_notice_warning
from .calendar_store import CalendarStore, store_notice
from .clock import Clock, SystemClock
from .engine import Engine
from .reference import BUNDLED, load_agencies, read_agencies
from .registry import Registry
from .store import Database, database_url, upgrade
from .validation import DEFAULT_BACKDATING_DAYS
from .timers import BATCH as SWEEP_BATCH, SweepReport, recount_provisional, sweep
from .wording import Templates


@dataclass
class InitReport:
    schema_before: str | None
    schema_after: str | None
    agencies_added: int
    agencies_updated: int
    notices_added: int

    def describe(self) -> str:
        """What `init` did, in words: created, migrated or found current."""
        if self.schema_before is None:
            schema = f"已新建数据库结构（版本 {self.schema_after}）"
        elif self.schema_before != self.schema_after:
            schema = f"数据库结构已从版本 {self.schema_before} 升级到 {self.schema_after}"
        else:
            schema = f"数据库结构已是最新（版本 {self.schema_after}），未作改动"
        return (f"{schema}；单位新增 {self.agencies_added} 个、更新 {self.agencies_updated} 个；"
                f"节假日安排通知新载入 {self.notices_added} 份。")


class Xsflow:
    """The procedures and the template folders are given, as a worker is given its workflows: the
    core knows no procedure of its own (adapters/compose.py passes the county's, from workflows/)."""

    def __init__(self, url: str | None = None, *, registry: Registry, template_folders: Sequence[Path],
                 clock: Clock | None = None, backdating_days: int = DEFAULT_BACKDATING_DAYS,
                 sender: liaison.Sender | None = None,
                 served_at_issue: frozenset[str] = frozenset(), sweep_batch: int = SWEEP_BATCH) -> None:
        self.db = Database(database_url(url))
        self.sweep_batch = sweep_batch  # cases a sweep lapses per transaction (xsflow/timers.py)
        self.sender = sender or liaison.LogSender()  # the adapters pass the operator's (compose.py)
        self.registry = registry
        self.clock = clock or SystemClock()
        self.calendars = CalendarStore()
        self.templates = Templates(list(template_folders))
        self.engine = Engine(self.db, self.registry, clock=self.clock, templates=self.templates,
                             calendars=self.calendars, backdating_days=backdating_days,
                             served_at_issue=served_at_issue)

    def init(self, reference_files: Iterable[Path] = ()) -> InitReport:
        """Creates or migrates the schema and loads reference data; safe to run again."""
        before, after = upgrade(self.db)
        entries = read_agencies([*BUNDLED, *reference_files])
        now = self.clock.now()
        with self.db.write() as conn:
            added, updated = load_agencies(conn, entries)
            add_governments(conn, self.registry)  # open complaints about a team: its government sees them
            notices = sum(store_notice(conn, n, now, replace=False) == "added" for n in bundled_notices())
            if notices:  # a newly bundled year settles deadlines counted on a guess (domain.md)
                recount_provisional(self.engine, conn, now)
        return InitReport(before, after, added, updated, notices)

    def load_notice(self, notice: Notice) -> tuple[str, int]:
        """Stores a notice and counts the provisional deadlines of open cases again: (outcome, recounted).

        Raises CalendarConflictError, changing nothing, when it contradicts the loaded notices."""
        now = self.clock.now()
        with self.db.write() as conn:
            outcome = store_notice(conn, notice, now)
            recounted = recount_provisional(self.engine, conn, now) if outcome != "unchanged" else 0
        return outcome, recounted

    def tick(self, now: datetime | None = None) -> SweepReport:
        now = now or self.clock.now()
        report = sweep(self.engine, now, batch=self.sweep_batch)
        report.notified = self.notify(now)
        return report

    def notify(self, now: datetime) -> int:
        """Writes the liaison officers' notices and reminders into the outbox and delivers them."""
        with self.db.write() as conn:
            liaison.collect(conn, now, self.registry)
            return liaison.deliver(conn, self.sender, now)

    def calendar_warning(self, now: datetime | None = None) -> str | None:
        """The holiday notice the operator must load soon, if one is missing (see calendar.readiness)."""
        with self.db.read() as conn:
            calendar = self.calendars.current(conn)
        return missing_notice_warning(calendar, local_date(now or self.clock.now()))

    def audit(self, progress: Callable[[int], None] | None = None) -> str | None:
        """None when every case's history verifies, else the first broken entry, named; `progress`
        hears how many more cases were verified (audit.verify_all)."""
        with self.db.read() as conn:
            return verify_all(conn, progress)
