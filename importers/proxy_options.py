"""A spec's ``x-portway-proxy`` object: the connector's own proxy options.

A Swagger 2.0 or OpenAPI 3 document may carry, at its top level::

    x-portway-proxy:
      readTimeout: 10
      rateLimitCalls: 600

The importers check it here and store what is valid as ``Connector.metadata["proxy"]``,
which the gateway's data plane reads (docs/proxy.md, *Per-connector options*). A key
Portway does not know, or a value of the wrong type, is a warning finding naming it and
is dropped: the rest of the connector still imports.
"""

from __future__ import annotations

from typing import Any

from importers.model import Finding

#: The extension's name at the top of a spec.
EXTENSION = "x-portway-proxy"

# key -> (what it holds, the smallest value it takes, whether that value is allowed).
# Timeouts and periods must be positive; counts and budgets may be zero (0 calls: no
# throttling; 0 retries: none).
_NUMBER, _INTEGER, _BOOLEAN = "a number", "an integer", "true or false"
_KEYS: dict[str, tuple[str, bool]] = {
    "connectTimeout": (_NUMBER, False),
    "readTimeout": (_NUMBER, False),
    "totalTimeout": (_NUMBER, False),
    "rateLimitCalls": (_INTEGER, True),
    "rateLimitPerPrincipal": (_INTEGER, True),
    "rateLimitPeriod": (_NUMBER, False),
    "maxRetries": (_INTEGER, True),
    "retryBudgetSeconds": (_NUMBER, True),
    "strictResponses": (_BOOLEAN, True),
    "validateRequests": (_BOOLEAN, True),
    "callUnsupportedOperations": (_BOOLEAN, True),
}


def proxy_options(value: Any, findings: list[Finding]) -> dict[str, Any]:
    """The valid options of an ``x-portway-proxy`` value; a warning for everything else.

    Args:
        value: The extension's value as the document has it.
        findings: Receives a warning for each key dropped (or for a value that is not
            an object at all).

    Returns:
        The options to store as ``Connector.metadata["proxy"]`` (maybe empty).
    """
    where = "/" + EXTENSION
    if not isinstance(value, dict):
        findings.append(Finding(rule="invalid-proxy-option", severity="warning", pointer=where,
                                message=f"{EXTENSION} must be an object; ignored"))
        return {}
    options: dict[str, Any] = {}
    for key, given in value.items():
        pointer = f"{where}/{str(key).replace('~', '~0').replace('/', '~1')}"
        expected = _KEYS.get(key) if isinstance(key, str) else None
        if expected is None:
            findings.append(Finding(
                rule="invalid-proxy-option", severity="warning", pointer=pointer,
                message=f"{EXTENSION} has an option {key!r} that Portway does not know "
                        f"(known: {', '.join(_KEYS)}); ignored"))
            continue
        kind, zero_allowed = expected
        if not _fits(given, kind, zero_allowed):
            bound = "zero or more" if zero_allowed else "more than zero"
            needs = kind if kind == _BOOLEAN else f"{kind}, {bound}"
            findings.append(Finding(
                rule="invalid-proxy-option", severity="warning", pointer=pointer,
                message=f"{EXTENSION} option {key!r} must be {needs}, not {given!r}; "
                        "ignored"))
            continue
        options[key] = given
    return options


def _fits(value: Any, kind: str, zero_allowed: bool) -> bool:
    if kind == _BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool):  # JSON true is not the number 1 here
        return False
    if kind == _INTEGER and not isinstance(value, int):
        return False
    if not isinstance(value, int | float) or value != value:  # NaN
        return False
    return value >= 0 if zero_allowed else value > 0
