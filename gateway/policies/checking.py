"""Policies are compiled when a connector enters the catalogue, not first on a call.

A policy whose parameters do not compile would make every call through the connector a
422 ``InvalidPolicy``, blaming the caller for the publisher's mistake. ``policy_findings``
turns each such policy into an error finding (``rule: InvalidPolicy``) at import,
``validate`` and ``PUT /v1/connectors``; ``with_policy_findings`` adds them to an import's
result, which then counts as failed and stores nothing.
"""

from __future__ import annotations

from gateway.policies.engine import PolicySet
from gateway.policies.errors import PolicyDefinitionError
from importers import Connector, Finding, ImportResult


def policy_findings(connector: Connector) -> list[Finding]:
    """An error finding for each of the connector's policies that does not compile."""
    findings = []
    for policy in connector.policies:
        try:
            PolicySet.compile([policy])
        except PolicyDefinitionError as exc:
            title = f" {policy.title!r}" if policy.title else ""
            findings.append(Finding(
                rule="InvalidPolicy", severity="error",
                pointer="apiProperties.json#/properties/policyTemplateInstances",
                message=f"policy{title} ({policy.template}) does not compile: "
                        f"{exc.message}"))
    return findings


def with_policy_findings(result: ImportResult) -> ImportResult:
    """The result with its connector's policy errors added (unchanged when none)."""
    if result.connector is None:
        return result
    found = policy_findings(result.connector)
    if not found:
        return result
    return result.model_copy(update={"findings": [*result.findings, *found]})
