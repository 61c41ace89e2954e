"""What the official PaddleOCR-VL pipeline does to each VLM answer before it becomes
``block_content`` (reference §3.5), ported line for line so docparse's output matches paddlex's:

1. ``None`` → ``""``;
2. repetition truncation (``truncate_repetitive_content``), only for answers of at least 5000
   characters (tables) or 50 (everything else);
3. LaTeX delimiters ``\\( \\) \\[ \\]`` → ``$`` / ``$$`` (``formula_number`` loses every ``$``);
4. tables: OTSL tokens → ``<table>`` HTML; the raw answer is kept when that gives ``""``.

Charts stay pipe tables here; ``chart_to_html`` is for the Markdown writer. Sources:
``paddlex/inference/pipelines/paddleocr_vl/uilts.py`` and ``pipeline.py``
(``_paddleocr_vl_assemble_parsing_results``), ``.../converter/markdown_format_funcs.py``
(paddlex 3.7.2). Pure functions, no paddlex at runtime.
"""

from __future__ import annotations

import html
import itertools
import re
from collections import Counter
from dataclasses import dataclass

from docparse.errors import ConfigurationError

__all__ = [
    "chart_to_html",
    "is_degenerate",
    "otsl_to_html",
    "postprocess_answer",
    "rewrite_latex_delimiters",
    "truncate_for_label",
    "truncate_repetitive_content",
]

_KINDS = ("ocr", "table", "formula", "chart", "seal")

#: Answers shorter than this are never truncated (``min_count`` at the official call site).
_TABLE_MIN_COUNT = 5000
_OTHER_MIN_COUNT = 50


