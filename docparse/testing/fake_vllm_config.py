"""What the fake vLLM server answers and how it misbehaves: one frozen, JSON-serialisable
config, changed at runtime by copying (``with_changes``)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from docparse.errors import ConfigurationError

#: The four prompts PaddleOCR-VL-0.9B understands (reference §1.1).
PROMPTS: Final[tuple[str, ...]] = (
    "OCR:",
    "Table Recognition:",
    "Formula Recognition:",
    "Chart Recognition:",
)
#: The prompts PaddleOCR-VL-1.5 and 1.6 add; served models of those versions accept them.
NEW_PROMPTS: Final[tuple[str, ...]] = ("Seal Recognition:", "Spotting:")


def prompts_for(model: str, root: str | None = None) -> tuple[str, ...]:
    """The prompts a served model accepts: its version's set (docparse.versions); v1's four
    for PaddleOCR-VL-0.9B and for names no version recognises."""
    from docparse.versions import version_of_served

    version = version_of_served((model, root))
    return tuple(version.prompts.values()) if version is not None else PROMPTS

#: Faults a rule can force and the random rates can draw.
FAULTS: Final[tuple[str, ...]] = (
    "drop",
    "error",
    "retry_after",
    "malformed",
    "timeout",
    "hang",
    "loop",
)

OcrMode = Literal["scripted", "builtin"]


def _default_answers() -> dict[str, str]:
    return {
        "OCR:": "Hello from fake vLLM",
        "Table Recognition:": "<fcel>Name<fcel>Qty<nl><fcel>apple<fcel>3<nl>",
        "Formula Recognition:": "\\[E=mc^2\\]",
        "Chart Recognition:": "Year | Sales\n2023 | 10\n2024 | 12",
        "Seal Recognition:": "Fake Seal Co. Ltd.",
        "Spotting:": "<|TEXT_START|>Hello<|TEXT_END|><|LOC_BEGIN|><|LOC_100|><|LOC_100|>"
        "<|LOC_900|><|LOC_100|><|LOC_900|><|LOC_900|><|LOC_100|><|LOC_900|><|LOC_END|>",
    }


@dataclass(frozen=True, kw_only=True)
class AnswerRule:
    """One scripted answer; the first rule whose every given matcher fits the request wins.

    Matchers: ``prompt`` (the text part), ``size`` (``"WxH"`` of the decoded image),
    ``sha256`` (hex digest, or a prefix of at least 8 characters, of the decoded JPEG bytes).
    ``fault`` forces one of :data:`FAULTS` instead of an answer (``status`` for ``"error"``).

    ``answer`` may hold the placeholders ``{width}``, ``{height}``, ``{prompt}``, ``{sha8}`` and
    ``{seq}`` (request number), replaced literally, so LaTeX braces need no escaping.
    """

    answer: str = ""
    prompt: str | None = None
    size: str | None = None
    sha256: str | None = None
    finish_reason: str = "stop"
    fault: str | None = None
    status: int = 500


@dataclass(frozen=True, kw_only=True)
class FakeVLLMConfig:
    """Everything the fake server does; every field can be changed while it runs.

    Answers come from ``rules``, then ``by_size`` (``"WxH"`` → answer), then ``answers``
    (prompt → answer), unless ``ocr_mode="builtin"`` runs the shipped RapidOCR on the crop.
    Rates are per request probabilities drawn from a generator seeded with ``seed``.
    """

    models: tuple[str, ...] = ("PaddleOCR-VL-0.9B",)
    #: ``root`` of a served name in ``/v1/models`` (vLLM: the weights it loaded, e.g.
    #: ``PaddlePaddle/PaddleOCR-VL-1.5`` behind ``--served-model-name ocr``); default: the name.
    roots: dict[str, str] = field(default_factory=dict)
    answers: dict[str, str] = field(default_factory=_default_answers)
    rules: tuple[AnswerRule, ...] = ()
    by_size: dict[str, str] = field(default_factory=dict)
    ocr_mode: OcrMode = "scripted"
    #: Seconds each request is served for (slept, never computed), plus up to ``latency_jitter``.
    latency: float = 0.0
    latency_jitter: float = 0.0
    #: Requests served at once; the rest wait in line like on a saturated GPU. 0: unlimited.
    slots: int = 0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503)
    retry_after_rate: float = 0.0
    retry_after: float = 1.0
    timeout_rate: float = 0.0
    #: How long a "timeout" request sleeps before answering (longer than any client timeout).
    timeout_sleep: float = 3600.0
    hang_rate: float = 0.0
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    loop_rate: float = 0.0
    seed: int = 0
    #: Handle-side: on exit, fail if any request broke the request contract.
    strict: bool = False
    #: Images with a side below this many pixels get ``tiny_status`` (vLLM 0.10.2 crashed: 500).
    min_side: int = 4
    tiny_status: int = 500
    #: vLLM's processor refuses crops whose aspect ratio exceeds this (after its own upscaling).
    max_aspect_ratio: float = 200.0
    max_model_len: int = 16384
    #: The official client sends JPEG; when False, PNG and WebP data URLs are accepted too.
    require_jpeg: bool = True

    def with_changes(self, changes: Mapping[str, Any]) -> FakeVLLMConfig:
        """A copy with ``changes`` applied (JSON-style values accepted, e.g. rules as dicts)."""
        merged = config_to_dict(self)
        unknown = sorted(set(changes) - set(merged))
        if unknown:
            raise ConfigurationError(f"fake vLLM config: unknown field(s) {unknown}")
        merged.update(changes)
        return config_from_dict(merged)

    def to_json(self) -> str:
        """The config as one line of JSON (what ``--config`` takes)."""
        return json.dumps(config_to_dict(self), separators=(",", ":"))


def config_to_dict(config: FakeVLLMConfig) -> dict[str, Any]:
    """Plain JSON-able form of ``config``."""
    out = dataclasses.asdict(config)
    out["models"] = list(config.models)
    out["error_statuses"] = list(config.error_statuses)
    return out


def _rule_from(value: Any) -> AnswerRule:
    if isinstance(value, AnswerRule):
        return value
    if not isinstance(value, Mapping):
        raise ConfigurationError(f"fake vLLM config: a rule must be an object, got {value!r}")
    names = {f.name for f in dataclasses.fields(AnswerRule)}
    unknown = sorted(set(value) - names)
    if unknown:
        raise ConfigurationError(f"fake vLLM config: unknown rule field(s) {unknown}")
    rule = AnswerRule(**dict(value))
    if rule.fault is not None and rule.fault not in FAULTS:
        raise ConfigurationError(f"fake vLLM config: unknown fault {rule.fault!r}; use {FAULTS}")
    if rule.sha256 is not None and len(rule.sha256) < 8:
        raise ConfigurationError("fake vLLM config: a sha256 matcher needs at least 8 hex digits")
    return rule


def config_from_dict(data: Mapping[str, Any]) -> FakeVLLMConfig:
    """Build and check a config from its JSON form; bad values raise ConfigurationError."""
    names = {f.name for f in dataclasses.fields(FakeVLLMConfig)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigurationError(f"fake vLLM config: unknown field(s) {unknown}")
    values = dict(data)
    if "models" in values:
        values["models"] = tuple(values["models"])
    if "error_statuses" in values:
        values["error_statuses"] = tuple(int(s) for s in values["error_statuses"])
    if "rules" in values:
        values["rules"] = tuple(_rule_from(r) for r in values["rules"])
    for name in ("answers", "by_size", "roots"):
        if name in values:
            values[name] = {str(k): str(v) for k, v in dict(values[name]).items()}
    try:
        config = FakeVLLMConfig(**values)
    except TypeError as exc:
        raise ConfigurationError(f"fake vLLM config: {exc}") from exc
    _check(config)
    return config


def _check(config: FakeVLLMConfig) -> None:
    rates = {n: getattr(config, n) for n in (f"{f}_rate" for f in FAULTS)}
    for name, rate in rates.items():
        if not 0.0 <= rate <= 1.0:
            raise ConfigurationError(f"fake vLLM config: {name}={rate} is not in [0, 1]")
    if sum(rates.values()) > 1.0 + 1e-9:
        raise ConfigurationError(f"fake vLLM config: fault rates add up to more than 1: {rates}")
    if config.ocr_mode not in ("scripted", "builtin"):
        raise ConfigurationError(f"fake vLLM config: ocr_mode={config.ocr_mode!r}")
    if config.slots < 0 or config.latency < 0 or config.latency_jitter < 0:
        raise ConfigurationError("fake vLLM config: slots and latency must not be negative")
    if not config.models:
        raise ConfigurationError("fake vLLM config: serve at least one model name")
    if not config.error_statuses:
        raise ConfigurationError("fake vLLM config: error_statuses is empty")
    for size in config.by_size:
        _parse_size(size)
    for rule in config.rules:
        if rule.size is not None:
            _parse_size(rule.size)


def _parse_size(size: str) -> tuple[int, int]:
    width, sep, height = size.lower().partition("x")
    if not sep or not width.isdigit() or not height.isdigit():
        raise ConfigurationError(f"fake vLLM config: size {size!r} is not 'WxH'")
    return int(width), int(height)
