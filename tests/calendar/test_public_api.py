from __future__ import annotations

import xsflow.calendar as calendar


def test_public_names_are_pinned() -> None:
    """The engine and CLI import exactly these names; renaming one must be a deliberate change."""
    assert sorted(calendar.__all__) == sorted([
        "SHANGHAI", "CalendarConflictError", "Explanation", "Notice", "NoticeFormatError", "NoticeRef",
        "OfficialCalendar", "Period", "bundled_notices", "local_date", "missing_notice_warning", "parse_notice",
    ])
    for name in calendar.__all__:
        assert getattr(calendar, name) is not None


def test_notice_format_error_is_a_value_error() -> None:
    """Callers that catch ValueError also catch a bad notice file."""
    assert issubclass(calendar.NoticeFormatError, ValueError)
    assert issubclass(calendar.CalendarConflictError, ValueError)
