"""Resolving ``$ref``: local pointers, sibling files, and remote documents through a Fetcher.

Two services: ``deref`` follows a chain of references to the object it finally names (for
parameters, responses, path items...), and ``inline`` returns a schema with every ``$ref``
replaced by its target, so the connector model carries self-contained JSON Schemas.

A reference ``inline`` cannot follow (to nowhere, or to a document that cannot be read)
becomes ``{"x-portway-unresolved": "<ref>"}`` with a warning. Recursive schemas are cut
where they recur: the repeated reference becomes
``{"x-portway-recursive": "<ref>"}``, an unconstrained schema that names what it stands for.
Inlined schemas are memoised, so shared definitions are built once, and the expanded size is
capped, so a document whose references fan out exponentially fails with
``SpecTooLargeError`` instead of exhausting memory.

This module's branch of the error tree (``importers.errors``)::

    SpecError
    └── RefError        code InvalidReference: a $ref to nowhere, malformed, or a loop
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit

from importers.errors import SpecError, SpecTooLargeError
from importers.model import Finding

RECURSIVE = "x-portway-recursive"
UNRESOLVED = "x-portway-unresolved"
MAX_INLINED_NODES = 2_000_000

# Given an absolute location (a path inside the source, or a URL) returns the parsed document.
DocumentLoader = Callable[[str], Any]


class RefError(SpecError):
    """A ``$ref`` that cannot be followed: to nowhere, malformed, or a loop of references."""

    code = "InvalidReference"


def escape(token: str) -> str:
    """Escapes one JSON pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def pointer(*tokens: str | int) -> str:
    """Builds a JSON pointer from tokens."""
    return "".join("/" + escape(str(t)) for t in tokens)


def _split_ref(ref: str) -> tuple[str, str]:
    location, _, fragment = ref.partition("#")
    return location, unquote(fragment)


def _walk(doc: Any, fragment: str, ref: str) -> Any:
    if fragment in ("", "/"):
        return doc if fragment == "" else _step(doc, "", ref)
    if not fragment.startswith("/"):
        raise RefError(f"the reference {ref!r} is not a JSON pointer", details=[{"ref": ref}])
    node = doc
    for raw in fragment[1:].split("/"):
        node = _step(node, raw.replace("~1", "/").replace("~0", "~"), ref)
    return node


def _step(node: Any, token: str, ref: str) -> Any:
    if isinstance(node, dict) and token in node:
        return node[token]
    if isinstance(node, list) and token.isdigit() and int(token) < len(node):
        return node[int(token)]
    raise RefError(f"the reference {ref!r} points to nothing", details=[{"ref": ref}])


