"""``portway import`` and ``portway validate``: specs into the catalogue, or just checked.

With ``--json`` each spec's result is one JSON object on stdout (PRODUCT.md's shape);
otherwise a progress bar on stderr and a summary. Exit 0 when every spec imported (for
validate: when no error-level finding), 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

import importers
from gateway.catalogue import store_import
from gateway.cli.common import services_of, settings_of
from gateway.errors import PortwayError
from gateway.fetch import DocumentFetcher
from gateway.security.egress import EgressGuard
from importers import ImportResult


def register(commands: Any) -> None:
    imp = commands.add_parser("import", help="import specs as connectors")
    imp.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    imp.add_argument("--config", help="settings file")
    imp.add_argument("--name", help="the connector id (one spec only)")
    imp.add_argument("--properties", help="an apiProperties.json for the spec")
    imp.add_argument("--json", action="store_true", help="one JSON object per spec on stdout")
    imp.add_argument("--dry-run", action="store_true", help="parse and check; store nothing")
    imp.add_argument("--allow-breaking", action="store_true",
                     help="accept breaking changes against the current version")
    imp.set_defaults(handler=run_import)
    val = commands.add_parser("validate", help="parse and lint specs; store nothing")
    val.add_argument("sources", nargs="+", metavar="PATH")
    val.add_argument("--config", help="settings file")
    val.add_argument("--json", action="store_true", help="one JSON object per spec on stdout")
    val.set_defaults(handler=run_validate)


def run_import(args: argparse.Namespace) -> int:
    services = None if args.dry_run else services_of(args)
    fetcher = services.fetcher if services else _fetcher(args)
    ok = True
    for result in _with_progress(args, importers.import_sources(
            args.sources, connector_id=args.name, properties=args.properties, fetch=fetcher)):
        out = importers.result_json(result)
        if services is not None and result.connector is not None and not result.errors:
            try:
                stored = store_import(services, result, allow_breaking=args.allow_breaking)
                out["version"] = stored.version
            except PortwayError as exc:
                out["status"] = "failed"
                out["errors"].append({"rule": exc.code, "severity": "error", "pointer": "",
                                      "message": exc.message})
        ok = ok and out["status"] == "imported"
        _report(args, out)
    return 0 if ok else 1


def run_validate(args: argparse.Namespace) -> int:
    fetcher = _fetcher(args)
    ok = True
    for result in _with_progress(args, importers.import_sources(args.sources, fetch=fetcher,
                                                                with_lint=True)):
        out = importers.result_json(result)
        ok = ok and not result.errors
        _report(args, out)
    return 0 if ok else 1


def _fetcher(args: argparse.Namespace) -> DocumentFetcher:
    settings = settings_of(args)
    return DocumentFetcher(EgressGuard(settings.egress.allow),
                           max_bytes=settings.limits.max_spec_bytes,
                           max_redirects=settings.egress.max_redirects)


def _report(args: argparse.Namespace, out: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(out), flush=True)
        return
    mark = "ok  " if out["status"] == "imported" else "FAIL"
    line = (f"{mark} {out['source']} -> {out['connector']}: {out['operations']} operation(s), "
            f"{out['triggers']} trigger(s), {len(out['warnings'])} warning(s)")
    print(line, file=sys.stderr)
    for error in out["errors"][:5]:
        text = error["message"] if isinstance(error, dict) else str(error)
        print(f"     error: {text}", file=sys.stderr)


def _with_progress(args: argparse.Namespace, results: Iterator[ImportResult]
                   ) -> Iterator[ImportResult]:
    try:
        total = len(importers.discover(args.sources))
    except PortwayError:
        total = 0  # the import itself reports the unreadable source
    if total <= 1 or not sys.stderr.isatty():
        yield from results
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("importing", total=total)
        for result in results:
            progress.advance(task)
            yield result

