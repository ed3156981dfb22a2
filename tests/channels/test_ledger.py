"""Excel ledgers: a 1,000-row sheet with errors is reported (row, column, reason) and imports nothing;
fixed, it imports once; again, nothing new. Export has the same columns."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from openpyxl import Workbook, load_workbook

from fengqiao.cases.models import Case, CaseEvent
from fengqiao.channels import ledger
from tests.conftest import Org, case_payload

pytestmark = pytest.mark.django_db
HEADERS = ["编号", "日期", "纠纷简要情况", "类型", "申请人", "电话", "地点"]
BAD = {
    17: (3, "不存在的类型", "类型"),  # (row index, column index, value, expected column)
    250: (1, "2099-01-01", "日期"),
    600: (5, "12345", "电话"),
    901: (2, "", "纠纷简要情况"),
}


def sheet(n: int, bad: bool) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for i in range(n):
        row: list[Any] = [
            f"BT-2025-{i:04d}",
            "2025-06-01",
            f"第{i}号：邻里之间因排水沟堵塞发生纠纷，双方多次争吵。",
            "0201",
            f"村民{i}",
            f"138{i:08d}",
            "白塔村",
        ]
        if bad and i in BAD:
            col, value, _ = BAD[i]
            row[col] = value
        ws.append(row)
    if bad:
        ws.append(["BT-2025-0005", "2025-06-01", "重复编号的一行", "0201", "某某", "13900000000", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def upload(c: Client, data: bytes, name: str = "台账.xlsx") -> Any:
    f = io.BytesIO(data)
    f.name = name
    r = c.post("/staff/ledger/import/", {"file": f})
    assert r.status_code == 302, r.content[:500]
    page = c.get(r["Location"])
    assert page.status_code == 200
    return page


def mapping_post() -> dict[str, str]:
    return {f"map_{k}": str(i) for k, i in ledger.guess_mapping(HEADERS).items()}


def test_bad_sheet_reports_and_imports_nothing_then_fixed_imports_once(org: Org) -> None:
    c = Client()
    c.force_login(org.user("handler1"))
    page = upload(c, sheet(1000, bad=True))
    assert "纠纷简要情况" in page.content.decode()
    r = c.post("/staff/ledger/import/?step=map", mapping_post())
    assert r.status_code == 400
    problems = r.context["problems"]
    got = {(p.row, p.column) for p in problems}
    for i, (_, _, column) in BAD.items():
        assert (i + 2, column) in got, (i, column, got)
    assert (1002, "编号") in got  # the duplicate reference (row 1002, after 1000 data rows)
    assert len(problems) == len(BAD) + 1
    assert Case.objects.count() == 0 and CaseEvent.objects.count() == 0

    upload(c, sheet(1000, bad=False))
    r = c.post("/staff/ledger/import/?step=map", mapping_post())
    assert r.status_code == 200, [(p.row, p.column, p.reason) for p in r.context["problems"][:5]]
    assert r.context["result"].created == 1000
    assert Case.objects.filter(channel="import").count() == 1000
    assert CaseEvent.objects.filter(code="case.register").count() == 1000  # one event per case

    upload(c, sheet(1000, bad=False))
    r = c.post("/staff/ledger/import/?step=map", mapping_post())
    assert r.context["result"].created == 0 and r.context["result"].existing == 1000
    assert Case.objects.count() == 1000


def test_partial_import_and_csv(org: Org) -> None:
    c = Client()
    c.force_login(org.user("handler1"))
    text = "编号,纠纷简要情况,类型\nA1,因宅基地边界发生争执,0201\nA2,,0201\n"
    upload(c, text.encode("gb18030"), "ledger.csv")
    r = c.post(
        "/staff/ledger/import/?step=map",
        {"map_external_ref": "0", "map_description": "1", "map_category": "2", "partial": "on"},
    )
    assert r.context["result"].created == 1
    assert [(p.row, p.column) for p in r.context["problems"]] == [(3, "纠纷简要情况")]


def test_bad_file_and_permissions(org: Org) -> None:
    c = Client()
    c.force_login(org.user("handler1"))
    f = io.BytesIO(b"not a spreadsheet")
    f.name = "x.xlsx"
    assert c.post("/staff/ledger/import/", {"file": f}).status_code == 400
    nobody = Client()
    nobody.force_login(org.user("nobody"))
    assert nobody.get("/staff/ledger/import/").status_code == 403
    assert Client().get("/staff/ledger/import/").status_code == 302  # sign in first


def test_export_has_import_columns_and_masks_phones(org: Org, new_case: Case) -> None:
    c = Client()
    c.force_login(org.user("dispatcher"))
    r = c.get("/staff/ledger/export.xlsx", {"channel": "walk_in"})
    assert r.status_code == 200
    ws = load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == [str(col.label) for col in ledger.COLUMNS]
    assert len(rows) == 2 and rows[1][2] == new_case.title
    assert rows[1][8] == "138****1234"
    # out of scope: a town-2 handler sees nothing
    c2 = Client()
    c2.force_login(org.user("handler2"))
    rows2 = list(
        load_workbook(io.BytesIO(c2.get("/staff/ledger/export.xlsx").content)).active.iter_rows(values_only=True)
    )
    assert len(rows2) == 1


def test_a_sheet_exported_in_english_maps_its_columns_again(org: Org, new_case: Case) -> None:
    from django.utils import translation

    with translation.override("en"):
        data = ledger.export_xlsx(Case.objects.filter(pk=new_case.pk))
    headers, _rows = ledger.read_table("export.xlsx", data)
    assert headers[0] != str(ledger.COLUMNS[0].label), "exported with English headers"
    mapping = ledger.guess_mapping(headers)
    assert set(mapping) == {c.key for c in ledger.IMPORT_COLUMNS}


def test_the_workbench_exports_the_list_it_shows(org: Org) -> None:
    from fengqiao.cases.actions import perform, register_case

    waiting, _ = register_case(org.actor("dispatcher"), case_payload(org, title="待受理的一件"), via="test")
    accepted, _ = register_case(org.actor("dispatcher"), case_payload(org, title="已受理的一件"), via="test")
    perform("accept", accepted, org.actor("handler1"), {})
    c = Client()
    c.force_login(org.user("handler1"))
    page = c.get("/staff/workbench/", {"group": "to_accept"}).content.decode()
    assert "/staff/ledger/export.xlsx?group=to_accept" in page
    ws = load_workbook(io.BytesIO(c.get("/staff/ledger/export.xlsx", {"group": "to_accept"}).content)).active
    titles = [row[2] for row in list(ws.iter_rows(values_only=True))[1:]]
    assert titles == [waiting.title], "the group of the list is exported, not the whole scope"
