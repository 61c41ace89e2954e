"""Parse options: one frozen object, and the only place docparse reads its environment.

Precedence everywhere: explicit argument or CLI flag > ``DOCPARSE_<NAME>`` > default.
:func:`resolve_options` is the single function that reads ``os.environ``; every option listed
in :data:`ENV_OPTIONS` has a CLI flag of the same name (``--max-concurrency`` for
``max_concurrency``) and an environment twin (``DOCPARSE_MAX_CONCURRENCY``).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

from docparse.errors import ConfigurationError
from docparse.labels import MARKDOWN_IGNORE_LABELS

LayoutName = Literal["auto", "builtin", "pp-doclayoutv2", "pp-doclayoutv3"]
#: PaddleOCR-VL generation (docparse.versions); auto = from the served model, v1 without one.
PipelineVersionName = Literal["auto", "v1", "v1.5", "v1.6"]
RecognizerName = Literal["auto", "builtin", "vlm"]
TextLayerMode = Literal["auto", "off", "prefer"]
OrientationMode = Literal["auto", "off"]

#: Official page pixel cap for rendering (reference §2.5).
MAX_PAGE_PIXELS = 178_956_970


@dataclass(frozen=True, kw_only=True)
class ParseOptions:
    """Everything that changes what a parse produces or how it talks to servers.

    Immutable: use :meth:`replace` for a changed copy.
    """

    # --- input
    dpi: int = 144
    pages: str | None = None
    password: str | None = None
    # --- layout
    layout: LayoutName = "auto"
    layout_model_dir: Path | None = None
    cache_dir: Path | None = None
    manifest: Path | None = None
    device: str = "cpu"
    layout_threshold: float | None = None  # None = official per-class thresholds
    layout_nms: bool = True
    layout_unclip_ratio: float = 1.0
    merge_layout_blocks: bool = True
    # --- recognition
    pipeline_version: PipelineVersionName = "auto"
    recognizer: RecognizerName = "auto"
    server_url: tuple[str, ...] = ()
    api_key: str | None = None
    model: str | None = None
    chart_recognition: bool = False
    #: Send seal blocks with "Seal Recognition:" (PaddleOCR-VL 1.5 and later), off as upstream.
    seal_recognition: bool = False
    keep_furniture: bool = False
    temperature: float = 0.0
    top_p: float | None = None
    repetition_penalty: float | None = None
    max_completion_tokens: int = 4096
    min_pixels: int = 112_896
    max_pixels: int = 1_003_520
    max_concurrency: int = 64
    timeout: float = 120.0
    retries: int = 3
    deadline: float | None = None
    # --- text layer, page orientation
    text_layer: TextLayerMode = "auto"
    #: Turn scanned pages (no text layer) that lie on their side or upside down.
    orientation: OrientationMode = "auto"
    # --- document assembly
    merge_tables: bool = True
    relevel_titles: bool = True
    join_paragraphs: bool = True
    detect_furniture: bool = True
    markdown_ignore_labels: tuple[str, ...] = MARKDOWN_IGNORE_LABELS
    # --- throughput
    page_window: int = 16
    layout_workers: int = 0  # 0 = one per CPU core

    def replace(self, **changes: Any) -> ParseOptions:
        """Return a copy with ``changes`` applied (validated like the constructor)."""
        unknown = set(changes) - {f.name for f in fields(self)}
        if unknown:
            raise ConfigurationError(f"unknown option(s): {', '.join(sorted(unknown))}")
        return validate(dataclasses.replace(self, **_coerce_all(changes)))

    def cache_key(self) -> dict[str, Any]:
        """The options that change output, for resume checks (no secrets, no throughput knobs)."""
        skip = {"password", "api_key", "max_concurrency", "timeout", "retries", "deadline",
                "page_window", "layout_workers", "server_url", "cache_dir", "manifest", "device"}
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name in skip:
                continue
            v = getattr(self, f.name)
            out[f.name] = str(v) if isinstance(v, Path) else list(v) if isinstance(v, tuple) else v
        return out


#: Options with a CLI flag and a ``DOCPARSE_<NAME>`` twin.
ENV_OPTIONS: tuple[str, ...] = (
    "dpi", "pages", "password", "layout", "layout_model_dir", "cache_dir", "manifest", "device",
    "layout_threshold", "merge_layout_blocks",
    "recognizer", "server_url", "api_key", "model", "chart_recognition", "keep_furniture",
    "pipeline_version", "seal_recognition",
    "temperature", "max_completion_tokens", "max_concurrency", "timeout", "retries", "deadline",
    "text_layer", "orientation", "merge_tables", "relevel_titles", "join_paragraphs", "detect_furniture",
    "page_window", "layout_workers",
)

_CHOICES: dict[str, tuple[str, ...]] = {
    "layout": ("auto", "builtin", "pp-doclayoutv2", "pp-doclayoutv3"),
    "pipeline_version": ("auto", "v1", "v1.5", "v1.6"),
    "recognizer": ("auto", "builtin", "vlm"),
    "text_layer": ("auto", "off", "prefer"),
    "orientation": ("auto", "off"),
}

_FIELD_TYPES: dict[str, Any] = {f.name: f.type for f in fields(ParseOptions)}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_name(option: str) -> str:
    return "DOCPARSE_" + option.upper()


def _coerce(name: str, value: Any) -> Any:
    """Turn a string (from env or CLI) or a loose Python value into the field's type."""
    t = str(_FIELD_TYPES[name])
    if value is None:
        return None
    try:
        if "tuple[str" in t:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            return tuple(str(v) for v in value)
        if t.startswith("bool"):
            if isinstance(value, bool):
                return value
            s = str(value).strip().lower()
            if s in _TRUE:
                return True
            if s in _FALSE:
                return False
            raise ValueError(f"expected true/false, got {value!r}")
        if "Path" in t:
            return Path(value).expanduser() if str(value) else None
        if t.startswith("int"):
            if isinstance(value, bool):
                raise ValueError(f"expected an integer, got {value!r}")
            return int(value)
        if t.startswith("float"):
            return float(value)
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"option {name}: {exc}") from exc
    return value


