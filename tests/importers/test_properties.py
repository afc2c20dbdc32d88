from __future__ import annotations

from typing import Any

from tests.importers.conftest import import_json, swagger_doc

PROPERTIES: dict[str, Any] = {"properties": {
    "connectionParameters": {
        "api_key": {"type": "securestring", "uiDefinition": {
            "displayName": "API Key", "description": "Your key",
            "constraints": {"required": "true"}}},
        "region": {"type": "string", "defaultValue": "eu", "uiDefinition": {
            "constraints": {"required": "false",
                            "allowedValues": [{"text": "EU", "value": "eu"}]}}},
    },
    "policyTemplateInstances": [
        {"templateId": "setHeader", "title": "Version",
         "parameters": {"x-ms-apimTemplateParameter.name": "X-Version",
                        "x-ms-apimTemplateParameter.value": "2",
                        "x-ms-apimTemplate-operationName": ["GetTicket"]}},
        {"templateId": "dynamichosturl", "title": "Host",
         "parameters": {"x-ms-apimTemplateParameter.urlTemplate":
                        "https://@connectionParameters('region').ticketdesk.io"}},
    ],
    "capabilities": ["actions"],
    "publisher": "Ticket Desk Ltd",
    "stackOwner": "Ticket Desk Ltd",
    "iconBrandColor": "#123456",
    "scriptOperations": ["DeleteTicket"],
}}


def test_connection_parameters_policies_and_metadata() -> None:
    result = import_json(swagger_doc(), properties=PROPERTIES)
    c = result.connector
    assert c is not None
    key, region = c.connection_parameters
    assert (key.name, key.type, key.required, key.display_name) == (
        "api_key", "securestring", True, "API Key")
    assert (region.required, region.default, region.allowed_values) == (
        False, "eu", [{"text": "EU", "value": "eu"}])
    assert [a.parameters for a in c.auth] == [["api_key"]]
    assert [(p.template, p.operations) for p in c.policies] == [
        ("setheader", ["GetTicket"]), ("dynamichosturl", [])]
    assert c.capabilities == {"capabilities": ["actions"]}
    assert c.metadata["publisher"] == "Ticket Desk Ltd"
    assert c.metadata["iconBrandColor"] == "#123456"


def test_script_operations_are_flagged_unsupported_with_a_warning() -> None:
    result = import_json(swagger_doc(), properties=PROPERTIES)
    c = result.connector
    assert c is not None
    assert [o.unsupported is not None for o in c.operations] == [False, True]
    assert [f.rule for f in result.findings] == ["script-operation"]


def test_oauth_setting_with_identity_provider_and_no_secret() -> None:
    props = {"properties": {"connectionParameters": {"token": {
        "type": "oauthSetting",
        "oAuthSettings": {"identityProvider": "aad", "clientId": "abc",
                          "clientSecret": "s3cret", "scopes": ["User.Read"],
                          "customParameters": {"resourceUri": {"value": "https://graph"}}},
    }}}}
    doc = swagger_doc(securityDefinitions={"oauth": {
        "type": "oauth2", "flow": "accessCode",
        "authorizationUrl": "https://login.example/authorize",
        "tokenUrl": "https://login.example/token", "scopes": {}}})
    c = import_json(doc, properties=props).connector
    assert c is not None
    (scheme,) = c.auth
    assert scheme.parameters == ["token"]
    assert scheme.oauth is not None
    assert (scheme.oauth.identity_provider, scheme.oauth.client_id, scheme.oauth.scopes,
            scheme.oauth.token_url) == ("aad", "abc", ["User.Read"], "https://login.example/token")
    assert "s3cret" not in c.model_dump_json()


def test_auth_declared_only_in_properties() -> None:
    props = {"properties": {"connectionParameters": {
        "token": {"type": "oauthSetting", "oAuthSettings": {"identityProvider": "github"}}}}}
    c = import_json(swagger_doc(securityDefinitions={}), properties=props).connector
    assert c is not None
    assert [(a.kind, a.parameters) for a in c.auth] == [("oauth2", ["token"])]


def test_connection_parameter_sets_for_multi_auth() -> None:
    props = {"properties": {"connectionParameterSets": {
        "uiDefinition": {"displayName": "Authentication"},
        "values": [
            {"name": "oauth", "uiDefinition": {"displayName": "Sign in"},
             "parameters": {"token": {"type": "oauthSetting",
                                      "oAuthSettings": {"identityProvider": "aad"}}}},
            {"name": "key", "uiDefinition": {"displayName": "API key"},
             "parameters": {"api_key": {"type": "securestring"}}},
        ]}}}
    c = import_json(swagger_doc(), properties=props).connector
    assert c is not None
    oauth_set, key_set = c.connection_parameter_sets
    assert (oauth_set.name, oauth_set.display_name) == ("oauth", "Sign in")
    assert oauth_set.auth is not None and oauth_set.auth.kind == "oauth2"
    assert key_set.auth is not None
    assert (key_set.auth.kind, key_set.auth.key_name, key_set.auth.parameters) == (
        "apiKey", "X-Key", ["api_key"])


def test_unknown_parameter_type_and_broken_properties() -> None:
    props = {"properties": {"connectionParameters": {"x": {"type": "weird"}}}}
    result = import_json(swagger_doc(), properties=props)
    assert [f.rule for f in result.findings] == ["properties-parameter-type"]
    from importers import import_document
    broken = import_document(b'{"swagger": "2.0", "info": {}, "paths": {}}', filename="s.json",
                             connector_id="x", properties=b'{"properties": {"a": 1 "b": 2}}')
    assert not broken.ok
    (error,) = broken.errors
    assert (error.line, error.column) == (1, 24)
    assert "apiProperties.json" in error.message


def test_unknown_properties_are_kept_unless_they_may_hold_a_secret() -> None:
    props = {"properties": {"website": "https://ticketdesk.io",
                            "token:clientSecret": "hunter2"}}
    result = import_json(swagger_doc(), properties=props)
    c = result.connector
    assert c is not None
    assert c.metadata["website"] == "https://ticketdesk.io"
    assert "hunter2" not in c.model_dump_json()
    assert [(f.rule, f.severity) for f in result.findings] == [
        ("properties-unknown", "info"), ("properties-unknown", "warning")]
