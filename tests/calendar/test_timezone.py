from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from xsflow.calendar import SHANGHAI, local_date


def test_local_date_converts_utc_to_shanghai() -> None:
    """16:00 UTC is already the next day in Xiushan, so a notice served then dates from that day."""
    assert local_date(datetime(2025, 3, 2, 16, 0, tzinfo=UTC)) == date(2025, 3, 3)
    assert local_date(datetime(2025, 3, 2, 15, 59, tzinfo=UTC)) == date(2025, 3, 2)


def test_local_date_refuses_a_naive_datetime() -> None:
    """A datetime without a zone is refused rather than guessed."""
    with pytest.raises(ValueError, match="没有时区"):
        local_date(datetime(2025, 3, 3, 9, 0))  # noqa: DTZ001 - naive on purpose


def test_shanghai_is_utc_plus_eight_without_dst() -> None:
    """Asia/Shanghai is UTC+8 all year, so 24:00 local is always 16:00 UTC."""
    for month in (1, 7):
        assert datetime(2025, month, 1, tzinfo=SHANGHAI).utcoffset() == timedelta(hours=8)
