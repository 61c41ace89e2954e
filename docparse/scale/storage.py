"""Inputs, outputs and the resume store on local paths or fsspec URLs (``s3://``, ``gs://``,
``file://``).

The work folder keeps the local batch's layout (``.docparse-work/<sub-folder>/<stem>/``
with ``state.json``, ``pages/`` and ``images/``), so ``--resume`` means the same for both
engines. Workers write finished pages there as they complete: a worker that dies loses only
the page it was on. On a cluster of several machines the output must therefore be storage
every node reaches (an object store, or a shared file system).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from docparse.errors import InputError, InputNotFoundError, OutputError
from docparse.scale.adapter import (
    SCHEMA_VERSION,
    WORK_DIR,
    Document,
    FoundInput,
    OutputOptions,
    Page,
    discover_inputs,
    is_supported_name,
    output_files,
    output_stems,
    write_bytes,
)
from docparse.scale.plan import InputRef


def is_url(location: str) -> bool:
    """``s3://b/k``, ``gs://...``, ``file:///...``: anything with a scheme fsspec resolves."""
    head, sep, _ = location.partition("://")
    return bool(sep) and head.isidentifier()


def filesystem(location: str) -> tuple[Any, str]:
    """The fsspec filesystem and the path inside it."""
    try:
        from fsspec.core import url_to_fs
    except ImportError as exc:  # pragma: no cover - fsspec comes with the `ray` extra
        raise OutputError("object-store locations need fsspec: pip install 'docparse[ray]'") from exc
    try:
        fs, path = url_to_fs(location)
    except (ImportError, ValueError) as exc:
        raise OutputError(f"{location}: {exc} (s3:// needs `pip install s3fs`, gs:// gcsfs)") from exc
    return fs, str(path)


def _is_local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def join(base: str, *parts: str) -> str:
    """``base/part/...`` for a URL or a local path (empty parts skipped)."""
    tail = "/".join(p.strip("/") for p in parts if p and p != ".")
    if not tail:
        return base
    return base.rstrip("/") + "/" + tail


# ---------------------------------------------------------------------- inputs
def discover(args: list[str], output: str) -> tuple[list[InputRef], list[str]]:
    """Inputs in argument order with their output sub-folder and stem, and the problems.

    Local arguments are expanded as ``docparse parse`` does; URLs name an object, a prefix
    (walked recursively for supported extensions) or a glob."""
    found: list[FoundInput] = []
    uris: dict[Path, tuple[str, bool]] = {}
    problems: list[str] = []
    local_args = [a for a in args if not is_url(a)]
    if local_args:
        local = discover_inputs(local_args)
        problems.extend(str(p) for p in local.errors)
        own = None if is_url(output) else Path(output).resolve()
        for item in local.inputs:
            if own is not None and item.path.resolve().is_relative_to(own):
                continue  # never parse our own output
            found.append(item)
            uris[item.path] = (str(item.path), True)
    for arg in (a for a in args if is_url(a)):
        try:
            hits = _discover_url(arg)
        except InputError as exc:
            problems.append(str(exc))
            continue
        except (OSError, OutputError, ValueError) as exc:
            problems.append(f"{arg}: {exc}")
            continue
        if not hits:
            problems.append(f"{arg}: no supported input files found")
        for url, rel in hits:
            key = Path("/__url__") / url.replace("://", "/", 1)
            if key in uris:
                continue
            found.append(FoundInput(path=key, relative_dir=Path(rel), arg=arg))
            uris[key] = (url, False)
    stems = output_stems(found)
    refs = [InputRef(uri=uris[f.path][0], local=uris[f.path][1],
                     relative_dir=_rel(PurePosixPath(f.relative_dir.as_posix()), PurePosixPath()),
                     stem=stems[f.path])
            for f in found]
    return refs, problems


def _discover_url(arg: str) -> list[tuple[str, str]]:
    fs, path = filesystem(arg)
    scheme = arg.split("://", 1)[0]

    def url(p: str) -> str:
        return f"{scheme}://{p.lstrip('/') if scheme != 'file' else p}"

    if any(c in path for c in "*?["):
        base = PurePosixPath(path.split("*")[0].split("?")[0].split("[")[0]).parent
        files = sorted(p for p in fs.glob(path) if fs.isfile(p))
        return [(url(p), _rel(PurePosixPath(p).parent, base)) for p in files
                if is_supported_name(Path(p))]
    if fs.isfile(path):
        return [(arg, "")]
    if not fs.isdir(path):
        raise InputNotFoundError(arg, "no such object or prefix")
    files = sorted(fs.find(path))
    root = PurePosixPath(path)
    return [(url(p), _rel(PurePosixPath(p).parent, root)) for p in files
            if is_supported_name(Path(p)) and not any(
                part.startswith(".") for part in PurePosixPath(p).relative_to(root).parts)]


def _rel(folder: PurePosixPath, base: PurePosixPath) -> str:
    try:
        rel = str(folder.relative_to(base))
    except ValueError:
        return ""
    return "" if rel == "." else rel


def read_input(ref: InputRef) -> bytes:
    """The bytes of a URL input (local inputs are opened by path)."""
    fs, path = filesystem(ref.uri)
    try:
        data: bytes = fs.cat_file(path)
    except FileNotFoundError:
        raise InputNotFoundError(ref.uri, "no such object") from None
    except OSError as exc:
        raise InputError(ref.uri, f"cannot read: {exc}") from exc
    return data


