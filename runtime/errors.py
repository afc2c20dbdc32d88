"""The runtime's branch of Portway's one error tree (``gateway.errors`` draws the root).

::

    gateway.BadRequest (400)
    ├── DefinitionInvalid (400)      a workflow does not validate: every finding, with
    │                                its file and JSON pointer, in ``details``
    ├── TriggerRequestInvalid (400)  a trigger call's body breaks the trigger's schema
    └── RecurrenceInvalid (400)      a trigger's recurrence cannot be scheduled
    gateway.Unauthenticated (401)
    └── SignatureInvalid (401)       a trigger URL's signature is missing, wrong or stale
    gateway.Conflict (409)
    └── WorkflowDisabled (409)       a disabled workflow's trigger was called
    gateway.UpstreamError (502)
    └── NoResponse (502)             a run polled for its asynchronous Response ended
                                     without one
"""

from __future__ import annotations

from gateway import BadRequest, Conflict, Unauthenticated, UpstreamError


class DefinitionInvalid(BadRequest):
    """A workflow definition (or a project around it) does not validate."""

    code = "InvalidDefinition"


class TriggerRequestInvalid(BadRequest):
    """A trigger call does not satisfy what its trigger asks for."""

    code = "InvalidRequestContent"


class RecurrenceInvalid(BadRequest):
    """A trigger's ``recurrence`` block names no schedule Portway can compute."""

    code = "InvalidTriggerRecurrence"


class SignatureInvalid(Unauthenticated):
    """A trigger URL's signature does not hold."""

    code = "DirectApiAuthorizationRequired"


class WorkflowDisabled(Conflict):
    code = "WorkflowDisabled"


class NoResponse(UpstreamError):
    code = "NoResponse"
    retryable = False
