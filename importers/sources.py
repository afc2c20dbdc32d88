"""Finding the specs in what a user points at: files, folders, zips and URLs.

A folder that holds ``apiProperties.json`` beside a Swagger file is one connector (the
Power Platform layout, whatever the Swagger file is called); any other folder is walked and
every document that says ``swagger:``/``openapi:`` (or is a ``.wsdl``) is one connector.
Companion files (schemas another spec refers to) are not specs and are skipped. Zips are
read in memory with their total size and compression ratio capped; a member whose name
leaves the archive is refused.
"""

from __future__ import annotations

import io
import os
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from importers.common import slugify
from importers.errors import SpecError, SpecTooLargeError, UnsafeSpecError, UnsupportedSpecError

MAX_ZIP_BYTES = 256 * 1024 * 1024
MAX_ZIP_RATIO = 100
MAX_ZIP_MEMBERS = 20_000

_SPEC_EXT = (".json", ".yaml", ".yml")
_WSDL_EXT = (".wsdl",)
_SPEC_JSON = re.compile(rb'"(?:swagger|openapi)"\s*:')
_SPEC_YAML = re.compile(rb"(?m)^[\"']?(?:swagger|openapi)[\"']?\s*:")
_PROPERTIES = "apiproperties.json"
_SKIP_DIRS = {".git", "__pycache__", "node_modules"}


class Container:
    """Files a spec may refer to: a folder on disk or a zip's members, by relative path."""

    def read(self, relative: str) -> bytes:
        """Returns the bytes of the member at ``relative`` (posix, normalised)."""
        raise NotImplementedError

    def names(self) -> list[str]:
        """Every member's relative path."""
        raise NotImplementedError


def _inside(relative: str) -> str:
    norm = posixpath.normpath(relative.replace("\\", "/"))
    if norm.startswith(("../", "/")) or norm == ".." or re.match(r"^[A-Za-z]:", norm):
        raise UnsafeSpecError(f"the reference {relative!r} leaves the folder of the spec",
                              details=[{"location": relative}])
    return norm


class FolderContainer(Container):
    """A folder on disk; nothing outside it can be read."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def read(self, relative: str) -> bytes:
        path = self.root / _inside(relative)
        try:
            return path.read_bytes()
        except OSError as exc:
            raise UnsafeSpecError(f"cannot read {relative!r}: {exc.strerror}",
                                  details=[{"location": relative}]) from None

    def names(self) -> list[str]:
        out: list[str] = []
        for dirpath, dirnames, filenames in os.walk(self.root):
            dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
            rel_dir = os.path.relpath(dirpath, self.root)
            for name in sorted(filenames):
                rel = name if rel_dir == "." else f"{rel_dir}/{name}"
                out.append(rel.replace(os.sep, "/"))
        return out


class ZipContainer(Container):
    """A zip archive read in memory, refusing bombs and members that escape it."""

    def __init__(self, data: bytes, label: str) -> None:
        try:
            self._zip = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise UnsafeSpecError(f"{label!r} is not a readable zip: {exc}") from None
        infos = self._zip.infolist()
        if len(infos) > MAX_ZIP_MEMBERS:
            raise SpecTooLargeError(f"{label!r} has more than {MAX_ZIP_MEMBERS} members")
        total = 0
        self._members: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if info.is_dir():
                continue
            name = info.filename.replace("\\", "/")
            if name.startswith("/") or ".." in name.split("/") or re.match(r"^[A-Za-z]:", name):
                raise UnsafeSpecError(
                    f"{label!r} has a member {info.filename!r} whose path leaves the archive",
                    details=[{"member": info.filename}],
                )
            total += info.file_size
            if info.compress_size and info.file_size / info.compress_size > MAX_ZIP_RATIO:
                raise SpecTooLargeError(
                    f"{label!r} member {info.filename!r} expands {MAX_ZIP_RATIO}x or more"
                    " (a zip bomb?)", details=[{"member": info.filename}],
                )
            self._members[posixpath.normpath(name)] = info
        if total > MAX_ZIP_BYTES:
            raise SpecTooLargeError(f"{label!r} expands to more than {MAX_ZIP_BYTES} bytes")

    def read(self, relative: str) -> bytes:
        name = _inside(relative)
        info = self._members.get(name)
        if info is None:
            raise UnsafeSpecError(f"the archive has no member {relative!r}",
                                  details=[{"location": relative}])
        # The declared size was checked; never trust it while reading.
        with self._zip.open(info) as fh:
            data = fh.read(info.file_size + 1)
        if len(data) > info.file_size:
            raise SpecTooLargeError(f"member {relative!r} is larger than the archive says")
        return data

    def names(self) -> list[str]:
        return sorted(self._members)


class ContainerFiles(Mapping[str, bytes]):
    """A container's members as a read-on-access mapping (what the WSDL importer takes).

    Nothing is read until asked for, and nothing outside the container can be: a key that
    leaves it is simply not there.
    """

    def __init__(self, container: Container) -> None:
        self._container = container
        self._names: list[str] | None = None

    def __getitem__(self, key: str) -> bytes:
        try:
            return self._container.read(key)
        except (UnsafeSpecError, SpecTooLargeError):
            raise KeyError(key) from None

    def _all(self) -> list[str]:
        if self._names is None:
            self._names = self._container.names()
        return self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._all())

    def __len__(self) -> int:
        return len(self._all())


@dataclass
class SpecSource:
    """One spec to import, and where to find what it refers to."""

    label: str  # what ImportResult.source says: a path or a URL
    kind: Literal["rest", "wsdl", "unknown"]
    container: Container | None  # None for a URL
    main: str  # the spec's location: a path inside the container, or the URL
    properties: str | None = None  # apiProperties.json's path inside the container
    script: bool = False  # a script.csx sits beside the spec
    default_id: str = "connector"
    # Why the source could not even be listed (a missing path, a refused zip), if so.
    error: SpecError | None = None

    def read(self, fetch: Callable[[str], bytes]) -> bytes:
        """The spec's bytes."""
        if self.container is None:
            return fetch(self.main)
        return self.container.read(self.main)


