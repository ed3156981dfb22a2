"""Helpers of the staff-page tests: signed-in clients and driving a case through the action layer."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.org.models import User
from tests.conftest import Org


@pytest.fixture(autouse=True)
def _private_storage(settings: Any, tmp_path: Any) -> None:
    """Attachments of a test go to a temporary directory."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private")},
        },
    }


def signed_in(user: User) -> Client:
    c = Client()
    c.force_login(user)
    return c


def act(org: Org, case: Case, name: str, who: str, data: dict[str, Any] | None = None) -> Case:
    perform(name, case, org.actor(who), data or {})
    case.refresh_from_db()
    return case
