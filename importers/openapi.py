"""OpenAPI 3.0 and 3.1 to a connector definition.

Operations come from ``paths`` (every method, ``trace`` included). ``webhooks`` and
``callbacks`` describe requests the *upstream* sends, so they are not operations the
gateway calls: they are kept (connector metadata, operation extensions) with an ``info``
finding. The document itself, with references to other documents inlined, is what
openapi-core validates requests against.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from importers import convert
from importers.auth import build_auth, security_alternatives
from importers.common import (
    OperationIds,
    connector_fields,
    deref_or_skip,
    flag_script_operations,
    merged_parameters,
    skippable,
    skipped,
    text,
)
from importers.errors import SpecError
from importers.extensions import (
    HTTP_METHODS,
    OPERATION_FIELDS,
    extension_keys,
    parameter_extras,
    unknown_keys,
    visibility,
)
from importers.model import (
    Connector,
    Finding,
    Operation,
    Parameter,
    Response,
)
from importers.properties import Properties
from importers.refs import Resolver, pointer
from importers.security import openapi_schemes
from importers.shapes import as_dict, as_list
from importers.triggers import polling_policies, trigger_for

_TOP = frozenset({
    "openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs",
    "webhooks", "jsonSchemaDialect",
})
_OPERATION = frozenset({
    "operationId", "summary", "description", "parameters", "requestBody", "responses",
    "callbacks", "deprecated", "tags", "security", "servers", "externalDocs",
})
_PARAMETER = frozenset({
    "name", "in", "required", "description", "deprecated", "allowEmptyValue", "style",
    "explode", "allowReserved", "schema", "example", "examples", "content",
})
_PATH_ITEM = frozenset({"$ref", "summary", "description", "servers", "parameters",
                        *HTTP_METHODS})
_LOCATIONS = {"path", "query", "header", "cookie"}


def base_url(doc: dict[str, Any], findings: list[Finding]) -> str:
    """The first server's URL with its variables at their defaults ("" without servers)."""
    servers = doc.get("servers")
    if servers is None:
        return ""
    if not isinstance(servers, list):
        findings.append(Finding(rule="invalid-servers", severity="warning", pointer="/servers",
                                message="servers must be a list; ignored"))
        return ""
    if not servers or not isinstance(servers[0], dict):
        return ""
    url = text(servers[0].get("url"))
    variables = servers[0].get("variables")
    if isinstance(variables, dict):
        for name, var in variables.items():
            if isinstance(var, dict) and "default" in var:
                url = url.replace("{" + str(name) + "}", str(var["default"]))
    url = url.rstrip("/")
    return url


def media_schema(content: Any) -> tuple[list[str], Any]:
    """The media types of a ``content`` map and the schema of its JSON (or first) entry."""
    if not isinstance(content, dict) or not content:
        return [], None
    types = [str(k) for k in content]
    chosen = next((t for t in types if re.search(r"json", t, re.I)), types[0])
    entry = content[chosen]
    return types, entry.get("schema") if isinstance(entry, dict) else None


