"""Parse options: one frozen object, and the only place docparse reads its environment.

Precedence everywhere: explicit argument or CLI flag > ``DOCPARSE_<NAME>`` > default.
:func:`resolve_options` is the single function that reads ``os.environ``; every option listed
in :data:`ENV_OPTIONS` has a CLI flag of the same name (``--max-concurrency`` for
``max_concurrency``) and an environment twin (``DOCPARSE_MAX_CONCURRENCY``).
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from docparse import backends, formats
from docparse.errors import ConfigurationError
from docparse.labels import MARKDOWN_IGNORE_LABELS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

#: Names from the backend registry (:mod:`docparse.backends`), ``auto`` first.
LayoutName = str
RecognizerName = str
#: PaddleOCR-VL generation (docparse.versions); auto = from the served model, v1 without one.
PipelineVersionName = Literal["auto", "v1", "v1.5", "v1.6"]
TextLayerMode = Literal["auto", "off", "prefer"]
OrientationMode = Literal["auto", "off"]

G = TypeVar("G", bound="DataclassInstance")

#: Official page pixel cap for rendering (reference §2.5).
MAX_PAGE_PIXELS = 178_956_970

#: No PaddleOCR-VL server accepts more completion tokens than its context (128 Ki tokens).
MAX_COMPLETION_TOKENS = 131_072

#: ``DOCPARSE_LOG`` values.
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")


# --- Options by concern. ParseOptions stays one flat, frozen object users build with keywords
# (``docparse.parse(path, dpi=200)``) and the CLI/environment fill by name; each stage receives
# only its own group, through ParseOptions.group(...).


@dataclass(frozen=True)
class InputOptions:
    dpi: int
    pages: str | None
    password: str | None


@dataclass(frozen=True)
class LayoutOptions:
    layout: str
    layout_model_dir: Path | None
    cache_dir: Path | None
    manifest: Path | None
    device: str
    layout_threshold: float | None
    layout_nms: bool
    layout_unclip_ratio: float
    merge_layout_blocks: bool


@dataclass(frozen=True)
class ServerOptions:
    """The recognition server: which generation, where, how to ask, and how hard to try."""

    pipeline_version: str
    recognizer: str
    server_url: tuple[str, ...]
    api_key: str | None
    model: str | None
    temperature: float
    top_p: float | None
    repetition_penalty: float | None
    max_completion_tokens: int
    min_pixels: int
    max_pixels: int
    max_concurrency: int
    timeout: float
    retries: int


@dataclass(frozen=True)
class ContentOptions:
    """What is recognised at all: charts as tables, page furniture."""

    chart_recognition: bool
    seal_recognition: bool
    keep_furniture: bool


@dataclass(frozen=True)
class TextLayerOptions:
    text_layer: TextLayerMode
    orientation: OrientationMode


@dataclass(frozen=True)
class AssemblyOptions:
    """Document-level passes and Markdown."""

    merge_tables: bool
    relevel_titles: bool
    join_paragraphs: bool
    detect_furniture: bool
    markdown_ignore_labels: tuple[str, ...]


@dataclass(frozen=True)
class RunLimits:
    deadline: float | None
    page_window: int
    layout_workers: int


#: Every option group, in the order ParseOptions lists its fields.
OPTION_GROUPS: tuple[type, ...] = (InputOptions, LayoutOptions, ServerOptions, ContentOptions,
                                   TextLayerOptions, AssemblyOptions, RunLimits)


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
    # --- recognition server
    pipeline_version: PipelineVersionName = "auto"
    recognizer: RecognizerName = "auto"
    server_url: tuple[str, ...] = ()
    api_key: str | None = None
    model: str | None = None
    temperature: float = 0.0
    top_p: float | None = None
    repetition_penalty: float | None = None
    max_completion_tokens: int = 4096
    min_pixels: int = 112_896
    max_pixels: int = 1_003_520
    max_concurrency: int = 64
    timeout: float = 120.0
    retries: int = 3
    # --- content
    chart_recognition: bool = False
    #: Send seal blocks with "Seal Recognition:" (PaddleOCR-VL 1.5 and later), off as upstream.
    seal_recognition: bool = False
    keep_furniture: bool = False
    # --- text layer, page orientation
    text_layer: TextLayerMode = "auto"
    #: Turn pages that lie on their side or upside down (scans by their pixels, PDF pages by
    #: the direction of their own text) and straighten tilted scans.
    orientation: OrientationMode = "auto"
    # --- document assembly
    merge_tables: bool = True
    relevel_titles: bool = True
    join_paragraphs: bool = True
    detect_furniture: bool = True
    markdown_ignore_labels: tuple[str, ...] = MARKDOWN_IGNORE_LABELS
    # --- run limits
    deadline: float | None = None
    page_window: int = 16
    layout_workers: int = 0  # 0 = one per CPU core

    def group(self, kind: type[G]) -> G:
        """The options of one concern (``opts.group(AssemblyOptions)``), for the stage that
        owns it."""
        return kind(**{f.name: getattr(self, f.name) for f in fields(kind)})

    def __post_init__(self) -> None:
        # Validated however it is built (the CLI, resolve_options, or ParseOptions(...) in
        # user code), so a wrong value fails here, before any input is read or server called.
        _normalise_paths(self)
        validate(self)

    def __repr__(self) -> str:
        # Options end up in logs and tracebacks: no password, API key or URL credentials.
        from docparse.display import display_url

        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("password", "api_key") and value is not None:
                value = "***"
            elif f.name == "server_url":
                value = tuple(display_url(u) for u in value)
            shown.append(f"{f.name}={value!r}")
        return f"ParseOptions({', '.join(shown)})"

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
    "pipeline_version": ("auto", "v1", "v1.5", "v1.6"),
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


def _normalise_paths(opts: ParseOptions) -> None:
    """``"models/x"`` for a path option becomes ``Path("models/x")``; a list of server URLs
    or labels becomes a tuple (the loose spellings users write in ``ParseOptions(...)``)."""
    for f in fields(opts):
        value = getattr(opts, f.name)
        t = str(f.type)
        if "Path" in t and isinstance(value, (str, os.PathLike)) and not isinstance(value, Path):
            object.__setattr__(opts, f.name, Path(value).expanduser() if str(value) else None)
        elif t.startswith("tuple[str") and isinstance(value, list):
            object.__setattr__(opts, f.name, tuple(value))


def _type_problem(name: str, value: Any) -> str | None:
    """Why ``value`` does not fit option ``name``'s declared type, or None."""
    t = str(_FIELD_TYPES[name])
    if value is None:
        return None if "None" in t else "must be given (got None)"
    base = t.split("|")[0].strip()
    kind = type(value).__name__
    if base == "bool":
        ok = isinstance(value, bool)
        want = "true or false"
    elif base == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        want = "an integer"
    elif base == "float":
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        if ok and not math.isfinite(value):
            return f"must be a finite number, got {value}"
        want = "a number"
    elif base == "Path":
        ok = isinstance(value, Path)
        want = "a path"
    elif base.startswith("tuple[str"):
        ok = isinstance(value, tuple) and all(isinstance(v, str) for v in value)
        want = "a list of strings"
    else:  # str and the Literal choices
        ok = isinstance(value, str)
        want = "a string like '1-3,7'" if name == "pages" else "a string"
    return None if ok else f"expected {want}, got {kind} {value!r}"


