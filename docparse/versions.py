"""PaddleOCR-VL pipeline versions as data: what differs between v1, v1.5 and v1.6.

The official client runs the same Python code for every version; only the pipeline YAML
(``paddlex/configs/pipelines/PaddleOCR-VL*.yaml``) and the model names differ (reference
§1.1, §2.3, §5). One frozen :class:`PipelineVersion` per version records exactly those
differences, and everything version-dependent in docparse reads them from here:

* the layout model and its post-processing (per-class or flat threshold, NMS, merge modes,
  unclip ratio, shape mode: polygons or rectangles);
* the recogniser model name the official client sends, and the served names that identify
  the version on a server (``/v1/models``: ``id`` or, for a custom served name, ``root``);
* the prompts the recogniser was trained on (``Seal Recognition:`` and ``Spotting:`` exist
  from 1.5 on) and their pixel bounds.

Adding a version (PaddleOCR-VL-1.8 with PP-DocLayoutV4, see docs/pipeline-versions.md) is
one more entry in :data:`VERSIONS` plus, when its layout model is new, a layout backend
named by :attr:`LayoutSettings.backend`. Pure data: no I/O, no heavy imports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal

from docparse.errors import ConfigurationError

VersionName = Literal["v1", "v1.5", "v1.6"]
#: The option's choices: a version, or ``auto`` (from the served model; v1 without a server).
PIPELINE_VERSION_CHOICES: Final[tuple[str, ...]] = ("auto", "v1", "v1.5", "v1.6")

MergeMode = Literal["union", "large", "small"]
ShapeMode = Literal["rect", "auto"]
PromptKind = Literal["ocr", "table", "formula", "chart", "seal", "spotting"]

#: ``layout_merge_bboxes_mode`` of all three official YAMLs (they agree): a box >= 90 %
#: inside a box of a "large" class is removed (chart, display_formula, doc_title,
#: inline_formula, paragraph_title).
_MERGE_MODES: Final[Mapping[int, MergeMode]] = MappingProxyType(
    {**{i: "union" for i in range(25)}, 3: "large", 5: "large", 6: "large", 15: "large", 17: "large"}
)

#: ``SubModules.LayoutDetection.threshold`` of ``PaddleOCR-VL.yaml`` (v1): per class id.
_V1_THRESHOLDS: Final[Mapping[int, float]] = MappingProxyType(
    {
        **{i: 0.5 for i in range(25)},
        5: 0.4,  # display_formula
        6: 0.4,  # doc_title
        15: 0.4,  # inline_formula
        17: 0.4,  # paragraph_title
        20: 0.45,  # seal
        22: 0.4,  # text
        23: 0.4,  # vertical_text
    }
)

#: Default pixel bounds of every prompt (``min_pixels``/``max_pixels`` of the pipeline).
DEFAULT_PIXELS: Final[tuple[int, int]] = (112_896, 1_003_520)
#: ``Spotting:`` has fixed bounds in the official code, whatever the options say.
SPOTTING_PIXELS: Final[tuple[int, int]] = (112_896, 1_605_632)

_V1_PROMPTS: Final[Mapping[PromptKind, str]] = MappingProxyType(
    {
        "ocr": "OCR:",
        "table": "Table Recognition:",
        "formula": "Formula Recognition:",
        "chart": "Chart Recognition:",
    }
)
_V15_PROMPTS: Final[Mapping[PromptKind, str]] = MappingProxyType(
    {**_V1_PROMPTS, "seal": "Seal Recognition:", "spotting": "Spotting:"}
)


@dataclass(frozen=True)
class LayoutSettings:
    """One version's layout stage: the model and its official post-processing."""

    #: paddlex model name, also the cache directory name (``PP-DocLayoutV2``).
    model: str
    #: docparse layout backend name (``--layout``) that runs this model.
    backend: str
    #: Flat threshold, or per class id (a missing id falls back to 0.5, as paddlex).
    threshold: float | Mapping[int, float]
    layout_nms: bool = True
    unclip_ratio: tuple[float, float] = (1.0, 1.0)
    merge_modes: Mapping[int, MergeMode] = field(default_factory=lambda: _MERGE_MODES)
    #: ``rect``: boxes only. ``auto``: the official default for polygon models (a polygon,
    #: quadrilateral or rectangle per box, whichever fits the mask).
    shape_mode: ShapeMode = "rect"