class Resolver:
    """Follows references within one document and the documents it refers to.

    Args:
        root: The parsed main document.
        location: Where the main document lives (a relative path inside the source, or a
            URL); sibling references are resolved against it.
        loader: Reads another document by absolute location; None refuses external refs.
    """

    def __init__(self, root: Any, *, location: str = "", loader: DocumentLoader | None = None,
                 max_nodes: int = MAX_INLINED_NODES, findings: list[Finding] | None = None
                 ) -> None:
        self.root = root
        # Where inline() reports references it could not follow (and replaced by a marker).
        self.findings: list[Finding] = findings if findings is not None else []
        self._reported: set[str] = set()
        self.location = location
        self._loader = loader
        self._docs: dict[str, Any] = {location: root}
        self._memo: dict[tuple[str, str], tuple[Any, int]] = {}
        self._max_nodes = max_nodes
        self.external: list[str] = []  # locations of the external documents read

    def _document(self, location: str, base: str, ref: str) -> tuple[str, Any]:
        if not location:
            return base, self._docs[base]
        absolute = _join(base, location)
        if absolute not in self._docs:
            if self._loader is None:
                raise RefError(
                    f"the reference {ref!r} names another document, which is not available here",
                    details=[{"ref": ref}],
                )
            self._docs[absolute] = self._loader(absolute)
            self.external.append(absolute)
        return absolute, self._docs[absolute]

    def lookup(self, ref: str, base: str | None = None) -> tuple[Any, str, str]:
        """Returns ``(target, document location, fragment)`` for one reference."""
        if not isinstance(ref, str):
            raise RefError("a $ref must be a string", details=[{"ref": repr(ref)}])
        location, fragment = _split_ref(ref)
        doc_location, doc = self._document(location, self.location if base is None else base,
                                           ref)
        return _walk(doc, fragment, ref), doc_location, fragment

    def deref(self, node: Any, base: str | None = None) -> tuple[Any, str]:
        """Follows ``node`` while it is a ``{"$ref": ...}``; returns the target and its document."""
        current_base = self.location if base is None else base
        seen: set[tuple[str, str]] = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            target, doc_location, fragment = self.lookup(ref, current_base)
            key = (doc_location, fragment)
            if key in seen:
                raise RefError(f"the reference {ref!r} is part of a loop of references",
                               details=[{"ref": ref}])
            seen.add(key)
            node, current_base = target, doc_location
        return node, current_base

    def inline(self, node: Any, base: str | None = None) -> Any:
        """Returns a copy of ``node`` with every ``$ref`` replaced by its target."""
        value, _size = self._inline(node, self.location if base is None else base, ())
        return value

    def _inline(self, node: Any, base: str, stack: tuple[tuple[str, str], ...]
                ) -> tuple[Any, int]:
        if isinstance(node, list):
            items = []
            size = 1
            for item in node:
                value, n = self._inline(item, base, stack)
                items.append(value)
                size += n
            return items, size
        if not isinstance(node, dict):
            return node, 1
        ref = node.get("$ref")
        if isinstance(ref, str):
            location, fragment = _split_ref(ref)
            doc_location = _join(base, location) if location else base
            key = (doc_location, fragment)
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            if key in stack:
                marker: dict[str, Any] = {RECURSIVE: ref}
                marker.update(siblings)
                return marker, 1 + len(siblings)
            memo = self._memo.get(key)
            if memo is None:
                try:
                    target, doc_location, _ = self.lookup(ref, base)
                except SpecTooLargeError:
                    raise
                except SpecError as exc:
                    # One broken reference should not cost the whole connector: the schema
                    # becomes unconstrained there, and the finding says so.
                    self._report(ref, exc)
                    unresolved: dict[str, Any] = {UNRESOLVED: ref}
                    return unresolved, 1
                memo = self._inline(target, doc_location, (*stack, key))
                self._check_size(memo[1], ref)
                self._memo[key] = memo
            value, size = memo
            if siblings and isinstance(value, dict):
                # OpenAPI 3.1 allows keywords beside $ref (a description, mostly); they
                # refine the target, so they are laid over a shallow copy of it.
                merged = dict(value)
                for k, v in siblings.items():
                    merged[k] = self._inline(v, base, stack)[0]
                return merged, size + len(siblings)
            return value, size
        out: dict[str, Any] = {}
        size = 1
        for key_, item in node.items():
            value, n = self._inline(item, base, stack)
            out[key_] = value
            size += n
        self._check_size(size, "")
        return out, size

    def _report(self, ref: str, exc: SpecError) -> None:
        if ref in self._reported:
            return
        self._reported.add(ref)
        self.findings.append(Finding(
            rule="unresolved-ref", severity="warning", pointer="",
            message=f"{exc.message}; replaced by a placeholder that accepts anything",
        ))

    def _check_size(self, size: int, ref: str) -> None:
        if size > self._max_nodes:
            where = f" (expanding {ref!r})" if ref else ""
            raise SpecTooLargeError(
                f"the document's schemas expand to more than {self._max_nodes} values{where}",
                details=[{"ref": ref, "limit": self._max_nodes}],
            )


def _join(base: str, location: str) -> str:
    """Resolves ``location`` against the location of the document that refers to it."""
    if urlsplit(location).scheme in ("http", "https"):
        return location
    if urlsplit(base).scheme in ("http", "https"):
        return urljoin(base, location)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), location))
    return joined
