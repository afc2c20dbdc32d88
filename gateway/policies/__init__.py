"""Connector policies: the policy templates of ``apiProperties.json``, run by the gateway.

Compile a connector's ``policies`` once per version, then apply them to every call::

    from gateway.policies import PolicyRequest, PolicySet

    policies = PolicySet.compile(connector.policies)
    request = PolicyRequest(method="GET", base_url=connector.base_url, path="/items",
                            operation_id="ListItems", connection_parameters=values)
    policies.apply_request(request)          # before the upstream call
    policies.apply_response(request, reply)  # after it

Supported templates: setheader, setqueryparameter, dynamichosturl (and
dynamicsubdomain), routerequesttoendpoint, setproperty, convertobjecttoarray,
convertarraytoobject, stringreplace, stringtoarray, moveproperties, updatenextlink.
Others are listed in ``PolicySet.skipped`` with the reason.

``compile_policies(connector)`` is the proxy pipeline's hook: it returns a
``CallPolicies`` that works on the pipeline's call and upstream response directly.
"""

from __future__ import annotations

from gateway.policies.dataplane import CallPolicies, compile_policies
from gateway.policies.engine import PolicySet, SkippedPolicy
from gateway.policies.errors import PolicyDefinitionError, PolicyError, PolicyExecutionError
from gateway.policies.paths import BodyPath, parse_path
from gateway.policies.request import PolicyRequest, PolicyResponse
from gateway.policies.templates._common import POLICY_FUNCTIONS, CompiledPolicy
from gateway.policies.text import PolicyText, compile_text

__all__ = [
    "POLICY_FUNCTIONS",
    "BodyPath",
    "CallPolicies",
    "CompiledPolicy",
    "PolicyDefinitionError",
    "PolicyError",
    "PolicyExecutionError",
    "PolicyRequest",
    "PolicyResponse",
    "PolicySet",
    "PolicyText",
    "SkippedPolicy",
    "compile_policies",
    "compile_text",
    "parse_path",
]
