from __future__ import annotations

import pytest

from xsflow.calendar import OfficialCalendar, bundled_notices


@pytest.fixture(scope="session")
def cal() -> OfficialCalendar:
    """The calendar of the bundled State Council notices, as the engine builds it."""
    return OfficialCalendar(bundled_notices())
