"""Stored text can no longer break an export (issue #12, item 4): the Excel ledger with control
characters, the 一事一档 PDF with a note taller than a page."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels.ledger import export_xlsx
from tests.conftest import Org
from tests.helpers import new_case

pytestmark = pytest.mark.django_db


def _signed_in(org: Org, who: str) -> Client:
    c = Client()
    c.force_login(org.user(who))
    return c


def test_ledger_export_with_control_characters_and_a_formula(org: Org) -> None:
    case = new_case(org)
    # Written before input refused control characters (or by a database user): the export must cope.
    Case.objects.filter(pk=case.pk).update(description="墙体开裂\x0b漏水\x1b[31m严重\x07", title='=HYPERLINK("x")')
    r = _signed_in(org, "dispatcher").get(reverse("channels:ledger_export"))
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    headers = [str(h) for h in rows[0]]
    row = rows[1]
    assert row[headers.index("纠纷简要情况")] == "墙体开裂漏水[31m严重"
    title_cell = ws.cell(row=2, column=headers.index("标题") + 1)
    assert title_cell.value == '=HYPERLINK("x")' and title_cell.data_type == "s"  # text, not a formula


def test_export_helper_keeps_clean_text_as_is(org: Org) -> None:
    case = new_case(org)
    Case.objects.filter(pk=case.pk).update(description="第一行\n第二行\t制表")
    wb = load_workbook(io.BytesIO(export_xlsx(Case.objects.filter(pk=case.pk))))
    assert "第一行\n第二行\t制表" in next(wb.worksheets[0].iter_rows(min_row=2, values_only=True))


@pytest.mark.parametrize(
    "note",
    [
        "长" * 20_000,  # one long paragraph
        "第一行\n" * 3_000,  # 4,000 lines: a cell far taller than a page
        "x" * 20_000,  # one "word" without a break
        "逐日记录：\x0b鉴定中\x1b" + "情况说明。" * 2_000,
    ],
    ids=["cjk", "lines", "word", "control"],
)
def test_case_file_pdf_with_a_20000_character_note(note: str, org: Org) -> None:
    case = new_case(org)
    event = perform("note", case, org.actor("dispatcher"), {"text": "先写一条正常的备注"})
    # The note input is capped at 4,000 characters; older or imported records may be longer.
    CaseEvent.objects.filter(pk=event.pk).update(reason=note)
    r = _signed_in(org, "dispatcher").get(f"/staff/cases/{case.code}/file.pdf")
    assert r.status_code == 200, r.content[:200]
    assert r.content.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type /Page\b", r.content))
    assert pages >= 2  # the note continues over pages instead of failing the file
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=r.content, capture_output=True, check=True).stdout
        assert "生成时间" in text.decode()  # the file ends with its footer: nothing was cut off
