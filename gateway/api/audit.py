"""The audit log over HTTP (GET /v1/audit, owners only)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.strict import check_query
from gateway.errors import BadRequest
from gateway.security.access import require_role

_FILTERS = ("actor", "action", "resource", "outcome")


async def list_audit(request: Request) -> Response:
    """The newest audit entries first, filtered by actor, action, resource or outcome."""
    caller = await authenticate(request)
    require_role(caller, "owner", "*", action="audit.read")
    check_query(request, *_FILTERS, "limit")
    query = request.query_params
    limit_text = query.get("limit", "100")
    if not limit_text.isdigit() or not 1 <= int(limit_text) <= 1000:
        raise BadRequest("limit must be a whole number from 1 to 1000",
                         details=[{"parameter": "limit"}])
    services = services_of(request)
    filters = {name: query.get(name) for name in _FILTERS}
    entries = await services.db.run(lambda: services.audit.query(
        limit=int(limit_text), **filters))
    return JSONResponse({"value": entries})


routes = [Route("/v1/audit", list_audit, methods=["GET"])]
