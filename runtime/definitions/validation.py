"""Deploy-time validation of a workflow: every problem found at once, never at run.

Checks, each reported with its file and JSON pointer: the definition's shape, trigger and
action types (leaf types from ``runtime.actions.registry``, control types from
``runtime.engine.CONTROL_TYPES``), each handler's own ``validate``, ``runAfter`` naming a
missing action or one outside the scope and the statuses it may name, cycles, expressions
that do not parse or call unknown functions, references to undeclared parameters,
actions, variables and connections, parameter types and values, and Logic Apps'
documented limits (``limits.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.expressions import (
    Access,
    Call,
    ExpressionError,
    FunctionRegistry,
    Literal,
    Node,
    parse,
)
from runtime.definitions import limits
from runtime.definitions.model import KINDS, PARAMETER_TYPES, Finding, WorkflowSpec
from runtime.engine.clock import parse_duration

#: Trigger types of the WDL (lower case). Portway fires Request and Recurrence itself;
#: the others are accepted and validated as far as their shape goes.
TRIGGER_TYPES = frozenset({"request", "recurrence", "http", "httpwebhook", "apiconnection",
                           "apiconnectionwebhook", "serviceprovider", "slidingwindow",
                           "manual"})
RUN_AFTER_STATUSES = frozenset({"succeeded", "failed", "skipped", "timedout"})
#: Functions whose first literal argument names an action.
_ACTION_FUNCTIONS = frozenset({"actions", "action", "body", "outputs", "actionbody",
                               "actionoutputs", "result", "formdatavalue",
                               "formdatamultivalues", "multipartbody"})
_VARIABLE_ACTIONS = frozenset({"setvariable", "incrementvariable", "decrementvariable",
                               "appendtoarrayvariable", "appendtostringvariable"})
#: Keys of an action holding the actions of its inner scopes (not expressions of its own).
_NESTED_KEYS = frozenset({"actions", "else", "cases", "default"})


@dataclass
class _Walk:
    spec: WorkflowSpec
    leaf_types: frozenset[str]
    control_types: frozenset[str]
    functions: FunctionRegistry | None
    findings: list[Finding] = field(default_factory=list)
    actions: dict[str, str] = field(default_factory=dict)  # name -> pointer
    variables: set[str] = field(default_factory=set)
    count: int = 0

    def add(self, pointer: str, message: str, file: str | None = None) -> None:
        self.findings.append(Finding(file or self.spec.source, pointer, message))

    def at(self, relative: str) -> str:
        return self.spec.pointer + relative

    def named_object(self, what: str, name: str, value: Any, pointer: str) -> bool:
        """Check an action's or trigger's (``what``: "an action", "a trigger") name length
        and that it is an object; True when it is one (its own checks can go on)."""
        if len(name) > limits.MAX_NAME_LENGTH:
            self.add(self.at(pointer), f"{what} name has at most {limits.MAX_NAME_LENGTH} "
                                       "characters")
        if not isinstance(value, dict):
            self.add(self.at(pointer), f"{what} must be an object")
            return False
        return True


def validate(spec: WorkflowSpec, *, leaf_types: frozenset[str],
             control_types: frozenset[str], functions: FunctionRegistry | None = None
             ) -> list[Finding]:
    """Every problem of one workflow; an empty list when it may be deployed.

    Args:
        spec: The workflow.
        leaf_types: Leaf action types that have a handler (lower case).
        control_types: The engine's control action types (lower case).
        functions: The expression functions a run may call; unknown ones are findings
            (None skips that check).
    """
    walk = _Walk(spec, leaf_types, frozenset(t.lower() for t in control_types), functions)
    definition = spec.definition
    if not limits.NAME.fullmatch(spec.name):
        walk.add("", f"{spec.name!r} is not a valid workflow name (letters, digits, "
                     "'.', '_' and '-', at most 200)")
    if spec.kind not in KINDS:
        walk.add("/kind" if spec.pointer == "/definition" else "",
                 f"kind must be Stateful or Stateless, not {spec.kind!r}")
    for key in ("triggers", "actions", "parameters", "outputs", "staticResults"):
        if key in definition and not isinstance(definition[key], dict):
            walk.add(walk.at(f"/{key}"), f"'{key}' must be an object")
    if walk.findings:
        return walk.findings
    _collect(walk, definition.get("actions") or {}, "/actions", 1)
    _parameters(walk)
    triggers = definition.get("triggers") or {}
    if len(triggers) > limits.MAX_TRIGGERS:
        walk.add(walk.at("/triggers"), f"a workflow has at most {limits.MAX_TRIGGERS} "
                                       f"triggers, not {len(triggers)}")
    for name, trigger in triggers.items():
        _trigger(walk, name, trigger, f"/triggers/{_escape(name)}")
    if walk.count > limits.MAX_ACTIONS:
        walk.add(walk.at("/actions"), f"a workflow has at most {limits.MAX_ACTIONS} actions, "
                                      f"not {walk.count}")
    if len(definition.get("outputs") or {}) > limits.MAX_OUTPUTS:
        walk.add(walk.at("/outputs"), f"a workflow has at most {limits.MAX_OUTPUTS} outputs")
    description = definition.get("description")
    if isinstance(description, str) and len(description) > limits.MAX_DESCRIPTION_LENGTH:
        walk.add(walk.at("/description"), "a description has at most "
                                          f"{limits.MAX_DESCRIPTION_LENGTH} characters")
    if len(walk.variables) > limits.MAX_VARIABLES:
        walk.add(walk.at("/actions"), f"a workflow has at most {limits.MAX_VARIABLES} "
                                      "variables")
    _scope(walk, definition.get("actions") or {}, "/actions")
    for key in ("outputs", "staticResults"):
        _expressions(walk, definition.get(key) or {}, f"/{key}")
    return walk.findings


def _collect(walk: _Walk, actions: Any, pointer: str, depth: int) -> None:
    """Every action's name (unique across the definition), the variables, the count."""
    if not isinstance(actions, dict):
        walk.add(walk.at(pointer), "'actions' must be an object")
        return
    if depth > limits.MAX_NESTING:
        walk.add(walk.at(pointer), f"actions are nested deeper than {limits.MAX_NESTING} "
                                   "levels")
        return
    for name, action in actions.items():
        here = f"{pointer}/{_escape(name)}"
        walk.count += 1
        if name in walk.actions:
            walk.add(walk.at(here), f"the action name {name!r} is used twice")
        walk.actions[name] = here
        if not walk.named_object("an action", name, action, here):
            continue
        cases = action.get("cases")
        if isinstance(cases, dict) and len(cases) > limits.MAX_SWITCH_CASES:
            walk.add(walk.at(f"{here}/cases"), "a Switch has at most "
                                               f"{limits.MAX_SWITCH_CASES} cases")
        _kind_limits(walk, action, here)
        if str(action.get("type", "")).lower() == "initializevariable":
            for var in ((action.get("inputs") or {}).get("variables") or []):
                if isinstance(var, dict) and isinstance(var.get("name"), str):
                    walk.variables.add(var["name"].lower())
        for inner, inner_pointer in _inner_scopes(action, here):
            _collect(walk, inner, inner_pointer, depth + 1)


