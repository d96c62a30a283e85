"""Marshmallow building blocks whose error messages a clerk can read (Chinese): the one validation layer.

Every text a person or system sends is checked here before anything is stored:
- its length, against the column that will hold it (`limit(column)`: the table is the one place
  lengths are written down), or the field's own limit inside JSON;
- its characters (`unprintable`): a one-line field (a title, name, reference, number, code) takes
  printable text only; a multi-line field (a statement, a summary) also takes line breaks and tabs.
  Control characters, Unicode noncharacters (U+FFFE…) and lone surrogates are refused: XML — and so
  .docx and .xlsx — cannot hold them, and no person types them;
- a date: ASCII digits, strictly YYYY-MM-DD, a real calendar date within the calendar's years.

`Payload` applies the character rule to every text field of every procedure's schema, so a
procedure that declares a plain `fields.String` is covered too: a field allowed more than
`LONG_TEXT` characters is multi-line (the web form shows it as a text area), a shorter one is one line.
"""
from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import date
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import Column

from .calendar.notices import FIRST_YEAR, LAST_YEAR
from .store.schema import cases

LONG_TEXT = 200  # a text field allowed more characters than this is multi-line (a text area)


def limit(column: Column) -> int:
    """The length of a String column: what a field that is stored there may hold."""
    return int(column.type.length)


# --- characters ----------------------------------------------------------------------------------

def _noncharacters() -> str:
    planes = "".join(f"{chr(p << 16 | 0xFFFE)}{chr(p << 16 | 0xFFFF)}" for p in range((sys.maxunicode >> 16) + 1))
    return "\ufdd0-\ufdef" + planes


# C0 controls but \t \n \r, DEL and C1 controls, lone surrogates, noncharacters.
_NOT_IN_PROSE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff" + _noncharacters() + "]")
_NOT_IN_LINE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff" + _noncharacters() + "]")
_NAMES = {"\n": "换行", "\r": "回车", "\t": "制表符", "\x00": "空字符", "\x1b": "ESC 控制字符"}


def unprintable(value: str, *, multiline: bool) -> str | None:
    """Why `value` may not be stored, or None: names the first refused character and where it is."""
    found = (_NOT_IN_PROSE if multiline else _NOT_IN_LINE).search(value)
    if found is None:
        return None
    c = found.group()
    name = _NAMES.get(c, "控制字符" if ord(c) < 0xA0 else "非字符" if not 0xD800 <= ord(c) <= 0xDFFF else "孤立代理项")
    fix = "此处只能填写一行文字，不能换行或使用制表符" if c in "\n\r\t" else "请删除该字符"
    return f"第 {found.start() + 1} 个字是不允许的{name}（U+{ord(c):04X}）：{fix}。"


def xml_safe(value: str) -> str:
    """`value` with every character XML 1.0 cannot hold replaced by U+FFFD: for writing what is
    already stored (documents, spreadsheets), so an old bad row can never stop a file being made."""
    return _NOT_IN_PROSE.sub("\ufffd", value)


class Printable(validate.Validator):
    """Refuses text holding characters its kind of field does not take (see `unprintable`)."""

    def __init__(self, *, multiline: bool) -> None:
        self.multiline = multiline

    def __call__(self, value: Any) -> Any:
        problem = unprintable(value, multiline=self.multiline) if isinstance(value, str) else None
        if problem:
            raise ValidationError(problem)
        return value


def _is_multiline(f: fields.String) -> bool:
    length = next((v for v in f.validators if isinstance(v, validate.Length)), None)
    return length is None or length.max is None or length.max > LONG_TEXT


def _guard(f: fields.Field | None) -> None:
    """Adds the character rule to a text field (and a list's text items) that has none yet."""
    if f is None:
        return
    if isinstance(f, fields.List):
        _guard(f.inner)
    elif isinstance(f, fields.String) and not any(isinstance(v, Printable) for v in f.validators):
        f.validators.append(Printable(multiline=_is_multiline(f)))


