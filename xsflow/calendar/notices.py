"""Holiday notices as data: the TOML file format, its parser and its validation.

One file holds one notice: a State Council General Office notice for one year (with any
supplementary notices that later changed it), or a local decision such as a Xiushan county
ethnic rest day. Every problem in a file is reported at once, in Chinese, naming the field, so
the operator can fix the file in one pass. The format is documented in docs/calendar.md.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from typing import Any

from ._text import WEEKDAYS

STATE_COUNCIL = "state_council"
LOCAL = "local"
KINDS = (STATE_COUNCIL, LOCAL)

# The first year whose State Council notice is bundled and checked against two independent
# sources (docs/calendar.md, "Data sources"). The notices for 2000–2003 could not be verified,
# so those years are refused rather than guessed; the lunar tables would reach back to 2000.
FIRST_YEAR = 2004
LAST_YEAR = 2099

# A notice for year Y may reach back into the last days of Y-1: the New Year holiday and its
# make-up Saturday can start there (2019: 2018年12月29日上班, 30日至2019年1月1日放假). The
# calendar also treats these days as unsettled until Y's notice is loaded.
YEAR_END_REACH = timedelta(days=7)

# The longest holiday span ever announced is 10 days (2020 Spring Festival after its extension);
# a longer one in a file is almost certainly a typing error in a date.
MAX_SPAN_DAYS = 31

_NUMBER = re.compile(r"^\S+〔\d{4}〕\d+号$")

_TOP_KEYS = {"kind", "year", "title", "number", "published", "authority", "holidays", "supplements"}
_SUPPLEMENT_KEYS = {"title", "number", "published", "holidays"}
_BLOCK_KEYS = {"name", "first", "last", "dates", "make_up_days", "text"}


def year_end_start(year: int) -> date:
    """First day of ``year`` that the next year's notice may still decide."""
    return date(year + 1, 1, 1) - YEAR_END_REACH


@dataclass(frozen=True)
class NoticeRef:
    """The citation of a notice: title, document number and date."""

    title: str
    number: str
    published: date

    def cite(self) -> str:
        return f"《{self.title}》（{self.number}）"


@dataclass(frozen=True)
class HolidayBlock:
    """One item of a notice: a named run of rest days and the weekend days worked for it."""

    name: str
    dates: tuple[date, ...]
    make_up_days: tuple[date, ...]
    text: str  # the notice's own words for this item, when the file quotes them
    basis: NoticeRef  # the notice (or supplementary notice) that set this item


@dataclass(frozen=True)
class Notice:
    """A parsed and validated notice file.

    ``holidays`` and ``make_up_days`` are the arrangement in force, supplementary notices applied.
    ``text`` is the file verbatim, so the database can store exactly what was loaded.
    """

    year: int | None
    kind: str
    title: str
    number: str
    published: date
    source: str
    holidays: tuple[tuple[str, tuple[date, ...]], ...]
    make_up_days: tuple[date, ...]
    authority: str = "国务院办公厅"
    blocks: tuple[HolidayBlock, ...] = ()
    supplements: tuple[NoticeRef, ...] = ()
    text: str = field(default="", repr=False, compare=False)

    @property
    def ref(self) -> NoticeRef:
        return NoticeRef(self.title, self.number, self.published)

    def holiday_dates(self) -> Iterator[tuple[date, str]]:
        for name, dates in self.holidays:
            for d in dates:
                yield d, name


class NoticeFormatError(ValueError):
    """A notice file that cannot be loaded; ``problems`` lists every problem found, in Chinese."""

    def __init__(self, problems: list[str], *, source: str) -> None:
        self.problems = list(problems)
        self.source = source
        lines = [f"{source}：发现{len(self.problems)}处问题，请全部改正后重新载入："]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        super().__init__("\n".join(lines))


def _cn_weekday(d: date) -> str:
    return WEEKDAYS[d.weekday()]


