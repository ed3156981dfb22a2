"""Every table of the evaluation pages as an Excel download (openpyxl)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook(title: str, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append(["" if v is None else v for v in row])
    for i, h in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(1, i).column_letter].width = max(10, min(60, len(str(h)) * 2 + 4))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def response(filename: str, headers: Sequence[str], rows: Iterable[Sequence[Any]], title: str = "") -> HttpResponse:
    resp = HttpResponse(workbook(title or filename, headers, rows), content_type=XLSX)
    resp["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}.xlsx"
    return resp
