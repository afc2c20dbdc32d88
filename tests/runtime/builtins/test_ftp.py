"""The FTP built-in connector against a real FTP server (pyftpdlib) on loopback: each
operation's outputs as Logic Apps shapes them, content byte for byte, FTPS, and every
refusal in the one error shape with nothing written."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway import PortwayError, Services
from gateway.services import build_services
from runtime.builtins.ftp import FtpProvider
from tests.gateway.conftest import make_settings
from tests.runtime.builtins.support import invoke, poll
from tests.support.file_servers import PASSWORD, USER, FileServer, ftp_server
from tests.support.servers import free_port

FTP = FtpProvider()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[FileServer]:
    with ftp_server(tmp_path / "ftp") as running:
        yield running


def connection(server: FileServer, **more: Any) -> dict[str, Any]:
    return {"serverAddress": "127.0.0.1", "username": USER, "password": PASSWORD,
            "portNumber": server.port, **more}


def call(services: Services, server: FileServer, operation: str, **parameters: Any) -> Any:
    return invoke(services, FTP, operation, connection(server), parameters)


def refused(services: Services, server: FileServer | dict[str, Any], operation: str,
            **parameters: Any) -> PortwayError:
    values = server if isinstance(server, dict) else connection(server)
    with pytest.raises(PortwayError) as caught:
        invoke(services, FTP, operation, values, parameters)
    return caught.value


def test_create_list_read_update_and_delete_shaped_as_logic_apps(
        services: Services, server: FileServer) -> None:
    created = call(services, server, "createFile", filePath="/inbox/orders.csv",
                   fileContent="id,total\n1,9.5\n")["body"]
    assert {k: created[k] for k in ("name", "path", "size", "mediaType", "isFolder")} == {
        "name": "orders.csv", "path": "/inbox/orders.csv", "size": 15,
        "mediaType": "text/csv", "isFolder": False}
    assert created["lastUpdatedTime"].endswith("Z")
    assert (server.root / "inbox" / "orders.csv").read_bytes() == b"id,total\n1,9.5\n"

    listed = call(services, server, "listFilesInFolder", folderPath="inbox")["body"]
    assert [(e["name"], e["path"], e["size"]) for e in listed] == [
        ("orders.csv", "/inbox/orders.csv", 15)]
    root = call(services, server, "listFilesInFolder", folderPath="/")["body"]
    assert [(e["name"], e["isFolder"]) for e in root] == [("inbox", True)]

    metadata = call(services, server, "getFileMetadata", filePath="inbox/orders.csv")["body"]
    assert metadata == created

    content = call(services, server, "getFtpFileContent", filePath="/inbox/orders.csv")["body"]
    assert content == {"$content-type": "text/csv",
                       "$content": base64.b64encode(b"id,total\n1,9.5\n").decode()}

    updated = call(services, server, "updateFile", filePath="/inbox/orders.csv",
                   fileContent={"id": 1})["body"]
    assert updated["size"] == len(b'{"id":1}')
    assert (server.root / "inbox" / "orders.csv").read_bytes() == b'{"id":1}'

    assert call(services, server, "deleteFtpFile", filePath="/inbox/orders.csv") == {}
    assert not (server.root / "inbox" / "orders.csv").exists()


def test_binary_content_travels_byte_for_byte(services: Services, server: FileServer) -> None:
    data = bytes(range(256)) * 40 + b"\r\n\n\r"
    envelope = {"$content-type": "application/octet-stream",
                "$content": base64.b64encode(data).decode()}
    call(services, server, "createFile", filePath="/bin/blob.dat", fileContent=envelope)
    assert (server.root / "bin" / "blob.dat").read_bytes() == data
    read = call(services, server, "getFtpFileContentV2", filePath="/bin/blob.dat")["body"]
    assert read == envelope


def test_missing_files_and_skip_if_not_present(services: Services, server: FileServer) -> None:
    error = refused(services, server, "getFtpFileContent", filePath="/nope.txt")
    assert (error.code, error.status_code) == ("FileNotFound", 404)
    assert refused(services, server, "getFileMetadata", filePath="/nope.txt").code \
        == "FileNotFound"
    assert refused(services, server, "deleteFtpFile", filePath="/nope.txt").code \
        == "FileNotFound"
    assert call(services, server, "deleteFtpFile", filePath="/nope.txt",
                skipIfFileNotPresent=True) == {}


def test_a_wrong_password_and_an_unreachable_server_say_so(
        services: Services, server: FileServer) -> None:
    wrong = refused(services, connection(server, password="wrong"), "listFilesInFolder",
                    folderPath="/")
    assert (wrong.code, wrong.retryable) == ("FileServerAuthenticationFailed", False)
    closed = {**connection(server), "portNumber": free_port()}
    unreachable = refused(services, closed, "listFilesInFolder", folderPath="/")
    assert (unreachable.code, unreachable.retryable) == ("UpstreamUnreachable", True)


@pytest.mark.parametrize("path", ["/a\r\nDELE victim.txt", "/a\nb", "/a\x00b"])
def test_a_path_that_would_smuggle_an_ftp_command_is_refused_before_sending(
        services: Services, server: FileServer, path: str) -> None:
    (server.root / "victim.txt").write_text("keep me")
    error = refused(services, server, "createFile", filePath=path, fileContent="x")
    assert (error.code, error.status_code) == ("InvalidPath", 400)
    assert sorted(p.name for p in server.root.iterdir()) == ["victim.txt"]


def test_a_path_above_the_root_is_refused(services: Services, server: FileServer) -> None:
    error = refused(services, server, "getFtpFileContent", filePath="/inbox/../../etc/passwd")
    assert error.code == "PathOutsideRoot"


def test_loopback_is_refused_unless_the_egress_guard_allows_it(
        tmp_path: Path, database_url: str, server: FileServer) -> None:
    strict = build_services(make_settings(tmp_path, database_url, egress={"allow": ()}))
    try:
        error = refused(strict, server, "listFilesInFolder", folderPath="/")
    finally:
        strict.db.dispose()
    assert (error.code, error.status_code) == ("EgressDenied", 403)


def test_files_past_the_size_limit_are_refused_both_ways(
        tmp_path: Path, database_url: str, server: FileServer) -> None:
    (server.root / "big.bin").write_bytes(b"x" * 101)
    small = build_services(make_settings(tmp_path, database_url,
                                         runtime={"file_max_bytes": 100}))
    try:
        read = refused(small, server, "getFtpFileContent", filePath="/big.bin")
        write = refused(small, server, "createFile", filePath="/new.bin",
                        fileContent="y" * 101)
    finally:
        small.db.dispose()
    assert (read.code, read.status_code) == ("FileTooLarge", 413)
    assert write.code == "FileTooLarge"
    assert not (server.root / "new.bin").exists()


def test_ftps_with_and_without_certificate_validation(
        services: Services, tmp_path: Path) -> None:
    with ftp_server(tmp_path / "ftps", tls=True) as secure:
        values = connection(secure, enableSsl=True, disableCertificateValidation=True)
        invoke(services, FTP, "createFile", values, {"filePath": "/s.txt",
                                                     "fileContent": "over tls"})
        assert (secure.root / "s.txt").read_text() == "over tls"
        body = invoke(services, FTP, "getFtpFileContent", values, {"filePath": "/s.txt"})
        assert base64.b64decode(body["body"]["$content"]) == b"over tls"
        checked = refused(services, connection(secure, enableSsl=True), "getFileMetadata",
                          filePath="/s.txt")
        assert checked.code == "TlsFailed"


def test_the_trigger_returns_each_file_once_after_it_settled(
        services: Services, server: FileServer) -> None:
    (server.root / "in").mkdir()
    (server.root / "in" / "a.txt").write_text("a")
    values = connection(server)
    parameters = {"folderPath": "/in"}

    def step(state: dict[str, Any]) -> tuple[list[str], dict[str, Any]]:
        outputs, after = poll(services, FTP, "whenFtpFilesAreAddedOrModified", values,
                              parameters, state)
        return ([item["path"] for item in outputs["body"]] if outputs else []), dict(after)

    first, state = step({})
    assert first == []  # seen once: it may still be being written
    second, state = step(state)
    assert second == ["/in/a.txt"]
    again, state = step(state)
    assert again == []
    (server.root / "in" / "b.txt").write_text("bb")
    (server.root / "in" / "a.txt").write_text("a, modified")
    settling, state = step(state)
    assert settling == []
    fired, after = step(state)
    assert fired == ["/in/a.txt", "/in/b.txt"]
    assert step(state) == (fired, after)  # the same state gives the same files, in order
    assert step(after)[0] == []


def test_the_trigger_takes_at_most_max_file_count_oldest_first(
        services: Services, server: FileServer) -> None:
    for name in ("c.txt", "a.txt", "b.txt"):
        (server.root / name).write_text(name)
    values, parameters = connection(server), {"folderPath": "/", "maxFileCount": 2}
    _, state = poll(services, FTP, "whenFtpFilesAreAddedOrModified", values, parameters, {})
    taken = []
    for _ in range(3):
        outputs, state = poll(services, FTP, "whenFtpFilesAreAddedOrModified", values,
                              parameters, state)
        taken.append([item["name"] for item in outputs["body"]] if outputs else [])
    assert taken == [["a.txt", "b.txt"], ["c.txt"], []]


def test_a_server_without_mlsd_is_listed_by_name(services: Services, tmp_path: Path) -> None:
    with ftp_server(tmp_path / "old", mlsd=False) as old:
        (old.root / "in").mkdir()
        (old.root / "in" / "a.txt").write_text("abc")
        (old.root / "in" / "sub").mkdir()
        listed = invoke(services, FTP, "listFilesInFolder", connection(old),
                        {"folderPath": "/in"})["body"]
    assert [(e["path"], e["size"], e["isFolder"]) for e in listed] == [
        ("/in/a.txt", 3, False), ("/in/sub", 0, True)]


def test_the_trigger_looks_into_subfolders_only_when_asked(services: Services,
                                                           server: FileServer) -> None:
    (server.root / "in" / "deep").mkdir(parents=True)
    (server.root / "in" / "top.txt").write_text("t")
    (server.root / "in" / "deep" / "low.txt").write_text("l")
    values = connection(server)

    def settled(parameters: dict[str, Any]) -> list[str]:
        _, state = poll(services, FTP, "whenFtpFilesAreAddedOrModified", values, parameters,
                        {})
        outputs, _ = poll(services, FTP, "whenFtpFilesAreAddedOrModified", values,
                          parameters, state)
        return sorted(item["path"] for item in outputs["body"])

    assert settled({"folderPath": "/in"}) == ["/in/top.txt"]
    assert settled({"folderPath": "/in", "ignoreSubFolders": False}) == [
        "/in/deep/low.txt", "/in/top.txt"]


def test_a_folder_past_the_listing_limit_fails_while_it_is_listed(
        tmp_path: Path, database_url: str, server: FileServer) -> None:
    for n in range(6):
        (server.root / f"f{n}.txt").write_text("x")
    limits = {}
    for limit in (5, 6):
        bounded = build_services(make_settings(tmp_path, database_url,
                                               runtime={"file_listing_max": limit}))
        try:
            limits[limit] = len(invoke(bounded, FTP, "listFilesInFolder", connection(server),
                                       {"folderPath": "/"})["body"])
        except PortwayError as exc:
            limits[limit] = exc.code
        finally:
            bounded.db.dispose()
    assert limits == {5: "FolderTooLarge", 6: 6}
