"""Image inputs: formats, EXIF orientation, mode conversion, multi-page TIFF."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from docparse.sources.image import ImageSource, to_rgb_array
from docparse.sources.opener import open_source


def marked_image(width: int = 60, height: int = 40) -> Image.Image:
    """White RGB image with a red block in the top-left corner (20x10 px)."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    img.paste((255, 0, 0), (0, 0, 20, 10))
    return img


def save(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "kind", "save_kwargs"),
    [
        ("PNG", "png", {}),
        ("JPEG", "jpeg", {"quality": 95}),
        ("BMP", "bmp", {}),
        ("WEBP", "webp", {"lossless": True}),
        ("TIFF", "tiff", {}),
    ],
)
def test_each_format_renders_as_rgb(
    tmp_path: Path, fmt: str, kind: str, save_kwargs: dict[str, object]
) -> None:
    path = tmp_path / f"img.{kind}"
    path.write_bytes(save(marked_image(), fmt, **save_kwargs))
    with open_source(path) as src:
        assert isinstance(src, ImageSource)
        assert (src.kind, src.format, src.page_count, src.single_image) == (
            "image",
            kind,
            1,
            True,
        )
        page = src.render(0, dpi=300, with_text_layer=False)
    assert page.image.dtype == np.uint8 and page.image.shape == (40, 60, 3)
    assert (page.page_index, page.page_count, page.scale) == (None, None, 1.0)
    assert page.text_layer is None
    red, white = page.image[5, 10].astype(int), page.image[30, 50].astype(int)
    assert np.abs(red - [255, 0, 0]).max() <= 3
    assert np.abs(white - [255, 255, 255]).max() <= 3


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        # Stored image: 60x40 with red at the top-left. The tag says how to turn it upright.
        (1, (60, 40), (5, 10)),  # as stored
        (3, (60, 40), (35, 50)),  # rotate 180: red at bottom-right
        (6, (40, 60), (10, 35)),  # rotate 90 clockwise: red at top-right
        (8, (40, 60), (50, 5)),  # rotate 90 counter-clockwise: red at bottom-left
        (2, (60, 40), (5, 50)),  # mirror: red at top-right
    ],
)
def test_exif_orientation_is_applied(
    tmp_path: Path, orientation: int, size: tuple[int, int], red_at: tuple[int, int]
) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    path = tmp_path / "photo.jpg"
    path.write_bytes(save(marked_image(), "JPEG", quality=95, exif=exif.tobytes()))
    with open_source(path) as src:
        page = src.render(0, dpi=144, with_text_layer=False)
    assert (page.width, page.height) == size
    y, x = red_at
    assert page.image[y, x].tolist()[0] > 200 and page.image[y, x].tolist()[1] < 60
    # The opposite corner stays white, so the rotation really went that way.
    assert page.image[page.height - 1 - y, page.width - 1 - x].min() > 200
    if orientation != 1:
        assert page.meta["exif_orientation"] == orientation


def test_tiff_frames_keep_their_own_orientation() -> None:
    buf = io.BytesIO()
    marked_image().save(
        buf, "TIFF", save_all=True, append_images=[marked_image()], tiffinfo={0x0112: 6}
    )
    with open_source(buf.getvalue()) as src:
        pages = [src.render(i, dpi=144, with_text_layer=False) for i in (1, 0, 1, 1)]
    for page in pages:
        assert (page.width, page.height) == (40, 60)
        assert page.image[5, 35].tolist() == [255, 0, 0]  # red turned to the top-right
        assert page.meta["exif_orientation"] == 6
    assert "source_dpi" not in pages[0].meta  # Pillow's placeholder (1, 1) is not a dpi


def test_alpha_is_composited_on_white(tmp_path: Path) -> None:
    rgba = Image.new("RGBA", (4, 2), (0, 0, 0, 0))  # fully transparent black
    rgba.putpixel((1, 0), (0, 0, 255, 255))  # opaque blue
    rgba.putpixel((2, 0), (0, 0, 0, 128))  # half-transparent black
    with open_source(save(rgba, "PNG")) as src:
        img = src.render(0, dpi=144, with_text_layer=False).image
    assert img[0, 0].tolist() == [255, 255, 255]
    assert img[0, 1].tolist() == [0, 0, 255]
    assert img[0, 2].tolist() == [127, 127, 127]


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [
        ("L", 100, [100, 100, 100]),
        ("1", 0, [0, 0, 0]),
        ("I;16", 65535, [255, 255, 255]),
        ("I;16", 32896, [128, 128, 128]),
        ("I", 4112, [16, 16, 16]),
        ("F", 0.5, [128, 128, 128]),
        ("CMYK", (0, 255, 255, 0), [255, 0, 0]),
        ("LA", (0, 0), [255, 255, 255]),
    ],
)
def test_mode_conversion(mode: str, value: object, expected: list[int]) -> None:
    img = Image.new(mode, (3, 2), value)  # type: ignore[arg-type]
    out = to_rgb_array(img)
    assert out.dtype == np.uint8 and out.shape == (2, 3, 3)
    assert out[1, 2].tolist() == expected


