"""Parsing WDL string values and expressions into syntax trees.

A string value is one of three things (``parse_template``):

* literal text, when it does not start with ``@`` — ``"@@"`` at the start escapes a
  literal ``@``, and ``"@@{"`` anywhere is a literal ``@{``;
* one whole expression, ``"@concat('a', 'b')"``: its value keeps its type;
* an interpolation, text with ``@{expression}`` parts: its value is always a string.

The expression grammar (``parse_expression``)::

    expression := primary accessor*
    primary    := string | number | "true" | "false" | "null"
                | name "(" [expression ("," expression)*] ")"
    accessor   := "." member | "?." member | "[" expression "]" | "?[" expression "]"
    string     := "'" ( any character but "'" | "''" )* "'"
    number     := ["-"] digits ["." digits] [exponent] | ["-"] "." digits [exponent]

Whitespace may separate tokens. Nesting depth and length are bounded (``Limits``), so a
hostile input fails with an ``ExpressionError`` rather than a ``RecursionError``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from gateway.expressions.ast import Access, Call, Literal, Node, Template
from gateway.expressions.errors import ExpressionSyntaxError, ExpressionTooComplexError

__all__ = ["Limits", "parse_embedded", "parse_expression", "parse_template"]

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1
_WHITESPACE = " \t\r\n"
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_$")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_KEYWORDS = {"true": True, "false": False, "null": None}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a hostile expression from exhausting the process.

    Attributes:
        max_length: Characters in one string value (Logic Apps allows 131,072).
        max_depth: Nesting of calls and accessors in one expression.
        max_value_size: Size of any one intermediate value, in characters plus items.
        max_total_size: Sum of the sizes of all function results in one evaluation.
    """

    max_length: int = 131_072
    max_depth: int = 100
    max_value_size: int = 16_777_216
    max_total_size: int = 33_554_432


DEFAULT_LIMITS = Limits()


