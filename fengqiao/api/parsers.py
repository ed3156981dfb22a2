"""The API's JSON parser: DRF's, with a nesting limit and errors in Chinese
(:func:`fengqiao.core.inputcheck.loads`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from fengqiao.core import inputcheck


class SafeJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        body = stream.read() if stream is not None else b""
        try:
            return inputcheck.loads(body, getattr(settings, "FENGQIAO_JSON_MAX_DEPTH", inputcheck.MAX_JSON_DEPTH))
        except inputcheck.JSONInputError as exc:
            raise ParseError(str(exc)) from None