def test_palette_png_with_transparency(tmp_path: Path) -> None:
    pal = Image.new("P", (2, 1), 0)
    pal.putpalette([0, 255, 0, 10, 20, 30])  # index 0 green, index 1 dark
    pal.putpixel((1, 0), 1)
    plain = to_rgb_array(Image.open(io.BytesIO(save(pal, "PNG"))))
    assert plain[0].tolist() == [[0, 255, 0], [10, 20, 30]]
    with open_source(save(pal, "PNG", transparency=0)) as src:
        img = src.render(0, dpi=144, with_text_layer=False).image
    assert img[0].tolist() == [[255, 255, 255], [10, 20, 30]]


def test_sixteen_bit_png_file(tmp_path: Path) -> None:
    ramp = np.array([[0, 257 * 64, 65535]], dtype=np.uint16)
    data = save(Image.fromarray(ramp), "PNG")
    with open_source(data) as src:
        img = src.render(0, dpi=144, with_text_layer=False).image
    assert img[0, :, 0].tolist() == [0, 64, 255]


def test_multipage_tiff_pages(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (30 + 10 * i, 20), (i * 100, 0, 0)) for i in range(3)]
    path = tmp_path / "scan.tiff"
    frames[0].save(path, save_all=True, append_images=frames[1:], compression="tiff_lzw")
    with open_source(path) as src:
        assert (src.page_count, src.single_image) == (3, False)
        pages = [src.render(i, dpi=144, with_text_layer=False) for i in (2, 0, 1)]
    assert [(p.page_index, p.page_count) for p in pages] == [(2, 3), (0, 3), (1, 3)]
    assert [p.width for p in pages] == [50, 30, 40]
    assert [int(p.image[0, 0, 0]) for p in pages] == [200, 0, 100]


def test_single_frame_tiff_is_single_image(tmp_path: Path) -> None:
    with open_source(save(marked_image(), "TIFF")) as src:
        assert (src.page_count, src.single_image) == (1, True)
        assert src.render(0, dpi=144, with_text_layer=False).page_index is None


def test_animated_png_is_one_page(tmp_path: Path) -> None:
    frames = [Image.new("RGB", (8, 8), c) for c in ((255, 0, 0), (0, 255, 0))]
    data = save(frames[0], "PNG", save_all=True, append_images=frames[1:])
    assert Image.open(io.BytesIO(data)).n_frames == 2  # type: ignore[attr-defined]
    with open_source(data) as src:
        assert (src.page_count, src.single_image) == (1, True)
        assert src.render(0, dpi=144, with_text_layer=False).image[0, 0].tolist() == [255, 0, 0]


def test_large_tiff_keeps_file_open_and_decodes_on_demand(tmp_path: Path) -> None:
    frames = [Image.new("L", (400, 300), i) for i in range(60)]
    path = tmp_path / "long.tif"
    frames[0].save(path, save_all=True, append_images=frames[1:])
    with open_source(path) as src:
        assert src.page_count == 60
        page = src.render(57, dpi=144, with_text_layer=False)
        assert page.image[0, 0].tolist() == [57, 57, 57]
        again = src.render(3, dpi=144, with_text_layer=False)
        assert again.image[10, 10].tolist() == [3, 3, 3]


def test_source_dpi_recorded(tmp_path: Path) -> None:
    with open_source(save(marked_image(), "PNG", dpi=(300, 300))) as src:
        meta = src.render(0, dpi=144, with_text_layer=False).meta
    assert meta["format"] == "png"
    assert meta["source_dpi"] == pytest.approx((300, 300), abs=0.1)


def test_content_wins_over_extension(tmp_path: Path) -> None:
    path = tmp_path / "actually_png.pdf"
    path.write_bytes(save(marked_image(), "PNG"))
    with open_source(path) as src:
        assert (src.kind, src.page_count) == ("image", 1)
        assert src.render(0, dpi=144, with_text_layer=False).image.shape == (40, 60, 3)
