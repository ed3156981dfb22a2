"""The API answers as its OpenAPI schema says (issue #12, item 10): a bounded schemathesis run over every
GET operation for a signed-in dispatcher, against the WSGI application — no 5xx, documented status
codes and content types, bodies that validate — plus the drifts that were found."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import Org, client_for
from tests.helpers import new_case

pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES = 6  # per operation: the whole run stays under a minute on a quiet machine


def test_get_operations_conform_to_the_schema(org: Org) -> None:
    new_case(org)
    token = Token.objects.create(user=org.user("dispatcher")).key
    # As Django's test client does: the test's transaction must outlive each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
        ran = _run_all(schema, token)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    assert "/api/cases/" in ran and "/api/categories/" in ran and len(ran) >= 8


def _run_all(schema: Any, token: str) -> list[str]:
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() != "GET":
            continue

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def run(case: Any) -> None:
            case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

        run()
        ran.append(operation.path)
    return ran


def test_category_parent_is_nullable_and_reveal_is_an_object(org: Org) -> None:
    schema = client_for(org.user("dispatcher")).get("/api/schema/?format=json").json()
    parent = schema["components"]["schemas"]["Category"]["properties"]["parent"]
    assert parent["type"] == "string" and parent["nullable"] is True
    categories = client_for(org.user("dispatcher")).get("/api/categories/").json()
    assert any(c["parent"] is None for c in categories)
    reveal = schema["paths"]["/api/cases/{code}/reveal/"]["post"]["responses"]["200"]["content"]["application/json"]
    ref = reveal["schema"]["$ref"].rsplit("/", 1)[-1]
    assert schema["components"]["schemas"][ref]["type"] == "object"
    assert {"parties", "expires_at"} <= set(schema["components"]["schemas"][ref]["properties"])
    for op in schema["paths"]["/api/cases/{code}/"].values():
        assert {"400", "403", "404", "429", "503"} <= set(op["responses"])


@pytest.mark.parametrize("value", ["null", "0", "-1", "abc", "201", ""])
def test_invalid_page_size_is_a_400(value: str, org: Org) -> None:
    r = client_for(org.user("dispatcher")).get("/api/cases/", {"page_size": value})
    assert r.status_code == 400 and "每页条数" in r.json()["page_size"][0]
    assert client_for(org.user("dispatcher")).get("/api/cases/", {"page_size": "20"}).status_code == 200