@dataclass(frozen=True)
class PipelineVersion:
    """Everything docparse does differently for one PaddleOCR-VL generation."""

    name: VersionName
    #: paddlex pipeline config this entry mirrors (``PaddleOCR-VL-1.5``).
    paddlex_pipeline: str
    #: ``VLRecognition.model_name``: what the official client sends as ``model``.
    recognizer_model: str
    #: Lower-case regexes that identify the version in a served model's ``id`` or ``root``.
    served_patterns: tuple[str, ...]
    layout: LayoutSettings
    prompts: Mapping[PromptKind, str]
    #: ``(min_pixels, max_pixels)`` per prompt kind when the options leave the defaults.
    pixels: Mapping[PromptKind, tuple[int, int]]

    @property
    def seal_recognition(self) -> bool:
        """Whether the recogniser was trained on ``Seal Recognition:`` (1.5 and later)."""
        return "seal" in self.prompts

    @property
    def spotting(self) -> bool:
        """Whether the recogniser was trained on ``Spotting:`` (1.5 and later)."""
        return "spotting" in self.prompts

    def prompt(self, kind: PromptKind) -> str:
        """The prompt text for ``kind``; :class:`ConfigurationError` if this version has none."""
        try:
            return self.prompts[kind]
        except KeyError:
            raise ConfigurationError(
                f"PaddleOCR-VL {self.name} has no {kind!r} prompt (use --pipeline-version v1.5 or later)"
            ) from None

    def matches(self, served_name: str) -> bool:
        """True when a served model name (``id`` or ``root``) is this version's recogniser."""
        name = served_name.strip().rstrip("/").lower()
        return any(re.search(p, name) for p in self.served_patterns)


def _pixels(prompts: Mapping[PromptKind, str]) -> Mapping[PromptKind, tuple[int, int]]:
    return MappingProxyType(
        {k: SPOTTING_PIXELS if k == "spotting" else DEFAULT_PIXELS for k in prompts}
    )


V1: Final[PipelineVersion] = PipelineVersion(
    name="v1",
    paddlex_pipeline="PaddleOCR-VL",
    recognizer_model="PaddleOCR-VL-0.9B",
    # "PaddleOCR-VL-0.9B" (paddlex name) or "PaddlePaddle/PaddleOCR-VL" (HF repo id), but
    # not "PaddleOCR-VL-1.5..." nor a future "PaddleOCR-VL-1.8...".
    served_patterns=(r"paddleocr-vl(-0\.9b)?$",),
    layout=LayoutSettings(
        model="PP-DocLayoutV2",
        backend="pp-doclayoutv2",
        threshold=_V1_THRESHOLDS,
        shape_mode="rect",
    ),
    prompts=_V1_PROMPTS,
    pixels=_pixels(_V1_PROMPTS),
)

_V3_LAYOUT: Final[LayoutSettings] = LayoutSettings(
    model="PP-DocLayoutV3",
    backend="pp-doclayoutv3",
    # PaddleOCR-VL-1.5.yaml and -1.6.yaml: one flat threshold for every class.
    threshold=0.3,
    shape_mode="auto",
)

V1_5: Final[PipelineVersion] = PipelineVersion(
    name="v1.5",
    paddlex_pipeline="PaddleOCR-VL-1.5",
    recognizer_model="PaddleOCR-VL-1.5-0.9B",
    served_patterns=(r"paddleocr-vl-1\.5(-0\.9b)?$",),
    layout=_V3_LAYOUT,
    prompts=_V15_PROMPTS,
    pixels=_pixels(_V15_PROMPTS),
)

V1_6: Final[PipelineVersion] = PipelineVersion(
    name="v1.6",
    paddlex_pipeline="PaddleOCR-VL-1.6",
    recognizer_model="PaddleOCR-VL-1.6-0.9B",
    served_patterns=(r"paddleocr-vl-1\.6(-0\.9b)?$",),
    layout=_V3_LAYOUT,
    prompts=_V15_PROMPTS,
    pixels=_pixels(_V15_PROMPTS),
)

#: Every version docparse knows, oldest first.
VERSIONS: Final[Mapping[str, PipelineVersion]] = MappingProxyType(
    {v.name: v for v in (V1, V1_5, V1_6)}
)

#: Layout settings per layout model name (a forced ``--layout`` uses its model's own).
LAYOUTS: Final[Mapping[str, LayoutSettings]] = MappingProxyType(
    {v.layout.model: v.layout for v in VERSIONS.values()}
)
#: Layout settings per ``--layout`` backend name.
LAYOUT_BACKENDS: Final[Mapping[str, LayoutSettings]] = MappingProxyType(
    {v.layout.backend: v.layout for v in VERSIONS.values()}
)


def get_version(name: str) -> PipelineVersion:
    """The entry called ``name`` (``"v1.5"``); :class:`ConfigurationError` if unknown."""
    try:
        return VERSIONS[name]
    except KeyError:
        known = ", ".join(VERSIONS)
        raise ConfigurationError(f"unknown pipeline version {name!r} (known: {known})") from None


def version_of_served(names: Sequence[str | None]) -> PipelineVersion | None:
    """The version whose recogniser one served model is, from its ``id`` and ``root``.

    The first name any version matches wins, so pass ``(id, root)``: a custom served name
    (``--served-model-name ocr``) is recognised by the weights it was loaded from.
    """
    for name in names:
        if not name:
            continue
        for version in VERSIONS.values():
            if version.matches(name):
                return version
    return None
