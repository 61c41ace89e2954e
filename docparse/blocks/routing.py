"""Which recognition a block needs, by label (reference §3.4), plus docparse's furniture rule."""

from __future__ import annotations

from typing import Literal

from docparse.labels import FURNITURE_LABELS, IMAGE_LABELS, is_formula

#: "image": crop saved as a picture, not recognised; "skip": furniture not sent (Markdown
#: drops it anyway), kept in JSON with status "skipped"; "seal": saved as a picture *and*
#: sent with "Seal Recognition:" (seal recognition on, PaddleOCR-VL 1.5 and later).
Route = Literal["ocr", "table", "formula", "chart", "seal", "image", "skip"]


def route_label(
    label: str, *, chart_recognition: bool, keep_furniture: bool, seal_recognition: bool = False
) -> Route:
    """The official routing, except that furniture text is skipped unless ``keep_furniture``."""
    if label == "seal":
        return "seal" if seal_recognition else "image"
    if label in IMAGE_LABELS:
        return "image"
    if label == "chart":
        return "chart" if chart_recognition else "image"
    if label in FURNITURE_LABELS and not keep_furniture:
        return "skip"
    if label == "table":
        return "table"
    if is_formula(label):
        return "formula"
    return "ocr"


def official_sends(label: str, *, chart_recognition: bool, seal_recognition: bool = False) -> bool:
    """Whether the official client sends a block with this label to the VLM."""
    route = route_label(
        label, chart_recognition=chart_recognition, keep_furniture=True,
        seal_recognition=seal_recognition,
    )
    return route not in ("image", "skip")
