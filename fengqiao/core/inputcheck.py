"""Input that no form, action or query may carry: control characters and JSON nested without end.

One place decides, every door uses it:

* :func:`control_errors` walks an action's raw input (dicts, lists, strings) and names each field
  holding a NUL or another C0 control character (tab, line feed and carriage return stay allowed:
  free text has lines). The action layer turns the result into field errors before any lookup, so a
  NUL never reaches the database (PostgreSQL refuses it in text) and a vertical tab or an escape never
  reaches an export (XML, hence Excel, cannot hold it).
* :func:`loads` parses a JSON body after counting its nesting without recursion (Python's parser
  recurses and fails with ``RecursionError`` past about a thousand levels); the DRF parser
  (:mod:`fengqiao.api.parsers`) and every view that reads a JSON body itself use it.
* :class:`fengqiao.core.guards.InputGuardMiddleware` refuses query strings and form posts carrying
  control characters before any view runs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# C0 controls except \t \n \r. (openpyxl's ILLEGAL_CHARACTERS_RE is the same set: what XML 1.0 forbids.)
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
MAX_JSON_DEPTH = 32
CONTROL_MESSAGE = _("含有不允许的控制字符（如 NUL、垂直制表符、转义符），请删除后重试。")

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


def has_control(value: str) -> bool:
    return CONTROL_RE.search(value) is not None


def strip_control(value: str) -> str:
    """For output of stored text (exports): drop what XML cannot hold."""
    return CONTROL_RE.sub("", value)


def validate_no_control(value: Any) -> None:
    """Django / DRF field validator."""
    if isinstance(value, str) and has_control(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_characters")


def _bad(value: Any) -> bool:
    if isinstance(value, str):
        return has_control(value)
    if isinstance(value, Mapping):
        return any(_bad(k) or _bad(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_bad(v) for v in value)
    return False


def control_errors(data: Any) -> dict[str, list[str]]:
    """``{field: [message]}`` for each top-level field whose value (at any depth) holds a control
    character; empty when the input is clean."""
    if isinstance(data, Mapping):
        items = data.lists() if hasattr(data, "lists") else data.items()  # QueryDict: every value
        errors: dict[str, list[str]] = {}
        for key, value in items:
            if _bad(key) or _bad(value):
                errors[str(key).replace("\x00", "")] = [str(CONTROL_MESSAGE)]
        return errors
    if _bad(data):
        return {"non_field_errors": [str(CONTROL_MESSAGE)]}
    return {}


class JSONInputError(ValueError):
    """A JSON body refused: the message is for the user (Chinese)."""


def json_depth(text: str) -> int:
    """The deepest nesting of arrays/objects in ``text`` (brackets inside strings do not count)."""
    depth = deepest = 0
    for m in _JSON_TOKENS.finditer(text):
        tok = m.group()
        if tok in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif tok in "]}":
            depth -= 1
    return deepest


def check_json(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> str:
    """The body as text when it is UTF-8 and nested at most ``max_depth`` deep; else :class:`JSONInputError`."""
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raise JSONInputError(gettext("请求内容不是有效的 UTF-8 文本。")) from None
    if json_depth(text) > max_depth:
        raise JSONInputError(gettext("JSON 嵌套层数超过上限（%(n)d 层）。") % {"n": max_depth})
    return text


def loads(body: bytes | str, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` with a nesting limit and messages in Chinese; raises :class:`JSONInputError`."""
    text = check_json(body, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise JSONInputError(
            gettext("JSON 格式有误（第 %(line)d 行第 %(col)d 列）。") % {"line": exc.lineno, "col": exc.colno}
        ) from None
    except (ValueError, RecursionError):
        raise JSONInputError(gettext("JSON 格式有误。")) from None
