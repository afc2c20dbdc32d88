"""Connections: create or replace (PUT), read, list, patch, delete, access policies,
test, and the OAuth consent link."""

from __future__ import annotations

import fnmatch
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from gateway.api.auth import authenticate, services_of
from gateway.api.bodies import read_json_object, string_field, string_map
from gateway.api.connection_checks import run_test
from gateway.api.connectors import builtins_of
from gateway.api.errors import request_id_of
from gateway.api.paging import PAGING, page
from gateway.api.strict import check_fields, check_query
from gateway.catalogue import check_not_builtin
from gateway.connections import initial_status, split_parameters
from gateway.errors import BadRequest, Forbidden, NotFound
from gateway.oauth import TOKENS_SECRET, auth_mode, start_consent, token_keeper
from gateway.origins import bound_origins
from gateway.security.access import require_role
from gateway.services import Services
from gateway.store.connections import ConnectionRecord
from gateway.store.principals import Principal, validate_name
from importers import Connector

#: Public parameters that decide how a connection signs in: while they and the connector
#: stay the same, a replacement keeps the connection's OAuth tokens.
_SIGN_IN = ("authType", "client_id", "scopes", "parameterSet")


def _parameters(body: dict[str, Any]) -> dict[str, Any]:
    value = body.get("parameters", {})
    if not isinstance(value, dict):
        raise BadRequest("'parameters' must be an object", details=[{"pointer": "/parameters"}])
    return value


def forget_cached(services: Services, name: str) -> None:
    """Drop this process's cached state of a connection (proxy and tokens)."""
    if services.proxy is not None:
        services.proxy.forget(name)
    token_keeper(services).forget(name)


async def _entry(request: Request, role: str, action: str, name: str | None = None
                 ) -> tuple[Principal, str, Services]:
    """What every handler of one connection starts with: the caller, authenticated and
    holding ``role`` on the connection (``name``, else the path's); no unknown query
    parameter; the services."""
    caller = await authenticate(request)
    name = name or request.path_params["name"]
    require_role(caller, role, f"connections/{name}", action=action)
    check_query(request)
    return caller, name, services_of(request)


async def _connector_of(services: Services, record: ConnectionRecord) -> Connector:
    """The current version of the connector a connection uses."""
    return (await services.db.run(services.connectors.get, record.connector_id)).connector


async def _audit(request: Request, actor: str, action: str, name: str,
                 details: dict[str, Any] | None = None) -> None:
    services = services_of(request)
    await services.db.run(lambda: services.audit.record(
        actor=actor, action=action, resource=f"connections/{name}", outcome="ok",
        details=details, request_id=request_id_of(request)))


async def list_connections(request: Request) -> Response:
    """``GET /v1/connections``: those the caller may see, a page at a time."""
    caller = await authenticate(request)
    check_query(request, *PAGING)
    services = services_of(request)
    records = await services.db.run(services.connections.all)
    visible = [r.public() for r in records if caller.role_on(f"connections/{r.name}")]
    return JSONResponse(page(request, visible, key="name"))


async def get_connection(request: Request) -> Response:
    _, name, services = await _entry(request, "reader", "connection.read")
    record = await services.db.run(services.connections.get, name)
    return JSONResponse(record.public())


