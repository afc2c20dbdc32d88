"""The JSON Lines connector: one JSON value per line of a file, appended and polled.

Connection (``parameterValues``): ``folder`` — the folder holding the files. A file is
named by a plain ``fileName`` (letters, digits, ``.``, ``_``, ``-``; no path), so a
workflow cannot reach outside the folder.

- ``appendRecords`` (action): ``{"fileName", "records": [...]}`` appends each record as
  one line, in one write; outputs ``{"body": {"appended": n, "size": bytes}}``.
- ``whenRecordsAreAppended`` (polling trigger): ``{"fileName", "maxRecords"}`` fires with
  ``{"body": [records...]}`` — the complete lines after the watermark (a byte offset, kept
  by Portway in the trigger's state), at most ``maxRecords`` of them; a line still being
  written (no newline yet) waits for the next poll. A line that is not JSON arrives as
  ``{"unparsedLine": "<text>"}``. A file shorter than the watermark was replaced: it is
  read again from its start. A missing file fires nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gateway import BadRequest, NotFound
from runtime.builtins import ProviderOperation

APPEND = "appendRecords"
WHEN_APPENDED = "whenRecordsAreAppended"
MAX_RECORDS = 1000
MAX_LINE_BYTES = 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")
_FILE_NAME = {"type": "string", "title": "File name",
              "description": "A file in the connection's folder, e.g. orders.jsonl"}


class JsonLinesProvider:
    """``/serviceProviders/jsonLines``: JSON Lines files in a folder."""

    id = "/serviceProviders/jsonLines"
    display_name = "JSON Lines"
    description = ("Append records to JSON Lines files in a folder, and start a run for "
                   "the records appended since the last poll.")
    connection_parameters: Mapping[str, Any] = {
        "type": "object", "required": ["folder"],
        "properties": {"folder": {"type": "string", "title": "Folder",
                                  "description": "The folder holding the files"}},
    }

    def operations(self) -> Mapping[str, ProviderOperation]:
        return {
            APPEND: ProviderOperation(
                APPEND, "Append records",
                parameters={"type": "object", "required": ["fileName", "records"],
                            "properties": {"fileName": _FILE_NAME, "records": {
                                "type": "array", "title": "Records", "maxItems": MAX_RECORDS,
                                "description": "JSON values, one line each"}}},
                outputs={"type": "object", "properties": {
                    "appended": {"type": "integer"}, "size": {"type": "integer"}}},
                description="Appends each record as one line at the end of the file, "
                            "creating it if needed."),
            WHEN_APPENDED: ProviderOperation(
                WHEN_APPENDED, "When records are appended",
                parameters={"type": "object", "required": ["fileName"],
                            "properties": {"fileName": _FILE_NAME, "maxRecords": {
                                "type": "integer", "title": "Records per poll",
                                "minimum": 1, "maximum": MAX_RECORDS, "default": 100}}},
                outputs={"type": "array", "items": {}},
                trigger=True,
                description="Fires with the records appended since the last poll, oldest "
                            "first."),
        }

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        if operation_id != APPEND:
            raise NotFound(f"the JSON Lines connector has no action '{operation_id}'")
        path = _file(connection, parameters)
        records = parameters.get("records")
        if not isinstance(records, list) or len(records) > MAX_RECORDS:
            raise BadRequest(f"'records' must be an array of at most {MAX_RECORDS} values")
        lines = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records]
        if any(len(line) > MAX_LINE_BYTES for line in lines):
            raise BadRequest(f"a record is over {MAX_LINE_BYTES} bytes as JSON")
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        size = await asyncio.to_thread(_append, path, data)
        return {"body": {"appended": len(lines), "size": size}}

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if operation_id != WHEN_APPENDED:
            raise NotFound(f"the JSON Lines connector has no trigger '{operation_id}'")
        path = _file(connection, parameters)
        limit = parameters.get("maxRecords", 100)
        if not isinstance(limit, int) or isinstance(limit, bool) or not \
                0 < limit <= MAX_RECORDS:
            raise BadRequest(f"'maxRecords' must be a whole number from 1 to {MAX_RECORDS}")
        offset = state.get("offset", 0)
        offset = offset if isinstance(offset, int) and offset >= 0 else 0
        records, after = await asyncio.to_thread(_read_after, path, offset, limit)
        if not records:
            return None, {"offset": after}
        return {"body": records}, {"offset": after}


def _file(connection: Mapping[str, Any], parameters: Mapping[str, Any]) -> Path:
    folder = connection.get("folder")
    if not isinstance(folder, str) or not folder or not Path(folder).is_dir():
        raise BadRequest("the JSON Lines connection's 'folder' is not a folder")
    name = parameters.get("fileName")
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise BadRequest("'fileName' must be a plain file name (letters, digits, '.', '_', "
                         "'-'), not a path")
    return Path(folder) / name


def _append(path: Path, data: bytes) -> int:
    # One write of whole lines to a file opened for appending: concurrent appends do not
    # interleave within a line.
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, data)
        return os.fstat(descriptor).st_size
    finally:
        os.close(descriptor)


def _read_after(path: Path, offset: int, limit: int) -> tuple[list[Any], int]:
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return [], offset
    with handle:
        size = os.fstat(handle.fileno()).st_size
        if size < offset:  # replaced by a shorter file: read it from its start
            offset = 0
        handle.seek(offset)
        records: list[Any] = []
        while len(records) < limit:
            line = handle.readline(MAX_LINE_BYTES + 1)
            if not line.endswith(b"\n"):
                if len(line) > MAX_LINE_BYTES and _skip_line(handle):
                    # Too long to be a record, and complete: skipped, and said so.
                    records.append({"unparsedLine": "(a line over 1 MiB)"})
                    offset = handle.tell()
                    continue
                break  # the end, or a line still being written
            offset += len(line)
            text = line.decode("utf-8", "replace").strip()
            if not text:
                continue
            try:
                records.append(json.loads(text))
            except ValueError:
                records.append({"unparsedLine": text})
    return records, offset


def _skip_line(handle: Any) -> bool:
    """Read to the end of the line; whether it has one (else it is still being written)."""
    while True:
        chunk = handle.readline(MAX_LINE_BYTES)
        if not chunk:
            return False
        if chunk.endswith(b"\n"):
            return True
