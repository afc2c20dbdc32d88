"""Evaluating parsed expressions against a context and a function registry.

Evaluation walks the tree once. Every function result is measured (strings by length,
containers by their items, shared children counted once through a memo) and checked
against ``Limits``, so no expression can grow a value without bound. Exceptions a
function raises that are not Portway errors become ``ExpressionEvaluationError`` naming
the function: nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from gateway.expressions.ast import Access, Call, Literal, Node, Template
from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import (
    ArgumentCountError,
    ArgumentTypeError,
    ExpressionError,
    ExpressionEvaluationError,
    ExpressionTooComplexError,
    MissingPropertyError,
    UnknownFunctionError,
)
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import is_integer, to_string, type_name
from importers.errors import PortwayError

__all__ = ["evaluate_node", "evaluate_template"]

#: What an array or object counts for itself, beside its items: near a container's memory
#: cost relative to a character's, so hostile expressions cannot build millions of tiny
#: arrays cheaply.
_CONTAINER = 8
_SCALARS = frozenset({int, float, bool, type(None)})
_SCALARS_AND_STR = _SCALARS | {str}


class _Evaluation:
    __slots__ = ("context", "limits", "memo", "registry", "total")

    def __init__(self, context: EvaluationContext, registry: FunctionRegistry) -> None:
        self.context = context
        self.registry = registry
        self.limits = context.limits
        self.total = 0
        self.memo: dict[int, tuple[Any, int]] = {}

    def run(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, Call):
            return self.call(node)
        return self.access(node)

    # -- calls -----------------------------------------------------------------------

    def call(self, node: Call) -> Any:
        spec = self.registry.lookup(node.name)
        if spec is None:
            raise UnknownFunctionError(f"the function '{node.name}' is not defined",
                                       details=[{"function": node.name}])
        count = len(node.args)
        if count < spec.min_args or (spec.max_args is not None and count > spec.max_args):
            if spec.max_args is None:
                wanted = f"at least {spec.min_args}"
            elif spec.min_args == spec.max_args:
                wanted = str(spec.min_args)
            else:
                wanted = f"{spec.min_args} to {spec.max_args}"
            raise ArgumentCountError(f"takes {wanted} argument(s) but was given {count}",
                                     function=spec.name)
        if spec.lazy:
            args: list[Any] = [self._thunk(arg) for arg in node.args]
        else:
            args = [self.run(arg) for arg in node.args]
        try:
            result = spec.fn(self.context, *args)
        except ExpressionEvaluationError as error:
            if error.function is not None:
                raise
            raise type(error)(error.message, function=spec.name, details=error.details) \
                from None
        except (ExpressionError, PortwayError):
            raise
        except RecursionError:
            raise ExpressionTooComplexError(f"{spec.name}(): value nests too deeply") \
                from None
        except MemoryError:
            raise ExpressionTooComplexError(f"{spec.name}(): value too large") from None
        except Exception as error:  # a function's own bug or a foreign library's error
            raise ExpressionEvaluationError(
                f"failed ({type(error).__name__})", function=spec.name) from error
        if spec.measured:
            self.account(result, spec.name)
        return result

    def _thunk(self, node: Node) -> Any:
        return lambda: self.run(node)

    def account(self, value: Any, where: str) -> None:
        size = self.measure(value, 0)
        limits = self.limits
        if size > limits.max_value_size:
            raise ExpressionTooComplexError(
                f"{where}(): result is larger than {limits.max_value_size} units",
                details=[{"function": where, "limit": limits.max_value_size}])
        self.total += size
        if self.total > limits.max_total_size:
            raise ExpressionTooComplexError(
                f"evaluation produced more than {limits.max_total_size} units in total",
                details=[{"limit": limits.max_total_size}])

    def measure(self, value: Any, depth: int) -> int:
        kind = type(value)
        if kind is str:
            return len(value) + 1
        if kind is not list and kind is not dict:
            if isinstance(value, (str, bytes, bytearray)):
                return len(value) + 1
            if not isinstance(value, (list, dict)):
                return 1
        memo = self.memo
        cached = memo.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        if depth > 200:
            raise ExpressionTooComplexError("value nests more than 200 levels deep")
        size = _CONTAINER
        cap = self.limits.max_value_size
        items: Iterable[Any]
        if isinstance(value, list):
            items = value
            if len(value) > 32:
                kinds = set(map(type, value))  # at C speed; most arrays are flat
                if kinds <= _SCALARS:
                    size += len(value)
                    items = ()
                elif kinds <= _SCALARS_AND_STR:
                    size += len(value) + sum([len(x) for x in value if type(x) is str])
                    items = ()
        else:
            items = value.values()
            size += sum(len(key) + 1 for key in value)
        # Scalars and already measured children are counted inline: a call per item
        # would dominate the cost.
        for item in items:
            item_kind = type(item)
            if item_kind is str:
                size += len(item) + 1
            elif item_kind is int or item_kind is float or item_kind is bool or item is None:
                size += 1
            else:
                known = memo.get(id(item))
                if known is not None and known[0] is item:
                    size += known[1]
                else:
                    size += self.measure(item, depth + 1)
            if size > cap:
                break
        # Keeping ``value`` in the memo pins its id for the evaluation's lifetime.
        memo[id(value)] = (value, size)
        return size

    # -- member and index access -------------------------------------------------------

    def access(self, node: Access) -> Any:
        target = self.run(node.target)
        key = self.run(node.key)
        if target is None:
            if node.optional:
                return None
            raise MissingPropertyError(f"cannot read {_describe_key(key)} of null")
        if isinstance(target, dict):
            if not isinstance(key, str):
                raise ArgumentTypeError(
                    f"an object property name must be a string, not {type_name(key)}")
            if key in target:
                return target[key]
            if node.optional:
                return None
            raise MissingPropertyError(f"the property '{key}' does not exist",
                                       details=[{"property": key}])
        if isinstance(target, list):
            if not is_integer(key):
                raise ArgumentTypeError(
                    f"an array index must be an integer, not {type_name(key)}")
            if 0 <= key < len(target):
                return target[key]
            if node.optional:
                return None
            raise MissingPropertyError(
                f"index {key} is out of range for an array of {len(target)} item(s)",
                details=[{"index": key}])
        if node.optional:
            return None
        raise ArgumentTypeError(f"cannot read {_describe_key(key)} of a {type_name(target)}")


def _describe_key(key: Any) -> str:
    if isinstance(key, str):
        return f"property '{key}'"
    if is_integer(key):
        return f"index {key}"
    return f"a {type_name(key)} key"


def evaluate_node(node: Node, context: EvaluationContext, registry: FunctionRegistry) -> Any:
    """Evaluate one expression node."""
    return _Evaluation(context, registry).run(node)


def evaluate_template(template: Template, context: EvaluationContext,
                      registry: FunctionRegistry) -> Any:
    """Evaluate a parsed string value: its text, its whole expression, or its interpolation."""
    parts = template.parts
    if not parts:
        return ""
    evaluation = _Evaluation(context, registry)
    if template.whole:
        node = parts[0]
        assert not isinstance(node, str)
        return evaluation.run(node)
    if len(parts) == 1 and isinstance(parts[0], str):
        return parts[0]
    pieces: list[str] = []
    length = 0
    for part in parts:
        piece = part if isinstance(part, str) else to_string(evaluation.run(part))
        length += len(piece)
        if length > context.limits.max_value_size:
            raise ExpressionTooComplexError(
                f"interpolated string is longer than {context.limits.max_value_size} "
                "characters")
        pieces.append(piece)
    return "".join(pieces)
