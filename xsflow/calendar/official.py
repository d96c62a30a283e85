"""OfficialCalendar: the statutory calendar assembled from loaded notices."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from . import periods
from .explain import Explanation, explain
from .notices import LOCAL, STATE_COUNCIL, Notice, NoticeRef
from .periods import Period
from .table import DayTable
from .workalendar_china import NoticeChina


class CalendarConflictError(ValueError):
    """Notices that contradict each other; ``problems`` lists every clash, in Chinese."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        lines = [f"载入的节假日通知相互矛盾（{len(self.problems)}处）："]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


class OfficialCalendar:
    """Working days and legal periods on the official calendar of the given notices.

    Pass the bundled notices first and the ones loaded into the database after them: a later
    notice with the same year and number replaces an earlier one (a corrected file); two State
    Council notices for one year with different numbers are a conflict, as is a day that one
    notice makes a rest day and another a make-up working day.

    Built once (tens of milliseconds) and never changed afterwards, so it can be shared by threads.
    """

    __slots__ = ("_notices", "_years", "_wk", "_table")

    def __init__(self, notices: Iterable[Notice]) -> None:
        state: dict[int, Notice] = {}
        local: list[Notice] = []
        problems: list[str] = []
        for n in notices:
            if n.kind == LOCAL:
                local.append(n)
                continue
            assert n.kind == STATE_COUNCIL and n.year is not None
            prev = state.get(n.year)
            if prev is not None and prev.number != n.number:
                problems.append(f"{n.year}年有两份不同的国务院办公厅通知：{prev.number}（{prev.source}）"
                                f"和 {n.number}（{n.source}）；补充通知请写入同一文件的 [[supplements]]")
            state[n.year] = n

        holidays: dict[date, str] = {}
        make_up_for: dict[date, str] = {}
        basis: dict[date, NoticeRef] = {}
        origin: dict[date, str] = {}  # which notice set a day, for conflict messages
        ordered = [state[y] for y in sorted(state)] + local
        for n in ordered:
            for block in n.blocks:
                for d in block.make_up_days:
                    make_up_for[d] = block.name
                    basis[d] = block.basis
                    origin.setdefault(d, n.number)
        for n in ordered:
            for block in n.blocks:
                for d in block.dates:
                    if d in make_up_for:
                        problems.append(f"{d.isoformat()}：{n.number}定为“{block.name}”放假，"
                                        f"而{origin[d]}定为调休上班日")
                        continue
                    # A State Council holiday keeps its name when a local rest day falls on it.
                    if d not in holidays:
                        holidays[d] = block.name
                        basis[d] = block.basis
        if problems:
            raise CalendarConflictError(problems)

        self._notices = tuple(ordered)
        self._years = frozenset(state)
        self._wk = NoticeChina(holidays=holidays, make_up_days=make_up_for, noticed_years=self._years)
        self._table = DayTable(self._wk, make_up_for=make_up_for, basis=basis)

    # --- what it was built from --------------------------------------------------------------

    @property
    def notices(self) -> tuple[Notice, ...]:
        """The notices in force: State Council notices by year, then local decisions."""
        return self._notices

    @property
    def years_with_notice(self) -> frozenset[int]:
        """Years whose State Council notice is loaded."""
        return self._years

    @property
    def workalendar(self) -> NoticeChina:
        """The workalendar China subclass this calendar is built on (for comparison, not the hot path)."""
        return self._wk

    # --- days --------------------------------------------------------------------------------

    def is_working_day(self, d: date) -> bool:
        """True on a working day, including a make-up Saturday or Sunday (调休上班)."""
        return self._table.is_working(periods._check_start(d))

    def rest_reason(self, d: date) -> str | None:
        """Why ``d`` is a rest day ("周末", "春节", "国庆节、中秋节", a local festival…).

        None if it is a working day."""
        return self._table.rest_reason(periods._check_start(d))

    def make_up_for(self, d: date) -> str | None:
        """For a make-up working day, the holiday it was worked for; otherwise None."""
        return self._table.make_up_for(d)

    def is_settled(self, d: date) -> bool:
        """True if loaded notices fix the arrangement of ``d`` (its year's notice, and for the
        last week of December also the next year's, since the New Year holiday can start then)."""
        return not self._table.touches_unsettled(d, d)

    def working_days_between(self, first: date, last: date) -> int:
        """How many working days lie in [first, last] (0 when last < first): two bisects, whatever the distance."""
        if last < first:
            return 0
        return self._table.working_days_between(periods._check_start(first), periods._check_start(last))

    def nth_working_day_back(self, day: date, n: int) -> date | None:
        """Turns "at least n working days overdue on ``day``" into a date a query compares: a due date
        before the returned day has n or more working days in (due date, day]; one bisect."""
        return self._table.nth_working_day_back(day, n)

    def touches_unnoticed_years(self, first: date, last: date) -> bool:
        """True if any day in [first, last] is not settled by a loaded notice (see is_settled)."""
        return self._table.touches_unsettled(first, last)

    # --- periods -----------------------------------------------------------------------------

    def add_working_days(self, start: date, n: int) -> Period:
        """N个工作日 after the event on ``start``: the start day is not counted (民法典 第二百零一条)."""
        return periods.working_days(self._table, start, n)

    def add_days(self, start: date, n: int) -> Period:
        """N日 after ``start``, a last day that is a rest day rolled to the next working day (第二百零三条)."""
        return periods.calendar_days(self._table, start, n)

    def fixed_date(self, day: date) -> Period:
        """A date deadline: ends at 24:00 of ``day``, no roll-over."""
        return periods.fixed_date(self._table, day)

    def explain(self, period: Period) -> Explanation:
        """The counted and skipped days of ``period``, with a Chinese text fit to print on a notice."""
        return explain(self._table, period)
