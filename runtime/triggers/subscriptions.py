"""Webhook subscriptions: the callback URLs Portway hands out, and the subscribe and
unsubscribe calls of ``HttpWebhook`` and ``ApiConnectionWebhook`` triggers and actions.

Callback URLs are Logic Apps' (``runtime/triggers/request.py`` signs them):

- a webhook **trigger**'s is its Request-trigger-shaped URL,
  ``<base>/api/<workflow>/triggers/<trigger>/invoke?api-version=…&sp=%2Ftriggers%2F
  <trigger>%2Frun&sv=1.0&sig=…``;
- a webhook **action**'s names the run and the action, ``<base>/api/<workflow>/runs/<run>/
  actions/<action>/run?api-version=…&sp=%2Fruns%2F<run>%2Factions%2F<action>%2Frun%2C
  %2Fruns%2F<run>%2Factions%2F<action>%2Fread&sv=1.0&sig=…`` (an action inside a loop has
  its iteration indexes after ``#`` in ``<action>``).

A trigger's is signed with the workflow's trigger key, an action's with the workflow's
callback key (``WorkflowStore.callback_key``). Rotating the trigger key
(``regenerateAccessKey``: Logic Apps' "callback URL access key for request triggers")
makes every trigger URL handed out before answer 401 — webhook triggers are subscribed
again with the new one — while waiting actions stay reachable: their subscription cannot
be made again, and a callback that can no longer land would strand the run. Deleting the
workflow drops both keys. ``<base>`` is ``runtime.public_url``, else
the address the server listens on.

A request is a JSON object, evaluated once, kept (sealed) for the unsubscribe:

- ``{"kind": "http", "method", "uri", "headers", "queries", "body", "authentication"}`` —
  sent through the egress guard (``gateway.send_http``), as the ``Http`` action sends;
- ``{"kind": "connection", "connection", "method", "path", "headers", "queries", "body"}``
  — a call of a Portway connection through the gateway's whole pipeline under the
  workflow's principal (``gateway.call_connection``: the linked access check applies).

``listCallbackUrl()`` in a subscribe or unsubscribe block is replaced by the URL before the
block is evaluated, so it works in the engine's scope and the trigger's alike.
"""

from __future__ import annotations

import hashlib
import re
import urllib.parse
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from gateway import Answer, BadRequest, call_connection, send_http
from gateway.expressions import to_string
from runtime.actions.connectors import reference_name
from runtime.actions.http import METHODS, with_queries
from runtime.actions.http_auth import AuthenticationError, authorization, sanitized
from runtime.actions.http_content import encode_request, header_value, outputs_of, request_headers
from runtime.engine.interface import WorkflowVersion
from runtime.host import RuntimeHost
from runtime.triggers.request import RequestTrigger, callback, signed_query

__all__ = ["WEBHOOK_TRIGGER_TYPES", "action_callback_url", "action_permission",
           "connection_request", "fingerprint", "http_request", "outputs_of_answer",
           "public_base", "send", "shown", "trigger_callback_url", "unsubscribe_at_location",
           "with_callback_url"]

#: The trigger types (lower case) that subscribe on enable.
WEBHOOK_TRIGGER_TYPES = frozenset({"httpwebhook", "apiconnectionwebhook"})
_LIST_CALLBACK_URL = re.compile(r"listCallbackUrl\(\s*\)", re.IGNORECASE)
_INTERPOLATION = re.compile(r"@\{[^{}]*\}")


def public_base(host: RuntimeHost) -> str:
    configured = host.settings.public_url
    if configured:
        return configured.rstrip("/")
    server = host.services.settings.server
    # A server bound to every interface is reached on loopback from this host.
    address = "127.0.0.1" if server.host in ("0.0.0.0", "::", "") else server.host  # noqa: S104
    return f"http://{address}:{server.port}"


def trigger_callback_url(host: RuntimeHost, workflow: str, trigger: str, key: str) -> str:
    value: str = callback(public_base(host), workflow, RequestTrigger.of(trigger, {}),
                          key)["value"]
    return value


def action_permission(run_id: str, action_key: str) -> str:
    """What an action's callback URL grants: calling back, and reading, that action."""
    base = f"/runs/{run_id}/actions/{action_key}"
    return f"{base}/run,{base}/read"


def action_callback_url(host: RuntimeHost, workflow: str, run_id: str, action_key: str,
                        key: str) -> str:
    granted = action_permission(run_id, action_key)
    query = signed_query(key, workflow, action_key, granted)
    return (f"{public_base(host)}/api/{quote(workflow, safe='')}/runs/{quote(run_id, safe='')}"
            f"/actions/{quote(action_key, safe='')}/run?{query}")


def with_callback_url(value: Any, url: str) -> Any:
    """``value`` with every ``listCallbackUrl()`` in its expressions replaced by ``url``
    (a string literal), ready for any scope to evaluate."""
    if isinstance(value, str):
        if "@" not in value:
            return value
        literal = "'" + url.replace("'", "''") + "'"
        if value.startswith("@") and not value.startswith("@@"):  # a whole expression
            return _LIST_CALLBACK_URL.sub(lambda _: literal, value)
        return _INTERPOLATION.sub(  # text: only inside its @{...} parts
            lambda part: _LIST_CALLBACK_URL.sub(lambda _: literal, part.group(0)), value)
    if isinstance(value, Mapping):
        return {key: with_callback_url(item, url) for key, item in value.items()}
    if isinstance(value, list):
        return [with_callback_url(item, url) for item in value]
    return value