def import_openapi(doc: dict[str, Any], *, connector_id: str, resolver: Resolver,
                   properties: Properties | None, findings: list[Finding]) -> Connector:
    """Builds a connector from a parsed OpenAPI 3.0 or 3.1 document.

    Args:
        doc: The parsed document.
        connector_id: The id to give the connector.
        resolver: Resolves the document's ``$ref``s.
        properties: The parsed apiProperties.json, if any.
        findings: Receives every warning.
    """
    version = str(doc.get("openapi"))
    unknown_keys(doc, _TOP, "", "the document", findings)
    if not any(k in doc for k in ("paths", "components", "webhooks")):
        findings.append(Finding(rule="no-paths", severity="warning", pointer="",
                                message="the document has no paths, components or webhooks"))
    polling = polling_policies(properties.policies if properties else [])
    ids = OperationIds(findings)
    operations: list[Operation] = []
    paths = as_dict(doc.get("paths"))
    if "paths" in doc and not isinstance(doc.get("paths"), dict):
        findings.append(Finding(rule="no-paths", severity="warning", pointer="/paths",
                                message="paths must be an object; no operations"))
    for path, item_raw in paths.items():
        item_where = pointer("paths", path)
        if str(path).startswith("x-"):
            continue
        found = deref_or_skip(resolver, item_raw, None, findings, item_where,
                              "the path item")
        if found is None:
            continue
        item, item_base = found
        if not isinstance(item, dict):
            findings.append(Finding(rule="invalid-path-item", severity="warning",
                                    pointer=item_where, message="a path item must be an object;"
                                                                " ignored"))
            continue
        unknown_keys(item, _PATH_ITEM, item_where, "the path item", findings)
        shared = as_list(item.get("parameters"))
        for method in HTTP_METHODS:
            if method not in item:
                continue
            where = f"{item_where}/{method}"
            raw = item[method]
            if not isinstance(raw, dict):
                findings.append(Finding(rule="invalid-operation", severity="warning",
                                        pointer=where, message="an operation must be an object;"
                                                               " read as empty"))
                raw = {}
            operations.append(_operation(raw, item, shared, method=method, path=str(path),
                                         where=where, resolver=resolver, base=item_base,
                                         ids=ids, findings=findings, polling=polling))
    if properties is not None and properties.script_operations is not None:
        flag_script_operations(operations, properties.script_operations, findings)
    extras = {k: v for k, v in doc.items()
              if k in ("tags", "externalDocs", "security", "webhooks", "jsonSchemaDialect")}
    if isinstance(doc.get("webhooks"), dict) and doc["webhooks"]:
        findings.append(Finding(
            rule="webhooks-kept", severity="info", pointer="/webhooks",
            message=f"{len(doc['webhooks'])} webhook(s) describe requests the API sends; kept"
                    " as metadata, not operations",
        ))
    auth = build_auth(openapi_schemes(doc, resolver, findings), properties,
                      alternatives=security_alternatives(doc))
    fmt: Literal["openapi3.0", "openapi3.1"] = (
        "openapi3.1" if version.startswith("3.1") else "openapi3.0")
    return Connector(
        source_format=fmt,
        base_url=base_url(doc, findings),
        connection_parameters=auth.parameters,
        connection_parameter_sets=auth.sets,
        auth=auth.schemes,
        policies=properties.policies if properties else [],
        operations=operations,
        openapi=convert.bundle(doc, resolver),
        **connector_fields(doc, connector_id=connector_id, properties=properties,
                           extras={**extras, **extension_keys(doc)}, findings=findings),
    )


def _operation(raw: dict[str, Any], item: dict[str, Any], shared: list[Any], *, method: str,
               path: str, where: str, resolver: Resolver, base: str, ids: OperationIds,
               findings: list[Finding], polling: Any) -> Operation:
    unknown_keys(raw, _OPERATION, where, "the operation", findings)
    operation_id = ids.take(raw.get("operationId"), method, path, where)
    parameters: list[Parameter] = []
    for p_raw, p_where in merged_parameters(shared, as_list(raw.get("parameters")), where,
                                            resolver, base):
        try:
            param = _parameter(p_raw, p_where, resolver, base, findings)
        except SpecError as exc:
            if not skippable(exc):
                raise
            skipped(findings, p_where, exc, "the parameter")
            continue
        if param is not None:
            parameters.append(param)
    content_types: list[str] = []
    request_schema: dict[str, Any] | None = None
    if "requestBody" in raw:
        body, body_base = deref_or_skip(
            resolver, raw["requestBody"], base, findings, where + "/requestBody",
            "the request body") or (None, base)
        if isinstance(body, dict):
            content_types, schema = media_schema(body.get("content"))
            inlined = resolver.inline(schema, body_base) if schema is not None else {}
            request_schema = as_dict(inlined)
            name = raw.get("x-codegen-request-body-name") or raw.get("x-body-name") or "body"
            parameters.append(Parameter(
                name=str(name), location="body", required=body.get("required") is True,
                json_schema=request_schema, description=text(body.get("description")),
                **parameter_extras(body, where + "/requestBody", findings),
            ))
    responses = _responses(raw.get("responses"), where, resolver, base, findings)
    trigger = trigger_for(raw, item, parameters, operation_id=operation_id, where=where,
                          findings=findings, polling=polling,
                          inline=lambda s: resolver.inline(s, base))
    extensions = extension_keys(raw)
    for key in OPERATION_FIELDS:
        extensions.pop(key, None)
    for key in ("tags", "security", "externalDocs", "servers", "callbacks"):
        if key in raw:
            extensions[key] = raw[key]
    if "callbacks" in raw:
        findings.append(Finding(
            rule="callbacks-kept", severity="info", pointer=where + "/callbacks",
            message="callbacks describe requests the API sends; kept in the operation's"
                    " extensions",
        ))
    pageable = raw.get("x-ms-pageable")
    return Operation(
        operation_id=operation_id,
        kind="trigger" if trigger else "action",
        trigger=trigger,
        method=method.upper(),
        path=path,
        summary=text(raw.get("summary")),
        description=text(raw.get("description")),
        deprecated=raw.get("deprecated") is True,
        visibility=visibility(raw.get("x-ms-visibility"), where, findings),
        parameters=parameters,
        request_content_types=content_types,
        request_schema=request_schema,
        responses=responses,
        pageable=pageable if isinstance(pageable, dict) else None,
        extensions=extensions,
    )