async def put_connection(request: Request) -> Response:
    caller, name, services = await _entry(
        request, "contributor", "connection.put",
        validate_name(request.path_params["name"], "connection"))
    body = await read_json_object(request)
    check_fields(body, "connector", "parameters", "tags", "displayName")
    connector_id = string_field(body, "connector", required=True)
    _check_connector_policy(request, name, connector_id)
    check_not_builtin(connector_id, builtins_of(request))
    connector = (await services.db.run(services.connectors.get, connector_id)).connector
    public, secret = split_parameters(connector, _parameters(body))
    _check_gateway_identity(services, connector, public, secret)
    existing = await _existing(services, name)
    keep: tuple[str, ...] = ()
    status, reason = initial_status(connector, public, secret, name)
    origins = bound_origins(connector, {**public, **secret})
    if existing is not None and existing.connector_id == connector_id and all(
            existing.parameters.get(k) == public.get(k) for k in _SIGN_IN) \
            and TOKENS_SECRET in existing.secret_names \
            and existing.secrets_origins in (None, origins):
        # Same connector, same way of signing in, same upstream: the consent still holds.
        keep = (TOKENS_SECRET,)
        status, reason = existing.status, existing.status_reason
    record, created = await services.db.run(lambda: services.connections.put(
        name=name, connector_id=connector_id,
        display_name=string_field(body, "displayName", default=name),
        tags=string_map(body, "tags") or {}, parameters=public, secrets=secret,
        status=status, status_reason=reason, created_by=caller.name, keep_secrets=keep,
        secrets_origins=origins))
    forget_cached(services, name)
    await _audit(request, caller.name, "connection.create" if created else "connection.update",
                 name, {"connector": connector_id, "sealedParameters": sorted(secret)})
    return JSONResponse(record.public(), status_code=201 if created else 200)


async def patch_connection(request: Request) -> Response:
    caller, name, services = await _entry(request, "contributor", "connection.patch")
    body = await read_json_object(request)
    check_fields(body, "tags", "displayName", "parameters")
    record = await services.db.run(services.connections.get, name)
    fields: dict[str, Any] = {}
    if "tags" in body:
        fields["tags"] = string_map(body, "tags") or {}
    if "displayName" in body:
        fields["display_name"] = string_field(body, "displayName")
    secret: dict[str, str] = {}
    if "parameters" in body:
        connector = await _connector_of(services, record)
        merged = {**record.parameters, **_parameters(body)}
        public, secret = split_parameters(connector, merged, present=record.secret_names)
        _check_gateway_identity(services, connector, public,
                                {**dict.fromkeys(record.secret_names, ""), **secret})
        fields["parameters"] = public
        fields["secrets_origins"] = _patched_origins(connector, record, public, secret)
    if fields:
        record = await services.db.run(lambda: services.connections.update_fields(name, **fields))
    if secret:
        await services.db.run(services.connections.update_secrets, name, secret)
        record = await services.db.run(services.connections.get, name)
    forget_cached(services, name)
    await _audit(request, caller.name, "connection.update", name,
                 {"fields": sorted(body), "sealedParameters": sorted(secret)})
    return JSONResponse(record.public())


def _patched_origins(connector: Any, record: ConnectionRecord, public: dict[str, Any],
                     secret: dict[str, str]) -> list[str] | None:
    """Where a patched connection's secrets are bound: to where the patch leads only when
    it re-entered every secret the connection holds (a consent's tokens cannot be); else
    they stay where they were entered, and calls elsewhere get 409 until they are."""
    if set(record.secret_names) <= set(secret):
        return bound_origins(connector, {**public, **secret})
    if record.secrets_origins is not None:
        return record.secrets_origins
    return bound_origins(connector, record.parameters)  # stored before bindings existed


async def rebind_connection(request: Request) -> Response:
    """An owner binds the connection's secrets to where its calls go now."""
    caller, name, services = await _entry(request, "owner", "connection.rebind")
    record = await services.db.run(services.connections.get, name)
    connector = await _connector_of(services, record)
    origins = bound_origins(connector, record.parameters)
    before = record.secrets_origins
    record = await services.db.run(lambda: services.connections.update_fields(
        name, secrets_origins=origins))
    forget_cached(services, name)
    await _audit(request, caller.name, "connection.rebind", name,
                 {"from": before, "to": origins})
    return JSONResponse(record.public())


async def delete_connection(request: Request) -> Response:
    caller, name, services = await _entry(request, "contributor", "connection.delete")
    await services.db.run(services.connections.delete, name)
    forget_cached(services, name)
    await _audit(request, caller.name, "connection.delete", name)
    return Response(status_code=204)


