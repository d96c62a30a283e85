"""The notice file format: bundled data, parsing, and validation that reports every problem at once."""

from __future__ import annotations

from datetime import date

import pytest

from xsflow.calendar import (
    CalendarConflictError,
    NoticeFormatError,
    OfficialCalendar,
    bundled_notices,
    parse_notice,
)

GOOD_LOCAL = """
# 秀山土家族苗族自治县的民族节日放假（测试用虚构文件）
kind = "local"
authority = "秀山土家族苗族自治县人民政府"
title = "秀山土家族苗族自治县人民政府关于2025年民族传统节日放假的通知（测试）"
number = "秀山府发〔2025〕99号"
published = 2025-03-01

[[holidays]]
name = "苗族四月八"
dates = [2025-05-06]
"""


def test_bundled_notices_cover_2004_to_2026() -> None:
    """The package ships one State Council notice per year from 2004 through 2026."""
    notices = bundled_notices()
    assert [n.year for n in notices] == list(range(2004, 2027))
    assert all(n.kind == "state_council" and n.authority == "国务院办公厅" for n in notices)
    assert all(n.number.startswith("国办发明电〔") and n.title.startswith("国务院办公厅关于") for n in notices)
    # 2015 carries the State Council's own Victory Day notice as a supplement.
    by_year = {n.year: n for n in notices}
    assert [s.number for s in by_year[2015].supplements] == ["国发明电〔2015〕1号"]


def test_bundled_notice_keeps_its_text_verbatim() -> None:
    """Notice.text is the file exactly as read, so the database can store it unchanged."""
    n = bundled_notices()[-1]
    assert parse_notice(n.text, source="again").text == n.text
    assert n.text.lstrip().startswith("#")


def test_supplementary_notices_replace_the_items_they_restate() -> None:
    """2019's Labour Day and 2020's Spring Festival are the arrangements after the change notices."""
    by_year = {n.year: n for n in bundled_notices()}
    labour_2019 = dict(by_year[2019].holidays)["劳动节"]
    assert labour_2019 == tuple(date(2019, 5, d) for d in (1, 2, 3, 4))
    assert [s.number for s in by_year[2019].supplements] == ["国办发明电〔2019〕3号"]
    spring_2020 = dict(by_year[2020].holidays)["春节"]
    assert spring_2020[0] == date(2020, 1, 24) and spring_2020[-1] == date(2020, 2, 2)
    assert date(2020, 2, 1) not in by_year[2020].make_up_days
    assert [s.number for s in by_year[2020].supplements] == ["国办发明电〔2020〕1号"]


BAD = """
kind = "state_council"
year = 2025
title = "国务院办公厅关于2025年部分节假日安排的通知"
published = "2024-11-12"
colour = "red"

[[holidays]]
name = "春节"
first = 2025-01-28
last = 2025-02-04
make_up_days = [2025-01-27, 2025-02-08]

[[holidays]]
name = "国庆节"
dates = [2025-10-01, 2025-10-01, 2026-10-02]
make_up_days = [2025-10-01]

[[holidays]]
name = "清明节"
dates = [2025-02-03]
"""


def test_malformed_file_lists_every_problem_at_once_in_chinese() -> None:
    """One bad file yields one error listing all its problems, each naming the field, in Chinese."""
    with pytest.raises(NoticeFormatError) as info:
        parse_notice(BAD, source="bad.toml")
    problems = info.value.problems
    expected = [
        "colour：未知字段",                                          # unknown key
        "number：缺少此字段",                                         # missing number
        "published：应为 TOML 日期，不加引号",                          # quoted date
        "holidays[1].dates：日期 2025-10-01 重复出现2次",               # duplicate in one list
        "“春节”.make_up_days：2025-01-27 是星期一；调休上班日只能是星期六或星期日",  # weekday make-up
        "“国庆节”：日期 2026-10-02 不在通知年度2025年内",              # outside the notice's year
        "“清明节”：放假日期 2025-02-03 已列在“春节”中（日期重复）",       # duplicate across items
        "“国庆节”.make_up_days：2025-10-01 同时是“国庆节”的放假日期",    # holiday on a make-up day
        "“国庆节”.make_up_days：2025-10-01 是星期三",                   # and that make-up is a weekday
    ]
    for fragment in expected:
        assert any(fragment in p for p in problems), (fragment, problems)
    assert len(problems) == len(expected)
    assert str(info.value).startswith("bad.toml：发现9处问题")
    for i, p in enumerate(problems, 1):
        assert f"{i}. {p}" in str(info.value)


