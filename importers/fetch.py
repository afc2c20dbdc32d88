"""How importers reach documents outside the one they were given.

``importers`` depends on nothing else of ours, yet every outbound URL must pass the
gateway's egress guard. So importers never open a socket: whoever calls them passes a
``Fetcher`` (the gateway passes one built on its egress guard), and without one any
remote reference is refused.
"""

from __future__ import annotations

from typing import Protocol

from importers.errors import UnsafeSpecError


class Fetcher(Protocol):
    """Returns the bytes at ``url`` or raises a ``PortwayError`` saying why not."""

    def __call__(self, url: str) -> bytes: ...


def refuse_fetch(url: str) -> bytes:
    """The default fetcher: no network at all."""
    raise UnsafeSpecError(
        f"the document refers to {url!r}, and fetching remote documents is not allowed here",
        details=[{"url": url}],
    )
