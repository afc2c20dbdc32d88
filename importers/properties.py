"""``apiProperties.json``: connection parameters, multi-auth sets, policies and metadata.

A Power Platform connector keeps beside its Swagger file what Swagger cannot say: the
connection parameters a user fills in (``securestring``, ``string``, ``oauthSetting`` with
its ``identityProvider``...), several alternative ways to authenticate
(``connectionParameterSets``), policy template instances, capabilities, publisher and brand
metadata, and which operations a ``script.csx`` implements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, cast

from importers.model import (
    AuthScheme,
    ConnectionParameter,
    ConnectionParameterSet,
    Finding,
    OAuthSetting,
    Policy,
)
from importers.refs import pointer
from importers.shapes import as_dict, as_list

_PARAMETER_TYPES = {
    "string", "securestring", "int", "bool", "oauthSetting", "gatewaySetting",
    "clientCertificate", "object", "array", "secureobject",
}
_KNOWN = {
    "connectionParameters", "connectionParameterSets", "policyTemplateInstances",
    "capabilities", "publisher", "stackOwner", "iconBrandColor", "scriptOperations", "script",
}
_METADATA = ("publisher", "stackOwner", "iconBrandColor")
_SECRETISH = re.compile(r"secret|password|passwd|credential|private", re.I)


@dataclass
class Properties:
    """What ``apiProperties.json`` says, in the connector model's words."""

    parameters: list[ConnectionParameter] = field(default_factory=list)
    parameter_sets: list[ConnectionParameterSet] = field(default_factory=list)
    policies: list[Policy] = field(default_factory=list)
    capabilities: list[Any] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    # Operations a script.csx implements; None when the file names no script at all.
    script_operations: list[str] | None = None


def read_properties(doc: Any, findings: list[Finding], *, prefix: str = "apiProperties.json"
                    ) -> Properties:
    """Reads a parsed ``apiProperties.json``.

    Args:
        doc: The parsed file.
        findings: Receives a warning for everything not understood.
        prefix: Prepended to JSON pointers so findings say which file they are about.

    Returns:
        The properties; parts the file lacks are empty.
    """
    out = Properties()
    if not isinstance(doc, dict) or not isinstance(doc.get("properties"), dict):
        findings.append(Finding(rule="properties-shape", severity="warning",
                                pointer=prefix + "#",
                                message="apiProperties.json has no 'properties' object; ignored"))
        return out
    for key in doc:
        if key != "properties":
            findings.append(Finding(
                rule="properties-unknown", severity="warning", pointer=prefix + "#" + pointer(key),
                message=f"apiProperties.json has an unsupported top-level key {key!r}; ignored",
            ))
    props: dict[str, Any] = doc["properties"]
    base = ("properties",)
    params = props.get("connectionParameters")
    if isinstance(params, dict):
        out.parameters = [
            _parameter(name, raw, findings, prefix, (*base, "connectionParameters", name))
            for name, raw in params.items()
        ]
    sets = props.get("connectionParameterSets")
    if isinstance(sets, dict):
        for index, raw in enumerate(as_list(sets.get("values"))):
            where = (*base, "connectionParameterSets", "values", index)
            if not isinstance(raw, dict):
                _bad(findings, prefix, where, "a connection parameter set must be an object")
                continue
            set_params = [
                _parameter(name, value, findings, prefix, (*where, "parameters", name))
                for name, value in as_dict(raw.get("parameters")).items()
            ]
            ui = as_dict(raw.get("uiDefinition"))
            out.parameter_sets.append(ConnectionParameterSet(
                name=str(raw.get("name", f"set{index}")),
                display_name=str(ui.get("displayName", "")),
                parameters=set_params,
                auth=auth_from_parameters(set_params, str(raw.get("name", ""))),
            ))
        if isinstance(sets.get("uiDefinition"), dict):
            out.metadata["connectionParameterSets"] = sets["uiDefinition"]
    for index, raw in enumerate(as_list(props.get("policyTemplateInstances"))):
        policy = _policy(raw, findings, prefix, (*base, "policyTemplateInstances", index))
        if policy is not None:
            out.policies.append(policy)
    caps = props.get("capabilities")
    if isinstance(caps, list):
        out.capabilities = caps
    for key in _METADATA:
        if key in props:
            out.metadata[key] = props[key]
    script = props.get("script")
    if isinstance(script, dict):
        out.metadata["script"] = {k: v for k, v in script.items() if k != "operationIds"}
        ids = script.get("operationIds")
        out.script_operations = [str(i) for i in ids] if isinstance(ids, list) else []
    if isinstance(props.get("scriptOperations"), list):
        out.script_operations = [
            *(out.script_operations or []), *(str(i) for i in props["scriptOperations"])
        ]
    for key, value in props.items():
        if key in _KNOWN:
            continue
        key_where = prefix + "#" + pointer(*base, key)
        if _SECRETISH.search(key):
            # Metadata is shown to every reader of the catalogue; a value under a name like
            # this may be a credential, so it is not copied.
            findings.append(Finding(
                rule="properties-unknown", severity="warning", pointer=key_where,
                message=f"apiProperties.json has an unrecognised property {key!r}, which may"
                        " hold a secret; not copied",
            ))
            continue
        out.metadata[key] = value
        findings.append(Finding(
            rule="properties-unknown", severity="info", pointer=key_where,
            message=f"apiProperties.json has an unrecognised property {key!r}; kept as"
                    " metadata",
        ))
    return out


