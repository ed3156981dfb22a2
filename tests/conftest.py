"""Shared fixtures: a small county with two towns, a department, a task force and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from fengqiao.cases.actions import Actor, register_case
from fengqiao.cases.models import Case
from fengqiao.mediation.models import Mediator
from fengqiao.org.choices import Role, UnitKind
from fengqiao.org.models import RoleAssignment, Unit, User


def pytest_configure(config: pytest.Config) -> None:
    # WhiteNoise warns on every request until `collectstatic` has created STATIC_ROOT.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning:django.core.handlers.base")


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """On SQLite, test against a database *file* (one per test process) instead of Django's
    shared-cache in-memory database: a real Celery worker thread (tests/notify) then reads and
    writes it through its own connection with WAL and the busy timeout, where the in-memory
    database fails at once with "database table is locked"."""
    import os
    import tempfile

    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3" and not db.get("TEST", {}).get("NAME"):
        db.setdefault("TEST", {})["NAME"] = os.path.join(tempfile.gettempdir(), f"fengqiao-test-{os.getpid()}.sqlite3")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hasher() -> Any:
    """PBKDF2 costs ~0.25 s per user; the org fixture creates thirteen. Tests use MD5."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(autouse=True, scope="session")
def _private_model_dir(tmp_path_factory: Any) -> Any:
    """Classifier files of the tests live in a temporary folder: models a developer trained or the demo
    installed under var/models must not change what the tests see (the registry falls back to them)."""
    from django.test.utils import override_settings

    with override_settings(FENGQIAO_MODEL_DIR=str(tmp_path_factory.mktemp("models"))):
        yield


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """A request with Accept-Language makes LocaleMiddleware activate that language for the thread, and
    nothing deactivates it: put the default back after each test so one test's English never leaks into
    the next (visible once the catalogue is compiled, as `make test` does)."""
    yield
    from django.conf import settings as django_settings
    from django.utils import translation

    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    """Per-process caches of admin-edited data must not outlive a test's rolled-back rows (nor the
    rate-limit counters of fengqiao.core.ratelimit: one test's sign-ins must not throttle the next)."""
    from django.core.cache import cache

    from fengqiao.cases.actions.base import forget_owners
    from fengqiao.notify.templates import forget_templates
    from fengqiao.supervision.deadlines import _forget_policies
    from fengqiao.triage import location, pipeline, routing
    from fengqiao.triage.ml import registry

    _forget_policies()
    forget_owners()
    registry.clear_cache()
    location.forget()
    routing.forget()
    pipeline.forget_reference()
    forget_templates()
    cache.clear()


@pytest.fixture(autouse=True)
def _sync_background_work(settings: Any) -> None:
    """Run in-process background work synchronously so tests can assert its effects."""
    settings.FENGQIAO_INPROCESS_TASKS = "sync"


@dataclass
class Org:
    county: Unit
    centre: Unit
    town1: Unit
    sub1: Unit
    village1: Unit
    grid1: Unit
    town2: Unit
    sub2: Unit
    village2: Unit
    grid2: Unit
    dept: Unit
    dept2: Unit
    taskforce: Unit
    users: dict[str, User]
    mediator: Mediator
    mediator2: Mediator

    def user(self, name: str) -> User:
        return self.users[name]

    def actor(self, name: str) -> Actor:
        return Actor.staff(self.users[name])


def make_unit(code: str, name: str, kind: str, parent: Unit | None = None) -> Unit:
    return Unit.objects.create(code=code, name=name, kind=kind, parent=parent)


def make_user(username: str, unit: Unit, *grants: tuple[str, Unit]) -> User:
    user = User.objects.create_user(username=username, password="Fengqiao-test-pw1", unit=unit, display_name=username)
    for role, scope in grants:
        RoleAssignment.objects.create(user=user, unit=scope, role=role)
    return user


