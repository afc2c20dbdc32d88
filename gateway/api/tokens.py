"""POST /v1/tokens: an owner creates a principal's token, shown once."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.bodies import read_json_object, string_field
from gateway.api.errors import request_id_of
from gateway.security.access import require_role


async def create_token(request: Request) -> Response:
    caller = await authenticate(request)
    require_role(caller, "owner")
    body = await read_json_object(request)
    name = string_field(body, "principal", required=True)
    role = string_field(body, "role") or None
    kind = string_field(body, "kind", default="user")
    scope = string_field(body, "scope", default="*")
    services = services_of(request)
    token = await services.db.run(
        lambda: services.principals.create_token(name, role, kind=kind, scope=scope))
    await services.db.run(lambda: services.audit.record(
        actor=caller.name, action="token.create", resource=f"principals/{name}",
        outcome="ok", details={"role": role, "scope": scope}, request_id=request_id_of(request)))
    return JSONResponse({"principal": name, "role": role, "scope": scope, "token": token},
                        status_code=201)


routes = [Route("/v1/tokens", create_token, methods=["POST"])]
