"""vLLM's side of the OpenAI chat API, as pure functions: request validation (vLLM's own checks
plus the official PaddleOCR-VL client contract) and the exact JSON shapes vLLM answers with.

Error bodies follow vLLM's ``ErrorResponse`` (``vllm/entrypoints/openai/engine/protocol.py``)::

    {"error": {"message": "The model `X` does not exist.", "type": "NotFoundError",
               "param": "model", "code": 404}}
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from docparse.testing.fake_vllm_config import FakeVLLMConfig, prompts_for

_ERROR_TYPES = {
    400: "BadRequestError",
    404: "NotFoundError",
    500: "InternalServerError",
    502: "BadGatewayError",
    503: "ServiceUnavailableError",
}
_DATA_URL_PREFIXES = {
    "data:image/jpeg;base64,": "JPEG",
    "data:image/png;base64,": "PNG",
    "data:image/webp;base64,": "WEBP",
}
#: Patch 14 × spatial merge 2: vLLM's PaddleOCR-VL processor resizes to multiples of 28.
_FACTOR = 28


@dataclass(frozen=True)
class ImageInfo:
    sha256: str
    width: int
    height: int
    format: str
    size_bytes: int


@dataclass(frozen=True)
class ChatRequest:
    """A request that passed validation."""

    model: str
    prompt: str
    image: ImageInfo
    image_bytes: bytes
    max_completion_tokens: int
    prompt_tokens: int


@dataclass(frozen=True)
class Rejection:
    """A request vLLM (or the contract) refuses: the status and body to answer with."""

    status: int
    message: str
    param: str | None = None
    #: True when real vLLM would accept it and only the official client contract is broken.
    contract_only: bool = False

    def body(self) -> dict[str, Any]:
        return error_body(self.status, self.message, self.param)


def error_body(status: int, message: str, param: str | None = None) -> dict[str, Any]:
    """vLLM's ``ErrorResponse`` JSON for ``status``."""
    err_type = _ERROR_TYPES.get(
        status, "BadRequestError" if status < 500 else "InternalServerError"
    )
    return {"error": {"message": message, "type": err_type, "param": param, "code": status}}


def models_body(
    models: tuple[str, ...], max_model_len: int, roots: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``GET /v1/models`` as vLLM lists its served model names (``root``: the weights)."""
    created = int(time.time())
    return {
        "object": "list",
        "data": [
            {
                "id": name,
                "object": "model",
                "created": created,
                "owned_by": "vllm",
                "root": (roots or {}).get(name, name),
                "parent": None,
                "max_model_len": max_model_len,
                "permission": [],
            }
            for name in models
        ],
    }


def completion_body(
    *,
    model: str,
    content: str,
    finish_reason: str,
    prompt_tokens: int,
    completion_tokens: int,
) -> dict[str, Any]:
    """A non-streaming ``chat.completion`` object shaped like vLLM's."""
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": content,
                    "refusal": None,
                    "annotations": None,
                    "audio": None,
                    "function_call": None,
                    "tool_calls": [],
                    "reasoning_content": None,
                },
                "logprobs": None,
                "finish_reason": finish_reason,
                "stop_reason": None,
            }
        ],
        "service_tier": None,
        "system_fingerprint": None,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "completion_tokens": completion_tokens,
            "prompt_tokens_details": None,
        },
        "prompt_logprobs": None,
        "kv_transfer_params": None,
    }


def estimate_tokens(text: str) -> int:
    """A rough completion token count (about 3 characters per token)."""
    return max(1, math.ceil(len(text) / 3)) if text else 0


