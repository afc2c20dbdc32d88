"""The text of a policy template parameter, with its embedded expressions.

Policy templates write expressions the way API Management templates do, inside free text
and without braces: ``Bearer @connectionParameters('api_key')``,
``https://@connectionParameters('host').example.com``, ``@headers('test')moo``. So:

* ``@name(...)`` starts an expression anywhere; only ``body()``, ``item()`` and the other
  object-valued functions take accessors after them (``@body().value``), so
  ``@connectionParameters('x').example.com`` leaves ``.example.com`` as text;
* ``{@expression}`` and ``@{expression}`` are expressions delimited by braces (the
  ``setproperty`` template writes ``[{@body().payments}]``);
* ``@@`` is a literal ``@``; any other ``@`` (an e-mail address) is text.

Member access is lenient, as in API Management: ``@body().missing.deeper`` is null, not
an error (every accessor reads as ``?.``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gateway.expressions import (
    Access,
    Call,
    EvaluationContext,
    ExpressionSyntaxError,
    FunctionRegistry,
    Literal,
    Node,
    to_json_compatible,
    to_string,
)
from gateway.expressions.evaluator import evaluate_node
from gateway.expressions.parser import parse_embedded

__all__ = ["MISSING", "Braced", "PolicyText", "calls", "compile_text"]

#: Returned by ``json_value(..., skip_null=True)`` when an expression in the text is null.
MISSING = object()

# Functions whose values are objects, so member access after them is part of the expression.
_OBJECT_FUNCTIONS = frozenset({"body", "item", "triggerbody", "triggeroutputs", "outputs",
                               "json", "parameters", "createarray", "split"})


@dataclass(frozen=True)
class Braced:
    """An expression written in braces, ``{@...}``; JSON text may surround it."""

    node: Node


@dataclass(frozen=True)
class PolicyText:
    """A compiled parameter text: literal pieces and expressions."""

    source: str
    parts: tuple[str | Node | Braced, ...]
    #: Whether the value depends on the connection's parameters alone: every expression
    #: in it is ``connectionParameters`` of literals (so a value may be kept for as long
    #: as those parameters stay the same, see ``PolicyRequest.memo``).
    connection_only: bool = False

    @property
    def nodes(self) -> list[Node]:
        """The expressions in the text, in order."""
        return [part.node if isinstance(part, Braced) else part
                for part in self.parts if not isinstance(part, str)]

    @property
    def is_literal(self) -> bool:
        """True when the text holds no expression."""
        return all(isinstance(part, str) for part in self.parts)

    def _single(self) -> Node | None:
        if len(self.parts) == 1 and not isinstance(self.parts[0], str):
            part = self.parts[0]
            return part.node if isinstance(part, Braced) else part
        return None

    def value(self, context: EvaluationContext, registry: FunctionRegistry) -> Any:
        """The value: a lone expression keeps its type; otherwise a string."""
        single = self._single()
        if single is not None:
            return evaluate_node(single, context, registry)
        return self.string(context, registry)

    def string(self, context: EvaluationContext, registry: FunctionRegistry) -> str:
        """The text with every expression replaced by its string form."""
        pieces: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                pieces.append(part)
            else:
                node = part.node if isinstance(part, Braced) else part
                pieces.append(to_string(evaluate_node(node, context, registry)))
        return "".join(pieces)

    def json_value(self, context: EvaluationContext, registry: FunctionRegistry, *,
                   skip_null: bool = False) -> Any:
        """The value for a body property: JSON where the text is JSON, else a string.

        Braced expressions are first substituted as JSON (so ``[{@body().x}]`` wraps the
        value in an array); if that does not give an array, an object or a lone value,
        they are substituted as text (``{@body().first} {@body().last}``). With
        ``skip_null``, ``MISSING`` is returned when any expression is null.
        """
        values = [None if isinstance(part, str) else
                  evaluate_node(part.node if isinstance(part, Braced) else part, context,
                                registry)
                  for part in self.parts]
        if skip_null and any(value is None for part, value in zip(self.parts, values,
                                                                   strict=True)
                             if not isinstance(part, str)):
            return MISSING
        if self._single() is not None:
            return values[0]
        as_json = "".join(
            part if isinstance(part, str) else
            (json.dumps(to_json_compatible(value)) if isinstance(part, Braced)
             else to_string(value))
            for part, value in zip(self.parts, values, strict=True))
        if as_json.lstrip().startswith(("[", "{")):
            try:
                return json.loads(as_json)
            except ValueError:
                pass
        return "".join(part if isinstance(part, str) else to_string(value)
                       for part, value in zip(self.parts, values, strict=True))


def _lenient(node: Node) -> Node:
    if isinstance(node, Access):
        return Access(_lenient(node.target), _lenient(node.key), True, node.dotted)
    if isinstance(node, Call):
        return Call(node.name, tuple(_lenient(arg) for arg in node.args))
    return node


def calls(node: Node) -> list[Call]:
    """Every function call in ``node``, outermost first."""
    found: list[Call] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Call):
            found.append(current)
            stack.extend(reversed(current.args))
        elif isinstance(current, Access):
            stack.extend((current.key, current.target))
    return found


def _name_at(text: str, pos: int) -> str:
    end = pos
    while end < len(text) and (text[end].isalnum() or text[end] in "_$") and text[end].isascii():
        end += 1
    return text[pos:end]


def _add(parts: list[str | Node | Braced], text: str) -> None:
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] += text
    else:
        parts.append(text)


def _closing(text: str, pos: int, where: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    if not text.startswith("}", pos):
        raise ExpressionSyntaxError("expected '}' to close the expression", column=where + 1)
    return pos + 1


@lru_cache(maxsize=4096)
def compile_text(text: str) -> PolicyText:
    """Compile a parameter's text once; raises ``ExpressionSyntaxError`` when malformed."""
    parts: list[str | Node | Braced] = []
    pos = 0
    while True:
        at = text.find("@", pos)
        if at < 0:
            _add(parts, text[pos:])
            break
        brace = at > pos and text[at - 1] == "{"
        if text.startswith("@@", at):
            _add(parts, text[pos:at] + "@")
            pos = at + 2
        elif text.startswith("@{", at):
            _add(parts, text[pos:at])
            node, end = parse_embedded(text, at + 2)
            parts.append(_lenient(node))
            pos = _closing(text, end, at)
        elif brace:
            _add(parts, text[pos:at - 1])
            node, end = parse_embedded(text, at + 1)
            parts.append(Braced(_lenient(node)))
            pos = _closing(text, end, at)
        else:
            name = _name_at(text, at + 1)
            rest = at + 1 + len(name)
            # The parenthesis must follow the name at once: "ops@host (x)" stays text.
            if name and text.startswith("(", rest):
                _add(parts, text[pos:at])
                node, end = parse_embedded(text, at + 1,
                                           accessors=name.lower() in _OBJECT_FUNCTIONS)
                parts.append(_lenient(node))
                pos = end
            else:
                _add(parts, text[pos:at + 1])
                pos = at + 1
    expressions = [part.node if isinstance(part, Braced) else part
                   for part in parts if not isinstance(part, str)]
    return PolicyText(text, tuple(parts), connection_only=bool(expressions) and all(
        _reads_connection_only(node) for node in expressions))


def _reads_connection_only(node: Node) -> bool:
    """Whether ``node`` is ``connectionParameters(...)`` of literals (nested allowed)."""
    if isinstance(node, Literal):
        return True
    return (isinstance(node, Call) and node.name.lower() == "connectionparameters"
            and all(_reads_connection_only(arg) for arg in node.args))
