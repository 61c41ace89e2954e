"""PDF rendering: pixel sizes at dpi, colours, the pixel cap, text layer, threads, close."""

from __future__ import annotations

import importlib.util
import io
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pymupdf as _pymupdf
import pytest

from docparse.errors import ConfigurationError, ImageTooLargeError, InputError
from docparse.sources.opener import open_source
from docparse.sources.pdf import MIN_RENDER_SCALE, PdfSource, capped_scale, render_size

# pymupdf ships no type hints.
pymupdf: Any = _pymupdf


def make_pdf(tmp_path: Path, name: str = "doc.pdf") -> Path:
    """A4 page with red box + text, a 300x400 pt page, and an A4 page rotated 90°."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    page.draw_rect(pymupdf.Rect(100, 100, 200, 150), color=(1, 0, 0), fill=(1, 0, 0))
    page.insert_text((72, 300), "Quarterly revenue grew", fontsize=14)
    doc.new_page(width=300, height=400)
    rotated = doc.new_page(width=595, height=842)
    rotated.set_rotation(90)
    path = tmp_path / name
    doc.save(path)
    doc.close()
    return path


def test_page_count_and_pixel_size_follow_dpi(tmp_path: Path) -> None:
    with open_source(make_pdf(tmp_path)) as src:
        assert isinstance(src, PdfSource)
        assert (src.kind, src.page_count, src.single_image) == ("pdf", 3, False)
        page = src.render(0, dpi=144, with_text_layer=False)
        assert (page.width, page.height) == (1190, 1684)
        assert page.scale == 2.0
        assert page.image.dtype == np.uint8 and page.image.shape == (1684, 1190, 3)
        assert (page.page_index, page.page_count) == (0, 3)
        assert page.input_path == str(tmp_path / "doc.pdf")
        assert page.text_layer is None
        assert page.meta["dpi"] == 144 and page.meta["scale_capped"] is False

        small = src.render(1, dpi=72, with_text_layer=False)
        assert (small.width, small.height) == (300, 400)
        assert small.scale == 1.0
        odd = src.render(1, dpi=100, with_text_layer=False)
        assert (odd.width, odd.height) == (417, 556)  # ceil(300*100/72), ceil(400*100/72)


def test_rotated_page_renders_landscape(tmp_path: Path) -> None:
    with open_source(make_pdf(tmp_path)) as src:
        page = src.render(2, dpi=72, with_text_layer=False)
    assert (page.width, page.height) == (842, 595)
    assert page.meta["rotation"] == 90


def test_pixels_are_rgb_and_where_the_pdf_draws_them(tmp_path: Path) -> None:
    with open_source(make_pdf(tmp_path)) as src:
        page = src.render(0, dpi=144, with_text_layer=False)
    img = page.image
    # Red rectangle at (100..200, 100..150) pt -> (200..400, 200..300) px at scale 2.
    assert img[250, 300].tolist() == [255, 0, 0]
    assert img[50, 50].tolist() == [255, 255, 255]
    # Text drawn near y=300 pt leaves dark pixels around y=590 px.
    band = img[570:605, 144:500]
    assert band.min() < 60


def test_bytes_and_file_object_inputs(tmp_path: Path) -> None:
    data = make_pdf(tmp_path).read_bytes()
    with open_source(data) as src:
        assert src.input_path == "<bytes>"
        assert src.page_count == 3
    with open_source(data, name="upload.pdf") as src:
        assert src.render(1, dpi=72, with_text_layer=False).input_path == "upload.pdf"
    with open_source(io.BytesIO(data)) as src:
        assert src.input_path == "<bytes>"
    with (tmp_path / "doc.pdf").open("rb") as fh, open_source(fh) as src:
        assert src.input_path == str(tmp_path / "doc.pdf")
        assert not fh.closed
    with open_source(str(tmp_path / "doc.pdf")) as src:
        assert src.page_count == 3


def test_encrypted_pdf_with_right_password(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=200, height=100).insert_text((20, 50), "secret text")
    data = doc.tobytes(encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="pw1", owner_pw="own")
    with open_source(data, password="pw1") as src:
        page = src.render(0, dpi=72, with_text_layer=False)
    assert (page.width, page.height) == (200, 100)
    assert page.image.min() < 100  # the text is drawn, not a blank page


def test_capped_scale_matches_official_bisection() -> None:
    assert capped_scale(595, 842, 2.0) == 2.0
    # 10000 pt square at scale 2 would be 400 Mpx; the cap brings it just under 178,956,970.
    scale = capped_scale(10000, 10000, 2.0)
    assert scale is not None
    w, h = render_size(10000, 10000, scale)
    assert w * h <= 178_956_970
    assert (w + 1) * (h + 1) > 178_956_970
    assert 1.33 < scale < 1.34
    # A page too large even at the minimum scale.
    assert capped_scale(200_000, 200_000, 2.0) is None
    assert MIN_RENDER_SCALE == 0.1


def test_page_over_pixel_cap_is_rendered_at_lower_scale(tmp_path: Path) -> None:
    path = make_pdf(tmp_path)
    with PdfSource(path, input_path=str(path), max_pixels=500_000) as src:
        page = src.render(0, dpi=144, with_text_layer=False)
    assert page.width * page.height <= 500_000
    assert page.width * page.height > 490_000
    assert page.scale < 2.0
    assert page.meta["scale_capped"] is True
    assert page.meta["requested_dpi"] == 144
    assert page.meta["dpi"] == pytest.approx(page.scale * 72)
    assert abs(page.width / page.height - 595 / 842) < 0.01


def test_page_too_large_even_at_min_scale(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=14400, height=14400)  # PDF's maximum page size
    path = tmp_path / "huge.pdf"
    doc.save(path)
    with PdfSource(path, input_path=str(path), max_pixels=1_000_000) as src:
        with pytest.raises(ImageTooLargeError) as err:
            src.render(0, dpi=144, with_text_layer=False)
    msg = str(err.value)
    assert msg.startswith(f"{path}: page 1 is 14400x14400 pt")
    assert "1000000 pixel cap" in msg


def test_text_layer_is_attached_when_asked(tmp_path: Path) -> None:
    if importlib.util.find_spec("docparse.textlayer.extract") is None:
        pytest.skip("docparse.textlayer.extract is not written yet")
    with open_source(make_pdf(tmp_path)) as src:
        page = src.render(0, dpi=144, with_text_layer=True)
    assert page.text_layer is not None
    words = " ".join(span.text for line in page.text_layer.lines for span in line.spans)
    assert "Quarterly revenue grew" in words
    # Page-pixel coordinates: the text baseline at y=300 pt sits near y=600 px.
    first = page.text_layer.lines[0]
    assert 540 < first.bbox[1] < 610


def test_out_of_range_index_and_closed_source(tmp_path: Path) -> None:
    src = open_source(make_pdf(tmp_path))
    with pytest.raises(ConfigurationError, match="page index 3 is out of range"):
        src.render(3, dpi=72, with_text_layer=False)
    src.close()
    src.close()  # idempotent
    with pytest.raises(InputError, match="already closed"):
        src.render(0, dpi=72, with_text_layer=False)


def test_renders_from_worker_threads_one_source_each(tmp_path: Path) -> None:
    paths = [make_pdf(tmp_path, f"d{i}.pdf") for i in range(3)]
    sizes: dict[int, list[tuple[int, int]]] = {}

    def work(i: int) -> None:
        with open_source(paths[i]) as src:
            sizes[i] = [
                (p.width, p.height)
                for p in (src.render(k, dpi=72, with_text_layer=False) for k in range(3))
            ]

    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sizes == {i: [(595, 842), (300, 400), (842, 595)] for i in range(3)}


def open_handles(path: Path) -> int:
    """How many of this process's file descriptors point at ``path`` (Linux /proc)."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = str(fd.readlink())
        except OSError:
            continue  # the descriptor of the directory listing itself
        count += target == str(path)
    return count


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_close_releases_the_file(tmp_path: Path) -> None:
    path = make_pdf(tmp_path)
    src = open_source(path)
    src.render(0, dpi=72, with_text_layer=False)
    assert open_handles(path) == 1  # read lazily: the file stays open until close()
    src.close()
    assert open_handles(path) == 0


