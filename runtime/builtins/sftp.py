"""The SFTP built-in connector, addressed as Logic Apps Standard addresses it:
``/serviceProviders/Sftp``, its operation ids and parameter names (Microsoft's code-first
workflow SDK), its connection parameters (the designer's: ``sshHostAddress``,
``username``, ``password``, ``portNumber``, ``rootDirectory``, ``sshPrivateKey``,
``sshPrivateKeyPassphrase``, ``sshHostKeyFingerprint``) and its output shapes.

Each call opens one session (``sftp_client``) after the egress guard admitted the host;
the server's host key must match ``sshHostKeyFingerprint`` before anything secret is sent
(without one the call fails, ``HostKeyUnknown``, naming the key the server presented).
Paths are relative to ``rootDirectory`` (default ``/``).

Triggers follow ``file_trigger``'s rule: ``whenFilesAreAddedOrModified`` (a batch, one
run per file with ``splitOn``) and ``whenFileIsAddedOrModified`` (one file per poll).
With ``includeFileContent`` each item carries the file's content; files larger than
``runtime.file_max_bytes`` are then not returned (as Logic Apps' SFTP triggers skip files
above their content limit).
"""

from __future__ import annotations

import posixpath
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from gateway import BadRequest, PortwayError
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
    write_bytes,
)
from runtime.builtins.outbound import vet_server
from runtime.builtins.registry import ProviderOperation
from runtime.builtins.sftp_client import SftpServer, SftpSession, session

__all__ = ["SftpProvider"]

T = TypeVar("T")

_ITEM = {"type": "object", "properties": {
    "name": {"type": "string"}, "absolutePath": {"type": "string"},
    "pathRelativeToRootDirectory": {"type": "string"}, "fileSize": {"type": "integer"},
    "mediaType": {"type": "string"}, "lastAccessTime": {"type": "string"},
    "lastModifiedTime": {"type": "string"}, "isDirectory": {"type": "boolean"},
    "readPermission": {"type": "boolean"}, "writePermission": {"type": "boolean"},
    "executePermission": {"type": "boolean"}}}
_TRIGGERED = {"type": "object", "properties": {
    "content": {"type": "string", "format": "binary"},
    "fileMetadata": {"type": "object", "properties": {
        "name": {"type": "string"}, "path": {"type": "string"}, "size": {"type": "integer"},
        "lastUpdatedTime": {"type": "string"},
        "pathRelativeToRootDirectory": {"type": "string"}}}}}
_TRIGGER_PARAMETERS = schema(["folderPath"], folderPath="string",
                             includeFileContent="boolean", maxFileCount="integer",
                             oldFilesCutoffTimestamp="string", ignoreFileExtensions="array")


def _relative(entry: FileEntry) -> str:
    return entry.path.lstrip("/")


