"""What the fake vLLM server says: scripted answers (rules, sizes, per-prompt defaults),
looping answers, and answers in PaddleOCR-VL's formats built from real RapidOCR lines."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from docparse.errors import ModelError
from docparse.testing.fake_vllm_config import AnswerRule, FakeVLLMConfig
from docparse.testing.fake_vllm_protocol import ChatRequest, estimate_tokens

_LOOP_UNITS = {
    "OCR:": "the same words again ",
    "Table Recognition:": "<fcel>0",
    "Formula Recognition:": "x+",
    "Chart Recognition:": "1 | 2\n",
}
_LOOP_PREFIXES = {"Formula Recognition:": "\\[", "Table Recognition:": "<fcel>A<fcel>B<nl>"}
#: Characters per token the fake assumes when it caps answers at ``max_completion_tokens``.
_CHARS_PER_TOKEN = 3
_LOOP_MAX_CHARS = 60_000


@dataclass(frozen=True)
class Answer:
    content: str
    finish_reason: str
    completion_tokens: int


def _size_of(request: ChatRequest) -> str:
    return f"{request.image.width}x{request.image.height}"


def match_rule(rules: Sequence[AnswerRule], request: ChatRequest) -> AnswerRule | None:
    """The first rule whose given matchers all fit ``request``."""
    for rule in rules:
        if rule.prompt is not None and rule.prompt != request.prompt:
            continue
        if rule.size is not None and rule.size.lower() != _size_of(request):
            continue
        if rule.sha256 is not None and not request.image.sha256.startswith(rule.sha256.lower()):
            continue
        return rule
    return None


def fill_template(text: str, request: ChatRequest, seq: int) -> str:
    """Replace the ``{width}``-style placeholders literally (LaTeX braces stay as they are)."""
    values = {
        "{width}": str(request.image.width),
        "{height}": str(request.image.height),
        "{prompt}": request.prompt,
        "{sha8}": request.image.sha256[:8],
        "{seq}": str(seq),
    }
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def cap_answer(content: str, finish_reason: str, max_tokens: int) -> Answer:
    """Cut ``content`` at the token limit as vLLM would, reporting ``finish_reason='length'``."""
    tokens = estimate_tokens(content)
    if tokens > max_tokens:
        return Answer(content[: max_tokens * _CHARS_PER_TOKEN], "length", max_tokens)
    return Answer(content, finish_reason, tokens)


def loop_answer(prompt: str, max_tokens: int) -> Answer:
    """A degenerate answer: one unit repeated until the token limit."""
    length = min(max_tokens * _CHARS_PER_TOKEN, _LOOP_MAX_CHARS)
    prefix = _LOOP_PREFIXES.get(prompt, "")
    unit = _LOOP_UNITS[prompt]
    body = unit * (length // len(unit) + 1)
    return Answer((prefix + body)[:length], "length", max_tokens)


def scripted_answer(
    config: FakeVLLMConfig, request: ChatRequest, seq: int, rule: AnswerRule | None
) -> Answer:
    """The configured answer for ``request`` (rule, then ``by_size``, then per-prompt default)."""
    if rule is not None:
        text, finish = rule.answer, rule.finish_reason
    elif _size_of(request) in config.by_size:
        text, finish = config.by_size[_size_of(request)], "stop"
    else:
        text, finish = config.answers.get(request.prompt, ""), "stop"
    return cap_answer(fill_template(text, request, seq), finish, request.max_completion_tokens)


# ── built-in OCR ──────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class OcrLine:
    x0: float
    y0: float
    x1: float
    y1: float
    text: str

    @property
    def cy(self) -> float:
        return (self.y0 + self.y1) / 2


def group_rows(lines: Sequence[OcrLine]) -> list[list[OcrLine]]:
    """Lines grouped into visual rows (centres within half a line height), each sorted by x."""
    rows: list[list[OcrLine]] = []
    for line in sorted(lines, key=lambda ln: ln.cy):
        if rows:
            last = rows[-1]
            height = max(ln.y1 - ln.y0 for ln in last)
            centre = sum(ln.cy for ln in last) / len(last)
            if abs(line.cy - centre) <= height / 2:
                last.append(line)
                continue
        rows.append([line])
    return [sorted(row, key=lambda ln: ln.x0) for row in rows]


def _columns(lines: Sequence[OcrLine]) -> list[tuple[float, float]]:
    # Columns are the unions of overlapping horizontal extents over all rows.
    spans: list[tuple[float, float]] = []
    for line in sorted(lines, key=lambda ln: ln.x0):
        if spans and line.x0 <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], line.x1))
        else:
            spans.append((line.x0, line.x1))
    return spans


def _grid(lines: Sequence[OcrLine]) -> list[list[str]]:
    columns = _columns(lines)
    grid: list[list[str]] = []
    for row in group_rows(lines):
        cells = [""] * len(columns)
        for line in row:
            centre = (line.x0 + line.x1) / 2
            index = next(
                (i for i, (a, b) in enumerate(columns) if a <= centre <= b), len(columns) - 1
            )
            cells[index] = f"{cells[index]} {line.text}".strip()
        grid.append(cells)
    return grid


def format_builtin(prompt: str, lines: Sequence[OcrLine]) -> str:
    """Answer ``prompt`` in PaddleOCR-VL's format from OCR lines of the crop."""
    if prompt == "Formula Recognition:":
        return "\\[" + " ".join(ln.text for row in group_rows(lines) for ln in row) + "\\]"
    if prompt == "Table Recognition:":
        return "".join(
            "".join(f"<fcel>{c}" if c else "<ecel>" for c in row) + "<nl>" for row in _grid(lines)
        )
    if prompt == "Chart Recognition:":
        return "\n".join(" | ".join(row) for row in _grid(lines))
    return "\n".join(" ".join(ln.text for ln in row) for row in group_rows(lines))


class BuiltinOcr:
    """RapidOCR (shipped PP-OCRv6 ONNX models) on crops, one call at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine: Any = None

    def lines(self, image_bytes: bytes) -> list[OcrLine]:
        """Recognised text lines of an encoded image, with axis-aligned boxes."""
        with self._lock:
            if self._engine is None:
                from rapidocr import RapidOCR

                self._engine = RapidOCR()
            # The angle classifier flips clean lines; flags are passed on every call because
            # RapidOCR keeps the last call's settings.
            result = self._engine(image_bytes, use_det=True, use_cls=False, use_rec=True)
        boxes = getattr(result, "boxes", None)
        texts = getattr(result, "txts", None)
        if boxes is None or texts is None:
            return []
        out = []
        for box, text in zip(boxes, texts, strict=True):
            xs = [float(p[0]) for p in box]
            ys = [float(p[1]) for p in box]
            out.append(OcrLine(min(xs), min(ys), max(xs), max(ys), str(text)))
        return out

    def warm_up(self) -> None:
        """Load both models now (RapidOCR loads recognition only once it detects text)."""
        import io

        from PIL import Image, ImageDraw, ImageFont

        image = Image.new("RGB", (160, 48), "white")
        font = ImageFont.load_default(28)
        ImageDraw.Draw(image).text((8, 8), "warm up", fill="black", font=font)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG")
        if not self.lines(buffer.getvalue()):
            raise ModelError("fake vLLM: RapidOCR found no text in its warm-up image")
