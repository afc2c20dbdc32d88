"""A folder of this machine's file system that the File System connector may not leave.

Every path is walked from the root one name at a time with ``openat``-style calls
(``dir_fd``) and ``O_NOFOLLOW``: ``..`` never reaches the disk (``files.clean_path``
already collapsed it), an absolute path is just a path under the root, and a symbolic
link anywhere on the way — pointing out of the root or not — is refused rather than
followed, so a link swapped in between a check and an open cannot lead out either.
Blocking; the connector runs it in a worker thread.
"""

from __future__ import annotations

import errno
import os
import stat as stat_module
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from gateway import BadRequest, Forbidden, PortwayError, UpstreamError
from runtime.builtins.files import FileEntry, already_exists, not_found, too_large

__all__ = ["LocalFolder", "inside", "rooted"]

_DIRECTORY = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
_NOFOLLOW = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


def inside(real: str, allowed: tuple[str, ...]) -> bool:
    """Whether the real path ``real`` is one of the ``allowed`` folders or lies inside one
    (each resolved with ``realpath``, a relative one from the working directory)."""
    for base in allowed:
        permitted = os.path.realpath(base)
        if real == permitted or real.startswith(permitted.rstrip(os.sep) + os.sep):
            return True
    return False


def rooted(root: str, allowed: tuple[str, ...]) -> str:
    """The connection's ``rootFolder`` as a real path, if the operator allows it.

    Raises:
        Forbidden: ``RootFolderNotAllowed`` — no ``runtime.filesystem_roots`` holds it.
        BadRequest: ``InvalidConnection`` — not an absolute path of a folder.
    """
    if not isinstance(root, str) or not os.path.isabs(root) or "\x00" in root:
        raise BadRequest("the connection's rootFolder must be an absolute folder path",
                         code="InvalidConnection")
    real = os.path.realpath(root)
    if inside(real, allowed):
        if not os.path.isdir(real):
            raise BadRequest("the connection's rootFolder is not a folder",
                             code="InvalidConnection")
        return real
    raise Forbidden("the connection's rootFolder is not inside a folder the operator "
                    "allows (runtime.filesystem_roots)", code="RootFolderNotAllowed")


def _moment(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _entry(path: str, info: os.stat_result) -> FileEntry:
    folder = stat_module.S_ISDIR(info.st_mode)
    return FileEntry(path=path, size=0 if folder else info.st_size,
                     modified=_moment(info.st_mtime), is_folder=folder,
                     created=_moment(info.st_ctime), accessed=_moment(info.st_atime),
                     permissions=stat_module.S_IMODE(info.st_mode))


@contextmanager
def _translate(path: str) -> Iterator[None]:
    try:
        yield
    except PortwayError:
        raise
    except FileNotFoundError:
        raise not_found(path) from None
    except FileExistsError:
        raise already_exists(path) from None
    except PermissionError:
        raise Forbidden(f"the file system denied the operation on {path!r}",
                        code="FilePermissionDenied", details=[{"path": path}]) from None
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EMLINK):
            raise BadRequest(f"{path!r} goes through a symbolic link, which the file system "
                             "connector does not follow", code="PathOutsideRoot") from None
        if exc.errno in (errno.ENOTDIR, errno.EISDIR):
            raise not_found(path) from None
        raise UpstreamError(f"the file system failed: {exc.strerror}",
                            retryable=False) from None


