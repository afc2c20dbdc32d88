"""The shape of a definition as the interpreter walks it: scopes, branches, runAfter.

``Index`` is built once per deployed version: which action holds which (for
``result()``, ``items()`` and skipping a branch), and each action's ``runAfter`` with its
statuses normalised (Logic Apps accepts ``SUCCEEDED`` as well as ``Succeeded``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["CONTROL_TYPES", "Index", "branches_of", "run_after"]

#: The action types the engine runs itself (lower case); every other type is a leaf
#: handler from ``runtime.actions.registry``.
CONTROL_TYPES = frozenset({"scope", "if", "switch", "foreach", "until", "terminate"})

_STATUS = {"succeeded": "Succeeded", "failed": "Failed", "skipped": "Skipped",
           "timedout": "TimedOut", "cancelled": "Cancelled", "canceled": "Cancelled"}


def run_after(action: Mapping[str, Any]) -> dict[str, frozenset[str]]:
    """``{predecessor: statuses it may end with}``; an empty list means Succeeded."""
    found = action.get("runAfter")
    if not isinstance(found, Mapping):
        return {}
    result: dict[str, frozenset[str]] = {}
    for name, statuses in found.items():
        wanted = [_STATUS.get(str(s).lower(), str(s)) for s in statuses] \
            if isinstance(statuses, list) else []
        result[name] = frozenset(wanted or ["Succeeded"])
    return result


def branches_of(action: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The ``actions`` maps a control action holds: its body, each branch, each case."""
    kind = str(action.get("type", "")).lower()
    if isinstance(action.get("actions"), Mapping):
        yield action["actions"]
    if kind == "if" and isinstance(action.get("else"), Mapping):
        inner = action["else"].get("actions")
        if isinstance(inner, Mapping):
            yield inner
    if kind == "switch":
        cases = action.get("cases")
        if isinstance(cases, Mapping):
            for case in cases.values():
                if isinstance(case, Mapping) and isinstance(case.get("actions"), Mapping):
                    yield case["actions"]
        default = action.get("default")
        if isinstance(default, Mapping) and isinstance(default.get("actions"), Mapping):
            yield default["actions"]


class Index:
    """Every action of a definition by name, with the control action that holds it."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self._after: dict[int, dict[str, dict[str, frozenset[str]]]] = {}
        self._dynamic: dict[int, bool] = {}
        self._keep: list[Any] = []  # what the identity caches refer to stays alive
        self.actions: dict[str, Mapping[str, Any]] = {}
        self.parent: dict[str, str | None] = {}
        self._children: dict[str | None, list[str]] = {}
        root = definition.get("actions")
        self.root: Mapping[str, Any] = root if isinstance(root, Mapping) else {}
        self._walk(self.root, None)

    def _walk(self, actions: Mapping[str, Any], parent: str | None) -> None:
        for name, action in actions.items():
            if not isinstance(action, Mapping):
                continue
            self.actions[name] = action
            self.parent[name] = parent
            self._children.setdefault(parent, []).append(name)
            for branch in branches_of(action):
                self._walk(branch, name)

    def scope_after(self, actions: Mapping[str, Any]
                    ) -> dict[str, dict[str, frozenset[str]]]:
        """Each action's ``runAfter`` within one scope (predecessors elsewhere dropped)."""
        found = self._after.get(id(actions))
        if found is None:
            found = {name: {before: wanted for before, wanted in run_after(action).items()
                            if before in actions}
                     for name, action in actions.items() if isinstance(action, Mapping)}
            self._after[id(actions)] = found
            self._keep.append(actions)
        return found

    def has_expressions(self, value: Any) -> bool:
        """Whether a value holds any string with an ``@`` (cached by identity)."""
        known = self._dynamic.get(id(value))
        if known is None:
            known = self._dynamic[id(value)] = _dynamic(value)
            self._keep.append(value)
        return known

    @property
    def responds(self) -> bool:
        """Whether any action answers the trigger's caller (a ``Response``)."""
        return any(str(a.get("type", "")).lower() == "response" for a in self.actions.values())

    def type_of(self, name: str) -> str:
        action = self.actions.get(name)
        return str(action.get("type", "")).lower() if action is not None else ""

    def children(self, name: str | None) -> list[str]:
        return list(self._children.get(name, ()))

    def descendants(self, actions: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """Every action inside ``actions``, nested ones included."""
        for name, action in actions.items():
            if not isinstance(action, Mapping):
                continue
            yield name, action
            for branch in branches_of(action):
                yield from self.descendants(branch)


def _dynamic(value: Any) -> bool:
    if isinstance(value, str):
        return "@" in value
    if isinstance(value, Mapping):
        return any(_dynamic(item) for item in value.values())
    if isinstance(value, list):
        return any(_dynamic(item) for item in value)
    return False


def copy_json(value: Any) -> Any:
    """A copy of a JSON value whose containers a handler may change freely."""
    if type(value) is dict:
        return {key: copy_json(item) for key, item in value.items()}
    if type(value) is list:
        return [copy_json(item) for item in value]
    if isinstance(value, Mapping):
        return {key: copy_json(item) for key, item in value.items()}
    return value
