"""Path parameters fill one segment of the operation's template, nothing else (issue 13,
item 2), through the real ``portway serve``.

Whatever the caller spells — ``.`` or ``..``, percent-encoded (``%2e%2e``, ``..%2f``,
``%2e%2e%2f``), with ``\\`` — the upstream only ever sees the paths its connector declares,
and a dot-segment is refused before anything is sent with the connection's credentials.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.security.conftest import Served, with_items_connection

KEY = "sk-path-probe-0123456789"


@pytest.fixture(scope="module")
def ready(served: Served) -> Iterator[Served]:
    yield with_items_connection(served, KEY)


TRAVERSALS = [
    "%2e%2e%2f%2e%2e%2fadmin", "..%2f..%2fadmin", "%2e%2e", "..", ".", "%2E", "%2e",
    "..%5c..%5cadmin", "..%5Cadmin", "a%2f..%2f..%2fadmin", "%2e%2e%5cadmin",
    "1/parts/x%2f..", "1/parts/..",
]


@pytest.mark.parametrize("spelling", TRAVERSALS)
def test_apim_refuses_a_dot_segment_in_a_path_parameter(ready: Served, spelling: str) -> None:
    seen = len(ready.upstream.seen)
    status, body = ready.raw_get(f"/apim/items/conn/items/{spelling}")
    assert status == 400, body
    assert json.loads(body)["error"]["code"] == "ValidationFailed"
    assert len(ready.upstream.seen) == seen  # the credentials went nowhere


@pytest.mark.parametrize("value", ["../../admin", "..", ".", "..\\..\\admin", "x/../../admin",
                                   "./admin"])
def test_operations_refuse_a_dot_segment_in_a_path_parameter(ready: Served, value: str
                                                              ) -> None:
    seen = len(ready.upstream.seen)
    with ready.client() as owner:
        answer = owner.post("/v1/connections/conn/operations/GetItem", json={"id": value})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["code"] == "ValidationFailed"
    assert len(ready.upstream.seen) == seen


@pytest.mark.parametrize(("sent", "reached"), [
    ("/apim/items/conn/items/a%2fb", "/api/items/a%2Fb"),
    ("/apim/items/conn/items/a%5cb", "/api/items/a%5Cb"),
    ("/apim/items/conn/items/a%3fb%23c", "/api/items/a%3Fb%23c"),
    ("/apim/items/conn/items/%25zz", "/api/items/%25zz"),
    ("/apim/items/conn/items/..a", "/api/items/..a"),
    ("/apim/items/conn/items/caf%C3%A9", "/api/items/caf%C3%A9"),
    ("/apim/items/conn/items/1/parts/x%2fy", "/api/items/1/parts/x%2Fy"),
])
def test_apim_encodes_a_path_parameter_as_one_segment(ready: Served, sent: str, reached: str
                                                      ) -> None:
    with ready.client() as owner:
        answer = owner.get(sent)
    assert answer.status_code == 200, answer.text
    assert ready.upstream.last()["raw_path"] == reached


@pytest.mark.parametrize(("value", "reached"), [
    ("a/b", "/api/items/a%2Fb"), ("a\\b", "/api/items/a%5Cb"), ("a?b#c", "/api/items/a%3Fb%23c"),
    ("100%", "/api/items/100%25"), ("x y", "/api/items/x%20y"), ("..a", "/api/items/..a"),
])
def test_operations_encode_a_path_parameter_as_one_segment(ready: Served, value: str,
                                                           reached: str) -> None:
    with ready.client() as owner:
        answer = owner.post("/v1/connections/conn/operations/GetItem", json={"id": value})
    assert answer.status_code == 200, answer.text
    assert ready.upstream.last()["raw_path"] == reached


@pytest.mark.parametrize("target", ["/apim/items/conn%2f..%2fother/items/1",
                                    "/apim/items/..%2fconn/items/1",
                                    "/apim/items%2fconn/x/items/1"])
def test_an_encoded_slash_in_the_connection_name_does_not_shift_the_path(
        ready: Served, target: str) -> None:
    seen = len(ready.upstream.seen)
    status, body = ready.raw_get(target)
    assert status == 404, body
    assert json.loads(body)["error"]["code"] == "NotFound"
    assert len(ready.upstream.seen) == seen
