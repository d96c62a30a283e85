from __future__ import annotations

import warnings
from datetime import date

import pytest

from xsflow.calendar import statutory


def test_qingming_formula_matches_workalendar_solar_terms() -> None:
    """The 清明 formula gives the same date as workalendar's precomputed solar term in UTC+8."""
    from workalendar.precomputed_astronomy import solar_term

    checked = 0
    for year in range(2000, 2100):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = solar_term(year, 15, "Asia/Taipei")  # same UTC+8 offset as Shanghai
        except NotImplementedError:
            continue
        assert statutory.qingming(year) == expected, year
        checked += 1
    assert checked >= 40


def test_qingming_formula_matches_chinesecalendar_solar_terms() -> None:
    """The 清明 formula agrees with chinesecalendar's solar-term table over its whole range."""
    from chinese_calendar import get_solar_terms

    for year in range(2000, 2100):
        terms = get_solar_terms(date(year, 4, 1), date(year, 4, 10))
        qingming = [d for d, name in terms if name.startswith("清明")]
        assert qingming == [statutory.qingming(year)], year


@pytest.mark.parametrize(
    ("year", "spring", "labour"),
    [
        # 2024 revision (国务院令第795号): 除夕至初三, 5月1日至2日
        (2027, [date(2027, 2, 5), date(2027, 2, 6), date(2027, 2, 7), date(2027, 2, 8)],
         [date(2027, 5, 1), date(2027, 5, 2)]),
        # 2013 revision (第644号): 初一至初三, 5月1日
        (2017, [date(2017, 1, 28), date(2017, 1, 29), date(2017, 1, 30)], [date(2017, 5, 1)]),
        # 2007 revision (第513号): 除夕、初一、初二
        (2010, [date(2010, 2, 13), date(2010, 2, 14), date(2010, 2, 15)], [date(2010, 5, 1)]),
        # 1999 revision (第270号): 初一至初三, 5月1日至3日
        (2005, [date(2005, 2, 9), date(2005, 2, 10), date(2005, 2, 11)],
         [date(2005, 5, 1), date(2005, 5, 2), date(2005, 5, 3)]),
    ],
)
def test_festival_days_follow_the_measures_in_force_that_year(year: int, spring: list[date],
                                                               labour: list[date]) -> None:
    """A year without a notice assumes the Spring Festival and Labour Day of the revision then in force."""
    days = statutory.festival_days(year)
    assert [d for d, name in days if name == "春节"] == spring
    assert [d for d, name in days if name == "劳动节"] == labour
    assert [d for d, name in days if name == "国庆节"] == [date(year, 10, k) for k in (1, 2, 3)]
