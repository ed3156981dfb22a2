"""Validators for Chinese phone numbers and resident ID numbers (GB 11643-1999 checksum)."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def validate_phone(value: str) -> None:
    compact = value.replace(" ", "")
    if compact.startswith("+86"):
        compact = compact[3:]
    if not (_MOBILE.match(compact) or _LANDLINE.match(compact)):
        raise ValidationError(_("请输入有效的手机号码（11位）或固定电话（区号-号码）。"), code="invalid_phone")


def id_number_check_char(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def validate_id_number(value: str) -> None:
    v = value.strip().upper()
    if not re.match(r"^\d{17}[\dX]$", v):
        raise ValidationError(_("身份证号码应为18位，最后一位可为X。"), code="invalid_id_format")
    try:
        dt.date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期无效。"), code="invalid_id_birthdate") from None
    if id_number_check_char(v[:17]) != v[17]:
        raise ValidationError(_("身份证号码校验位不正确。"), code="invalid_id_checksum")