def check_server_url(url: str) -> None:
    """Raise :class:`ConfigurationError` unless ``url`` is ``http(s)://host[:port][/path]``.

    Catches what would otherwise fail on every request (an invalid or out-of-range port, an
    unbalanced IPv6 bracket) before any server is contacted. Credentials (``user:pw@``) are
    allowed and never shown.
    """
    from urllib.parse import urlsplit

    from docparse.display import display_url

    shown = display_url(url.strip())
    raw = url.strip()
    if "://" not in raw:
        raw = "http://" + raw
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError as exc:
        raise ConfigurationError(f"server URL {shown!r}: {exc}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"server URL {shown!r}: expected http(s)://host[:port][/v1]")


def validate(opts: ParseOptions) -> ParseOptions:
    """Check types, ranges and choices; raise :class:`ConfigurationError` naming the option."""
    for f in fields(opts):
        problem = _type_problem(f.name, getattr(opts, f.name))
        if problem:
            raise ConfigurationError(f"option {f.name}: {problem}")
    choices_of = {**_CHOICES, "layout": backends.names("layout"),
                  "recognizer": backends.names("recognizer")}
    for name, choices in choices_of.items():
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
    if opts.max_completion_tokens > MAX_COMPLETION_TOKENS:
        raise ConfigurationError(
            f"option max_completion_tokens: {opts.max_completion_tokens} is above "
            f"{MAX_COMPLETION_TOKENS}, more than any PaddleOCR-VL server accepts"
        )
    if opts.temperature < 0:
        raise ConfigurationError(f"option temperature: must be 0 or more, got {opts.temperature}")
    if opts.top_p is not None and not 0 < opts.top_p <= 1:
        raise ConfigurationError(f"option top_p: must be in (0, 1], got {opts.top_p}")
    if opts.repetition_penalty is not None and opts.repetition_penalty <= 0:
        raise ConfigurationError(
            f"option repetition_penalty: must be positive, got {opts.repetition_penalty}"
        )
    if opts.layout_threshold is not None and not 0 <= opts.layout_threshold <= 1:
        raise ConfigurationError(
            f"option layout_threshold: must be between 0 and 1, got {opts.layout_threshold}"
        )
    if opts.layout_unclip_ratio <= 0:
        raise ConfigurationError(
            f"option layout_unclip_ratio: must be positive, got {opts.layout_unclip_ratio}"
        )
    for url in opts.server_url:
        check_server_url(url)
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
        from docparse.pagespec import parse_page_spec

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
    #: Inputs opened and rendered at a time (their pages share the page window). One: two
    #: one-page scans decoding at once only add contention (rendering is 30 ms a page, layout
    #: 180 ms): 40 scans against the 4 x 0.5 s server took 25.75 s with 1, 26.0 s with 2.
    jobs: int = 1




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
    known = formats.names()  # the registry the export package fills
    bad = [x for x in out.format if x not in known]
    if bad or not out.format:
        raise ConfigurationError(
            f"option format: {','.join(bad) or 'nothing'} is not a list of {', '.join(known)}"
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


def docparse_environment() -> dict[str, str]:
    """Every ``DOCPARSE_*`` variable, for settings of other surfaces (``docparse serve``) that
    take their ``DOCPARSE_SERVE_*`` twins: the environment is read here only."""
    return {k: v for k, v in os.environ.items() if k.startswith("DOCPARSE_")}


def read_environment(environ: Mapping[str, str] | None = None) -> Environment:
    """``DOCPARSE_MODELS_DIR`` (cache root), ``DOCPARSE_MANIFEST``, ``DOCPARSE_LOG``."""
    env = os.environ if environ is None else environ
    md = env.get("DOCPARSE_MODELS_DIR") or env.get("DOCPARSE_CACHE_DIR")
    mf = env.get("DOCPARSE_MANIFEST")
    level = (env.get("DOCPARSE_LOG") or "").strip().lower() or None
    if level is not None and level not in LOG_LEVELS:
        raise ConfigurationError(
            f"DOCPARSE_LOG={env.get('DOCPARSE_LOG')!r} is not one of {', '.join(LOG_LEVELS)}"
        )
    return Environment(
        models_dir=Path(md).expanduser() if md else None,
        manifest=Path(mf).expanduser() if mf else None,
        log_level=level,
    )