class _Checker:
    """Collects problems while reading the parsed TOML, so that all of them are reported."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{where}：{message}")

    def unknown_keys(self, table: dict[str, Any], allowed: set[str], where: str) -> None:
        for key in sorted(set(table) - allowed):
            self.add(f"{where}{key}", f"未知字段（可用字段：{'、'.join(sorted(allowed))}）")

    def text(self, table: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
        value = table.get(key)
        if value is None:
            if required:
                self.add(f"{where}{key}", "缺少此字段")
            return None
        if not isinstance(value, str) or not value.strip():
            self.add(f"{where}{key}", "应为非空字符串")
            return None
        return value.strip()

    def day(self, value: Any, where: str) -> date | None:
        if isinstance(value, datetime):
            self.add(where, f"应为日期，不应带时间（写作 {value.date().isoformat()}）")
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            self.add(where, f"应为 TOML 日期，不加引号（写作 {value.strip()} 而不是 \"{value.strip()}\"）")
            return None
        self.add(where, f"应为日期（如 2025-01-01），实际为 {value!r}")
        return None

    def days(self, value: Any, where: str) -> list[date]:
        if not isinstance(value, list):
            self.add(where, "应为日期数组（如 [2025-01-26, 2025-02-08]）")
            return []
        out: list[date] = []
        for i, item in enumerate(value):
            d = self.day(item, f"{where}[{i}]")
            if d is not None:
                out.append(d)
        return out


def _read_block(c: _Checker, raw: Any, where: str, basis: NoticeRef) -> HolidayBlock | None:
    if not isinstance(raw, dict):
        c.add(where, "应为表（[[holidays]]）")
        return None
    c.unknown_keys(raw, _BLOCK_KEYS, f"{where}.")
    name = c.text(raw, "name", f"{where}.")
    dates: list[date] = []
    if "dates" in raw and ("first" in raw or "last" in raw):
        c.add(where, "dates 与 first/last 只能二选一")
    elif "dates" in raw:
        dates = c.days(raw["dates"], f"{where}.dates")
        if not dates and isinstance(raw["dates"], list) and not raw["dates"]:
            c.add(f"{where}.dates", "不能为空")
    elif "first" in raw or "last" in raw:
        first = c.day(raw["first"], f"{where}.first") if "first" in raw else None
        last = c.day(raw["last"], f"{where}.last") if "last" in raw else None
        if "first" not in raw:
            c.add(f"{where}.first", "缺少此字段（有 last 时必须有 first）")
        if "last" not in raw:
            c.add(f"{where}.last", "缺少此字段（有 first 时必须有 last）")
        if first and last:
            if last < first:
                c.add(f"{where}.last", f"{last.isoformat()} 早于 first {first.isoformat()}")
            elif (last - first).days + 1 > MAX_SPAN_DAYS:
                c.add(where, f"{first.isoformat()} 至 {last.isoformat()} 跨度超过{MAX_SPAN_DAYS}天，请核对日期")
            else:
                dates = [first + timedelta(days=k) for k in range((last - first).days + 1)]
    else:
        c.add(where, "缺少放假日期：请写 first 和 last，或写 dates")
    for d, n in _repeats(dates):
        c.add(f"{where}.dates", f"日期 {d.isoformat()} 重复出现{n}次")
    make_up = c.days(raw.get("make_up_days", []), f"{where}.make_up_days")
    for d, n in _repeats(make_up):
        c.add(f"{where}.make_up_days", f"日期 {d.isoformat()} 重复出现{n}次")
    text = raw.get("text", "")
    if not isinstance(text, str):
        c.add(f"{where}.text", "应为字符串（通知原文）")
        text = ""
    if name is None:
        return None
    return HolidayBlock(name, tuple(sorted(set(dates))), tuple(sorted(set(make_up))), text.strip(), basis)


def _repeats(days: list[date]) -> list[tuple[date, int]]:
    seen: dict[date, int] = {}
    for d in days:
        seen[d] = seen.get(d, 0) + 1
    return [(d, n) for d, n in sorted(seen.items()) if n > 1]


def _read_blocks(c: _Checker, raw: Any, where: str, basis: NoticeRef, *, required: bool) -> list[HolidayBlock]:
    if raw is None:
        if required:
            c.add(where, "缺少此字段：至少要有一项放假安排（[[holidays]]）")
        return []
    if not isinstance(raw, list):
        c.add(where, "应为表数组（[[holidays]]）")
        return []
    if not raw and required:
        c.add(where, "不能为空：至少要有一项放假安排")
    blocks = [_read_block(c, item, f"{where}[{i}]", basis) for i, item in enumerate(raw)]
    names: dict[str, int] = {}
    for b in blocks:
        if b is not None:
            names[b.name] = names.get(b.name, 0) + 1
    for name, n in names.items():
        if n > 1:
            c.add(where, f"名称“{name}”出现{n}次；同一节日请合并为一项")
    return [b for b in blocks if b is not None]


def parse_notice(text: str, *, source: str) -> Notice:
    """Parse and validate one notice file; raise NoticeFormatError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise NoticeFormatError([f"不是有效的 TOML 文件（{exc}）"], source=source) from None

    c = _Checker()
    c.unknown_keys(raw, _TOP_KEYS, "")
    kind = raw.get("kind")
    if kind is None:
        c.add("kind", f"缺少此字段（应为 {' 或 '.join(KINDS)}）")
    elif kind not in KINDS:
        c.add("kind", f"应为 {' 或 '.join(KINDS)}，实际为 {kind!r}")

    year = raw.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        c.add("year", f"应为整数年份（如 2025），实际为 {year!r}")
        year = None
    elif year is not None and not FIRST_YEAR <= year <= LAST_YEAR:
        c.add("year", f"{year} 不在日历支持的范围（{FIRST_YEAR}—{LAST_YEAR}年）内")
        year = None
    elif year is None and kind == STATE_COUNCIL and "year" not in raw:
        c.add("year", "缺少此字段：国务院办公厅通知必须写明所安排的年度")

    title = c.text(raw, "title", "")
    number = c.text(raw, "number", "")
    if number is not None and not _NUMBER.match(number):
        c.add("number", f"文号“{number}”格式不对，应形如 国办发明电〔2024〕12号（年份用六角括号〔〕）")
    published = c.day(raw["published"], "published") if "published" in raw else None
    if "published" not in raw:
        c.add("published", "缺少此字段（通知落款日期，如 2024-11-12）")
    authority = c.text(raw, "authority", "", required=kind == LOCAL)
    if authority is None:
        authority = "国务院办公厅" if kind == STATE_COUNCIL else ""
    if kind == STATE_COUNCIL and title is not None and year is not None and f"{year}年" not in title:
        c.add("title", f"标题中没有“{year}年”，与 year = {year} 不一致")

    base_ref = NoticeRef(title or "", number or "", published or date.min)
    blocks = _read_blocks(c, raw.get("holidays"), "holidays", base_ref, required=True)

    supplements: list[NoticeRef] = []
    raw_sups = raw.get("supplements", [])
    if not isinstance(raw_sups, list):
        c.add("supplements", "应为表数组（[[supplements]]）")
        raw_sups = []
    for i, sup in enumerate(raw_sups):
        where = f"supplements[{i}]"
        if not isinstance(sup, dict):
            c.add(where, "应为表（[[supplements]]）")
            continue
        c.unknown_keys(sup, _SUPPLEMENT_KEYS, f"{where}.")
        s_title = c.text(sup, "title", f"{where}.")
        s_number = c.text(sup, "number", f"{where}.")
        if s_number is not None and not _NUMBER.match(s_number):
            c.add(f"{where}.number", f"文号“{s_number}”格式不对，应形如 国办发明电〔2019〕3号")
        s_published = c.day(sup["published"], f"{where}.published") if "published" in sup else None
        if "published" not in sup:
            c.add(f"{where}.published", "缺少此字段（补充通知的落款日期）")
        if s_published and published and s_published < published:
            c.add(f"{where}.published", f"{s_published.isoformat()} 早于原通知的日期 {published.isoformat()}")
        ref = NoticeRef(s_title or "", s_number or "", s_published or date.min)
        supplements.append(ref)
        # A supplementary notice restates the items it changes; each replaces the item of the
        # same name (or adds a new one), exactly as the State Council's change notices read.
        for block in _read_blocks(c, sup.get("holidays"), f"{where}.holidays", ref, required=True):
            blocks = [b for b in blocks if b.name != block.name] + [block]

    _check_dates(c, blocks, kind, year)

    if c.problems:
        raise NoticeFormatError(c.problems, source=source)
    assert kind is not None and title is not None and number is not None and published is not None
    blocks.sort(key=lambda b: (b.dates or b.make_up_days)[0] if (b.dates or b.make_up_days) else date.min)
    return Notice(
        year=year,
        kind=kind,
        title=title,
        number=number,
        published=published,
        source=source,
        holidays=tuple((b.name, b.dates) for b in blocks),
        make_up_days=tuple(sorted(d for b in blocks for d in b.make_up_days)),
        authority=authority,
        blocks=tuple(blocks),
        supplements=tuple(supplements),
        text=text,
    )


