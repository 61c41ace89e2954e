"""From a plan to the page's recognition work: tasks (with crops when the recogniser wants
them), picture files for picture blocks, and skipped furniture."""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from docparse.blocks import Plan, PlannedBlock
from docparse.content import BlockContent
from docparse.errors import OutputError
from docparse.geometry import IntBox
from docparse.recognize import RecognitionTask


@dataclass(frozen=True)
class PageTasks:
    tasks: tuple[RecognitionTask, ...] = ()
    #: Contents settled without recognition: pictures and skipped furniture.
    contents: Mapping[int, BlockContent] = field(default_factory=dict)
    #: Picture files (name → JPEG) for the picture blocks.
    pictures: Mapping[str, bytes] = field(default_factory=dict)
    #: Furniture blocks not sent (requests saved against the official routing).
    furniture_skipped: int = 0

    def with_answers(self, answers: Mapping[int, BlockContent]) -> dict[int, BlockContent]:
        """The settled contents plus the recogniser's answers; a block that is a picture and
        was also read (a seal) keeps its picture."""
        out = dict(self.contents)
        for block_id, answer in answers.items():
            picture = out[block_id].image if block_id in out else None
            out[block_id] = dataclasses.replace(answer, image=picture) if picture else answer
        return out


def image_name(page_index: int | None, label: str, bbox: IntBox) -> str:
    """Official ``img_in_{label}_box_{x1}_{y1}_{x2}_{y2}.jpg``, made unique per page."""
    base = f"img_in_{label}_box_{bbox[0]}_{bbox[1]}_{bbox[2]}_{bbox[3]}.jpg"
    return base if page_index is None else f"p{page_index}_{base}"


def crop(
    image: npt.NDArray[np.uint8],
    bbox: IntBox,
    polygon: Sequence[tuple[float, float]] | None = None,
) -> npt.NDArray[np.uint8]:
    """The official crop: ``img[y1:y2, x1:x2]``, no padding (clipped to the page); with a
    polygon (PP-DocLayoutV3), white outside it, as upstream ``CropByBoxes``."""
    h, w = image.shape[:2]
    x1, y1 = max(0, bbox[0]), max(0, bbox[1])
    x2, y2 = min(w, bbox[2]), min(h, bbox[3])
    out = np.ascontiguousarray(image[y1:y2, x1:x2])
    if polygon is None or not out.size:
        return out
    import cv2

    out = out.copy()
    # Upstream truncates the points to int32 and shifts them by the box's own corner.
    points = np.array(polygon, dtype=np.int32).reshape((-1, 1, 2)) - np.array([bbox[0], bbox[1]])
    mask = np.zeros(out.shape[:2], dtype=np.int32)
    cv2.fillPoly(mask, [points.astype(np.int32)], 1)
    out[~mask.astype(bool)] = 255
    return np.ascontiguousarray(out, dtype=np.uint8)


def encode_jpeg(pixels: npt.NDArray[np.uint8]) -> bytes:
    """A picture file as the official ``save_to_markdown`` writes it: OpenCV's JPEG encoder
    (quality 95) on the BGR crop, byte for byte. Crops *sent* to the VLM are PIL quality 75;
    that is the recognizer's business, not this one's."""
    import cv2

    ok, buf = cv2.imencode(".jpg", np.ascontiguousarray(pixels[:, :, ::-1]))
    if not ok:
        raise OutputError(f"cannot encode a {pixels.shape[1]}x{pixels.shape[0]} picture as JPEG")
    return bytes(buf.tobytes())


def _task_crop(
    image: npt.NDArray[np.uint8], p: PlannedBlock, by_id: Mapping[int, PlannedBlock]
) -> npt.NDArray[np.uint8]:
    if not p.members:
        return crop(image, p.bbox, p.polygon)
    from docparse.blocks.stack import stack_group_image

    return stack_group_image(
        [crop(image, by_id[m].bbox, by_id[m].polygon) for m in p.members],
        p.alignments,  # type: ignore[arg-type]
    )


def prepare_tasks(
    plan: Plan,
    done: Collection[int],
    image: npt.NDArray[np.uint8],
    *,
    page_index: int | None,
    needs_crops: bool,
) -> PageTasks:
    """Tasks for every block not ``done`` (answered by the text layer) nor a group member."""
    by_id = plan.by_id()
    tasks: list[RecognitionTask] = []
    contents: dict[int, BlockContent] = {}
    pictures: dict[str, bytes] = {}
    skipped = 0
    for p in plan.blocks:
        if p.block_id in done or p.is_member:
            continue
        if p.route in ("image", "seal"):
            # Seals are pictures too; with seal recognition on they are also read (below).
            # The saved picture is the whole box even with a polygon: upstream writes the
            # plain crops of its figure list (gather_imgs) over the block images.
            name = image_name(page_index, p.label, p.bbox)
            pixels = crop(image, p.bbox)
            if pixels.size:
                pictures[name] = encode_jpeg(pixels)
            contents[p.block_id] = BlockContent("", "image", image=name if pixels.size else None)
            if p.route == "seal" and needs_crops:
                tasks.append(RecognitionTask(block_id=p.block_id, label=p.label, kind="seal",
                                             bbox=p.bbox, crop=crop(image, p.bbox, p.polygon)))
        elif p.route == "skip":
            contents[p.block_id] = BlockContent("", "none", "skipped")
            skipped += 1
        else:
            assert p.route in ("ocr", "table", "formula", "chart")
            tasks.append(RecognitionTask(
                block_id=p.block_id,
                label=p.label,
                kind=p.route,
                bbox=p.bbox,
                crop=_task_crop(image, p, by_id) if needs_crops else None,
                member_bboxes=tuple(by_id[m].bbox for m in p.members[1:]),
            ))
    return PageTasks(tuple(tasks), contents, pictures, skipped)
