"""The connector policies' branch of Portway's one error tree::

    PortwayError                          importers.errors
    └── PolicyError (500)                 a connector policy could not be applied
        ├── PolicyDefinitionError (422)   a template instance's parameters are unusable;
        │                                 raised when the policies are compiled
        └── PolicyExecutionError (400)    applying a policy to this call failed (an
                                          expression error, a missing connection value)

Messages name the template, the policy's title and the parameter, never the values the
policy would have written (they may be credentials).
"""

from __future__ import annotations

from typing import Any

from importers.errors import PortwayError

__all__ = ["PolicyDefinitionError", "PolicyError", "PolicyExecutionError"]


class PolicyError(PortwayError):
    """A connector policy could not be applied."""

    code = "PolicyError"
    status_code = 500


class PolicyDefinitionError(PolicyError):
    """A policy template instance's parameters are missing or malformed."""

    code = "InvalidPolicy"
    status_code = 422

    def __init__(self, message: str, *, template: str, title: str = "",
                 parameter: str | None = None, details: list[dict[str, Any]] | None = None
                 ) -> None:
        detail: dict[str, Any] = {"template": template}
        if title:
            detail["title"] = title
        if parameter:
            detail["parameter"] = parameter
        super().__init__(f"policy {template!r}: {message}", details=[detail, *(details or [])])


class PolicyExecutionError(PolicyError):
    """Applying a policy to this call failed."""

    code = "PolicyFailed"
    status_code = 400
