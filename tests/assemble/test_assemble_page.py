"""Where blocks found outside every layout box go among the page's blocks (assemble_page)."""

from __future__ import annotations

from docparse.assemble.page import assemble_page
from docparse.blocks import PlannedBlock
from docparse.content import BlockContent, ExtraBlock


def _planned(block_id: int, label: str, bbox: tuple[int, int, int, int]) -> PlannedBlock:
    furniture = label == "footer"
    return PlannedBlock(block_id=block_id, label=label, bbox=bbox, order=block_id,
                        block_order=None if furniture else block_id + 1,
                        route="skip" if furniture else "ocr", group_id=block_id)


def _assembled(extras: list[ExtraBlock]) -> list[str]:
    # A left column (a question), a right column, and a running foot across the page.
    planned = [_planned(0, "text", (100, 100, 450, 300)), _planned(1, "text", (550, 100, 900, 900)),
               _planned(2, "footer", (100, 1300, 900, 1340))]
    contents = {0: BlockContent("Question 3", "builtin-ocr"), 1: BlockContent("Question 7", "builtin-ocr"),
                2: BlockContent("", "none", "skipped")}
    page = assemble_page(input_path="exam.png", page_index=None, page_count=None, width=1000,
                         height=1400, model_settings={}, planned=planned, contents=contents,
                         extra_blocks=extras)
    return [b.block_label if b.block_label == "footer" else b.block_content
            for b in page.parsing_res_list]


def test_found_blocks_at_a_columns_foot_follow_its_text_not_the_page_footer() -> None:
    # The answer choices under question 3, which no box held: nothing of the body stands
    # below them. Placed before the footer (the first block below them), they were read after
    # the whole right column; they follow the block above them in their column, and the
    # choices of one row go left to right whichever was found first.
    right = ExtraBlock("text", (260, 330, 330, 400), "C 2/3", "builtin-ocr")
    left = ExtraBlock("text", (120, 331, 200, 400), "A 1/3", "builtin-ocr")
    assert _assembled([right, left]) == ["Question 3", "A 1/3", "C 2/3", "Question 7", "footer"]
    assert _assembled([left, right]) == ["Question 3", "A 1/3", "C 2/3", "Question 7", "footer"]


def test_a_found_block_under_everything_goes_before_the_footer() -> None:
    note = ExtraBlock("text", (100, 1000, 900, 1040), "Turn over.", "builtin-ocr")
    assert _assembled([note]) == ["Question 3", "Question 7", "Turn over.", "footer"]


def test_found_furniture_takes_no_place_in_the_reading_order() -> None:
    # A disclaimer in small type at the page's foot, found outside the boxes as a footer:
    # kept, with no block_order, and the blocks after it are numbered as if it were not there.
    planned = [_planned(0, "text", (100, 100, 900, 300))]
    foot = ExtraBlock("footer", (100, 1350, 900, 1390), "Given in good faith.", "text-layer")
    note = ExtraBlock("text", (100, 400, 900, 440), "Turn over.", "text-layer")
    page = assemble_page(input_path="p.pdf", page_index=0, page_count=1, width=1000, height=1400,
                         model_settings={}, planned=planned,
                         contents={0: BlockContent("Question 3", "text-layer")},
                         extra_blocks=[foot, note])
    assert [(b.block_label, b.block_order) for b in page.parsing_res_list] == [
        ("text", 1), ("text", 2), ("footer", None)]
