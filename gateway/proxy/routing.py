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
#: What ``quote(value, safe="")`` leaves as it is: a value of only these needs no quoting.
UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")


class PathTemplate:
    """An operation's path template, split once into its literal text and parameters."""

    __slots__ = ("_parts", "text")

    def __init__(self, template: str) -> None:
        self.text = template
        #: Literal text and parameter names alternately, starting and ending with text.
        self._parts: list[str] = _PARAM.split("/" + template.lstrip("/"))

    def fill(self, values: Mapping[str, str], trailing_slash: bool = False) -> str:
        """The template with each ``{name}`` in ``values`` replaced by its encoded value.

        Raises:
            ValidationFailed: A value is a dot-segment or holds one.
        """
        for name, value in values.items():
            check_segment(name, value)
        parts = self._parts
        pieces = [parts[0]]
        for index in range(1, len(parts), 2):
            name = parts[index]
            given = values.get(name)
            if given is None:
                pieces.append("{" + name + "}")
            else:
                pieces.append(given if UNRESERVED.fullmatch(given) else quote(given, safe=""))
            pieces.append(parts[index + 1])
        path = "".join(pieces)
        if trailing_slash and not path.endswith("/"):
            path += "/"
        return path


@dataclass(frozen=True)
class Route:
    operation: Operation
    pattern: re.Pattern[str]
    literal_length: int  # more literal characters = more specific
    #: The path parameters' names, in the order of the pattern's groups.
    names: tuple[str, ...]
    template: PathTemplate


@dataclass(slots=True)
class Match:
    operation: Operation
    path_params: dict[str, str]
    #: The upstream path: the template filled in, never the caller's own spelling.
    path: str


class Router:
    """The routes of one connector version."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        routes = []
        for operation in connector.operations:
            routes.append(Route(operation, _compile(operation.path),
                                len(_PARAM.sub("", operation.path)),
                                tuple(_PARAM.findall(operation.path)),
                                PathTemplate(operation.path)))
        # Prefer literal segments over parameters: /items/latest before /items/{id}.
        self._routes = sorted(routes, key=lambda r: -r.literal_length)

    def match(self, method: str, path: str) -> Match:
        """The operation for ``method`` and ``path`` (relative to the connector's base),
        with its path parameters (decoded) and the upstream path they fill in.

        Raises:
            NotFound, MethodNotAllowed: No operation has this path (and method).
            ValidationFailed: A path parameter is or holds a dot-segment.
        """
        trailing_slash = path.endswith("/")
        path = "/" + path.lstrip("/")
        method = method.upper()
        allowed: list[str] = []
        for route in self._routes:
            found = route.pattern.fullmatch(path)
            if found is None:
                continue
            if route.operation.method != method:
                allowed.append(route.operation.method)
                continue
            params = dict(zip(route.names, found.groups(), strict=True))
            if "%" in path:
                params = {name: unquote(value) for name, value in params.items()}
            return Match(route.operation, params, route.template.fill(params, trailing_slash))
        if allowed:
            raise MethodNotAllowed(
                f"{method} is not allowed on this path of connector "
                f"{self.connector.id!r}; allowed: {', '.join(sorted(set(allowed)))}",
                details=[{"allowed": sorted(set(allowed))}])
        names = [op.operation_id for op in self.connector.operations]
        raise NotFound(
            f"connector {self.connector.id!r} has no operation at {method} {path}",
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
    return PathTemplate(template).fill(values, trailing_slash)


def check_segment(name: str, value: str) -> None:
    """Refuse a path parameter that would step out of its segment once decoded."""
    if "." in value and any(part in (".", "..") for part in _SEPARATORS.split(value)):
        raise ValidationFailed(
            f"path parameter {name!r} may not be or hold a dot-segment ('.' or '..')",
            details=[{"in": "path", "name": name, "pointer": json_pointer([name]),
                      "message": "a dot-segment would leave the operation's path"}])


_SEPARATORS = re.compile(r"[/\\]")


def _compile(template: str) -> re.Pattern[str]:
    template = "/" + template.lstrip("/")
    parts = []
    position = 0
    for found in _PARAM.finditer(template):
        parts.append(re.escape(template[position:found.start()]))
        parts.append("([^/]+)")
        position = found.end()
    parts.append(re.escape(template[position:]))
    return re.compile("".join(parts).rstrip("/") + "/?")