def test_toml_syntax_error_is_reported_in_chinese() -> None:
    """A file that is not TOML at all is refused with a Chinese message."""
    with pytest.raises(NoticeFormatError) as info:
        parse_notice("kind = \n", source="broken.toml")
    assert info.value.problems[0].startswith("不是有效的 TOML 文件")


def test_missing_required_fields_are_all_named() -> None:
    """An almost empty file names every missing field."""
    with pytest.raises(NoticeFormatError) as info:
        parse_notice('kind = "state_council"\n', source="empty.toml")
    text = "\n".join(info.value.problems)
    for field in ("year", "title", "number", "published", "holidays"):
        assert f"{field}：缺少此字段" in text


def test_title_year_must_match_year_and_number_uses_hexagonal_brackets() -> None:
    """A copied title of the wrong year, or a number written with [ ], is caught."""
    text = GOOD_2030.replace('title = "国务院办公厅关于2030年', 'title = "国务院办公厅关于2029年').replace(
        "〔2029〕1号", "[2029]1号")
    with pytest.raises(NoticeFormatError) as info:
        parse_notice(text, source="t.toml")
    joined = "\n".join(info.value.problems)
    assert "title：标题中没有“2030年”" in joined
    assert "number：文号“国办发明电[2029]1号”格式不对" in joined


GOOD_2030 = """
kind = "state_council"
year = 2030
title = "国务院办公厅关于2030年部分节假日安排的通知"
number = "国办发明电〔2029〕1号"
published = 2029-11-01

[[holidays]]
name = "元旦"
dates = [2030-01-01]
"""


def test_local_ethnic_rest_day_is_expressible_with_authority_and_number() -> None:
    """A county decision on an ethnic rest day loads as data and names its authority and number."""
    n = parse_notice(GOOD_LOCAL, source="local.toml")
    assert n.kind == "local" and n.year is None
    assert n.authority == "秀山土家族苗族自治县人民政府" and n.number == "秀山府发〔2025〕99号"
    cal = OfficialCalendar([*bundled_notices(), n])
    assert cal.rest_reason(date(2025, 5, 6)) == "苗族四月八"
    # Monday 5 May is the 劳动节 holiday; Tuesday 6 May the local rest day -> 5 May + 1 = 7 May.
    assert cal.add_working_days(date(2025, 5, 5), 1).last_day == date(2025, 5, 7)
    assert "秀山府发〔2025〕99号" in cal.explain(cal.add_working_days(date(2025, 5, 5), 1)).text()


def test_local_notice_requires_authority() -> None:
    """A local decision without its deciding authority is refused."""
    with pytest.raises(NoticeFormatError) as info:
        parse_notice(GOOD_LOCAL.replace('authority = "秀山土家族苗族自治县人民政府"\n', ""), source="l.toml")
    assert any(p.startswith("authority：缺少此字段") for p in info.value.problems)


def test_two_different_notices_for_one_year_conflict() -> None:
    """Two State Council notices with different numbers for the same year are refused together."""
    other = GOOD_2030.replace("〔2029〕1号", "〔2029〕2号")
    with pytest.raises(CalendarConflictError, match="2030年有两份不同"):
        OfficialCalendar([parse_notice(GOOD_2030, source="a"), parse_notice(other, source="b")])


def test_same_notice_loaded_twice_replaces_the_earlier_copy() -> None:
    """A corrected file with the same number replaces the bundled one (the later one wins)."""
    fixed = GOOD_2030.replace("dates = [2030-01-01]", "dates = [2030-01-01, 2030-01-02]")
    cal = OfficialCalendar([parse_notice(GOOD_2030, source="a"), parse_notice(fixed, source="b")])
    assert cal.rest_reason(date(2030, 1, 2)) == "元旦"


def test_local_rest_day_on_a_state_council_makeup_day_conflicts() -> None:
    """A local rest day on a State Council make-up working day is a conflict, not silently decided."""
    clash = GOOD_LOCAL.replace("dates = [2025-05-06]", "dates = [2025-04-27]")  # 劳动节调休上班日
    with pytest.raises(CalendarConflictError, match="2025-04-27"):
        OfficialCalendar([*bundled_notices(), parse_notice(clash, source="local.toml")])
