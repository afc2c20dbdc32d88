"""Swagger 2.0 (the Power Platform's format) to a connector definition.

Every method under ``paths`` becomes an operation, parameters and schemas resolved; the
``x-ms-*`` annotations become the model's fields; what the model has no field for is kept
in ``extensions``/``metadata`` or reported as a warning. The equivalent OpenAPI 3.0
document (``importers.convert``) rides along for request validation.
"""

from __future__ import annotations

from typing import Any

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
from importers.security import swagger_schemes
from importers.shapes import as_dict, as_list
from importers.triggers import polling_policies, trigger_for

_TOP = frozenset({
    "swagger", "info", "host", "basePath", "schemes", "consumes", "produces", "paths",
    "definitions", "parameters", "responses", "securityDefinitions", "security", "tags",
    "externalDocs",
})
_OPERATION = frozenset({
    "operationId", "summary", "description", "parameters", "responses", "consumes",
    "produces", "deprecated", "tags", "security", "schemes", "externalDocs",
})
_PARAMETER = frozenset({
    "name", "in", "required", "description", "type", "format", "items", "collectionFormat",
    "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
    "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "enum", "multipleOf",
    "schema", "allowEmptyValue",
})
# Validation keywords a non-body Swagger parameter shares with JSON Schema.
_SCHEMA_KEYS = (
    "type", "format", "items", "default", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "enum", "multipleOf",
)
_LOCATIONS = {"path", "query", "header", "body", "formData"}
_PATH_ITEM = frozenset({"parameters", "$ref", *HTTP_METHODS})


def base_url(doc: dict[str, Any]) -> str:
    """``scheme://host/basePath`` of a Swagger 2.0 document, or "" without a host."""
    host = doc.get("host")
    if not isinstance(host, str) or not host:
        return ""
    schemes = as_list(doc.get("schemes"))
    scheme = "https" if "https" in schemes or not schemes else str(schemes[0])
    base_path = doc.get("basePath")
    base = base_path.rstrip("/") if isinstance(base_path, str) else ""
    if base and not base.startswith("/"):
        base = "/" + base
    return f"{scheme}://{host.rstrip('/')}{base}"