def _check_dates(c: _Checker, blocks: list[HolidayBlock], kind: Any, year: int | None) -> None:
    """Checks that need the whole arrangement: the year, weekends, and clashes between items."""
    holiday_owner: dict[date, str] = {}
    make_up_owner: dict[date, str] = {}
    for b in blocks:
        where = f"“{b.name}”"
        for d in b.dates:
            if d in holiday_owner:
                c.add(where, f"放假日期 {d.isoformat()} 已列在“{holiday_owner[d]}”中（日期重复）")
            holiday_owner.setdefault(d, b.name)
        for d in b.make_up_days:
            if d.weekday() < 5:
                c.add(f"{where}.make_up_days",
                      f"{d.isoformat()} 是{_cn_weekday(d)}；调休上班日只能是星期六或星期日")
            if d in make_up_owner:
                c.add(where, f"调休上班日 {d.isoformat()} 已列在“{make_up_owner[d]}”中（日期重复）")
            make_up_owner.setdefault(d, b.name)
        if year is not None:
            low = year_end_start(year - 1)
            for d in (*b.dates, *b.make_up_days):
                if not (d.year == year or (low <= d and d.year == year - 1)):
                    c.add(where, f"日期 {d.isoformat()} 不在通知年度{year}年内"
                                 f"（仅可提前到{low.isoformat()}至{year - 1}-12-31，供跨年的元旦假期使用）")
        elif kind == LOCAL:
            for d in (*b.dates, *b.make_up_days):
                if not FIRST_YEAR <= d.year <= LAST_YEAR:
                    c.add(where, f"日期 {d.isoformat()} 不在日历支持的范围（{FIRST_YEAR}—{LAST_YEAR}年）内")
    for d in sorted(set(holiday_owner) & set(make_up_owner)):
        c.add(f"“{make_up_owner[d]}”.make_up_days",
              f"{d.isoformat()} 同时是“{holiday_owner[d]}”的放假日期；同一天不能既放假又上班")


@lru_cache(maxsize=1)
def _bundled() -> tuple[Notice, ...]:
    folder = resources.files("xsflow.calendar").joinpath("data")
    files = sorted((f for f in folder.iterdir() if f.name.endswith(".toml")), key=lambda f: f.name)
    return tuple(parse_notice(f.read_text(encoding="utf-8"), source=f"xsflow/calendar/data/{f.name}")
                 for f in files)


def bundled_notices() -> list[Notice]:
    """The State Council notices shipped with xsflow (xsflow/calendar/data/*.toml), oldest first."""
    return list(_bundled())
