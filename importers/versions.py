"""Breaking changes between two versions of a connector.

Re-importing a connector makes a new version; callers that worked against the old one must
keep working. ``breaking_changes(old, new)`` lists what would break them, each an ``error``
finding (``--allow-breaking`` is the caller's way through), plus ``warning`` findings for
changes that may break some callers (a response's type).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from importers.model import AuthScheme, Connector, Finding, Operation, Parameter, Severity

# rule id -> (severity, what changed)
RULES: dict[str, tuple[Severity, str]] = {
    "removed-operation": ("error", "an operation of the old version is gone"),
    "changed-operation-route": ("error", "an operation's method or path changed"),
    "changed-operation-kind": ("error", "an action became a trigger, or a trigger changed how"
                                        " it fires"),
    "removed-parameter": ("error", "a parameter of an operation is gone"),
    "new-required-parameter": ("error", "a parameter is new and required, or became required"),
    "changed-parameter-type": ("error", "a parameter's type or location changed"),
    "changed-auth": ("error", "the way the connector authenticates changed"),
    "changed-host": ("error", "the upstream origin (scheme, host, port) or a host policy "
                              "changed: connections' secrets would go elsewhere"),
    "new-required-connection-parameter": ("error", "a connection needs a value it did not"),
    "changed-response-type": ("warning", "a successful response's schema type changed"),
}


def _f(rule: str, where: str, message: str) -> Finding:
    return Finding(rule=rule, severity=RULES[rule][0], pointer=where, message=message)


def _type(schema: dict[str, Any] | None) -> Any:
    if not schema:
        return None
    value = schema.get("type")
    return tuple(sorted(value)) if isinstance(value, list) else value


def _auth_key(scheme: AuthScheme) -> tuple[str, str, str]:
    return (scheme.kind, scheme.location or "", scheme.key_name)


def breaking_changes(old: Connector, new: Connector) -> list[Finding]:
    """Lists what in ``new`` breaks callers of ``old``.

    Args:
        old: The version callers use now.
        new: The version about to replace it.

    Returns:
        Findings with the rule ids in ``RULES``; pointers are ``/operations/<id>/...``.
    """
    out: list[Finding] = []
    for old_op in old.operations:
        new_op = new.operation(old_op.operation_id)
        where = f"/operations/{old_op.operation_id}"
        if new_op is None:
            out.append(_f("removed-operation", where,
                          f"operation {old_op.operation_id!r} was removed"))
            continue
        out += _operation_changes(old_op, new_op, where)
    old_auth = sorted(_auth_key(a) for a in old.auth)
    new_auth = sorted(_auth_key(a) for a in new.auth)
    if old_auth != new_auth:
        out.append(_f("changed-auth", "/auth",
                      f"authentication changed from {_describe(old.auth)} to"
                      f" {_describe(new.auth)}"))
    out += _host_changes(old, new)
    old_params = {p.name for p in old.connection_parameters}
    for param in new.connection_parameters:
        if param.required and param.name not in old_params:
            out.append(_f("new-required-connection-parameter",
                          f"/connection_parameters/{param.name}",
                          f"connections now need {param.name!r}, which existing ones lack"))
    return out


#: Policy templates that decide the upstream host.
_HOST_TEMPLATES = frozenset({"dynamichosturl", "dynamicsubdomain"})


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url.strip())
        return parts.scheme.lower(), (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", url, None


def _host_policies(connector: Connector) -> list[Any]:
    return sorted(p.model_dump_json() for p in connector.policies
                   if p.template.lower() in _HOST_TEMPLATES)


def _host_changes(old: Connector, new: Connector) -> list[Finding]:
    out: list[Finding] = []
    if _origin(old.base_url) != _origin(new.base_url):
        out.append(_f("changed-host", "/base_url",
                      f"the upstream moved from {old.base_url or 'nowhere'} to "
                      f"{new.base_url or 'nowhere'}"))
    if _host_policies(old) != _host_policies(new):
        out.append(_f("changed-host", "/policies",
                      "a policy that decides the upstream host (dynamichosturl, "
                      "dynamicsubdomain) changed"))
    for old_op in old.operations:
        new_op = new.operation(old_op.operation_id)
        old_address = old_op.soap.address if old_op.soap else ""
        new_address = new_op.soap.address if new_op is not None and new_op.soap else ""
        if new_op is not None and _origin(old_address) != _origin(new_address):
            out.append(_f("changed-host", f"/operations/{old_op.operation_id}/soap/address",
                          f"the SOAP address of {old_op.operation_id!r} moved from "
                          f"{old_address or 'the base URL'} to {new_address or 'the base URL'}"))
    return out


def _describe(schemes: list[AuthScheme]) -> str:
    if not schemes:
        return "none"
    return ", ".join(
        s.kind + (f" ({s.location} {s.key_name})" if s.kind == "apiKey" else "") for s in schemes
    )


def _operation_changes(old: Operation, new: Operation, where: str) -> list[Finding]:
    out: list[Finding] = []
    if (old.method, old.path) != (new.method, new.path):
        out.append(_f("changed-operation-route", where,
                      f"{old.operation_id!r} moved from {old.method} {old.path} to"
                      f" {new.method} {new.path}"))
    old_kind = (old.kind, old.trigger.kind if old.trigger else None)
    new_kind = (new.kind, new.trigger.kind if new.trigger else None)
    if old_kind != new_kind:
        out.append(_f("changed-operation-kind", where,
                      f"{old.operation_id!r} was a {_kind(old)} and is now a {_kind(new)}"))
    old_params = {p.name: p for p in old.parameters}
    new_params = {p.name: p for p in new.parameters}
    for name, param in old_params.items():
        p_where = f"{where}/parameters/{name}"
        if name not in new_params:
            out.append(_f("removed-parameter", p_where,
                          f"parameter {name!r} of {old.operation_id!r} was removed"))
            continue
        out += _parameter_changes(old.operation_id, param, new_params[name], p_where)
    for name, param in new_params.items():
        if name not in old_params and param.required:
            out.append(_f("new-required-parameter", f"{where}/parameters/{name}",
                          f"{old.operation_id!r} has a new required parameter {name!r}"))
    old_ok = {r.status: _type(r.json_schema) for r in old.responses if r.status.startswith("2")}
    for r in new.responses:
        if r.status in old_ok and old_ok[r.status] is not None and \
                _type(r.json_schema) != old_ok[r.status]:
            out.append(_f("changed-response-type", f"{where}/responses/{r.status}",
                          f"response {r.status} of {old.operation_id!r} changed from"
                          f" {old_ok[r.status]} to {_type(r.json_schema)}"))
    return out


def _kind(op: Operation) -> str:
    return f"{op.trigger.kind} trigger" if op.trigger else "action"


def _parameter_changes(op_id: str, old: Parameter, new: Parameter, where: str
                       ) -> list[Finding]:
    out: list[Finding] = []
    if new.required and not old.required:
        out.append(_f("new-required-parameter", where,
                      f"parameter {old.name!r} of {op_id!r} became required"))
    if old.location != new.location or _type(old.json_schema) != _type(new.json_schema):
        out.append(_f("changed-parameter-type", where,
                      f"parameter {old.name!r} of {op_id!r} changed from"
                      f" {old.location}/{_type(old.json_schema)} to"
                      f" {new.location}/{_type(new.json_schema)}"))
    return out
