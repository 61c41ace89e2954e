"""Section title levels across the document."""

from __future__ import annotations

from assemble_builders import block, document, headings, page

from docparse.assemble.headings import (
    compute_levels,
    height_ranks,
    kmeans_1d,
    line_height,
    numbering_of,
    relevel_titles,
)
from docparse.assemble.markdown import MarkdownParams, render_document
from docparse.document import Block


def _title(i: int, text: str, height: int = 30, y: int = 100) -> Block:
    return block(i, "paragraph_title", text, (100, y, 100 + 16 * len(text), y + height))


def test_numbered_headings_of_three_levels() -> None:
    doc = document(
        page(
            0,
            block(0, "doc_title", "Document Parsing", (100, 20, 900, 80)),
            _title(1, "1 Introduction", y=100),
            _title(2, "1.1 Scope", y=200),
            _title(3, "1.1.1 Inputs", y=300),
        ),
        page(1, _title(0, "2 Methods", y=100), _title(1, "2.1 Layout", y=200)),
    )
    out = relevel_titles(doc)
    assert [b.title_level for b in out.blocks] == [None, 1, 2, 3, 1, 2]
    assert headings(render_document(out, MarkdownParams())) == [
        ("h1", "Document Parsing"),
        ("h2", "1 Introduction"),
        ("h3", "1.1 Scope"),
        ("h4", "1.1.1 Inputs"),
        ("h2", "2 Methods"),
        ("h3", "2.1 Layout"),
    ]


def test_keywords_are_top_level_and_heights_rank_the_rest() -> None:
    titles = ["Abstract", "Overview", "Details", "Fine print", "REFERENCES"]
    heights = [24.0, 40.0, 30.0, 24.0, 24.0]
    assert compute_levels(titles, heights) == [1, 1, 2, 3, 1]


def test_height_noise_is_one_cluster() -> None:
    assert set(height_ranks([30.0, 31.0, 29.0, 30.5]).values()) == {1}
    ranks = height_ranks([48.0, 47.0, 30.0, 31.0, 20.0, 14.0, 10.0])
    assert ranks[48.0] == 1 and ranks[30.0] == 2 and ranks[10.0] == 4
    assert kmeans_1d([1.0, 2.0, 10.0, 11.0], [0.0, 5.0]) == [1.5, 10.5]


def test_numbering_styles() -> None:
    n = numbering_of("1.2.3 Deep")
    assert n is not None and (n.style, n.level) == ("NUM_LIST", 3)
    assert numbering_of("IV. Results") is not None
    assert numbering_of("(2) Details").level == 4  # type: ignore[union-attr]
    assert numbering_of("第三章 方法") is not None and numbering_of("三、方法") is not None
    assert numbering_of("B. Proofs").level == 2  # type: ignore[union-attr]
    assert numbering_of("2024 Annual Report") is None
    assert numbering_of("3D Reconstruction") is None


def test_bare_letter_counts_only_with_a_second_marker() -> None:
    # "A Study…" alone is an article, not numbering: the height decides (one size → level 1).
    assert compute_levels(["A Study of Tables", "Results"], [30.0, 30.0]) == [1, 1]
    # Appendix sections "A …", "B …" after numbered sections: letters are the second style.
    levels = compute_levels(["1 Intro", "2 Method", "A Proofs", "B Data"], [30.0] * 4)
    assert levels == [1, 1, 2, 2]


def test_line_height_of_wrapped_title_without_line_breaks() -> None:
    one = block(0, "paragraph_title", "Short", (0, 0, 80, 30))
    wrapped = block(1, "paragraph_title", "A rather long section title that wraps", (0, 0, 320, 60))
    assert abs(line_height(one) - line_height(wrapped)) < 3
    broken = block(2, "paragraph_title", "Two\nlines", (0, 0, 100, 60))
    assert line_height(broken) == 30


def test_failed_titles_and_doc_title_are_left_alone() -> None:
    doc = document(
        page(0, block(0, "doc_title", "T"), block(1, "paragraph_title", "", status="failed"))
    )
    assert relevel_titles(doc) == doc


def test_sections_numbered_from_depth_two_start_at_level_one() -> None:
    # Chapters titled without their number: sections start at "1.1"; no level is skipped.
    # A taller unnumbered title puts "1.1" in the second size cluster, so size and depth
    # would outvote the order of styles without the shift.
    titles = ["Preface", "1.1 Fundamentals", "1.3.1 Existing controls", "2.2 Duties", "2.2.1 Roles"]
    assert compute_levels(titles, [40.0, 31.0, 25.0, 31.0, 25.0]) == [1, 1, 2, 1, 2]
    # A document that does use "1" keeps upstream's depths.
    assert compute_levels(["1 Intro", "1.1 Scope", "1.1.1 Inputs"], [34.0, 30.0, 26.0]) == [1, 2, 3]


def test_unnumbered_titles_take_the_level_of_numbered_titles_of_their_size() -> None:
    # One-off cover lines (67.5, 56) and a stray small title (18) must not take the clusters
    # the section sizes need.
    titles = [
        "Authors", "1.1 Security fundamentals", "1.2 Current state", "1.3.1 Existing controls",
        "Column mask", "2.2 Separation of duties", "3.2.2 Built-in variables", "ENABLE ;",
        "Row and Column Access Control", "IBM.",
    ]  # fmt: skip
    heights = [31.0, 31.0, 31.0, 25.0, 24.0, 31.0, 26.0, 18.0, 67.5, 56.0]
    assert compute_levels(titles, heights) == [1, 1, 1, 2, 2, 1, 2, 2, 1, 1]
    # Sizes no numbered title uses: taller than all → 1; else one below the nearest taller.
    assert compute_levels(["Big", "1 A", "Small", "2 B"], [60.0, 30.0, 20.0, 30.0]) == [1, 1, 2, 1]


def test_most_used_sizes_seed_the_clusters() -> None:
    ranks = height_ranks([67.5, 56.0, 31.0, 31.0, 32.0, 25.0, 26.0, 24.0, 18.0])
    assert ranks[31.0] == ranks[32.0] != ranks[25.0] == ranks[24.0]
    assert ranks[67.5] < ranks[31.0] < ranks[25.0]
