"""The function registry: which functions an expression may call, and how.

The default registry (``DEFAULT``) is frozen: it holds the WDL functions that need no
workflow state plus the policy functions. Other packages build an extended copy and
register their own functions on it, without the gateway knowing about them::

    registry = DEFAULT.extend()
    registry.register("triggerBody", lambda ctx: ctx.get("trigger")["body"], 0, 0)
    evaluate("@triggerBody()?['id']", context, registry)

A function receives the ``EvaluationContext`` first and then its evaluated arguments. A
*lazy* function receives zero-argument callables instead, and evaluates only the ones it
needs (``if`` uses this so the branch not taken is never evaluated).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FunctionRegistry", "FunctionSpec"]


@dataclass(frozen=True)
class FunctionSpec:
    """One registered function.

    Attributes:
        name: The canonical spelling, as documented (lookup ignores case).
        fn: Called as ``fn(context, *arguments)``.
        min_args: Fewest arguments accepted.
        max_args: Most arguments accepted; ``None`` for no limit.
        lazy: Whether ``fn`` receives thunks rather than values.
        measured: Whether results count against the size limits. Functions that only
            hand out context data (``body()``, ``triggerBody()``) need not: the data is
            already in memory, and measuring a large body on every call costs time.
    """

    name: str
    fn: Callable[..., Any]
    min_args: int = 0
    max_args: int | None = None
    lazy: bool = False
    measured: bool = True


class FunctionRegistry:
    """A case-insensitive table of functions; frozen ones refuse ``register``."""

    def __init__(self, functions: Mapping[str, FunctionSpec] | None = None, *,
                 frozen: bool = False) -> None:
        self._functions: dict[str, FunctionSpec] = dict(functions or {})
        self._frozen = frozen

    @property
    def frozen(self) -> bool:
        """Whether this registry refuses new functions."""
        return self._frozen

    def register(self, name: str, fn: Callable[..., Any], min_args: int = 0,
                 max_args: int | None = None, *, lazy: bool = False,
                 measured: bool = True) -> FunctionRegistry:
        """Add (or replace) the function ``name``; return the registry for chaining.

        Args:
            name: The function's name; calls match it whatever their case.
            fn: Called as ``fn(context, *arguments)``.
            min_args: Fewest arguments accepted.
            max_args: Most arguments accepted; ``None`` for no limit.
            lazy: Pass zero-argument callables instead of evaluated arguments.
            measured: Count results against the size limits (False for functions that
                only return context data).

        Raises:
            TypeError: The registry is frozen (build one with ``extend()``).
            ValueError: The argument bounds are inconsistent.
        """
        if self._frozen:
            raise TypeError("this function registry is frozen; register on extend()")
        if min_args < 0 or (max_args is not None and max_args < min_args):
            raise ValueError(f"bad argument bounds for {name}: {min_args}..{max_args}")
        self._functions[name.lower()] = FunctionSpec(name, fn, min_args, max_args, lazy,
                                                     measured)
        return self

    def function(self, name: str, min_args: int = 0, max_args: int | None = None, *,
                 lazy: bool = False, measured: bool = True
                 ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator form of ``register``."""

        def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
            self.register(name, fn, min_args, max_args, lazy=lazy, measured=measured)
            return fn

        return decorate

    def lookup(self, name: str) -> FunctionSpec | None:
        """Return the function called ``name`` (any case), or None."""
        return self._functions.get(name.lower())

    def extend(self) -> FunctionRegistry:
        """Return a mutable copy holding every function of this registry."""
        return FunctionRegistry(self._functions)

    def freeze(self) -> FunctionRegistry:
        """Return a frozen copy of this registry."""
        return FunctionRegistry(self._functions, frozen=True)

    def names(self) -> list[str]:
        """The canonical names of all functions, sorted case-insensitively."""
        return sorted((spec.name for spec in self._functions.values()), key=str.lower)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._functions

    def __len__(self) -> int:
        return len(self._functions)

    def __iter__(self) -> Iterator[FunctionSpec]:
        return iter(self._functions.values())
