"""Reading labelled tables (CSV or .xlsx) for training and evaluation (plain Python)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def read_table(
    path: str | os.PathLike[str], text_columns: Sequence[str], label_column: str
) -> tuple[list[str], list[str]]:
    """Texts and labels from a CSV (UTF-8, with or without BOM) or .xlsx file with a header row.

    The text columns are joined with a newline (empty ones left out); rows with an empty label are skipped.
    """
    p = Path(path)
    if not text_columns:
        raise ValueError("text_columns is empty")
    suffix = p.suffix.lower()
    header: Sequence[Any]
    rows: Sequence[Sequence[Any]]
    if suffix == ".xlsx":
        header, rows = _xlsx_rows(p)
    elif suffix in {".csv", ".txt"}:
        header, rows = _csv_rows(p)
    else:
        raise ValueError(f"{p}: unsupported file type {suffix!r} (use .csv or .xlsx)")
    names = [str(h or "").strip() for h in header]
    missing = [c for c in [*text_columns, label_column] if c not in names]
    if missing:
        raise ValueError(f"{p}: missing column(s) {missing}; the file has {names}")
    text_idx = [names.index(c) for c in text_columns]
    label_idx = names.index(label_column)
    texts: list[str] = []
    labels: list[str] = []
    for row in rows:
        cells = ["" if v is None else str(v).strip() for v in row]
        cells += [""] * (len(names) - len(cells))
        label = cells[label_idx]
        if not label:
            continue
        texts.append("\n".join(cells[i] for i in text_idx if cells[i]))
        labels.append(label)
    return texts, labels


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        content = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text ({exc}); save the CSV as UTF-8") from exc
    reader = csv.reader(io.StringIO(content, newline=""))
    rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: empty file")
    return rows[0], rows[1:]


def _xlsx_rows(path: Path) -> tuple[list[Any], list[tuple[Any, ...]]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        ws = wb.active
        if ws is None:
            raise ValueError(f"{path}: workbook has no sheet")
        rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
    finally:
        wb.close()
    if not rows:
        raise ValueError(f"{path}: empty sheet")
    return list(rows[0]), rows[1:]
