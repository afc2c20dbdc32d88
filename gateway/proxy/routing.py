"""Matching a request's method and path to a connector operation.

Path templates are compiled once per connector version into one regular expression each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from gateway.errors import MethodNotAllowed, NotFound
from importers import Connector, Operation

_PARAM = re.compile(r"\{([^{}/]+)\}")


@dataclass(frozen=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]
    literal_length: int  # more literal characters = more specific


@dataclass(frozen=True)
class Match:
    operation: Operation
    path_params: dict[str, str]


class Router:
    """The routes of one connector version."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        routes = []
        for operation in connector.operations:
            routes.append(Route(operation, _compile(operation.path),
                                len(_PARAM.sub("", operation.path))))
        # Prefer literal segments over parameters: /items/latest before /items/{id}.
        self._routes = sorted(routes, key=lambda r: -r.literal_length)

    def match(self, method: str, path: str) -> Match:
        """The operation for ``method`` and ``path`` (relative to the connector's base)."""
        path = "/" + path.lstrip("/")
        allowed: list[str] = []
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.operation.method != method.upper():
                allowed.append(route.operation.method)
                continue
            params = {_group_name(k): unquote(v) for k, v in found.groupdict().items()}
            return Match(route.operation, params)
        if allowed:
            raise MethodNotAllowed(
                f"{method.upper()} is not allowed on this path of connector "
                f"{self.connector.id!r}; allowed: {', '.join(sorted(set(allowed)))}",
                details=[{"allowed": sorted(set(allowed))}])
        names = [op.operation_id for op in self.connector.operations]
        raise NotFound(
            f"connector {self.connector.id!r} has no operation at {method.upper()} {path}",
            details=[{"operations": names[:200]}])

    def by_id(self, operation_id: str) -> Operation:
        operation = self.connector.operation(operation_id)
        if operation is None:
            names = [op.operation_id for op in self.connector.operations]
            raise NotFound(f"connector {self.connector.id!r} has no operation "
                           f"{operation_id!r}", details=[{"operations": names[:200]}])
        return operation


def _compile(template: str) -> re.Pattern[str]:
    template = "/" + template.lstrip("/")
    parts = []
    position = 0
    for index, found in enumerate(_PARAM.finditer(template)):
        parts.append(re.escape(template[position:found.start()]))
        parts.append(f"(?P<p{index}_{_safe(found.group(1))}>[^/]+)")
        position = found.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts).rstrip("/") + "/?")


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name) + "_" + name.encode().hex()


def _group_name(group: str) -> str:
    # p<index>_<safe>_<hex of the real name>
    return bytes.fromhex(group.rsplit("_", 1)[1]).decode()
