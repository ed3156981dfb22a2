"""Reference rows this app adds: the 法律援助 dispute type and its deadline policy. Used by the data
migration (with historical models) and by tests that flush the database."""

from __future__ import annotations

from typing import Any

LEGAL_AID_TYPES = [("17", "法律援助", None), ("1701", "法律援助申请", "17")]
# 法律援助法第四十三条: the legal aid institution decides within 7 days of receiving the application.
LEGAL_AID_POLICY = {
    "name": "法律援助申请（7个工作日内审查决定）",
    "unit": "working",
    "accept_hours": 24,
    "contact_hours": 48,
    "complete_days": 7,
    "yellow_after_days": 4,
    "red_after_days": 6,
    "extendable_days": 0,
    "priority": 10,
    "is_active": True,
}


def seed(category_model: Any, policy_model: Any) -> None:
    by_code: dict[str, Any] = {}
    sort = category_model.objects.count() + 100
    for i, (code, name, parent) in enumerate(LEGAL_AID_TYPES):
        obj, _ = category_model.objects.get_or_create(
            code=code, defaults={"name": name, "parent": by_code.get(parent) if parent else None, "sort": sort + i}
        )
        by_code[code] = obj
    if policy_model is not None and not policy_model.objects.filter(category=by_code["1701"]).exists():
        policy_model.objects.create(category=by_code["1701"], **LEGAL_AID_POLICY)


def ensure() -> None:
    from fengqiao.cases.models import Category
    from fengqiao.supervision.models import DeadlinePolicy

    seed(Category, DeadlinePolicy)
