"""Which operations are triggers, and how they fire.

``x-ms-trigger`` (``single`` or ``batch``) makes an operation a trigger. It is a *webhook*
when the publisher says where the callback URL goes (a parameter or body property marked
``x-ms-notification-url``) or what the notification carries (``x-ms-notification-content``
on the path item); otherwise it is *polled*, with ``x-ms-trigger-metadata`` and the
``pollingtrigger`` policy describing how.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal

from importers.model import Finding, Parameter, Policy, TriggerInfo

_NOTIFY = "x-ms-notification-url"


def _find_notification_property(schema: Any, path: str, depth: int = 0) -> str | None:
    if not isinstance(schema, dict) or depth > 8:
        return None
    if schema.get(_NOTIFY) in (True, "true"):
        return path
    props = schema.get("properties")
    if isinstance(props, dict):
        for name, sub in props.items():
            found = _find_notification_property(sub, f"{path}.{name}" if path else name,
                                                depth + 1)
            if found is not None:
                return found
    return None


def notification_target(parameters: list[Parameter]) -> str | None:
    """The parameter (or ``body.property`` path) that receives the callback URL."""
    for param in parameters:
        if param.extensions.get(_NOTIFY) in (True, "true"):
            return param.name
        if param.location == "body":
            found = _find_notification_property(param.json_schema, "")
            if found is not None:
                return f"{param.name}.{found}"
    return None


def polling_policies(policies: list[Policy]) -> dict[str, Policy]:
    """``pollingtrigger`` policies by the operationIds they are scoped to."""
    out: dict[str, Policy] = {}
    for policy in policies:
        if policy.template == "pollingtrigger":
            for op in policy.operations:
                out[op] = policy
    return out


def trigger_for(
    raw: Mapping[str, Any],
    path_item: Mapping[str, Any],
    parameters: list[Parameter],
    *,
    operation_id: str,
    where: str,
    findings: list[Finding],
    polling: Mapping[str, Policy],
    inline: Callable[[Any], Any],
) -> TriggerInfo | None:
    """Reads an operation's trigger annotations; None when it is an action.

    Args:
        raw: The operation object.
        path_item: The path item holding it (``x-ms-notification-content`` lives there).
        parameters: The operation's resolved parameters.
        operation_id: The operation's id, to match ``pollingtrigger`` policies.
        where: The operation's JSON pointer, for findings.
        findings: Receives warnings.
        polling: ``pollingtrigger`` policies by operationId.
        inline: Resolves ``$ref`` inside a schema.
    """
    value = raw.get("x-ms-trigger")
    if value is None:
        if operation_id in polling:
            findings.append(Finding(
                rule="trigger-policy-without-trigger", severity="warning",
                pointer=where,
                message=f"a pollingtrigger policy names {operation_id!r}, which has no"
                        " x-ms-trigger; read as an action",
            ))
        return None
    cardinality: Literal["single", "batch"] = "single"
    if isinstance(value, str) and value.lower() in ("single", "batch"):
        cardinality = "batch" if value.lower() == "batch" else "single"
    else:
        findings.append(Finding(
            rule="extension-value", severity="warning", pointer=where + "/x-ms-trigger",
            message=f"x-ms-trigger {value!r} is not 'single' or 'batch'; read as 'single'",
        ))
    target = notification_target(parameters)
    content = path_item.get("x-ms-notification-content")
    schema: dict[str, Any] | None = None
    if isinstance(content, dict):
        raw_schema = content.get("schema")
        if raw_schema is not None:
            inlined = inline(raw_schema)
            schema = inlined if isinstance(inlined, dict) else None
    metadata: dict[str, Any] = {}
    if isinstance(raw.get("x-ms-trigger-metadata"), dict):
        metadata.update(raw["x-ms-trigger-metadata"])
    if "x-ms-trigger-hint" in raw:
        metadata["hint"] = raw["x-ms-trigger-hint"]
    if isinstance(content, dict):
        extra = {k: v for k, v in content.items() if k != "schema"}
        if extra:
            metadata["notificationContent"] = extra
    if target is not None or content is not None:
        return TriggerInfo(kind="webhook", cardinality=cardinality,
                           notification_url_parameter=target, notification_schema=schema,
                           metadata=metadata)
    policy = polling.get(operation_id)
    if policy is not None:
        metadata["pollingPolicy"] = policy.parameters
    return TriggerInfo(kind="polling", cardinality=cardinality, metadata=metadata)
