"""Box measures every stage shares."""

from __future__ import annotations

from docparse.geometry import insert_position, union

# A two-column page in reading order: the left column's two blocks, then the right one's.
LEFT_TOP = (130.0, 170.0, 597.0, 403.0)
LEFT_MID = (129.0, 800.0, 597.0, 1282.0)
RIGHT_TOP = (634.0, 170.0, 1102.0, 472.0)
RIGHT_FOOT = (633.0, 1406.0, 1094.0, 1556.0)
PAGE = [LEFT_TOP, LEFT_MID, RIGHT_TOP, RIGHT_FOOT]


def test_union_holds_both_boxes() -> None:
    assert union((0, 10, 5, 20), (3, 0, 9, 12)) == (0, 0, 9, 20)


def test_a_found_block_goes_before_the_first_block_below_it_in_its_column() -> None:
    assert insert_position(PAGE, (130.0, 500.0, 597.0, 700.0)) == 1
    assert insert_position(PAGE, (634.0, 1000.0, 1100.0, 1300.0)) == 3


def test_a_found_block_at_a_columns_foot_follows_that_column() -> None:
    # The model missed the last paragraph of the left column: it is read before the right
    # column, not after everything on the page.
    assert insert_position(PAGE, (130.0, 1307.0, 597.0, 1543.0)) == 2
    # Under both columns, or where no block shares its extent, it comes last.
    assert insert_position(PAGE, (130.0, 1600.0, 1100.0, 1650.0)) == 4
    assert insert_position(PAGE, (1110.0, 200.0, 1200.0, 300.0)) == 4
    # A note far under the last block of its column (a "Table continues" at the page's foot)
    # is no part of that column's text: it comes last.
    assert insert_position(PAGE, (700.0, 1900.0, 800.0, 1915.0)) == 4


def test_furniture_is_never_a_found_blocks_neighbour() -> None:
    # A running head over the right column and a footer across the page's foot.
    head, foot = (634.0, 60.0, 1100.0, 90.0), (130.0, 1700.0, 1100.0, 1730.0)
    page = [head, *PAGE, foot]
    flags = [True, False, False, False, False, True]
    # Without the flags, the footer is the first block below a block at the left column's
    # foot and the running head the first below a note above the right column.
    # Under everything, it still goes before the footer.
    assert insert_position(page, (130.0, 1600.0, 1100.0, 1650.0), flags) == 5
    left_foot = (130.0, 1307.0, 597.0, 1400.0)
    assert insert_position(page, left_foot) == 5
    assert insert_position(page, left_foot, flags) == 3
    note = (700.0, 40.0, 900.0, 55.0)
    assert insert_position(page, note) == 0
    assert insert_position(page, note, flags) == 3
