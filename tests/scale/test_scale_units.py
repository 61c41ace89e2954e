"""The Ray engine's pure parts, without Ray: page ranges, the request limiter, the work store
and discovery on fsspec filesystems (``memory://``)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from docparse.document import Page
from docparse.pagespec import select_pages
from docparse.scale.limiter import RequestLimiter
from docparse.scale.plan import page_spec, split_pages
from docparse.scale.storage import FsPageStore, discover, is_url, join


def test_page_specs_round_trip_through_the_page_option() -> None:
    assert page_spec([0, 1, 2, 6]) == "1-3,7"
    assert page_spec([4]) == "5"
    chosen = select_pages("2-4,9,11-12", 20)
    specs = split_pages(chosen, 2)
    assert specs == ["2-3", "4,9", "11-12"]
    assert [i for s in specs for i in select_pages(s, 20)] == chosen


def test_the_limiter_never_lends_more_than_its_capacity_and_frees_a_dead_holder() -> None:
    async def scenario() -> tuple[int, int, dict[str, int]]:
        lim = RequestLimiter(2)
        in_use = 0
        peak = 0

        async def request(holder: str) -> None:
            nonlocal in_use, peak
            await lim.acquire(holder)
            in_use += 1
            peak = max(peak, in_use)
            await asyncio.sleep(0.001)
            in_use -= 1
            await lim.release(holder)

        await asyncio.gather(*(request(f"w{i % 3}") for i in range(30)))
        # A worker dies holding both permits: the waiting one proceeds once they are freed.
        await lim.acquire("dead")
        await lim.acquire("dead")
        waiter = asyncio.ensure_future(lim.acquire("alive"))
        await asyncio.sleep(0.01)
        assert not waiter.done()
        freed = await lim.release_all("dead")
        await asyncio.wait_for(waiter, 1)
        return peak, freed, await lim.snapshot()

    peak, freed, snap = asyncio.run(scenario())
    assert peak == 2 and freed == 2
    assert snap == {"capacity": 2, "in_use": 1, "max_in_use": 2, "waiting": 0}


@pytest.mark.parametrize("base", ["memory://docparse-test/out", "local"])
def test_work_store_resume_semantics(base: str, tmp_path: Path) -> None:
    location = str(tmp_path / "work") if base == "local" else f"{base}/{tmp_path.name}"
    outputs = {"format": ["json", "md"], "per_page": False}
    page = Page(input_path="a.pdf", page_index=3, page_count=5, width=10, height=10)
    store = FsPageStore(location, {"input_sha256": "1", "options": {}})
    assert store.prepare(resume=False, outputs=outputs) is False
    store.save(page, {"p3_img.jpg": b"jpeg"})
    again = FsPageStore(location, {"input_sha256": "1", "options": {}})
    loaded = again.load(3)
    assert loaded is not None and loaded[0] == page
    assert dict(again.images()) == {"p3_img.jpg": b"jpeg"}
    again.mark_complete(outputs)
    assert again.load(3) is None and dict(again.images()) == {}
    # Finished: skipped with --resume; without it, or once the input changed, started over.
    assert FsPageStore(location, {"input_sha256": "1", "options": {}}).prepare(
        resume=True, outputs=outputs) is True
    assert FsPageStore(location, {"input_sha256": "1", "options": {}}).prepare(
        resume=True, outputs={**outputs, "per_page": True}) is False
    changed = FsPageStore(location, {"input_sha256": "2", "options": {}})
    assert changed.prepare(resume=True, outputs=outputs) is False
    assert changed.state() == {"fingerprint": changed.fingerprint, "complete": False,
                               "outputs": {}}


def test_discovery_on_an_object_store_mirrors_sub_folders_and_keeps_stems_unique() -> None:
    import fsspec

    fs = fsspec.filesystem("memory")
    for name in ("in/a.pdf", "in/sub/b.png", "in/sub/b.pdf", "in/.hidden/c.pdf", "in/notes.txt"):
        fs.pipe_file(f"/bucket/{name}", b"x")
    refs, problems = discover(["memory://bucket/in/", "memory://bucket/missing"], "memory://o")
    assert [(r.uri, r.relative_dir, r.stem, r.local) for r in refs] == [
        ("memory://bucket/in/a.pdf", "", "a", False),
        ("memory://bucket/in/sub/b.pdf", "sub", "b.pdf", False),
        ("memory://bucket/in/sub/b.png", "sub", "b.png", False),
    ]
    assert len(problems) == 1 and problems[0].startswith("memory://bucket/missing:")
    globbed, _ = discover(["memory://bucket/in/sub/*.png"], "memory://o")
    assert [r.uri for r in globbed] == ["memory://bucket/in/sub/b.png"]


def test_locations() -> None:
    assert is_url("s3://b/k") and is_url("file:///tmp/x") and not is_url("/tmp/x")
    assert not is_url("C:\\docs")
    assert join("s3://b/out", "", "sub", "x") == "s3://b/out/sub/x"
    assert join("/tmp/out", ".") == "/tmp/out"
