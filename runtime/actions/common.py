"""What every leaf handler shares: a base class with the protocol's defaults, result
builders, Logic Apps' status code words, and the deploy-time shape checks.

Shape checks never evaluate expressions: wherever a value may be computed, a string
holding an expression (``"@triggerBody()"``) stands in for any type.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from runtime.actions.base import ActionContext, ActionResult, Finding, Suspend


class LeafHandler:
    """Defaults for ``ActionHandler``: no deferred inputs, no resume, and a ``validate``
    that wants ``inputs`` to be an object and hands it to ``check_inputs``."""

    type: str = ""
    deferred_inputs: frozenset[str] = frozenset()
    pure: bool = False

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        findings: list[Finding] = []
        inputs = inputs_of(action, pointer, findings)
        if inputs is not None:
            self.check_inputs(inputs, action, pointer, findings)
        return findings

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        """The type's own checks of its ``inputs`` object; add to ``findings``."""
        return None

    async def run(self, context: ActionContext) -> ActionResult | Suspend:
        raise NotImplementedError

    async def resume(self, context: ActionContext, state: Mapping[str, Any]
                     ) -> ActionResult | Suspend:
        return failed("InternalServerError",
                      f"actions of type '{self.type}' cannot be resumed")


def succeeded(outputs: Any = None, *, code: str | None = "OK", inputs: Any = None
              ) -> ActionResult:
    return ActionResult(status="Succeeded", code=code, outputs=outputs, inputs=inputs)


def failed(code: str, message: str, *, outputs: Any = None, inputs: Any = None,
           retryable: bool = False, retry_after: float | None = None) -> ActionResult:
    return ActionResult(status="Failed", code=code, outputs=outputs, inputs=inputs,
                        error={"code": code, "message": message}, retryable=retryable,
                        retry_after=retry_after)


def status_code_word(status: int) -> str:
    """Logic Apps' code for an HTTP status: its reason phrase in PascalCase
    (``404`` is ``NotFound``, ``500`` ``InternalServerError``)."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return str(status)
    special = {"OK": "OK", "Request-URI Too Long": "RequestUriTooLong",
               "HTTP Version Not Supported": "HttpVersionNotSupported"}
    if phrase in special:
        return special[phrase]
    words = phrase.replace("-", " ").replace("'", "").split()
    return "".join(word[:1].upper() + word[1:] for word in words)


def retryable_status(status: int) -> bool:
    """Whether Logic Apps' retry policy tries a status again: 408, 429 and 5xx."""
    return status in (408, 429) or status >= 500


# --- deploy-time shape checks -------------------------------------------------------


def is_expression_text(value: Any) -> bool:
    """A string whose whole value is computed (``"@..."``, not ``"@@..."``)."""
    return isinstance(value, str) and value.startswith("@") and not value.startswith("@@")


def inputs_of(action: Mapping[str, Any], pointer: str, findings: list[Finding]
              ) -> Mapping[str, Any] | None:
    """The action's ``inputs`` as an object, or None with a finding (an expression in
    place of the whole object is accepted as None, without a finding)."""
    inputs = action.get("inputs")
    if isinstance(inputs, Mapping):
        return inputs
    if is_expression_text(inputs):
        return None
    findings.append(Finding(f"{pointer}/inputs", "'inputs' must be an object"))
    return None


def require(inputs: Mapping[str, Any], key: str, pointer: str, findings: list[Finding],
            *, kinds: tuple[type, ...] = (), what: str = "") -> Any:
    """Check that ``inputs[key]`` is present and (unless it is an expression) of one of
    ``kinds``; return it."""
    if key not in inputs:
        findings.append(Finding(f"{pointer}/inputs", f"'inputs.{key}' is required"))
        return None
    return check_kind(inputs, key, pointer, findings, kinds=kinds, what=what)


def check_kind(inputs: Mapping[str, Any], key: str, pointer: str, findings: list[Finding],
               *, kinds: tuple[type, ...] = (), what: str = "") -> Any:
    """Check an optional ``inputs[key]``'s type when it is present and not computed."""
    value = inputs.get(key)
    if value is None or not kinds or is_expression_text(value):
        return value
    ok = not (isinstance(value, bool) and bool not in kinds) and isinstance(value, kinds)
    if not ok:
        findings.append(Finding(f"{pointer}/inputs/{escape_pointer(key)}",
                                f"'inputs.{key}' must be {what or _kind_words(kinds)}"))
    return value


def _kind_words(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean",
             dict: "an object", list: "an array"}
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def escape_pointer(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def operation_options(action: Mapping[str, Any]) -> set[str]:
    """The action's ``operationOptions`` (comma-separated, case-insensitive), lower case."""
    raw = action.get("operationOptions")
    if not isinstance(raw, str):
        return set()
    return {part.strip().lower() for part in raw.split(",") if part.strip()}
