"""Shared bits of the grid-work tests: a tiny valid PNG, a check-in payload, a fresh client id."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def png(name: str = "scene.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def not_an_image(name: str = "scene.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"MZ\x90\x00 this is a program, not a photo", content_type="image/png")


def cid() -> str:
    return secrets.token_hex(8)


def point(at: dt.datetime | None = None, **extra: Any) -> dict[str, Any]:
    return {"client_id": cid(), "at": (at or timezone.now()).isoformat(), "lat": 28.85, "lon": 120.73, **extra}
