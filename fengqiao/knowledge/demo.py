"""Demo step of the knowledge app: the legal aid centre (a unit under the justice bureau) with its
handler, the 法律援助 type and deadline policy, the project's articles and library entries."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import transaction

from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User


def seed_knowledge(builder: Any = None, password: str | None = None) -> dict[str, Any]:
    """Seed the knowledge ring; the legal aid handler logs in with ``password`` (none given: no usable
    password, an administrator sets one)."""
    from fengqiao.knowledge import reference, search
    from fengqiao.knowledge.seed import load_articles, load_cases

    with transaction.atomic():
        reference.ensure()
        out: dict[str, Any] = {}
        justice = Unit.objects.filter(name__contains="司法局", is_active=True).order_by("depth").first()
        if justice is not None:
            centre, _ = Unit.objects.get_or_create(
                code=f"{justice.code}-FLYZ",
                defaults={
                    "name": justice.name.replace("司法局", "法律援助中心"),
                    "short_name": "法律援助中心",
                    "kind": UnitKind.DEPARTMENT,
                    "parent": justice,
                },
            )
            user, _created = User.objects.get_or_create(
                username="flyz_chengban",
                defaults={
                    "display_name": "冯援助",
                    "unit": centre,
                    "password": make_password(password),  # None: an unusable password
                    "title": "法律援助中心承办人",
                },
            )
            RoleAssignment.objects.get_or_create(user=user, unit=centre, role=Role.HANDLER)
            if builder is not None and hasattr(builder, "logins"):
                builder.logins.rows.append((user.username, "法律援助中心承办人", centre.name))
            out["centre"] = centre.name
        out["articles"] = load_articles()
        out["cases"] = load_cases()
    search.bump()
    return out