def _scan_pdf(tmp_path: Path, page_pt: tuple[float, float], image_px: tuple[int, int]) -> Path:
    """One page of ``page_pt`` points covered by a grey "scan" of ``image_px`` pixels."""
    doc = _pymupdf.open()
    page = doc.new_page(width=page_pt[0], height=page_pt[1])
    pix = _pymupdf.Pixmap(_pymupdf.csGRAY, _pymupdf.IRect(0, 0, *image_px), False)
    pix.clear_with(200)
    page.insert_image(page.rect, pixmap=pix, keep_proportion=False)
    path = tmp_path / "scan.pdf"
    doc.save(path)
    doc.close()
    return path


@pytest.mark.parametrize(
    ("page_pt", "image_px", "size"),
    [
        # A pocket book's page (180 x 300 pt) scanned at 600 dpi: up to 1500 px on its long
        # side, which its scan holds (text 5-7 px tall at 144 dpi becomes 13-17 px).
        ((180, 300), (1500, 2500), (900, 1500)),
        # The scan has fewer pixels than that: rendered at the scan's own resolution.
        ((180, 300), (600, 1000), (600, 1000)),
        # ... and not below the requested dpi when it has fewer still.
        ((180, 300), (200, 333), (360, 600)),
        # A letter page is large enough at 144 dpi, whatever its scan holds.
        ((612, 792), (2550, 3300), (1224, 1584)),
    ],
)
def test_small_scans_render_up_to_their_own_resolution(
    tmp_path: Path, page_pt: tuple[float, float], image_px: tuple[int, int],
    size: tuple[int, int],
) -> None:
    with open_source(_scan_pdf(tmp_path, page_pt, image_px)) as src:
        page = src.render(0, dpi=144)
        assert (page.width, page.height) == size
        assert page.meta["requested_dpi"] == 144
        assert page.meta["dpi"] == pytest.approx(72 * size[1] / page_pt[1], rel=0.01)


