"""Audio and Office attachments for mediation records (#17 item 4): staff may upload recordings (MP3,
M4A, WAV, AMR; ≤ 30 MB) and Word/Excel documents (.docx, .xlsx), recognised by content; macro-enabled
or broken packages, other files, and these types on the citizen's side are refused."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from fengqiao.cases import uploads
from fengqiao.cases.models import Attachment, CaseEvent
from tests.conftest import Org
from tests.helpers import new_case
from tests.web.conftest import signed_in
from tests.web.test_attachments import upload

MP3_ID3 = b"ID3\x04\x00\x00\x00\x00\x00\x21" + b"\x00" * 64
MP3_FRAME = b"\xff\xfb\x90\x64" + b"\x00" * 64
M4A = b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00" + b"\x00" * 64
WAV = b"RIFF\x24\x08\x00\x00WAVEfmt " + b"\x00" * 64
AMR = b"#!AMR\n" + b"\x3c" * 64
UTF16_TEXT = "调解记录".encode("utf-16")  # starts FF FE: not an MPEG frame


def package(*parts: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name in parts:
            z.writestr(name, "<x/>")
    return buf.getvalue()


def docx() -> bytes:
    from docx import Document

    buf = io.BytesIO()
    d = Document()
    d.add_paragraph("调解笔录：双方到场，陈述意见。")
    d.save(buf)
    return buf.getvalue()


XLSX = package("[Content_Types].xml", "xl/workbook.xml", "xl/worksheets/sheet1.xml")
DOCM = package("[Content_Types].xml", "word/document.xml", "word/vbaProject.bin")
ZIP = package("notes.txt")


def checked(content: bytes, name: str = "f", **kw: Any) -> uploads.CheckedFile:
    return uploads.check(SimpleUploadedFile(name, content), **kw)


@pytest.mark.parametrize(
    ("content", "ctype"),
    [
        (MP3_ID3, "audio/mpeg"),
        (MP3_FRAME, "audio/mpeg"),
        (M4A, "audio/mp4"),
        (WAV, "audio/wav"),
        (AMR, "audio/amr"),
        (XLSX, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_record_types_by_content(content: bytes, ctype: str) -> None:
    assert checked(content, "whatever.png", records=True).type.content_type == ctype
    with pytest.raises(uploads.UploadError):  # the citizen's side (and field uploads) take images and PDF only
        checked(content)


def test_word_document_and_refusals() -> None:
    kind = checked(docx(), "笔录.pdf", records=True).type
    assert (kind.content_type, kind.ext) == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ".docx",
    )
    for bad, words in [
        (DOCM, "含宏"),
        (ZIP, "Word"),
        (b"PK\x03\x04broken", "Word"),
        (UTF16_TEXT, "按文件内容识别"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "按文件内容识别"),  # old binary .doc/.xls
    ]:
        with pytest.raises(uploads.UploadError) as info:
            checked(bad, records=True)
        assert words in info.value.message, (bad[:8], info.value.message)


def test_size_limits_per_type(monkeypatch: Any) -> None:
    long_recording = MP3_ID3 + b"\x00" * (12 * 1024 * 1024)
    assert checked(long_recording, records=True).size == len(long_recording)  # 12 MB of audio: fine
    with pytest.raises(uploads.UploadError) as info:
        checked(MP3_ID3 + b"\x00" * uploads.MAX_AUDIO_BYTES, records=True)
    assert "30MB" in info.value.message
    with pytest.raises(uploads.UploadError) as info:  # a 12 MB spreadsheet is not a recording
        checked(XLSX + b"\x00" * (12 * 1024 * 1024), records=True)
    assert "10MB" in info.value.message
    monkeypatch.setattr(uploads, "MAX_ZIP_UNPACKED", 2)
    with pytest.raises(uploads.UploadError) as info:
        checked(XLSX, records=True)
    assert "过大" in info.value.message


@pytest.mark.django_db
def test_staff_upload_of_a_recording_and_a_word_record(org: Org) -> None:
    case = new_case(org)
    c = signed_in(org.user("handler1"))
    page = c.get(f"/staff/cases/{case.display_code}/").content.decode()
    assert ".docx" in page and "audio/mpeg" in page and "录音" in page
    r = upload(c, case, "调解录音.m4a", M4A, kind="record")
    assert r.status_code == 302
    case.refresh_from_db()
    r = upload(c, case, "调解笔录.docx", docx(), kind="record")
    assert r.status_code == 302
    rows = list(Attachment.objects.filter(case=case).order_by("pk").values_list("content_type", "kind"))
    assert rows == [
        ("audio/mp4", "record"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "record"),
    ]
    assert Attachment.objects.filter(case=case).last().file.name.endswith(".docx")  # type: ignore[union-attr]
    case.refresh_from_db()
    events = CaseEvent.objects.count()
    r = upload(c, case, "宏.docx", DOCM, kind="record")
    assert r.status_code == 400 and "含宏" in r.content.decode()
    assert CaseEvent.objects.count() == events and Attachment.objects.filter(case=case).count() == 2
