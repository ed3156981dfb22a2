"""Logging filters: the request id on every line, and no personal data or secret ever.

:func:`redact` masks mobile and ID numbers, the secret of a tracking link (``/portal/t/<secret>/``,
which opens, withdraws or rates a case) and the value of search parameters (``q=``, ``phone=`` …)
that may hold a phone number. Django's loggers go through :class:`RedactPersonalDataFilter`;
gunicorn's access log through :class:`fengqiao.core.gunicorn_log.RedactingLogger`."""

from __future__ import annotations

import logging
import re

from fengqiao.core.context import request_id_var

# Mainland mobile numbers and 18-digit resident ID numbers.
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
_IDNO = re.compile(r"(?<![0-9A-Za-z])(\d{6})\d{8}(\d{3}[0-9Xx])(?![0-9A-Za-z])")


# A tracking link's secret, in a path or a full URL (also URL-encoded slashes).
_TRACK = re.compile(r"(/portal/t(?:/|%2F))[^/\s?#\"'%]+", re.IGNORECASE)
# Query parameters whose value may be a phone number or a name: the value is dropped.
_SEARCH = re.compile(r"([?&](?:q|phone|mobile|tel|search|name)=)[^&\s\"'#]*", re.IGNORECASE)


def redact(text: str) -> str:
    text = _TRACK.sub(r"\1[secret]", text)
    text = _SEARCH.sub(r"\1[redacted]", text)
    text = _IDNO.sub(lambda m: f"{m.group(1)}********{m.group(2)[-1]}", text)
    return _PHONE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RedactPersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # pragma: no cover - a broken format string is not ours to fix here
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