def _kind_limits(walk: _Walk, action: Mapping[str, Any], pointer: str) -> None:
    """A loop's literal items, count or timeout over the limits of the workflow's kind
    (an expression's value is bounded at run time instead)."""
    most = limits.limits_of(walk.spec.kind)
    kind = str(action.get("type", "")).lower()
    items = action.get("foreach")
    if kind == "foreach" and isinstance(items, list) and len(items) > most.foreach_items:
        walk.add(walk.at(f"{pointer}/foreach"), f"a Foreach of a {walk.spec.kind} workflow "
                 f"takes at most {most.foreach_items} items, not {len(items)}")
    limit = action.get("limit")
    if kind != "until" or not isinstance(limit, Mapping):
        return
    count = limit.get("count")
    if isinstance(count, int) and not isinstance(count, bool) and count > most.until_count:
        walk.add(walk.at(f"{pointer}/limit/count"), f"an Until of a {walk.spec.kind} "
                 f"workflow runs at most {most.until_count} times, not {count}")
    timeout = limit.get("timeout")
    seconds = parse_duration(timeout) if isinstance(timeout, str) else None
    if most.until_timeout is not None and seconds is not None and seconds > most.until_timeout:
        walk.add(walk.at(f"{pointer}/limit/timeout"), f"an Until of a {walk.spec.kind} "
                 f"workflow waits at most {most.until_timeout:g} seconds, not {timeout!r}")


