"""Structured logs, plain or JSON, with one redaction point.

Every log event passes ``redact`` before it is rendered, structlog's and the standard
library's alike (httpx, hypercorn, granian, sqlalchemy, zeep log through the root logger
or through handlers this module re-formats): values under keys that name secrets,
``Bearer``/``Basic`` credentials and Portway tokens in any text, and every value
registered with ``register_secret`` wherever it appears, become ``**********``.

Tracebacks are rendered as text *before* redaction, so they are scrubbed like any other
string, and never with the frames' local variables (those hold request bodies, headers
and caches: anything).

The registry of secrets is bounded (the least recently registered fall out first) and
safe to use from several threads: writers take a lock, readers see an immutable
snapshot.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import MutableMapping
from typing import Any

import structlog

MASK = "**********"
_SECRET_KEYS = re.compile(
    r"(pass(word)?|secret|token|api[_-]?key|authorization|cookie|credential|private|signature)",
    re.IGNORECASE,
)
#: Credentials recognisable by their shape, wherever they appear in a text.
_SECRET_SHAPES = re.compile(
    r"(?i:\b(?:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{6,}"
    r"|\bpw_[A-Za-z0-9_-]{16,}"
    r"|(?i:(?<![A-Za-z])(?:api[_-]?key|password|client_secret|access_token|refresh_token)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\s\"'&,;}]{1,}"
)
#: Secrets shorter than this are not registered: masking them would mask common words.
MIN_SECRET_LENGTH = 6


class SecretRegistry:
    """The secret values the redactor masks: bounded, thread-safe.

    ``add`` moves a value to the newest end; past ``capacity`` the oldest fall out (a
    secret still in use is registered again each time it is decrypted). Readers use
    ``snapshot``, a tuple replaced whole on every change, so they never see a structure
    another thread is changing.
    """

    def __init__(self, capacity: int = 4096) -> None:
        self.capacity = capacity
        self._values: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()
        self.snapshot: tuple[str, ...] = ()

    def add(self, value: str) -> None:
        if not value or len(value) < MIN_SECRET_LENGTH:
            return
        with self._lock:
            if value in self._values:
                self._values.move_to_end(value)
                return
            self._values[value] = None
            while len(self._values) > self.capacity:
                self._values.popitem(last=False)
            # Longest first, so a secret holding another is masked whole.
            self.snapshot = tuple(sorted(self._values, key=len, reverse=True))

    def __len__(self) -> int:
        return len(self._values)

    def scrub(self, text: str) -> str:
        for secret in self.snapshot:
            if secret in text:
                text = text.replace(secret, MASK)
        return _SECRET_SHAPES.sub(_mask_shape, text)


def _mask_shape(found: re.Match[str]) -> str:
    text = found.group(0)
    # Keep the scheme or key name in front, so the line still says what was there.
    head = re.match(r"(?i)(?:bearer|basic)\s+|[^:=]*[:=]\s*[\"']?", text)
    if text.startswith("pw_") or head is None:
        return MASK
    return head.group(0) + MASK


secrets = SecretRegistry()


def register_secret(value: str) -> None:
    """Remember a secret value so that it is masked wherever it shows up in a log line."""
    secrets.add(value)


def redact(_logger: Any, _method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """The structlog processor that masks secrets; the only redaction point."""
    for key, value in list(event.items()):
        if key in _META:
            continue
        if key not in ("event", "exception") and _SECRET_KEYS.search(key):
            event[key] = MASK
        else:
            event[key] = _scrub(value)
    return event


#: The standard library bridge's own entries (the record itself), removed before rendering.
_META = frozenset({"_record", "_from_structlog"})


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return secrets.scrub(value)
    if isinstance(value, bytes | bytearray):
        return secrets.scrub(bytes(value).decode("latin-1"))
    if isinstance(value, dict):
        return {
            k: (MASK if isinstance(k, str) and _SECRET_KEYS.search(k) else _scrub(v))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, BaseException):
        return secrets.scrub(f"{type(value).__name__}: {value}")
    return secrets.scrub(str(value))


def _stdlib_fields(_logger: Any, _method: str, event: MutableMapping[str, Any]
                   ) -> MutableMapping[str, Any]:
    """Name the standard library logger a line came from (structlog's own lines bind
    theirs)."""
    record = event.get("_record")
    if record is not None:
        event.setdefault("logger", record.name)
    return event


_SHARED: list[Any] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    # Text before redaction, without locals: the traceback is scrubbed like the rest.
    structlog.processors.format_exc_info,
    redact,
]


def _renderer(format: str) -> Any:
    if format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(
        colors=False, exception_formatter=structlog.dev.plain_traceback)


class RedactingFormatter(structlog.stdlib.ProcessorFormatter):
    """The standard library's lines, through the same chain as structlog's."""

    format_name = "plain"

    def __init__(self, format: str | None = None) -> None:
        super().__init__(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        _renderer(format or RedactingFormatter.format_name)],
            foreign_pre_chain=[_stdlib_fields, *_SHARED],
        )


def stdlib_config(level: str = "info") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document whose handlers all redact (for servers
    that configure logging themselves, like granian)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "generic": {"()": "gateway.logging.RedactingFormatter"},
            "access": {"()": "gateway.logging.RedactingFormatter"},
        },
        "handlers": {
            "console": {"formatter": "generic", "class": "logging.StreamHandler",
                        "stream": "ext://sys.stderr"},
            "access": {"formatter": "access", "class": "logging.StreamHandler",
                       "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "_granian": {"handlers": ["console"], "level": level.upper(), "propagate": False},
            "granian.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        },
    }


def configure_logging(format: str = "plain", level: str = "info") -> None:
    """Set up structlog and the standard library's logging to render through redaction.

    Every handler already installed (granian's, say) is re-formatted too, so no logger
    of the process bypasses ``redact``.
    """
    numeric = getattr(logging, level.upper(), logging.INFO)
    RedactingFormatter.format_name = format
    structlog.configure(
        processors=[*_SHARED, _renderer(format)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    formatter = RedactingFormatter(format)
    root = logging.getLogger()
    if not any(getattr(h, "_portway", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler._portway = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    loggers = [root, *(logger for logger in logging.root.manager.loggerDict.values()
                       if isinstance(logger, logging.Logger))]
    for logger in loggers:
        for existing in logger.handlers:
            if not type(existing).__module__.startswith("_pytest"):
                existing.setFormatter(formatter)


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