def _shortest_repeating_unit(s: str) -> str | None:
    n = len(s)
    for i in range(1, n // 2 + 1):
        if n % i == 0:
            unit = s[:i]
            if unit * (n // i) == s:
                return unit
    return None


def _repeating_suffix(
    s: str, min_len: int = 8, min_repeats: int = 5
) -> tuple[str, str, int] | None:
    # Longest unit first, as upstream: the first unit found decides the cut.
    for i in range(len(s) // min_repeats, min_len - 1, -1):
        unit = s[-i:]
        if s.endswith(unit * min_repeats):
            count = 0
            rest = s
            while rest.endswith(unit):
                rest = rest[:-i]
                count += 1
            return s[: len(s) - count * i], unit, count
    return None


def truncate_repetitive_content(
    content: str, line_threshold: int = 10, char_threshold: int = 10, min_len: int = 10
) -> str:
    """Cut a looping answer down to its non-repeating part (``truncate_repetitive_content``).

    Three detectors, first match wins: a long single line ending in a unit (≥ 8 chars) repeated
    ≥ 5 times that covers over half the line → the prefix before the repeats; a single line that
    is one unit repeated ≥ ``char_threshold`` times → one unit; ≥ ``line_threshold`` non-empty
    lines of which one line makes up ≥ 80 % → that line. Anything else comes back unchanged.
    The official ``min_count`` gate is applied by :func:`truncate_for_label`, not here.

    >>> truncate_repetitive_content("ab" * 10)
    'ab'
    """
    stripped = content.strip()
    if not stripped:
        return content

    if "\n" not in stripped and len(stripped) > 100:
        suffix = _repeating_suffix(stripped, min_len=8, min_repeats=5)
        if suffix:
            prefix, unit, count = suffix
            if len(unit) * count > len(stripped) * 0.5:
                return prefix

    if "\n" not in stripped and len(stripped) > min_len:
        unit_or_none = _shortest_repeating_unit(stripped)
        if unit_or_none and len(stripped) // len(unit_or_none) >= char_threshold:
            return unit_or_none

    lines = [line.strip() for line in content.split("\n") if line.strip()]
    if len(lines) < line_threshold:
        return content
    line, count = Counter(lines).most_common(1)[0]
    if count >= line_threshold and count / len(lines) >= 0.8:
        return line
    return content


def truncate_for_label(label: str, content: str) -> tuple[str, bool]:
    """Apply repetition truncation the way the official call site does; returns (text, truncated).

    Only answers of at least 5000 characters (``table``) or 50 (every other label) are looked at.

    >>> truncate_for_label("text", "same line\\n" * 12)
    ('same line', True)
    """
    min_count = _TABLE_MIN_COUNT if label == "table" else _OTHER_MIN_COUNT
    if len(content) < min_count:
        return content, False
    result = truncate_repetitive_content(content)
    return result, result != content


def is_degenerate(raw: str, finish_reason: str | None) -> bool:
    """Whether an answer looks broken: the token limit was hit, or it is a repetition loop.

    The loop test is :func:`truncate_repetitive_content` with the non-table gate (≥ 50 chars),
    so a short answer is never called a loop.

    >>> is_degenerate("fine", "length"), is_degenerate("1 2 " * 40, "stop"), is_degenerate("ok", "stop")
    (True, True, False)
    """
    if finish_reason == "length":
        return True
    if len(raw) < _OTHER_MIN_COUNT:
        return False
    return truncate_repetitive_content(raw) != raw


def rewrite_latex_delimiters(label: str, content: str) -> str:
    """Turn ``\\( \\)`` / ``\\[ \\]`` into Markdown ``$`` / ``$$`` as the official pipeline does.

    Runs only when the answer holds both ``\\(`` and ``\\)``, or both ``\\[`` and ``\\]``; then every
    existing ``$`` is deleted first, and for ``formula_number`` every ``$`` is deleted afterwards.

    >>> rewrite_latex_delimiters("display_formula", "\\\\[E=mc^2\\\\]")
    ' $$ E=mc^2 $$ '
    """
    if not (("\\(" in content and "\\)" in content) or ("\\[" in content and "\\]" in content)):
        return content
    result = (
        content.replace("$", "")
        .replace("\\(", " $ ")
        .replace("\\)", " $")
        .replace("\\[\\[", "\\[")
        .replace("\\]\\]", "\\]")
        .replace("\\[", " $$ ")
        .replace("\\]", " $$ ")
    )
    if label == "formula_number":
        result = result.replace("$", "")
    return result


_NL, _FCEL, _ECEL, _LCEL, _UCEL, _XCEL = "<nl>", "<fcel>", "<ecel>", "<lcel>", "<ucel>", "<xcel>"
_TAGS = (_NL, _FCEL, _ECEL, _LCEL, _UCEL, _XCEL)
_TAG_GROUP = "(?:<fcel>|<ecel>|<nl>|<lcel>|<ucel>|<xcel>)"
_CELL_PATTERN = re.compile(f"{_TAG_GROUP}.*?(?={_TAG_GROUP}|$)", flags=re.DOTALL)
_SPLIT_PATTERN = "(" + "|".join(_TAGS) + ")"


class _MalformedOtslError(Exception):
    """The OTSL cannot be laid out (upstream raises IndexError on the same input)."""


@dataclass
class _Cell:
    text: str
    start_row: int
    end_row: int
    start_col: int
    end_col: int
    row_span: int = 1
    col_span: int = 1


def _pad_to_rectangle(otsl: str) -> str:
    # Upstream ``otsl_pad_to_sqr_v2``: every row gets the width that minimises the total number
    # of cells added or cut, but never narrower than the last <fcel> of any row.
    otsl = otsl.strip()
    if _NL not in otsl:
        return otsl + _NL
    rows: list[tuple[list[str], int]] = []
    for line in otsl.split(_NL):
        cells = _CELL_PATTERN.findall(line) if line else []
        if not cells:
            continue
        min_len = 0
        for i, cell in enumerate(cells):
            if cell.startswith(_FCEL):
                min_len = i + 1
        rows.append((cells, min_len))
    if not rows:
        return _NL
    start = max(min_len for _, min_len in rows)
    end = max(start, max(len(cells) for cells, _ in rows))
    best_cost = float("inf")
    width = end
    for candidate in range(start, end + 1):
        cost = sum(abs(len(cells) - candidate) for cells, _ in rows)
        if cost < best_cost:
            best_cost = cost
            width = candidate
    repaired = ["".join(cells[:width] + [_ECEL] * (width - len(cells))) for cells, _ in rows]
    return _NL.join(repaired) + _NL


def _parse_cells(texts: list[str], tokens: list[str]) -> tuple[list[_Cell], list[list[str]]]:
    # Upstream ``otsl_parse_texts``, quirks included (an empty <fcel> takes the next tag as its
    # text, a text before the first tag stops the re-alignment), because output parity is the goal.
    rows = [
        list(group) for is_nl, group in itertools.groupby(tokens, lambda t: t == _NL) if not is_nl
    ]
    if rows:
        max_cols = max(len(row) for row in rows)
        for row in rows:
            row.extend([_ECEL] * (max_cols - len(row)))
        aligned: list[str] = []
        idx = 0
        for row in rows:
            for token in row:
                aligned.append(token)
                if idx < len(texts) and texts[idx] == token:
                    idx += 1
                    if idx < len(texts) and texts[idx] not in _TAGS:
                        aligned.append(texts[idx])
                        idx += 1
            aligned.append(_NL)
            if idx < len(texts) and texts[idx] == _NL:
                idx += 1
        texts = aligned

    def count_right(r: int, c: int) -> int:
        # Upstream indexes before checking bounds: when the cell cursor has drifted past the
        # row (malformed OTSL), it raises IndexError and the page fails. Report that as
        # _MalformedOtslError instead, which ``otsl_to_html`` turns into "".
        if r >= len(rows) or c >= len(rows[r]):
            raise _MalformedOtslError
        n = 0
        while rows[r][c] in (_LCEL, _XCEL):
            c, n = c + 1, n + 1
            if c >= len(rows[r]):
                break
        return n

    def count_down(r: int, c: int) -> int:
        n = 0
        while rows[r][c] in (_UCEL, _XCEL):
            r, n = r + 1, n + 1
            if r >= len(rows):
                break
        return n

    cells: list[_Cell] = []
    r_idx = c_idx = 0
    for i, text in enumerate(texts):
        if text in (_FCEL, _ECEL):
            row_span = col_span = 1
            cell_text = ""
            right_offset = 1
            if text != _ECEL:
                cell_text = texts[i + 1]
                right_offset = 2
            next_right = texts[i + right_offset] if i + right_offset < len(texts) else ""
            next_bottom = ""
            if r_idx + 1 < len(rows) and c_idx < len(rows[r_idx + 1]):
                next_bottom = rows[r_idx + 1][c_idx]
            if next_right in (_LCEL, _XCEL):
                col_span += count_right(r_idx, c_idx + 1)
            if next_bottom in (_UCEL, _XCEL):
                row_span += count_down(r_idx + 1, c_idx)
            cells.append(
                _Cell(
                    text=cell_text.strip(),
                    start_row=r_idx,
                    end_row=r_idx + row_span,
                    start_col=c_idx,
                    end_col=c_idx + col_span,
                    row_span=row_span,
                    col_span=col_span,
                )
            )
        if text in (_FCEL, _ECEL, _LCEL, _UCEL, _XCEL):
            c_idx += 1
        if text == _NL:
            r_idx += 1
            c_idx = 0
    return cells, rows


def _export_html(cells: list[_Cell], num_rows: int, num_cols: int) -> str:
    if not cells:
        return ""
    grid = [[_Cell("", i, i + 1, j, j + 1) for j in range(num_cols)] for i in range(num_rows)]
    # Later cells overwrite earlier ones where spans overlap, exactly as upstream's grid.
    for cell in cells:
        for i in range(min(cell.start_row, num_rows), min(cell.end_row, num_rows)):
            for j in range(min(cell.start_col, num_cols), min(cell.end_col, num_cols)):
                grid[i][j] = cell
    body = ""
    for i in range(num_rows):
        body += "<tr>"
        for j in range(num_cols):
            cell = grid[i][j]
            if cell.start_row != i or cell.start_col != j:
                continue
            tag = "td"
            if cell.row_span > 1:
                tag += f' rowspan="{cell.row_span}"'
            if cell.col_span > 1:
                tag += f' colspan="{cell.col_span}"'
            body += f"<{tag}>{html.escape(cell.text.strip())}</td>"
        body += "</tr>"
    return f"<table>{body}</table>"


def otsl_to_html(otsl: str) -> str:
    """Convert the model's OTSL table tokens to HTML (``convert_otsl_to_html``).

    Rows are padded or cut to one best-fit width; ``<lcel>``/``<ucel>``/``<xcel>`` become
    ``colspan``/``rowspan``; cell text is HTML-escaped; there is no ``<thead>``/``<th>``.
    Returns ``""`` when the answer holds no cells, or is so malformed that upstream would raise
    (a span starting past the end of its row), so the caller keeps the raw answer.

    >>> otsl_to_html("<fcel>H1<lcel><fcel>H3<nl><fcel>a<fcel>b<fcel>c<nl>")
    '<table><tr><td colspan="2">H1</td><td>H3</td></tr><tr><td>a</td><td>b</td><td>c</td></tr></table>'
    """
    padded = _pad_to_rectangle(otsl)
    tokens = re.findall(_SPLIT_PATTERN, padded)
    texts = [part for part in re.split(_SPLIT_PATTERN, padded) if part.strip()]
    try:
        cells, rows = _parse_cells(texts, tokens)
    except _MalformedOtslError:
        return ""
    num_cols = max((len(row) for row in rows), default=0)
    return _export_html(cells, len(rows), num_cols)


def chart_to_html(content: str) -> str:
    """Render a chart answer (``a | b\\n1 | 2``) as the HTML table Markdown shows
    (``format_chart2html_table``): first line → ``<th>`` header, every other line → a row.

    Like upstream, cell text is not HTML-escaped.

    >>> chart_to_html("a | b\\n1 | 2").count("<th style='text-align: center;'>")
    2
    """
    lines = content.split("\n")
    head = "".join(f"<th style='text-align: center;'>{c.strip()}</th>" for c in lines[0].split("|"))
    rows = "".join(
        "    <tr>"
        + "".join(f"<td style='text-align: center;'>{c.strip()}</td>" for c in line.split("|"))
        + "</tr>\n"
        for line in lines[1:]
    )
    return (
        "<table border=1 style='margin: auto; width: max-content;'>\n"
        f"  <thead><tr>{head}</tr></thead>\n  <tbody>\n{rows}  </tbody>\n</table>"
    )


def postprocess_answer(label: str, kind: str, raw: str | None) -> tuple[str, bool]:
    """Turn one raw VLM answer into ``block_content``; returns (content, truncated).

    ``kind`` is the prompt that was sent (``ocr``, ``table``, ``formula``, ``chart``). Upstream
    keys the table steps on the label alone; the two agree under official routing, and a block
    counts as a table here when either says so.

    >>> postprocess_answer("display_formula", "formula", "\\\\[E=mc^2\\\\]")
    (' $$ E=mc^2 $$ ', False)
    >>> postprocess_answer("table", "table", "<fcel>a<nl>")
    ('<table><tr><td>a</td></tr></table>', False)
    """
    if kind not in _KINDS:
        raise ConfigurationError(f"unknown recognition kind {kind!r}; expected one of {_KINDS}")
    is_table = kind == "table" or label == "table"
    content = "" if raw is None else raw
    content, truncated = truncate_for_label("table" if is_table else label, content)
    content = rewrite_latex_delimiters(label, content)
    if is_table:
        table_html = otsl_to_html(content)
        if table_html != "":
            content = table_html
    return content, truncated