def _parameter(raw: Any, where: str, resolver: Resolver, base: str,
               findings: list[Finding]) -> Parameter | None:
    node, node_base = resolver.deref(raw, base)
    if not isinstance(node, dict) or not isinstance(node.get("name"), str):
        findings.append(Finding(rule="invalid-parameter", severity="warning", pointer=where,
                                message="a parameter needs an object with a name; ignored"))
        return None
    location = node.get("in")
    if not isinstance(location, str) or location not in _LOCATIONS:
        findings.append(Finding(
            rule="invalid-parameter", severity="warning", pointer=where + "/in",
            message=f"parameter {node['name']!r} has unsupported location {location!r};"
                    " ignored",
        ))
        return None
    unknown_keys(node, _PARAMETER, where, f"parameter {node['name']!r}", findings)
    schema_raw = node.get("schema")
    if schema_raw is None and "content" in node:
        _, schema_raw = media_schema(node["content"])
    schema = resolver.inline(schema_raw, node_base) if schema_raw is not None else {}
    if not isinstance(schema, dict):
        schema = {}
    extras = parameter_extras(node, where, findings)
    for key in ("style", "explode", "allowReserved", "allowEmptyValue", "deprecated",
                "example", "examples"):
        if key in node:
            extras["extensions"][key] = node[key]
    return Parameter(
        name=node["name"],
        location=location,
        required=node.get("required") is True or location == "path",
        json_schema=schema,
        description=text(node.get("description")),
        default=schema.get("default"),
        **extras,
    )


def _responses(raw: Any, where: str, resolver: Resolver, base: str,
               findings: list[Finding]) -> list[Response]:
    out: list[Response] = []
    if not isinstance(raw, dict):
        return out
    for status, r_raw in raw.items():
        if str(status).startswith("x-"):
            continue
        r_where = f"{where}/responses/{status}"
        found = deref_or_skip(resolver, r_raw, base, findings, r_where,
                              f"response {status}")
        if found is None:
            continue
        node, node_base = found
        if not isinstance(node, dict):
            findings.append(Finding(rule="invalid-response", severity="warning",
                                    pointer=r_where, message="a response must be an object;"
                                                             " ignored"))
            continue
        unknown_keys(node, {"description", "headers", "content", "links"}, r_where,
                     f"response {status}", findings)
        _, schema_raw = media_schema(node.get("content"))
        schema = resolver.inline(schema_raw, node_base) if schema_raw is not None else None
        headers: dict[str, Any] = {}
        if isinstance(node.get("headers"), dict):
            for name, h_raw in node["headers"].items():
                found = deref_or_skip(resolver, h_raw, node_base, findings,
                                      f"{r_where}/headers/{name}", "the header")
                if found is None:
                    continue
                h, h_base = found
                if isinstance(h, dict):
                    h_schema = h.get("schema")
                    if h_schema is None:
                        _, h_schema = media_schema(h.get("content"))
                    inlined = resolver.inline(h_schema or {}, h_base)
                    headers[str(name)] = as_dict(inlined)
        out.append(Response(
            status=str(status),
            description=text(node.get("description")),
            json_schema=schema if isinstance(schema, dict) else None,
            headers=headers,
        ))
    return out
