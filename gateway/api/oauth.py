"""GET /v1/oauth/callback: where an identity provider sends the user after consent.

Public (the browser arriving here has no bearer token): the ``state`` alone says which
connection and which principal asked, and it is checked against both. A browser (one
that asks for HTML) gets a page that moves on to the connection's page in the portal,
showing it ``Connected``; any other client gets JSON. (A page, not a redirect: the
portal's ``SameSite=Strict`` cookie is not sent on a redirect chain that began at the
identity provider's site, but is on the page's own navigation.)
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import services_of
from gateway.api.errors import request_id_of
from gateway.errors import PortwayError
from gateway.oauth import finish_consent
from gateway.oauth.consent import CONNECTED
from gateway.portal.rendering import render


async def oauth_callback(request: Request) -> Response:
    services = services_of(request)
    query = request.query_params
    state = query.get("state", "")
    try:
        name, principal = await services.db.run(
            finish_consent, services, state, query.get("code", ""),
            query.get("error", ""))
    except PortwayError as exc:
        reason = exc.message
        await services.db.run(lambda: services.audit.record(
            actor="anonymous", action="connection.consent", resource="oauth/callback",
            outcome="failed", details={"reason": reason}, request_id=request_id_of(request)))
        raise
    if services.proxy is not None:
        services.proxy.forget(name)
    await services.db.run(lambda: services.audit.record(
        actor=principal, action="connection.consent", resource=f"connections/{name}",
        outcome="ok", details={"step": "completed"}, request_id=request_id_of(request)))
    if "text/html" in request.headers.get("accept", ""):
        return render(request, "consented.html", {
            "name": name, "next": f"/portal/connections/{quote(name, safe='')}?consent=ok"})
    return JSONResponse({"connection": name, "status": CONNECTED,
                         "message": f"connection {name!r} is connected; you may close this "
                                    "window"})


routes = [Route("/v1/oauth/callback", oauth_callback, methods=["GET"])]
