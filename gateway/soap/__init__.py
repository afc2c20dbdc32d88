"""SOAP in the data plane: SOAP-to-REST (JSON in and out) and SOAP pass-through.

The public face: ``SoapHandler`` (``call`` and ``forward``), ``SoapCredentials`` (from
a connection's values), ``Sender`` (the seam to outbound HTTP; the gateway's sends
through the proxy's transport) and ``TlsProfiles`` (client certificates), and the errors
drawn in ``gateway.soap.errors``.
"""

from gateway.soap.auth import ClientCertificate, SoapCredentials
from gateway.soap.clients import ClientCache
from gateway.soap.errors import SoapFault, SoapHttpError, SoapRequestInvalid, SoapResponseInvalid
from gateway.soap.handler import SoapHandler
from gateway.soap.sender import HttpReply, Sender, TlsProfiles

__all__ = [
    "ClientCache",
    "ClientCertificate",
    "HttpReply",
    "Sender",
    "SoapCredentials",
    "SoapFault",
    "SoapHandler",
    "SoapHttpError",
    "SoapRequestInvalid",
    "SoapResponseInvalid",
    "TlsProfiles",
]
