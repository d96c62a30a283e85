"""The shape of a 执法证号 (行政执法证 number, art. 17) when another procedure names a certificate it did
not issue: a complaint's officers (workflows/complaint.py), typed from a complainant's account.

The certificate procedure (workflows/certificate.py, `issue`) records the number as the Chongqing
personnel system printed it (one line, at most 64 characters), e.g. 500241001017: the county's
division code 500241 and a serial. A number typed by hand is held to the shape such numbers have —
ASCII digits and letters, no spaces, punctuation or Chinese characters, 6 to 64 of them — so that a
typo or a full-width digit is refused at once instead of silently matching no one (docs/decisions.md
"complaint"). Surrounding spaces are trimmed when the number is stored.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, fields

NUMBER_FORMAT = re.compile(r"[0-9A-Za-z]{6,64}")
NUMBER_FORMAT_TEXT = "应为 6 至 64 位半角数字或英文字母（如 500241001017），不含空格、汉字或标点"


def _shaped(value: str) -> None:
    if not NUMBER_FORMAT.fullmatch(value.strip()):
        raise ValidationError(f"执法证号格式不对：{NUMBER_FORMAT_TEXT}。")


def certificate_number(*, required: bool = True) -> fields.String:
    """A 执法证号 named by another procedure, in NUMBER_FORMAT."""
    return fields.String(required=required, validate=_shaped, metadata={"title": "执法证号"},
                         error_messages={"required": "必须填写执法证号。", "null": "不能为空值。",
                                         "invalid": "执法证号应为文字。"})
