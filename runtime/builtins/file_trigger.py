"""The rule of the file connectors' triggers ("when a file is added or updated"): which
files of a folder listing are new since the last poll, and the watermark after them.

The watermark is kept per file, not as one time: every file of the folder the trigger has
fired for, with its signature (modification time and size; for a trigger that fires on
additions only, just its name). A file fires when its signature differs from the one its
last run fired for, or it has none — so a file uploaded with a preserved, older time is
still new, a rewritten file fires again, and a file deleted and uploaded again fires
again. A file past ``oldFileCutOffTimestamp`` only fires when modified after it.

A file is returned only when two polls in a row see it with the same signature: a file
still being written (its size or time moving) waits until it settles, as Logic Apps'
file triggers do, so a run never sees half a file. This costs up to one extra polling
interval.

At most ``maxFileCount`` files fire per poll, oldest first (by modification time, then
path); the others stay ready for the next poll. The same state and the same listing
give the same files in the same order, so a poll repeated after a crash fires the same
runs (whose ids the scheduler derives from the poll).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from gateway import BadRequest
from runtime.builtins.files import FileEntry, stamp

__all__ = ["TriggerRule", "new_files", "rule_of"]

_MAX_COUNT = 100


@dataclass(frozen=True)
class TriggerRule:
    """A file trigger's parameters, as the rule reads them.

    Attributes:
        max_files: At most this many files fire per poll (Logic Apps: 1 to 100).
        cutoff: Files last modified at or before this never fire.
        on_modified: Fire again when a file is modified (else only when it is added).
    """

    max_files: int = _MAX_COUNT
    cutoff: datetime | None = None
    on_modified: bool = True


def rule_of(parameters: Mapping[str, Any], *, on_modified: bool = True,
            cutoff_names: Iterable[str] = ("oldFileCutOffTimestamp",)) -> TriggerRule:
    """The rule a trigger's ``maxFileCount`` and cut-off parameter give.

    Raises:
        BadRequest: ``maxFileCount`` outside 1 to 100, or a cut-off that is not a time.
    """
    count = parameters.get("maxFileCount")
    if count is None or count == "":
        max_files = _MAX_COUNT
    else:
        try:
            max_files = int(count)
        except (TypeError, ValueError):
            max_files = 0
        if isinstance(count, bool) or not 1 <= max_files <= _MAX_COUNT:
            raise BadRequest("maxFileCount must be a whole number from 1 to 100",
                             code="InvalidParameter")
    cutoff = None
    for name in cutoff_names:
        value = parameters.get(name)
        if value:
            cutoff = _moment(value, name)
            break
    return TriggerRule(max_files=max_files, cutoff=cutoff, on_modified=on_modified)


def _moment(value: Any, name: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be a time such as 2024-05-01T10:00:00",
                         code="InvalidParameter") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _signature(entry: FileEntry, rule: TriggerRule) -> str:
    return f"{stamp(entry.modified)}|{entry.size}" if rule.on_modified else ""


def new_files(listing: Iterable[FileEntry], state: Mapping[str, Any],
              rule: TriggerRule) -> tuple[list[FileEntry], dict[str, Any]]:
    """The files to fire for, oldest first, and the state after them.

    Args:
        listing: The watched folder's entries now (folders are skipped).
        state: The watermark the last poll left (``{}`` at first): ``fired`` (path →
            signature of the files fired for) and ``settling`` (path → signature of
            files seen once, waiting for a second look).
        rule: The trigger's parameters.
    """
    fired: Mapping[str, str] = state.get("fired") or {}
    settling: Mapping[str, str] = state.get("settling") or {}
    kept_fired: dict[str, str] = {}
    waiting: dict[str, str] = {}
    ready: list[FileEntry] = []
    for entry in listing:
        if entry.is_folder:
            continue
        path = entry.path
        if path in fired:
            kept_fired[path] = fired[path]
        if rule.cutoff is not None and entry.modified <= rule.cutoff:
            continue
        signature = _signature(entry, rule)
        if fired.get(path) == signature:
            continue
        if settling.get(path) == signature:
            ready.append(entry)
        waiting[path] = signature
    ready.sort(key=lambda e: (e.modified, e.path))
    chosen = ready[:rule.max_files]
    for entry in chosen:
        kept_fired[entry.path] = waiting.pop(entry.path)
    return chosen, {"fired": dict(sorted(kept_fired.items())),
                    "settling": dict(sorted(waiting.items()))}
