"""Open311 GeoReport v2 round trip in JSON and XML, checked against the shapes of the published
specification's examples (wiki.open311.org/GeoReport_v2)."""

from __future__ import annotations

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from fengqiao.cases.models import Case
from tests.channels.conftest import make_system
from tests.conftest import Org

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def app(org: Org) -> str:
    return make_system("open311-app", "other", open311=True).key_id


def test_services_json_and_xml(org: Org) -> None:
    c = Client()
    js = c.get(f"{BASE}/services.json").json()
    assert {"service_code", "service_name", "description", "metadata", "type", "keywords", "group"} <= set(js[0])
    assert any(s["service_code"] == "0201" for s in js)
    root = ET.fromstring(c.get(f"{BASE}/services.xml").content)
    assert root.tag == "services" and root[0].tag == "service" and root[0].find("service_code") is not None
    d = c.get(f"{BASE}/services/0201.json").json()
    assert d == {"service_code": "0201", "attributes": []}
    assert ET.fromstring(c.get(f"{BASE}/services/0201.xml").content).tag == "service_definition"
    assert c.get(f"{BASE}/services/nope.json").status_code == 404


def test_post_request_round_trip(org: Org, app: str) -> None:
    c = Client()
    r = c.post(
        f"{BASE}/requests.json",
        {
            "api_key": app,
            "service_code": "0201",
            "lat": "28.85",
            "long": "120.73",
            "address_string": "白塔镇白塔村",
            "description": "邻居家违章搭建挡住通道。",
            "first_name": "小明",
            "last_name": "王",
            "phone": "13812341234",
        },
    )
    assert r.status_code == 201, r.content
    created = r.json()[0]
    rid, token = created["service_request_id"], created["token"]
    case = Case.objects.get(code=rid)
    assert case.channel == "open311" and case.category.code == "0201" and case.lat == 28.85
    one = c.get(f"{BASE}/requests/{rid}.json").json()[0]
    assert one["service_request_id"] == rid and one["status"] == "open" and one["service_code"] == "0201"
    assert "13812341234" not in c.get(f"{BASE}/requests/{rid}.json").content.decode()
    root = ET.fromstring(c.get(f"{BASE}/requests/{rid}.xml").content)
    assert root.tag == "service_requests" and root[0].tag == "request"
    assert root[0].findtext("service_request_id") == rid and root[0].findtext("status") == "open"
    assert c.get(f"{BASE}/tokens/{token}.json").json() == [{"service_request_id": rid, "token": token}]
    listing = c.get(f"{BASE}/requests.json", {"status": "open", "service_code": "0201"}).json()
    assert [x["service_request_id"] for x in listing] == [rid]
    assert c.get(f"{BASE}/requests.json", {"status": "closed"}).json() == []
    # XML POST answer
    rx = c.post(f"{BASE}/requests.xml", {"api_key": app, "service_code": "0201", "address_string": "田市镇"})
    assert rx.status_code == 201
    assert ET.fromstring(rx.content)[0].findtext("service_request_id")


def test_errors_in_spec_format(org: Org, app: str) -> None:
    c = Client()
    r = c.post(f"{BASE}/requests.json", {"api_key": "bad", "service_code": "0201", "address_string": "x"})
    assert r.status_code == 403 and r.json()[0]["code"] == 403
    r = c.post(f"{BASE}/requests.xml", {"api_key": app, "service_code": "0201"})  # no location
    root = ET.fromstring(r.content)
    assert r.status_code == 400 and root.tag == "errors" and root[0].findtext("code") == "400"
    r = c.post(f"{BASE}/requests.json", {"api_key": app, "service_code": "0201", "address_string": "x", "phone": "123"})
    assert r.status_code == 400 and r.json()[0]["description"]
    assert c.get(f"{BASE}/requests.json", {"start_date": "yesterday"}).status_code == 400
    assert Case.objects.count() == 0


def test_public_listing_never_shows_the_citizens_text(org: Org, app: str) -> None:
    c = Client()
    r = c.post(
        f"{BASE}/requests.json",
        {"api_key": app, "service_code": "0201", "address_string": "白塔村", "description": "我家王某某欠我三万元不还"},
    )
    rid = r.json()[0]["service_request_id"]
    listing = c.get(f"{BASE}/requests.json").content.decode()
    assert rid in listing and "王某某" not in listing and "三万元" not in listing
    assert Case.objects.get(code=rid).description == "我家王某某欠我三万元不还"
