"""Supervisor pages: accountability records, reverse checks, 一人一档 and 一事一档 (HTML and PDF)."""

import shutil
import subprocess

import pytest
from django.test import Client

from fengqiao.cases.actions import perform
from fengqiao.core.models import AuditEntry
from fengqiao.supervision.models import AccountabilityKind, AccountabilityRecord, RecordStatus


def login(user):
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def record(org, new_case):
    return AccountabilityRecord.objects.create(
        kind=AccountabilityKind.UNMEDIATED,
        case=new_case,
        unit=org.sub1,
        person=org.user("handler1"),
        summary="纠纷案件受理8天未开展调解",
        evidence={"events": [new_case.events.first().pk]},
        dedup_key=f"unmediated:{new_case.pk}",
    )


def test_supervisor_lists_and_concludes_a_reverse_check(org, record):
    c = login(org.user("supervisor"))
    page = c.get("/staff/accountability/")
    assert page.status_code == 200 and "纠纷案件受理8天未开展调解" in page.content.decode()
    detail = c.get(f"/staff/accountability/{record.pk}/")
    assert "登记受理" in detail.content.decode()  # the evidence event, rendered from its code
    c.post(f"/staff/accountability/{record.pk}/check/")
    record.refresh_from_db()
    assert record.status == RecordStatus.CHECKING
    bad = c.post(f"/staff/accountability/{record.pk}/conclude/", {"conclusion": "", "responsible": "1"})
    assert bad.status_code == 302
    record.refresh_from_db()
    assert record.status == RecordStatus.CHECKING  # nothing concluded without a conclusion
    c.post(
        f"/staff/accountability/{record.pk}/conclude/",
        {"conclusion": "承办人未及时组织调解，予以提醒谈话。", "responsible": "1"},
    )
    record.refresh_from_db()
    assert record.status == RecordStatus.CONCLUDED
    assert AuditEntry.objects.filter(action="accountability.check_conclude").exists()
    person = c.get(f"/staff/people/{org.user('handler1').pk}/").content.decode()
    assert "承办人未及时组织调解" in person  # kept on the person's file


def test_non_supervisor_is_refused(org, record):
    assert login(org.user("handler1")).get("/staff/accountability/").status_code == 403
    assert login(org.user("handler1")).get(f"/staff/accountability/{record.pk}/").status_code == 403


def test_person_file_scoped(org):
    target = org.user("handler2")  # town2
    assert login(org.user("leader1")).get(f"/staff/people/{target.pk}/").status_code == 404
    assert login(org.user("county_leader")).get(f"/staff/people/{target.pk}/").status_code == 200
    assert login(target).get(f"/staff/people/{target.pk}/").status_code == 200


def test_case_file_html_and_pdf(org, new_case):
    perform("accept", new_case, org.actor("handler1"), {"reason": "已接收"})
    c = login(org.user("handler1"))
    html = c.get(f"/staff/cases/{new_case.code}/file/").content.decode()
    assert "一事一档" in html and "接收受理" in html and "138****1234" in html and "13812341234" not in html
    pdf = c.get(f"/staff/cases/{new_case.code}/file.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf.content, capture_output=True, check=True).stdout
        assert "一事一档" in text.decode()
    assert login(org.user("handler2")).get(f"/staff/cases/{new_case.code}/file.pdf").status_code == 404
