"""Swagger 2.0 to OpenAPI 3.0, so that one validator (openapi-core) checks every REST call.

The conversion keeps ``#/definitions/...`` references as ``#/components/schemas/...``
(openapi-core follows local references and copes with recursion), inlines references to
other documents, turns body and form parameters into a ``requestBody``, response schemas
into ``content`` per produced media type, ``collectionFormat`` into ``style``/``explode``,
and the Swagger-only schema spellings (``x-nullable``, ``type: file``, a string
``discriminator``) into their OpenAPI 3.0 forms. OpenAPI 3.x documents are kept as they
are, with references to other documents inlined (``bundle``).
"""

from __future__ import annotations

from typing import Any

from importers.errors import SpecError
from importers.extensions import HTTP_METHODS
from importers.model import Finding
from importers.refs import Resolver
from importers.shapes import as_dict, as_list

OPENAPI_VERSION = "3.0.3"
_PARAM_SCHEMA_KEYS = (
    "type", "format", "items", "default", "maximum", "exclusiveMaximum", "minimum",
    "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
    "uniqueItems", "enum", "multipleOf",
)
_STYLES = {
    "csv": ("form", False), "multi": ("form", True), "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
}
_FLOWS = {
    "accessCode": "authorizationCode", "application": "clientCredentials",
    "implicit": "implicit", "password": "password",
}


