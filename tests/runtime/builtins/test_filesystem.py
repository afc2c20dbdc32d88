"""The File System built-in connector over a temporary folder: each operation's outputs,
the roots the operator allows, and every way out of the root refused (``..``, absolute
paths, symbolic links to files and folders outside, a link planted on the way)."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import PortwayError, Services
from gateway.services import build_services
from runtime.builtins.filesystem import FileSystemProvider
from tests.gateway.conftest import make_settings
from tests.runtime.builtins.support import invoke, poll

FS = FileSystemProvider()


@pytest.fixture
def allowed(tmp_path: Path) -> Path:
    base = tmp_path / "shares"
    (base / "team").mkdir(parents=True)
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.txt").write_text("top secret")
    return base


@pytest.fixture
def services(tmp_path: Path, database_url: str, allowed: Path) -> Iterator[Services]:
    built = build_services(make_settings(tmp_path, database_url,
                                         runtime={"filesystem_roots": (str(allowed),),
                                                  "file_max_bytes": 1000}))
    yield built
    built.db.dispose()


def connection(allowed: Path) -> dict[str, Any]:
    return {"rootFolder": str(allowed / "team"), "username": "ignored", "password": "x"}


def call(services: Services, allowed: Path, operation: str, **parameters: Any) -> Any:
    return invoke(services, FS, operation, connection(allowed), parameters)


def refused(services: Services, values: dict[str, Any], operation: str,
            **parameters: Any) -> PortwayError:
    with pytest.raises(PortwayError) as caught:
        invoke(services, FS, operation, values, parameters)
    return caught.value


def test_create_read_append_update_list_copy_rename_delete(services: Services,
                                                           allowed: Path) -> None:
    root = allowed / "team"
    assert call(services, allowed, "createFile", filePath="/in/a.txt", body="one\n")[
        "body"] == {"name": "a.txt", "path": "/in/a.txt", "size": 4}
    assert refused(services, connection(allowed), "createFile", filePath="/in/a.txt",
                   body="again").code == "FileAlreadyExists"
    call(services, allowed, "appendFile", filePath="/in/a.txt", body="two\n")
    assert (root / "in" / "a.txt").read_text() == "one\ntwo\n"
    assert refused(services, connection(allowed), "updateFile", filePath="/in/none.txt",
                   body="x").code == "FileNotFound"
    assert call(services, allowed, "updateFile", filePath="in/a.txt", body={"n": 1})[
        "body"]["size"] == 7

    content = call(services, allowed, "getFileContent", filePath="/in/a.txt")["body"]
    assert content == {"$content-type": "text/plain",
                       "$content": base64.b64encode(b'{"n":1}').decode()}
    metadata = call(services, allowed, "getFileMetadata", filePath="/in/a.txt")["body"]
    assert {k: metadata[k] for k in ("name", "path", "size", "contentType")} == {
        "name": "a.txt", "path": "/in/a.txt", "size": 7, "contentType": "text/plain"}

    call(services, allowed, "copyFile", source="/in/a.txt", destination="/out/b.txt")
    call(services, allowed, "renameFile", filePath="/out/b.txt", newName="c.txt")
    listed = call(services, allowed, "listFolder", folderPath="/", enableRecursiveListing=True)
    assert [(e["path"], e["isFolder"]) for e in listed["body"]] == [
        ("/in", True), ("/in/a.txt", False), ("/out", True), ("/out/c.txt", False)]

    call(services, allowed, "deleteFile", filePath="/out/c.txt")
    assert not (root / "out" / "c.txt").exists()
    assert call(services, allowed, "deleteFile", filePath="/out/c.txt",
                skipIfFileNotPresent=True) == {}


@pytest.mark.parametrize("path", ["../outside/secret.txt", "/in/../../outside/secret.txt",
                                  "..\\..\\outside\\secret.txt"])
def test_dot_dot_never_leaves_the_root(services: Services, allowed: Path, path: str) -> None:
    error = refused(services, connection(allowed), "getFileContent", filePath=path)
    assert (error.code, error.status_code) == ("PathOutsideRoot", 400)


def test_an_absolute_path_is_a_path_under_the_root(services: Services, allowed: Path,
                                                   tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    error = refused(services, connection(allowed), "getFileContent", filePath=str(secret))
    assert error.code == "FileNotFound"
    call(services, allowed, "createFile", filePath=str(secret), body="harmless")
    assert secret.read_text() == "top secret"
    assert (allowed / "team" / secret.relative_to("/")).read_text() == "harmless"


def test_symbolic_links_out_of_the_root_are_never_followed(services: Services,
                                                           allowed: Path,
                                                           tmp_path: Path) -> None:
    root = allowed / "team"
    os.symlink(tmp_path / "outside" / "secret.txt", root / "link.txt")
    os.symlink(tmp_path / "outside", root / "door")
    for operation, parameters in (
            ("getFileContent", {"filePath": "/link.txt"}),
            ("getFileContent", {"filePath": "/door/secret.txt"}),
            ("updateFile", {"filePath": "/link.txt", "body": "overwritten"}),
            ("appendFile", {"filePath": "/link.txt", "body": "more"}),
            ("createFile", {"filePath": "/door/new.txt", "body": "planted"}),
            ("getFileMetadata", {"filePath": "/link.txt"}),
            ("listFolder", {"folderPath": "/door"})):
        error = refused(services, connection(allowed), operation, **parameters)
        assert error.code in ("PathOutsideRoot", "FileNotFound"), (operation, error.code)
    assert (tmp_path / "outside" / "secret.txt").read_text() == "top secret"
    assert sorted(p.name for p in (tmp_path / "outside").iterdir()) == ["secret.txt"]
    listed = call(services, allowed, "listFolder", folderPath="/")["body"]
    assert listed == []  # links are not listed either


def test_a_root_folder_the_operator_did_not_allow_is_refused(
        services: Services, allowed: Path, tmp_path: Path, database_url: str) -> None:
    outside = {"rootFolder": str(tmp_path / "outside")}
    assert refused(services, outside, "listFolder", folderPath="/").code \
        == "RootFolderNotAllowed"
    sneaky = {"rootFolder": str(allowed / "team" / ".." / ".." / "outside")}
    assert refused(services, sneaky, "listFolder", folderPath="/").code \
        == "RootFolderNotAllowed"
    os.symlink(tmp_path / "outside", allowed / "linked")
    assert refused(services, {"rootFolder": str(allowed / "linked")}, "listFolder",
                   folderPath="/").code == "RootFolderNotAllowed"
    assert refused(services, {"rootFolder": "team"}, "listFolder",
                   folderPath="/").code == "InvalidConnection"
    default = build_services(make_settings(tmp_path, database_url))
    try:
        error = refused(default, connection(allowed), "listFolder", folderPath="/")
    finally:
        default.db.dispose()
    assert (error.code, error.status_code) == ("RootFolderNotAllowed", 403)


def test_sizes_are_bounded(services: Services, allowed: Path) -> None:
    (allowed / "team" / "big.bin").write_bytes(b"x" * 1001)
    assert refused(services, connection(allowed), "getFileContent",
                   filePath="/big.bin").code == "FileTooLarge"
    assert refused(services, connection(allowed), "createFile", filePath="/new.bin",
                   body="y" * 1001).code == "FileTooLarge"
    call(services, allowed, "createFile", filePath="/grow.txt", body="z" * 600)
    assert refused(services, connection(allowed), "appendFile", filePath="/grow.txt",
                   body="z" * 600).code == "FileTooLarge"
    assert not (allowed / "team" / "new.bin").exists()
    assert (allowed / "team" / "grow.txt").stat().st_size == 600


def test_added_fires_once_per_name_added_or_modified_again_on_change(
        services: Services, allowed: Path) -> None:
    root = allowed / "team"
    (root / "drop").mkdir()
    (root / "drop" / "a.txt").write_text("a")
    values = connection(allowed)

    def fired(operation: str, state: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        outputs, after = poll(services, FS, operation, values, {"folderPath": "/drop"}, state)
        return ([item["path"] for item in outputs["body"]] if outputs else []), dict(after)

    states: dict[str, dict[str, Any]] = {"whenFilesAreAdded": {},
                                         "whenFilesAreAddedOrModified": {}}
    seen: dict[str, list[list[str]]] = {name: [] for name in states}
    for round_ in range(4):
        if round_ == 2:
            (root / "drop" / "a.txt").write_text("a, changed")
            os.utime(root / "drop" / "a.txt", (1, 1))  # an old, preserved time
        for name in states:
            got, states[name] = fired(name, states[name])
            seen[name].append(got)
    assert seen["whenFilesAreAdded"] == [[], ["/drop/a.txt"], [], []]
    assert seen["whenFilesAreAddedOrModified"] == [[], ["/drop/a.txt"], [], ["/drop/a.txt"]]