def test_small_pages_without_a_scan_keep_the_requested_dpi(tmp_path: Path) -> None:
    doc = _pymupdf.open()
    page = doc.new_page(width=180, height=300)
    page.insert_text((20, 50), "A small born-digital page", fontsize=8)
    # A picture covering a third of the page is not a scan.
    pix = _pymupdf.Pixmap(_pymupdf.csGRAY, _pymupdf.IRect(0, 0, 1000, 1000), False)
    pix.clear_with(100)
    page.insert_image(_pymupdf.Rect(20, 100, 120, 200), pixmap=pix)
    path = tmp_path / "small.pdf"
    doc.save(path)
    doc.close()
    with open_source(path) as src:
        assert (src.render(0, dpi=144).width, src.render(0, dpi=144).height) == (360, 600)


def test_a_page_whose_images_cannot_be_listed_keeps_the_requested_scale() -> None:
    from types import SimpleNamespace

    from docparse.sources.pdf import scan_scale

    def broken() -> list[Any]:
        raise RuntimeError("code=2: syntax error in content stream")

    page = SimpleNamespace(rect=SimpleNamespace(width=180.0, height=300.0), get_image_info=broken)
    assert scan_scale(page, 2.0) == 2.0


def _sideways_table_pdf(tmp_path: Path, rotate: int = 90) -> Path:
    """A portrait page holding a table set sideways (its rows run up the page, as a landscape
    table printed on a portrait page does), beside an upright running footer."""
    doc = pymupdf.open()
    page = doc.new_page(width=595, height=842)
    rows = ["Month April May June", "Opening balance (745) (740) (940)",
            "Business taxes 49 50 57", "Closing balance (740) (940) (794)"]
    for i, row in enumerate(rows):
        if rotate == 90:  # counter-clockwise: the text runs up
            page.insert_text((100 + 20 * i, 700), row, fontsize=11, rotate=90)
        else:
            page.insert_text((480 - 20 * i, 150), row, fontsize=11, rotate=rotate)
    page.insert_text((72, 800), "Mid-year update", fontsize=9)
    path = tmp_path / "sideways.pdf"
    doc.save(path)
    doc.close()
    return path


@pytest.mark.parametrize(("rotate", "turned"), [(90, 90), (270, 270)])
def test_a_page_whose_text_runs_sideways_is_rendered_turned(
    tmp_path: Path, rotate: int, turned: int
) -> None:
    with open_source(_sideways_table_pdf(tmp_path, rotate)) as src:
        page = src.render(0, dpi=72, with_text_layer=True, turn=True)
        assert page.meta["turned"] == turned
        assert (page.width, page.height) == (842, 595)  # landscape now
        assert page.text_layer is not None
        lines = {" ".join(s.text for s in line.spans).strip(): line
                 for line in page.text_layer.lines}
        # The rows now run left to right, one above the other in their order.
        rows = [lines[t] for t in ("Month April May June", "Opening balance (745) (740) (940)",
                                   "Business taxes 49 50 57")]
        assert all(line.spans[0].direction == pytest.approx((1.0, 0.0)) for line in rows)
        assert [line.bbox[1] for line in rows] == sorted(line.bbox[1] for line in rows)
        # Pixels and text agree: the page's ink lies where its text layer says.
        x0, y0, x1, y1 = (int(v) for v in rows[0].bbox)
        assert page.image[y0:y1, x0:x1].min() < 100
        # The turn was this rendering's only: the document is as it was.
        again = src.render(0, dpi=72, with_text_layer=True)
        assert "turned" not in again.meta and (again.width, again.height) == (595, 842)


def test_pages_are_not_turned_unless_asked_or_when_upright(tmp_path: Path) -> None:
    with open_source(_sideways_table_pdf(tmp_path)) as src:
        assert "turned" not in src.render(0, dpi=72, with_text_layer=True).meta
        # Without its text layer nothing says the page is sideways.
        assert "turned" not in src.render(0, dpi=72, with_text_layer=False, turn=True).meta
    with open_source(make_pdf(tmp_path)) as src:
        assert "turned" not in src.render(0, dpi=72, with_text_layer=True, turn=True).meta
