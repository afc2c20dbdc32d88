"""updatenextlink: next links point back through the gateway."""

from __future__ import annotations

import pytest

from gateway.policies import PolicyResponse, PolicySet

from .conftest import instance, request


def apply(body, name="@odata.nextLink", **overrides):
    policy = instance("updatenextlink", operations=["GetItem"], nextLinkPropertyName=name)
    response = PolicyResponse(200, body=body)
    PolicySet.compile([policy]).apply_response(request(**overrides), response)
    return response.body


@pytest.mark.parametrize(("link", "expected"), [
    ("https://api.example.com/v1/items?$skiptoken=abc",
     "https://gw.example.net/apim/demo/conn1/items?$skiptoken=abc"),
    ("https://API.example.com/v1/groups/x/members?$skip=20",
     "https://gw.example.net/apim/demo/conn1/groups/x/members?$skip=20"),
    ("/v1/items?page=3", "https://gw.example.net/apim/demo/conn1/items?page=3"),
    ("?page=3", "https://gw.example.net/apim/demo/conn1/items/42?page=3"),
    ("https://elsewhere.example.com/v1/items?page=3",
     "https://elsewhere.example.com/v1/items?page=3"),
    ("https://api.example.com/other/items", "https://api.example.com/other/items"),
])
def test_links(link, expected):
    assert apply({"value": [], "@odata.nextLink": link})["@odata.nextLink"] == expected


def test_plain_property_name_and_absent_link():
    assert apply({"nextLink": "https://api.example.com/v1/p2"}, name="nextLink") == {
        "nextLink": "https://gw.example.net/apim/demo/conn1/p2"}
    assert apply({"value": []}) == {"value": []}


def test_no_gateway_address_leaves_the_link():
    body = {"@odata.nextLink": "https://api.example.com/v1/p2"}
    assert apply(dict(body), gateway_base_url="") == body