def _coerce_all(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _coerce(k, v) for k, v in values.items()}


def validate(opts: ParseOptions) -> ParseOptions:
    """Check ranges and choices; raise :class:`ConfigurationError` naming the option."""
    for name, choices in _CHOICES.items():
        if getattr(opts, name) not in choices:
            raise ConfigurationError(
                f"option {name}: {getattr(opts, name)!r} is not one of {', '.join(choices)}"
            )
    positive = ("dpi", "max_completion_tokens", "max_concurrency", "page_window", "min_pixels",
                "max_pixels")
    for name in positive:
        if getattr(opts, name) < 1:
            raise ConfigurationError(f"option {name}: must be at least 1, got {getattr(opts, name)}")
    if opts.dpi > 1200:
        raise ConfigurationError(f"option dpi: {opts.dpi} is above the supported 1200")
    if opts.timeout <= 0:
        raise ConfigurationError(f"option timeout: must be positive, got {opts.timeout}")
    if opts.deadline is not None and opts.deadline <= 0:
        raise ConfigurationError(f"option deadline: must be positive, got {opts.deadline}")
    if opts.retries < 0:
        raise ConfigurationError(f"option retries: must be 0 or more, got {opts.retries}")
    if opts.layout_workers < 0:
        raise ConfigurationError("option layout_workers: must be 0 (auto) or more")
    if opts.min_pixels > opts.max_pixels:
        raise ConfigurationError("option min_pixels: must not exceed max_pixels")
    if opts.recognizer == "vlm" and not opts.server_url:
        raise ConfigurationError(
            "recognizer 'vlm' needs a server: pass --server URL or set DOCPARSE_SERVER_URL"
        )
    if opts.pages is not None:
        from docparse.sources.pages import parse_page_spec

        parse_page_spec(opts.pages)  # raises ConfigurationError on a bad spec
    return opts


