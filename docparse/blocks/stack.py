"""The official vertical stacking of a merge group's crops (reference §3.3).

A numpy port of paddlex ``paddleocr_vl/uilts.py::merge_images``: crops are placed top to
bottom on a white canvas as wide as the widest crop. Each join aligns the stack built so far
with the next crop, so earlier crops shift when a wider one arrives.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from docparse.errors import DocParseError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Alignment = Literal["left", "right", "center"]


def _x_offsets(widths: Sequence[int], aligns: Sequence[Alignment]) -> tuple[list[int], int]:
    offsets = [0] * len(widths)
    merged = widths[0]
    for i in range(1, len(widths)):
        step = max(merged, widths[i])
        align = aligns[i - 1]
        if align == "center":
            shift, x = (step - merged) // 2, (step - widths[i]) // 2
        elif align == "right":
            shift, x = step - merged, step - widths[i]
        else:
            shift, x = 0, 0
        for k in range(i):
            offsets[k] += shift
        offsets[i] = x
        merged = step
    return offsets, merged


def stack_group_image(
    crops: Sequence[npt.NDArray[np.uint8]], alignment: Alignment | Sequence[Alignment]
) -> npt.NDArray[np.uint8]:
    """Stack ``crops`` (H x W x 3 uint8, or H x W grey) vertically on white.

    ``alignment`` is one value for every join or one per join (``len(crops) - 1``, as
    :attr:`docparse.blocks.merge.BlockGroup.step_alignments`). A single crop comes back as is.

    Example::

        image = stack_group_image([crop_a, crop_b], "left")
    """
    import numpy as np

    if not crops:
        raise DocParseError("stack_group_image: no crops to stack")
    if len(crops) == 1:
        return crops[0]
    aligns = [alignment] * (len(crops) - 1) if isinstance(alignment, str) else list(alignment)
    if len(aligns) != len(crops) - 1:
        raise DocParseError(
            f"stack_group_image: {len(crops)} crops need {len(crops) - 1} alignments, got {len(aligns)}"
        )
    # Grey crops become RGB as PIL's paste onto an RGB canvas would make them.
    rgb = [c if c.ndim == 3 else np.repeat(c[:, :, None], 3, axis=2) for c in crops]
    offsets, width = _x_offsets([c.shape[1] for c in rgb], aligns)
    canvas = np.full((sum(c.shape[0] for c in rgb), width, 3), 255, dtype=np.uint8)
    y = 0
    for crop, x in zip(rgb, offsets, strict=True):
        h, w = crop.shape[:2]
        canvas[y : y + h, x : x + w] = crop[:, :, :3]
        y += h
    return canvas
