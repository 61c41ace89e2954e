"""``docparse fetch-models`` and ``docparse models``: argument parsing and all rendering.

The library reports progress as events (:mod:`docparse.models.fetch`); this module turns them
into rich progress bars and one-line messages. Handlers return 0 (ok), 1 (something failed or
is missing) or 2 (usage); errors are one line on stderr.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from docparse.errors import ConfigurationError, DocParseError
from docparse.models.cache import check_model, default_cache_dir, fetch_command, model_path
from docparse.models.manifest import SOURCE_NAMES, Manifest, load_manifest
from docparse.options import read_environment

if TYPE_CHECKING:
    import httpx
    from rich.console import Console
    from rich.progress import Progress, TaskID

    from docparse.models.fetch import FetchEvent, FetchResult


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--cache-dir",
        type=Path,
        help="cache root (default: DOCPARSE_MODELS_DIR, models_cache/ in a checkout, "
        "else the user cache directory); paddlex layout, so ~/.paddlex works",
    )
    p.add_argument(
        "--manifest", type=Path, help="model manifest replacing the shipped one (DOCPARSE_MANIFEST)"
    )
    p.add_argument(
        "--model",
        action="append",
        metavar="NAME",
        help="model to act on (repeatable; default: the models docparse needs by default)",
    )
    p.add_argument("--quiet", action="store_true", help="print errors only")


def add_parsers(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Register ``fetch-models`` and ``models``; each sets ``handler(args) -> int``."""
    fetch = subparsers.add_parser(
        "fetch-models",
        help="install models into the offline cache (the only command that downloads)",
        description="Download, verify and install models; or install from local files "
        "(--from), or write everything to one archive for an offline host (--bundle).",
    )
    _common(fetch)
    fetch.add_argument(
        "--source",
        choices=SOURCE_NAMES,
        help="source to try first (default huggingface, or mirror when --mirror is given); "
        "the others follow",
    )
    fetch.add_argument(
        "--mirror",
        metavar="URL",
        help="internal artifact server serving {URL}/{name}/{file} or {URL}/{name}_infer.tar",
    )
    fetch.add_argument(
        "--from",
        dest="from_path",
        type=Path,
        metavar="PATH",
        help="install from local files: a directory of model folders, a paddlex cache root, "
        "an official <name>_infer.tar, or a docparse bundle (no network)",
    )
    fetch.add_argument(
        "--bundle", type=Path, metavar="FILE", help="then write the models + manifest to FILE"
    )
    fetch.add_argument("--force", action="store_true", help="re-install even a verified model")
    fetch.set_defaults(handler=run_fetch_models)

    models = subparsers.add_parser(
        "models",
        help="list the cached models and verify every file against the manifest",
        description="List the cache, verify every file (sha256), say what is missing and the "
        "command that fixes it. Exit code 1 when something is wrong.",
    )
    _common(models)
    models.add_argument(
        "--quick", action="store_true", help="trust recorded hashes of unchanged files"
    )
    models.set_defaults(handler=run_models)


def _console(stream: TextIO | None, fallback: TextIO) -> Console:
    from rich.console import Console

    return Console(file=stream or fallback, highlight=False, soft_wrap=True, markup=False)


def _setup(args: argparse.Namespace, environ: Mapping[str, str] | None) -> tuple[Path, Manifest]:
    env = read_environment(environ)
    cache_dir = args.cache_dir.expanduser() if args.cache_dir else default_cache_dir(environ)
    manifest_path = args.manifest.expanduser() if args.manifest else env.manifest
    return cache_dir, load_manifest(manifest_path)


class _Renderer:
    """Turns fetch events into progress bars (stdout) and one-line notices."""

    def __init__(self, out: Console, err: Console, quiet: bool) -> None:
        self.out, self.err, self.quiet = out, err, quiet
        self.progress: Progress | None = None
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _Renderer:
        if not self.quiet:
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TransferSpeedColumn,
            )

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                console=self.out,
                transient=True,
            )
            self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()

    def say(self, text: str) -> None:
        if not self.quiet:
            self.out.print(text)

    def __call__(self, event: FetchEvent) -> None:
        from docparse.models.download import DownloadProgress
        from docparse.models.fetch import SourceFailed
        from docparse.models.install import (
            AlreadyInstalled,
            FileTrusted,
            ModelInstalled,
            WaitingForLock,
        )

        if isinstance(event, DownloadProgress):
            if self.progress is None:
                return
            task = self.tasks.get(event.url)
            if task is None:
                label = event.url.rsplit("/", 1)[-1]
                task = self.progress.add_task(label, total=event.total)
                self.tasks[event.url] = task
            self.progress.update(task, completed=event.done, total=event.total)
        elif isinstance(event, SourceFailed):
            self.err.print(f"{event.model}: source {event.source} failed: {event.message}")
        elif isinstance(event, FileTrusted):
            self.say(
                f"{event.model}: {event.path} has no pinned hash; trusting it on first use and "
                f"recording sha256 {event.sha256} ({event.size} bytes)"
            )
        elif isinstance(event, ModelInstalled):
            self.say(f"{event.model}: installed and verified in {event.path} (from {event.source})")
        elif isinstance(event, AlreadyInstalled):
            how = "verified" if event.how == "verified" else "found, verified and recorded"
            self.say(f"{event.model}: already installed, {how}: {event.path}")
        elif isinstance(event, WaitingForLock):
            self.say(f"{event.model}: another fetch is running; waiting for {event.lock}")