class LocalFolder:
    """Operations under one root; paths are canonical (``files.clean_path``)."""

    def __init__(self, root: str) -> None:
        self.root = root

    @contextmanager
    def _folder(self, path: str, *, create: bool = False) -> Iterator[int]:
        """An open descriptor of the folder ``path``, walked from the root."""
        with _translate(path):
            current = os.open(self.root, _DIRECTORY)
        try:
            for name in [p for p in path.split("/") if p]:
                with _translate(path):
                    try:
                        step = os.open(name, _DIRECTORY, dir_fd=current)
                    except FileNotFoundError:
                        if not create:
                            raise
                        os.mkdir(name, 0o755, dir_fd=current)
                        step = os.open(name, _DIRECTORY, dir_fd=current)
                os.close(current)
                current = step
            yield current
        finally:
            os.close(current)

    @staticmethod
    def _split(path: str) -> tuple[str, str]:
        parent, _, name = path.rpartition("/")
        if not name:
            raise BadRequest("the path names the root folder, not a file", code="InvalidPath")
        return parent or "/", name

    def stat(self, path: str) -> FileEntry:
        if path == "/":
            with self._folder("/") as fd, _translate(path):
                return _entry(path, os.fstat(fd))
        parent, name = self._split(path)
        with self._folder(parent) as fd, _translate(path):
            info = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if stat_module.S_ISLNK(info.st_mode):
            raise BadRequest(f"{path!r} is a symbolic link, which the file system connector "
                             "does not follow", code="PathOutsideRoot")
        return _entry(path, info)

    def listing(self, folder: str, limit: int, *, recursive: bool = False,
                depth: int = 8) -> list[FileEntry]:
        entries: list[FileEntry] = []
        with self._folder(folder) as fd, _translate(folder), os.scandir(fd) as found:
            for item in found:
                if item.is_symlink():
                    continue
                entries.append(_entry(folder.rstrip("/") + "/" + item.name,
                                      item.stat(follow_symlinks=False)))
                if len(entries) > limit:
                    raise UpstreamError(f"the folder holds more than {limit} entries "
                                        "(runtime.file_listing_max)", code="FolderTooLarge",
                                        retryable=False)
        if recursive and depth > 0:
            for entry in [e for e in entries if e.is_folder]:
                entries.extend(self.listing(entry.path, limit - len(entries),
                                            recursive=True, depth=depth - 1))
        return entries

    def read(self, path: str, limit: int) -> bytes:
        parent, name = self._split(path)
        with self._folder(parent) as folder, _translate(path):
            fd = os.open(name, os.O_RDONLY | _NOFOLLOW, dir_fd=folder)
            with os.fdopen(fd, "rb") as handle:
                info = os.fstat(handle.fileno())
                if not stat_module.S_ISREG(info.st_mode):
                    raise not_found(path)
                if info.st_size > limit:
                    raise too_large(info.st_size, limit)
                data = handle.read(limit + 1)
        if len(data) > limit:
            raise too_large(len(data), limit)
        return data

    def write(self, path: str, data: bytes, *, mode: str) -> FileEntry:
        """``mode``: ``create`` (fails if it exists), ``update`` (fails if it does not),
        ``replace`` (either), ``append`` or ``append-or-create``."""
        flags = os.O_WRONLY | _NOFOLLOW | {
            "create": os.O_CREAT | os.O_EXCL | os.O_TRUNC, "update": os.O_TRUNC,
            "replace": os.O_CREAT | os.O_TRUNC, "append": os.O_APPEND,
            "append-or-create": os.O_APPEND | os.O_CREAT}[mode]
        parent, name = self._split(path)
        with self._folder(parent, create=mode in ("create", "replace", "append-or-create")) \
                as folder, _translate(path):
            fd = os.open(name, flags, 0o644, dir_fd=folder)
            with os.fdopen(fd, "wb") as handle:
                if not stat_module.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise not_found(path)
                handle.write(data)
        return self.stat(path)

    def delete(self, path: str) -> None:
        parent, name = self._split(path)
        with self._folder(parent) as folder, _translate(path):
            if stat_module.S_ISDIR(os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode):
                raise not_found(path)
            os.unlink(name, dir_fd=folder)

    def rename(self, path: str, new_name: str) -> FileEntry:
        parent, name = self._split(path)
        target = parent.rstrip("/") + "/" + new_name
        with self._folder(parent) as folder, _translate(path):
            os.stat(name, dir_fd=folder, follow_symlinks=False)
            try:
                os.stat(new_name, dir_fd=folder, follow_symlinks=False)
            except FileNotFoundError:
                pass
            else:
                raise already_exists(target)
            os.rename(name, new_name, src_dir_fd=folder, dst_dir_fd=folder)
        return self.stat(target)
