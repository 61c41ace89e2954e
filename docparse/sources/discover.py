"""Expand CLI arguments (files, directories, glob patterns) into the inputs of a run.

Problems with one argument are returned as data so the rest of a batch still runs.
"""

from __future__ import annotations

import glob
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from docparse.display import display_text, file_name_text, safe_stem
from docparse.sources.sniff import SUPPORTED_EXTENSIONS

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class FoundInput:
    """One input file and the sub-folder (relative to its argument) to mirror in the output."""

    path: Path
    #: ``Path()`` for a file named directly or found at the top of a directory argument.
    relative_dir: Path
    #: The command-line argument it came from.
    arg: str


@dataclass(frozen=True)
class DiscoveryIssue:
    """An argument that produced no input, and why."""

    arg: str
    problem: str

    def __str__(self) -> str:
        return display_text(f"{self.arg}: {self.problem}")


@dataclass(frozen=True)
class DiscoveredInputs:
    """Inputs in argument order (each directory sorted), plus the arguments that failed."""

    inputs: tuple[FoundInput, ...]
    errors: tuple[DiscoveryIssue, ...]


def discover_inputs(args: Sequence[str]) -> DiscoveredInputs:
    """Expand ``args`` into input files.

    - a file is taken as it is, whatever its extension (opening it says if it is unsupported);
    - a directory is walked recursively for supported extensions (case-insensitive),
      skipping hidden files and folders, sorted by relative path;
    - a pattern with ``*``, ``?`` or ``[`` is expanded (``**`` spans folders); matched
      directories are walked, matched files need a supported extension.

    A file reached twice is kept once, at its first position.

    >>> found = discover_inputs(["scans/", "report.pdf"])  # doctest: +SKIP
    >>> [(str(f.relative_dir), f.path.name) for f in found.inputs]  # doctest: +SKIP
    [('.', 'a.png'), ('2024', 'b.pdf'), ('.', 'report.pdf')]
    """
    inputs: list[FoundInput] = []
    errors: list[DiscoveryIssue] = []
    seen: set[Path] = set()

    def add(path: Path, relative_dir: Path, arg: str) -> None:
        key = Path(os.path.abspath(path))
        if key not in seen:
            seen.add(key)
            inputs.append(FoundInput(path=path, relative_dir=relative_dir, arg=arg))

    for arg in args:
        path = Path(arg)
        if path.is_file():
            add(path, Path(), arg)
        elif path.is_dir():
            found, walk_errors = _walk(path)
            errors.extend(DiscoveryIssue(arg, problem) for problem in walk_errors)
            if not found and not walk_errors:
                errors.append(DiscoveryIssue(arg, f"directory has no {_ext_list()} files"))
            for file in found:
                add(file, file.parent.relative_to(path), arg)
        elif _GLOB_CHARS & set(arg):
            matched, glob_errors = _expand_glob(arg)
            errors.extend(DiscoveryIssue(arg, problem) for problem in glob_errors)
            if not matched and not glob_errors:
                errors.append(DiscoveryIssue(arg, f"pattern matches no {_ext_list()} file"))
            for file, rel in matched:
                add(file, rel, arg)
        elif path.exists():
            errors.append(DiscoveryIssue(arg, "not a regular file or directory"))
        else:
            errors.append(DiscoveryIssue(arg, "no such file or directory"))
    return DiscoveredInputs(inputs=tuple(inputs), errors=tuple(errors))


def is_supported_name(path: Path) -> bool:
    """True for a visible file name with a supported extension (any case)."""
    return not path.name.startswith(".") and path.suffix.lower() in SUPPORTED_EXTENSIONS


