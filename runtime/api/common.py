"""What every runtime handler needs: the caller and its role, the runtime of this process,
names, the audit log."""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request

from gateway import BadRequest, Principal, authenticate, request_id_of, require_role
from runtime.host import RuntimeHost, host_of

_NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


async def caller_with(request: Request, needed: str, scope: str, *, action: str
                      ) -> Principal:
    """The request's caller, once it holds ``needed`` (``reader``, ``contributor``) on
    ``scope`` (``workflows/<name>``, ``appsettings``); ``action`` names a denial in the
    audit log.

    Raises:
        Unauthenticated: No valid bearer token.
        Forbidden: The caller's role is lower than ``needed`` there.
    """
    caller = await authenticate(request)
    require_role(caller, needed, scope, action=action)
    return caller


def host_of_request(request: Request) -> RuntimeHost:
    return host_of(request.app.state.services)


def valid_name(name: str, what: str) -> str:
    if not _NAME.fullmatch(name):
        raise BadRequest(f"{name!r} is not a valid {what} name (letters, digits, '.', '_' "
                         "and '-', at most 200)")
    return name


async def audit(request: Request, actor: str, action: str, resource: str,
                details: dict[str, Any] | None = None) -> None:
    services = request.app.state.services
    await services.db.run(lambda: services.audit.record(
        actor=actor, action=action, resource=resource, outcome="ok", details=details,
        request_id=request_id_of(request)))
