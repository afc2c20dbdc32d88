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
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError

import importers
from gateway.catalogue import store_import
from gateway.cli import uploads
from gateway.cli.common import add_store_options, remote_of, services_of, settings_of
from gateway.errors import BadRequest, PortwayError
from gateway.fetch import DocumentFetcher
from gateway.policies.checking import with_policy_findings
from gateway.security.egress import EgressGuard
from gateway.services import Services, build_services
from gateway.store.database import Database
from gateway.store.principals import validate_name
from importers import ImportResult

T = TypeVar("T")

#: Warnings ``portway validate`` prints per spec in text mode (``--json`` has them all).
_SHOWN_WARNINGS = 50


def register(commands: Any) -> None:
    imp = commands.add_parser("import", help="import specs as connectors")
    imp.add_argument("sources", nargs="+", metavar="PATH_OR_URL")
    add_store_options(imp, remote=True)
    imp.add_argument("--name", help="the connector id (one spec only)")
    imp.add_argument("--properties", metavar="FILE",
                     help="an apiProperties.json for the spec (one spec only)")
    imp.add_argument("--json", action="store_true", help="one JSON object per spec on stdout")
    imp.add_argument("--dry-run", action="store_true",
                     help="parse and check against the catalogue; store nothing")
    imp.add_argument("--allow-breaking", action="store_true",
                     help="accept breaking changes against the current version")
    imp.set_defaults(handler=run_import)
    val = commands.add_parser("validate", help="parse and lint specs; store nothing")
    val.add_argument("sources", nargs="+", metavar="PATH")
    add_store_options(val, remote=True)
    val.add_argument("--json", action="store_true", help="one JSON object per spec on stdout")
    val.set_defaults(handler=run_validate)


def run_import(args: argparse.Namespace) -> int:
    """``portway import``: store every spec found as a connector version.

    Returns:
        0 when every spec imported (or was unchanged), 1 otherwise.

    Raises:
        BadRequest: ``--name`` or ``--properties`` with other than exactly one spec.
    """
    specs = importers.discover(args.sources)
    for option, value in (("--name", args.name), ("--properties", args.properties)):
        if value is not None and len(specs) != 1:
            raise BadRequest(
                f"{option} applies to exactly one spec, and {len(specs)} were found in "
                f"{' '.join(args.sources)}; drop {option} to derive each connector's id "
                "from its folder or file name",
                details=[{"option": option, "specs": len(specs)}])
    if args.name is not None:
        validate_name(args.name, "connector")
    remote = remote_of(args)
    if remote is not None:
        ok = True
        for out in _with_progress(len(specs), uploads.upload(remote, specs, args,
                                                             _fetcher(args))):
            ok = ok and out["status"] == "imported"
            _report(args, out)
        return 0 if ok else 1
    services = _existing_catalogue(args) if args.dry_run else services_of(args)
    fetcher = services.fetcher if services is not None else _fetcher(args)
    results = map(with_policy_findings, importers.import_sources(
        args.sources, connector_id=args.name, properties=args.properties, fetch=fetcher))
    try:
        ok = True
        for result in _with_progress(len(specs), results):
            out = _store(args, services, result)
            ok = ok and out["status"] == "imported"
            _report(args, out)
    finally:
        if args.dry_run and services is not None:
            services.db.dispose()
    return 0 if ok else 1


def _store(args: argparse.Namespace, services: Services | None,
           result: ImportResult) -> dict[str, Any]:
    """The ``--json`` line of one result, after storing it (or checking, for a dry run)."""
    out = importers.result_json(result)
    if services is None or result.connector is None or result.errors:
        return out
    try:
        stored = store_import(services, result, allow_breaking=args.allow_breaking,
                              dry_run=args.dry_run)
    except PortwayError as exc:
        out["status"] = "failed"
        out["errors"].append({"rule": exc.code, "severity": "error", "pointer": "",
                              "message": exc.message})
        out["breakingChanges"] = [d for d in exc.details if isinstance(d, dict) and "rule" in d]
        return out
    out = importers.result_json(stored.result)
    out.update(stored.json())
    return out


