"""What policies work on: the outbound request the data plane builds, and its response.

Policies mutate these in place. Header names are kept in lower case (as the data plane
keeps them); query parameters are an ordered list of pairs, since a name may repeat.
``body`` is the parsed JSON value when the body is JSON, raw ``bytes`` otherwise, or None;
body policies act only on JSON.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

__all__ = ["PolicyRequest", "PolicyResponse"]


@dataclass
class PolicyRequest:
    """The outbound request, as policies see and change it.

    Attributes:
        method: Upper-case HTTP method.
        base_url: The connector's base URL (scheme, host, base path); ``dynamichosturl``
            replaces it.
        path: The operation path with its parameters filled in, relative to ``base_url``.
        query: Query parameters as (name, value) pairs.
        headers: Header values by lower-case name.
        body: Parsed JSON, raw bytes, or None.
        operation_id: The operation being called.
        path_parameters: Values of the operation's path parameters by name (for the
            ``{name}`` placeholders of ``routerequesttoendpoint``).
        connection_parameters: The connection's parameter values, secrets included.
        gateway_base_url: This connection's address on the gateway
            (``https://gw/apim/{connector}/{connection}``); ``updatenextlink`` points next
            links there. Empty when unknown.
        memo: Where values computed from ``connection_parameters`` alone are kept, for
            as long as those parameters stay the same (the data plane passes one per
            cached connection); None keeps nothing.
    """

    method: str
    base_url: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    operation_id: str = ""
    path_parameters: dict[str, str] = field(default_factory=dict)
    connection_parameters: Mapping[str, Any] = field(default_factory=dict)
    gateway_base_url: str = ""
    memo: dict[Any, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        """The full upstream URL: base URL, path and query."""
        url = self.base_url.rstrip("/") + "/" + self.path.lstrip("/")
        if self.query:
            url += "?" + urlencode(self.query)
        return url

    def query_value(self, name: str) -> str | None:
        """The first value of query parameter ``name``, or None."""
        for key, value in self.query:
            if key == name:
                return value
        return None


@dataclass
class PolicyResponse:
    """The upstream's response, as response policies see and change it.

    Attributes:
        status: HTTP status code.
        headers: Header values by lower-case name.
        body: Parsed JSON, raw bytes, or None.
    """

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
