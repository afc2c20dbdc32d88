"""The inbound allow-list for trigger URLs: who the caller is (the peer, or from a trusted
proxy the nearest untrusted ``X-Forwarded-For`` hop), and, against the real ``portway
serve``, a call from outside the list is 403 in the one error shape and starts nothing
while one from inside it starts its run."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import httpx
import pytest

from gateway import ConfigError
from runtime.errors import CallerNotAllowed
from runtime.settings import RuntimeSettings
from runtime.triggers.callers import CallerPolicy, caller_address, check_caller
from tests.support.servers import portway_process

PROXIES = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"))


@pytest.mark.parametrize(("peer", "forwarded", "caller"), [
    ("192.0.2.9", None, "192.0.2.9"),
    ("192.0.2.9", "10.9.9.7", "192.0.2.9"),  # an untrusted peer's header is ignored
    ("127.0.0.1", "198.51.100.4", "198.51.100.4"),
    ("127.0.0.1", "198.51.100.4, 10.1.1.1", "198.51.100.4"),  # through two proxies
    ("127.0.0.1", "203.0.113.5, 198.51.100.4", "198.51.100.4"),  # the nearest hop wins
    ("127.0.0.1", "10.1.1.1", "127.0.0.1"),  # only proxies: the peer
    ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ("127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
    ("::ffff:127.0.0.1", "198.51.100.4:8080", "198.51.100.4"),
])
def test_the_caller_is_the_peer_unless_a_trusted_proxy_forwarded_it(
        peer: str, forwarded: str | None, caller: str) -> None:
    assert str(caller_address(peer, forwarded, PROXIES)) == caller


def test_the_allow_list_takes_addresses_and_ranges_and_refuses_others() -> None:
    settings = RuntimeSettings(trigger_allowed_callers=("10.9.9.0/24", "2001:db8::5"),
                               trusted_proxies=("127.0.0.1",))
    check_caller(settings, "10.9.9.200", {})
    check_caller(settings, "2001:db8::5", {})
    check_caller(settings, "127.0.0.1", {"x-forwarded-for": "10.9.9.1"})
    for peer, headers in (("10.9.8.1", {}), ("127.0.0.1", {}), (None, {}),
                          ("192.0.2.1", {"x-forwarded-for": "10.9.9.1"})):
        with pytest.raises(CallerNotAllowed):
            check_caller(settings, peer, headers)
    check_caller(RuntimeSettings(), "192.0.2.1", {})  # no list: anyone
    with pytest.raises(ConfigError, match="trusted_proxies"):
        CallerPolicy.of(RuntimeSettings(trusted_proxies=("10.0.0.0/33",)))


@pytest.mark.slow
def test_portway_serve_refuses_trigger_calls_from_outside_the_allow_list(
        tmp_path: Path) -> None:
    env = {"PORTWAY_RUNTIME_TRIGGER_ALLOWED_CALLERS": "10.9.9.0/24",
           "PORTWAY_RUNTIME_TRUSTED_PROXIES": "127.0.0.1/32"}
    definition = {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {"Say": {"type": "Compose", "inputs": "hi", "runAfter": {}}}}
    with portway_process(tmp_path, env) as (base, _):
        token = (tmp_path / "var" / "owner.token").read_text().strip()
        with httpx.Client(base_url=base, timeout=30,
                          headers={"authorization": f"Bearer {token}"}) as owner:
            assert owner.put("/v1/workflows/guarded", json={
                "definition": definition}).status_code == 201
            url = owner.post("/v1/workflows/guarded/triggers/manual/callback-url"
                             ).json()["value"]
            with httpx.Client(timeout=30) as caller:
                refused = [caller.post(url, json={}),
                           caller.post(url, json={}, headers={
                               "x-forwarded-for": "10.9.9.7, 192.0.2.1"}),
                           caller.post(url + "x", json={})]  # a bad signature too: 403
                allowed = caller.post(url, json={}, headers={"x-forwarded-for": "10.9.9.7"})
            assert [r.status_code for r in refused] == [403, 403, 403]
            error = refused[0].json()["error"]
            assert error["code"] == "CallerIpAddressNotAllowed"
            assert set(error) == {"code", "message", "requestId", "details"}
            assert allowed.status_code == 202, allowed.text
            runs = owner.get("/v1/workflows/guarded/runs").json()["value"]
            assert [r["id"] for r in runs] == [allowed.headers["x-ms-workflow-run-id"]]