class SftpProvider:
    """``/serviceProviders/Sftp``."""

    id = "/serviceProviders/Sftp"
    display_name = "SFTP"
    description = ("Read, write, list and watch files on an SFTP server over SSH, with the "
                   "server's host key checked before signing in.")
    connection_parameters: Mapping[str, Any] = {
        "type": "object", "required": ["sshHostAddress", "username"],
        "properties": {
            "sshHostAddress": {"type": "string", "description": "The SSH server's host"},
            "username": {"type": "string"},
            "password": {"type": "string", "x-ms-secret": True},
            "portNumber": {"type": "integer", "default": 22},
            "rootDirectory": {"type": "string", "default": "/"},
            "sshPrivateKey": {"type": "string", "x-ms-secret": True},
            "sshPrivateKeyPassphrase": {"type": "string", "x-ms-secret": True},
            "sshHostKeyFingerprint": {
                "type": "string",
                "description": "The server's host key fingerprint (MD5 a1:b2:… or "
                               "SHA256:…); required before anything secret is sent"},
        }}

    def operations(self) -> Mapping[str, ProviderOperation]:
        path = schema(["filePath"], filePath="string", inferContentType="boolean")
        items = {"type": "array", "items": _ITEM}
        return {op.operation_id: op for op in (
            ProviderOperation("getFileContent", "Get file content", path, {
                "type": "object", "properties": {"fileName": {"type": "string"},
                                                 "content": {"type": "string"}}}),
            ProviderOperation("getFileContentV2", "Get file content (V2)", path,
                              {"type": "string", "format": "binary"}),
            ProviderOperation("uploadFileContent", "Upload file content",
                              schema(["filePath", "overWriteFileIfExists"], filePath="string",
                                     content="string", overWriteFileIfExists="boolean"), {
                                  "type": "object", "properties": {
                                      "filePath": {"type": "string"},
                                      "size": {"type": "integer"},
                                      "filename": {"type": "string"},
                                      "pathRelativeToRootDirectory": {"type": "string"}}}),
            ProviderOperation("getMetadata", "Get file or folder metadata",
                              schema(["fileOrFolderPath"], fileOrFolderPath="string"), _ITEM),
            ProviderOperation("listFolder", "List files and subfolders in a folder",
                              schema(["folderPath"], folderPath="string",
                                     filesOnly="boolean"), items),
            ProviderOperation("deleteFile", "Delete file",
                              schema(["filePath"], filePath="string", skipDelete="boolean"),
                              {"type": "object",
                               "properties": {"fileDeleted": {"type": "boolean"}}}),
            ProviderOperation("createFolder", "Create folder",
                              schema(["folderPath"], folderPath="string"), _ITEM),
            ProviderOperation("deleteFolder", "Delete folder",
                              schema(["folderPath"], folderPath="string",
                                     recursiveDelete="boolean")),
            ProviderOperation("renameFile", "Rename file",
                              schema(["filePath", "newFileName"], filePath="string",
                                     newFileName="string", fetchMetadata="boolean"), _ITEM),
            ProviderOperation("copyFile", "Copy file",
                              schema(["sourceFilePath", "destinationFilePath"],
                                     sourceFilePath="string", destinationFilePath="string",
                                     overWriteFileIfExists="boolean"), _ITEM),
            ProviderOperation("whenFilesAreAddedOrModified",
                              "When files are added or updated", _TRIGGER_PARAMETERS,
                              {"type": "array", "items": _TRIGGERED}, trigger=True),
            ProviderOperation("whenFileIsAddedOrModified", "When a file is added or updated",
                              _TRIGGER_PARAMETERS, _TRIGGERED, trigger=True),
        )}

    async def invoke(self, operation_id: str, connection: Mapping[str, Any],
                     parameters: Mapping[str, Any]) -> Any:
        handler = _ACTIONS.get(operation_id)
        if handler is None:
            raise BadRequest(f"the SFTP connector has no action '{operation_id}'",
                             code="UnknownOperation")
        limit = runtime_settings().file_max_bytes

        async def work(opened: SftpSession) -> Any:
            return await handler(opened, parameters, limit)

        body = await _run(connection, work)
        return {} if body is None else {"body": body}

    async def poll(self, operation_id: str, connection: Mapping[str, Any],
                   parameters: Mapping[str, Any], state: Mapping[str, Any]
                   ) -> tuple[Mapping[str, Any] | None, Mapping[str, Any]]:
        if operation_id not in ("whenFilesAreAddedOrModified", "whenFileIsAddedOrModified"):
            raise BadRequest(f"the SFTP connector has no trigger '{operation_id}'",
                             code="UnknownOperation")
        single = operation_id == "whenFileIsAddedOrModified"
        folder = required_text(parameters, "folderPath")
        rule = rule_of({**parameters, "maxFileCount": 1} if single else parameters,
                       cutoff_names=("oldFilesCutoffTimestamp", "oldFileCutOffTimestamp"))
        with_content = flag(parameters, "includeFileContent")
        ignored = _extensions(parameters.get("ignoreFileExtensions"))
        settings = runtime_settings()

        async def work(opened: SftpSession) -> tuple[list[Any], dict[str, Any]]:
            listing = [e for e in await opened.listing(folder, settings.file_listing_max)
                       if not e.name.lower().endswith(ignored)
                       and not (with_content and e.size > settings.file_max_bytes)]
            chosen, after = new_files(listing, state, rule)
            items = []
            for entry in chosen:
                item: dict[str, Any] = {"fileMetadata": {
                    "name": entry.name, "path": opened.remote(entry.path),
                    "size": entry.size, "lastUpdatedTime": stamp(entry.modified),
                    "pathRelativeToRootDirectory": _relative(entry)}}
                if with_content:
                    data = await opened.read(entry.path, settings.file_max_bytes)
                    item["content"] = content_of(data, entry.path)
                items.append(item)
            return items, after

        items, after = await _run(connection, work)
        if not items:
            return None, after
        return {"body": items[0] if single else items}, after


def _extensions(value: Any) -> tuple[str, ...]:
    if value is None or value == "":
        return ()
    given = value if isinstance(value, list) else str(value).split(",")
    return tuple("." + str(e).strip().lower().lstrip(".") for e in given if str(e).strip())


