"""The PP-DocLayoutV2 label vocabulary and the label sets the official pipeline routes by.

Every layout backend maps its classes onto these 25 labels, so routing, Markdown and JSON
rules are written once (reference §2.1, §3.4, §4.2).
"""

from __future__ import annotations

from typing import Final

#: PP-DocLayoutV2 ``label_list``, class ids 0..24 in this order.
LABELS: Final[tuple[str, ...]] = (
    "abstract",
    "algorithm",
    "aside_text",
    "chart",
    "content",
    "display_formula",
    "doc_title",
    "figure_title",
    "footer",
    "footer_image",
    "footnote",
    "formula_number",
    "header",
    "header_image",
    "image",
    "inline_formula",
    "number",
    "paragraph_title",
    "reference",
    "reference_content",
    "seal",
    "table",
    "text",
    "vertical_text",
    "vision_footnote",
)

#: Crops of these are saved as pictures and never sent for text recognition.
IMAGE_LABELS: Final[frozenset[str]] = frozenset({"image", "header_image", "footer_image"})

#: ``order`` is None for these in the layout result (``SKIP_ORDER_LABELS`` upstream).
SKIP_ORDER_LABELS: Final[frozenset[str]] = frozenset(
    {
        "figure_title",
        "vision_footnote",
        "image",
        "chart",
        "table",
        "header",
        "header_image",
        "footer",
        "footer_image",
        "footnote",
        "aside_text",
    }
)

#: Left out of Markdown by default (kept in JSON), as ``markdown_ignore_labels`` upstream.
MARKDOWN_IGNORE_LABELS: Final[tuple[str, ...]] = (
    "number",
    "footnote",
    "header",
    "header_image",
    "footer",
    "footer_image",
    "aside_text",
)

#: Page furniture: Markdown drops it, so docparse does not pay a recognition request for it
#: unless ``keep_furniture`` is on.
FURNITURE_LABELS: Final[frozenset[str]] = frozenset(
    {"header", "footer", "number", "header_image", "footer_image"}
)

#: Blocks whose content is running text: candidates for the PDF text layer.
TEXT_LIKE_LABELS: Final[frozenset[str]] = frozenset(
    {
        "abstract",
        "aside_text",
        "content",
        "doc_title",
        "figure_title",
        "footer",
        "footnote",
        "header",
        "number",
        "paragraph_title",
        "reference_content",
        "text",
        "vertical_text",
        "vision_footnote",
        "algorithm",
    }
)

FORMULA_LABELS: Final[frozenset[str]] = frozenset({"display_formula", "inline_formula", "formula"})


def is_formula(label: str) -> bool:
    """True for labels the official client sends with ``Formula Recognition:``."""
    return "formula" in label and label != "formula_number"