class _Converter:
    def __init__(self, doc: dict[str, Any], resolver: Resolver, findings: list[Finding],
                 ids: dict[tuple[str, str], str]) -> None:
        self.doc = doc
        self.resolver = resolver
        self.findings = findings
        self.ids = ids

    def schema(self, node: Any, base: str) -> Any:
        if isinstance(node, list):
            return [self.schema(item, base) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str):
            if base == self.resolver.location and ref.startswith("#/definitions/"):
                return {"$ref": "#/components/schemas/" + ref[len("#/definitions/"):]}
            # Anything else (another document's schema, a pointer outside definitions) is
            # brought in whole: it has no place in components. inline() cuts recursion.
            return self.schema(self.resolver.inline(node, base), base)
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key == "x-nullable":
                out["nullable"] = value is True
            elif key == "discriminator" and isinstance(value, str):
                out["discriminator"] = {"propertyName": value}
            elif key in ("properties", "definitions", "patternProperties") and isinstance(
                    value, dict):
                out[key] = {k: self.schema(v, base) for k, v in value.items()}
            elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
                out[key] = self.schema(value, base)
            else:
                out[key] = value
        if out.get("type") == "file":
            out["type"] = "string"
            out["format"] = "binary"
        return out

    def parameter(self, node: dict[str, Any], base: str) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": node["name"], "in": node["in"],
            "required": node.get("required") is True or node["in"] == "path",
        }
        if isinstance(node.get("description"), str):
            out["description"] = node["description"]
        schema = {k: node[k] for k in _PARAM_SCHEMA_KEYS if k in node}
        if node.get("x-nullable") is True:
            schema["nullable"] = True
        out["schema"] = self.schema(schema, base)
        style = _STYLES.get(str(node.get("collectionFormat", "csv")))
        if node.get("type") == "array" and style is not None:
            if node["in"] == "query":
                out["style"], out["explode"] = style
            else:
                out["style"], out["explode"] = "simple", False
        if node.get("allowEmptyValue") is True and node["in"] == "query":
            out["allowEmptyValue"] = True
        out.update({k: v for k, v in node.items() if k.startswith("x-")})
        return out

    def operation(self, raw: dict[str, Any], shared: list[Any], *, path: str, method: str,
                  base: str) -> dict[str, Any]:
        consumes = _strings(raw.get("consumes")) or _strings(self.doc.get("consumes"))
        produces = _strings(raw.get("produces")) or _strings(self.doc.get("produces"))
        out: dict[str, Any] = {
            "operationId": self.ids.get((path, method), raw.get("operationId")),
            "responses": {},
        }
        for key in ("summary", "description", "deprecated", "tags", "externalDocs"):
            if key in raw:
                out[key] = raw[key]
        if "security" in raw:
            out["security"] = raw["security"]
        out.update({k: v for k, v in raw.items() if k.startswith("x-")})
        merged: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
        for p in [*shared, *(raw.get("parameters") or [])]:
            try:
                node, node_base = self.resolver.deref(p, base)
            except SpecError:  # the importer has reported the broken $ref
                continue
            if isinstance(node, dict) and isinstance(node.get("name"), str):
                merged[(node["name"], str(node.get("in")))] = (node, node_base)
        params: list[dict[str, Any]] = []
        form: dict[str, Any] = {}
        form_required: list[str] = []
        for node, node_base in merged.values():
            where = node.get("in")
            if where == "body":
                schema = self.schema(node.get("schema", {}), node_base)
                media = consumes or ["application/json"]
                out["requestBody"] = {
                    "required": node.get("required") is True,
                    "content": {m: {"schema": schema} for m in media},
                }
                if isinstance(node.get("description"), str):
                    out["requestBody"]["description"] = node["description"]
                out["x-body-name"] = node["name"]
            elif where == "formData":
                prop = {k: node[k] for k in _PARAM_SCHEMA_KEYS if k in node}
                form[node["name"]] = self.schema(prop, node_base)
                if node.get("required") is True:
                    form_required.append(node["name"])
            elif where in ("path", "query", "header"):
                params.append(self.parameter(node, node_base))
        if form:
            media = [m for m in consumes if "form" in m] or ["application/x-www-form-urlencoded"]
            form_schema: dict[str, Any] = {"type": "object", "properties": form}
            if form_required:
                form_schema["required"] = form_required
            out["requestBody"] = {"required": bool(form_required),
                                  "content": {m: {"schema": form_schema} for m in media}}
        if params:
            out["parameters"] = params
        responses = as_dict(raw.get("responses"))
        for status, r_raw in responses.items():
            if str(status).startswith("x-"):
                continue
            try:
                node, node_base = self.resolver.deref(r_raw, base)
            except SpecError:  # reported by the importer
                continue
            if isinstance(node, dict):
                out["responses"][str(status)] = self.response(node, node_base, produces)
        if not out["responses"]:
            out["responses"] = {"default": {"description": "default"}}
        return out

    def response(self, node: dict[str, Any], base: str, produces: list[str]) -> dict[str, Any]:
        resp: dict[str, Any] = {"description": str(node.get("description") or "")}
        if "schema" in node:
            schema = self.schema(node["schema"], base)
            resp["content"] = {m: {"schema": schema} for m in (produces or ["application/json"])}
        for media_type, example in as_dict(node.get("examples")).items():
            resp.setdefault("content", {}).setdefault(str(media_type), {})["example"] = example
        headers = node.get("headers")
        if isinstance(headers, dict):
            resp["headers"] = {
                name: {"schema": self.schema(h, base)}
                for name, h in headers.items() if isinstance(h, dict)
            }
        return resp

    def shared_components(self, components: dict[str, Any]) -> None:
        """Swagger's top-level parameters and responses, as components (even unused ones)."""
        location = self.resolver.location
        params: dict[str, Any] = {}
        bodies: dict[str, Any] = {}
        for name, raw in as_dict(self.doc.get("parameters")).items():
            try:
                node, base = self.resolver.deref(raw, location)
            except SpecError:  # reported by the importer
                continue
            if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                continue
            if node.get("in") in ("path", "query", "header"):
                params[name] = self.parameter(node, base)
            elif node.get("in") == "body":
                media = _strings(self.doc.get("consumes")) or ["application/json"]
                schema = self.schema(node.get("schema", {}), base)
                bodies[name] = {"required": node.get("required") is True,
                                "content": {m: {"schema": schema} for m in media}}
        responses: dict[str, Any] = {}
        for name, raw in as_dict(self.doc.get("responses")).items():
            try:
                node, base = self.resolver.deref(raw, location)
            except SpecError:  # reported by the importer
                continue
            if isinstance(node, dict):
                responses[name] = self.response(node, base, _strings(self.doc.get("produces")))
        for key, value in (("parameters", params), ("requestBodies", bodies),
                           ("responses", responses)):
            if value:
                components[key] = value

    def security_schemes(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        defs = self.doc.get("securityDefinitions")
        if not isinstance(defs, dict):
            return out
        for name, raw in defs.items():
            if not isinstance(raw, dict):
                continue
            kind = raw.get("type")
            if kind == "basic":
                out[name] = {"type": "http", "scheme": "basic"}
            elif kind == "apiKey":
                out[name] = {"type": "apiKey", "name": str(raw.get("name", "")),
                             "in": raw.get("in") if raw.get("in") in ("query", "header")
                             else "header"}
            elif kind == "oauth2":
                flow = _FLOWS.get(str(raw.get("flow")), "authorizationCode")
                body: dict[str, Any] = {"scopes": raw.get("scopes") or {}}
                if flow in ("authorizationCode", "implicit"):
                    body["authorizationUrl"] = str(raw.get("authorizationUrl", ""))
                if flow in ("authorizationCode", "clientCredentials", "password"):
                    body["tokenUrl"] = str(raw.get("tokenUrl", ""))
                out[name] = {"type": "oauth2", "flows": {flow: body}}
            if name in out and isinstance(raw.get("description"), str):
                out[name]["description"] = raw["description"]
        return out

    def run(self, base_url: str) -> dict[str, Any]:
        info = as_dict(self.doc.get("info"))
        info = dict(info)
        info["title"] = str(info.get("title") or "untitled")
        info["version"] = str(info.get("version") or "1.0")
        out: dict[str, Any] = {
            "openapi": OPENAPI_VERSION,
            "info": info,
            "servers": [{"url": base_url or "/"}],
            "paths": {},
        }
        definitions = self.doc.get("definitions")
        components: dict[str, Any] = {}
        if isinstance(definitions, dict):
            components["schemas"] = {
                name: self.schema(s, self.resolver.location) for name, s in definitions.items()
            }
        self.shared_components(components)
        schemes = self.security_schemes()
        if schemes:
            components["securitySchemes"] = schemes
        if components:
            out["components"] = components
        for key in ("security", "tags"):
            if isinstance(self.doc.get(key), list):
                out[key] = self.doc[key]
        if isinstance(self.doc.get("externalDocs"), dict):
            out["externalDocs"] = self.doc["externalDocs"]
        out.update({k: v for k, v in self.doc.items() if isinstance(k, str) and k.startswith("x-")})
        paths = as_dict(self.doc.get("paths"))
        for path, item_raw in paths.items():
            try:
                item, base = self.resolver.deref(item_raw)
            except SpecError:  # reported by the importer
                continue
            if not isinstance(item, dict):
                continue
            shared = as_list(item.get("parameters"))
            converted: dict[str, Any] = {k: v for k, v in item.items() if k.startswith("x-")}
            for method in HTTP_METHODS:
                raw = item.get(method)
                if isinstance(raw, dict):
                    converted[method] = self.operation(raw, shared, path=path, method=method,
                                                       base=base)
            out["paths"][path] = converted
        return out


def _strings(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def swagger_to_openapi(doc: dict[str, Any], resolver: Resolver, findings: list[Finding], *,
                       base_url: str = "", ids: dict[tuple[str, str], str] | None = None
                       ) -> dict[str, Any]:
    """Converts a parsed Swagger 2.0 document to an OpenAPI 3.0 document.

    Args:
        doc: The Swagger 2.0 document.
        resolver: Resolves its references (sibling documents included).
        findings: Receives warnings about what could not be converted.
        base_url: The server URL.
        ids: The operation ids the connector gave each ``(path, method)``, so both agree.
    """
    return _Converter(doc, resolver, findings, ids or {}).run(base_url)


def bundle(doc: dict[str, Any], resolver: Resolver) -> dict[str, Any]:
    """An OpenAPI 3.x document with every reference to another document inlined."""
    if not resolver.external and not _has_external(doc):
        return doc
    return _bundle(doc, resolver, resolver.location)  # type: ignore[no-any-return]


def _has_external(node: Any) -> bool:
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            ref = current.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                return True
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return False


def _bundle(node: Any, resolver: Resolver, base: str) -> Any:
    if isinstance(node, list):
        return [_bundle(item, resolver, base) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and not ref.startswith("#"):
        return resolver.inline(node, base)
    return {k: _bundle(v, resolver, base) for k, v in node.items()}