class _Parser:
    """A recursive-descent parser over ``text`` starting at ``pos``."""

    def __init__(self, text: str, pos: int, limits: Limits) -> None:
        self.text = text
        self.pos = pos
        self.limits = limits

    # -- helpers -------------------------------------------------------------------

    def fail(self, message: str, pos: int | None = None) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(message, column=(self.pos if pos is None else pos) + 1)

    def skip_space(self) -> None:
        text, pos = self.text, self.pos
        while pos < len(text) and text[pos] in _WHITESPACE:
            pos += 1
        self.pos = pos

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def describe(self) -> str:
        char = self.peek()
        return "end of input" if not char else f"'{char}'"

    def expect(self, char: str) -> None:
        self.skip_space()
        if self.peek() != char:
            raise self.fail(f"expected '{char}' but found {self.describe()}")
        self.pos += 1

    def check_depth(self, depth: int) -> None:
        if depth > self.limits.max_depth:
            raise ExpressionTooComplexError(
                f"expression nests deeper than {self.limits.max_depth} levels "
                f"at column {self.pos + 1}",
                details=[{"column": self.pos + 1, "limit": self.limits.max_depth}],
            )

    # -- grammar -------------------------------------------------------------------

    def expression(self, depth: int) -> tuple[Node, int]:
        """Parse ``primary accessor*``; return the node and its depth."""
        self.check_depth(depth)
        node, node_depth = self.primary(depth)
        while True:
            self.skip_space()
            char = self.peek()
            optional = False
            if char == "?":
                nxt = self.text[self.pos + 1: self.pos + 2]
                if nxt not in (".", "["):
                    raise self.fail("expected '.' or '[' after '?'")
                optional = True
                self.pos += 1
                char = nxt
            if char == ".":
                self.pos += 1
                self.skip_space()
                start = self.pos
                name = self.name()
                if not name:
                    raise self.fail("expected a property name after '.'", start)
                node = Access(node, Literal(name), optional, dotted=True)
            elif char == "[":
                self.pos += 1
                key, key_depth = self.expression(depth + 1)
                self.expect("]")
                node_depth = max(node_depth, key_depth)
                node = Access(node, key, optional)
            else:
                return node, node_depth
            node_depth += 1
            self.check_depth(node_depth)

    def name(self) -> str:
        text, start = self.text, self.pos
        pos = start
        if pos < len(text) and text[pos] in _NAME_START:
            pos += 1
            while pos < len(text) and text[pos] in _NAME_CHARS:
                pos += 1
        self.pos = pos
        return text[start:pos]

    def primary(self, depth: int) -> tuple[Node, int]:
        self.skip_space()
        char = self.peek()
        start = self.pos
        if char == "'":
            return Literal(self.string()), depth
        if char in _DIGITS or char in ("-", "."):
            return Literal(self.number()), depth
        if char in _NAME_START:
            name = self.name()
            self.skip_space()
            if self.peek() != "(":
                if name in _KEYWORDS:
                    return Literal(_KEYWORDS[name]), depth
                raise self.fail(f"expected '(' after function name '{name}'")
            self.pos += 1
            args: list[Node] = []
            max_depth = depth
            self.skip_space()
            if self.peek() == ")":
                self.pos += 1
                return Call(name, ()), depth
            while True:
                arg, arg_depth = self.expression(depth + 1)
                args.append(arg)
                max_depth = max(max_depth, arg_depth)
                self.skip_space()
                char = self.peek()
                if char == ",":
                    self.pos += 1
                    continue
                if char == ")":
                    self.pos += 1
                    return Call(name, tuple(args)), max_depth
                raise self.fail(f"expected ',' or ')' but found {self.describe()}")
        raise self.fail(f"expected a value or a function call but found {self.describe()}",
                        start)

    def string(self) -> str:
        text = self.text
        start = self.pos
        pos = start + 1
        chunks: list[str] = []
        while True:
            end = text.find("'", pos)
            if end < 0:
                raise self.fail("unterminated string literal", start)
            chunks.append(text[pos:end])
            if text.startswith("'", end + 1):
                chunks.append("'")
                pos = end + 2
                continue
            self.pos = end + 1
            return "".join(chunks)

    def number(self) -> int | float:
        text, start = self.text, self.pos
        pos = start
        if pos < len(text) and text[pos] == "-":
            pos += 1
        int_start = pos
        while pos < len(text) and text[pos] in _DIGITS:
            pos += 1
        has_int = pos > int_start
        is_float = False
        if pos < len(text) and text[pos] == ".":
            frac_start = pos + 1
            scan = frac_start
            while scan < len(text) and text[scan] in _DIGITS:
                scan += 1
            if scan > frac_start:
                pos, is_float = scan, True
            elif not has_int:
                raise self.fail("expected digits in number", start)
        if not has_int and not is_float:
            raise self.fail("expected a number", start)
        if pos < len(text) and text[pos] in "eE":
            scan = pos + 1
            if scan < len(text) and text[scan] in "+-":
                scan += 1
            digits_start = scan
            while scan < len(text) and text[scan] in _DIGITS:
                scan += 1
            if scan > digits_start:
                pos, is_float = scan, True
        if pos < len(text) and (text[pos] in _NAME_CHARS):
            raise self.fail("unexpected character in number", pos)
        self.pos = pos
        literal = text[start:pos]
        if is_float:
            value = float(literal)
            if not math.isfinite(value):
                raise self.fail("number out of range", start)
            return value
        if len(literal) > 20:
            raise self.fail("integer out of range", start)
        number = int(literal)
        if not _INT64_MIN <= number <= _INT64_MAX:
            raise self.fail("integer out of range", start)
        return number


def _check_length(text: str, limits: Limits) -> None:
    if len(text) > limits.max_length:
        raise ExpressionTooComplexError(
            f"expression is longer than {limits.max_length} characters",
            details=[{"limit": limits.max_length, "length": len(text)}],
        )


# Only short texts are cached, so the cache stays small whatever callers send.
_CACHED_LENGTH = 4096


