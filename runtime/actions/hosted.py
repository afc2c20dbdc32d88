"""Actions that need what only Azure's Logic Apps host has: local .NET functions
(``InvokeFunction``), inline C# (``CSharpScriptCode``) and XSLT maps (``Xslt``).

Portway cannot run them. A definition may still hold one when the action is replaced by
a static result (``runtimeConfiguration.staticResult`` enabled, as tests do): the engine
never calls the handler then. Without one, deploying is refused with a finding that says
why; a run that reaches one anyway fails with ``ActionTypeNotSupported``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import LeafHandler, failed

_NEEDS = {"InvokeFunction": "the Logic Apps host's local .NET functions",
          "CSharpScriptCode": "the Azure Functions C# script host",
          "Xslt": "the Logic Apps host's XSLT map engine"}


def _static_result_enabled(action: Mapping[str, Any]) -> bool:
    config = action.get("runtimeConfiguration")
    static = config.get("staticResult") if isinstance(config, Mapping) else None
    return isinstance(static, Mapping) and str(
        static.get("staticResultOptions", "")).lower() == "enabled"


class HostOnly(LeafHandler):
    def __init__(self, action_type: str) -> None:
        self.type = action_type

    def validate(self, action: Mapping[str, Any], pointer: str) -> Sequence[Finding]:
        if _static_result_enabled(action):
            return []
        return [Finding(f"{pointer}/type",
                        f"'{self.type}' actions need {_NEEDS[self.type]}, which Portway does "
                        "not have; give the action an enabled static result or replace it")]

    async def run(self, context: ActionContext) -> ActionResult:
        return failed("ActionTypeNotSupported",
                      f"The action '{context.action_name}' of type '{self.type}' needs "
                      f"{_NEEDS[self.type]}, which Portway does not have.")


HANDLERS = tuple(HostOnly(name) for name in _NEEDS)
