"""The portal: Portway in a browser, at ``/portal`` (``/`` redirects there).

Server-rendered pages, no scripts. Each page family is one module — ``session``
(sign-in, sign-out, CSRF), ``catalogue`` (search, a connector, upload), ``connections``
(list, create, a connection's page), ``try_operation``, ``workflows`` (workflows and
runs, served by the runtime's API when it is installed) and ``audit``. Pages call the
HTTP API's own handlers in process (``inprocess``), so the portal has no rule of its own.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from gateway.portal import audit, catalogue, connections, session, try_operation, workflows
from gateway.portal.rendering import STATIC, redirect, secure
from gateway.portal.session import Session, page


async def _root(request: Request) -> Response:
    return redirect("/portal/")


async def _home(request: Request, current: Session) -> Response:
    # A principal with a role on single resources only cannot read the catalogue.
    return redirect("/portal/catalogue" if current.may("reader") else "/portal/connections")


class _Static(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        return secure(await super().get_response(path, scope))


def _get(url: str, handler: session.Handler, *, signed_in: bool = True) -> Route:
    return Route(url, page(handler, signed_in=signed_in), methods=["GET"])


def _post(url: str, handler: session.Handler, *, signed_in: bool = True) -> Route:
    return Route(url, page(handler, signed_in=signed_in), methods=["POST"])


routes: list[BaseRoute] = [
    Route("/", _root, methods=["GET"]),
    Route("/portal", _root, methods=["GET"]),
    _get("/portal/", _home),
    Mount("/portal/static", app=_Static(directory=STATIC), name="portal-static"),
    _get("/portal/sign-in", session.sign_in_page, signed_in=False),
    _post("/portal/sign-in", session.sign_in, signed_in=False),
    _post("/portal/sign-out", session.sign_out),
    _get("/portal/catalogue", catalogue.catalogue),
    _get("/portal/connectors/{id}", catalogue.connector_page),
    _get("/portal/upload", catalogue.upload_page),
    _post("/portal/upload", catalogue.upload),
    _get("/portal/connections", connections.list_page),
    _get("/portal/connections/new", connections.new_page),
    _post("/portal/connections/new", connections.create),
    _get("/portal/connections/{name}", connections.detail_page),
    _post("/portal/connections/{name}/edit", connections.edit),
    _post("/portal/connections/{name}/test", connections.test),
    _post("/portal/connections/{name}/consent", connections.consent),
    _post("/portal/connections/{name}/access", connections.grant),
    _post("/portal/connections/{name}/delete", connections.delete),
    _get("/portal/connections/{name}/try/{operation}", try_operation.try_page),
    _post("/portal/connections/{name}/try/{operation}", try_operation.try_call),
    *workflows.routes(_get, _post),
    _get("/portal/audit", audit.audit_page),
]
