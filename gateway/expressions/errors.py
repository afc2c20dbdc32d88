"""The expression engine's branch of Portway's one error tree.

Every error the engine raises on purpose is an ``ExpressionError``; nothing else (no
``RecursionError``, ``KeyError`` or ``MemoryError``) escapes ``parse`` or ``evaluate`` for
any input string::

    PortwayError                          importers.errors: code, message, details, retryable
    └── ExpressionError (400)             an expression cannot be parsed or evaluated
        ├── ExpressionSyntaxError         not well-formed; ``column`` is 1-based
        ├── ExpressionTooComplexError     over a limit: length, nesting depth, result size
        └── ExpressionEvaluationError     well-formed, but evaluation failed; ``function``
            ├── UnknownFunctionError      no function of that name in the registry
            ├── ArgumentCountError        too few or too many arguments
            ├── ArgumentTypeError         an argument of the wrong type or out of range
            └── MissingPropertyError      a property, index or named value is absent

Messages name the function, the argument position and the types involved, never the
values: an argument may be a connection's secret.
"""

from __future__ import annotations

from typing import Any

from importers.errors import PortwayError

__all__ = [
    "ArgumentCountError",
    "ArgumentTypeError",
    "ExpressionError",
    "ExpressionEvaluationError",
    "ExpressionSyntaxError",
    "ExpressionTooComplexError",
    "MissingPropertyError",
    "UnknownFunctionError",
]


class ExpressionError(PortwayError):
    """An expression cannot be parsed or evaluated."""

    code = "InvalidExpression"
    status_code = 400


class ExpressionSyntaxError(ExpressionError):
    """The expression is not well-formed; ``column`` (1-based) says where."""

    code = "ExpressionSyntaxError"

    def __init__(self, message: str, *, column: int) -> None:
        super().__init__(f"{message} at column {column}", details=[{"column": column}])
        self.column = column


class ExpressionTooComplexError(ExpressionError):
    """The expression or one of its intermediate values is over a configured limit."""

    code = "ExpressionTooComplex"


class ExpressionEvaluationError(ExpressionError):
    """Evaluation failed; ``function`` names the function involved, when there is one."""

    code = "ExpressionEvaluationError"

    def __init__(self, message: str, *, function: str | None = None,
                 details: list[dict[str, Any]] | None = None) -> None:
        detail: dict[str, Any] = {}
        if function is not None:
            detail["function"] = function
            message = f"{function}(): {message}"
        extra = list(details or [])
        super().__init__(message, details=([detail] if detail else []) + extra)
        self.function = function


class UnknownFunctionError(ExpressionEvaluationError):
    """No function of that name is registered."""

    code = "UnknownFunction"


class ArgumentCountError(ExpressionEvaluationError):
    """A function was called with too few or too many arguments."""

    code = "ArgumentCountError"


class ArgumentTypeError(ExpressionEvaluationError):
    """An argument has the wrong type, or a value outside the function's domain."""

    code = "ArgumentTypeError"


class MissingPropertyError(ExpressionEvaluationError):
    """A property, array index or named context value does not exist."""

    code = "MissingProperty"