def parse_expression(text: str, limits: Limits = DEFAULT_LIMITS) -> Node:
    """Parse a bare expression (no leading ``@``), e.g. ``"concat('a', 'b')"``.

    Raises:
        ExpressionSyntaxError: The text is not one well-formed expression.
        ExpressionTooComplexError: The text is over the length or depth limit.
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression must be a string", column=1)
    if len(text) <= _CACHED_LENGTH:
        return _parse_expression_cached(text, limits)
    return _parse_expression(text, limits)


@lru_cache(maxsize=4096)
def _parse_expression_cached(text: str, limits: Limits) -> Node:
    return _parse_expression(text, limits)


def _parse_expression(text: str, limits: Limits) -> Node:
    _check_length(text, limits)
    parser = _Parser(text, 0, limits)
    node, _ = parser.expression(1)
    parser.skip_space()
    if parser.pos != len(text):
        raise parser.fail(f"unexpected {parser.describe()} after the expression")
    return node


def parse_embedded(text: str, start: int, *, accessors: bool = True,
                   limits: Limits = DEFAULT_LIMITS) -> tuple[Node, int]:
    """Parse one expression that starts at ``text[start]`` inside a larger text.

    Used by dialects that embed expressions in free text (connector policy templates
    write ``https://@connectionParameters('host').example.com``). With ``accessors``
    false only the primary (a call or a literal) is read, so ``.example.com`` stays text.

    Returns:
        The node and the index just past it.

    Raises:
        ExpressionSyntaxError: No well-formed expression starts there.
    """
    _check_length(text, limits)
    parser = _Parser(text, start, limits)
    if accessors:
        node, _ = parser.expression(1)
    else:
        node, _ = parser.primary(1)
    return node, parser.pos


def _add_text(parts: list[str | Node], text: str) -> None:
    if not text:
        return
    if parts and isinstance(parts[-1], str):
        parts[-1] += text
    else:
        parts.append(text)


def parse_template(text: str, limits: Limits = DEFAULT_LIMITS) -> Template:
    """Parse a WDL string value: literal text, ``@expression`` or ``@{}`` interpolation.

    Raises:
        ExpressionSyntaxError: An expression in the string is not well-formed.
        ExpressionTooComplexError: The string is over the length or depth limit.
    """
    if not isinstance(text, str):
        raise ExpressionSyntaxError("an expression must be a string", column=1)
    if len(text) <= _CACHED_LENGTH:
        return _parse_template_cached(text, limits)
    return _parse_template(text, limits)


@lru_cache(maxsize=8192)
def _parse_template_cached(text: str, limits: Limits) -> Template:
    return _parse_template(text, limits)


def _parse_template(text: str, limits: Limits) -> Template:
    _check_length(text, limits)
    if text.startswith("@") and not text.startswith(("@@", "@{")):
        parser = _Parser(text, 1, limits)
        node, _ = parser.expression(1)
        parser.skip_space()
        if parser.pos != len(text):
            raise parser.fail(f"unexpected {parser.describe()} after the expression")
        return Template((node,), whole=True)
    parts: list[str | Node] = []
    pos = 0
    if text.startswith("@@") and not text.startswith("@@{"):
        _add_text(parts, "@")
        pos = 2
    while True:
        at = text.find("@", pos)
        if at < 0:
            _add_text(parts, text[pos:])
            break
        if text.startswith("@@{", at):
            _add_text(parts, text[pos:at] + "@{")
            pos = at + 3
        elif text.startswith("@{", at):
            _add_text(parts, text[pos:at])
            parser = _Parser(text, at + 2, limits)
            node, _ = parser.expression(1)
            parser.expect("}")
            pos = parser.pos
            if isinstance(node, Literal) and isinstance(node.value, str):
                # An interpolated string literal is text; folding it keeps trees canonical.
                _add_text(parts, node.value)
            else:
                parts.append(node)
        else:
            _add_text(parts, text[pos:at + 1])
            pos = at + 1
    return Template(tuple(parts))