def resolve_options(
    overrides: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    base: ParseOptions | None = None,
) -> ParseOptions:
    """Build options from ``overrides`` > ``DOCPARSE_*`` environment > ``base``/defaults.

    ``overrides`` values of None mean "not given". ``environ`` defaults to ``os.environ``;
    this is the only place docparse reads it for options.
    """
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for name in ENV_OPTIONS:
        raw = env.get(env_name(name))
        if raw is not None and raw != "":
            values[name] = _coerce(name, raw)
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    unknown = set(given) - set(_FIELD_TYPES)
    if unknown:
        raise ConfigurationError(f"unknown option(s): {', '.join(sorted(unknown))}")
    values.update(_coerce_all(given))
    start = base or ParseOptions()
    return validate(dataclasses.replace(start, **values))


@dataclass(frozen=True, kw_only=True)
class OutputOptions:
    """What the CLI writes, and how it reports. Flags with ``DOCPARSE_<NAME>`` twins too."""

    output: Path = Path("docparse_output")
    format: tuple[str, ...] = ("md", "json")
    per_page: bool = False
    resume: bool = False
    quiet: bool = False
    log_json: bool = False
    jobs: int = 2


_OUTPUT_FORMATS = ("md", "json", "img")


def resolve_output_options(
    overrides: Mapping[str, Any] | None = None, *, environ: Mapping[str, str] | None = None
) -> OutputOptions:
    """Flags > ``DOCPARSE_OUTPUT``/``_FORMAT``/``_PER_PAGE``/``_RESUME``/``_QUIET``/``_LOG_JSON``/
    ``_JOBS`` > defaults."""
    env = os.environ if environ is None else environ
    defaults = OutputOptions()
    values: dict[str, Any] = {}
    for f in fields(OutputOptions):
        given = (overrides or {}).get(f.name)
        raw: Any = given if given is not None else env.get(env_name(f.name)) or None
        if raw is None:
            continue
        default = getattr(defaults, f.name)
        try:
            if isinstance(default, bool):
                values[f.name] = raw if isinstance(raw, bool) else _coerce_bool(f.name, str(raw))
            elif isinstance(default, int):
                values[f.name] = int(raw)
            elif isinstance(default, tuple):
                items = raw.split(",") if isinstance(raw, str) else list(raw)
                values[f.name] = tuple(dict.fromkeys(i.strip().lower() for i in items if i.strip()))
            else:
                values[f.name] = Path(raw).expanduser()
        except ValueError as exc:
            raise ConfigurationError(f"option {f.name}: {exc}") from exc
    out = dataclasses.replace(defaults, **values)
    bad = [x for x in out.format if x not in _OUTPUT_FORMATS]
    if bad or not out.format:
        raise ConfigurationError(
            f"option format: {','.join(bad) or 'nothing'} is not a list of {', '.join(_OUTPUT_FORMATS)}"
        )
    if out.jobs < 1:
        raise ConfigurationError("option jobs: must be at least 1")
    return out


def _coerce_bool(name: str, s: str) -> bool:
    s = s.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    raise ConfigurationError(f"option {name}: expected true/false, got {s!r}")


@dataclass(frozen=True)
class Environment:
    """Non-option environment docparse honours, read once by :func:`read_environment`."""

    models_dir: Path | None = None
    manifest: Path | None = None
    log_level: str | None = None


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """``DOCPARSE_MODELS_DIR`` (cache root), ``DOCPARSE_MANIFEST``, ``DOCPARSE_LOG``."""
    env = os.environ if environ is None else environ
    md = env.get("DOCPARSE_MODELS_DIR") or env.get("DOCPARSE_CACHE_DIR")
    mf = env.get("DOCPARSE_MANIFEST")
    return Environment(
        models_dir=Path(md).expanduser() if md else None,
        manifest=Path(mf).expanduser() if mf else None,
        log_level=env.get("DOCPARSE_LOG") or None,
    )
