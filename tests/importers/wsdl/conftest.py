"""Fixtures for the WSDL importer tests: the bundles under ``fixtures/``."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"


def bundle(*relative: str) -> dict[str, bytes]:
    """The files under ``fixtures/`` (or one of its folders), keyed by relative path."""
    base = FIXTURES.joinpath(*relative)
    return {
        path.relative_to(base).as_posix(): path.read_bytes()
        for path in sorted(base.rglob("*")) if path.is_file()
    }
