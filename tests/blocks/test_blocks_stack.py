from __future__ import annotations

import random

import numpy as np
import pytest

from docparse.blocks.stack import stack_group_image
from docparse.errors import DocParseError


def _solid(h: int, w: int, value: int) -> np.ndarray:
    return np.full((h, w, 3), value, dtype=np.uint8)


def test_left_alignment_pads_right_with_white() -> None:
    out = stack_group_image([_solid(2, 4, 10), _solid(3, 2, 20)], "left")
    assert out.shape == (5, 4, 3)
    assert (out[:2] == 10).all()
    assert (out[2:, :2] == 20).all() and (out[2:, 2:] == 255).all()


def test_center_and_right_offsets_use_floor_division() -> None:
    out = stack_group_image([_solid(1, 5, 0), _solid(1, 2, 50)], "center")
    assert out[1, :, 0].tolist() == [255, 50, 50, 255, 255]
    out = stack_group_image([_solid(1, 2, 50), _solid(1, 5, 0)], "right")
    # The narrow first crop moves right when the wider one arrives.
    assert out[0, :, 0].tolist() == [255, 255, 255, 50, 50]


def test_per_join_alignments_shift_earlier_crops() -> None:
    crops = [_solid(1, 2, 1), _solid(1, 4, 2), _solid(1, 8, 3)]
    out = stack_group_image(crops, ["left", "center"])
    # Join 1 (left): [1 1 W W]/[2 2 2 2]; join 2 centres that 4-wide stack in 8.
    assert out[:, :, 0].tolist() == [
        [255, 255, 1, 1, 255, 255, 255, 255],
        [255, 255, 2, 2, 2, 2, 255, 255],
        [3] * 8,
    ]


def test_single_crop_returned_unchanged_and_bad_input_rejected() -> None:
    crop = _solid(3, 3, 7)
    assert stack_group_image([crop], "left") is crop
    with pytest.raises(DocParseError, match="no crops"):
        stack_group_image([], "left")
    with pytest.raises(DocParseError, match="need 1 alignments"):
        stack_group_image([crop, crop], ["left", "left"])


def test_grey_crops_become_rgb() -> None:
    out = stack_group_image([np.full((1, 2), 9, np.uint8), _solid(1, 2, 4)], "left")
    assert out.shape == (2, 2, 3) and (out[0] == 9).all()


@pytest.mark.paddle
def test_identical_to_paddlex_merge_images() -> None:
    pytest.importorskip("paddlex")
    from paddlex.inference.pipelines.paddleocr_vl.uilts import merge_images

    rng = random.Random(7)
    gen = np.random.default_rng(7)
    for _ in range(300):
        n = rng.randint(2, 5)
        crops = [
            gen.integers(0, 255, (rng.randint(1, 40), rng.randint(1, 60), 3), dtype=np.uint8)
            for _ in range(n)
        ]
        aligns = [rng.choice(["left", "right", "center"]) for _ in range(n - 1)]
        assert np.array_equal(stack_group_image(crops, aligns), merge_images(crops, aligns))  # type: ignore[arg-type]
        one = aligns[0]
        assert np.array_equal(stack_group_image(crops, one), merge_images(crops, one))  # type: ignore[arg-type]
