"""The suite's county: 4 towns, staff users for the load and for each login door, and cases.

Runs inside the runner's process, with Django pointed at the suite's own PostgreSQL cluster.
"""

from __future__ import annotations

import secrets
import sys
from dataclasses import dataclass, field
from typing import Any

from resilience.stack import ROOT

PASSWORD = "Res1lience-" + secrets.token_urlsafe(8)
ROLES_FOR_SCHEMA = ("handler", "dispatcher", "leader", "supervisor")


@dataclass
class StaffLogin:
    username: str
    token: str
    session: str
    town: int
    case_codes: list[str] = field(default_factory=list)  # API codes of cases this user may act on
    display_codes: list[str] = field(default_factory=list)


@dataclass
class World:
    load_users: list[StaffLogin]
    role_tokens: dict[str, str]
    door_users: dict[str, str]  # door → username (password: PASSWORD)
    villages: list[int]  # pks (the API takes a unit id)
    cases: int


def _session_for(user: Any) -> str:
    """A signed-in session, as the login page would leave it (the load measures pages, not sign-in)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return str(store.session_key)


def refresh_sessions(world: World) -> None:
    """New signed-in sessions for the load users: the suite runs longer than a session lives (30 minutes
    idle), and a load of redirects to the sign-in page would measure nothing but the redirect."""
    from django.db import close_old_connections

    from fengqiao.org.models import User

    close_old_connections()  # after an outage the runner's own connection may be dead
    users = {u.username: u for u in User.objects.filter(username__in=[s.username for s in world.load_users])}
    for login in world.load_users:
        login.session = _session_for(users[login.username])


def build(users: int = 40, bulk_cases: int = 3000, history_cases: int = 4) -> World:
    from django.contrib.auth.hashers import make_password
    from rest_framework.authtoken.models import Token

    from fengqiao.cases.actions import Actor, perform, register_case
    from fengqiao.demo.bulk import generate_cases
    from fengqiao.org.choices import Role, UnitKind
    from fengqiao.org.models import RoleAssignment, Unit, User

    sys.path.insert(0, str(ROOT / "bench"))
    from bench_inbound import small_county  # the benchmarks' small county

    villages = small_county()
    county = Unit.objects.get(code="331024")
    towns = list(Unit.objects.filter(kind=UnitKind.TOWN).order_by("code"))
    subs = {t.pk: Unit.objects.get(parent=t, kind=UnitKind.SUBCENTRE) for t in towns}
    hashed = make_password(PASSWORD)  # one PBKDF2 run for every account

    def staff(username: str, unit: Unit, role: str, grant_unit: Unit, **extra: Any) -> Any:
        user = User.objects.create(username=username, password=hashed, unit=unit, display_name=username, **extra)
        RoleAssignment.objects.create(user=user, unit=grant_unit, role=role)
        return user

    generate_cases(bulk_cases, seed=11, days=120)
    load: list[StaffLogin] = []
    for i in range(users):
        town = towns[i % len(towns)]
        user = staff(f"load{i:02d}", subs[town.pk], Role.HANDLER, town)
        actor = Actor.staff(user)
        login = StaffLogin(user.username, Token.objects.create(user=user).key, _session_for(user), town.pk)
        town_villages = [v for v in villages if v.parent_id == town.pk]
        for j in range(history_cases):
            case, _ = register_case(
                actor,
                {
                    "title": f"邻里纠纷{i}-{j}",
                    "description": "楼上卫生间漏水到我家天花板，多次协商无果，要求赔偿并修复。",
                    "channel": "walk_in",
                    "category": "0203",
                    "location_unit": town_villages[j % len(town_villages)].pk,
                    "parties": [{"role": "applicant", "name": "王小明", "phone": f"138{i:04d}{j:04d}"}],
                },
                via="resilience",
            )
            perform("accept", case, actor)
            perform("assign_person", case, actor, {"handler": user.pk})
            login.case_codes.append(case.code)
            login.display_codes.append(case.display_code)
        load.append(login)

    role_tokens: dict[str, str] = {"handler": load[0].token}
    for role, unit in (("dispatcher", subs[towns[0].pk]), ("leader", towns[0]), ("supervisor", county)):
        user = staff(f"schema_{role}", unit, role, unit if role != "dispatcher" else towns[0])
        role_tokens[role] = Token.objects.create(user=user).key
    doors = {}
    for door in ("web", "api", "admin"):
        extra = {"is_staff": True, "is_superuser": True} if door == "admin" else {}
        user = staff(f"door_{door}", subs[towns[1].pk], Role.HANDLER, towns[1], **extra)
        doors[door] = user.username
    from fengqiao.cases.models import Case

    return World(load, role_tokens, doors, [v.pk for v in villages], Case.objects.count())