def run_validate(args: argparse.Namespace) -> int:
    """``portway validate``: parse and lint; exit 1 on any error-level finding."""
    fetcher = _fetcher(args)
    specs = importers.discover(args.sources)
    remote = remote_of(args)
    if remote is not None:
        outs = uploads.validate(remote, specs, fetcher)
    else:
        outs = (importers.result_json(with_policy_findings(result))
                for result in importers.import_sources(args.sources, fetch=fetcher,
                                                       with_lint=True))
    ok = True
    for out in _with_progress(len(specs), outs):
        ok = ok and not out["errors"]
        _report(args, out, warnings=True)
    return 0 if ok else 1


def _existing_catalogue(args: argparse.Namespace) -> Services | None:
    """For a dry run: the catalogue if one exists, opened without migrating or creating it.

    A dry run then reports versions and breaking changes as a real import would; with no
    database yet it only parses, and leaves no file behind.
    """
    settings = settings_of(args)
    url = settings.database.url
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        if not path or path == ":memory:" or not Path(path).is_file():
            return None
    services = build_services(settings, migrate=False)
    try:
        at_head = services.db.current_heads() == Database.head_revisions()
    except (PortwayError, SQLAlchemyError):
        at_head = False
    if not at_head:
        services.db.dispose()
        return None
    return services


def _fetcher(args: argparse.Namespace) -> DocumentFetcher:
    settings = settings_of(args)
    return DocumentFetcher(EgressGuard(settings.egress.allow),
                           max_bytes=settings.limits.max_spec_bytes,
                           max_redirects=settings.egress.max_redirects)


def _report(args: argparse.Namespace, out: dict[str, Any], *,
            warnings: bool = False) -> None:
    """One result: its JSON line, or a line on stderr with its errors (and warnings)."""
    if args.json:
        print(json.dumps(out), flush=True)
        return
    mark = "ok  " if out["status"] == "imported" else "FAIL"
    version = out.get("version")
    stored = ""
    if out.get("unchanged"):
        stored = f" (unchanged, version {version})"
    elif version is not None:
        stored = f" (version {version})"
    line = (f"{mark} {out['source']} -> {out['connector']}{stored}: {out['operations']} "
            f"operation(s), {out['triggers']} trigger(s), {len(out['warnings'])} warning(s)")
    print(line, file=sys.stderr)
    for change in out.get("breakingChanges") or []:
        print(f"     breaking: {change['message']}", file=sys.stderr)
    for error in out["errors"][:5]:
        text = error["message"] if isinstance(error, dict) else str(error)
        print(f"     error: {text}", file=sys.stderr)
    if warnings:
        for warning in out["warnings"][:_SHOWN_WARNINGS]:
            where = f" at {warning['pointer']}" if warning.get("pointer") else ""
            print(f"     warning [{warning['rule']}]{where}: {warning['message']}",
                  file=sys.stderr)
        hidden = len(out["warnings"]) - _SHOWN_WARNINGS
        if hidden > 0:
            print(f"     … and {hidden} more warning(s); --json lists them all",
                  file=sys.stderr)


def _with_progress(total: int, results: Iterator[T]) -> Iterator[T]:
    # A bar only where someone watches: more than one spec and a terminal on stderr.
    if total <= 1 or not sys.stderr.isatty():
        yield from results
        return
    from rich.console import Console
    from rich.progress import Progress

    # rich would route stdout through its console (stderr): right when both are the same
    # terminal, wrong when stdout is piped, where the --json lines must stay on stdout.
    with Progress(console=Console(stderr=True), transient=True,
                  redirect_stdout=sys.stdout.isatty()) as progress:
        task = progress.add_task("importing", total=total)
        for result in results:
            progress.advance(task)
            yield result
