"""Model fields: personal data encrypted at rest, and JSON documents written in bulk."""

from __future__ import annotations

from typing import Any

from django.db import models

from fengqiao.core import crypto


class EncryptedTextField(models.TextField):
    """A text value stored encrypted (Fernet: AES-128-CBC + HMAC-SHA256).

    Encrypted values cannot be filtered on: pair with a keyed hash column for exact-match search.
    """

    description = "Encrypted text"

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(str(value))


class DocumentJSONField(models.JSONField):
    """A JSONField for large documents (triage results, event data) in rows written by ``bulk_create``.

    On PostgreSQL Django bulk-inserts through ``UNNEST`` of one array per column unless a field
    defines ``get_placeholder``; psycopg then quotes every document into an array literal in Python,
    escaping each double quote (several milliseconds per row for a triage result). Defining it keeps
    those inserts on ``VALUES`` rows, where each document is one parameter. Stored data is the same.
    """

    def get_placeholder(self, value: Any, compiler: Any, connection: Any) -> str:
        return "%s"
