"""Marshmallow building blocks whose error messages a clerk can read (Chinese)."""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import RAISE, Schema, ValidationError, fields, validate


class Payload(Schema):
    """Base of every payload schema: unknown fields are refused, messages are Chinese."""

    class Meta:
        unknown = RAISE

    error_messages = {"unknown": "不认识的字段，请删除。", "type": "内容应为 JSON 对象。"}


_FIELD_MESSAGES = {"required": "必须填写。", "null": "不能为空值。"}


def codes(choices: Mapping[str, str], *, what: str, required: bool = True) -> fields.List:
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
        error_messages={**_FIELD_MESSAGES, "invalid": f"应为{what}代码的列表。"},
    )


def choice(choices: Mapping[str, str], *, what: str, required: bool = True) -> fields.String:
    listing = "、".join(f"{c}（{n}）" for c, n in choices.items())
    return fields.String(required=required,
                         validate=validate.OneOf(list(choices), error=f"不是有效的{what}，可选：{listing}。"),
                         error_messages={**_FIELD_MESSAGES, "invalid": f"{what}应为文字。"})


def text(*, max_length: int, required: bool = False) -> fields.String:
    return fields.String(required=required,
                         validate=validate.Length(max=max_length, error=f"不能超过 {max_length} 个字。"),
                         error_messages={**_FIELD_MESSAGES, "invalid": "应为文字。"})