@pytest.fixture
def org(db: Any) -> Org:
    from fengqiao.cases.models import Category, Domain
    from fengqiao.cases.taxonomy import seed

    if not Category.objects.exists():
        # A transactional test (Celery worker, browser, concurrent sweeps) flushes the database at its
        # end, the migration-seeded taxonomy with it: seed it again for the transactional tests after it.
        seed(Category, Domain)
    county = make_unit("331024", "仙居县", UnitKind.COUNTY)
    centre = make_unit("331024-ZZZX", "仙居县社会治理中心", UnitKind.CENTRE, county)
    town1 = make_unit("331024103", "白塔镇", UnitKind.TOWN, county)
    sub1 = make_unit("331024103-ZZZX", "白塔镇综治中心", UnitKind.SUBCENTRE, town1)
    village1 = make_unit("331024103201", "白塔村", UnitKind.VILLAGE, town1)
    grid1 = make_unit("331024103201-G01", "白塔村第1网格", UnitKind.GRID, village1)
    town2 = make_unit("331024104", "田市镇", UnitKind.TOWN, county)
    sub2 = make_unit("331024104-ZZZX", "田市镇综治中心", UnitKind.SUBCENTRE, town2)
    village2 = make_unit("331024104201", "田市村", UnitKind.VILLAGE, town2)
    grid2 = make_unit("331024104201-G01", "田市村第1网格", UnitKind.GRID, village2)
    dept = make_unit("D-RSJ", "仙居县人力资源和社会保障局", UnitKind.DEPARTMENT, county)
    dept2 = make_unit("D-ZJJ", "仙居县住房和城乡建设局", UnitKind.DEPARTMENT, county)
    taskforce = make_unit("331024-ZB", "仙居县矛盾纠纷化解专班", UnitKind.TASKFORCE, county)
    users = {
        "dispatcher": make_user("dispatcher", centre, (Role.DISPATCHER, county)),
        "sub1_dispatcher": make_user("sub1_dispatcher", sub1, (Role.DISPATCHER, town1)),
        "handler1": make_user("handler1", sub1, (Role.HANDLER, town1)),
        "handler2": make_user("handler2", sub2, (Role.HANDLER, town2)),
        "dept_handler": make_user("dept_handler", dept, (Role.HANDLER, dept)),
        "grid_worker": make_user("grid_worker", grid1, (Role.GRID_WORKER, grid1)),
        "mediator_user": make_user("mediator_user", sub1, (Role.MEDIATOR, sub1)),
        "leader1": make_user("leader1", town1, (Role.LEADER, town1)),
        "county_leader": make_user("county_leader", county, (Role.LEADER, county)),
        "supervisor": make_user("supervisor", county, (Role.SUPERVISOR, county)),
        "taskforce_handler": make_user("taskforce_handler", taskforce, (Role.HANDLER, taskforce)),
        "sysadmin": make_user("sysadmin", county, (Role.SYSTEM_ADMIN, county)),
        "nobody": make_user("nobody", town1),
    }
    mediator = Mediator.objects.create(
        name="陈调解", kind="people", unit=town1, user=users["mediator_user"], specialties=["02"]
    )
    mediator2 = Mediator.objects.create(name="林律师", kind="lawyer", unit=county, specialties=["06"])
    return Org(
        county,
        centre,
        town1,
        sub1,
        village1,
        grid1,
        town2,
        sub2,
        village2,
        grid2,
        dept,
        dept2,
        taskforce,
        users,
        mediator,
        mediator2,
    )


def case_payload(org: Org, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "邻居建房挡住采光",
        "description": "隔壁新建三层楼房，挡住我家采光，多次协商未果。",
        "channel": "walk_in",
        "category": "0201",
        "location_unit": org.village1.pk,
        "parties": [
            {"role": "applicant", "name": "王小明", "phone": "13812341234", "id_number": "11010519491231002X"},
            {"role": "respondent", "name": "李大年", "phone": "13900001111"},
        ],
    }
    data.update(overrides)
    return data


@pytest.fixture
def new_case(org: Org) -> Case:
    case, _ = register_case(org.actor("dispatcher"), case_payload(org), via="test")
    return case


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def client_for(user: User) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c
