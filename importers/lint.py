"""The certification lint: what a Power Platform certification review checks mechanically.

``lint(connector, document)`` returns findings, each with a rule id, a severity, a JSON
pointer and a message. The rules read the connector (what the importer understood) and,
when given, the source document (for what only the text shows: the schema of the format
itself, duplicate operationIds before the importer renamed them, misspelt extensions).
``docs/importers.md`` lists every rule; ``RULES`` is the same list in code.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from importers.extensions import DYNAMIC, HTTP_METHODS
from importers.model import Connector, Finding, Operation, Severity
from importers.refs import pointer
from importers.shapes import as_dict, as_list

# rule id -> (severity, what it checks)
RULES: dict[str, tuple[Severity, str]] = {
    "spec-schema": ("error", "the document is valid against the schema of its format"),
    "title-missing": ("error", "the connector has a title"),
    "title-length": ("error", "the title is at most 30 characters"),
    "title-words": ("error", "the title avoids 'API', 'Connector' and Power Platform product"
                             " names"),
    "description-length": ("error", "the description is 30 to 500 characters long"),
    "no-operations": ("error", "the connector has at least one operation"),
    "operation-id-missing": ("error", "every operation declares an operationId"),
    "operation-id-unique": ("error", "operationIds are unique"),
    "summary-missing": ("error", "every operation has a summary"),
    "summary-length": ("warning", "a summary is at most 80 characters"),
    "summary-punctuation": ("warning", "a summary does not end with a full stop"),
    "operation-description": ("warning", "every operation has a description"),
    "parameter-summary": ("warning", "every visible parameter has an x-ms-summary"),
    "internal-required-default": ("warning", "a required internal parameter has a default"),
    "path-parameter": ("error", "every {name} in a path has a matching path parameter"),
    "response-schema": ("warning", "a successful response that returns content has a schema"),
    "webhook-notification-url": ("error", "a webhook trigger says where the callback URL goes"),
    "webhook-location": ("error", "a webhook registration answers 201 Created"),
    "webhook-location-header": ("warning", "a webhook registration's 201 declares the Location"
                                           " header"),
    "webhook-delete": ("warning", "a webhook has a DELETE operation to unregister it"),
    "polling-trigger-response": ("warning", "a polling trigger declares a response schema"),
    "placeholder-host": ("error", "the host is real (or set at run time by a policy)"),
    "insecure-scheme": ("error", "the API is reached over https"),
    "no-auth": ("warning", "the connector authenticates somehow"),
    "secret-parameter-type": ("warning", "a connection parameter that holds a secret is a"
                                         " securestring"),
    "brand-color": ("warning", "apiProperties sets an iconBrandColor other than the default"),
    "publisher": ("warning", "apiProperties names the publisher"),
    "unknown-extension": ("warning", "every x-ms-* extension is one Power Platform knows"),
    "example-and-examples": ("error", "a parameter or media type has example or examples, not"
                                      " both"),
    "link-fields": ("error", "a link object uses only the fields OpenAPI defines"),
}

_TITLE_WORDS = re.compile(
    r"\b(api|connector|power ?apps|power ?automate|power ?platform|copilot studio|logic apps)\b",
    re.I,
)
_PLACEHOLDER = re.compile(
    r"(^$|example\.(com|org|net)|contoso|localhost|127\.0\.0\.1|\{|\[|<|your|placeholder"
    r"|replace|tenant\.|dummy|sample)", re.I,
)
_DEFAULT_BRAND = "#da3b01"
# The name (after a "token:" style prefix) ends like a credential: apiKey, client_secret...
_SECRETISH = re.compile(r"(key|secret|password|passwd|pwd|token)$", re.I)
_KNOWN_X_MS = {
    "x-ms-summary", "x-ms-visibility", "x-ms-url-encoding", "x-ms-trigger",
    "x-ms-trigger-metadata", "x-ms-trigger-hint", "x-ms-notification-content",
    "x-ms-notification-url", "x-ms-pageable", "x-ms-api-annotation", "x-ms-capabilities",
    "x-ms-connector-metadata", "x-ms-openai-data", "x-ms-openai-manifest", "x-ms-no-generic-test",
    "x-ms-test-value", "x-ms-enum-values", "x-ms-dynamic-values", "x-ms-dynamic-schema",
    "x-ms-dynamic-properties", "x-ms-dynamic-list", "x-ms-dynamic-tree", "x-ms-editor",
    "x-ms-editor-options", "x-ms-enum", "x-ms-media-kind", "x-ms-property-name-alias",
    "x-ms-parameterized-host", "x-ms-docs", "x-ms-examples", "x-ms-deprecation",
    "x-ms-api-annotations", "x-ms-trigger-value", "x-ms-skip-url-encoding",
    "x-ms-explode", "x-ms-sort", "x-ms-permission", "x-ms-safe-operation",
    "x-ms-notification", "x-ms-docs-operation-type",
    "x-ms-operation-context", "x-ms-enum-value", "x-ms-dynamic-values-obsolete",
    *DYNAMIC,
}
_SUMMARY_MAX = 80


def _f(rule: str, pointer_: str, message: str) -> Finding:
    return Finding(rule=rule, severity=RULES[rule][0], pointer=pointer_, message=message)


def lint(connector: Connector, document: Mapping[str, Any] | None = None) -> list[Finding]:
    """Runs every certification rule over a connector (and its source document).

    Args:
        connector: The imported connector.
        document: The parsed source document; rules that need the text are skipped without it.

    Returns:
        The findings, in rule order.
    """
    out: list[Finding] = []
    out += _connector_rules(connector, document)
    for op in connector.operations:
        out += _operation_rules(connector, op)
    out += _webhook_rules(connector)
    if document is not None:
        out += _document_rules(connector, document)
    return out


def _op_pointer(op: Operation) -> str:
    return pointer("paths", op.path, op.method.lower())


def _connector_rules(c: Connector, doc: Mapping[str, Any] | None) -> list[Finding]:
    out: list[Finding] = []
    # The importer falls back to the id for a missing title; only the document can tell.
    title = c.display_name
    if doc is not None:
        raw_title = as_dict(doc.get("info")).get("title")
        title = raw_title if isinstance(raw_title, str) else ""
    if not title:
        out.append(_f("title-missing", "/info/title", "the connector has no title"))
    else:
        if len(title) > 30:
            out.append(_f("title-length", "/info/title",
                          f"the title {title!r} is {len(title)} characters; at most 30"))
        word = _TITLE_WORDS.search(title)
        if word:
            out.append(_f("title-words", "/info/title",
                          f"the title {title!r} contains {word.group(0)!r}"))
    if not 30 <= len(c.description) <= 500:
        out.append(_f("description-length", "/info/description",
                      f"the description is {len(c.description)} characters; 30 to 500 needed"))
    if not c.operations:
        out.append(_f("no-operations", "/paths", "the connector has no operations"))
    templates = {p.template for p in c.policies}
    host = re.sub(r"^[a-z]+://", "", c.base_url).split("/")[0]
    # A built-in connector has no host: the runtime reaches the server its connection names.
    if c.kind != "builtin" and _PLACEHOLDER.search(host) and not templates & {
            "dynamichosturl", "routerequesttoendpoint", "dynamicsubdomain"}:
        out.append(_f("placeholder-host", "/host",
                      f"the host {host!r} looks like a placeholder, and no policy sets the"
                      " real one"))
    if c.base_url.startswith("http://"):
        out.append(_f("insecure-scheme", "/schemes", f"{c.base_url} is plain http"))
    if not c.auth and not c.connection_parameters and not c.connection_parameter_sets:
        out.append(_f("no-auth", "/securityDefinitions",
                      "the connector declares no authentication"))
    for param in c.connection_parameters:
        if param.type == "string" and _SECRETISH.search(param.name.rsplit(":", 1)[-1]):
            out.append(_f("secret-parameter-type",
                          "apiProperties.json#" + pointer("properties", "connectionParameters",
                                                          param.name),
                          f"connection parameter {param.name!r} looks like a secret but is a"
                          " plain string; make it a securestring"))
    # Only a connector imported with an apiProperties.json can be held to its rules.
    if any(k in c.metadata for k in ("iconBrandColor", "publisher", "stackOwner")):
        color = str(c.metadata.get("iconBrandColor", "")).lower()
        if not color or color == _DEFAULT_BRAND:
            out.append(_f("brand-color", "apiProperties.json#/properties/iconBrandColor",
                          "set iconBrandColor to the brand's colour, not the default"))
        if not c.metadata.get("publisher"):
            out.append(_f("publisher", "apiProperties.json#/properties/publisher",
                          "apiProperties.json does not name the publisher"))
    return out


def _operation_rules(c: Connector, op: Operation) -> list[Finding]:
    out: list[Finding] = []
    where = _op_pointer(op)
    summary = op.summary.strip()
    if not summary:
        out.append(_f("summary-missing", where + "/summary",
                      f"operation {op.operation_id!r} has no summary"))
    else:
        if len(summary) > _SUMMARY_MAX:
            out.append(_f("summary-length", where + "/summary",
                          f"the summary of {op.operation_id!r} is {len(summary)} characters;"
                          f" at most {_SUMMARY_MAX}"))
        if summary.endswith("."):
            out.append(_f("summary-punctuation", where + "/summary",
                          f"the summary of {op.operation_id!r} ends with a full stop"))
    if not op.description.strip():
        out.append(_f("operation-description", where + "/description",
                      f"operation {op.operation_id!r} has no description"))
    declared = {p.name for p in op.parameters if p.location == "path"}
    for name in re.findall(r"\{([^}/]+)\}", op.path):
        if name not in declared:
            out.append(_f("path-parameter", where,
                          f"the path {op.path!r} uses {{{name}}}, which no path parameter"
                          " declares"))
    for index, p in enumerate(op.parameters):
        if p.visibility == "internal" and p.required and p.default is None \
                and p.location != "body":
            # Power Automate hides it and sends its default; with none, no maker can
            # call the operation, and Portway has nothing to fill in for a caller.
            out.append(_f("internal-required-default", f"{where}/parameters/{index}",
                          f"parameter {p.name!r} of {op.operation_id!r} is internal and "
                          "required but has no default"))
    if c.source_format == "swagger2":
        for index, p in enumerate(op.parameters):
            if p.visibility != "internal" and not p.summary and p.location != "body":
                out.append(_f("parameter-summary", f"{where}/parameters/{index}",
                              f"parameter {p.name!r} of {op.operation_id!r} has no"
                              " x-ms-summary"))
    success = [r for r in op.responses if r.status.startswith("2") or r.status == "default"]
    returns_content = [r for r in success if r.status not in ("202", "204")]
    if returns_content and not any(r.json_schema for r in success) and op.kind == "action" \
            and op.method in ("GET", "POST"):
        out.append(_f("response-schema", where + "/responses",
                      f"operation {op.operation_id!r} declares no response schema"))
    if op.trigger is not None and op.trigger.kind == "polling" and not any(
            r.json_schema for r in success):
        out.append(_f("polling-trigger-response", where + "/responses",
                      f"polling trigger {op.operation_id!r} declares no response schema"))
    return out


def _webhook_rules(c: Connector) -> list[Finding]:
    out: list[Finding] = []
    deletes = {op.path for op in c.operations if op.method == "DELETE"}
    for op in c.triggers:
        if op.trigger is None or op.trigger.kind != "webhook":
            continue
        where = _op_pointer(op)
        if not op.trigger.notification_url_parameter:
            out.append(_f("webhook-notification-url", where + "/parameters",
                          f"webhook trigger {op.operation_id!r} has no parameter marked"
                          " x-ms-notification-url"))
        created = next((r for r in op.responses if r.status == "201"), None)
        if created is None:
            out.append(_f("webhook-location", where + "/responses",
                          f"webhook trigger {op.operation_id!r} must answer 201 Created, with a"
                          " Location header naming the subscription to delete later"))
        elif not any(h.lower() == "location" for h in created.headers):
            out.append(_f("webhook-location-header", f"{where}/responses/201/headers",
                          f"the 201 response of webhook trigger {op.operation_id!r} does not"
                          " declare the Location header"))
        if not deletes:
            out.append(_f("webhook-delete", where,
                          f"webhook trigger {op.operation_id!r} has no DELETE operation to"
                          " unregister the subscription"))
    return out


def _document_rules(c: Connector, doc: Mapping[str, Any]) -> list[Finding]:
    out: list[Finding] = []
    out += _schema_findings(doc)
    ids: Counter[str] = Counter()
    for path, method, op in _raw_operations(doc):
        where = pointer("paths", path, method)
        op_id = op.get("operationId")
        if not isinstance(op_id, str) or not op_id.strip():
            out.append(_f("operation-id-missing", where,
                          f"{method.upper()} {path} has no operationId"))
        else:
            ids[op_id] += 1
        out += _extension_findings(op, where)
        for index, p in enumerate(as_list(op.get("parameters"))):
            out += _extension_findings(as_dict(p), f"{where}/parameters/{index}")
    for op_id, count in ids.items():
        if count > 1:
            out.append(_f("operation-id-unique", "/paths",
                          f"operationId {op_id!r} is used {count} times"))
    for where, node in _walk(doc, ""):
        if "example" in node and "examples" in node and ("schema" in node or "in" in node):
            out.append(_f("example-and-examples", where,
                          "example and examples cannot be used together"))
    components = as_dict(doc.get("components"))
    links = [(pointer("components", "links", k), v) for k, v in
             as_dict(components.get("links")).items()]
    responses = [(pointer("components", "responses", k), v) for k, v in
                 as_dict(components.get("responses")).items()]
    for path, method, op in _raw_operations(doc):
        responses += [(pointer("paths", path, method, "responses", status), r)
                      for status, r in as_dict(op.get("responses")).items()]
    for where, response in responses:
        for name, link in as_dict(as_dict(response).get("links")).items():
            links.append((f"{where}/links/{name}", link))
    allowed = {"operationRef", "operationId", "parameters", "requestBody", "description",
               "server", "$ref"}
    for where, link in links:
        for key in as_dict(link):
            if key not in allowed and not key.startswith("x-"):
                out.append(_f("link-fields", f"{where}/{key}",
                              f"a link object has no field {key!r}"))
    del c
    return out


def _raw_operations(doc: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in as_dict(doc.get("paths")).items():
        for method in HTTP_METHODS:
            op = as_dict(item).get(method)
            if isinstance(op, dict):
                yield str(path), method, op


def _extension_findings(node: dict[str, Any], where: str) -> list[Finding]:
    out = []
    for key in node:
        if isinstance(key, str) and key.lower().startswith("x-ms") and key not in _KNOWN_X_MS:
            out.append(_f("unknown-extension", f"{where}/{key}",
                          f"{key!r} is not an x-ms extension Power Platform knows (a typo?)"))
    return out


def _walk(node: Any, where: str, depth: int = 0) -> Iterator[tuple[str, dict[str, Any]]]:
    if depth > 60:
        return
    if isinstance(node, dict):
        yield where, node
        for key, value in node.items():
            yield from _walk(value, f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}",
                             depth + 1)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{where}/{index}", depth + 1)


def _schema_findings(doc: Mapping[str, Any], limit: int = 50) -> list[Finding]:
    """Validates the document against the official schema of its format."""
    from openapi_spec_validator import schemas

    version = str(doc.get("openapi") or doc.get("swagger") or "")
    if version.startswith("3.1"):
        validator = schemas.openapi_v31_schema_validator
    elif version.startswith("3.0"):
        validator = schemas.openapi_v30_schema_validator
    elif version == "2.0":
        validator = schemas.openapi_v2_schema_validator
    else:
        return []
    out = []
    try:
        errors = validator.iter_errors(dict(doc))
        for error in errors:
            where = pointer(*error.absolute_path)
            message = str(error.message).split("\n", 1)[0]
            if len(message) > 300:
                message = message[:300] + "..."
            out.append(_f("spec-schema", where, message))
            if len(out) >= limit:
                break
    except RecursionError:
        out.append(_f("spec-schema", "", "the document is too deeply nested to validate"))
    return out
