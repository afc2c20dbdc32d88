"""The egress guard: the one gate every outbound URL of Portway passes.

Proxy targets, spec URLs, WSDL imports and OAuth token endpoints all ask ``EgressGuard``
first. It allows only http and https, resolves the host once, refuses the address classes
an attacker would aim a server-side request at (loopback, private, link-local including
169.254.169.254, CGNAT, IPv6 unique-local, IPv4-mapped/translated forms of those,
multicast, reserved, unspecified) unless the operator allowed them, and hands back the
vetted address so the caller connects to exactly what was checked (no DNS rebinding).

The asynchronous check (the data plane's) remembers a verdict for a host and port: for
``dns_ttl`` seconds when the host is a name, for good when it is a literal address. Only
admissions are remembered, and only the address that was vetted is handed out, so a name
that changes its answers is looked up (and vetted) again after the period.

Redirects and response sizes are the callers' part: the proxy never follows a redirect,
and the document fetcher (``gateway.fetch``) vets every hop again and caps the size.
"""

from __future__ import annotations

import fnmatch
import ipaddress
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import anyio.to_thread

from gateway.errors import EgressDenied, UpstreamUnreachable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

#: A URL's origin as written: its scheme, ``://`` and its authority.
_ORIGIN = re.compile(r"[^:/?#]*://[^/?#]*")
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class VettedTarget:
    """A URL that passed the guard, with the address to connect to."""

    url: str
    scheme: str
    host: str  # as written in the URL (for Host and TLS server name)
    port: int
    address: str  # the vetted IP address


