"""Who may call trigger URLs: the inbound allow-list (Logic Apps'
``accessControl.triggers.allowedCallerIpAddresses``), as ``[runtime]
trigger_allowed_callers``.

The caller is the connection's peer address. Only when that peer is one of ``[runtime]
trusted_proxies`` does ``X-Forwarded-For`` count: its addresses are read from the right
(the nearest hop first), trusted proxies skipped, and the first other address is the
caller; a header that cannot be read, or holds only trusted proxies, leaves the peer as
the caller. So a caller can never pick its own address by sending the header, and a
chain of trusted proxies is walked the way each of them appended to it. The allow-list
is checked before the signature, the body or anything stored is read.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from gateway import ConfigError
from runtime.errors import CallerNotAllowed
from runtime.settings import RuntimeSettings

__all__ = ["CallerPolicy", "caller_address", "check_caller"]

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _networks(values: Iterable[str], key: str) -> tuple[Network, ...]:
    found = []
    for value in values:
        try:
            found.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ConfigError(f"[runtime] {key}: {value!r} is not an IP address or CIDR "
                              "range") from None
    return tuple(found)


def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _within(address: Address, networks: tuple[Network, ...]) -> bool:
    return any(address.version == network.version and address in network
               for network in networks)


@dataclass(frozen=True)
class CallerPolicy:
    """The allow-list and the trusted proxies, parsed once."""

    allowed: tuple[Network, ...]
    proxies: tuple[Network, ...]

    @classmethod
    def of(cls, settings: RuntimeSettings) -> CallerPolicy:
        """Raises ConfigError for an entry that is not an address or CIDR range."""
        return _policy(settings.trigger_allowed_callers, settings.trusted_proxies)

    def caller(self, peer: str | None, headers: Mapping[str, str]) -> Address | None:
        return caller_address(peer, headers.get("x-forwarded-for"), self.proxies)

    def allows(self, caller: Address | None) -> bool:
        if not self.allowed:
            return True
        return caller is not None and _within(caller, self.allowed)


@lru_cache(maxsize=8)
def _policy(allowed: tuple[str, ...], proxies: tuple[str, ...]) -> CallerPolicy:
    return CallerPolicy(_networks(allowed, "trigger_allowed_callers"),
                        _networks(proxies, "trusted_proxies"))


def caller_address(peer: str | None, forwarded_for: str | None,
                   proxies: tuple[Network, ...]) -> Address | None:
    """The caller's address: the peer's, or (from a trusted proxy) the nearest untrusted
    hop of ``X-Forwarded-For``."""
    address = _address(peer) if peer else None
    if address is None or not proxies or not _within(address, proxies) or not forwarded_for:
        return address
    for hop in reversed(forwarded_for.split(",")):
        found = _address(hop)
        if found is None:
            return address  # a header a trusted proxy did not write: keep the peer
        if not _within(found, proxies):
            return found
    return address


def check_caller(settings: RuntimeSettings, peer: str | None,
                 headers: Mapping[str, str]) -> None:
    """Raises CallerNotAllowed (403) unless the caller is in the allow-list."""
    policy = CallerPolicy.of(settings)
    if not policy.allowed:
        return
    caller = policy.caller(peer, headers)
    if not policy.allows(caller):
        raise CallerNotAllowed(f"the caller's address {caller or 'unknown'} is not in the "
                               "addresses allowed to call trigger URLs")
