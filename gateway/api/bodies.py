"""Reading request bodies with a size cap, and JSON objects within bounds, with a clear
error."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from gateway import boundedjson
from gateway.api.auth import services_of
from gateway.errors import BadRequest, PayloadTooLarge


async def read_body(request: Request, limit: int | None = None) -> bytes:
    limit = limit or services_of(request).settings.limits.max_request_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"the request body is over {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the request body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object, parsed within ``boundedjson``'s bounds (400 otherwise)."""
    raw = await read_body(request)
    if not raw.strip():
        return {}
    value = await boundedjson.aloads(raw)
    if not isinstance(value, dict):
        raise BadRequest("the body must be a JSON object")
    return value


def string_field(body: dict[str, Any], name: str, *, required: bool = False,
                 default: str = "") -> str:
    value = body.get(name)
    if value is None:
        if required:
            raise BadRequest(f"{name!r} is required", details=[{"pointer": f"/{name}"}])
        return default
    if not isinstance(value, str):
        raise BadRequest(f"{name!r} must be a string", details=[{"pointer": f"/{name}"}])
    return value


def string_map(body: dict[str, Any], name: str) -> dict[str, str] | None:
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise BadRequest(f"{name!r} must be an object of strings",
                         details=[{"pointer": f"/{name}"}])
    return value
