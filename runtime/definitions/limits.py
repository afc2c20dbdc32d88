"""Logic Apps' documented limits on a workflow definition (Microsoft's "Limits and
configuration reference for Azure Logic Apps", the Standard/single-tenant values where the
two differ), checked at deploy, and the WDL parameter types' value check.

Where Portway differs on purpose: ``MAX_TRIGGERS`` is Consumption's JSON limit (Standard
allows one trigger), because Portway deploys both forms; ``MAX_DEFINITION_BYTES`` is
Portway's own bound (the reference gives none for Standard). docs/workflows.md lists the
run-time limits beside these.

``KindLimits`` are the limits a Stateless workflow has smaller (the host settings
``Runtime.Backend.FlowDefaultForeachItemsLimit``, ``MaximumUntilLimitCount``,
``Stateless.FlowRunTimeout``, ``VariableOperation.MaximumVariableSize`` and their
``Stateless.*`` forms): refused at deploy where the
definition says them literally, applied by the engine at run time otherwise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

#: Actions per workflow, counted across every nested scope.
MAX_ACTIONS = 500
#: Nesting depth of actions (a Scope in a Foreach in an If... counts each level).
MAX_NESTING = 8
#: Triggers per workflow (Consumption's limit in JSON; Standard's is 1).
MAX_TRIGGERS = 10
#: Characters in an action or trigger name.
MAX_NAME_LENGTH = 80
#: Characters in one expression.
MAX_EXPRESSION_LENGTH = 8192
#: Variables per workflow.
MAX_VARIABLES = 250
#: Parameters per workflow (Standard's limit; Consumption's is 50).
MAX_PARAMETERS = 500
#: Bytes of a definition (Portway's bound).
MAX_DEFINITION_BYTES = 1024 * 1024
#: Cases of one Switch action.
MAX_SWITCH_CASES = 25
#: Entries of the definition's ``outputs``.
MAX_OUTPUTS = 10
#: Characters of the definition's ``description``.
MAX_DESCRIPTION_LENGTH = 256



@dataclass(frozen=True)
class KindLimits:
    """The limits that depend on a workflow's kind."""

    #: Items a ``Foreach`` may take.
    foreach_items: int
    #: The most an ``Until``'s ``limit.count`` may be.
    until_count: int
    #: The most an ``Until``'s ``limit.timeout`` may be, in seconds (None: no bound but
    #: the run's own duration).
    until_timeout: float | None
    #: How long a run may last, in seconds (None: the ``[runtime] run_duration_days``
    #: setting, Logic Apps' ``Runtime.Backend.FlowRunTimeout``).
    run_duration: float | None
    #: The most a variable may hold, in bytes of its content (a string's UTF-8, any other
    #: value's JSON): Logic Apps' ``Runtime.Backend.VariableOperation.MaximumVariableSize``
    #: (None: Stateful's 104,857,600, which the expression engine's own bounds keep).
    variable_bytes: int | None


STATEFUL = KindLimits(foreach_items=100_000, until_count=5_000, until_timeout=None,
                      run_duration=None, variable_bytes=None)
STATELESS = KindLimits(foreach_items=100, until_count=100, until_timeout=300.0,
                       run_duration=300.0, variable_bytes=1024)


def limits_of(kind: str) -> KindLimits:
    """The limits of a workflow of ``kind`` (``Stateful`` or ``Stateless``)."""
    return STATELESS if kind == "Stateless" else STATEFUL


NAME = re.compile(r"[A-Za-z0-9._-]{1,200}")


def fits(kind: str, value: Any) -> bool:
    """Whether ``value`` is of the WDL parameter type ``kind`` (any case).

    A string that is an expression (``@appsetting('x')``...) fits every type: it is read
    when a run starts.
    """
    if isinstance(value, str) and value.startswith("@") and not value.startswith("@@"):
        return True
    kind = kind.lower()
    if kind in ("string", "securestring"):
        return isinstance(value, str)
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "array":
        return isinstance(value, list)
    if kind in ("object", "secureobject"):
        return isinstance(value, dict)
    return False
