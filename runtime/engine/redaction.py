"""What the run record may not show: ``secureData`` parts and secure parameters' values.

An action with ``runtimeConfiguration.secureData.properties`` of ``inputs`` and/or
``outputs`` has those parts replaced by a notice in its stored record, as Logic Apps
hides them in run history. The values of ``securestring``/``secureobject`` parameters
are replaced by ``***`` wherever they appear in a stored record, whole or inside text.
The run in memory keeps the real values: expressions after the action still see them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from runtime.engine.policies import SECURED
from runtime.engine.state import RunState

__all__ = ["MASK", "redact", "secret_values"]

MASK = "***"


def secret_values(state: RunState) -> list[str]:
    """The secure parameters' values as text, longest first (so none hides another)."""
    version = state.version
    found: list[str] = []
    for name in version.secure_parameters:
        value = version.parameters.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            found.append(value)
        else:
            found.append(json.dumps(value, separators=(",", ":")))
            found.extend(v for v in _strings(value))
    return sorted({v for v in found if len(v) >= 3}, key=len, reverse=True)


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _mask(value: Any, secrets: list[str]) -> Any:
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, MASK)
        return value
    if isinstance(value, Mapping):
        return {key: _mask(item, secrets) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item, secrets) for item in value]
    return value


def redact(state: RunState, record: dict[str, Any]) -> dict[str, Any]:
    """The record as it may be stored and shown."""
    secured = record.get("_secured")
    secrets = secret_values(state) if state.version.secure_parameters else []
    if not secured and not secrets:
        return record
    shown = dict(record)
    for part in secured or ():
        if shown.get(part) is not None:
            shown[part] = SECURED
    if secrets:
        shown = _mask(shown, secrets)
    return shown
