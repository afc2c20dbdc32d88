"""The ``x-ms-*`` vocabulary shared by Swagger 2.0 and OpenAPI 3.x connectors.

Power Platform publishers annotate parameters and operations with ``x-ms-summary``,
``x-ms-visibility``, ``x-ms-url-encoding`` and the dynamic extensions. They mean the same in
both formats, so both importers read them here. Any other ``x-`` key is kept verbatim in the
model's ``extensions``; an invalid value of a known one is a warning that names it.
"""

from __future__ import annotations

from typing import Any, Literal, cast

from importers.model import Finding, Visibility

DYNAMIC = (
    "x-ms-dynamic-values", "x-ms-dynamic-schema", "x-ms-dynamic-properties",
    "x-ms-dynamic-list", "x-ms-dynamic-tree",
)
_VISIBILITIES = ("important", "advanced", "internal", "none")
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# The operation extensions the model has fields for; not kept again in ``extensions``.
OPERATION_FIELDS = (
    "x-ms-visibility", "x-ms-pageable", "x-ms-trigger", "x-ms-trigger-metadata",
    "x-ms-trigger-hint",
)


def visibility(value: Any, where: str, findings: list[Finding]) -> Visibility | None:
    """Reads ``x-ms-visibility``; an unknown value is a warning and reads as unset."""
    if value is None:
        return None
    if isinstance(value, str) and value.lower() in _VISIBILITIES:
        return cast(Visibility, value.lower())
    if value == "":
        return None
    findings.append(Finding(
        rule="extension-value", severity="warning", pointer=where + "/x-ms-visibility",
        message=f"x-ms-visibility {value!r} is not one of {', '.join(_VISIBILITIES)}; ignored",
    ))
    return None


def url_encoding(value: Any, where: str, findings: list[Finding]
                 ) -> Literal["single", "double"] | None:
    """Reads ``x-ms-url-encoding``."""
    if value is None:
        return None
    if value in ("single", "double"):
        return cast(Literal["single", "double"], value)
    findings.append(Finding(
        rule="extension-value", severity="warning", pointer=where + "/x-ms-url-encoding",
        message=f"x-ms-url-encoding {value!r} is not 'single' or 'double'; ignored",
    ))
    return None


def parameter_extras(raw: dict[str, Any], where: str, findings: list[Finding]
                     ) -> dict[str, Any]:
    """The keyword arguments of ``Parameter`` that come from ``x-`` extensions."""
    summary = raw.get("x-ms-summary")
    dynamic = {k: raw[k] for k in DYNAMIC if k in raw}
    handled = {"x-ms-summary", "x-ms-visibility", "x-ms-url-encoding", *DYNAMIC}
    return {
        "summary": summary if isinstance(summary, str) else "",
        "visibility": visibility(raw.get("x-ms-visibility"), where, findings),
        "url_encoding": url_encoding(raw.get("x-ms-url-encoding"), where, findings),
        "dynamic": dynamic,
        "extensions": {k: v for k, v in raw.items()
                       if k.startswith("x-") and k not in handled},
    }


def extension_keys(raw: dict[str, Any]) -> dict[str, Any]:
    """The ``x-`` keys of an object."""
    return {k: v for k, v in raw.items() if isinstance(k, str) and k.startswith("x-")}


def unknown_keys(raw: dict[str, Any], known: set[str] | frozenset[str], where: str,
                 what: str, findings: list[Finding]) -> None:
    """Warns about every key of ``raw`` that is neither known nor an extension."""
    for key in raw:
        if key not in known and not key.startswith("x-"):
            findings.append(Finding(
                rule="unsupported-field", severity="warning",
                pointer=f"{where}/{key.replace('~', '~0').replace('/', '~1')}",
                message=f"{what} has a field {key!r} that Portway does not support; ignored",
            ))
