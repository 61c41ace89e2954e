"""The CPU workers take the oldest page's work first, and stop cleanly."""

from __future__ import annotations

import threading

import pytest

from docparse.pipeline.workers import OldestPageFirstPool


def test_queued_work_runs_oldest_page_first() -> None:
    pool = OldestPageFirstPool(1, "test-worker")
    gate = threading.Event()
    order: list[str] = []
    try:
        blocker = pool.submit_for_page(0, gate.wait)  # holds the only worker
        later = [pool.submit_for_page(seq, order.append, name)
                 for seq, name in [(5, "page 5 preprocess"), (2, "page 2 layout"),
                                   (9, "page 9 preprocess"), (2, "page 2 again"),
                                   (-1, "model load")]]
        untagged = pool.submit(order.append, "no page")
        gate.set()
        blocker.result(timeout=10)
        for f in [*later, untagged]:
            f.result(timeout=10)
    finally:
        pool.shutdown()
    # By page sequence; the same page keeps its submission order; work without a page last.
    assert order == ["model load", "page 2 layout", "page 2 again", "page 5 preprocess",
                     "page 9 preprocess", "no page"]


def test_results_and_exceptions_reach_the_caller() -> None:
    pool = OldestPageFirstPool(2)
    try:
        assert pool.submit_for_page(1, sum, [1, 2, 3]).result(timeout=10) == 6
        with pytest.raises(ZeroDivisionError):
            pool.submit_for_page(1, lambda: 1 / 0).result(timeout=10)
    finally:
        pool.shutdown()


def test_shutdown_cancels_queued_work_and_refuses_new_work() -> None:
    pool = OldestPageFirstPool(1)
    gate, started = threading.Event(), threading.Event()

    def hold() -> bool:
        started.set()
        return gate.wait()

    running = pool.submit_for_page(0, hold)
    assert started.wait(timeout=10)
    queued = pool.submit_for_page(1, lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    gate.set()
    assert running.result(timeout=10) is True  # work already running finishes
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit_for_page(2, lambda: None)


def test_threads_start_on_demand_up_to_the_limit() -> None:
    pool = OldestPageFirstPool(2, "on-demand")
    try:
        assert not [t for t in threading.enumerate() if t.name.startswith("on-demand")]
        gate = threading.Event()
        futures = [pool.submit_for_page(i, gate.wait) for i in range(5)]
        names = {t.name for t in threading.enumerate() if t.name.startswith("on-demand")}
        assert names == {"on-demand_0", "on-demand_1"}
        gate.set()
        assert all(f.result(timeout=10) for f in futures)
    finally:
        pool.shutdown()
    assert not [t for t in threading.enumerate() if t.name.startswith("on-demand")]
