"""Seed data: the default dispute taxonomy and request domains (admin-editable afterwards)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TAXONOMY_FILE = Path(__file__).parent / "data" / "taxonomy.json"


def load_taxonomy() -> dict[str, Any]:
    return json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))


def seed(category_model: Any, domain_model: Any) -> None:
    data = load_taxonomy()
    by_code: dict[str, Any] = {}
    for i, item in enumerate(data["categories"]):
        obj, _ = category_model.objects.update_or_create(
            code=item["code"],
            defaults={
                "name": item["name"],
                "parent": by_code.get(item["parent"]) if item["parent"] else None,
                "sort": i,
            },
        )
        by_code[item["code"]] = obj
    for item in data["domains"]:
        domain_model.objects.update_or_create(code=item["code"], defaults={"name": item["name"]})
