"""The connection parameter sets of a SOAP connector: how its connections sign in."""

from __future__ import annotations

from importers.model import AuthScheme, ConnectionParameter, ConnectionParameterSet


def parameter_sets() -> list[ConnectionParameterSet]:
    """The ways a SOAP connection may authenticate; a WSDL 1.1 file does not say which.

    A connection names its way with the ``parameterSet`` parameter (the set's name is
    also the kind the gateway's SOAP handler applies).
    """
    username = ConnectionParameter(name="username", display_name="User name", required=True)
    password = ConnectionParameter(name="password", type="securestring",
                                   display_name="Password", required=True)
    return [
        ConnectionParameterSet(name="none", display_name="No authentication",
                               auth=AuthScheme(name="none", kind="none")),
        ConnectionParameterSet(
            name="basic", display_name="HTTP basic", parameters=[username, password],
            auth=AuthScheme(name="basic", kind="basic", parameters=["username", "password"])),
        ConnectionParameterSet(
            name="wsse", display_name="WS-Security UsernameToken",
            parameters=[username, password],
            auth=AuthScheme(name="wsse", kind="wsse", parameters=["username", "password"])),
        ConnectionParameterSet(
            name="apiKey", display_name="API key header",
            parameters=[
                ConnectionParameter(name="api_key", type="securestring",
                                    display_name="API key", required=True),
                ConnectionParameter(name="api_key_header", display_name="Header name",
                                    default="X-API-Key"),
            ],
            auth=AuthScheme(name="apiKey", kind="apiKey", location="header",
                            key_name="X-API-Key", parameters=["api_key"])),
        ConnectionParameterSet(
            name="clientCertificate", display_name="Client certificate",
            parameters=[
                ConnectionParameter(name="certificate", type="clientCertificate",
                                    display_name="Certificate (PEM, with its key)",
                                    required=True),
                ConnectionParameter(name="certificate_password", type="securestring",
                                    display_name="Password of the private key"),
                ConnectionParameter(name="server_ca_certificate",
                                    display_name="CA of the service (PEM), if private"),
            ],
            auth=AuthScheme(name="clientCertificate", kind="clientCertificate",
                            parameters=["certificate"])),
    ]