def import_swagger(doc: dict[str, Any], *, connector_id: str, resolver: Resolver,
                   properties: Properties | None, findings: list[Finding]) -> Connector:
    """Builds a connector from a parsed Swagger 2.0 document.

    Args:
        doc: The parsed document (``swagger: "2.0"``).
        connector_id: The id to give the connector.
        resolver: Resolves the document's ``$ref``s.
        properties: The parsed apiProperties.json, if any.
        findings: Receives every warning.
    """
    unknown_keys(doc, _TOP, "", "the document", findings)
    polling = polling_policies(properties.policies if properties else [])
    global_consumes = _strings(doc.get("consumes"))
    global_produces = _strings(doc.get("produces"))
    ids = OperationIds(findings)
    operations: list[Operation] = []
    paths = doc.get("paths")
    if not isinstance(paths, dict):
        findings.append(Finding(rule="no-paths", severity="warning", pointer="/paths",
                                message="the document has no paths object; no operations"))
        paths = {}
    for path, item_raw in paths.items():
        if path.startswith("x-"):  # an extension of the paths object, not a path
            continue
        item_where = pointer("paths", path)
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
            operations.append(_operation(
                raw, item, shared, method=method, path=path, where=where, resolver=resolver,
                base=item_base, consumes=_strings(raw.get("consumes")) or global_consumes,
                produces=_strings(raw.get("produces")) or global_produces, ids=ids,
                findings=findings, polling=polling,
            ))
    if properties is not None and properties.script_operations is not None:
        flag_script_operations(operations, properties.script_operations, findings)
    auth = build_auth(swagger_schemes(doc, findings), properties,
                      alternatives=security_alternatives(doc))
    extras = {k: v for k, v in doc.items() if k in ("tags", "externalDocs", "security")}
    url = base_url(doc)
    return Connector(
        source_format="swagger2",
        base_url=url,
        connection_parameters=auth.parameters,
        connection_parameter_sets=auth.sets,
        auth=auth.schemes,
        policies=properties.policies if properties else [],
        operations=operations,
        openapi=convert.swagger_to_openapi(
            doc, resolver, findings, base_url=url,
            ids={(op.path, op.method.lower()): op.operation_id for op in operations},
        ),
        **connector_fields(doc, connector_id=connector_id, properties=properties,
                           extras={**extras, **extension_keys(doc)}, findings=findings),
    )


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _operation(raw: dict[str, Any], item: dict[str, Any], shared: list[Any], *, method: str,
               path: str, where: str, resolver: Resolver, base: str, consumes: list[str],
               produces: list[str], ids: OperationIds, findings: list[Finding],
               polling: Any) -> Operation:
    unknown_keys(raw, _OPERATION, where, "the operation", findings)
    operation_id = ids.take(raw.get("operationId"), method, path, where)
    parameters: list[Parameter] = []
    request_schema: dict[str, Any] | None = None
    has_form = False
    for p_raw, p_where in merged_parameters(shared, as_list(raw.get("parameters")), where,
                                            resolver, base):
        try:
            param = _parameter(p_raw, p_where, resolver, base, findings)
        except SpecError as exc:
            if not skippable(exc):
                raise
            skipped(findings, p_where, exc, "the parameter")
            continue
        if param is None:
            continue
        if param.location == "body":
            request_schema = param.json_schema
        has_form = has_form or param.location == "formData"
        parameters.append(param)
    responses = _responses(raw.get("responses"), where, resolver, base, findings)
    trigger = trigger_for(raw, item, parameters, operation_id=operation_id, where=where,
                          findings=findings, polling=polling,
                          inline=lambda s: resolver.inline(s, base))
    if has_form and not consumes:
        consumes = ["application/x-www-form-urlencoded"]
    elif request_schema is not None and not consumes:
        # Swagger has no default media type; Power Platform, like the conversion, sends JSON.
        consumes = ["application/json"]
    extensions = extension_keys(raw)
    for key in OPERATION_FIELDS:
        extensions.pop(key, None)
    for key in ("tags", "security", "externalDocs", "schemes"):
        if key in raw:
            extensions[key] = raw[key]
    if produces:
        extensions["produces"] = produces
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
        request_content_types=consumes if (request_schema is not None or has_form) else [],
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
    if location == "body":
        schema = resolver.inline(node.get("schema", {}), node_base)
        if not isinstance(schema, dict):
            schema = {}
    else:
        schema = {k: node[k] for k in _SCHEMA_KEYS if k in node}
        if "items" in schema:
            schema["items"] = resolver.inline(schema["items"], node_base)
        if schema.get("type") == "file":
            schema = {"type": "string", "format": "binary"}
    extras = parameter_extras(node, where, findings)
    if "collectionFormat" in node:
        extras["extensions"]["collectionFormat"] = node["collectionFormat"]
    if "allowEmptyValue" in node:
        extras["extensions"]["allowEmptyValue"] = node["allowEmptyValue"]
    return Parameter(
        name=node["name"],
        location=location,
        required=node.get("required") is True or location == "path",
        json_schema=schema,
        description=text(node.get("description")),
        default=node.get("default", schema.get("default")),
        **extras,
    )


def _responses(raw: Any, where: str, resolver: Resolver, base: str,
               findings: list[Finding]) -> list[Response]:
    out: list[Response] = []
    if not isinstance(raw, dict):
        return out
    for status, r_raw in raw.items():
        r_where = f"{where}/responses/{status}"
        if str(status).startswith("x-"):
            continue
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
        unknown_keys(node, {"description", "schema", "headers", "examples"}, r_where,
                     f"response {status}", findings)
        schema = resolver.inline(node["schema"], node_base) if "schema" in node else None
        headers = as_dict(node.get("headers"))
        out.append(Response(
            status=str(status),
            description=text(node.get("description")),
            json_schema=schema if isinstance(schema, dict) else None,
            headers={str(k): resolver.inline(v, node_base) for k, v in headers.items()
                     if isinstance(v, dict)},
        ))
    return out
