"""PP-DocLayoutV3 (PaddleOCR-VL 1.5/1.6's layout model) through paddlex's own predictor.

Same RT-DETR family, preprocessing (800x800 bicubic, /255), 25 labels and reading-order head
as PP-DocLayoutV2, so this backend is :class:`~docparse.layout.ppdoclayoutv2.PPDocLayoutV2`
with three differences, all taken from ``PaddleOCR-VL-1.5.yaml`` / ``-1.6.yaml`` and the
paddlex layout post-processing:

* the model also predicts an instance mask per box (``[N*300, 200, 200]``, a quarter of the
  input size) and one reading-order rank per box (7 columns instead of 8); paddlex turns each
  mask into the official ``polygon_points`` (``layout_shape_mode="auto"``: a polygon, a
  quadrilateral or the rectangle, whichever fits), which land on the regions' ``polygon``;
* the score threshold is a flat 0.3 for every class (V2: per class, 0.4 to 0.5);
* NMS, the large-image filter, the merge modes and the unclip ratio are the same.

Regions keep the model's reading order. The pipeline's overlap filter, polygon crops (white
outside the polygon) and block ``block_polygon_points`` come later (docparse.blocks,
docparse.pipeline.page_run).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from docparse.layout.ppdoclayoutv2 import PPDocLayoutV2
from docparse.versions import LAYOUTS

MODEL_NAME: Final[str] = "PP-DocLayoutV3"

#: The official default threshold of the v1.5/v1.6 YAMLs (a test pins it to them).
DEFAULT_THRESHOLD: Final[float] = float(LAYOUTS[MODEL_NAME].threshold)  # type: ignore[arg-type]


class PPDocLayoutV3(PPDocLayoutV2):
    """PP-DocLayoutV3 on the client through paddlex (``name = "pp-doclayoutv3"``).

    Defaults reproduce the official PaddleOCR-VL v1.5/v1.6 layout stage; the constructor and
    :meth:`detect` are :class:`PPDocLayoutV2`'s. Regions carry ``polygon``.

    Example::

        layout = PPDocLayoutV3(Path("~/.paddlex/official_models/PP-DocLayoutV3").expanduser())
        regions = layout.detect([page_rgb])[0]
        regions[0].polygon  # ((x, y), ...) in page pixels
    """

    name = "pp-doclayoutv3"
    model_name = MODEL_NAME
    shape_mode = "auto"
    default_threshold: float | Mapping[int, float] = DEFAULT_THRESHOLD
