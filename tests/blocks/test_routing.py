from __future__ import annotations

import pytest

from docparse.blocks.routing import official_sends, route_label
from docparse.labels import LABELS


@pytest.mark.parametrize(
    ("label", "route"),
    [
        ("text", "ocr"), ("paragraph_title", "ocr"), ("doc_title", "ocr"), ("footnote", "ocr"),
        ("aside_text", "ocr"), ("formula_number", "ocr"), ("figure_title", "ocr"),
        ("table", "table"), ("display_formula", "formula"), ("inline_formula", "formula"),
        ("image", "image"), ("header_image", "image"), ("footer_image", "image"),
        ("seal", "image"), ("chart", "image"),
        ("header", "skip"), ("footer", "skip"), ("number", "skip"),
    ],
)
def test_default_routing(label: str, route: str) -> None:
    assert route_label(label, chart_recognition=False, keep_furniture=False) == route


def test_chart_recognition_and_furniture_switches() -> None:
    assert route_label("chart", chart_recognition=True, keep_furniture=False) == "chart"
    assert route_label("header", chart_recognition=False, keep_furniture=True) == "ocr"
    assert route_label("number", chart_recognition=False, keep_furniture=True) == "ocr"


def test_official_routing_sends_everything_but_pictures() -> None:
    sent = {label for label in LABELS if official_sends(label, chart_recognition=False)}
    assert sent == set(LABELS) - {"image", "header_image", "footer_image", "chart", "seal"}
