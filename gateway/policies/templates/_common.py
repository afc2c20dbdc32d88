"""What every template compiler shares: reading parameters, and the compiled form."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from gateway.expressions import (
    DEFAULT,
    EvaluationContext,
    ExpressionError,
    FunctionRegistry,
)
from gateway.policies.errors import PolicyDefinitionError
from gateway.policies.request import PolicyRequest, PolicyResponse
from gateway.policies.text import PolicyText, calls, compile_text
from importers.model import Policy

PREFIX = "x-ms-apimTemplateParameter."
SECTION_KEY = "x-ms-apimTemplate-policySection"

Section = Literal["request", "response", "failure"]


def _item(ctx: EvaluationContext) -> Any:
    return ctx.get("item")


def _build_registry() -> FunctionRegistry:
    registry = DEFAULT.extend()
    registry.register("item", _item, 0, 0, measured=False)
    return registry.freeze()


#: The functions policy texts may call: the default library plus ``item()``.
POLICY_FUNCTIONS = _build_registry()


@dataclass
class PolicyCall:
    """One application of policies: the request, and the response once there is one."""

    request: PolicyRequest
    response: PolicyResponse | None = None
    registry: FunctionRegistry = POLICY_FUNCTIONS
    _query: dict[str, str] | None = field(default=None, repr=False)

    @property
    def body(self) -> Any:
        """The body the current section works on."""
        return self.response.body if self.response is not None else self.request.body

    @body.setter
    def body(self, value: Any) -> None:
        if self.response is not None:
            self.response.body = value
        else:
            self.request.body = value

    def context(self, item: Any = None) -> EvaluationContext:
        """The expression context: connection parameters, request headers and query,
        the section's body, path parameters and the current ``item``."""
        return EvaluationContext(_PolicyNames(self, item))

    def value(self, text: PolicyText, item: Any = None) -> Any:
        memo = self._memo(text)
        if memo is None:
            return text.value(self.context(item), self.registry)
        key = ("value", id(text))  # the text lives as long as the memo (its policy)
        if key not in memo:
            memo[key] = text.value(self.context(item), self.registry)
        return memo[key]

    def string(self, text: PolicyText, item: Any = None) -> str:
        memo = self._memo(text)
        if memo is None:
            return text.string(self.context(item), self.registry)
        key = ("string", id(text))
        found: str | None = memo.get(key)
        if found is None:
            found = memo[key] = text.string(self.context(item), self.registry)
        return found

    def _memo(self, text: PolicyText) -> dict[Any, Any] | None:
        """Where the value of a text that reads only connection parameters is kept."""
        if not text.connection_only or self.registry is not POLICY_FUNCTIONS:
            return None
        return self.request.memo


class _PolicyNames(Mapping[str, Any]):
    """The names policy expressions read, each made when an expression reads it (most
    read one or two): the request's as they are at that moment."""

    __slots__ = ("_call", "_item")

    def __init__(self, call: PolicyCall, item: Any) -> None:
        self._call = call
        self._item = item

    def _query(self) -> dict[str, str]:
        query: dict[str, str] = {}
        for name, value in self._call.request.query:
            query.setdefault(name, value)
        return query

    def __getitem__(self, name: str) -> Any:
        request = self._call.request
        if name == "connectionParameters":
            return request.connection_parameters
        if name == "headers":
            return request.headers
        if name == "queryParameters":
            return self._query()
        if name == "body":
            return self._call.body
        if name == "parameters":
            return {**self._query(), **request.path_parameters}
        if name == "item":
            return self._item
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return iter(_NAMES)

    def __len__(self) -> int:
        return len(_NAMES)


_NAMES = ("connectionParameters", "headers", "queryParameters", "body", "parameters", "item")

Action = Callable[[PolicyCall], None]


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy template instance made ready to run.

    Attributes:
        template: The template id, lower case.
        title: The instance's title, for messages.
        section: When it runs: on the request, on the response, or on failed responses.
        operations: The operationIds it applies to; empty for every operation.
        action: Applies the policy to a call.
        uses_body: Whether it reads or writes the body (so the body must be buffered).
        fixed_header: Whether all it does is set a request header to a value read from
            the connection's parameters alone (or a literal), whatever the call: its
            effect is then the same on every call through one connection.
    """

    template: str
    title: str
    section: Section
    operations: frozenset[str]
    action: Action
    uses_body: bool = False
    fixed_header: bool = False

    def applies_to(self, operation_id: str) -> bool:
        """Whether this policy runs for ``operation_id``."""
        return not self.operations or operation_id in self.operations


class Parameters:
    """Typed access to one template instance's parameters, with precise errors."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.values = policy.parameters

    def error(self, message: str, key: str | None = None) -> PolicyDefinitionError:
        return PolicyDefinitionError(message, template=self.policy.template,
                                     title=self.policy.title, parameter=key)

    def raw(self, name: str) -> Any:
        return self.values.get(PREFIX + name)

    def string(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self.raw(name)
        if value is None or value == "":
            if required:
                raise self.error("a required parameter is missing", PREFIX + name)
            return default
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (int, float)):
            return str(value)
        if not isinstance(value, str):
            raise self.error("the parameter must be a string", PREFIX + name)
        return value

    def text(self, name: str, *, required: bool = True) -> PolicyText:
        source = self.string(name, required=required)
        try:
            text = compile_text(source)
        except ExpressionError as error:
            raise self.error(f"the expression does not parse: {error}", PREFIX + name) \
                from None
        # Unknown functions and wrong argument counts are found now, not on a call.
        for node in text.nodes:
            for call in calls(node):
                spec = POLICY_FUNCTIONS.lookup(call.name)
                if spec is None:
                    raise self.error(f"the function '{call.name}' is not defined",
                                     PREFIX + name)
                count = len(call.args)
                if count < spec.min_args or (spec.max_args is not None
                                             and count > spec.max_args):
                    raise self.error(f"{spec.name}() is given {count} argument(s)",
                                     PREFIX + name)
        return text

    def flag(self, name: str, default: bool) -> bool:
        value = self.raw(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise self.error("the parameter must be true or false", PREFIX + name)

    def section(self, default: Section, allowed: tuple[Section, ...]) -> Section:
        value = self.values.get(SECTION_KEY)
        if value is None or value == "":
            return default
        section = str(value).strip().lower()
        if section not in allowed:  # narrows ``section`` to a Section
            raise self.error(f"this template cannot run in the {value!r} section",
                             SECTION_KEY)
        return section

    def compiled(self, section: Section, action: Action, *,
                 uses_body: bool = False, fixed_header: bool = False) -> CompiledPolicy:
        return CompiledPolicy(self.policy.template, self.policy.title, section,
                              frozenset(self.policy.operations), action, uses_body,
                              fixed_header)
