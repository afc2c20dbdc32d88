"""The FTP built-in connector, addressed as Logic Apps Standard addresses it:
``/serviceProviders/Ftp``, its operation ids and parameter names, its connection
parameters (``serverAddress``, ``username``, ``password``, ``portNumber``, ``enableSsl``,
``disableCertificateValidation``, ``enableBinaryMode``) and its output shapes (Logic Apps'
``BlobMetadata``: ``name``, ``path``, ``size``, ``lastUpdatedTime``, ``mediaType``,
``isFolder``).

Each call opens one session (``ftp_client``) in a worker thread, after the egress guard
admitted the server's host. ``enableBinaryMode`` is accepted and needs nothing: Portway
always transfers in binary mode, so content arrives byte for byte. ``enableSsl`` is
explicit FTPS (``AUTH TLS``, data channel protected).

The trigger ``whenFtpFilesAreAddedOrModified`` follows ``file_trigger``'s rule over the
folder's listing; ``ignoreSubFolders`` (true unless set false) keeps it to the folder
itself, else its subfolders are listed too (eight levels at most).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gateway import BadRequest, UpstreamTimeout
from runtime.builtins.calling import runtime_settings
from runtime.builtins.file_trigger import new_files, rule_of
from runtime.builtins.files import (
    FileEntry,
    clean_path,
    connection_value,
    content_of,
    flag,
    media_type,
    port_of,
    required_text,
    schema,
    server_host,
    stamp,
    unless_missing,
    write_bytes,
)
from runtime.builtins.ftp_client import FtpServer, FtpSession, session
from runtime.builtins.outbound import vet_server
from runtime.builtins.registry import ProviderOperation

__all__ = ["FtpProvider", "blob_metadata"]

T = TypeVar("T")

_DEPTH = 8
_BLOB = {"type": "object", "properties": {
    "name": {"type": "string"}, "path": {"type": "string"}, "size": {"type": "integer"},
    "lastUpdatedTime": {"type": "string"}, "mediaType": {"type": "string"},
    "isFolder": {"type": "boolean"}}}
_CONTENT = {"type": "string", "format": "binary"}


def blob_metadata(entry: FileEntry) -> dict[str, Any]:
    """A file's metadata as the FTP connector's outputs show it."""
    return {"name": entry.name, "path": entry.path, "size": entry.size,
            "lastUpdatedTime": stamp(entry.modified),
            "mediaType": "" if entry.is_folder else media_type(entry.path),
            "isFolder": entry.is_folder}


class FtpProvider:
    """``/serviceProviders/Ftp``."""

    id = "/serviceProviders/Ftp"
    display_name = "FTP"
    description = ("List, read, create, update and delete files on an FTP server, and "
                   "start runs when files are added or modified.")
    connection_parameters: Mapping[str, Any] = {
        "type": "object", "required": ["serverAddress", "username", "password"],
        "properties": {
            "serverAddress": {"type": "string", "description": "The FTP server's host"},
            "username": {"type": "string"},
            "password": {"type": "string", "x-ms-secret": True},
            "portNumber": {"type": "integer", "default": 21},
            "enableSsl": {"type": "boolean", "default": False,
                          "description": "Explicit FTPS (AUTH TLS)"},
            "disableCertificateValidation": {"type": "boolean", "default": False},
            "enableBinaryMode": {"type": "boolean", "default": True,
                                 "description": "Accepted; Portway always sends binary"},
        }}

    def operations(self) -> Mapping[str, ProviderOperation]:
        path = schema(["filePath"], filePath="string")
        write = schema(["filePath", "fileContent"], filePath="string", fileContent="string",
                       getAllFileMetadata="boolean")
        return {op.operation_id: op for op in (
            ProviderOperation("getFtpFileContent", "Get file content", path, _CONTENT),
            ProviderOperation("getFtpFileContentV2", "Get file content (V2)", path, _CONTENT),
            ProviderOperation("getFileMetadata", "Get file metadata", path, _BLOB),
            ProviderOperation("createFile", "Create file", write, _BLOB),
            ProviderOperation("updateFile", "Update file", write, _BLOB),
            ProviderOperation("deleteFtpFile", "Delete file",
                              schema(["filePath"], filePath="string",
                                     skipIfFileNotPresent="boolean")),
            ProviderOperation("listFilesInFolder", "List files and subfolders in a folder",
                              schema(["folderPath"], folderPath="string"),
                              {"type": "array", "items": _BLOB}),
            ProviderOperation("whenFtpFilesAreAddedOrModified",
                              "When a file is added or updated",
                              schema(["folderPath"], folderPath="string",
                                     maxFileCount="integer", oldFileCutOffTimestamp="string",
                                     ignoreSubFolders="boolean"),
                              {"type": "array", "items": _BLOB}, trigger=True),
        )}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        limit = runtime_settings().file_max_bytes
        if operation_id in ("getFtpFileContent", "getFtpFileContentV2"):
            path = required_text(parameters, "filePath", "path")
            data = await self._run(connection, lambda s: s.read(path, limit))
            return {"body": content_of(data, path)}
        if operation_id == "getFileMetadata":
            path = required_text(parameters, "filePath", "path")
            entry = await self._run(connection, lambda s: s.stat(path))
            return {"body": blob_metadata(entry)}
        if operation_id in ("createFile", "updateFile"):
            path = required_text(parameters, "filePath")
            if "fileContent" not in parameters:
                raise BadRequest("the parameter 'fileContent' is required",
                                 code="MissingParameter")
            data = write_bytes(parameters["fileContent"], limit)
            entry = await self._run(connection, lambda s: s.write(path, data))
            return {"body": blob_metadata(entry)}
        if operation_id == "deleteFtpFile":
            path = required_text(parameters, "filePath")
            skip = flag(parameters, "skipIfFileNotPresent")
            await self._run(connection, lambda s: _delete(s, path, skip))
            return {}
        if operation_id == "listFilesInFolder":
            folder = clean_path(parameters.get("folderPath") or "/", "folderPath")
            listing_max = runtime_settings().file_listing_max
            entries = await self._run(connection, lambda s: s.listing(folder, listing_max))
            return {"body": [blob_metadata(e) for e in sorted(entries, key=_by_path)]}
        raise BadRequest(f"the FTP connector has no action '{operation_id}'",
                         code="UnknownOperation")

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if operation_id != "whenFtpFilesAreAddedOrModified":
            raise BadRequest(f"the FTP connector has no trigger '{operation_id}'",
                             code="UnknownOperation")
        folder = required_text(parameters, "folderPath")
        rule = rule_of(parameters)
        depth = 0 if flag(parameters, "ignoreSubFolders", True) else _DEPTH
        listing_max = runtime_settings().file_listing_max
        entries = await self._run(connection, lambda s: _walk(s, folder, depth, listing_max))
        chosen, after = new_files(entries, state, rule)
        if not chosen:
            return None, after
        return {"body": [blob_metadata(e) for e in chosen]}, after

    async def _run(self, connection: Mapping[str, Any], work: Callable[[FtpSession], T]) -> T:
        server = await _server(connection)

        def in_thread() -> T:
            with session(server) as opened:
                return work(opened)

        try:
            return await asyncio.wait_for(asyncio.to_thread(in_thread), server.timeout * 2)
        except TimeoutError:
            raise UpstreamTimeout("the FTP operation did not finish in time",
                                  details=[{"phase": "exchange"}]) from None


async def _server(connection: Mapping[str, Any]) -> FtpServer:
    host = server_host(connection, "serverAddress")
    port = port_of(connection, "portNumber", 21)
    address = (await vet_server(host, port, "ftp")).address
    username = connection_value(connection, "username", "")
    password = connection_value(connection, "password", "")
    return FtpServer(
        host=host, address=address, port=port,
        username=str(username or ""), password=str(password or ""),
        tls=flag(connection, "enableSsl"),
        verify=not flag(connection, "disableCertificateValidation"),
        timeout=runtime_settings().file_timeout_seconds)


def _delete(opened: FtpSession, path: str, skip_missing: bool) -> None:
    with unless_missing(skip_missing):
        opened.delete(path)


def _walk(opened: FtpSession, folder: str, depth: int, limit: int) -> list[FileEntry]:
    entries = opened.listing(folder, limit)
    found = list(entries)
    if depth > 0:
        for entry in entries:
            if entry.is_folder:
                found.extend(_walk(opened, entry.path, depth - 1, limit - len(found)))
    return found


def _by_path(entry: FileEntry) -> str:
    return entry.path
