"""Request bodies for PaddleOCR-VL, field for field as the official client sends them.

Pure: no I/O. The reference (§1.1, §1.3) captured the official request::

    {"model": "PaddleOCR-VL-0.9B",
     "messages": [{"role": "user", "content": [
         {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,..."}},
         {"type": "text", "text": "OCR:"}]}],
     "max_completion_tokens": 4096, "temperature": 0,
     "skip_special_tokens": true,
     "mm_processor_kwargs": {"min_pixels": 112896, "max_pixels": 1003520}}

``skip_special_tokens``, ``mm_processor_kwargs`` and ``repetition_penalty`` are vLLM
extensions, so they travel in ``extra_body`` (as the official client passes them to the openai
SDK) and land at the top level of the JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from docparse.recognize import TaskKind

if TYPE_CHECKING:
    from docparse.options import ParseOptions

#: The task prompts of the newest version; PaddleOCR-VL-0.9B (v1) knows the first four only
#: (reference §1.1). :mod:`docparse.versions` holds each version's own set.
PROMPTS: Final[dict[TaskKind, str]] = {
    "ocr": "OCR:",
    "table": "Table Recognition:",
    "formula": "Formula Recognition:",
    "chart": "Chart Recognition:",
    "seal": "Seal Recognition:",
}

#: Used for the one retry of a degenerate (looping or token-capped) answer. vLLM applies it
#: multiplicatively to logits of tokens already generated, so a mild value breaks loops of
#: repeated cells or digits without rewriting legitimate repeats. Temperature stays as
#: configured (0 by default) so the retry is still deterministic and runs reproduce.
ANTI_REPETITION_PENALTY: Final[float] = 1.05


@dataclass(frozen=True, kw_only=True)
class SamplingParams:
    """The generation settings sent with every request; defaults are the official ones."""

    temperature: float = 0.0
    top_p: float | None = None
    repetition_penalty: float | None = None
    max_completion_tokens: int = 4096
    min_pixels: int = 112_896
    max_pixels: int = 1_003_520
    skip_special_tokens: bool = True

    @classmethod
    def from_options(cls, options: ParseOptions) -> SamplingParams:
        """Take the sampling fields of ``options``."""
        return cls(
            temperature=options.temperature,
            top_p=options.top_p,
            repetition_penalty=options.repetition_penalty,
            max_completion_tokens=options.max_completion_tokens,
            min_pixels=options.min_pixels,
            max_pixels=options.max_pixels,
        )

    def anti_repetition(self) -> SamplingParams:
        """The settings for retrying a degenerate answer (a stronger penalty, if any is set)."""
        current = self.repetition_penalty or 1.0
        return dataclasses.replace(self, repetition_penalty=max(current, ANTI_REPETITION_PENALTY))


def prompt_for(kind: TaskKind) -> str:
    """The text part for a task of ``kind`` (``"table"`` → ``"Table Recognition:"``)."""
    return PROMPTS[kind]


def build_messages(image_url: str, prompt: str) -> list[dict[str, Any]]:
    """One user message: the image part first, then the text part, as the official client."""
    return [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": image_url}},
                {"type": "text", "text": prompt},
            ],
        }
    ]


def build_request(
    *,
    model: str,
    image_url: str,
    kind: TaskKind,
    params: SamplingParams,
    prompt: str | None = None,
) -> dict[str, Any]:
    """Keyword arguments for ``AsyncOpenAI.chat.completions.create``.

    ``top_p`` and ``repetition_penalty`` are sent only when set, so the server's defaults
    apply otherwise, exactly as the official client.

    Example::

        kwargs = build_request(model="PaddleOCR-VL-0.9B", image_url=url, kind="ocr",
                               params=SamplingParams())
        completion = await client.chat.completions.create(**kwargs)
    """
    extra_body: dict[str, Any] = {
        "skip_special_tokens": params.skip_special_tokens,
        "mm_processor_kwargs": {
            "min_pixels": params.min_pixels,
            "max_pixels": params.max_pixels,
        },
    }
    if params.repetition_penalty is not None:
        extra_body["repetition_penalty"] = params.repetition_penalty
    request: dict[str, Any] = {
        "model": model,
        "messages": build_messages(image_url, prompt or prompt_for(kind)),
        "max_completion_tokens": params.max_completion_tokens,
        # The official client sends the integer 0; keep whole numbers integral on the wire.
        "temperature": _wire_number(params.temperature),
        "extra_body": extra_body,
    }
    if params.top_p is not None:
        request["top_p"] = params.top_p
    return request


def _wire_number(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value
