"""Attachments: type by content, size and count limits, the upload recorded as an internal note in
the same transaction, and downloads that re-check the policy."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fengqiao.cases import uploads
from fengqiao.cases.models import Attachment, Case, CaseEvent
from fengqiao.core.models import AuditEntry
from tests.conftest import Org
from tests.helpers import case_in_state, new_case
from tests.web.conftest import signed_in

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 64
PDF = b"%PDF-1.7\n" + b"0" * 64


def upload(client: Any, case: Case, name: str, content: bytes, version: int | None = None, **extra: Any) -> Any:
    return client.post(
        reverse("web:case_upload", args=[case.display_code]),
        {
            "file": SimpleUploadedFile(name, content, content_type="image/png"),
            "kind": "evidence",
            "version": case.version if version is None else version,
            **extra,
        },
    )


@pytest.mark.parametrize(
    ("head", "ctype"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (WEBP, "image/webp"), (PDF, "application/pdf"), (b"hello", None)],
)
def test_sniff_by_magic_bytes(head: bytes, ctype: str | None) -> None:
    kind = uploads.sniff(head[:16])
    assert (kind.content_type if kind else None) == ctype


def test_clean_name() -> None:
    assert uploads.clean_name("../../etc/passwd") == "passwd"
    assert uploads.clean_name("C:\\docs\\协议\x00书.pdf") == "协议书.pdf"
    assert uploads.clean_name("") == "file"


def test_upload_and_download(org: Org) -> None:
    case = new_case(org)
    c = signed_in(org.user("handler1"))
    r = upload(c, case, "现场照片.png", PNG)
    assert r.status_code == 302 and r["Location"].endswith("#attachments")
    att = Attachment.objects.get(case=case)
    assert att.original_name == "现场照片.png" and att.content_type == "image/png" and att.size == len(PNG)
    assert att.uploaded_by == org.user("handler1")
    assert "现场照片" not in att.file.name and att.file.name.endswith(".png")  # random stored name
    event = CaseEvent.objects.get(case=case, code="case.note")
    assert event.reason == "上传附件：现场照片.png" and not event.public and event.via == "web"

    r = c.get(reverse("web:attachment", args=[case.display_code, att.pk]))
    assert r.status_code == 200
    assert r["Content-Disposition"].startswith("attachment;")
    assert r["Content-Type"] == "image/png"
    assert b"".join(r.streaming_content) == PNG
    assert AuditEntry.objects.filter(action="attachment.download").count() == 1
    assert "现场照片.png" in c.get(reverse("web:case", args=[case.display_code])).content.decode()


def test_download_out_of_scope_is_404(org: Org) -> None:
    case = new_case(org)
    upload(signed_in(org.user("handler1")), case, "a.pdf", PDF)
    att = Attachment.objects.get(case=case)
    assert (
        signed_in(org.user("handler2")).get(reverse("web:attachment", args=[case.display_code, att.pk])).status_code
        == 404
    )
    # An attachment id under another (visible) case's code is 404 too.
    other = new_case(org)
    url = reverse("web:attachment", args=[other.display_code, att.pk])
    assert signed_in(org.user("handler1")).get(url).status_code == 404


def test_upload_out_of_scope_is_404(org: Org) -> None:
    case = new_case(org)
    assert upload(signed_in(org.user("handler2")), case, "a.png", PNG).status_code == 404
    assert not Attachment.objects.exists()


def test_type_is_checked_by_content_not_name(org: Org) -> None:
    case = new_case(org)
    events = CaseEvent.objects.count()
    r = upload(signed_in(org.user("handler1")), case, "photo.png", b"this is plain text, not an image")
    assert r.status_code == 400
    assert "按文件内容识别" in r.content.decode()
    assert not Attachment.objects.exists()
    assert CaseEvent.objects.count() == events
    # A real PDF with a misleading name is accepted, stored as PDF.
    r = upload(signed_in(org.user("handler1")), case, "scan.png", PDF)
    assert r.status_code == 302
    att = Attachment.objects.get()
    assert att.content_type == "application/pdf" and att.file.name.endswith(".pdf")


def test_size_limit(org: Org) -> None:
    case = new_case(org)
    big = PNG + b"\x00" * (uploads.MAX_BYTES - len(PNG) + 1)
    r = upload(signed_in(org.user("handler1")), case, "big.png", big)
    assert r.status_code == 400 and "10MB" in r.content.decode()
    assert not Attachment.objects.exists()


def test_count_limit(org: Org, tmp_path: Any) -> None:
    case = new_case(org)
    c = signed_in(org.user("handler1"))
    for i in range(uploads.MAX_PER_CASE):
        case.refresh_from_db()
        assert upload(c, case, f"{i}.png", PNG).status_code == 302
    case.refresh_from_db()
    r = upload(c, case, "11.png", PNG)
    assert r.status_code == 400 and "最多上传10个附件" in r.content.decode()
    assert Attachment.objects.filter(case=case).count() == uploads.MAX_PER_CASE
    assert CaseEvent.objects.filter(case=case, code="case.note").count() == uploads.MAX_PER_CASE
    stored = list((tmp_path / "private").rglob("*.png"))
    assert len(stored) == uploads.MAX_PER_CASE  # the refused file was removed again


def test_stale_upload_is_refused(org: Org) -> None:
    case = new_case(org)
    r = upload(signed_in(org.user("handler1")), case, "a.png", PNG, version=case.version - 1)
    assert r.status_code == 412
    assert not Attachment.objects.exists()


def test_upload_needs_the_right_to_add_a_note(org: Org) -> None:
    case = new_case(org)
    r = upload(signed_in(org.user("supervisor")), case, "a.png", PNG)
    assert r.status_code == 403
    archived = case_in_state(org, "archived")
    assert upload(signed_in(org.user("handler1")), archived, "a.png", PNG).status_code == 409
    assert not Attachment.objects.exists()


def test_uploaded_file_object_is_rewound() -> None:
    f = SimpleUploadedFile("x.png", PNG)
    f.read(5)
    checked = uploads.check(f)
    assert checked.size == len(PNG) and f.tell() == 0
    assert uploads.check(SimpleUploadedFile("y.jpg", JPEG)).type == uploads.JPEG
    with pytest.raises(uploads.UploadError):
        uploads.check(SimpleUploadedFile("z.pdf", b""))
