"""The statutory calendar: Chinese working days and legal periods (期间).

Rest days come from the State Council's yearly holiday notices (and local decisions), loaded as
data; periods follow 民法典 第二百零一条 and 第二百零三条. See docs/calendar.md.
"""

from .explain import Explanation
from .notices import Notice, NoticeFormatError, NoticeRef, bundled_notices, parse_notice
from .official import CalendarConflictError, OfficialCalendar
from .periods import Period
from .readiness import missing_notice_warning
from .timezone import SHANGHAI, local_date

__all__ = [
    "SHANGHAI",
    "CalendarConflictError",
    "Explanation",
    "Notice",
    "NoticeFormatError",
    "NoticeRef",
    "OfficialCalendar",
    "Period",
    "bundled_notices",
    "local_date",
    "missing_notice_warning",
    "parse_notice",
]
