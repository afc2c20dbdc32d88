"""The connector definition: what every importer produces and the gateway stores and runs.

The words are PRODUCT.md's: a *connector* is a named set of *operations*; an operation is an
``action`` or a ``trigger``. A definition is plain data (pydantic models) that round-trips
through JSON unchanged, so the gateway can store it and rebuild it without the source spec.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

JsonSchema = dict[str, Any]

ParameterLocation = Literal["path", "query", "header", "body", "formData", "cookie"]
Visibility = Literal["important", "advanced", "internal", "none"]
Severity = Literal["error", "warning", "info"]


class _Model(BaseModel):
    # Python names in code and storage; camelCase (operationId, displayName) on the wire.
    model_config = ConfigDict(extra="forbid", validate_by_name=True, validate_by_alias=True,
                              alias_generator=to_camel, frozen=False)


class Finding(_Model):
    """One thing an importer or the lint has to say about a document."""

    rule: str
    severity: Severity
    message: str
    pointer: str = ""  # JSON pointer into the source document ("" is the whole document)
    # Where in the file, for findings about the text itself (syntax errors, repairs).
    line: int | None = None
    column: int | None = None


class Parameter(_Model):
    """One input of an operation, resolved (no ``$ref`` left)."""

    name: str
    location: ParameterLocation
    required: bool = False
    json_schema: JsonSchema = Field(default_factory=dict)
    description: str = ""
    summary: str = ""  # x-ms-summary: the label a designer shows
    visibility: Visibility | None = None  # x-ms-visibility
    url_encoding: Literal["single", "double"] | None = None  # x-ms-url-encoding
    default: Any = None
    # x-ms-dynamic-values / -schema / -properties / -list / -tree, kept for the gateway
    dynamic: dict[str, Any] = Field(default_factory=dict)
    extensions: dict[str, Any] = Field(default_factory=dict)


class Response(_Model):
    """One declared response of an operation."""

    status: str  # "200", "2XX", "default"
    description: str = ""
    json_schema: JsonSchema | None = None
    headers: dict[str, JsonSchema] = Field(default_factory=dict)


class TriggerInfo(_Model):
    """How a trigger fires: by polling or by a registered webhook."""

    kind: Literal["polling", "webhook"]
    cardinality: Literal["single", "batch"] = "single"
    # webhook: the parameter that receives the callback URL (x-ms-notification-url)
    notification_url_parameter: str | None = None
    notification_schema: JsonSchema | None = None  # x-ms-notification-content
    metadata: dict[str, Any] = Field(default_factory=dict)  # x-ms-trigger-metadata


class SoapBinding(_Model):
    """Where a SOAP operation is sent and how its envelope is built."""

    service: str
    port: str
    binding: str
    operation: str  # the port-type operation's local name
    soap_version: Literal["1.1", "1.2"]
    style: Literal["document", "rpc"]
    use: Literal["literal", "encoded"] = "literal"
    action: str = ""  # SOAPAction / the SOAP 1.2 action parameter
    address: str = ""  # the port's endpoint URL
    input_headers: JsonSchema | None = None


class Operation(_Model):
    """An action or a trigger of a connector."""

    operation_id: str
    kind: Literal["action", "trigger"] = "action"
    trigger: TriggerInfo | None = None
    method: str  # upper case: GET, POST, ...; "POST" for SOAP
    path: str  # path template relative to the connector's base URL, e.g. "/items/{id}"
    summary: str = ""
    description: str = ""
    deprecated: bool = False
    visibility: Visibility | None = None
    parameters: list[Parameter] = Field(default_factory=list)
    request_content_types: list[str] = Field(default_factory=list)
    request_schema: JsonSchema | None = None  # the JSON body (or SOAP input), when any
    responses: list[Response] = Field(default_factory=list)
    pageable: dict[str, Any] | None = None  # x-ms-pageable
    soap: SoapBinding | None = None
    # Why this operation cannot be called (e.g. implemented by script.csx); None if it can.
    unsupported: str | None = None
    extensions: dict[str, Any] = Field(default_factory=dict)


class OAuthSetting(_Model):
    """OAuth 2.0 settings of a connection parameter or a security scheme."""

    flow: Literal["authorizationCode", "clientCredentials", "implicit", "password"] = (
        "authorizationCode"
    )
    identity_provider: str = ""  # apiProperties' identityProvider (aad, oauth2, github, ...)
    authorization_url: str = ""
    token_url: str = ""
    refresh_url: str = ""
    scopes: list[str] = Field(default_factory=list)
    client_id: str = ""  # a publisher's default client id, never a secret
    extra: dict[str, Any] = Field(default_factory=dict)


class ConnectionParameter(_Model):
    """A value a connection holds for its connector: a key, a host, an OAuth token..."""

    name: str
    type: Literal[
        "string", "securestring", "int", "bool", "oauthSetting", "gatewaySetting",
        "clientCertificate", "object", "array", "secureobject",
    ] = "string"
    required: bool = False
    description: str = ""
    display_name: str = ""
    default: Any = None
    allowed_values: list[Any] = Field(default_factory=list)
    oauth: OAuthSetting | None = None
    ui_definition: dict[str, Any] = Field(default_factory=dict)

    @property
    def secret(self) -> bool:
        return self.type in ("securestring", "secureobject", "oauthSetting",
                             "clientCertificate")


class AuthScheme(_Model):
    """How the gateway injects a connection's credentials into an upstream call."""

    name: str  # the security scheme's name in the spec, or the parameter set's
    kind: Literal["apiKey", "basic", "oauth2", "wsse", "clientCertificate", "none"]
    location: Literal["header", "query", "cookie"] | None = None  # apiKey
    key_name: str = ""  # apiKey: header or query parameter name
    oauth: OAuthSetting | None = None
    # Names of the connection parameters holding the values (api_key, username, ...)
    parameters: list[str] = Field(default_factory=list)


