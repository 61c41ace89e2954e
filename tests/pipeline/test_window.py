"""The page window opens gradually and never beyond its limit."""

from __future__ import annotations

import asyncio

import pytest

from docparse.pipeline.window import PageWindow


async def _admitted(window: PageWindow, wanted: int) -> int:
    """How many of ``wanted`` pages get in without any release."""
    got = 0
    for _ in range(wanted):
        try:
            await asyncio.wait_for(window.acquire(), timeout=0.05)
        except TimeoutError:
            break
        got += 1
    return got


def test_the_window_starts_small_and_grows_to_its_limit() -> None:
    async def go() -> list[int]:
        window = PageWindow(7, start=2)
        seen = [await _admitted(window, 10)]  # 2 at first
        window.page_through_cpu_stages()
        seen.append(await _admitted(window, 10))  # +2
        window.page_through_cpu_stages()
        window.page_through_cpu_stages()  # +2, then only +1: the limit is 7
        seen.append(await _admitted(window, 10))
        window.page_through_cpu_stages()  # already full: no growth
        seen.append(await _admitted(window, 10))
        window.release()
        seen.append(await _admitted(window, 10))  # a finished page frees one slot
        seen.append(window.size)
        return seen

    assert asyncio.run(go()) == [2, 2, 3, 0, 1, 7]


def test_a_start_above_the_limit_is_the_limit() -> None:
    async def go() -> int:
        return await _admitted(PageWindow(3, start=8), 10)

    assert asyncio.run(go()) == 3


@pytest.mark.parametrize("args", [(0, 1), (4, 0)])
def test_nonsense_sizes_are_refused(args: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        PageWindow(args[0], start=args[1])
