"""What the run record may not show: ``secureData`` parts and secure parameters' values.

An action with ``runtimeConfiguration.secureData.properties`` of ``inputs`` and/or
``outputs`` has those parts replaced by a notice in its stored record, as Logic Apps
hides them in run history. The values of ``securestring``/``secureobject`` parameters
are replaced by ``***`` wherever they appear in a stored record, whole or inside text.
The run in memory keeps the real values: expressions after the action still see them.

What a stored record hides is sealed beside it (``_sealed``: the real parts, encrypted by
the vault's keyring for this run and action), so a run resumed after a crash or a timer
gives later actions the real values too; history never shows ``_sealed``. ``portway keys
rotate`` re-seals those, and sealed variables, under the new key (``reseal_stored``)
before it retires the old one.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from gateway import Reseal
from runtime.engine.policies import SECURED
from runtime.engine.state import RunState
from runtime.store.tables import action_results, runs

__all__ = ["MASK", "Sealer", "redact", "reseal_stored", "secret_values"]

#: The parts of a record redaction may change, and so the parts sealed when it does.
_PARTS = ("inputs", "outputs", "error", "trackedProperties")
_OWNER = "run"

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


class Sealer:
    """Redacts records for storage, sealing what it hid; reopens them for a replay."""

    def __init__(self, vault: Any) -> None:
        self.vault = vault

    def stored(self, state: RunState, key: str, record: dict[str, Any]) -> dict[str, Any]:
        """The record as it may be stored: redacted, the hidden parts sealed."""
        shown = redact(state, record)
        if shown is record:
            return record
        hidden = {part: record[part] for part in _PARTS
                  if part in record and shown.get(part) != record[part]}
        if hidden:
            shown["_sealed"] = self.vault.seal_text(
                _OWNER, state.run_id, key, json.dumps(hidden, separators=(",", ":"),
                                                      default=str))
        return shown

    def reopened(self, run_id: str, key: str, stored: dict[str, Any]) -> dict[str, Any]:
        """A stored record with its sealed parts back (as redacted if they cannot be
        opened: a master key removed from the keyring since)."""
        token = stored.pop("_sealed", None)
        if not isinstance(token, str):
            return stored
        with contextlib.suppress(ValueError):
            stored.update(json.loads(self.vault.open_text(_OWNER, run_id, key, token)))
        return stored

    def stored_variables(self, state: RunState, text: str) -> str:
        """The run's variables as stored: sealed whole when a secure parameter's value
        is in them (a JSON string ``sealed:...`` then, never a variables object)."""
        secrets = secret_values(state) if state.version.secure_parameters else []
        if not any(secret in text for secret in secrets):
            return text
        return json.dumps("sealed:" + self.vault.seal_text(_OWNER, state.run_id,
                                                           "variables", text))

    def variables(self, run_id: str, stored: str | None) -> dict[str, Any]:
        """The variables of a stored run row, opened."""
        found = json.loads(stored) if stored else {}
        if isinstance(found, str) and found.startswith("sealed:"):
            try:
                found = json.loads(self.vault.open_text(_OWNER, run_id, "variables",
                                                        found.removeprefix("sealed:")))
            except ValueError:
                found = {}
        return found if isinstance(found, dict) else {}


def reseal_stored(conn: sa.Connection, reseal: Reseal) -> int:
    """Re-seal, in the caller's transaction, every sealed part of a stored record and
    every sealed variables text under the rotation's new key; answers how many moved. A
    token that no longer opens (its key was removed before) is left as it is."""
    moved = 0
    for row in conn.execute(sa.select(
            action_results.c.run_id, action_results.c.key, action_results.c.record).where(
            action_results.c.record.like('%"_sealed"%'))).all():
        record = json.loads(row.record)
        token = record.get("_sealed")
        if not isinstance(token, str):
            continue
        try:
            record["_sealed"] = reseal(_OWNER, row.run_id, row.key, token)
        except ValueError:
            continue
        conn.execute(action_results.update().where(
            action_results.c.run_id == row.run_id, action_results.c.key == row.key).values(
            record=json.dumps(record, separators=(",", ":"), ensure_ascii=False)))
        moved += 1
    for row in conn.execute(sa.select(runs.c.id, runs.c.variables).where(
            runs.c.variables.like('"sealed:%'))).all():
        token = json.loads(row.variables).removeprefix("sealed:")
        try:
            sealed = "sealed:" + reseal(_OWNER, row.id, "variables", token)
        except ValueError:
            continue
        conn.execute(runs.update().where(runs.c.id == row.id).values(
            variables=json.dumps(sealed)))
        moved += 1
    return moved
