"""Matching a request's method and path to a connector operation, and filling an
operation's path template.

Path templates are compiled once per connector version into one regular expression each.
A path parameter fills exactly one segment of its template and nothing else
(``expand_path``): its value is percent-encoded as RFC 6570 simple expansion does (only
unreserved characters stay as they are, so ``/``, ``\\``, ``?`` and ``%`` cannot shape
the upstream path), and a value that is or holds a dot-segment (``.``, ``..``, however
encoded) is refused, so a call reaches only the paths its connector declares.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote

from gateway.errors import MethodNotAllowed, NotFound, ValidationFailed
from gateway.proxy.schemas import json_pointer
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


def expand_path(template: str, values: Mapping[str, str], *, trailing_slash: bool = False
                ) -> str:
    """``template`` with each ``{name}`` in ``values`` replaced by its encoded value.

    Raises:
        ValidationFailed: A value is a dot-segment or holds one (split at ``/`` or ``\\``).
    """
    for name, value in values.items():
        check_segment(name, value)

    def fill(found: re.Match[str]) -> str:
        value = values.get(found.group(1))
        return found.group(0) if value is None else quote(value, safe="")

    path = "/" + _PARAM.sub(fill, template).lstrip("/")
    if trailing_slash and not path.endswith("/"):
        path += "/"
    return path


def check_segment(name: str, value: str) -> None:
    """Refuse a path parameter that would step out of its segment once decoded."""
    if any(part in (".", "..") for part in _SEPARATORS.split(value)):
        raise ValidationFailed(
            f"path parameter {name!r} may not be or hold a dot-segment ('.' or '..')",
            details=[{"in": "path", "name": name, "pointer": json_pointer([name]),
                      "message": "a dot-segment would leave the operation's path"}])


_SEPARATORS = re.compile(r"[/\\]")


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