def _bad(findings: list[Finding], prefix: str, where: tuple[str | int, ...], why: str) -> None:
    findings.append(Finding(rule="properties-shape", severity="warning",
                            pointer=prefix + "#" + pointer(*where), message=why + "; ignored"))


def _truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _parameter(name: str, raw: Any, findings: list[Finding], prefix: str,
               where: tuple[str | int, ...]) -> ConnectionParameter:
    if not isinstance(raw, dict):
        _bad(findings, prefix, where, f"connection parameter {name!r} must be an object")
        return ConnectionParameter(name=name)
    kind = str(raw.get("type", "string"))
    normalised = next((t for t in _PARAMETER_TYPES if t.lower() == kind.lower()), None)
    if normalised is None:
        findings.append(Finding(
            rule="properties-parameter-type", severity="warning",
            pointer=prefix + "#" + pointer(*where, "type"),
            message=f"connection parameter {name!r} has unknown type {kind!r}; read as string",
        ))
        normalised = "string"
    ui = as_dict(raw.get("uiDefinition"))
    constraints = as_dict(ui.get("constraints"))
    allowed = constraints.get("allowedValues")
    oauth = None
    if normalised == "oauthSetting":
        oauth = _oauth(raw.get("oAuthSettings"))
    return ConnectionParameter(
        name=name,
        type=cast(Any, normalised),
        required=_truthy(constraints.get("required")),
        description=str(ui.get("description", "")),
        display_name=str(ui.get("displayName", "")),
        default=raw.get("defaultValue"),
        allowed_values=as_list(allowed),
        oauth=oauth,
        ui_definition=ui,
    )


def _oauth(raw: Any) -> OAuthSetting:
    if not isinstance(raw, dict):
        return OAuthSetting()
    custom = as_dict(raw.get("customParameters"))

    def custom_value(key: str) -> str:
        item = custom.get(key)
        return str(item.get("value", "")) if isinstance(item, dict) else ""

    scopes = raw.get("scopes")
    # The client secret is never copied: a definition is not a place for secrets.
    extra = {k: v for k, v in raw.items()
             if k not in ("identityProvider", "clientId", "clientSecret", "scopes")}
    if isinstance(extra.get("customParameters"), dict):
        extra["customParameters"] = {
            k: v for k, v in extra["customParameters"].items() if "secret" not in k.lower()
        }
    return OAuthSetting(
        identity_provider=str(raw.get("identityProvider", "")),
        client_id=str(raw.get("clientId", "")),
        scopes=[str(s) for s in scopes] if isinstance(scopes, list) else [],
        authorization_url=custom_value("authorizationUrlTemplate") or custom_value(
            "authorizationUrl"),
        token_url=custom_value("tokenUrlTemplate") or custom_value("tokenUrl"),
        refresh_url=custom_value("refreshUrlTemplate") or custom_value("refreshUrl"),
        extra=extra,
    )


def auth_from_parameters(params: list[ConnectionParameter], name: str) -> AuthScheme | None:
    """The auth scheme a set of connection parameters implies, if it implies one."""
    for param in params:
        if param.type == "oauthSetting":
            return AuthScheme(name=name or param.name, kind="oauth2", oauth=param.oauth,
                              parameters=[param.name])
    names = {p.name for p in params}
    if {"username", "password"} <= names:
        return AuthScheme(name=name or "basic", kind="basic", parameters=["username", "password"])
    if any(p.type == "clientCertificate" for p in params):
        return AuthScheme(name=name or "certificate", kind="clientCertificate",
                          parameters=[p.name for p in params if p.type == "clientCertificate"])
    return None


def _policy(raw: Any, findings: list[Finding], prefix: str, where: tuple[str | int, ...]
            ) -> Policy | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("templateId"), str):
        _bad(findings, prefix, where, "a policy template instance needs a templateId")
        return None
    params = as_dict(raw.get("parameters"))
    scope = params.get("x-ms-apimTemplate-operationName")
    operations = [str(o) for o in scope] if isinstance(scope, list) else []
    extra = {k: v for k, v in raw.items() if k not in ("templateId", "title", "parameters")}
    if extra:
        params = {**params, **{f"x-instance-{k}": v for k, v in extra.items()}}
    # Template ids are case-insensitive in the wild (setHeader, SetProperty...).
    return Policy(template=raw["templateId"].lower(), title=str(raw.get("title", "")),
                  parameters=params, operations=operations)
