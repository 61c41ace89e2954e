"""From a plan to the page's recognition work: tasks (with crops when the recogniser wants
them), picture files for picture blocks, and skipped furniture."""

from __future__ import annotations

from collections.abc import Collection, Mapping
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


def image_name(page_index: int | None, label: str, bbox: IntBox) -> str:
    """Official ``img_in_{label}_box_{x1}_{y1}_{x2}_{y2}.jpg``, made unique per page."""
    base = f"img_in_{label}_box_{bbox[0]}_{bbox[1]}_{bbox[2]}_{bbox[3]}.jpg"
    return base if page_index is None else f"p{page_index}_{base}"


def crop(image: npt.NDArray[np.uint8], bbox: IntBox) -> npt.NDArray[np.uint8]:
    """The official crop: ``img[y1:y2, x1:x2]``, no padding (clipped to the page)."""
    h, w = image.shape[:2]
    x1, y1 = max(0, bbox[0]), max(0, bbox[1])
    x2, y2 = min(w, bbox[2]), min(h, bbox[3])
    return np.ascontiguousarray(image[y1:y2, x1:x2])


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
        return crop(image, p.bbox)
    from docparse.blocks.stack import stack_group_image

    return stack_group_image(
        [crop(image, by_id[m].bbox) for m in p.members],
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
        if p.route == "image":
            name = image_name(page_index, p.label, p.bbox)
            pixels = crop(image, p.bbox)
            if pixels.size:
                pictures[name] = encode_jpeg(pixels)
            contents[p.block_id] = BlockContent("", "image", image=name if pixels.size else None)
        elif p.route == "skip":
            contents[p.block_id] = BlockContent("", "none", "skipped")
            skipped += 1
        else:
            tasks.append(RecognitionTask(
                block_id=p.block_id,
                label=p.label,
                kind=p.route,
                bbox=p.bbox,
                crop=_task_crop(image, p, by_id) if needs_crops else None,
                member_bboxes=tuple(by_id[m].bbox for m in p.members[1:]),
            ))
    return PageTasks(tuple(tasks), contents, pictures, skipped)
