"""The root of Portway's one error tree, and the importers' branch of it.

``importers`` depends on nothing else of ours, so the root of the tree lives here and the
gateway extends it (``gateway.errors`` draws the whole tree)::

    PortwayError                      code, message, details, retryable
    └── SpecError                     a document could not be turned into a connector (422)
        ├── SpecSyntaxError           not JSON/YAML/XML at all; carries line and column
        ├── SpecTooLargeError         over the size or nesting-depth limits (413)
        ├── UnsupportedSpecError      a format or version Portway does not import
        └── UnsafeSpecError           DTDs, entities or a forbidden fetch in the document
"""

from __future__ import annotations

from typing import Any


class PortwayError(Exception):
    """Base of every error Portway raises on purpose.

    Attributes:
        code: A stable, machine-readable identifier such as ``"SpecSyntaxError"``.
        message: A sentence for a person; never contains a secret.
        details: Structured extra facts (JSON pointers, line numbers, names).
        retryable: Whether the same call may succeed if tried again unchanged.
    """

    code: str = "InternalError"
    status_code: int = 500
    retryable: bool = False

    def __init__(
        self,
        message: str,
        *,
        details: list[dict[str, Any]] | None = None,
        code: str | None = None,
        retryable: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: list[dict[str, Any]] = list(details or [])
        if code is not None:
            self.code = code
        if retryable is not None:
            self.retryable = retryable

    def __str__(self) -> str:
        return self.message


class SpecError(PortwayError):
    """A document could not be turned into a connector."""

    code = "InvalidSpec"
    status_code = 422


class SpecSyntaxError(SpecError):
    """The document is not well-formed; ``line`` and ``column`` say where (1-based)."""

    code = "SpecSyntaxError"

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 source: str | None = None) -> None:
        detail: dict[str, Any] = {}
        if source is not None:
            detail["source"] = source
        if line is not None:
            detail["line"] = line
        if column is not None:
            detail["column"] = column
        where = f" at line {line}, column {column}" if line is not None else ""
        super().__init__(f"{message}{where}", details=[detail] if detail else None)
        self.line = line
        self.column = column


class SpecTooLargeError(SpecError):
    """The document is over the configured size or nesting-depth limit."""

    code = "SpecTooLarge"
    status_code = 413


class UnsupportedSpecError(SpecError):
    """The document is of a format or version Portway does not import."""

    code = "UnsupportedSpec"


class UnsafeSpecError(SpecError):
    """The document asks for something forbidden: a DTD, an entity, a blocked fetch."""

    code = "UnsafeSpec"