def smart_resize(
    height: int, width: int, min_pixels: int, max_pixels: int, max_ratio: float = 200.0
) -> tuple[int, int]:
    """vLLM/transformers' PaddleOCR-VL ``smart_resize``: the size the image is resized to.

    Short sides are first scaled up to 28 px, then an aspect ratio above ``max_ratio`` raises
    ValueError with the real processor's message.
    """
    if height < _FACTOR:
        width = round(width * _FACTOR / height)
        height = _FACTOR
    if width < _FACTOR:
        height = round(height * _FACTOR / width)
        width = _FACTOR
    ratio = max(height, width) / min(height, width)
    if ratio > max_ratio:
        raise ValueError(f"absolute aspect ratio must be smaller than {max_ratio:g}, got {ratio}")
    h_bar = round(height / _FACTOR) * _FACTOR
    w_bar = round(width / _FACTOR) * _FACTOR
    if h_bar * w_bar > max_pixels:
        beta = math.sqrt(height * width / max_pixels)
        h_bar = math.floor(height / beta / _FACTOR) * _FACTOR
        w_bar = math.floor(width / beta / _FACTOR) * _FACTOR
    elif h_bar * w_bar < min_pixels:
        beta = math.sqrt(min_pixels / (height * width))
        h_bar = math.ceil(height * beta / _FACTOR) * _FACTOR
        w_bar = math.ceil(width * beta / _FACTOR) * _FACTOR
    return h_bar, w_bar


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _contract(message: str, param: str | None = None) -> Rejection:
    return Rejection(400, f"docparse fake vLLM: {message}", param, contract_only=True)


def _check_types(body: dict[str, Any]) -> Rejection | None:
    """What vLLM's own request model refuses (a 400 before anything else is looked at)."""
    if not isinstance(body.get("messages"), list):
        return Rejection(400, "messages: Field required (a list of messages)", "messages")
    if "model" in body and not isinstance(body["model"], str):
        return Rejection(400, "model: Input should be a valid string", "model")
    temperature = body.get("temperature")
    if temperature is not None and (not _is_number(temperature) or temperature < 0):
        return Rejection(400, f"temperature must be non-negative, got {temperature}", "temperature")
    max_tokens = body.get("max_completion_tokens")
    if max_tokens is not None and (not _is_int(max_tokens) or max_tokens < 1):
        return Rejection(400, f"max_tokens must be at least 1, got {max_tokens}", "max_tokens")
    skip = body.get("skip_special_tokens")
    if skip is not None and not isinstance(skip, bool):
        return Rejection(400, "skip_special_tokens: Input should be a valid boolean")
    return None


def _check_contract(body: dict[str, Any]) -> Rejection | None:
    """What real vLLM would accept but the official PaddleOCR-VL client never sends."""
    if body.get("stream"):
        return _contract("stream=true is not part of the PaddleOCR-VL client contract", "stream")
    for name in ("temperature", "max_completion_tokens", "skip_special_tokens"):
        if name not in body:
            return _contract(f"'{name}' is missing (the official client always sends it)", name)
    kwargs = body.get("mm_processor_kwargs")
    if not isinstance(kwargs, dict):
        return _contract("'mm_processor_kwargs' must be an object with min_pixels and max_pixels")
    for name in ("min_pixels", "max_pixels"):
        if not _is_int(kwargs.get(name)) or kwargs[name] < 1:
            return _contract(f"mm_processor_kwargs.{name} must be a positive integer")
    if kwargs["min_pixels"] > kwargs["max_pixels"]:
        return _contract("mm_processor_kwargs.min_pixels is larger than max_pixels")
    return None


def _check_messages(messages: list[Any], allowed: tuple[str, ...]) -> tuple[str, str] | Rejection:
    """The (image data URL, prompt) of the one user message, or why the shape is wrong."""
    if len(messages) != 1:
        return _contract(f"expected exactly one message, got {len(messages)}", "messages")
    message = messages[0]
    if not isinstance(message, dict) or message.get("role") != "user":
        return _contract("the message must have role 'user'", "messages")
    content = message.get("content")
    if not isinstance(content, list) or len(content) != 2:
        return _contract("the user message must have exactly two content parts", "messages")
    image_part, text_part = content
    if not isinstance(image_part, dict) or image_part.get("type") != "image_url":
        return _contract("the first content part must be the image_url", "messages")
    if not isinstance(text_part, dict) or text_part.get("type") != "text":
        return _contract("the second content part must be the text prompt", "messages")
    image_url = image_part.get("image_url")
    url = image_url.get("url") if isinstance(image_url, dict) else None
    if not isinstance(url, str):
        return Rejection(400, "image_url.url: Field required", "messages")
    prompt = text_part.get("text")
    if prompt not in allowed:
        return _contract(f"prompt {prompt!r} is not one of {list(allowed)}", "messages")
    return url, prompt


