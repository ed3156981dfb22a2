"""The fast serializers build dicts by hand; their keys must equal the fields they declare for OpenAPI."""

from rest_framework.test import APIRequestFactory

from fengqiao.api.serializers import CaseDetailSerializer, CaseListSerializer, EventSerializer, PartyOutSerializer
from fengqiao.cases.actions import perform


def test_output_keys_match_declared_fields(org, new_case):
    perform("accept", new_case, org.actor("handler1"))
    request = APIRequestFactory().get("/")
    request.user = org.user("handler1")
    for cls in (CaseListSerializer, CaseDetailSerializer):
        data = cls(new_case, context={"request": request}).data
        assert set(data) == set(cls().fields), cls
    event = new_case.events.last()
    assert set(EventSerializer(event).data) == set(EventSerializer().fields)
    party = new_case.parties.first()
    assert set(PartyOutSerializer(party).data) == set(PartyOutSerializer().fields)
    assert PartyOutSerializer(party).data["phone"] == "138****1234"
