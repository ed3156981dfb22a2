"""Checks for case attachments: the type is decided by the file's first bytes (never its name or the
browser's Content-Type), with limits on size and on the number of files per case."""

from __future__ import annotations

import hashlib
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_CASE = 10


class UploadError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FileType:
    content_type: str
    ext: str
    label: str


JPEG = FileType("image/jpeg", ".jpg", "JPEG")
PNG = FileType("image/png", ".png", "PNG")
WEBP = FileType("image/webp", ".webp", "WEBP")
PDF = FileType("application/pdf", ".pdf", "PDF")


def sniff(head: bytes) -> FileType | None:
    """The allowed type these leading bytes belong to, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    return None


@dataclass(frozen=True)
class CheckedFile:
    type: FileType
    size: int
    sha256: str
    name: str


def clean_name(name: str) -> str:
    """A display name: the base name only, without control characters, at most 200 characters."""
    base = os.path.basename(name.replace("\\", "/"))
    base = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    return (base or "file")[:200]


def check(upload: Any) -> CheckedFile:
    """Validate an uploaded file (a Django ``UploadedFile``); raises :class:`UploadError`."""
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise UploadError(gettext("文件为空。"))
    if size > MAX_BYTES:
        raise UploadError(gettext("文件不能超过10MB。"))
    upload.seek(0)
    head = upload.read(16)
    kind = sniff(head)
    if kind is None:
        raise UploadError(gettext("只能上传 JPEG、PNG、WEBP 图片或 PDF 文件（按文件内容识别）。"))
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(kind, size, digest.hexdigest(), clean_name(getattr(upload, "name", "") or ""))


def check_count(case: Any) -> None:
    """Call with the case row locked (inside the action's transaction) so two uploads cannot both pass."""
    if case.attachments.count() >= MAX_PER_CASE:
        raise UploadError(gettext("每个案件最多上传10个附件。"))
