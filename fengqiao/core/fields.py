"""Model fields that encrypt personal data at rest."""

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