def sha256_of(ref: InputRef) -> str:
    h = hashlib.sha256()
    if ref.local:
        with open(ref.uri, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    else:
        h.update(read_input(ref))
    return h.hexdigest()


# ---------------------------------------------------------------------- work store
def work_folder(output: str, ref: InputRef) -> str:
    return join(output, WORK_DIR, ref.relative_dir, ref.stem)


class FsPageStore:
    """A document's work folder on any fsspec filesystem; implements ``PageStore``.

    The driver calls :meth:`prepare` once per run (dropping stale work); workers then
    :meth:`attach` to save and reuse pages."""

    def __init__(self, location: str, fingerprint: Mapping[str, Any]) -> None:
        self.location = location
        self.fs: Any
        self.fs, self.root = filesystem(location) if is_url(location) else (None, location)
        self.fingerprint = {"schema_version": SCHEMA_VERSION, **fingerprint}

    # ------------------------------------------------------------ plumbing
    def _path(self, *parts: str) -> str:
        return join(self.root, *parts)

    def _write(self, rel: str, data: bytes) -> None:
        if self.fs is None:
            write_bytes(Path(self._path(rel)), data)
        else:
            self.fs.pipe_file(self._path(rel), data)

    def _read(self, rel: str) -> bytes | None:
        try:
            if self.fs is None:
                return Path(self._path(rel)).read_bytes()
            data: bytes = self.fs.cat_file(self._path(rel))
            return data
        except (OSError, FileNotFoundError):
            return None

    def _remove(self, rel: str = "") -> None:
        target = self._path(rel)
        if self.fs is None:
            import shutil

            shutil.rmtree(target, ignore_errors=True)
            return
        try:
            if self.fs.exists(target):
                self.fs.rm(target, recursive=True)
        except FileNotFoundError:
            pass

    def _list(self, rel: str) -> list[str]:
        target = self._path(rel)
        if self.fs is None:
            folder = Path(target)
            return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        try:
            return sorted(PurePosixPath(p).name for p in self.fs.ls(target, detail=False))
        except FileNotFoundError:
            return []

    # ------------------------------------------------------------ state (driver)
    def state(self) -> dict[str, Any] | None:
        raw = self._read("state.json")
        try:
            data = json.loads(raw) if raw is not None else None
        except ValueError:
            return None
        return data if isinstance(data, dict) else None

    def _write_state(self, *, complete: bool, outputs: Mapping[str, Any] | None = None) -> None:
        state = {"fingerprint": self.fingerprint, "complete": complete,
                 "outputs": dict(outputs or {})}
        self._write("state.json", json.dumps(state, indent=1).encode("utf-8"))

    def prepare(self, *, resume: bool, outputs: Mapping[str, Any]) -> bool:
        """Start (or, with ``resume``, continue) this document's work; True when an earlier
        run already finished it with the same input, options and outputs."""
        state = self.state()
        reusable = resume and state is not None and state.get("fingerprint") == self.fingerprint
        if reusable and state is not None:
            if state.get("complete") and state.get("outputs") == dict(outputs):
                return True
            return False
        self._remove()
        self._write_state(complete=False)
        return False

    def mark_complete(self, outputs: Mapping[str, Any]) -> None:
        self._remove("pages")
        self._remove("images")
        self._write_state(complete=True, outputs=outputs)

    # ------------------------------------------------------------ PageStore (workers)
    @staticmethod
    def _name(page_index: int | None) -> str:
        return "single.json" if page_index is None else f"{page_index:06d}.json"

    def load(self, page_index: int | None) -> tuple[Page, dict[str, bytes]] | None:
        raw = self._read(f"pages/{self._name(page_index)}")
        if raw is None:
            return None
        try:
            page = Page.model_validate_json(raw)
        except ValueError:
            return None
        if any(b.status == "failed" for b in page.parsing_res_list):
            return None
        have = set(self._list("images"))
        if any(b.image and b.image not in have for b in page.parsing_res_list):
            return None
        return page, {}

    def save(self, page: Page, images: dict[str, bytes]) -> None:
        for name, data in images.items():
            self._write(f"images/{name}", data)
        self._write(f"pages/{self._name(page.page_index)}",
                    page.model_dump_json(by_alias=True).encode("utf-8"))

    def images(self) -> Mapping[str, bytes]:
        return _StoredImages(self)


class _StoredImages(Mapping[str, bytes]):
    """Pictures read on demand, so a long document's images never sit in memory."""

    def __init__(self, store: FsPageStore) -> None:
        self.store = store

    def __getitem__(self, name: str) -> bytes:
        data = None if "/" in name else self.store._read(f"images/{name}")
        if data is None:
            raise KeyError(name)
        return data

    def __iter__(self) -> Iterator[str]:
        return iter([n for n in self.store._list("images") if not n.startswith(".")])

    def __len__(self) -> int:
        return sum(1 for _ in self)


# ---------------------------------------------------------------------- outputs
def write_document(doc: Document, output: str, ref: InputRef, out: OutputOptions) -> None:
    """The local batch's files for ``doc``, written in place or uploaded to ``output``."""
    if not is_url(output):
        output_files(doc, Path(output) / ref.relative_dir, ref.stem, out)
        return
    fs, base = filesystem(output)
    with tempfile.TemporaryDirectory(prefix="docparse-out-") as tmp:
        folder = Path(tmp)
        output_files(doc, folder, ref.stem, out)
        target = join(base, ref.relative_dir)
        pictures = join(target, "imgs", ref.stem)
        # Replace, as the local writer does: stale pictures of an earlier run go.
        try:
            if fs.exists(pictures):
                fs.rm(pictures, recursive=True)
        except FileNotFoundError:
            pass
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            fs.put_file(str(file), join(target, file.relative_to(folder).as_posix()))
