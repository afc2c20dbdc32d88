"""The SOAP data plane's branch of Portway's error tree (the whole tree: gateway.errors)::

    PortwayError
    ├── BadRequest (400)
    │   └── SoapRequestInvalid (400)     the JSON input does not fit the operation
    └── UpstreamError (502)
        ├── SoapFault (502)              the service answered with a SOAP fault
        ├── SoapHttpError (502)          an HTTP error status without a SOAP fault
        └── SoapResponseInvalid (502)    the answer is not a SOAP envelope zeep can read
"""

from __future__ import annotations

from typing import Any

from gateway.errors import BadRequest, UpstreamError


class SoapRequestInvalid(BadRequest):
    """The JSON input cannot be turned into the operation's SOAP message."""

    code = "SoapRequestInvalid"


class SoapFault(UpstreamError):
    """The service answered with a SOAP fault.

    ``details`` holds one object: ``faultCode``, ``faultString`` (the message),
    ``faultActor`` or ``subcodes`` when present, and ``detail`` as JSON.
    """

    code = "SoapFault"
    retryable = False

    def __init__(self, message: str, *, fault_code: str, detail: Any = None,
                 actor: str | None = None, subcodes: list[str] | None = None,
                 http_status: int | None = None) -> None:
        fault: dict[str, Any] = {"faultCode": fault_code, "faultString": message}
        if actor:
            fault["faultActor"] = actor
        if subcodes:
            fault["subcodes"] = subcodes
        fault["detail"] = detail
        if http_status is not None:
            fault["httpStatus"] = http_status
        super().__init__(f"the SOAP service answered with a fault: {message}", details=[fault])
        self.fault_code = fault_code
        self.fault_string = message
        self.detail = detail


class SoapHttpError(UpstreamError):
    """The service answered with an HTTP error status and no SOAP fault."""

    code = "SoapHttpError"
    retryable = False

    def __init__(self, status: int, snippet: str) -> None:
        super().__init__(f"the SOAP service answered HTTP {status} without a SOAP fault",
                         details=[{"httpStatus": status, "body": snippet}])
        self.http_status = status
        self.retryable = status in (502, 503, 504)


class SoapResponseInvalid(UpstreamError):
    """The answer could not be read as the operation's SOAP response."""

    code = "SoapResponseInvalid"
    retryable = False
