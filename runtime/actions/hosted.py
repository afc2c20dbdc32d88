"""Actions that need what only Azure's Logic Apps host has: local .NET functions
(``InvokeFunction``), inline C# (``CSharpScriptCode``) and XSLT maps (``Xslt``).

Portway cannot run them, but a definition holding one still deploys: real workflows
keep them on branches a run may never take, and tests replace them by static results
(``runtimeConfiguration.staticResult``), so the engine never calls the handler. A run
that does reach one fails that action with ``ActionTypeNotSupported``, saying what it
needs, before anything is sent anywhere.
"""

from __future__ import annotations

from runtime.actions.base import ActionContext, ActionResult
from runtime.actions.common import LeafHandler, failed

_NEEDS = {"InvokeFunction": "the Logic Apps host's local .NET functions",
          "CSharpScriptCode": "the Azure Functions C# script host",
          "Xslt": "the Logic Apps host's XSLT map engine"}


class HostOnly(LeafHandler):
    def __init__(self, action_type: str) -> None:
        self.type = action_type

    async def run(self, context: ActionContext) -> ActionResult:
        return failed("ActionTypeNotSupported",
                      f"The action '{context.action_name}' of type '{self.type}' needs "
                      f"{_NEEDS[self.type]}, which Portway does not have.")


HANDLERS = tuple(HostOnly(name) for name in _NEEDS)
