import asyncio

import pytest

from gateway.errors import EgressDenied
from gateway.security.egress import EgressGuard


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://localhost/", "http://10.1.2.3/", "http://192.168.0.1/",
    "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://100.64.0.1/",
    "http://[::1]/", "http://[fd00::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://[fe80::1]/", "http://224.0.0.1/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://2130706433/", "http://0x7f000001/",
])
def test_private_targets_are_refused(url: str) -> None:
    with pytest.raises(EgressDenied):
        EgressGuard().check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x/",
                                 "http:///nohost", "http://user:pw@93.184.216.34/"])
def test_other_schemes_and_odd_urls_are_refused(url: str) -> None:
    with pytest.raises(EgressDenied):
        EgressGuard().check(url)


def test_public_addresses_pass_and_the_vetted_address_is_returned() -> None:
    target = EgressGuard().check("https://93.184.216.34:8443/path?q=1")
    assert (target.scheme, target.host, target.port, target.address) == (
        "https", "93.184.216.34", 8443, "93.184.216.34")


def test_allow_list_admits_networks_and_host_patterns() -> None:
    guard = EgressGuard(["127.0.0.1/32", "*.internal"])
    assert guard.check("http://127.0.0.1:9/").address == "127.0.0.1"
    with pytest.raises(EgressDenied):
        guard.check("http://127.0.0.2/")
    assert guard.address_allowed("10.0.0.5", "db.internal")
    assert not guard.address_allowed("10.0.0.5", "db.external")


def test_the_refusal_says_why_and_how_to_allow() -> None:
    with pytest.raises(EgressDenied) as caught:
        EgressGuard().check("http://169.254.169.254/")
    assert "link-local" in caught.value.message
    assert "PORTWAY_EGRESS_ALLOW" in caught.value.message


@pytest.mark.parametrize(("host", "port"), [
    ("127.0.0.1", 25), ("[::1]", 21), ("10.0.0.5", 1433), ("169.254.169.254", 22),
    ("127.0.0.1:25", 25), ("a/b", 25), ("user@93.184.216.34", 25), ("", 25),
    ("93.184.216.34", 0), ("93.184.216.34", 70000), ("mail.example.com\r\nRCPT", 25),
])
def test_a_host_and_port_of_another_protocol_is_vetted_like_a_url(host: str, port: int
                                                                  ) -> None:
    with pytest.raises(EgressDenied):
        asyncio.run(EgressGuard().acheck_host(host, port, "smtp"))


def test_an_allowed_or_public_host_of_another_protocol_gives_its_address() -> None:
    target = asyncio.run(EgressGuard(["127.0.0.1"]).acheck_host("127.0.0.1", 2525, "smtp"))
    assert (target.scheme, target.host, target.port, target.address) == (
        "smtp", "127.0.0.1", 2525, "127.0.0.1")
    public = asyncio.run(EgressGuard().acheck_host("93.184.216.34", 465, "smtp"))
    assert public.address == "93.184.216.34"
