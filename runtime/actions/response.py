"""The ``Response`` action: the answer to the caller of a Request trigger, byte for byte
as Logic Apps sends it.

The body decides the bytes and, unless the definition's ``headers`` name one, the
Content-Type: a string is sent as UTF-8 text (``text/plain; charset=utf-8``); objects,
arrays, numbers and booleans as compact JSON (``application/json; charset=utf-8``);
binary content and ``{"$content-type", "$content"}`` objects as their bytes with their
media type; no body (or null) as no bytes and no Content-Type.

With ``operationOptions: Asynchronous`` the trigger's caller was answered ``202`` with a
``Location`` at once; the answer built here is what polling that location returns.
``render`` rebuilds the same bytes from the action's recorded outputs, so the polling
endpoint needs nothing else.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from typing import Any

from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    operation_options,
    succeeded,
)
from runtime.actions.json_text import json_text
from runtime.engine.interface import ResponseRecord

TEXT = "text/plain; charset=utf-8"
JSON = "application/json; charset=utf-8"


def _status(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        status = value
    elif isinstance(value, str) and value.strip().isdigit():
        status = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        status = int(value)
    else:
        return None
    return status if 100 <= status <= 599 else None


def body_bytes(body: Any) -> tuple[bytes, str | None]:
    """The bytes a body is sent as, and the Content-Type it implies (None: none)."""
    if body is None:
        return b"", None
    if isinstance(body, str):
        return body.encode("utf-8"), TEXT
    if isinstance(body, (bytes, bytearray)):
        return bytes(body), getattr(body, "content_type", "application/octet-stream")
    if isinstance(body, Mapping) and "$content" in body:
        raw = body.get("$content")
        try:
            data = base64.b64decode(str(raw), validate=True) if raw else b""
        except (binascii.Error, ValueError):
            data = str(raw).encode("utf-8")
        return data, str(body.get("$content-type") or "application/octet-stream")
    return json_bytes(body), JSON


def json_bytes(value: Any) -> bytes:
    """A value as compact JSON, as Logic Apps writes bodies."""
    return json_text(value).encode("utf-8")


def render(outputs: Mapping[str, Any]) -> ResponseRecord:
    """The answer a Response action's outputs (``{"statusCode", "headers", "body"}``)
    stand for."""
    status = _status(outputs.get("statusCode")) or 200
    data, implied = body_bytes(outputs.get("body"))
    headers: list[tuple[str, str]] = []
    given = outputs.get("headers")
    named_type = False
    if isinstance(given, Mapping):
        for name, value in given.items():
            if str(name).lower() == "content-length":
                continue
            named_type = named_type or str(name).lower() == "content-type"
            headers.append((str(name), to_string(value)))
    if implied is not None and not named_type:
        headers.insert(0, ("Content-Type", implied))
    return ResponseRecord(status=status, headers=headers, body=data)


class Response(LeafHandler):
    type = "Response"
    pure = True

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        status = inputs.get("statusCode")
        if status is None:
            findings.append(Finding(f"{pointer}/inputs", "'inputs.statusCode' is required"))
        elif not (isinstance(status, str) and "@" in status) and _status(status) is None:
            findings.append(Finding(f"{pointer}/inputs/statusCode",
                                    "'inputs.statusCode' must be an HTTP status (100-599)"))
        check_kind(inputs, "headers", pointer, findings, kinds=(dict,))

    async def run(self, context: ActionContext) -> ActionResult:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        status = _status(inputs.get("statusCode"))
        if status is None:
            return failed("InvalidTemplate",
                          "The 'statusCode' of a Response action must be an integer between "
                          f"100 and 599, not '{to_string(inputs.get('statusCode'))}'.")
        headers = inputs.get("headers") or {}
        if not isinstance(headers, Mapping):
            return failed("InvalidTemplate",
                          "The 'headers' of a Response action must be an object.")
        outputs: dict[str, Any] = {"statusCode": status, "headers": dict(headers)}
        if "body" in inputs:
            outputs["body"] = inputs["body"]
        context.respond(render(outputs))
        return succeeded(outputs, inputs=outputs)


def response_of_run(run: Mapping[str, Any]) -> ResponseRecord | None:
    """The answer a run's Response action gave, from its run record (``RunHistory.get``),
    or None while no Response has run: what the polling URL of an asynchronous Response
    answers (``202`` until then)."""
    for action in (run.get("actions") or {}).values():
        if not isinstance(action, Mapping):
            continue
        if str(action.get("type", "")).lower() == "response" and action.get(
                "status") == "Succeeded" and isinstance(action.get("outputs"), Mapping):
            return render(action["outputs"])
    return None


def is_asynchronous(action: Mapping[str, Any]) -> bool:
    """Whether a Response action answers through the 202 + Location pattern."""
    return "asynchronous" in operation_options(action)


def has_asynchronous_response(actions: Mapping[str, Any]) -> bool:
    """Whether any Response among ``actions`` (nested ones too) is asynchronous: the
    Request trigger's caller then gets ``202`` + ``Location`` at once."""
    for action in actions.values():
        if not isinstance(action, Mapping):
            continue
        if str(action.get("type", "")).lower() == "response" and is_asynchronous(action):
            return True
        for child in _children(action):
            if has_asynchronous_response(child):
                return True
    return False


def _children(action: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found: list[Mapping[str, Any]] = []
    if isinstance(action.get("actions"), Mapping):
        found.append(action["actions"])
    otherwise = action.get("else")
    if isinstance(otherwise, Mapping) and isinstance(otherwise.get("actions"), Mapping):
        found.append(otherwise["actions"])
    default = action.get("default")
    if isinstance(default, Mapping) and isinstance(default.get("actions"), Mapping):
        found.append(default["actions"])
    cases = action.get("cases")
    if isinstance(cases, Mapping):
        found.extend(case["actions"] for case in cases.values()
                     if isinstance(case, Mapping) and isinstance(case.get("actions"), Mapping))
    return found
