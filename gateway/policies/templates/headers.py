"""``setheader`` and ``setqueryparameter``: add or change a header or query parameter.

``existsAction`` says what to do when the name is already present: ``override`` (the
default) replaces it, ``skip`` keeps it, ``append`` adds the new value after the old one
(a header's values are joined with a comma; a query parameter is repeated), ``delete``
removes it.
"""

from __future__ import annotations

from gateway.policies.templates._common import CompiledPolicy, Parameters, PolicyCall

_ACTIONS = ("override", "skip", "append", "delete")


def _exists_action(params: Parameters) -> str:
    action = params.string("existsAction", required=False, default="override").lower()
    if action not in _ACTIONS:
        raise params.error("existsAction must be override, skip, append or delete",
                           "x-ms-apimTemplateParameter.existsAction")
    return action


def compile_setheader(params: Parameters) -> CompiledPolicy:
    """Compile a ``setheader`` instance (request or response section)."""
    name = params.string("name").strip().lower()
    value = params.text("value", required=False)
    action = _exists_action(params)
    section = params.section("request", ("request", "response", "failure"))

    def apply(call: PolicyCall) -> None:
        headers = call.response.headers if call.response is not None else call.request.headers
        present = name in headers
        if action == "delete":
            headers.pop(name, None)
        elif action == "skip" and present:
            return
        elif action == "append" and present:
            headers[name] = headers[name] + "," + call.string(value)
        else:
            headers[name] = call.string(value)

    return params.compiled(section, apply, fixed_header=(
        section == "request" and action == "override"
        and (value.is_literal or value.connection_only)))


def compile_setqueryparameter(params: Parameters) -> CompiledPolicy:
    """Compile a ``setqueryparameter`` instance (request section)."""
    name = params.string("name").strip()
    value = params.text("value", required=False)
    action = _exists_action(params)
    section = params.section("request", ("request",))

    def apply(call: PolicyCall) -> None:
        query = call.request.query
        present = any(key == name for key, _ in query)
        if action == "delete":
            query[:] = [(k, v) for k, v in query if k != name]
        elif action == "skip" and present:
            return
        elif action == "append" and present:
            query.append((name, call.string(value)))
        else:
            text = call.string(value)
            query[:] = [(k, v) for k, v in query if k != name]
            query.append((name, text))

    return params.compiled(section, apply)
