"""Typos are errors: a query parameter or a body field an endpoint does not take is a 400
that names it (and the nearest name it does take), before anything is changed.

Every control-plane handler states what it takes::

    check_query(request, "allowBreaking", "dryRun")
    check_fields(body, "connector", "parameters", "tags", "displayName")

``api-version`` is taken everywhere: Azure's clients send it with every call.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.requests import Request

from gateway.errors import BadRequest

#: Query parameters every endpoint takes.
ALWAYS = frozenset({"api-version"})
_SHOWN = 20


def check_query(request: Request, *allowed: str) -> None:
    """Refuse query parameters other than ``allowed`` (and ``ALWAYS``).

    Raises:
        BadRequest: Naming each unknown parameter (``details``: ``{"parameter": name}``).
    """
    unknown = sorted(set(request.query_params.keys()) - set(allowed) - ALWAYS)
    if unknown:
        raise BadRequest(
            _message("query parameter", unknown, allowed),
            details=[{"parameter": name[:100]} for name in unknown[:_SHOWN]])


def check_fields(body: Mapping[str, Any], *allowed: str, pointer: str = "") -> None:
    """Refuse fields of a JSON object other than ``allowed``.

    Args:
        pointer: The JSON pointer of the object within the body ("" for the body).

    Raises:
        BadRequest: Naming each unknown field (``details``: ``{"pointer": "/name"}``).
    """
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise BadRequest(
            _message("field", [f"{pointer}/{name}" for name in unknown],
                     [f"{pointer}/{name}" for name in allowed]),
            details=[{"pointer": f"{pointer}/{name[:100]}"} for name in unknown[:_SHOWN]])


def _message(what: str, unknown: list[str], allowed: Iterable[str]) -> str:
    taken = sorted(allowed)
    first = unknown[0][:100]
    more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
    near = difflib.get_close_matches(first, taken, n=1, cutoff=0.6) or [
        name for name in taken if name.lower() == first.lower()]
    hint = f"; did you mean {near[0]!r}?" if near else ""
    takes = f"it takes {', '.join(repr(t) for t in taken)}" if taken else "it takes none"
    return f"unknown {what} {first!r}{more}{hint} ({takes})"