def fingerprint(*parts: Any) -> str:
    text = "\n".join(to_string(part) if not isinstance(part, str) else part for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# -- requests ---------------------------------------------------------------------------


def http_request(block: Any, where: str) -> dict[str, Any]:
    """An ``HttpWebhook`` ``subscribe`` / ``unsubscribe`` block (evaluated) as a request.

    Raises:
        BadRequest: The block is not a request Portway can send.
    """
    if not isinstance(block, Mapping):
        raise BadRequest(f"the webhook's '{where}' must be an object")
    method = str(block.get("method", "POST")).upper()
    uri = block.get("uri", block.get("url"))
    if method not in METHODS:
        raise BadRequest(f"the webhook's '{where}' method '{method}' is not an HTTP method")
    parsed = urllib.parse.urlsplit(uri) if isinstance(uri, str) else None
    if parsed is None or parsed.scheme.lower() not in ("http", "https") or not parsed.netloc:
        raise BadRequest(f"the webhook's '{where}' uri '{to_string(uri)}' is not an "
                         "absolute http or https URI")
    request: dict[str, Any] = {"kind": "http", "method": method, "uri": uri}
    for key in ("headers", "queries", "body", "authentication"):
        if key in block:
            request[key] = block[key]
    return request


def connection_request(version: WorkflowVersion, inputs: Any, raw_host: Any
                       ) -> dict[str, Any]:
    """An ``ApiConnectionWebhook``'s inputs (evaluated; ``host`` as written) as the
    subscribe call of its connection.

    Raises:
        BadRequest: No connection reference, or the workflow does not map it.
    """
    if not isinstance(inputs, Mapping):
        raise BadRequest("the webhook's inputs must be an object")
    reference = reference_name(raw_host)
    connection = version.connection_references.get(reference or "")
    if connection is None:
        raise BadRequest(f"the workflow has no connection reference '{reference}'")
    request: dict[str, Any] = {"kind": "connection", "connection": connection,
                               "method": str(inputs.get("method", "POST")).upper(),
                               "path": to_string(inputs.get("path", "/"))}
    for key in ("headers", "queries", "body"):
        if key in inputs:
            request[key] = inputs[key]
    return request


def unsubscribe_at_location(subscribe: Mapping[str, Any], answer: Mapping[str, Any]
                            ) -> dict[str, Any] | None:
    """Logic Apps' unsubscribe of a connector webhook: ``DELETE`` the ``Location`` the
    subscribe answered, through the same connection. An absolute ``Location`` (the
    upstream's own URL) is made relative to the connector again: its path from where the
    subscribe path's first segment starts."""
    headers = answer.get("headers") if isinstance(answer.get("headers"), Mapping) else {}
    assert isinstance(headers, Mapping)
    location = header_value({str(k): str(v) for k, v in headers.items()}, "location")
    if not location:
        return None
    parsed = urllib.parse.urlsplit(location)
    path = parsed.path or "/"
    first = "/" + str(subscribe.get("path", "")).strip("/").split("/", 1)[0]
    if parsed.netloc and first != "/" and (at := path.find(first + "/")) > 0:
        path = path[at:]
    request: dict[str, Any] = {"kind": "connection", "connection": subscribe["connection"],
                               "method": "DELETE", "path": path}
    if parsed.query:
        request["queries"] = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
    return request


def shown(request: Mapping[str, Any]) -> dict[str, Any]:
    """A request as a run record or log may show it (credentials sanitized)."""
    view = {key: value for key, value in request.items() if key != "kind"}
    if "authentication" in view:
        view["authentication"] = sanitized(view["authentication"])
    return view


async def send(host: RuntimeHost, version: WorkflowVersion, request: Mapping[str, Any],
               headers: Mapping[str, str] | None = None) -> Answer:
    """Make one subscribe or unsubscribe call.

    Raises:
        PortwayError: The call could not be made (egress refused, access check failed,
            upstream unreachable...).
    """
    outbound = dict(headers or {})
    outbound.update(request_headers(request.get("headers")))
    body = encode_request(request.get("body"), outbound)
    queries = request.get("queries")
    if request.get("kind") == "connection":
        query = [(str(k), to_string(v)) for k, v in queries.items()] \
            if isinstance(queries, Mapping) else []
        return await call_connection(
            host.services, version.principal, str(request["connection"]),
            str(request["method"]), str(request["path"]), query=query, headers=outbound,
            body=body)
    try:
        auth = await authorization(host.services, request.get("authentication"))
    except AuthenticationError as exc:
        raise BadRequest(str(exc)) from None
    if auth is not None:
        outbound["Authorization"] = auth
    return await send_http(host.services, str(request["method"]),
                           with_queries(str(request["uri"]), queries), headers=outbound,
                           body=body)


def outputs_of_answer(answer: Answer) -> dict[str, Any]:
    """``{"statusCode", "headers", "body"}`` of a subscribe call's answer. Header names a
    server sent in lower case (HTTP/2, many ASGI servers) are spelt as .NET spells the
    common ones (``Location``, ``Retry-After``), so ``['headers']['Location']`` finds it
    as it does in Logic Apps."""
    spelt = [("-".join(part[:1].upper() + part[1:] for part in name.split("-"))
              if name.islower() else name, value) for name, value in answer.headers]
    return outputs_of(answer.status, spelt, answer.body)