def _inner_scopes(action: Mapping[str, Any], pointer: str) -> Iterator[tuple[Any, str]]:
    if "actions" in action:
        yield action["actions"], f"{pointer}/actions"
    for key in ("else", "default"):
        branch = action.get(key)
        if isinstance(branch, dict) and "actions" in branch:
            yield branch["actions"], f"{pointer}/{key}/actions"
    cases = action.get("cases")
    if isinstance(cases, dict):
        for case, body in cases.items():
            if isinstance(body, dict) and "actions" in body:
                yield body["actions"], f"{pointer}/cases/{_escape(case)}/actions"


def _scope(walk: _Walk, actions: dict[str, Any], pointer: str) -> None:
    """One scope's actions: types, runAfter within the scope, cycles, then inner scopes."""
    graph: dict[str, list[str]] = {}
    for name, action in actions.items():
        here = f"{pointer}/{_escape(name)}"
        if not isinstance(action, dict):
            continue
        _action(walk, name, action, here)
        graph[name] = []
        # LogicAppUnit writes "runAfter": null; Logic Apps runs it as {} (first in scope).
        run_after = action.get("runAfter") or {}
        if not isinstance(run_after, dict):
            walk.add(walk.at(f"{here}/runAfter"), "'runAfter' must be an object")
            continue
        for before, statuses in run_after.items():
            where = walk.at(f"{here}/runAfter/{_escape(before)}")
            if before not in actions:
                elsewhere = " (it is outside this action's scope)" \
                    if before in walk.actions else ""
                walk.add(where, f"runAfter names {before!r}, which is not an action of "
                                f"this scope{elsewhere}")
                continue
            graph[name].append(before)
            if not isinstance(statuses, list) or not all(
                    isinstance(s, str) and s.lower() in RUN_AFTER_STATUSES for s in statuses):
                walk.add(where, "runAfter statuses must be a list of Succeeded, Failed, "
                                "Skipped or TimedOut")
        for inner, inner_pointer in _inner_scopes(action, here):
            if isinstance(inner, dict):
                _scope(walk, inner, inner_pointer)
    cycle = _find_cycle(graph)
    if cycle:
        walk.add(walk.at(pointer), "runAfter makes a cycle: " + " -> ".join(cycle))


def _find_cycle(graph: dict[str, list[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    for start in graph:
        if state.get(start):
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(graph[start]))]
        path = [start]
        state[start] = 1
        while stack:
            node, edges = stack[-1]
            nxt = next(edges, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
                path.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(graph.get(nxt, []))))
                path.append(nxt)
    return None


def _action(walk: _Walk, name: str, action: dict[str, Any], pointer: str) -> None:
    kind = action.get("type")
    if not isinstance(kind, str) or not kind:
        walk.add(walk.at(f"{pointer}/type"), "an action needs a 'type'")
        return
    key = kind.lower()
    if key not in walk.leaf_types and key not in walk.control_types:
        walk.add(walk.at(f"{pointer}/type"), f"unknown action type {kind!r}")
    elif key in walk.leaf_types:
        # Imported here: the registry's handlers register themselves on first use.
        from runtime.actions.registry import handler_for

        handler = handler_for(key)
        if handler is not None:
            for finding in handler.validate(action, walk.at(pointer)):
                walk.add(finding.pointer, finding.message)
    if key in _VARIABLE_ACTIONS:
        var = (action.get("inputs") or {}).get("name") if isinstance(
            action.get("inputs"), dict) else None
        if isinstance(var, str) and var.lower() not in walk.variables:
            walk.add(walk.at(f"{pointer}/inputs/name"),
                     f"no InitializeVariable declares the variable {var!r}")
    if key == "apiconnection" or key == "apiconnectionwebhook":
        _connection_reference(walk, action, pointer)
    if key == "serviceprovider":
        _service_provider(walk, action, pointer, trigger=False)
    own = {k: v for k, v in action.items() if k not in _NESTED_KEYS}
    if isinstance(action.get("else"), dict):
        own["else"] = {k: v for k, v in action["else"].items() if k != "actions"}
    _expressions(walk, own, pointer)


