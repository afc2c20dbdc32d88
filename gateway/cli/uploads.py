"""``portway import`` and ``portway validate`` with ``--url``: specs sent to a running gateway.

Each spec found (``importers.discover``) is read here and uploaded as the HTTP API takes it:
``PUT /v1/connectors/{id}`` (multipart with ``apiProperties`` when the spec has one) or
``POST /v1/connectors/validate``. Each answer becomes the same ``--json`` line a local
import prints, so scripts need not care which mode ran.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from gateway.cli.common import RemoteGateway
from gateway.errors import PortwayError
from gateway.fetch import DocumentFetcher
from importers.sources import SpecSource

_MEDIA_TYPES = {".json": "application/json", ".yaml": "application/yaml",
                ".yml": "application/yaml", ".wsdl": "text/xml", ".xml": "text/xml"}


def upload(remote: RemoteGateway, specs: list[SpecSource], args: argparse.Namespace,
           fetch: DocumentFetcher) -> Iterator[dict[str, Any]]:
    """Upload every spec as a connector version; one ``--json`` line per spec."""
    single = len([s for s in specs if s.error is None]) == 1
    properties = Path(args.properties).read_bytes() if args.properties else None
    query = {"allowBreaking": _flag(args.allow_breaking), "dryRun": _flag(args.dry_run)}
    for spec in specs:
        connector_id = args.name if single and args.name else spec.default_id
        try:
            files = _files(spec, fetch, properties if single else None)
            answer = remote.call("PUT", f"/v1/connectors/{connector_id}", params=query,
                                 **files)
        except PortwayError as exc:
            yield _failed(spec, connector_id, exc.code, exc.message)
            continue
        yield _line(spec, connector_id, answer)


def validate(remote: RemoteGateway, specs: list[SpecSource], fetch: DocumentFetcher
             ) -> Iterator[dict[str, Any]]:
    """Validate every spec on the gateway; one ``--json`` line per spec."""
    for spec in specs:
        try:
            files = _files(spec, fetch, None)
            answer = remote.call("POST", "/v1/connectors/validate",
                                 params={"name": spec.default_id}, **files)
        except PortwayError as exc:
            yield _failed(spec, spec.default_id, exc.code, exc.message)
            continue
        yield _line(spec, spec.default_id, answer)


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _files(spec: SpecSource, fetch: DocumentFetcher, properties: bytes | None
           ) -> dict[str, Any]:
    """The request's body: the spec alone, or multipart with its apiProperties.json."""
    if spec.error is not None:
        raise spec.error
    data = spec.read(fetch)
    if properties is None and spec.properties is not None and spec.container is not None:
        properties = spec.container.read(spec.properties)
    name = Path(spec.main).name or "spec"
    media_type = _MEDIA_TYPES.get(Path(name).suffix.lower(), "application/octet-stream")
    if properties is None:
        return {"content": data, "headers": {"content-type": media_type}}
    return {"files": {"spec": (name, data, media_type),
                      "apiProperties": ("apiProperties.json", properties,
                                        "application/json")}}


def _line(spec: SpecSource, connector_id: str, answer: httpx.Response) -> dict[str, Any]:
    try:
        body = answer.json()
    except ValueError:
        return _failed(spec, connector_id, "BadAnswer",
                       f"the gateway answered {answer.status_code} without JSON")
    if answer.status_code < 400 and isinstance(body, dict):
        out: dict[str, Any] = {**body, "source": spec.label}
        if "valid" in out and not out["valid"]:
            out["status"] = "failed"
        return out
    error = body.get("error", {}) if isinstance(body, dict) else {}
    findings = [d for d in error.get("details") or [] if isinstance(d, dict)]
    out = _failed(spec, connector_id, str(error.get("code", answer.status_code)),
                  str(error.get("message", "the gateway refused the upload")))
    if findings and all("severity" in d for d in findings):
        out["errors"] = [d for d in findings if d["severity"] == "error"] or out["errors"]
        out["warnings"] = [d for d in findings if d["severity"] != "error"]
    else:
        out["breakingChanges"] = [d for d in findings if "rule" in d]
    return out


def _failed(spec: SpecSource, connector_id: str, code: str, message: str) -> dict[str, Any]:
    return {"source": spec.label, "connector": connector_id, "status": "failed",
            "operations": 0, "triggers": 0, "warnings": [],
            "errors": [{"rule": code, "severity": "error", "pointer": "", "message": message}]}
