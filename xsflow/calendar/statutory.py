"""The statutory festival days of 《全国年节及纪念日放假办法》, used only for years without a notice.

A year whose State Council notice is loaded takes its rest days from the notice alone. For any
other year nobody yet knows the arrangement, so the calendar assumes the festival days the
measures in force that year give, each on its own date, with no make-up rest (补假) and no
make-up working days (调休上班), and every result that rests on that guess is marked provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from lunardate import LunarDate

from ._text import cn_date, cn_span


@dataclass(frozen=True)
class FestivalMeasures:
    """One revision of 《全国年节及纪念日放假办法》 and the festival days it gives all citizens."""

    citation: str
    first_year: int  # first calendar year the revision governs
    spring_offsets: tuple[int, ...]  # days relative to 正月初一 (-1 is 除夕)
    labour_days: int  # 5月1日 onwards
    lunar_festivals: bool  # 清明节、端午节、中秋节 (added by the 2007 revision)

    def describe_spring(self) -> str:
        first, last = self.spring_offsets[0], self.spring_offsets[-1]
        names = {-1: "除夕", 0: "正月初一", 1: "初二", 2: "初三"}
        return f"{names[first]}至{names[last]}"


# Newest first. The 1949 text and the years before 2000 are outside the supported range.
MEASURES = (
    FestivalMeasures("《全国年节及纪念日放假办法》（2024年修订，国务院令第795号）", 2025, (-1, 0, 1, 2), 2, True),
    FestivalMeasures("《全国年节及纪念日放假办法》（2013年修订，国务院令第644号）", 2014, (0, 1, 2), 1, True),
    FestivalMeasures("《全国年节及纪念日放假办法》（2007年修订，国务院令第513号）", 2008, (-1, 0, 1), 1, True),
    FestivalMeasures("《全国年节及纪念日放假办法》（1999年修订，国务院令第270号）", 1999, (0, 1, 2), 3, False),
)


def measures_for(year: int) -> FestivalMeasures:
    for m in MEASURES:
        if year >= m.first_year:
            return m
    raise ValueError(f"{year}年不在日历支持的范围内")


def lunar_date(year: int, month: int, day: int) -> date:
    """The Gregorian date of a day of the Chinese calendar year that begins in ``year``."""
    solar: date = LunarDate(year, month, day).to_solar_date()
    return solar


def qingming(year: int) -> date:
    """清明: the solar term at 15° of solar longitude, by the 寿星 formula for 2000–2099.

    The formula is exact for this century (tests compare it with workalendar's precomputed
    solar terms); it saves loading an ephemeris for a date that is only ever April 4 or 5.
    """
    if not 2000 <= year <= 2099:
        raise ValueError(f"{year}年不在日历支持的范围内")
    y = year - 2000
    return date(year, 4, int(y * 0.2422 + 4.81) - y // 4)


def festival_days(year: int) -> list[tuple[date, str]]:
    """The statutory festival days of ``year`` under the measures then in force, as (date, name)."""
    m = measures_for(year)
    new_year = lunar_date(year, 1, 1)
    days = [(date(year, 1, 1), "元旦")]
    days += [(new_year + timedelta(days=k), "春节") for k in m.spring_offsets]
    if m.lunar_festivals:
        days.append((qingming(year), "清明节"))
    days += [(date(year, 5, 1 + k), "劳动节") for k in range(m.labour_days)]
    if m.lunar_festivals:
        days.append((lunar_date(year, 5, 5), "端午节"))
        days.append((lunar_date(year, 8, 15), "中秋节"))
    days += [(date(year, 10, 1 + k), "国庆节") for k in range(3)]
    return sorted(days)


def year_assumption(year: int) -> str:
    """Say in Chinese, with the actual dates, what is assumed for a year without a notice."""
    m = measures_for(year)
    new_year = lunar_date(year, 1, 1)
    spring = cn_span(new_year + timedelta(days=m.spring_offsets[0]),
                     new_year + timedelta(days=m.spring_offsets[-1]))
    parts = [f"元旦{cn_date(date(year, 1, 1))}", f"春节{spring}（{m.describe_spring()}）"]
    if m.lunar_festivals:
        parts.append(f"清明节{cn_date(qingming(year))}")
    parts.append(f"劳动节{cn_span(date(year, 5, 1), date(year, 5, m.labour_days))}")
    if m.lunar_festivals:
        parts.append(f"端午节{cn_date(lunar_date(year, 5, 5))}")
        parts.append(f"中秋节{cn_date(lunar_date(year, 8, 15))}")
    parts.append(f"国庆节{cn_span(date(year, 10, 1), date(year, 10, 3))}")
    return (
        f"{year}年的国务院办公厅节假日安排通知尚未载入，暂按以下假定计算：星期六、星期日休息；"
        f"{m.citation}规定的节日在当日放假（{'，'.join(parts)}）；"
        f"不推定任何补假和调休上班日。该年通知载入后须重新计算。"
    )


def year_end_assumption(year: int, reach_back_from: date) -> str:
    """Say what is assumed for the last days of ``year`` while the next year's notice is missing."""
    return (
        f"{cn_span(reach_back_from, date(year, 12, 31))}的安排可能由尚未载入的"
        f"{year + 1}年国务院办公厅节假日安排通知调整（元旦假期和调休上班日可能跨年安排），"
        f"暂按{year}年已载入的安排计算。{year + 1}年通知载入后须重新计算。"
    )
