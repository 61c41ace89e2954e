"""The built-in layout model on rendered pages: a generated two-column page and a real paper."""

# pymupdf ships without complete type hints.
# mypy: disallow-untyped-calls=False

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from layout_builtin_synthetic import build_pdf, render

from docparse.layout import Region
from docparse.layout.builtin import BuiltinLayout, default_model_path
from docparse.layout.picodet import decode, preprocess

EVAL_PAPER = (
    Path(__file__).resolve().parents[3]
    / "shared/eval-dev/01_sci_table_otsl_pg9/2305.03393v1-pg9.pdf"
)
GT_JSON = EVAL_PAPER.parent / "gt" / "2305.03393v1-pg9.docling_ref.json"
DPI = 144


@pytest.fixture(scope="module")
def layout() -> BuiltinLayout:
    return BuiltinLayout(num_threads=2)


@pytest.fixture(scope="module")
def synthetic() -> tuple[bytes, np.ndarray]:
    pdf = build_pdf()
    return pdf, render(pdf, DPI)


def words_in(pdf: bytes, bbox: tuple[float, float, float, float]) -> str:
    """The PDF's own text inside a pixel box (144 dpi = 2 px per point)."""
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        return str(doc[0].get_text("text", clip=pymupdf.Rect(*(v / 2 for v in bbox))))


def iou(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    inter = max(min(a[2], b[2]) - max(a[0], b[0]), 0) * max(min(a[3], b[3]) - max(a[1], b[1]), 0)
    area = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / area


def test_synthetic_page_labels_and_reading_order(
    layout: BuiltinLayout, synthetic: tuple[bytes, np.ndarray]
) -> None:
    pdf, image = synthetic
    regions = layout.detect([image])[0]
    by_label: dict[str, list[Region]] = {}
    for r in regions:
        by_label.setdefault(r.label, []).append(r)

    (title,) = by_label["doc_title"]
    assert "Reading Order for Small Layout Models" in words_in(pdf, title.bbox)
    (heading,) = by_label["paragraph_title"]
    assert "2 Related Work" in words_in(pdf, heading.bbox)
    (table,) = by_label["table"]
    assert {"Model", "Params", "Score", "Time", "86.3"} <= set(words_in(pdf, table.bbox).split())
    (figure,) = by_label["image"]
    # The drawn picture sits at x 336..532, y 420..560 pt.
    assert iou(figure.bbox, (672, 840, 1064, 1120)) > 0.8
    assert any("Figure" in words_in(pdf, r.bbox) or "drawn" in words_in(pdf, r.bbox)
               for r in by_label["figure_title"])  # fmt: skip
    assert "Journal of Synthetic Layouts" in " ".join(
        words_in(pdf, r.bbox) for r in by_label["header"]
    )
    assert "Preprint" in " ".join(words_in(pdf, r.bbox) for r in by_label["footer"])

    # Reading order: headers, title, left column top to bottom, then the right column.
    texts = [words_in(pdf, r.bbox).split()[0] for r in regions if r.label == "text"]
    assert texts == ["LEFT1", "LEFT2", "LEFT3", "RIGHT1", "RIGHT2"]
    labels = [r.label for r in regions]
    assert labels[:3] == ["header", "header", "doc_title"]
    assert labels[-1] == "footer"
    first_words = [(words_in(pdf, r.bbox).split() or [""])[0] for r in regions]
    assert first_words.index("LEFT1") < labels.index("paragraph_title") < first_words.index("LEFT2")
    assert labels.index("table") < labels.index("image")
    ordered = [(r.label, r.order) for r in regions if r.order is not None]
    assert [o for _, o in ordered] == list(range(1, len(ordered) + 1))
    assert {lbl for lbl, _ in ordered} == {"doc_title", "paragraph_title", "text"}


def test_pre_and_post_processing_match_rapid_layout(synthetic: tuple[bytes, np.ndarray]) -> None:
    """Our tensor and decoder must equal rapid-layout's own on the same page and outputs."""
    ort = pytest.importorskip("onnxruntime")
    post = pytest.importorskip("rapid_layout.model_handler.pp.post_process")
    pre = pytest.importorskip("rapid_layout.model_handler.pp.pre_process")
    _, image = synthetic
    tensor = preprocess(image)
    # rapid-layout is fed BGR (its image loader converts files to BGR).
    upstream = pre.PPPreProcess(img_size=(800, 608))(np.ascontiguousarray(image[:, :, ::-1]))
    np.testing.assert_allclose(tensor, upstream, atol=1e-5)
    session = ort.InferenceSession(str(default_model_path()), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {session.get_inputs()[0].name: tensor})

    labels = list(range(10))
    boxes, scores, classes = post.PPPostProcess(labels, 0.5, 0.5)(image.shape[:2], tensor, outputs)
    ours = decode(outputs, image.shape[:2], threshold=0.5, nms_iou=0.5)
    assert len(ours) == len(boxes) >= 8
    for det, box, score, cls in zip(ours, boxes, scores, classes, strict=True):
        assert det.cls_id == cls
        assert det.score == pytest.approx(score, abs=1e-6)
        assert det.bbox == pytest.approx(tuple(box), abs=0.01)


@pytest.mark.skipif(not EVAL_PAPER.exists(), reason="eval-dev documents not present")
def test_real_paper_table_covers_ground_truth_area(layout: BuiltinLayout) -> None:
    gt = json.loads(GT_JSON.read_text())
    page_h = gt["pages"]["1"]["size"]["height"]
    prov = gt["tables"][0]["prov"][0]["bbox"]  # PDF points, bottom-left origin
    scale = DPI / 72
    expected = (prov["l"] * scale, (page_h - prov["t"]) * scale,
                prov["r"] * scale, (page_h - prov["b"]) * scale)  # fmt: skip

    with pymupdf.open(EVAL_PAPER) as doc:
        pix = doc[0].get_pixmap(dpi=DPI, alpha=False)
    image = np.frombuffer(pix.samples, np.uint8).reshape(pix.h, pix.w, 3)
    regions = layout.detect([image])[0]

    (table,) = [r for r in regions if r.label == "table"]
    assert iou(table.bbox, expected) > 0.85
    labels = [r.label for r in regions]
    # Running header first; headings "5.1" and "5.2" bracket the table, as in the ground truth.
    assert labels[0] == "header"
    titles = [i for i, lbl in enumerate(labels) if lbl == "paragraph_title"]
    assert len(titles) == 2 and titles[0] < labels.index("table") < titles[1]
    assert "doc_title" not in labels  # body text sits above the first heading


def test_detect_is_thread_safe_and_batches(
    layout: BuiltinLayout, synthetic: tuple[bytes, np.ndarray]
) -> None:
    _, image = synthetic
    reference = layout.detect([image])[0]
    results: list[list[list[Region]]] = []

    def worker() -> None:
        results.append(layout.detect([image, image[:, ::-1].copy()]))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 3
    for batch in results:
        assert batch[0] == reference
        assert batch[1] != reference  # the mirrored page is a different page