def _is_url(text: str) -> bool:
    return text.lower().startswith(("http://", "https://"))


def _looks_like_spec(data: bytes) -> bool:
    return bool(_SPEC_JSON.search(data) or _SPEC_YAML.search(data))


def _stem(name: str) -> str:
    base = posixpath.basename(name)
    for suffix in (".swagger.json", ".openapi.json", ".json", ".yaml", ".yml", ".wsdl", ".zip"):
        if base.lower().endswith(suffix):
            return base[: -len(suffix)]
    return base


def walk_container(container: Container, label: str, root_name: str) -> list[SpecSource]:
    """The specs in a folder or zip: one per Power Platform folder or spec document."""
    return _walk(container, label, root_name)


def _walk(container: Container, label: str, root_name: str) -> list[SpecSource]:
    names = container.names()
    wsdl_roots = _wsdl_roots(container, names)
    by_dir: dict[str, list[str]] = {}
    for name in names:
        by_dir.setdefault(posixpath.dirname(name), []).append(name)
    out: list[SpecSource] = []
    for directory in sorted(by_dir):
        files = by_dir[directory]
        lower = {posixpath.basename(f).lower(): f for f in files}
        folder_name = posixpath.basename(directory) or root_name
        if _PROPERTIES in lower:
            main = _power_platform_main(container, files)
            if main is not None:
                out.append(SpecSource(
                    label=f"{label}/{main}", kind="rest", container=container, main=main,
                    properties=lower[_PROPERTIES], script="script.csx" in lower,
                    default_id=slugify(folder_name),
                ))
                continue
        # Only root WSDLs are connectors; the parts they import travel with them.
        wsdl = [f for f in files if f in wsdl_roots]
        for f in wsdl:
            out.append(SpecSource(label=f"{label}/{f}", kind="wsdl", container=container,
                                  main=f, default_id=slugify(_stem(f))))
        for f in files:
            if not f.lower().endswith(_SPEC_EXT) or posixpath.basename(f).lower() in (
                    _PROPERTIES, "settings.json"):
                continue
            try:
                head = container.read(f)
            except (UnsafeSpecError, SpecTooLargeError):
                continue
            if _looks_like_spec(head):
                out.append(SpecSource(label=f"{label}/{f}", kind="rest", container=container,
                                      main=f, default_id=slugify(_stem(f))))
    return out


