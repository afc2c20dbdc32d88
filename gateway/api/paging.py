"""Paging of list endpoints, as Azure's list APIs page: ``top`` and ``$skiptoken`` in,
``nextLink`` out.

A list answer is ``{"value": [...], "nextLink": "<absolute URL>"}``; ``nextLink`` is there
only when more items follow, and leads to the next page with every other query parameter
kept. ``top`` (or ``$top``) asks for at most that many items (1 to ``MAX_TOP``, default
``DEFAULT_TOP``); ``$skiptoken`` is opaque: take it from a ``nextLink``, do not build it.

A handler sorts its items by a unique key and hands them over::

    check_query(request, "kind", *PAGING)
    return JSONResponse(page(request, items, key="id"))
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request

from gateway.errors import BadRequest

DEFAULT_TOP = 100
MAX_TOP = 1000
#: The query parameters ``page`` reads, for ``check_query``.
PAGING = ("top", "$top", "$skiptoken")


def page(request: Request, items: Sequence[dict[str, Any]], *, key: str) -> dict[str, Any]:
    """One page of ``items`` (sorted by the unique ``key``) and the link to the next.

    Raises:
        BadRequest: A ``top`` that is not a whole number from 1 to ``MAX_TOP``, or a
            ``$skiptoken`` that is not one this endpoint handed out.
    """
    top = _top(request)
    after = _after(request)
    start = 0
    if after is not None:
        start = next((i for i, item in enumerate(items) if str(item[key]) > after),
                     len(items))
    chosen = list(items[start:start + top])
    body: dict[str, Any] = {"value": chosen}
    if start + top < len(items) and chosen:
        token = base64.urlsafe_b64encode(str(chosen[-1][key]).encode()).decode().rstrip("=")
        body["nextLink"] = str(request.url.include_query_params(**{"$skiptoken": token}))
    return body


def _top(request: Request) -> int:
    text = request.query_params.get("top") or request.query_params.get("$top")
    if text is None:
        return DEFAULT_TOP
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and
            1 <= int(text) <= MAX_TOP):
        raise BadRequest(f"top must be a whole number from 1 to {MAX_TOP}",
                         details=[{"parameter": "top", "value": text[:20]}])
    return int(text)


def _after(request: Request) -> str | None:
    token = request.query_params.get("$skiptoken")
    if token is None:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("$skiptoken is not one this list handed out; follow nextLink",
                         details=[{"parameter": "$skiptoken"}]) from None