def _walk(root: Path) -> tuple[list[Path], list[str]]:
    found: list[Path] = []
    problems: list[str] = []

    def on_error(exc: OSError) -> None:
        problems.append(f"cannot read folder {exc.filename}: {exc.strerror or exc}")

    # followlinks=False: a symlink loop must not walk forever (linked files still count).
    for folder, dirs, files in os.walk(root, onerror=on_error, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            file = Path(folder, name)
            if is_supported_name(file) and file.is_file():
                found.append(file)
    found.sort(key=lambda p: _sort_key(p.relative_to(root)))
    return found, problems


def _expand_glob(pattern: str) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Matches as ``(file, relative_dir)``, relative to the pattern's literal leading folder."""
    base = _literal_base(pattern)
    matched: list[tuple[Path, Path]] = []
    problems: list[str] = []
    for hit in sorted(glob.glob(pattern, recursive=True), key=lambda s: _sort_key(Path(s))):
        path = Path(hit)
        if path.is_dir():
            found, walk_errors = _walk(path)
            problems.extend(walk_errors)
            matched.extend((f, _relative(f.parent, base)) for f in found)
        elif path.is_file() and is_supported_name(path):
            matched.append((path, _relative(path.parent, base)))
    return matched, problems


def _literal_base(pattern: str) -> Path:
    parts: list[str] = []
    for part in Path(pattern).parts[:-1]:
        if _GLOB_CHARS & set(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path()


def _relative(folder: Path, base: Path) -> Path:
    try:
        return folder.relative_to(base)
    except ValueError:
        return Path()


def _sort_key(rel: Path) -> tuple[str, ...]:
    # Component-wise and case-insensitive, so "a/z.pdf" sorts before "a.b/x.pdf"
    # and the order is the same on every filesystem.
    return (*(part.casefold() for part in rel.parts), str(rel))


def _ext_list() -> str:
    return "/".join(sorted(SUPPORTED_EXTENSIONS))


def output_stems(paths: Iterable[FoundInput | Path]) -> dict[Path, str]:
    """The output file stem of each input: one safe path component
    (:func:`docparse.export.naming.safe_stem`), and no name any input's outputs will have
    shared with another input's in the same output folder.

    Normally ``report`` for ``report.pdf``. Inputs sharing a stem in the same folder
    (``relative_dir`` for :class:`FoundInput`; plain paths all share one folder) use their
    full names instead (``report.pdf``, ``report.png``); so does an input whose stem is
    another's plus ``_<number>`` (``a_1.pdf`` beside ``a.pdf``), because per-page Markdown
    and layout pictures name pages ``<stem>_<page>``: ``a.pdf`` page 1 would be ``a_1.md``
    like ``a_1.pdf``. If even those clash (same name in different source folders), later
    ones get ``-2``, ``-3``... Comparison ignores case, as case-insensitive filesystems
    would. Keys are the input paths.

    >>> list(output_stems([Path("a/report.pdf"), Path("report.png"), Path("notes.pdf")]).values())
    ['report.pdf', 'report.png', 'notes']
    """

    entries: list[tuple[Path, Path]] = []
    for item in paths:
        path, folder = (
            (item.path, item.relative_dir) if isinstance(item, FoundInput) else (item, Path())
        )
        if all(path != seen for seen, _ in entries):
            entries.append((path, folder))
    # Output names are text (they appear in Markdown links): undecodable bytes become %XX.
    base = {path: safe_stem(file_name_text(path.stem)) for path, _ in entries}
    stem_counts: dict[tuple[Path, str], int] = {}
    for path, folder in entries:
        key = (folder, base[path].casefold())
        stem_counts[key] = stem_counts.get(key, 0) + 1

    def pages_of_another(stem: str, names: Iterable[str]) -> bool:
        """``stem`` is ``<one of names>_<digits>``: the name of one of that input's pages."""
        match = _PAGE_NAME.fullmatch(stem.casefold())
        return match is not None and match[1] in names

    bases: dict[Path, set[str]] = {}
    for path, folder in entries:
        bases.setdefault(folder, set()).add(base[path].casefold())
    result: dict[Path, str] = {}
    taken: dict[Path, set[str]] = {}
    for path, folder in entries:
        used = taken.setdefault(folder, set())
        shared = (stem_counts[(folder, base[path].casefold())] > 1
                  or pages_of_another(base[path], bases[folder]))
        name = safe_stem(file_name_text(path.name)) if shared else base[path]
        candidate, n = name, 1
        while (candidate.casefold() in used
               or pages_of_another(candidate, used | bases[folder])
               or any(pages_of_another(other, {candidate.casefold()}) for other in used)):
            n += 1
            candidate = f"{name}-{n}"
        used.add(candidate.casefold())
        result[path] = candidate
    return result


#: ``<stem>_<page>``: how per-page outputs are named.
_PAGE_NAME = re.compile(r"(.*)_[0-9]+")
