"""POST /v1/tokens: an owner creates a principal's token, shown once.

``role`` is required for a new principal (``"role": null`` on purpose: a principal that
only connections' access policies name); without it the token is one more for a
principal that exists already.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.bodies import read_json_object, string_field
from gateway.api.errors import request_id_of
from gateway.api.strict import check_fields, check_query
from gateway.errors import BadRequest
from gateway.security.access import require_role


async def create_token(request: Request) -> Response:
    caller = await authenticate(request)
    require_role(caller, "owner")
    check_query(request)
    body = await read_json_object(request)
    check_fields(body, "principal", "role", "kind", "scope")
    name = string_field(body, "principal", required=True)
    role = string_field(body, "role") or None
    kind = string_field(body, "kind", default="user")
    scope = string_field(body, "scope", default="*")
    services = services_of(request)
    if "role" not in body and await services.db.run(services.principals.get, name) is None:
        # Most likely a forgotten role: the new principal could do nothing at all.
        raise BadRequest(f"{name!r} is not a principal yet: give it a role (owner, "
                         "contributor or reader), or \"role\": null for one that only "
                         "access policies name", details=[{"pointer": "/role"}])
    token = await services.db.run(
        lambda: services.principals.create_token(name, role, kind=kind, scope=scope))
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="token.create", resource=f"principals/{name}",
        outcome="ok", details={"role": role, "scope": scope}, request_id=request_id_of(request)))
    return JSONResponse({"principal": name, "role": role, "scope": scope, "token": token},
                        status_code=201)


routes = [Route("/v1/tokens", create_token, methods=["POST"])]
