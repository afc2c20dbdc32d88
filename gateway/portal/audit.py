"""The audit log page, for owners: ``GET /v1/audit`` in process, filtered and shown."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gateway.portal.inprocess import get_json
from gateway.portal.rendering import render
from gateway.portal.session import Session

FILTERS = ("actor", "action", "resource", "outcome")


async def audit_page(request: Request, session: Session) -> Response:
    assert session.principal is not None
    filters = {name: request.query_params.get(name, "") for name in FILTERS}
    answer = await get_json(request, session.principal, "/v1/audit",
                            query={**filters, "limit": "200"})
    return render(request, "audit.html", {"session": session, "filters": filters,
                                          "entries": answer["value"]})
