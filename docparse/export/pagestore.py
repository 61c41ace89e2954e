"""A folder that keeps finished pages as they complete, for crash-safe output and ``--resume``.

Layout (under the CLI's output folder)::

    .docparse-work/<sub-folder>/<stem>/state.json      input sha256 + options key (+ complete)
    .docparse-work/<sub-folder>/<stem>/pages/<n>.json   one finished page
    .docparse-work/<sub-folder>/<stem>/images/<name>    its pictures

A page is reused only when the input's content and the output-relevant options are the same
as when it was written, and none of its blocks failed (failed blocks are retried).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from docparse.document import SCHEMA_VERSION, Page
from docparse.export.atomic import write_bytes, write_text


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


class DirPageStore:
    """Implements :class:`docparse.pipeline.PageStore` on a folder."""

    def __init__(self, folder: Path, *, fingerprint: Mapping[str, Any], resume: bool) -> None:
        self.folder = folder
        self.fingerprint = {"schema_version": SCHEMA_VERSION, **fingerprint}
        state = self._read_state()
        self.reusable = resume and state is not None and state.get("fingerprint") == self.fingerprint
        if not self.reusable:
            shutil.rmtree(folder, ignore_errors=True)
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
            data = json.loads((self.folder / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write_state(self, *, complete: bool, outputs: Mapping[str, Any] | None = None) -> None:
        state = {"fingerprint": self.fingerprint, "complete": complete,
                 "outputs": dict(outputs or {})}
        write_text(self.folder / "state.json", json.dumps(state, indent=1))

    def is_complete(self, outputs: Mapping[str, Any]) -> bool:
        """Finished earlier with the same input, options and requested outputs."""
        state = self._read_state()
        return bool(self.reusable and state and state.get("complete")
                    and state.get("outputs") == dict(outputs))

    def mark_complete(self, outputs: Mapping[str, Any]) -> None:
        """The final outputs are written: keep only the state, drop the per-page files."""
        shutil.rmtree(self.folder / "pages", ignore_errors=True)
        shutil.rmtree(self.folder / "images", ignore_errors=True)
        self._write_state(complete=True, outputs=outputs)

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
