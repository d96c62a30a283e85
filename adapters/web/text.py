"""How the pages write dates, instants, statuses and roles (Chinese, Beijing time)."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from xsflow import wording
from xsflow.access import ROLE_TITLES
from xsflow.calendar import SHANGHAI

WEEKDAYS = "一二三四五六日"

DEADLINE_STATUS = {"pending": "期限进行中", "met": "已按期办结", "lapsed": "已届满", "cancelled": "已取消",
                   "awaiting_service": "待送达", "suspended": "已中止"}
PERIOD_UNIT = {"working_days": "个工作日", "days": "日", "hours": "小时"}


def as_date(value: str | date | None) -> date | None:
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(value)


def as_instant(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


def cn_date(value: str | date | None, *, weekday: bool = False) -> str:
    try:
        d = as_date(value)
    except ValueError:  # text stored before dates were checked strictly: shown as it is
        return str(value)
    if d is None:
        return "—"
    text = wording.cn_date(d)
    return f"{text}（周{WEEKDAYS[d.weekday()]}）" if weekday else text


def cn_instant(value: str | datetime | None) -> str:
    """An instant in Beijing time, e.g. 2025年4月30日 10:00."""
    t = as_instant(value)
    if t is None:
        return "—"
    local = t.astimezone(SHANGHAI)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        # A period ends at 24:00 of its last day (民法典 第二百零三条): say so, not "00:00 the day after".
        local -= timedelta(days=1)
        return f"{local.year}年{local.month}月{local.day}日 24:00"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


def iso_local(value: str | datetime | None) -> str:
    """An instant as a form's time field shows it (Beijing time), e.g. 2026-12-03 09:30."""
    t = as_instant(value)
    return t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M") if t else ""


def role_title(role: str | None) -> str:
    return ROLE_TITLES.get(role or "", role or "")


def period_text(kind: str, length: int | None) -> str:
    if kind == "fixed_date":
        return "确定的日期"
    return f"{length}{PERIOD_UNIT.get(kind, kind)}"


def days_left_text(left: int | None, overdue: int | None) -> str:
    """What the to-do list says of a deadline's last day, counted in working days."""
    if overdue is not None:
        return f"已逾期 {overdue} 个工作日" if overdue else "已届满"
    if left == 0:
        return "今日届满"
    return f"剩余 {left} 个工作日"
