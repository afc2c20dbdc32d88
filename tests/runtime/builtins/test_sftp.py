"""The SFTP built-in connector against a real SFTP server (asyncssh) on loopback: the
host key checked before signing in, each operation's outputs as Logic Apps shapes them,
the root directory, and the triggers with and without content."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from gateway import PortwayError, Services
from runtime.builtins.sftp import SftpProvider
from tests.runtime.builtins.support import invoke, poll
from tests.support.file_servers import PASSWORD, USER, FileServer, sftp_server
from tests.support.servers import free_port

SFTP = SftpProvider()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FileServer]:
    with sftp_server(tmp_path / "sftp") as running:
        yield running


def connection(server: FileServer, **more: Any) -> dict[str, Any]:
    return {"sshHostAddress": "127.0.0.1", "username": USER, "password": PASSWORD,
            "portNumber": server.port, "sshHostKeyFingerprint": server.fingerprints[0],
            **more}


def call(services: Services, server: FileServer, operation: str, **parameters: Any) -> Any:
    return invoke(services, SFTP, operation, connection(server), parameters)


def refused(services: Services, values: dict[str, Any], operation: str,
            **parameters: Any) -> PortwayError:
    with pytest.raises(PortwayError) as caught:
        invoke(services, SFTP, operation, values, parameters)
    return caught.value


def test_upload_list_read_rename_copy_and_delete(services: Services, server: FileServer) -> None:
    uploaded = call(services, server, "uploadFileContent", filePath="/in/a.csv",
                    content="x,y\n1,2\n", overWriteFileIfExists=True)["body"]
    assert uploaded == {"filePath": "/in/a.csv", "size": 8, "filename": "a.csv",
                        "pathRelativeToRootDirectory": "in/a.csv"}
    assert (server.root / "in" / "a.csv").read_bytes() == b"x,y\n1,2\n"
    again = refused(services, connection(server), "uploadFileContent", filePath="/in/a.csv",
                    content="other", overWriteFileIfExists=False)
    assert (again.code, again.status_code) == ("FileAlreadyExists", 409)
    assert (server.root / "in" / "a.csv").read_bytes() == b"x,y\n1,2\n"

    got = call(services, server, "getFileContent", filePath="in/a.csv")["body"]
    assert got == {"fileName": "a.csv", "content": {
        "$content-type": "text/csv", "$content": base64.b64encode(b"x,y\n1,2\n").decode()}}
    assert call(services, server, "getFileContentV2", filePath="in/a.csv")["body"] \
        == got["content"]

    listed = call(services, server, "listFolder", folderPath="/in")["body"]
    assert [(i["name"], i["absolutePath"], i["fileSize"], i["isDirectory"]) for i in listed] \
        == [("a.csv", "/in/a.csv", 8, False)]
    assert listed[0]["readPermission"] is True and listed[0]["lastModifiedTime"].endswith("Z")
    folder = call(services, server, "getMetadata", fileOrFolderPath="/in")["body"]
    assert (folder["name"], folder["isDirectory"]) == ("in", True)

    renamed = call(services, server, "renameFile", filePath="/in/a.csv",
                   newFileName="b.csv")["body"]
    assert renamed["absolutePath"] == "/in/b.csv"
    copied = call(services, server, "copyFile", sourceFilePath="/in/b.csv",
                  destinationFilePath="/out/c.csv")["body"]
    assert copied["fileSize"] == 8
    assert (server.root / "out" / "c.csv").read_bytes() == b"x,y\n1,2\n"

    assert call(services, server, "deleteFile", filePath="/in/b.csv")["body"] == {
        "fileDeleted": True}
    assert call(services, server, "deleteFile", filePath="/in/b.csv", skipDelete=True)[
        "body"] == {"fileDeleted": False}
    assert refused(services, connection(server), "deleteFile", filePath="/in/b.csv").code \
        == "FileNotFound"
    call(services, server, "deleteFolder", folderPath="/out", recursiveDelete=True)
    assert not (server.root / "out").exists()


def test_paths_are_under_the_root_directory(services: Services, server: FileServer) -> None:
    (server.root / "data").mkdir()
    values = connection(server, rootDirectory="/data")
    invoke(services, SFTP, "uploadFileContent", values,
           {"filePath": "/x.txt", "content": "in data", "overWriteFileIfExists": True})
    assert (server.root / "data" / "x.txt").read_text() == "in data"
    error = refused(services, values, "getFileContent", filePath="/../secret.txt")
    assert error.code == "PathOutsideRoot"


def test_without_a_fingerprint_nothing_is_sent_and_the_error_names_the_key(
        services: Services, server: FileServer) -> None:
    values = connection(server)
    del values["sshHostKeyFingerprint"]
    error = refused(services, values, "listFolder", folderPath="/")
    assert (error.code, error.retryable) == ("HostKeyUnknown", False)
    assert server.fingerprints[0] in error.message and PASSWORD not in error.message


def test_a_wrong_fingerprint_is_refused_and_either_form_of_the_right_one_works(
        services: Services, server: FileServer) -> None:
    other = asyncssh.generate_private_key("ssh-ed25519").get_fingerprint("md5")
    error = refused(services, connection(server, sshHostKeyFingerprint=other), "listFolder",
                    folderPath="/")
    assert error.code == "HostKeyMismatch"
    md5 = server.fingerprints[0].removeprefix("MD5:")
    for given in (md5, md5.upper(), server.fingerprints[1], f"{other}, {md5}"):
        assert invoke(services, SFTP, "listFolder",
                      connection(server, sshHostKeyFingerprint=given),
                      {"folderPath": "/"}) == {"body": []}


def test_a_wrong_password_and_a_closed_port_say_so(services: Services,
                                                   server: FileServer) -> None:
    wrong = refused(services, connection(server, password="nope"), "listFolder",
                    folderPath="/")
    assert wrong.code == "FileServerAuthenticationFailed"
    closed = refused(services, connection(server, portNumber=free_port()), "listFolder",
                     folderPath="/")
    assert (closed.code, closed.retryable) == ("UpstreamUnreachable", True)


def test_a_private_key_signs_in(services: Services, tmp_path: Path) -> None:
    key = asyncssh.generate_private_key("ssh-ed25519")
    with sftp_server(tmp_path / "keyed", client_key=key.convert_to_public()) as keyed:
        values = connection(keyed, password="", sshPrivateKey=key.export_private_key()
                            .decode().replace("\n", "\\n"))
        assert invoke(services, SFTP, "listFolder", values, {"folderPath": "/"}) == {
            "body": []}


def test_the_triggers_fire_once_per_settled_file_with_content_when_asked(
        services: Services, server: FileServer) -> None:
    (server.root / "in").mkdir()
    (server.root / "in" / "a.txt").write_text("first")
    (server.root / "in" / "skip.tmp").write_text("partial")
    values = connection(server)
    parameters = {"folderPath": "/in", "includeFileContent": True,
                  "ignoreFileExtensions": [".tmp"]}
    outputs, state = poll(services, SFTP, "whenFilesAreAddedOrModified", values, parameters,
                          {})
    assert outputs is None
    outputs, state = poll(services, SFTP, "whenFilesAreAddedOrModified", values, parameters,
                          state)
    assert outputs == {"body": [{
        "fileMetadata": {"name": "a.txt", "path": "/in/a.txt", "size": 5,
                         "lastUpdatedTime": outputs["body"][0]["fileMetadata"][
                             "lastUpdatedTime"],
                         "pathRelativeToRootDirectory": "in/a.txt"},
        "content": {"$content-type": "text/plain",
                    "$content": base64.b64encode(b"first").decode()}}]}
    assert poll(services, SFTP, "whenFilesAreAddedOrModified", values, parameters,
                state)[0] is None

    (server.root / "in" / "b.txt").write_text("b")
    (server.root / "in" / "c.txt").write_text("c")
    single: list[str] = []
    state = {}
    for _ in range(5):
        outputs, state = poll(services, SFTP, "whenFileIsAddedOrModified", values,
                              {"folderPath": "/in", "ignoreFileExtensions": "tmp"}, state)
        if outputs is not None:
            single.append(outputs["body"]["fileMetadata"]["name"])
            assert "content" not in outputs["body"]
    assert single == ["a.txt", "b.txt", "c.txt"]


def test_a_folder_past_the_listing_limit_fails(tmp_path: Path, database_url: str,
                                               server: FileServer) -> None:
    from gateway.services import build_services
    from tests.gateway.conftest import make_settings

    for n in range(4):
        (server.root / f"f{n}.txt").write_text("x")
    bounded = build_services(make_settings(tmp_path, database_url,
                                           runtime={"file_listing_max": 3}))
    try:
        error = refused(bounded, connection(server), "listFolder", folderPath="/")
    finally:
        bounded.db.dispose()
    assert error.code == "FolderTooLarge"