def _decode_image(url: str, config: FakeVLLMConfig) -> tuple[ImageInfo, bytes] | Rejection:
    from PIL import Image, UnidentifiedImageError

    prefix = next((p for p in _DATA_URL_PREFIXES if url.startswith(p)), None)
    if prefix is None or (config.require_jpeg and _DATA_URL_PREFIXES[prefix] != "JPEG"):
        return _contract("the image must be a 'data:image/jpeg;base64,' URL")
    try:
        data = base64.b64decode(url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        return Rejection(400, "Failed to decode the base64 image data")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()  # a truncated file fails here, as it would in vLLM's loader
            fmt = str(image.format)
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError) as exc:
        return Rejection(400, f"Failed to load image: {exc}")
    if fmt != _DATA_URL_PREFIXES[prefix]:
        return _contract(f"the data URL says {_DATA_URL_PREFIXES[prefix]} but holds {fmt}")
    info = ImageInfo(hashlib.sha256(data).hexdigest(), width, height, fmt, len(data))
    return info, data


def validate_chat(body: Any, config: FakeVLLMConfig) -> ChatRequest | Rejection:
    """Check one ``/v1/chat/completions`` body the way vLLM and the official client would."""
    if not isinstance(body, dict):
        return Rejection(400, "The request body must be a JSON object")
    rejected = _check_types(body)
    if rejected is not None:
        return rejected
    if "model" not in body:
        return _contract("'model' is missing (the official client always sends it)", "model")
    if body["model"] not in config.models:
        return Rejection(404, f"The model `{body['model']}` does not exist.", "model")
    rejected = _check_contract(body)
    if rejected is not None:
        return rejected
    model = body["model"]
    shape = _check_messages(body["messages"], prompts_for(model, config.roots.get(model)))
    if isinstance(shape, Rejection):
        return shape
    url, prompt = shape
    decoded = _decode_image(url, config)
    if isinstance(decoded, Rejection):
        return decoded
    info, data = decoded
    if min(info.width, info.height) < config.min_side:
        # vLLM 0.10.2 crashed inside the processor on such crops (PaddleOCR issue #17378).
        return Rejection(
            config.tiny_status,
            f"image of {info.width}x{info.height} px is too small for the vision processor",
        )
    kwargs = body["mm_processor_kwargs"]
    try:
        h_bar, w_bar = smart_resize(
            info.height,
            info.width,
            kwargs["min_pixels"],
            kwargs["max_pixels"],
            config.max_aspect_ratio,
        )
    except ValueError as exc:  # vLLM turns the processor's ValueError into a 400
        return Rejection(400, str(exc))
    prompt_tokens = (h_bar // _FACTOR) * (w_bar // _FACTOR) + 12
    max_tokens = body["max_completion_tokens"]
    if prompt_tokens + max_tokens > config.max_model_len:
        return Rejection(
            400,
            "'max_tokens' or 'max_completion_tokens' is too large: "
            f"{max_tokens}. This model's maximum context length is {config.max_model_len} tokens "
            f"and your request has {prompt_tokens} input tokens ({max_tokens} > "
            f"{config.max_model_len} - {prompt_tokens}).",
            "max_tokens",
        )
    return ChatRequest(body["model"], prompt, info, data, max_tokens, prompt_tokens)


def redact_images(body: Any, sha256: str | None) -> Any:
    """The request body with base64 image data replaced by its digest (records stay small)."""
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        return body
    out = dict(body)
    out["messages"] = []
    for message in body["messages"]:
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            message = dict(message)
            parts = []
            for part in message["content"]:
                url = part.get("image_url", {}).get("url") if isinstance(part, dict) else None
                if isinstance(url, str) and url.startswith("data:"):
                    label = f"sha256:{sha256}" if sha256 else f"<data URL, {len(url)} chars>"
                    part = {**part, "image_url": {**part["image_url"], "url": label}}
                parts.append(part)
            message["content"] = parts
        out["messages"].append(message)
    return out