def _service_provider(walk: _Walk, node: dict[str, Any], pointer: str, *,
                      trigger: bool) -> None:
    """A ``ServiceProvider`` action's or trigger's connector, operation and connection
    (``runtime.builtins.addressing``; an action's handler checks the names it knows)."""
    from runtime.builtins.addressing import connection_problems, operation_problems

    inputs = node.get("inputs")
    config = inputs.get("serviceProviderConfiguration") if isinstance(inputs, dict) else None
    where = f"{pointer}/inputs/serviceProviderConfiguration"
    if not isinstance(config, dict):
        if trigger:
            walk.add(walk.at(where), "a ServiceProvider trigger needs a "
                                     "serviceProviderConfiguration object")
        return
    provider_id = config.get("serviceProviderId")
    for name, message in operation_problems(provider_id, config.get("operationId"),
                                             trigger=trigger, known_checked=not trigger):
        walk.add(walk.at(f"{where}/{name}"), message)
    conn = config.get("connectionName")
    if not isinstance(conn, str):
        if trigger:
            walk.add(walk.at(f"{where}/connectionName"), "'connectionName' is required")
        return
    entry = walk.spec.service_provider_connections.get(conn)
    if entry is None:
        walk.add(walk.at(f"{where}/connectionName"),
                 f"no service provider connection {conn!r} in connections.json")
        return
    for message in connection_problems(provider_id, conn, entry):
        walk.add(walk.at(f"{where}/connectionName"), message)


def _connection_reference(walk: _Walk, action: dict[str, Any], pointer: str) -> None:
    inputs = action.get("inputs")
    host = inputs.get("host") if isinstance(inputs, dict) else None
    connection = host.get("connection") if isinstance(host, dict) else None
    ref = connection.get("referenceName") if isinstance(connection, dict) else None
    if isinstance(ref, str) and ref not in walk.spec.connection_references:
        walk.add(walk.at(f"{pointer}/inputs/host/connection/referenceName"),
                 f"no connection reference {ref!r} (connections.json "
                 "managedApiConnections or the request's connectionReferences)")


def _trigger(walk: _Walk, name: str, trigger: Any, pointer: str) -> None:
    if not walk.named_object("a trigger", name, trigger, pointer):
        return
    kind = trigger.get("type")
    if not isinstance(kind, str) or kind.lower() not in TRIGGER_TYPES:
        walk.add(walk.at(f"{pointer}/type"), f"unknown trigger type {kind!r}")
    if isinstance(kind, str) and kind.lower() in ("apiconnection", "apiconnectionwebhook"):
        _connection_reference(walk, trigger, pointer)
    if isinstance(kind, str) and kind.lower() == "serviceprovider":
        _service_provider(walk, trigger, pointer, trigger=True)
    if isinstance(kind, str) and kind.lower() in ("httpwebhook", "apiconnectionwebhook"):
        from runtime.actions.webhooks import findings_of

        for finding in findings_of(kind.lower(), trigger, walk.at(pointer)):
            walk.add(finding.pointer, finding.message)
    inputs = trigger.get("inputs")
    if isinstance(kind, str) and kind.lower() == "request" and isinstance(inputs, dict):
        method = inputs.get("method")
        if method is not None and (not isinstance(method, str) or method.upper() not in
                                   ("GET", "POST", "PUT", "PATCH", "DELETE")):
            walk.add(walk.at(f"{pointer}/inputs/method"),
                     "method must be GET, POST, PUT, PATCH or DELETE")
        schema = inputs.get("schema")
        if schema is not None and not isinstance(schema, dict):
            walk.add(walk.at(f"{pointer}/inputs/schema"), "schema must be an object")
    if isinstance(kind, str) and kind.lower() in ("recurrence", "slidingwindow") \
            and "recurrence" not in trigger:
        walk.add(walk.at(pointer), f"a {kind} trigger needs a recurrence")
    if "recurrence" in trigger:
        _recurrence(walk, trigger["recurrence"], f"{pointer}/recurrence")
    from runtime.triggers.concurrency import concurrency_findings

    for where, message in concurrency_findings(trigger):
        walk.add(walk.at(pointer + where), message)
    _expressions(walk, trigger, pointer)


