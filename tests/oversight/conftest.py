"""Helpers for the oversight pages: logged-in clients and cases with constructed histories."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from fengqiao.cases.actions import Actor, perform, register_case
from fengqiao.cases.models import Case
from fengqiao.org.models import User
from tests.conftest import Org, case_payload


def web(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def register(org: Org, when: dt.datetime | None = None, who: str = "dispatcher", **overrides: Any) -> Case:
    """A case registered (at ``when``, by moving the clock) in 白塔镇 (town1) unless overridden."""
    if when is None:
        case, _ = register_case(org.actor(who), case_payload(org, **overrides), via="test")
        return case
    with time_machine.travel(when, tick=False):
        case, _ = register_case(org.actor(who), case_payload(org, **overrides), via="test")
    return case


def act(org: Org, name: str, case: Case, who: str, data: dict[str, Any] | None = None, when: Any = None) -> None:
    if when is None:
        perform(name, case, org.actor(who), data or {})
    else:
        with time_machine.travel(when, tick=False):
            perform(name, case, org.actor(who), data or {})


def days_ago(n: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=n)


@pytest.fixture
def leader1(org: Org) -> Client:
    return web(org.user("leader1"))


@pytest.fixture
def supervisor(org: Org) -> Client:
    return web(org.user("supervisor"))


__all__ = ["Actor", "act", "days_ago", "register", "web"]
