"""SOAP in the data plane: SOAP-to-REST (JSON in and out) and SOAP pass-through.

The public face: ``SoapHandler`` (``call`` and ``forward``), ``SoapCredentials`` (from
a connection's values), ``EgressSender`` (the gateway's outbound HTTP for SOAP), and the
errors drawn in ``gateway.soap.errors``.
"""

from gateway.soap.auth import ClientCertificate, SoapCredentials
from gateway.soap.clients import ClientCache
from gateway.soap.errors import SoapFault, SoapHttpError, SoapRequestInvalid, SoapResponseInvalid
from gateway.soap.handler import SoapHandler
from gateway.soap.sender import EgressSender, HttpReply, Sender

__all__ = [
    "ClientCache",
    "ClientCertificate",
    "EgressSender",
    "HttpReply",
    "Sender",
    "SoapCredentials",
    "SoapFault",
    "SoapHandler",
    "SoapHttpError",
    "SoapRequestInvalid",
    "SoapResponseInvalid",
]
