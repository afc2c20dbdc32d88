"""Reading ``@appsetting('NAME')`` (and, in connections.json, ``@parameters('NAME')``)
references in deployed values, as Logic Apps Standard does when it loads a workflow.

A string that is exactly one reference becomes the referenced value (a parameter keeps its
type); references inside a longer string are replaced by the value's text. An app setting
that is not set reads as the empty string, as in Logic Apps.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from runtime.engine.interface import AppSettings

_REFERENCE = re.compile(r"@(appsetting|parameters)\('([^']*)'\)", re.IGNORECASE)


def resolve_settings(value: Any, app_settings: AppSettings,
                     parameters: Mapping[str, Any] | None = None) -> Any:
    """``value`` with its references read (``parameters`` None: parameters untouched)."""
    if isinstance(value, dict):
        return {k: resolve_settings(v, app_settings, parameters) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_settings(v, app_settings, parameters) for v in value]
    if not isinstance(value, str) or "@" not in value:
        return value

    def read(kind: str, name: str) -> Any:
        if kind.lower() == "appsetting":
            return app_settings.get(name) or ""
        assert parameters is not None
        return parameters.get(name)

    whole = _REFERENCE.fullmatch(value)
    if whole and (whole.group(1).lower() == "appsetting" or parameters is not None):
        return read(whole.group(1), whole.group(2))

    def replace(match: re.Match[str]) -> str:
        if match.group(1).lower() == "parameters" and parameters is None:
            return match.group(0)
        found = read(match.group(1), match.group(2))
        return found if isinstance(found, str) else json.dumps(found)

    return _REFERENCE.sub(replace, value)
