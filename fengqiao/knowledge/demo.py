"""Demo step of the knowledge app: the legal aid centre (a unit under the justice bureau) with its
handler, the 法律援助 type and deadline policy, the project's articles and library entries; after the
mediation step, a few successfully mediated cases proposed for the 案例库 (:func:`seed_library`)."""

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


def seed_library(limit: int = 4) -> dict[str, int]:
    """A few successfully mediated cases proposed for the 案例库 by their mediator (or handler),
    anonymised and approved (as the county editor would). Once: nothing if a case was proposed."""
    from fengqiao.cases.actions import ActionError, Actor
    from fengqiao.cases.models import Case
    from fengqiao.knowledge import actions as knowledge_actions
    from fengqiao.knowledge import case_library
    from fengqiao.knowledge.models import ExemplaryCase

    made = {"library": 0}
    if ExemplaryCase.objects.filter(source_case__isnull=False).exists():
        return made
    done = Case.objects.filter(state__in=case_library.PROPOSABLE, referral="", agreement=True).exclude(description="")
    for case in done.select_related("owner_unit").order_by("-resolved_at")[: limit * 4]:
        if made["library"] >= limit:
            break
        users = [m.mediator.user for m in case.team.select_related("mediator__user") if m.mediator.user_id]
        users += [case.handler] if case.handler_id else []
        user = next((u for u in users if u is not None and case_library.may_propose(u, case)), None)
        if user is None:
            continue
        try:
            entry = case_library.propose(user, case, "调解过程规范，可供同类纠纷参考", via="demo")
            knowledge_actions.approve_exemplary(Actor.system("demo"), entry)
            made["library"] += 1
        except ActionError:
            continue
    return made
