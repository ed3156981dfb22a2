"""Checks for case attachments: the type is decided by the file's content (never its name or the
browser's Content-Type), with limits on size and on the number of files per case.

Citizens and field uploads take images and PDF. Staff filing mediation records (``records=True``) may
also upload audio recordings (MP3, M4A/3GP, WAV, AMR; up to 30 MB) and Word/Excel documents (.docx,
.xlsx: an Office Open XML package recognised by its parts; macro-enabled packages and the old binary
formats are refused)."""

from __future__ import annotations

import hashlib
import os
import unicodedata
import zipfile
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

MAX_BYTES = 10 * 1024 * 1024
MAX_AUDIO_BYTES = 30 * 1024 * 1024
MAX_PER_CASE = 10
# An Office package is read as a zip directory only (nothing is extracted); beyond these it is refused.
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_UNPACKED = 200 * 1024 * 1024


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
MP3 = FileType("audio/mpeg", ".mp3", "MP3")
M4A = FileType("audio/mp4", ".m4a", "M4A")
WAV = FileType("audio/wav", ".wav", "WAV")
AMR = FileType("audio/amr", ".amr", "AMR")
DOCX = FileType("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx", "Word")
XLSX = FileType("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx", "Excel")
AUDIO = frozenset({MP3, M4A, WAV, AMR})
OFFICE = frozenset({DOCX, XLSX})
# ISO base media brands of phone voice recordings (iPhone 语音备忘录 M4A, Android recorders' mp4/3gp)
M4A_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"3gp4", b"3gp5", b"3gp6"}


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


def sniff_record(head: bytes) -> FileType | None:
    """The audio type of these leading bytes, or ZIP-shaped (``DOCX`` as a stand-in: the package's parts
    decide, see :func:`office_type`), or None."""
    if head.startswith(b"ID3") or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE6 in (0xE2, 0xE4)):
        return MP3  # an ID3 tag, or an MPEG audio frame header (sync bits, layer III or II; not FF FE)
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in M4A_BRANDS:
        return M4A
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return WAV
    if head.startswith(b"#!AMR"):
        return AMR
    if head.startswith(b"PK\x03\x04"):
        return DOCX
    return None


def office_type(upload: Any) -> FileType:
    """Word or Excel, from the parts of the package (raises :class:`UploadError`)."""
    bad = UploadError(gettext("只能上传 Word（.docx）或 Excel（.xlsx）文档，文件已损坏或不是这两种格式。"))
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise bad from None
    finally:
        upload.seek(0)
    names = {i.filename for i in infos}
    if len(infos) > MAX_ZIP_ENTRIES or sum(i.file_size for i in infos) > MAX_ZIP_UNPACKED:
        raise UploadError(gettext("文档内容过大，无法上传。"))
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        raise UploadError(gettext("不能上传含宏的文档，请另存为 .docx 或 .xlsx 后上传。"))
    if "[Content_Types].xml" not in names:
        raise bad
    if "word/document.xml" in names:
        return DOCX
    if "xl/workbook.xml" in names:
        return XLSX
    raise bad


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


def check(upload: Any, *, records: bool = False) -> CheckedFile:
    """Validate an uploaded file (a Django ``UploadedFile``); raises :class:`UploadError`. With
    ``records`` (staff filing mediation records) audio and Word/Excel documents are accepted too."""
    size = int(getattr(upload, "size", 0) or 0)
    if size <= 0:
        raise UploadError(gettext("文件为空。"))
    limit = MAX_AUDIO_BYTES if records else MAX_BYTES
    if size > limit:
        raise UploadError(gettext("文件不能超过30MB。") if records else gettext("文件不能超过10MB。"))
    upload.seek(0)
    head = upload.read(16)
    kind = sniff(head)
    if kind is None and records:
        kind = sniff_record(head)
    if kind is not None and kind not in AUDIO and size > MAX_BYTES:
        raise UploadError(gettext("录音以外的文件不能超过10MB。"))
    if kind in OFFICE:
        kind = office_type(upload)
    if kind is None:
        if records:
            raise UploadError(
                gettext(
                    "只能上传图片（JPEG、PNG、WEBP）、PDF、录音（MP3、M4A、WAV、AMR）"
                    "或 Word、Excel 文档（.docx、.xlsx）（按文件内容识别）。"
                )
            )
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