class EgressGuard:
    """Decides whether an outbound URL may be reached.

    Args:
        allow: Addresses (``127.0.0.1``), networks (``10.0.0.0/8``) or host names
            (``api.internal``, ``*.corp.example``) that may be reached although they are
            private. Everything public is allowed.
    """

    def __init__(self, allow: Iterable[str] = (), *, dns_ttl: float = 10.0) -> None:
        self._dns_ttl = dns_ttl
        self._verdicts: dict[tuple[str, int], tuple[float, str]] = {}
        self._origins: dict[str, tuple[str, str, int]] = {}
        #: origin -> (until, scheme, host, port, address): ``_verdicts`` by the URL's text.
        self._admitted: dict[str, tuple[float, str, str, int, str]] = {}
        self._networks: list[IPNetwork] = []
        self._hosts: list[str] = []
        for entry in allow:
            entry = entry.strip()
            if not entry:
                continue
            try:
                self._networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self._hosts.append(entry.lower().rstrip("."))

    def check(self, url: str) -> VettedTarget:
        """Vet ``url``, resolving its host (blocking). Raises ``EgressDenied``, or
        ``UpstreamUnreachable`` when the host does not resolve."""
        scheme, host, port = self._split(url)
        return self._vet(url, scheme, host, port, _resolve(host, port))

    async def acheck(self, url: str) -> VettedTarget:
        """Vet ``url`` without blocking the event loop (verdicts remembered, see above)."""
        found = _ORIGIN.match(url)
        if found is not None:
            # The data plane sends many URLs under few origins: an admitted one's verdict
            # is found by the origin's text alone while it lasts.
            known = self._admitted.get(found.group())
            if known is not None and known[0] > time.monotonic():
                _, scheme, host, port, address = known
                return VettedTarget(url=url, scheme=scheme, host=host, port=port,
                                    address=address)
        scheme, host, port = self._split(url)
        target = await self._acheck(url, scheme, host, port)
        if found is not None:
            if len(self._admitted) > 10_000:
                self._admitted.clear()
            self._admitted[found.group()] = (self._verdicts[(host, port)][0], scheme, host,
                                             port, target.address)
        return target

    async def acheck_host(self, host: str, port: int, protocol: str) -> VettedTarget:
        """Vet a host and port reached over another protocol than HTTP (a built-in
        connector's SMTP, FTP, SFTP or database server), as ``acheck`` vets a URL.

        The caller connects to the returned ``address`` (and uses ``host`` for TLS).

        Raises:
            EgressDenied: The host is malformed or not allowed.
            UpstreamUnreachable: It does not resolve.
        """
        name = host.strip().removeprefix("[").removesuffix("]").rstrip(".").lower()
        if not name or len(name) > 253 or any(c in name for c in "/\\@?#%[] \t\r\n") or (
                ":" in name and _literal_address(name) is None):
            raise EgressDenied(f"the {protocol} server address is not a host name or an "
                               "IP address", details=[{"host": host[:100]}])
        if not 0 < port < 65536:
            raise EgressDenied(f"the {protocol} port must be from 1 to 65535",
                               details=[{"port": port}])
        return await self._acheck(f"{protocol}://{name}:{port}", protocol, name, port)

    async def _acheck(self, url: str, scheme: str, host: str, port: int) -> VettedTarget:
        now = time.monotonic()
        known = self._verdicts.get((host, port))
        if known is not None and known[0] > now:
            return VettedTarget(url=url, scheme=scheme, host=host, port=port, address=known[1])
        literal = _literal_address(host)
        addresses = [literal] if literal else await anyio.to_thread.run_sync(_resolve, host, port)
        target = self._vet(url, scheme, host, port, addresses)
        if len(self._verdicts) > 10_000:
            self._verdicts.clear()
        self._verdicts[(host, port)] = (
            float("inf") if literal else now + self._dns_ttl, target.address)
        return target

    def check_browser_url(self, url: str) -> None:
        """Vet a URL handed to a user's browser (a consent link): https, or http only to
        a host ``egress.allow`` names (by name, or as an address in an allowed network).
        Nothing is resolved. Raises ``EgressDenied``."""
        scheme, host, _port = self._split_fully(url)
        if scheme == "https":
            return
        literal = _literal_address(host)
        allowed = (self._explicitly_allowed(ipaddress.ip_address(literal), host) if literal
                   else any(fnmatch.fnmatchcase(host, p) for p in self._hosts))
        if not allowed:
            raise EgressDenied(f"a plain http link to {host!r} is not allowed; use https "
                               "(or allow the host with PORTWAY_EGRESS_ALLOW)",
                               details=[{"url": _shown(url)}])

    def address_allowed(self, address: str, host: str = "") -> bool:
        ip = ipaddress.ip_address(address)
        return not _is_forbidden(ip) or self._explicitly_allowed(ip, host)

    def _split(self, url: str) -> tuple[str, str, int]:
        # The origin (scheme://authority) decides everything checked here; the data plane
        # sends many URLs under few origins, so their checks are remembered.
        found = _ORIGIN.match(url)
        origin = found.group() if found is not None else ""
        known = self._origins.get(origin) if origin else None
        if known is not None:
            return known
        split = self._split_fully(url)
        if origin:
            if len(self._origins) > 10_000:
                self._origins.clear()
            self._origins[origin] = split
        return split

    def _split_fully(self, url: str) -> tuple[str, str, int]:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise EgressDenied("the outbound URL is malformed") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise EgressDenied(
                f"outbound scheme {scheme or '(none)'!r} is not allowed; use http or https",
                details=[{"url": _shown(url)}],
            )
        host = (parts.hostname or "").rstrip(".").lower()
        if not host:
            raise EgressDenied("the outbound URL has no host", details=[{"url": _shown(url)}])
        if parts.username or parts.password:
            raise EgressDenied("credentials in an outbound URL are not allowed")
        return scheme, host, port or (443 if scheme == "https" else 80)

    def _vet(self, url: str, scheme: str, host: str, port: int,
             addresses: list[str]) -> VettedTarget:
        if not addresses:
            raise UpstreamUnreachable(f"the host {host!r} does not resolve (no addresses)",
                                      details=[{"phase": "resolve", "host": host}])
        for address in addresses:
            ip = ipaddress.ip_address(address)
            if _is_forbidden(ip) and not self._explicitly_allowed(ip, host):
                raise EgressDenied(
                    f"outbound calls to {host!r} are not allowed: it resolves to a "
                    f"{_describe(ip)} address; allow it with PORTWAY_EGRESS_ALLOW",
                    details=[{"host": host, "address": str(ip)}],
                )
        return VettedTarget(url=url, scheme=scheme, host=host, port=port, address=addresses[0])

    def _explicitly_allowed(self, ip: IPAddress, host: str) -> bool:
        candidates = [ip]
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            candidates.append(embedded)
        for candidate in candidates:
            if any(candidate in network for network in self._networks
                   if network.version == candidate.version):
                return True
        return any(fnmatch.fnmatchcase(host, pattern) for pattern in self._hosts)


def _literal_address(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


def _resolve(host: str, port: int) -> list[str]:
    literal = _literal_address(host)
    if literal:
        return [literal]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        # Nothing is denied here: the name does not lead anywhere (yet). A 502, as for
        # a host that refuses the connection; the caller may try again later.
        raise UpstreamUnreachable(f"the host {host!r} does not resolve (no DNS answer)",
                                  details=[{"phase": "resolve", "host": host}],
                                  retryable=True) from None
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0]).split("%", 1)[0]
        if address not in seen:
            seen.append(address)
    return seen


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return None


def _is_forbidden(ip: IPAddress) -> bool:
    embedded = _embedded_ipv4(ip)
    if embedded is not None and _is_forbidden(embedded):
        return True
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return True
    return bool(
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
        or ip.is_reserved or ip.is_unspecified or not ip.is_global
    )


def _describe(ip: IPAddress) -> str:
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT:
        return "shared (CGNAT)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_unspecified:
        return "unspecified"
    if isinstance(ip, ipaddress.IPv6Address) and ip in ipaddress.ip_network("fc00::/7"):
        return "unique-local"
    if _embedded_ipv4(ip) is not None:
        return "IPv4-embedding IPv6 form of a non-public"
    return "private or reserved"


def _shown(url: str) -> str:
    # Never echo a query string: it may carry a key.
    return url.split("?", 1)[0][:200]
