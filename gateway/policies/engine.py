"""Compiling a connector's policy template instances and running them on calls.

``PolicySet.compile(connector.policies)`` runs once per connector version: it checks
every instance's parameters and parses every expression, so a broken policy is found
when the connector is stored, not on the first call. Each call then runs the request
policies before the upstream call and the response policies after it, in the order the
connector declares them, skipping those scoped to other operations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.expressions import ExpressionError
from gateway.policies.errors import PolicyError, PolicyExecutionError
from gateway.policies.request import PolicyRequest, PolicyResponse
from gateway.policies.templates import COMPILERS, NOT_GATEWAY_TEMPLATES
from gateway.policies.templates._common import CompiledPolicy, Parameters, PolicyCall
from importers.model import Policy

__all__ = ["REQUEST", "PolicySet", "Selection", "SkippedPolicy", "response_sections"]

REQUEST = ("request",)
_RESPONSE = ("response",)
_FAILURE = ("response", "failure")


def response_sections(status: int) -> tuple[str, ...]:
    """The sections that run on an answer: the failure section too for 4xx and 5xx."""
    return _FAILURE if status >= 400 else _RESPONSE


@dataclass(frozen=True)
class Selection:
    """The policies that run for one operation in some sections, whether any of them
    reads or writes the body (which must then be in memory), and whether all they do is
    set request headers to values of the connection alone (``CompiledPolicy.fixed_header``:
    the same headers on every call through one connection)."""

    policies: tuple[CompiledPolicy, ...]
    uses_body: bool
    fixed_headers: bool = False


@dataclass(frozen=True)
class SkippedPolicy:
    """A template instance the gateway does not run, and why."""

    template: str
    title: str
    reason: str


class PolicySet:
    """The compiled policies of one connector version."""

    def __init__(self, policies: Sequence[CompiledPolicy],
                 skipped: Sequence[SkippedPolicy] = ()) -> None:
        self.policies = tuple(policies)
        self.skipped = tuple(skipped)
        # The selection by (operation, sections), made on an operation's first call: the
        # policies never change, and operation ids are the connector's own (an unknown
        # one cannot reach here: routing refuses it first), so this stays small.
        self._selected: dict[tuple[str, tuple[str, ...]], Selection] = {}

    @classmethod
    def compile(cls, policies: Iterable[Policy]) -> PolicySet:
        """Compile template instances; unknown templates are skipped, not errors.

        Raises:
            PolicyDefinitionError: A known template's parameters are unusable.
        """
        compiled: list[CompiledPolicy] = []
        skipped: list[SkippedPolicy] = []
        for policy in policies:
            template = policy.template.lower()
            compiler = COMPILERS.get(template)
            if compiler is None:
                reason = ("run by the workflow runtime" if template in NOT_GATEWAY_TEMPLATES
                          else "template not supported by the gateway")
                skipped.append(SkippedPolicy(template, policy.title, reason))
                continue
            compiled.append(compiler(Parameters(policy)))
        return cls(compiled, skipped)

    def selection(self, operation_id: str, sections: tuple[str, ...]) -> Selection:
        """The policies of these sections that run for ``operation_id``, in order."""
        key = (operation_id, sections)
        found = self._selected.get(key)
        if found is None:
            chosen = tuple(p for p in self.policies
                           if p.section in sections and p.applies_to(operation_id))
            found = Selection(chosen, any(p.uses_body for p in chosen),
                              bool(chosen) and all(p.fixed_header for p in chosen))
            if len(self._selected) < 10_000:
                self._selected[key] = found
        return found

    def selected(self, operation_id: str, sections: tuple[str, ...]
                 ) -> tuple[CompiledPolicy, ...]:
        """The policies of these sections that run for ``operation_id``, in order."""
        return self.selection(operation_id, sections).policies

    def needs_request_body(self, operation_id: str) -> bool:
        """Whether a request policy of this operation reads or writes the body."""
        return self.selection(operation_id, REQUEST).uses_body

    def needs_response_body(self, operation_id: str, status: int = 200) -> bool:
        """Whether a response policy of this operation reads or writes the body."""
        return self.selection(operation_id, response_sections(status)).uses_body

    def apply_request(self, request: PolicyRequest) -> None:
        """Run the request policies of ``request.operation_id`` on ``request``.

        Raises:
            PolicyExecutionError: A policy failed (an expression error, a bad URL...).
        """
        call = PolicyCall(request)
        for policy in self.selection(request.operation_id, REQUEST).policies:
            _run(policy, call)

    def apply_response(self, request: PolicyRequest, response: PolicyResponse) -> None:
        """Run the response policies (and, for a 4xx/5xx status, the failure ones).

        Raises:
            PolicyExecutionError: A policy failed.
        """
        call = PolicyCall(request, response)
        for policy in self.selection(request.operation_id,
                                     response_sections(response.status)).policies:
            _run(policy, call)

    def __len__(self) -> int:
        return len(self.policies)


def _run(policy: CompiledPolicy, call: PolicyCall) -> None:
    try:
        policy.action(call)
    except PolicyError:
        raise
    except ExpressionError as error:
        raise PolicyExecutionError(
            f"policy {policy.template!r} ({policy.title or 'untitled'}) failed: "
            f"{error.message}",
            details=[{"template": policy.template, "title": policy.title,
                      "code": error.code}, *error.details]) from None
