"""Readiness (``/healthz``) through django-health-check, and liveness (``/livez``).

``/healthz`` answers 200 only when every dependency this deployment uses works:

* the database answers ``SELECT 1`` (django-health-check's ``Database``);
* no migration is left unapplied (:class:`Migrations`);
* Redis answers ``PING`` when ``REDIS_URL`` is set (:class:`RedisPing` — it asks Redis itself, not the
  degrading cache, which would answer from process memory during an outage);
* the Celery broker accepts a connection when ``CELERY_BROKER_URL`` is set (:class:`Broker`).

Otherwise 503 with ``Retry-After``: a load balancer stops sending traffic, an operator sees which
dependency failed. The body is JSON: ``{"ok": bool, "checks": {name: "OK" | error}}``.
``/livez`` says only that the process answers (no dependency), for a restart policy.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

NAMES = {"Database": "database", "Migrations": "migrations", "RedisPing": "cache", "Broker": "broker"}


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration on disk is applied (a half-deployed release is not ready)."""

    def run(self) -> None:
        from django.db.migrations.executor import MigrationExecutor

        connection = connections[DEFAULT_DB_ALIAS]
        try:
            executor = MigrationExecutor(connection)
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except Exception as exc:  # the database is down: the Database check names that
            raise ServiceUnavailable("cannot read migrations") from exc
        finally:
            connection.close()  # this runs in a worker thread: leave no connection behind in it
        if plan:
            raise ServiceUnavailable(f"{len(plan)} unapplied migration(s)")


@dataclasses.dataclass
class RedisPing(HealthCheck):
    alias: str = "default"
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=3), repr=False)

    def run(self) -> None:
        from django.core.cache import caches

        cache = caches[self.alias]
        ping = getattr(cache, "ping", None)
        if ping is None:
            return
        if not ping():
            raise ServiceUnavailable("Redis does not answer")


@dataclasses.dataclass
class Broker(HealthCheck):
    timeout: datetime.timedelta = dataclasses.field(default=datetime.timedelta(seconds=3), repr=False)

    def run(self) -> None:
        from fengqiao.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
        except Exception as exc:
            raise ServiceUnavailable(f"broker unreachable ({type(exc).__name__})") from exc


def readiness_checks() -> list[str]:
    checks = ["health_check.checks.Database", "fengqiao.core.health.Migrations"]
    if settings.REDIS_URL:
        checks.append("fengqiao.core.health.RedisPing")
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        checks.append("fengqiao.core.health.Broker")
    return checks


class ReadinessView(HealthCheckView):
    def get_checks(self) -> Any:
        self.checks = readiness_checks()
        return super().get_checks()

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        await super().get(request, *args, **kwargs)  # runs the checks into self.results
        ok = not any(r.error for r in self.results)
        body = {
            "ok": ok,
            "checks": {
                NAMES.get(type(r.check).__name__, type(r.check).__name__): "OK" if not r.error else str(r.error)
                for r in self.results
            },
        }
        response = JsonResponse(body, status=200 if ok else 503)
        if not ok:
            response["Retry-After"] = str(getattr(settings, "FENGQIAO_RETRY_AFTER", 30))
        return response


readiness = ReadinessView.as_view()


def liveness(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})