def _recurrence(walk: _Walk, block: Any, pointer: str) -> None:
    """The schedule must be one the trigger scheduler can compute (one written with
    expressions is checked when the trigger is scheduled)."""
    from runtime.errors import RecurrenceInvalid
    from runtime.triggers.schedules import parse_recurrence, written_with_expressions

    if written_with_expressions(block):
        return
    try:
        parse_recurrence(block, pointer)
    except RecurrenceInvalid as exc:
        for detail in exc.details or []:
            walk.add(walk.at(str(detail["pointer"])), str(detail["message"]))


def _parameters(walk: _Walk) -> None:
    declared = walk.spec.definition.get("parameters") or {}
    file = walk.spec.file_of("parameters")
    for name, entry in declared.items():
        here = walk.at(f"/parameters/{_escape(name)}")
        if not isinstance(entry, dict):
            walk.add(here, "a parameter must be an object")
            continue
        kind = entry.get("type")
        if not isinstance(kind, str) or kind.lower() not in PARAMETER_TYPES:
            walk.add(f"{here}/type", f"unknown parameter type {kind!r}")
        elif "defaultValue" in entry and not limits.fits(kind, entry["defaultValue"]):
            walk.add(f"{here}/defaultValue", f"the default value is not of type {kind}")
    for name, entry in walk.spec.parameters.items():
        kind = entry.get("type") or (declared.get(name) or {}).get("type", "")
        where = f"/parameters/{_escape(name)}" if file == "request" else f"/{_escape(name)}"
        if not isinstance(kind, str) or (kind and kind.lower() not in PARAMETER_TYPES):
            walk.add(f"{where}/type", f"unknown parameter type {kind!r}", file)
        elif kind and not limits.fits(kind, entry.get("value")):
            walk.add(f"{where}/value", f"the value is not of type {kind}", file)
    if len(set(declared) | set(walk.spec.parameters)) > limits.MAX_PARAMETERS:
        walk.add(walk.at("/parameters"), f"a workflow has at most {limits.MAX_PARAMETERS} "
                                         "parameters")
    for name, entry in declared.items():
        if isinstance(entry, dict) and "defaultValue" not in entry and \
                name not in walk.spec.parameters:
            walk.add(walk.at(f"/parameters/{_escape(name)}"),
                     f"the parameter {name!r} has no value and no defaultValue")


def _expressions(walk: _Walk, value: Any, pointer: str) -> None:
    """Parse every string below ``value``; check the functions and names they use."""
    if isinstance(value, dict):
        for key, item in value.items():
            _expressions(walk, item, f"{pointer}/{_escape(str(key))}")
        return
    if isinstance(value, list):
        for index, item in enumerate(value):
            _expressions(walk, item, f"{pointer}/{index}")
        return
    if not isinstance(value, str) or "@" not in value:
        return
    where = walk.at(pointer)
    if len(value) > limits.MAX_EXPRESSION_LENGTH:
        walk.add(where, f"an expression has at most {limits.MAX_EXPRESSION_LENGTH} "
                        "characters")
        return
    try:
        template = parse(value)
    except ExpressionError as exc:
        walk.add(where, f"the expression does not parse: {exc.message}")
        return
    for part in template.parts:
        if not isinstance(part, str):
            for node in _calls(part):
                _call(walk, node, where)


def _calls(node: Node) -> Iterator[Call]:
    if isinstance(node, Call):
        yield node
        for arg in node.args:
            yield from _calls(arg)
    elif isinstance(node, Access):
        yield from _calls(node.target)
        yield from _calls(node.key)


def _call(walk: _Walk, call: Call, where: str) -> None:
    name = call.name.lower()
    if walk.functions is not None and walk.functions.lookup(name) is None:
        walk.add(where, f"unknown function {call.name!r}")
        return
    first = call.args[0] if call.args else None
    if not (isinstance(first, Literal) and isinstance(first.value, str)):
        return
    target = first.value
    if name == "parameters":
        declared = set(walk.spec.definition.get("parameters") or {}) | set(
            walk.spec.parameters) | {"$connections"}
        if target not in declared:
            walk.add(where, f"the parameter {target!r} is not declared")
    elif name in _ACTION_FUNCTIONS:
        if target not in walk.actions and target not in (
                walk.spec.definition.get("triggers") or {}):
            walk.add(where, f"{call.name}() names {target!r}, which is not an action")
    elif name == "variables" and target.lower() not in walk.variables:
        walk.add(where, f"no InitializeVariable declares the variable {target!r}")


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
