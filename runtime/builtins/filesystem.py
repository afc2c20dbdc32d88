"""The File System built-in connector, addressed as Logic Apps Standard addresses it:
``/serviceProviders/FileSystem``, its operation ids and parameter names (Microsoft's
code-first workflow SDK) and output shapes, over a folder of the machine Portway runs on.

The connection's ``rootFolder`` is where every path starts; it must be one of the folders
the operator lists in ``runtime.filesystem_roots`` or lie inside one (empty, the default:
the connector refuses every call), so a workflow's author cannot point it at Portway's own
files. Under the root, ``local_folder`` walks every path without following symbolic links.
``username`` and ``password`` (Logic Apps' Windows share credentials) are accepted and
not used: Portway reads and writes as the user it runs as.

Triggers ``whenFilesAreAdded`` and ``whenFilesAreAddedOrModified`` follow
``file_trigger``'s rule (the first fires once per file name, the second again on each
modification).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gateway import BadRequest
from runtime.builtins.calling import runtime_settings
from runtime.builtins.file_trigger import new_files, rule_of
from runtime.builtins.files import (
    FileEntry,
    clean_path,
    connection_value,
    content_of,
    flag,
    media_type,
    required_text,
    schema,
    stamp,
    too_large,
    unless_missing,
    write_bytes,
)
from runtime.builtins.local_folder import LocalFolder, rooted
from runtime.builtins.registry import ProviderOperation

__all__ = ["FileSystemProvider"]

T = TypeVar("T")

_METADATA = {"type": "object", "properties": {
    "name": {"type": "string"}, "path": {"type": "string"}, "size": {"type": "integer"},
    "createdTime": {"type": "string"}, "lastUpdatedTime": {"type": "string"},
    "contentType": {"type": "string"}}}
_WRITTEN = {"type": "object", "properties": {
    "name": {"type": "string"}, "path": {"type": "string"}, "size": {"type": "integer"}}}
_CONTENT = {"type": "string", "format": "binary"}


def _metadata(entry: FileEntry) -> dict[str, Any]:
    return {"name": entry.name, "path": entry.path, "size": entry.size,
            "createdTime": stamp(entry.created), "lastUpdatedTime": stamp(entry.modified),
            "contentType": "" if entry.is_folder else media_type(entry.path)}


def _written(entry: FileEntry) -> dict[str, Any]:
    return {"name": entry.name, "path": entry.path, "size": entry.size}


class FileSystemProvider:
    """``/serviceProviders/FileSystem``."""

    id = "/serviceProviders/FileSystem"
    display_name = "File System"
    description = ("Read, write, list and watch files in a folder of the machine Portway "
                   "runs on, inside the roots its operator allows.")
    connection_parameters: Mapping[str, Any] = {
        "type": "object", "required": ["rootFolder"],
        "properties": {
            "rootFolder": {"type": "string",
                           "description": "An absolute folder inside runtime.filesystem_roots"},
            "username": {"type": "string", "description": "Accepted, not used"},
            "password": {"type": "string", "x-ms-secret": True,
                         "description": "Accepted, not used"},
        }}

    def operations(self) -> Mapping[str, ProviderOperation]:
        path = schema(["filePath"], filePath="string")
        content = schema(["filePath"], filePath="string", inferContentType="boolean")
        body = schema(["filePath", "body"], filePath="string", body="string")
        trigger = schema(["folderPath"], folderPath="string", maxFileCount="integer",
                         oldFileCutOffTimestamp="string")
        metadata_list = {"type": "array", "items": _METADATA}
        return {op.operation_id: op for op in (
            ProviderOperation("createFile", "Create file", body, _WRITTEN),
            ProviderOperation("updateFile", "Update file", body, _WRITTEN),
            ProviderOperation("appendFile", "Append file",
                              schema(["filePath", "body"], filePath="string", body="string",
                                     createFileIfNotPresent="boolean")),
            ProviderOperation("getFileContent", "Get file content", content, _CONTENT),
            ProviderOperation("getFileContentV2", "Get file content (V2)", content, _CONTENT),
            ProviderOperation("getFileMetadata", "Get file metadata", path, _METADATA),
            ProviderOperation("listFolder", "List files and subfolders in a folder",
                              schema(["folderPath"], folderPath="string",
                                     enableRecursiveListing="boolean"), {
                                  "type": "array", "items": {"type": "object", "properties": {
                                      "name": {"type": "string"}, "path": {"type": "string"},
                                      "createdTime": {"type": "string"},
                                      "lastUpdatedTime": {"type": "string"},
                                      "isFolder": {"type": "boolean"}}}}),
            ProviderOperation("deleteFile", "Delete file",
                              schema(["filePath"], filePath="string",
                                     skipIfFileNotPresent="boolean")),
            ProviderOperation("copyFile", "Copy file",
                              schema(["source", "destination"], source="string",
                                     destination="string", overwrite="boolean")),
            ProviderOperation("renameFile", "Rename file",
                              schema(["filePath", "newName"], filePath="string",
                                     newName="string")),
            ProviderOperation("whenFilesAreAdded", "When a file is added", trigger,
                              metadata_list, trigger=True),
            ProviderOperation("whenFilesAreAddedOrModified", "When a file is added or updated",
                              trigger, metadata_list, trigger=True),
        )}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        settings = runtime_settings()
        limit, listing_max = settings.file_max_bytes, settings.file_listing_max
        p = parameters
        if operation_id in ("createFile", "updateFile"):
            path = required_text(p, "filePath")
            data = write_bytes(_given(p, "body"), limit)
            mode = "create" if operation_id == "createFile" else "update"
            entry = await _run(connection, lambda f: f.write(path, data, mode=mode))
            return {"body": _written(entry)}
        if operation_id == "appendFile":
            path = required_text(p, "filePath")
            data = write_bytes(_given(p, "body"), limit)
            mode = "append-or-create" if flag(p, "createFileIfNotPresent") else "append"
            await _run(connection, lambda f: _append(f, path, data, mode, limit))
            return {}
        if operation_id in ("getFileContent", "getFileContentV2"):
            path = required_text(p, "filePath")
            data = await _run(connection, lambda f: f.read(path, limit))
            return {"body": content_of(data, path, flag(p, "inferContentType", True))}
        if operation_id == "getFileMetadata":
            path = required_text(p, "filePath")
            return {"body": _metadata(await _run(connection, lambda f: f.stat(path)))}
        if operation_id == "listFolder":
            folder = clean_path(p.get("folderPath") or "/", "folderPath")
            recursive = flag(p, "enableRecursiveListing")
            entries = await _run(connection, lambda f: f.listing(folder, listing_max,
                                                                  recursive=recursive))
            return {"body": [{"name": e.name, "createdTime": stamp(e.created), "path": e.path,
                              "lastUpdatedTime": stamp(e.modified), "isFolder": e.is_folder}
                             for e in sorted(entries, key=lambda e: e.path)]}
        if operation_id == "deleteFile":
            path = required_text(p, "filePath")
            skip = flag(p, "skipIfFileNotPresent")
            await _run(connection, lambda f: _delete(f, path, skip))
            return {}
        if operation_id == "copyFile":
            source, target = required_text(p, "source"), required_text(p, "destination")
            mode = "replace" if flag(p, "overwrite") else "create"
            await _run(connection, lambda f: f.write(target, f.read(source, limit), mode=mode))
            return {}
        if operation_id == "renameFile":
            path = required_text(p, "filePath")
            name = p.get("newName")
            if not isinstance(name, str) or clean_path(name, "newName").count("/") != 1 \
                    or "/" in name or "\\" in name:
                raise BadRequest("newName must be a file name, without a folder",
                                 code="InvalidPath")
            await _run(connection, lambda f: f.rename(path, name))
            return {}
        raise BadRequest(f"the File System connector has no action '{operation_id}'",
                         code="UnknownOperation")

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if operation_id not in ("whenFilesAreAdded", "whenFilesAreAddedOrModified"):
            raise BadRequest(f"the File System connector has no trigger '{operation_id}'",
                             code="UnknownOperation")
        folder = required_text(parameters, "folderPath")
        rule = rule_of(parameters, on_modified=operation_id == "whenFilesAreAddedOrModified")
        listing_max = runtime_settings().file_listing_max
        entries = await _run(connection, lambda f: f.listing(folder, listing_max))
        chosen, after = new_files(entries, state, rule)
        if not chosen:
            return None, after
        return {"body": [_metadata(e) for e in chosen]}, after


def _given(parameters: Mapping[str, Any], name: str) -> Any:
    if name not in parameters:
        raise BadRequest(f"the parameter '{name}' is required", code="MissingParameter")
    return parameters[name]


def _append(folder: LocalFolder, path: str, data: bytes, mode: str, limit: int) -> FileEntry:
    size = 0
    with unless_missing(True):
        size = folder.stat(path).size
    if size + len(data) > limit:
        raise too_large(size + len(data), limit)
    return folder.write(path, data, mode=mode)


def _delete(folder: LocalFolder, path: str, skip_missing: bool) -> None:
    with unless_missing(skip_missing):
        folder.delete(path)


async def _run(connection: Mapping[str, Any], work: Callable[[LocalFolder], T]) -> T:
    given = str(connection_value(connection, "rootFolder", "") or "")
    allowed = runtime_settings().filesystem_roots
    return await asyncio.to_thread(lambda: work(LocalFolder(rooted(given, allowed))))
