"""Parsing JSON a caller sent, within bounds: depth, number length, and time.

The standard parser turns a 5,000-digit integer into a ``ValueError`` deep in the
interpreter, nesting 100,000 deep into a ``RecursionError``, and both take the event
loop with them while they run. ``loads`` bounds both and answers ``BadRequest`` (400),
naming the bound; ``aloads`` does the same work in a worker thread when the text is long,
so one large body never stalls the other calls of the process. The size itself is bounded
where the body is read (``limits.max_request_bytes``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import anyio.to_thread

from gateway.errors import BadRequest


@dataclass(frozen=True)
class JsonLimits:
    """Bounds on a JSON document from a caller (``limits.*`` in the settings)."""

    #: How deep arrays and objects may nest (a top-level object is depth 1).
    max_depth: int = 128
    #: The longest number literal accepted, in characters.
    max_number_length: int = 100


#: Bodies at least this long are parsed off the event loop.
THREAD_THRESHOLD = 64 * 1024

_limits = JsonLimits()
_INFINITY = float("inf")


def configure(limits: JsonLimits) -> None:
    """Set the process's bounds (the app does, from its settings, when it is built)."""
    global _limits
    _limits = limits


def current() -> JsonLimits:
    return _limits


def loads(raw: bytes | str, what: str = "the body", limits: JsonLimits | None = None) -> Any:
    """Parse ``raw`` as JSON within the bounds.

    Raises:
        BadRequest: Not JSON, a number too long, NaN or Infinity, or nesting too deep;
            the message names which, and says where for a syntax error.
    """
    bounds = limits or _limits

    def number(text: str) -> Any:
        if len(text) > bounds.max_number_length:
            raise _TooLong(text)
        if text.lstrip("-").isdigit():
            return int(text)
        parsed = float(text)
        if parsed in (_INFINITY, -_INFINITY):
            raise BadRequest(f"{what} holds a number too large for a double: {text}")
        return parsed

    def constant(text: str) -> Any:
        raise BadRequest(f"{what} holds {text}, which is not JSON")

    try:
        value = json.loads(raw, parse_int=number, parse_float=number,
                           parse_constant=constant)
    except _TooLong as long:
        raise BadRequest(f"{what} holds a number of {len(long.text)} characters; at most "
                         f"{bounds.max_number_length} are accepted") from None
    except RecursionError:
        raise _too_deep(what, bounds) from None
    except json.JSONDecodeError as exc:
        raise BadRequest(f"{what} is not JSON: a syntax error at line {exc.lineno}, column "
                         f"{exc.colno}") from None
    except UnicodeDecodeError:
        raise BadRequest(f"{what} is not JSON: it is not UTF-8 text") from None
    except ValueError:
        raise BadRequest(f"{what} is not JSON") from None
    if _deeper_than(value, bounds.max_depth):
        raise _too_deep(what, bounds)
    return value


async def aloads(raw: bytes | str, what: str = "the body",
                 limits: JsonLimits | None = None) -> Any:
    """``loads``, in a worker thread when ``raw`` is long."""
    if len(raw) < THREAD_THRESHOLD:
        return loads(raw, what, limits)
    return await anyio.to_thread.run_sync(loads, raw, what, limits)


class _TooLong(Exception):
    def __init__(self, text: str) -> None:
        super().__init__("number too long")
        self.text = text


def _too_deep(what: str, bounds: JsonLimits) -> BadRequest:
    return BadRequest(f"{what} nests arrays and objects deeper than {bounds.max_depth} "
                      "levels")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether arrays and objects nest deeper than ``limit`` (without recursion)."""
    if not isinstance(value, dict | list):
        return False
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node
        stack.extend((child, depth + 1) for child in children
                     if isinstance(child, dict | list))
    return False
