"""The map position copied onto the case (``map_lat``/``map_lon``): set by the action layer when a
case is registered with a standard address or a point, kept when the case is saved for other reasons,
recomputed when its address changes; the map's cell layer reads it without an address join."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fengqiao.atlas import mapdata
from fengqiao.atlas.scope import located_cases, user_scope
from fengqiao.cases.actions import perform
from fengqiao.cases.models import Case
from fengqiao.org.models import StandardAddress
from tests.helpers import new_case, valid_input

pytestmark = pytest.mark.django_db


@pytest.fixture
def address(org):  # type: ignore[no-untyped-def]
    return StandardAddress.objects.create(grid=org.grid1, full_text="白塔村1组3号", lat=28.731, lon=120.541)


def test_registration_copies_the_address_position(org, address):  # type: ignore[no-untyped-def]
    case = new_case(org, standard_address=address.pk)
    row = Case.objects.values("map_lat", "map_lon", "lat", "lon").get(pk=case.pk)
    assert row == {"map_lat": 28.731, "map_lon": 120.541, "lat": None, "lon": None}


def test_own_point_wins_over_the_address(org, address):  # type: ignore[no-untyped-def]
    case = new_case(org, standard_address=address.pk, lat=28.7, lon=120.5)
    assert Case.objects.values_list("map_lat", "map_lon").get(pk=case.pk) == (28.7, 120.5)


def test_no_address_no_position(org):  # type: ignore[no-untyped-def]
    case = new_case(org)
    assert Case.objects.values_list("map_lat", "map_lon").get(pk=case.pk) == (None, None)


def test_a_later_action_keeps_it_without_reading_the_address(org, address):  # type: ignore[no-untyped-def]
    case = new_case(org, standard_address=address.pk)
    with CaptureQueriesContext(connection) as q:
        perform("accept", case, org.actor("handler1"), valid_input("accept", org))
    assert not any("org_standardaddress" in x["sql"] for x in q.captured_queries)
    assert Case.objects.values_list("map_lat", "map_lon").get(pk=case.pk) == (28.731, 120.541)


def test_changed_address_is_copied_again(org, address):  # type: ignore[no-untyped-def]
    case = new_case(org, standard_address=address.pk)
    other = StandardAddress.objects.create(grid=org.grid1, full_text="白塔村2组8号", lat=28.75, lon=120.56)
    case = Case.objects.get(pk=case.pk)
    case.standard_address = other
    case.save()
    assert Case.objects.values_list("map_lat", "map_lon").get(pk=case.pk) == (28.75, 120.56)


def test_cell_layer_reads_the_copied_position_without_a_join(org, address):  # type: ignore[no-untyped-def]
    case = new_case(org, standard_address=address.pk)
    user = org.user("county_leader")
    qs = located_cases(user, user_scope(user))
    with CaptureQueriesContext(connection) as q:
        b = mapdata.case_buckets(qs, "cell", zoom=14, bbox=(120.4, 28.6, 120.8, 28.9))
    assert not any("org_standardaddress" in x["sql"] for x in q.captured_queries)
    cells = [x for x in b["buckets"] if x["cell"]]
    assert [c["n"] for c in cells] == [1]
    cx, cy, size = cells[0]["cell"]
    assert cx == int(120.541 // size) and cy == int(28.731 // size)
    assert [c["code"] for c in mapdata.cell_cases(qs, cx, cy, size)] == [case.code]