class Payload(Schema):
    """Base of every payload schema: unknown fields are refused, messages are Chinese, and every
    text field refuses the characters its kind does not take."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的字段，请删除。", "type": "内容应为 JSON 对象。"}

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        _guard(field_obj)


_FIELD_MESSAGES = {"required": "必须填写。", "null": "不能为空值。"}


# --- fields --------------------------------------------------------------------------------------

def codes(choices: Mapping[str, str], *, what: str, required: bool = True, **kw: Any) -> fields.List:
    """A non-empty list of distinct codes drawn from `choices` (code → Chinese name)."""
    listing = "、".join(f"{c}（{n}）" for c, n in choices.items())

    def distinct(values: list[str]) -> None:
        if len(set(values)) != len(values):
            raise ValidationError(f"{what}有重复项。")

    return fields.List(
        fields.String(validate=validate.OneOf(list(choices), error=f"不是有效的{what}代码，可选：{listing}。"),
                      error_messages={"invalid": f"{what}代码应为文字。"}),
        required=required,
        validate=[validate.Length(min=1, error=f"至少列出一项{what}。"), distinct],
        error_messages={**_FIELD_MESSAGES, "invalid": f"应为{what}代码的列表。"}, **kw,
    )


def choice(choices: Mapping[str, str], *, what: str, required: bool = True, **kw: Any) -> fields.String:
    listing = "、".join(f"{c}（{n}）" for c, n in choices.items())
    return fields.String(required=required,
                         validate=validate.OneOf(list(choices), error=f"不是有效的{what}，可选：{listing}。"),
                         error_messages={**_FIELD_MESSAGES, "invalid": f"{what}应为文字。"}, **kw)


def text(*, max_length: int, required: bool = False, multiline: bool | None = None, min_length: int = 0,
         **kw: Any) -> fields.String:
    """Text of at most `max_length` characters; one line unless `multiline` (default: longer than LONG_TEXT)."""
    multiline = max_length > LONG_TEXT if multiline is None else multiline
    length = validate.Length(min=min_length, max=max_length,
                             error=(f"长度应在 {min_length} 至 {max_length} 个字之间。" if min_length
                                    else f"不能超过 {max_length} 个字。"))
    return fields.String(required=required, validate=[length, Printable(multiline=multiline)],
                         error_messages={**_FIELD_MESSAGES, "invalid": "应为文字。"}, **kw)


def line(column: Column, *, required: bool = False, **kw: Any) -> fields.String:
    """One line of text stored in `column`: its length is the column's (a required one may not be empty)."""
    return text(max_length=limit(column), required=required, multiline=False, min_length=1 if required else 0, **kw)


def case_title() -> fields.String:
    return line(cases.c.title, required=True)


_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def parse_day(value: Any) -> date:
    """A calendar date written YYYY-MM-DD in ASCII digits, within the calendar's years; ValidationError else.

    Stricter than `date.fromisoformat`, which takes "20260301" and (via marshmallow's regex) "２０２６-03-01"
    or a trailing newline: a payload is stored as sent, so what is stored must be what every reader parses.
    """
    if isinstance(value, date):
        value = value.isoformat()
    if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
        raise ValidationError("日期格式应为 YYYY-MM-DD（半角数字），例如 2025-04-30。")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ValidationError(f"{value} 不是真实存在的日期。") from None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(f"日期应在 {FIRST_DAY} 至 {LAST_DAY} 之间（日历支持的范围）。")
    return day


class Day(fields.Date):
    """A date field that takes only what `parse_day` takes."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> date:
        return parse_day(value)


def only_for(*roles: str) -> dict[str, Any]:
    """Metadata of a field that, within a trigger several roles fire, only `roles` set (xsflow/field_owners.py):
    `text(max_length=100, metadata={**only_for("reviewer"), "title": "文号"})`."""
    return {"roles": tuple(roles)}


def day(*, required: bool = False, **kw: Any) -> Day:
    return Day(required=required, error_messages={**_FIELD_MESSAGES}, **kw)


def year(what: str, *, first: int, last: int, since: str) -> fields.Integer:
    """A whole year from `first` to `last`; `since` says why it starts there (e.g. 联席会议制度自2022年起施行)."""
    return fields.Integer(required=True, strict=True, metadata={"title": what},
                          validate=validate.Range(min=first, max=last,
                                                  error=f"{what}应在 {first} 至 {last} 年之间（{since}）。"),
                          error_messages={"required": f"必须填写{what}。", "null": "不能为空值。",
                                          "invalid": f"{what}应为整数年份，如 2025。"})