async def _run(connection: Mapping[str, Any], work: Callable[[SftpSession], Awaitable[T]]
               ) -> T:
    host = server_host(connection, "sshHostAddress")
    port = port_of(connection, "portNumber", 22)
    address = (await vet_server(host, port, "sftp")).address
    fingerprints = str(connection_value(connection, "sshHostKeyFingerprint", "") or "")
    root = clean_path(connection_value(connection, "rootDirectory", "/") or "/",
                      "rootDirectory")
    server = SftpServer(
        host=host, address=address, port=port,
        username=str(connection_value(connection, "username", "") or ""),
        password=str(connection_value(connection, "password", "") or ""),
        private_key=str(connection_value(connection, "sshPrivateKey", "") or ""),
        passphrase=str(connection_value(connection, "sshPrivateKeyPassphrase", "") or ""),
        fingerprints=tuple(f.strip() for f in fingerprints.split(",") if f.strip()),
        root=root, timeout=runtime_settings().file_timeout_seconds)
    async with session(server) as opened:
        return await work(opened)


def _item(opened: SftpSession, entry: FileEntry) -> dict[str, Any]:
    mode = entry.permissions or 0
    return {"name": entry.name, "absolutePath": opened.remote(entry.path),
            "pathRelativeToRootDirectory": _relative(entry), "fileSize": entry.size,
            "mediaType": "" if entry.is_folder else media_type(entry.path),
            "lastAccessTime": stamp(entry.accessed), "lastModifiedTime": stamp(entry.modified),
            "isDirectory": entry.is_folder, "readPermission": bool(mode & 0o400),
            "writePermission": bool(mode & 0o200), "executePermission": bool(mode & 0o100)}


Handler = Callable[[SftpSession, Mapping[str, Any], int], Awaitable[Any]]


async def _get_content(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    path = required_text(p, "filePath")
    data = await opened.read(path, limit)
    return {"fileName": posixpath.basename(path),
            "content": content_of(data, path, flag(p, "inferContentType", True))}


async def _get_content_v2(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    return (await _get_content(opened, p, limit))["content"]


async def _upload(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    path = required_text(p, "filePath")
    data = write_bytes(p.get("content", ""), limit)
    entry = await opened.write(path, data, overwrite=flag(p, "overWriteFileIfExists"))
    return {"filePath": opened.remote(path), "size": entry.size, "filename": entry.name,
            "pathRelativeToRootDirectory": _relative(entry)}


async def _metadata(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    return _item(opened, await opened.stat(required_text(p, "fileOrFolderPath")))


async def _list(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    folder = clean_path(p.get("folderPath") or "/", "folderPath")
    entries = await opened.listing(folder, runtime_settings().file_listing_max)
    files_only = flag(p, "filesOnly")
    return [_item(opened, e) for e in sorted(entries, key=lambda e: e.path)
            if not (files_only and e.is_folder)]


async def _delete(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    path = required_text(p, "filePath")
    try:
        await opened.delete(path)
    except PortwayError as exc:
        if exc.code == "FileNotFound" and flag(p, "skipDelete"):
            return {"fileDeleted": False}
        raise
    return {"fileDeleted": True}


async def _create_folder(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    return _item(opened, await opened.make_folder(required_text(p, "folderPath")))


async def _delete_folder(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    folder = required_text(p, "folderPath")
    if folder == "/":
        raise BadRequest("the root directory itself cannot be deleted", code="InvalidPath")
    await opened.delete_folder(folder, flag(p, "recursiveDelete"))
    return None


async def _rename(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    path = required_text(p, "filePath")
    name = p.get("newFileName")
    if not isinstance(name, str) or not name or "/" in name or "\\" in name \
            or name in (".", ".."):
        raise BadRequest("newFileName must be a file name, without a folder",
                         code="InvalidPath")
    target = clean_path(posixpath.join(posixpath.dirname(path), name), "newFileName")
    return _item(opened, await opened.rename(path, target))


async def _copy(opened: SftpSession, p: Mapping[str, Any], limit: int) -> Any:
    source = required_text(p, "sourceFilePath")
    target = required_text(p, "destinationFilePath")
    data = await opened.read(source, limit)
    entry = await opened.write(target, data, overwrite=flag(p, "overWriteFileIfExists"))
    return _item(opened, entry)


_ACTIONS: dict[str, Handler] = {
    "getFileContent": _get_content, "getFileContentV2": _get_content_v2,
    "uploadFileContent": _upload, "getMetadata": _metadata, "listFolder": _list,
    "deleteFile": _delete, "createFolder": _create_folder, "deleteFolder": _delete_folder,
    "renameFile": _rename, "copyFile": _copy,
}