def run_fetch_models(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
    http_client: httpx.Client | None = None,
) -> int:
    """Handle ``docparse fetch-models``."""
    out, err = _console(stdout, sys.stdout), _console(stderr, sys.stderr)
    try:
        cache_dir, manifest = _setup(args, environ)
        names: Sequence[str] | None = args.model
        results: list[FetchResult] = []
        with _Renderer(out, err, args.quiet) as render:
            if args.from_path is not None:
                from docparse.models.bundle import install_from

                results = install_from(
                    args.from_path,
                    names,
                    cache_dir=cache_dir,
                    manifest=manifest,
                    force=args.force,
                    on_event=render,
                )
            else:
                from docparse.models.fetch import fetch_models

                results = fetch_models(
                    names or manifest.default_names,
                    cache_dir=cache_dir,
                    manifest=manifest,
                    source=args.source,
                    mirror=args.mirror,
                    force=args.force,
                    client=http_client,
                    on_event=render,
                )
        failed = [r for r in results if not r.ok]
        for r in failed:
            err.print(f"error: {r.name}: {r.message}")
        if failed:
            return 1
        if args.bundle is not None:
            from docparse.models.bundle import write_bundle

            bundle_names = [r.name for r in results] or list(manifest.default_names)
            write_bundle(args.bundle, bundle_names, cache_dir=cache_dir, manifest=manifest)
            size = args.bundle.stat().st_size
            if not args.quiet:
                out.print(
                    f"wrote {args.bundle} ({', '.join(bundle_names)}; {size} bytes); on the "
                    f"offline host run: docparse fetch-models --from {args.bundle}"
                )
        return 0
    except ConfigurationError as exc:
        err.print(f"error: {exc}")
        return 2
    except (DocParseError, OSError) as exc:
        err.print(f"error: {exc}")
        return 1
    except KeyboardInterrupt:
        err.print("interrupted: nothing half-installed; partial downloads are kept for resuming")
        return 130


def run_models(
    args: argparse.Namespace,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    """Handle ``docparse models``."""
    out, err = _console(stdout, sys.stdout), _console(stderr, sys.stderr)
    try:
        cache_dir, manifest = _setup(args, environ)
        wanted = list(args.model) if args.model else list(manifest.default_names)
        for name in wanted:
            manifest.get(name)
        if not args.quiet:
            out.print(f"cache: {cache_dir}")
            out.print(f"manifest: {manifest.origin}")
        wrong = 0
        explicit_cache = args.cache_dir
        for entry in manifest.models:
            if args.model and entry.name not in wanted:
                continue
            check = check_model(entry, cache_dir, verify="quick" if args.quick else "full")
            needed = entry.name in wanted
            if check.state == "ok":
                if not args.quiet:
                    trusted = sum(1 for f in check.files if f.trust == "first-use")
                    pinned = sum(1 for f in check.files if f.trust == "pinned")
                    out.print(
                        f"{entry.name}: ok ({pinned} pinned, {trusted} recorded on first use) "
                        f"{check.path}"
                    )
                continue
            if check.state == "missing" and not needed:
                if not args.quiet:
                    out.print(f"{entry.name}: not installed (optional)")
                continue
            wrong += 1
            cmd = fetch_command(
                entry.name,
                cache_dir=explicit_cache,
                manifest=manifest,
                force=check.state == "corrupt",
            )
            details = "; ".join(f"{f.path}: {f.detail or f.state}" for f in check.problems)
            err.print(
                f"{entry.name}: {check.state}{' (' + details + ')' if details else ''}; fix: {cmd}"
            )
        root = model_path(cache_dir, "x").parent
        if root.is_dir() and not args.quiet:
            known = {m.name for m in manifest.models}
            for other in sorted(p.name for p in root.iterdir() if p.is_dir()):
                if other not in known:
                    out.print(f"{other}: in the cache, not in the manifest (not checked)")
        return 1 if wrong else 0
    except ConfigurationError as exc:
        err.print(f"error: {exc}")
        return 2
    except (DocParseError, OSError) as exc:
        err.print(f"error: {exc}")
        return 1
