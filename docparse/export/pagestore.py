"""A folder that keeps finished pages as they complete, for crash-safe output and ``--resume``.

Layout (under the CLI's output folder)::

    .docparse-work/<sub-folder>/<stem>/state.json      input sha256 + options key (+ complete)
    .docparse-work/<sub-folder>/<stem>/pages/<n>.json   one finished page
    .docparse-work/<sub-folder>/<stem>/images/<name>    its pictures

A page is reused only when the input's content and the output-relevant options are the same
as when it was written, and none of its blocks failed (failed blocks are retried).

``state.json`` also lists the output files written for the document, with their size and
sha256: a document counts as done for ``--resume`` only while they are all still there and
unchanged, and a run never takes them for inputs (an output folder inside the input folder).

A document that fails before any page is saved (unreadable, encrypted, not a document) has
nothing to resume: the CLI removes its work folder (:meth:`DirPageStore.discard`). Saved
pages of a document that failed later (blocks that failed, outputs that could not be written)
stay, since ``--resume`` reuses them.

The store only ever removes files it wrote: a folder without its ``state.json`` is not one of
its folders and is refused rather than emptied.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from docparse.document import SCHEMA_VERSION, Page
from docparse.errors import OutputError
from docparse.export.atomic import write_bytes, write_text

#: The files of ``pages/``: one per page, and the temp files of an interrupted write.
_PAGE_FILE = re.compile(r"([0-9]{6}|single)\.json|\..*\.tmp")
STATE = "state.json"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class _FolderImages(Mapping[str, bytes]):
    """Pictures read from disk on demand, so a long document's images never sit in memory."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def __getitem__(self, name: str) -> bytes:
        path = self.folder / name
        if "/" in name or not path.is_file():
            raise KeyError(name)
        return path.read_bytes()

    def __iter__(self) -> Iterator[str]:
        if not self.folder.is_dir():
            return iter(())
        return iter(sorted(p.name for p in self.folder.iterdir() if not p.name.startswith(".")))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def file_record(data: bytes) -> dict[str, Any]:
    """What ``state.json`` keeps of one output file, to tell later that it is unchanged."""
    return {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


class DirPageStore:
    """Implements :class:`docparse.pipeline.PageStore` on a folder."""

    def __init__(self, folder: Path, *, fingerprint: Mapping[str, Any], resume: bool) -> None:
        self.folder = folder
        self.fingerprint = {"schema_version": SCHEMA_VERSION, **fingerprint}
        state = self._read_state()
        self.reusable = resume and state is not None and state.get("fingerprint") == self.fingerprint
        if not self.reusable:
            self._clear()
            folder.mkdir(parents=True, exist_ok=True)
            self._write_state(complete=False)

    @classmethod
    def for_input(cls, folder: Path, input_path: Path, options_key: Mapping[str, Any], *,
                  resume: bool) -> DirPageStore:
        return cls(folder, fingerprint={"input_sha256": file_sha256(input_path),
                                        "options": dict(options_key)}, resume=resume)

    # ---------------------------------------------------------------- state
    def _read_state(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.folder / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write_state(self, *, complete: bool, outputs: Mapping[str, Any] | None = None,
                     files: Mapping[str, Any] | None = None) -> None:
        state = {"fingerprint": self.fingerprint, "complete": complete,
                 "outputs": dict(outputs or {}), "files": dict(files or {})}
        write_text(self.folder / STATE, json.dumps(state, indent=1))

    def is_complete(self, outputs: Mapping[str, Any], root: Path) -> bool:
        """Finished earlier with the same input, options and requested outputs, and every
        output file it wrote (paths relative to ``root``) is still there, unchanged."""
        state = self._read_state()
        if not (self.reusable and state and state.get("complete")
                and state.get("outputs") == dict(outputs)):
            return False
        files = state.get("files")
        return isinstance(files, dict) and bool(files) and all(
            _unchanged(root, rel, record) for rel, record in files.items())

    def written_files(self) -> list[str]:
        """The output files (relative to the output folder) last written for the document."""
        state = self._read_state() or {}
        files = state.get("files")
        return [str(rel) for rel in files] if isinstance(files, dict) else []

    def record_files(self, files: Mapping[str, Any]) -> None:
        """The outputs about to be written (``{relative path: file_record}``), recorded before
        they are, so a run interrupted between the two still knows them for its own."""
        self._write_state(complete=False, files=files)

    def mark_complete(self, outputs: Mapping[str, Any], files: Mapping[str, Any]) -> None:
        """The final outputs are written: keep only the state, drop the per-page files."""
        self._clear_pages()
        self._write_state(complete=True, outputs=outputs, files=files)

    def has_pages(self) -> bool:
        """Some page was saved (so ``--resume`` has something to reuse)."""
        pages = self.folder / "pages"
        return pages.is_dir() and any(_PAGE_FILE.fullmatch(p.name) and not p.name.endswith(
            ".tmp") for p in pages.iterdir())

    def discard(self) -> None:
        """Remove the document's work files (a failure ``--resume`` could not build on)."""
        self._clear()
        with contextlib.suppress(OSError):
            self.folder.rmdir()

    def _clear(self) -> None:
        """Remove the files this store writes, and nothing else: a non-empty folder without
        ``state.json`` was not made by a store and is refused."""
        try:
            entries = list(self.folder.iterdir())
        except FileNotFoundError:
            return
        except OSError as exc:
            raise OutputError(f"{self.folder}: cannot read: {exc.strerror or exc}") from exc
        if entries and not (self.folder / STATE).is_file():
            raise OutputError(f"{self.folder}: not a docparse work folder (it has no {STATE}); "
                              "move it away or choose another output folder")
        self._clear_pages()
        _unlink(self.folder / STATE)

    def _clear_pages(self) -> None:
        for sub, keep in (("pages", _PAGE_FILE.fullmatch), ("images", _plain_file_name)):
            folder = self.folder / sub
            if not folder.is_dir() or folder.is_symlink():
                continue
            for entry in folder.iterdir():
                if keep(entry.name) and entry.is_file() and not entry.is_symlink():
                    _unlink(entry)
            with contextlib.suppress(OSError):
                folder.rmdir()

    # ---------------------------------------------------------------- PageStore
    @staticmethod
    def _name(page_index: int | None) -> str:
        return "single.json" if page_index is None else f"{page_index:06d}.json"

    def load(self, page_index: int | None) -> tuple[Page, dict[str, bytes]] | None:
        if not self.reusable:
            return None
        path = self.folder / "pages" / self._name(page_index)
        try:
            page = Page.model_validate_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if any(b.status == "failed" for b in page.parsing_res_list):
            return None
        images = self.images()
        if any(b.image and b.image not in images for b in page.parsing_res_list):
            return None
        return page, {}

    def save(self, page: Page, images: dict[str, bytes]) -> None:
        for name, data in images.items():
            write_bytes(self.folder / "images" / name, data)
        write_text(self.folder / "pages" / self._name(page.page_index),
                   page.model_dump_json(by_alias=True))

    def images(self) -> Mapping[str, bytes]:
        return _FolderImages(self.folder / "images")


def _plain_file_name(name: str) -> bool:
    return name not in ("", ".", "..") and "/" not in name


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _unchanged(root: Path, rel: str, record: Any) -> bool:
    if not isinstance(record, dict) or "/.." in f"/{rel}/" or rel.startswith("/"):
        return False
    path = root / rel
    try:
        if not path.is_file() or path.stat().st_size != record.get("size"):
            return False
        return file_sha256(path) == record.get("sha256")
    except OSError:
        return False
