"""One run's state in memory: its action records, variables and where it stands.

Records are keyed by the action's name plus the iteration indexes of the loops around
it (``Call#2`` is the third iteration of ``Call`` in its ``Foreach``; ``Call#2.0`` nests
two loops). A record is the action's entry of the run record (PRODUCT.md's shape) plus
the fields the engine keeps for itself, whose names start with ``_``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.engine.interface import ResponseRecord, WorkflowVersion

__all__ = ["FAILED_STATUSES", "FINAL_STATUSES", "Frame", "RunState", "key_of"]

FINAL_STATUSES = frozenset({"Succeeded", "Failed", "Skipped", "TimedOut", "Cancelled"})
#: Statuses that fail the scope that ends with them (``Cancelled`` is its own case).
FAILED_STATUSES = frozenset({"Failed", "TimedOut"})

_TRACKING = b"portway-action-tracking"


@dataclass(frozen=True)
class Frame:
    """One enclosing loop iteration: the loop's name, the index, the current item."""

    loop: str
    index: int
    item: Any = None


def key_of(name: str, frames: tuple[Frame, ...]) -> str:
    if not frames:
        return name
    return name + "#" + ".".join(str(frame.index) for frame in frames)


@dataclass
class RunState:
    """Everything about one run the interpreter reads and changes."""

    run_id: str
    version: WorkflowVersion
    trigger: dict[str, Any]
    client_tracking_id: str
    start_time: str
    fence: int = 0
    variables: dict[str, Any] = field(default_factory=dict)
    records: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The key of each action's most recent record, for references from outside a loop.
    latest: dict[str, str] = field(default_factory=dict)
    #: Records of a previous life of this run (after a crash or a suspension).
    replay: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Suspended handlers' states, by key.
    suspended: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Earliest time (epoch seconds) a suspended action wants to go on.
    wake_at: float | None = None
    #: Set by ``Terminate`` or a cancel: (run status, error).
    terminated: tuple[str, dict[str, Any] | None] | None = None
    #: Why the run's tasks are being stopped: ``terminate``, ``cancel`` or ``shutdown``.
    stopping: str | None = None
    response: ResponseRecord | None = None
    response_ready: asyncio.Event = field(default_factory=asyncio.Event)
    seq: int = 0
    #: Whether the variables or the response changed since the last checkpoint.
    changed: bool = True

    def tracking_id(self, key: str) -> str:
        """The action's tracking id: the same in every life of the run."""
        digest = hashlib.blake2b(f"{self.run_id}/{key}".encode(), digest_size=16,
                                 key=_TRACKING).hexdigest()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:]}"

    def put(self, key: str, record: dict[str, Any]) -> None:
        self.records[key] = record
        self.latest[record["name"]] = key

    def record_for(self, name: str, frames: tuple[Frame, ...]) -> dict[str, Any] | None:
        """The record an expression at ``frames`` sees for action ``name``."""
        for depth in range(len(frames), -1, -1):
            found = self.records.get(key_of(name, frames[:depth]))
            if found is not None:
                return found
        latest = self.latest.get(name)
        return self.records.get(latest) if latest is not None else None

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


def public(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record without the engine's own fields."""
    return {key: value for key, value in record.items() if not key.startswith("_")}
