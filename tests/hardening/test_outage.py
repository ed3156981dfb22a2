"""Outages (issue #12, items 5 and 6): the database unreachable, locked or too slow → 503 in Chinese
with Retry-After, never a bare 500; Redis down → registration and tracking still work; a broker
failure after commit → the action answered 200 and written once; /healthz tells the truth."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from rest_framework.test import APIClient

from fengqiao.cases.models import Case, CaseEvent
from tests.conftest import Org, case_payload, client_for
from tests.helpers import new_case

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def _chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def _assert_503(r: Any, json_body: bool) -> None:
    assert r.status_code == 503, (r.status_code, r.content[:300])
    assert int(r["Retry-After"]) > 0
    text = r.content.decode()
    assert _chinese(text) and "Traceback" not in text and "Server Error" not in text
    if json_body:
        assert r.json()["code"] == "unavailable"
    else:
        assert r["Content-Type"].startswith("text/html") and "系统暂时不可用" in text


def _failing(message: str) -> Any:
    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError(message)

    return wrapper


# --- a failing database (execute wrapper) ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "message",
    [
        "could not connect to server: Connection refused",
        "database is locked",
        "canceling statement due to lock timeout",
    ],
)
def test_database_errors_are_503_on_pages_and_api(message: str, org: Org) -> None:
    staff = Client(raise_request_exception=False)
    staff.force_login(org.user("dispatcher"))
    api = client_for(org.user("dispatcher"))
    with connection.execute_wrapper(_failing(message)):
        _assert_503(staff.get("/staff/workbench/"), json_body=False)
        _assert_503(Client(raise_request_exception=False).get(f"/portal/u/{org.village1.code}/"), json_body=False)
        _assert_503(Client(raise_request_exception=False).get("/open311/v2/services.json"), json_body=True)
        _assert_503(api.get("/api/me/"), json_body=True)
        _assert_503(api.post("/api/cases/", case_payload(org), format="json"), json_body=True)
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_other_errors_stay_500_with_the_chinese_page(org: Org, monkeypatch: Any) -> None:
    from fengqiao.web.views import workbench

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(workbench, "group_filters", broken)
    c = Client(raise_request_exception=False)
    c.force_login(org.user("dispatcher"))
    r = c.get("/staff/workbench/")
    assert r.status_code == 500 and "服务器内部错误" in r.content.decode() and "a bug" not in r.content.decode()


@pytest.mark.django_db
def test_404_page_is_chinese(org: Org) -> None:
    r = Client().get("/no-such-page/")
    assert r.status_code == 404 and "页面不存在" in r.content.decode()


# --- real timeouts on PostgreSQL -------------------------------------------------------------------

pg_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL timeouts")


@pg_only
@pytest.mark.django_db
def test_statement_timeout_on_postgresql_is_503(org: Org) -> None:
    """A real statement timeout: every query of the request first sleeps 1 s under a 200 ms limit."""

    def slow(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        with connection.wrap_database_errors:  # the driver's QueryCanceled, wrapped as Django does
            context["cursor"].cursor.execute("SELECT pg_sleep(1)")
        return execute(sql, params, many, context)

    from django.db import transaction

    api = client_for(org.user("dispatcher"))
    sid = transaction.savepoint()  # the cancelled query aborts the test's transaction up to here
    with connection.cursor() as cur:
        cur.execute("SET LOCAL statement_timeout = '200ms'")
    with connection.execute_wrapper(slow):
        r = api.get("/api/cases/")
    transaction.savepoint_rollback(sid)  # also undoes SET LOCAL
    _assert_503(r, json_body=True)


@pg_only
@pytest.mark.django_db(transaction=True)
def test_lock_timeout_on_postgresql_is_503_and_nothing_written(org: Org) -> None:
    """Another session holds the case row; the action waits lock_timeout, then answers 503."""
    from django.db import connections

    case = new_case(org)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                Case.objects.select_for_update().get(pk=case.pk)
                held.set()
                release.wait(10)
        finally:
            connections.close_all()

    t = threading.Thread(target=hold)
    t.start()
    assert held.wait(10)
    try:
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = '300ms'")
        r = client_for(org.user("dispatcher")).post(
            f"/api/cases/{case.code}/actions/note/", {"text": "加一条备注"}, format="json"
        )
    finally:
        release.set()
        t.join()
        with connection.cursor() as cur:
            cur.execute("SET lock_timeout = 0")
    _assert_503(r, json_body=True)
    assert not CaseEvent.objects.filter(case=case, code="case.note").exists()


@pg_only
def test_settings_set_the_timeouts_per_connection() -> None:
    from django.conf import settings

    options = settings.DATABASES["default"]["OPTIONS"]["options"]
    assert f"statement_timeout={settings.DB_STATEMENT_TIMEOUT_MS}" in options
    assert f"lock_timeout={settings.DB_LOCK_TIMEOUT_MS}" in options


# --- the database truly unreachable ---------------------------------------------------------------


@contextmanager
def dead_database() -> Iterator[None]:
    """Point the default connection at a database that cannot be opened (a closed port on
    PostgreSQL, a file in a missing directory on SQLite), then put it back."""
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = "1"
    else:
        connection.settings_dict["NAME"] = "/nonexistent-dir/fengqiao.sqlite3"
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)


@pytest.mark.django_db(transaction=True)
def test_database_down_every_page_is_a_chinese_503(org: Org) -> None:
    c = Client(raise_request_exception=False)
    staff = Client(raise_request_exception=False)
    staff.force_login(org.user("dispatcher"))  # the session lives in the database
    with dead_database():
        c.get("/portal/")  # a page that needs no database may still answer (200); one that does, 503
        _assert_503(c.get(f"/portal/u/{org.village1.code}/"), json_body=False)
        _assert_503(staff.get("/staff/workbench/"), json_body=False)
        _assert_503(staff.get("/staff/"), json_body=False)
        _assert_503(c.get("/open311/v2/services.json"), json_body=True)
        token = {"HTTP_AUTHORIZATION": "Token 0123456789abcdef"}  # looked up in the database
        _assert_503(APIClient(raise_request_exception=False).get("/api/me/", **token), json_body=True)
        _assert_503(staff.get("/api/me/"), json_body=True)
        r = c.get("/healthz")
        assert r.status_code == 503 and r.json()["ok"] is False and r.json()["checks"]["database"] != "OK"
        assert c.get("/livez").status_code == 200


@pytest.mark.django_db
def test_healthz_ok_when_everything_answers(org: Org) -> None:
    r = Client().get("/healthz")
    assert r.status_code == 200, r.content
    assert r.json() == {"ok": True, "checks": {"database": "OK", "migrations": "OK"}}


# --- Redis down ------------------------------------------------------------------------------------


@pytest.fixture
def dead_redis(settings: Any) -> None:
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {
            "BACKEND": "fengqiao.core.cache.DegradingRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


@pytest.mark.django_db
def test_redis_down_registration_tracking_and_lookup_work(org: Org, dead_redis: None) -> None:
    from django.core.cache import cache

    assert cache.get("anything") is None and cache.ping() is False  # type: ignore[attr-defined]
    r = client_for(org.user("dispatcher")).post("/api/cases/", case_payload(org), format="json")
    assert r.status_code == 201, r.content  # registration reads the holiday calendar from the cache
    case = Case.objects.get(code=r.json()["code"])
    track = Client().get(f"/portal/t/{case.tracking_secret}/")
    assert track.status_code == 200 and case.display_code in track.content.decode()
    assert Client().get(f"/portal/t/{case.tracking_secret}/").status_code == 200  # served from memory
    # The lookup form counts attempts per IP in the cache: it answers (here: asks for the SMS code).
    find = Client().post("/portal/track/", {"code": case.display_code, "phone": "13812341234"})
    assert find.status_code in (200, 302, 400) and _chinese(find.content.decode())
    # The per-IP limit keeps counting in process memory (fail-soft, still bounded).
    assert cache.add("k", 1) is True and cache.incr("k") == 2
    # Readiness names the cache.
    ready = Client().get("/healthz")
    assert ready.status_code == 503 and ready.json()["checks"]["cache"].startswith("Unavailable")


@pytest.mark.django_db
def test_degrading_cache_uses_redis_when_it_answers(settings: Any) -> None:
    from django.core.cache import cache

    settings.CACHES = {
        "default": {"BACKEND": "fengqiao.core.cache.DegradingRedisCache", "LOCATION": "redis://127.0.0.1:6379/15"}
    }
    if not cache.ping():  # type: ignore[attr-defined]
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache.set("fengqiao-test-key", "值", 30)
    assert cache.get("fengqiao-test-key") == "值" and cache.degraded is False  # type: ignore[attr-defined]
    cache.delete("fengqiao-test-key")


# --- a broker that fails after commit ------------------------------------------------------------


@pytest.mark.django_db
def test_broker_down_after_commit_answers_200_and_writes_once(
    org: Org, settings: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    from fengqiao.celery import app
    from fengqiao.notify.models import Notification

    case = new_case(org)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.FENGQIAO_INPROCESS_TASKS = "sync"
    changed = {
        "broker_url": DEAD_REDIS,
        "broker_connection_retry": False,
        "broker_connection_max_retries": 0,
        "broker_transport_options": {"max_retries": 0},
    }
    saved = {key: app.conf.get(key) for key in changed}
    app.conf.update(changed)
    app._pool = None  # type: ignore[attr-defined]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            r = client_for(org.user("handler1")).post(
                f"/api/cases/{case.code}/actions/note/", {"text": "已电话联系申请人"}, format="json"
            )
    finally:
        app.conf.update(saved)
        app._pool = None  # type: ignore[attr-defined]
        app.amqp._producer_pool = None  # it was bound to the dead broker; later tests publish elsewhere
    assert r.status_code == 200, r.content
    assert "broker unavailable" in caplog.text  # queueing really failed, and was caught
    assert CaseEvent.objects.filter(case=case, code="case.note").count() == 1
    from fengqiao.core.tasks import drain

    drain()  # the fan-out ran in-process instead of through the broker
    event = CaseEvent.objects.get(case=case, code="case.note")
    from fengqiao.notify.tasks import catch_up_fanout

    before = Notification.objects.filter(event=event).count()
    catch_up_fanout()  # the periodic catch-up is idempotent
    assert Notification.objects.filter(event=event).count() == before