def _wsdl_roots(container: Container, names: list[str]) -> set[str]:
    candidates = [n for n in names if n.lower().endswith(_WSDL_EXT)]
    if len(candidates) < 2:
        return set(candidates)
    from importers.wsdl import wsdl_roots

    return set(wsdl_roots(ContainerFiles(container), candidates))


def _power_platform_main(container: Container, files: list[str]) -> str | None:
    by_lower = {posixpath.basename(f).lower(): f for f in files}
    if "apidefinition.swagger.json" in by_lower:
        return by_lower["apidefinition.swagger.json"]
    candidates = [f for f in files if f.lower().endswith(".swagger.json")]
    if len(candidates) == 1:
        return candidates[0]
    specs = []
    for f in files:
        low = posixpath.basename(f).lower()
        if low.endswith(_SPEC_EXT) and low not in (_PROPERTIES, "settings.json"):
            try:
                if _looks_like_spec(container.read(f)):
                    specs.append(f)
            except (UnsafeSpecError, SpecTooLargeError):
                continue
    return specs[0] if len(specs) == 1 else None


def discover(sources: Sequence[str]) -> list[SpecSource]:
    """Lists the specs in the given paths and URLs, in a stable order (a progress bar's total).

    Nothing is fetched: a URL counts as one spec. A path that cannot be read, or a zip that
    is refused, is one entry with ``error`` set, which ``import_sources`` reports as a failed
    result; so the list is exactly as long as what ``import_sources`` yields.

    Args:
        sources: Paths (file, folder or zip) and http(s) URLs.
    """
    out: list[SpecSource] = []
    for source in sources:
        try:
            out.extend(discover_one(source))
        except SpecError as exc:
            out.append(SpecSource(label=source, kind="unknown", container=None, main=source,
                                  default_id=slugify(_stem(source)), error=exc))
    assign_ids(out)
    return out


def discover_one(source: str) -> list[SpecSource]:
    """The specs in one path or URL."""
    if _is_url(source):
        kind: Literal["rest", "wsdl", "unknown"] = (
            "wsdl" if source.lower().split("?")[0].endswith(_WSDL_EXT) else "unknown")
        return [SpecSource(label=source, kind=kind, container=None, main=source,
                           default_id=slugify(_stem(source.split("?")[0])))]
    path = Path(source)
    if path.is_dir():
        return _walk(FolderContainer(path), source.rstrip("/\\") or source,
                     path.resolve().name)
    if not path.is_file():
        raise UnsafeSpecError(f"{source!r} is not a file, folder or http(s) URL",
                              details=[{"source": source}])
    if path.suffix.lower() == ".zip":
        found = _walk(ZipContainer(path.read_bytes(), source), source, _stem(path.name))
        if not found:
            # Silence would pass for success: say why nothing was imported.
            raise UnsupportedSpecError(
                f"{source!r} holds no spec (symbolic links and anything outside the zip "
                "are not read)", details=[{"source": source}])
        return found
    container = FolderContainer(path.parent)
    siblings = {p.name.lower(): p.name for p in path.parent.iterdir()} if path.parent.is_dir() \
        else {}
    kind = "wsdl" if path.suffix.lower() in _WSDL_EXT else "rest"
    spec = SpecSource(label=source, kind=kind, container=container, main=path.name,
                      default_id=slugify(_stem(path.name)))
    if _PROPERTIES in siblings and path.name.lower().endswith(".swagger.json"):
        spec.properties = siblings[_PROPERTIES]
        spec.script = "script.csx" in siblings
        spec.default_id = slugify(path.resolve().parent.name)
    return [spec]


def assign_ids(specs: list[SpecSource]) -> None:
    """Makes the derived connector ids unique, prefixing a clash with its folder."""
    seen: dict[str, int] = {}
    for spec in specs:
        seen[spec.default_id] = seen.get(spec.default_id, 0) + 1
    used: set[str] = set()
    for spec in specs:
        if seen[spec.default_id] > 1:
            parent = posixpath.dirname(spec.main) if spec.container is not None else ""
            candidate = slugify(f"{parent} {spec.default_id}") if parent else spec.default_id
            n = 2
            unique = candidate
            while unique in used:
                unique = f"{candidate}-{n}"
                n += 1
            spec.default_id = unique
        used.add(spec.default_id)