async def put_access_policy(request: Request) -> Response:
    principal = validate_name(request.path_params["principal"])
    caller, name, services = await _entry(request, "owner", "access-policy.put")
    await services.db.run(services.connections.grant_access, name, principal)
    forget_cached(services, name)
    await _audit(request, caller.name, "access-policy.put", name, {"principal": principal})
    return JSONResponse({"connection": name, "principal": principal}, status_code=200)


async def delete_access_policy(request: Request) -> Response:
    principal = request.path_params["principal"]
    caller, name, services = await _entry(request, "owner", "access-policy.delete")
    await services.db.run(services.connections.revoke_access, name, principal)
    forget_cached(services, name)
    await _audit(request, caller.name, "access-policy.delete", name, {"principal": principal})
    return Response(status_code=204)


async def consent(request: Request) -> Response:
    """The OAuth authorize URL for this connection, bound to the caller."""
    caller, name, services = await _entry(request, "contributor", "connection.consent")
    record = await services.db.run(services.connections.get, name)
    connector = await _connector_of(services, record)
    link = await services.db.run(start_consent, services, name, connector, caller.name)
    await _audit(request, caller.name, "connection.consent", name, {"step": "started"})
    return JSONResponse({"connection": name, "authorizeUrl": link.url,
                         "expiresAt": link.expires_at})


async def test_connection(request: Request) -> Response:
    """Run the connector's test operation, or the credential check, and set the status."""
    caller, name, services = await _entry(request, "contributor", "connection.test")
    forget_cached(services, name)
    outcome = await run_test(request, caller, name)
    await services.db.run(services.connections.set_status, name, outcome.status,
                          outcome.reason)
    forget_cached(services, name)
    await _audit(request, caller.name, "connection.test", name,
                 {"status": outcome.status, "checkedWith": outcome.checked_with})
    return JSONResponse({"connection": name, "status": outcome.status,
                         "statusReason": outcome.reason, "checkedWith": outcome.checked_with})


async def _existing(services: Services, name: str) -> ConnectionRecord | None:
    try:
        return await services.db.run(services.connections.get, name)
    except NotFound:
        return None


def _check_gateway_identity(services: Services, connector: Any, public: dict[str, Any],
                            secret: dict[str, str]) -> None:
    if auth_mode(connector, public, secret) != "gatewayIdentity":
        return
    oauth = services.settings.oauth
    if not (oauth.gateway_client_id and oauth.gateway_client_secret and oauth.gateway_token_url):
        raise BadRequest(
            "the gateway identity is not configured: set oauth.gateway_client_id, "
            "oauth.gateway_client_secret and oauth.gateway_token_url",
            details=[{"pointer": "/parameters/authType"}])


def _check_connector_policy(request: Request, name: str, connector_id: str) -> None:
    for pattern in services_of(request).settings.policy.forbidden_connectors:
        if fnmatch.fnmatchcase(connector_id, pattern):
            denial = Forbidden(
                f"policy forbids connections to connector {connector_id!r} "
                f"(rule {pattern!r})", details=[{"check": "policy", "rule": pattern}])
            denial.audit_action = "connection.put"
            denial.audit_resource = f"connections/{name}"
            raise denial


routes = [
    Route("/v1/connections", list_connections, methods=["GET"]),
    Route("/v1/connections/{name}", get_connection, methods=["GET"]),
    Route("/v1/connections/{name}", put_connection, methods=["PUT"]),
    Route("/v1/connections/{name}", patch_connection, methods=["PATCH"]),
    Route("/v1/connections/{name}", delete_connection, methods=["DELETE"]),
    Route("/v1/connections/{name}/test", test_connection, methods=["POST"]),
    Route("/v1/connections/{name}/consent", consent, methods=["POST"]),
    Route("/v1/connections/{name}/rebind", rebind_connection, methods=["POST"]),
    Route("/v1/connections/{name}/access-policies/{principal}", put_access_policy,
          methods=["PUT"]),
    Route("/v1/connections/{name}/access-policies/{principal}", delete_access_policy,
          methods=["DELETE"]),
]
