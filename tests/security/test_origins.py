"""A connection's secrets stay bound to the upstream origin they were entered for (issue
13, item 3), through the real ``portway serve``.

A contributor scoped to a connector (not to the connections using it) re-imports it with
its own host; a contributor of a connection patches the parameter that decides the host.
Neither receives a secret it never knew: the calls are refused with 409 until someone
entitled to the connection re-enters its secrets or an owner re-binds them.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from tests.security.conftest import Recorder, Served, items_spec, recorder_app
from tests.support.servers import serve_in_thread

KEY = "sk-origin-bound-0123456789"
PASSWORD = "basic-password-never-told-42"


@pytest.fixture(scope="module")
def attacker() -> Iterator[Recorder]:
    recorder = Recorder()
    with serve_in_thread(recorder_app(recorder)) as url:
        recorder.url = url
        recorder.seen.clear()
        yield recorder


def _after_caches(call: Callable[[], httpx.Response]) -> httpx.Response:
    """The answer once the data plane's caches (``proxy.cache_seconds``, twice) have seen
    the new connector version; until then calls still go to the old, bound host."""
    deadline = time.monotonic() + 10
    answer = call()
    while answer.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.25)
        answer = call()
    return answer


def _sent_secret(recorder: Recorder, secret: str) -> bool:
    return any(secret in json.dumps(entry) or base64.b64encode(secret.encode()).decode()
               in json.dumps(entry) for entry in recorder.seen)


def test_a_connector_re_imported_with_another_host_does_not_take_the_secrets_along(
        served: Served, attacker: Recorder) -> None:
    assert served.put_connector("moving", items_spec(served.upstream.url)).status_code == 201
    with served.client() as owner:
        assert owner.put("/v1/connections/bound", json={
            "connector": "moving", "parameters": {"api_key": KEY}}).status_code == 201
        assert owner.get("/apim/moving/bound/items/1").status_code == 200
    publisher = served.token("publisher", "contributor", scope="connectors/moving")

    moved = served.put_connector("moving", items_spec(attacker.url), token=publisher)
    assert moved.status_code == 409, moved.text  # a host change is a breaking change
    assert "changed-host" in moved.text
    moved = served.put_connector("moving", items_spec(attacker.url), token=publisher,
                                 allowBreaking="true")
    assert moved.status_code == 200, moved.text

    with served.client() as owner:
        refused = _after_caches(lambda: owner.get("/apim/moving/bound/items/1"))
        by_id = owner.post("/v1/connections/bound/operations/GetItem", json={"id": "1"})
    for answer in (refused, by_id):
        assert answer.status_code == 409, answer.text
        error = answer.json()["error"]
        assert error["code"] == "SecretsOriginChanged"
        assert error["details"][0]["boundTo"] == [served.upstream.url]
        assert error["details"][0]["callOrigin"] == attacker.url
    assert not _sent_secret(attacker, KEY)

    with served.client(publisher) as client:  # only an owner re-binds
        assert client.post("/v1/connections/bound/rebind").status_code == 403
    with served.client() as owner:
        rebound = owner.post("/v1/connections/bound/rebind")
        assert rebound.status_code == 200, rebound.text
        assert rebound.json()["secretsBoundTo"] == [attacker.url]
        assert owner.get("/apim/moving/bound/items/1").status_code == 200
    assert _sent_secret(attacker, KEY)  # the owner chose to send it there


def test_re_entering_the_secrets_binds_them_to_the_new_host(served: Served,
                                                           attacker: Recorder) -> None:
    assert served.put_connector("hopping", items_spec(served.upstream.url)).status_code == 201
    with served.client() as owner:
        assert owner.put("/v1/connections/hop", json={
            "connector": "hopping", "parameters": {"api_key": KEY}}).status_code == 201
    assert served.put_connector("hopping", items_spec(attacker.url),
                                allowBreaking="true").status_code == 200
    with served.client() as owner:
        assert _after_caches(lambda: owner.get("/apim/hopping/hop/items/1")).status_code == 409
        assert owner.patch("/v1/connections/hop", json={
            "parameters": {"api_key": KEY}}).status_code == 200
        assert owner.get("/apim/hopping/hop/items/1").status_code == 200


def _site_connector(served: Served) -> None:
    spec = items_spec(served.upstream.url, title="Sites")
    spec["securityDefinitions"] = {"basic": {"type": "basic"}}
    spec["security"] = [{"basic": []}]
    properties = {"properties": {
        "connectionParameters": {
            "siteUrl": {"type": "string", "uiDefinition": {"displayName": "Site URL"}},
            "username": {"type": "string"}, "password": {"type": "securestring"}},
        "policyTemplateInstances": [{
            "templateId": "dynamichosturl", "title": "the site",
            "parameters": {"x-ms-apimTemplateParameter.urlTemplate":
                           "@connectionParameters('siteUrl')/api"}}]}}
    with served.client() as owner:
        made = owner.put("/v1/connectors/sites", files={
            "spec": ("spec.json", json.dumps(spec), "application/json"),
            "apiProperties": ("apiProperties.json", json.dumps(properties),
                              "application/json")})
    assert made.status_code in (200, 201), made.text


def test_patching_the_host_parameter_does_not_hand_over_the_password(
        served: Served, attacker: Recorder) -> None:
    _site_connector(served)
    with served.client() as owner:
        created = owner.put("/v1/connections/site", json={"connector": "sites", "parameters": {
            "siteUrl": served.upstream.url, "username": "ann", "password": PASSWORD}})
        assert created.status_code == 201, created.text
        assert owner.get("/apim/sites/site/items/1").status_code == 200
    editor = served.token("editor", "contributor", scope="connections/site")
    with served.client(editor) as client:
        patched = client.patch("/v1/connections/site", json={
            "parameters": {"siteUrl": attacker.url}})
        assert patched.status_code == 200, patched.text
        refused = client.get("/apim/sites/site/items/1")
        assert refused.status_code == 409, refused.text
        assert refused.json()["error"]["code"] == "SecretsOriginChanged"
        # Re-entering only the user name is not re-entering the secrets.
        client.patch("/v1/connections/site", json={"parameters": {"username": "bob"}})
        assert client.get("/apim/sites/site/items/1").status_code == 409
        # Back where the password was entered for, calls work again.
        client.patch("/v1/connections/site", json={"parameters": {
            "siteUrl": served.upstream.url}})
        assert client.get("/apim/sites/site/items/1").status_code == 200
    assert not _sent_secret(attacker, PASSWORD)


def test_replacing_a_connection_for_another_host_drops_what_it_cannot_re_enter(
        served: Served, attacker: Recorder) -> None:
    _site_connector(served)
    editor = served.token("editor2", "contributor", scope="connections/site2")
    with served.client() as owner:
        assert owner.put("/v1/connections/site2", json={"connector": "sites", "parameters": {
            "siteUrl": served.upstream.url, "username": "ann", "password": PASSWORD}}
        ).status_code == 201
    with served.client(editor) as client:
        replaced = client.put("/v1/connections/site2", json={"connector": "sites",
                              "parameters": {"siteUrl": attacker.url, "username": "ann"}})
        assert replaced.status_code in (200, 400), replaced.text
        client.get("/apim/sites/site2/items/1")
    assert not _sent_secret(attacker, PASSWORD)