class ConnectionParameterSet(_Model):
    """One of several ways to authenticate (apiProperties' connectionParameterSets)."""

    name: str
    display_name: str = ""
    parameters: list[ConnectionParameter] = Field(default_factory=list)
    auth: AuthScheme | None = None


class Policy(_Model):
    """A policy template instance from apiProperties.json, kept as data."""

    template: str  # templateId: setheader, dynamichosturl, ...
    title: str = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    # operationIds the policy is scoped to; empty means every operation
    operations: list[str] = Field(default_factory=list)


class Connector(_Model):
    """A connector definition (PRODUCT.md's words)."""

    id: str
    display_name: str = ""
    description: str = ""
    version: str = "1.0"
    kind: Literal["builtin", "managed", "custom"] = "custom"
    tier: Literal["standard", "enterprise"] = "standard"
    network: Literal["core", "private"] = "core"
    protocol: Literal["rest", "soap"] = "rest"
    # "builtin": a built-in connector of the runtime, described by its provider, not a spec.
    source_format: Literal["swagger2", "openapi3.0", "openapi3.1", "wsdl", "builtin"]
    base_url: str = ""  # scheme://host/basePath, "" when the spec names no host
    connection_parameters: list[ConnectionParameter] = Field(default_factory=list)
    connection_parameter_sets: list[ConnectionParameterSet] = Field(default_factory=list)
    auth: list[AuthScheme] = Field(default_factory=list)
    policies: list[Policy] = Field(default_factory=list)
    operations: list[Operation] = Field(default_factory=list)
    capabilities: dict[str, Any] = Field(default_factory=dict)  # x-ms-capabilities etc.
    metadata: dict[str, Any] = Field(default_factory=dict)  # publisher, icon, brand colour...
    # An OpenAPI 3.0 document equivalent to the source, used for request validation
    # (Swagger 2.0 is converted on import), or None for SOAP connectors.
    openapi: dict[str, Any] | None = None
    # For SOAP connectors: the WSDL/XSD documents by location, so the gateway can build its
    # SOAP client without fetching anything.
    documents: dict[str, str] = Field(default_factory=dict)

    @property
    def triggers(self) -> list[Operation]:
        return [op for op in self.operations if op.kind == "trigger"]

    def operation(self, operation_id: str) -> Operation | None:
        for op in self.operations:
            if op.operation_id == operation_id:
                return op
        return None


class ImportResult(_Model):
    """What an importer says about one source document."""

    source: str
    connector: Connector | None = None
    findings: list[Finding] = Field(default_factory=list)

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity != "error"]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def ok(self) -> bool:
        return self.connector is not None and not self.errors
