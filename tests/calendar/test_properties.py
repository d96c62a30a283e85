"""Properties that hold for every start date and length, checked by hypothesis.

The oracles step day by day through OfficialCalendar.is_working_day (or through the workalendar
subclass), so they are independent of the precomputed working-day array they check.
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from xsflow.calendar import SHANGHAI, OfficialCalendar, bundled_notices

CAL = OfficialCalendar(bundled_notices())
NOTICED = CAL.years_with_notice

starts = st.dates(min_value=date(2004, 1, 1), max_value=date(2097, 12, 31))  # room for 400 days
near_notices = st.dates(min_value=date(2016, 6, 1), max_value=date(2028, 6, 30))
lengths = st.integers(min_value=1, max_value=300)


def settled(d: date) -> bool:
    """Independent statement of the rule: a day is settled when its year's notice is loaded and,
    in the last week of December, the next year's notice too (its New Year holiday may start then)."""
    if d.year not in NOTICED:
        return False
    return d < date(d.year, 12, 25) or d.year + 1 in NOTICED


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=k) for k in range((last - first).days + 1)]


@settings(max_examples=300)
@given(start=st.one_of(starts, near_notices), n=lengths)
def test_working_day_period_ends_on_the_nth_working_day(start: date, n: int) -> None:
    """add_working_days(d, n) is a working day with exactly n working days in (d, result]."""
    p = CAL.add_working_days(start, n)
    assert CAL.is_working_day(p.last_day)
    assert sum(CAL.is_working_day(d) for d in days(start + timedelta(days=1), p.last_day)) == n


@settings(max_examples=100)
@given(start=st.dates(min_value=date(2018, 1, 1), max_value=date(2026, 6, 30)),
       n=st.integers(min_value=1, max_value=60))
def test_working_day_period_matches_workalendar_subclass(start: date, n: int) -> None:
    """The precomputed answer equals workalendar's own day-by-day add_working_days on the same data."""
    assert CAL.add_working_days(start, n).last_day == CAL.workalendar.add_working_days(start, n)


@given(a=near_notices, b=near_notices, n=lengths)
def test_working_day_period_is_monotonic_in_start(a: date, b: date, n: int) -> None:
    """A later start never gives an earlier last day."""
    a, b = min(a, b), max(a, b)
    assert CAL.add_working_days(a, n).last_day <= CAL.add_working_days(b, n).last_day


@given(start=near_notices, n=lengths, extra=st.integers(min_value=1, max_value=50))
def test_working_day_period_is_strictly_monotonic_in_n(start: date, n: int, extra: int) -> None:
    """More working days always give a strictly later last day."""
    assert CAL.add_working_days(start, n).last_day < CAL.add_working_days(start, n + extra).last_day


@settings(max_examples=300)
@given(start=st.one_of(starts, near_notices), n=st.integers(min_value=1, max_value=400))
def test_days_period_never_ends_on_a_rest_day(start: date, n: int) -> None:
    """A calendar-day period ends on the Nth day, or on the first working day after it if that is a rest day."""
    p = CAL.add_days(start, n)
    nominal = start + timedelta(days=n)
    assert CAL.is_working_day(p.last_day)
    assert p.last_day >= nominal
    assert not any(CAL.is_working_day(d) for d in days(nominal, p.last_day - timedelta(days=1)))


@settings(max_examples=300)
@given(start=st.one_of(starts, near_notices), n=lengths)
def test_working_day_period_provisional_exactly_when_counting_touches_unnoticed_days(start: date, n: int) -> None:
    """A working-day period is provisional exactly when a counted day (start excluded) is unsettled."""
    p = CAL.add_working_days(start, n)
    touched = days(start + timedelta(days=1), p.last_day)
    assert p.provisional == (not all(settled(d) for d in touched))
    assert bool(p.assumptions) == p.provisional


@settings(max_examples=300)
@given(start=st.one_of(starts, near_notices), n=st.integers(min_value=1, max_value=400))
def test_days_period_provisional_exactly_when_its_end_touches_unnoticed_days(start: date, n: int) -> None:
    """A calendar-day period is provisional exactly when the Nth day or a day it rolls over is unsettled."""
    p = CAL.add_days(start, n)
    touched = days(start + timedelta(days=n), p.last_day)
    assert p.provisional == (not all(settled(d) for d in touched))
    assert bool(p.assumptions) == p.provisional


@given(start=st.one_of(starts, near_notices), n=lengths)
def test_lapse_instant_is_midnight_after_last_day_in_shanghai(start: date, n: int) -> None:
    """Every period lapses at 00:00 Asia/Shanghai of the day after its last day."""
    for p in (CAL.add_working_days(start, n), CAL.add_days(start, n), CAL.fixed_date(start)):
        assert p.lapses_at.tzinfo is SHANGHAI
        assert (p.lapses_at.date(), p.lapses_at.hour, p.lapses_at.minute) == (p.last_day + timedelta(days=1), 0, 0)


@given(d=st.one_of(starts, near_notices))
def test_rest_reason_is_none_exactly_on_working_days(d: date) -> None:
    """rest_reason names a reason for every rest day and none for a working day."""
    assert (CAL.rest_reason(d) is None) == CAL.is_working_day(d)


@settings(max_examples=300)
@given(first=st.one_of(starts, near_notices), span=st.integers(min_value=-3, max_value=400))
def test_working_days_between_counts_what_stepping_day_by_day_counts(first: date, span: int) -> None:
    """working_days_between(a, b) — what "days overdue" uses — equals a day-by-day count over [a, b]."""
    last = first + timedelta(days=span)
    expected = sum(CAL.is_working_day(d) for d in days(first, last)) if span >= 0 else 0
    assert CAL.working_days_between(first, last) == expected
