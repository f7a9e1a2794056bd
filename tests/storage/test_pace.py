"""cxrkit.storage.pace: how many reading threads to keep going, decided from injected timings (no clocks)."""

from __future__ import annotations

import threading

import pytest

from cxrkit.storage.pace import ReaderCount, thread_busy_seconds


def feed(plan: ReaderCount, chunks: int, busy_share: float) -> list[int]:
    """Report ``chunks`` reads of 1 s each, every reader busy ``busy_share`` of it; the counts decided."""
    return [plan.observe(wall=1.0, busy=busy_share) for _ in range(chunks)]


def test_a_warm_cache_keeps_one_reader():
    plan = ReaderCount(most=4)
    assert feed(plan, 20, 0.95) == [1] * 20
    assert plan.history == [1]


def test_a_machine_busy_with_other_work_is_not_mistaken_for_the_disk():
    # runnable but not running counts as busy (thread_busy_seconds adds the run-queue wait)
    plan = ReaderCount(most=4)
    assert feed(plan, 10, 0.7) == [1] * 10


def test_a_cold_cache_doubles_the_readers_up_to_most():
    plan = ReaderCount(most=4)
    feed(plan, 1, 0.12)  # one reader, waiting on the disk 88% of the time
    assert plan.wanted == 2
    feed(plan, 2, 0.1)  # each of two readers reports once before the next decision
    assert plan.wanted == 4 and plan.history == [1, 2, 4]
    feed(plan, 40, 0.06)  # still waiting: no more than most
    assert plan.wanted == 4


def test_readers_taking_turns_on_the_gil_are_cut_back_one_at_a_time():
    plan = ReaderCount(most=4)
    feed(plan, 3, 0.1)
    assert plan.wanted == 4
    # the files are now in the page cache: four readers each busy a quarter of the time keep one CPU busy
    assert feed(plan, 4, 0.25) == [4, 4, 4, 3]
    assert feed(plan, 3, 0.33) == [3, 3, 2]
    assert feed(plan, 2, 0.5) == [2, 1]
    assert plan.history == [1, 2, 4, 3, 2, 1]


def test_a_decision_waits_for_every_reader_and_forgets_the_chunks_before_it():
    plan = ReaderCount(most=8)
    feed(plan, 1, 0.1)
    assert plan.wanted == 2
    assert plan.observe(wall=1.0, busy=0.1) == 2  # one of two readers has reported: nothing decided yet
    assert plan.observe(wall=1.0, busy=0.9) == 1  # use = 2 * 1.0 / 2.0: the two kept a CPU busy
    assert plan.observe(wall=1.0, busy=0.6) == 1  # only this chunk counts now: 0.6 is between the thresholds
    assert plan.history == [1, 2, 1]


def test_odd_timings_are_clamped():
    plan = ReaderCount(most=2)
    assert plan.observe(wall=0.0, busy=0.0) == 1  # no time measured: nothing decided
    assert plan.observe(wall=1.0, busy=5.0) == 1  # busy longer than the wall: counted as the wall
    assert plan.observe(wall=1.0, busy=-1.0) == 2  # a clock that went back: counted as zero
    with pytest.raises(ValueError):
        ReaderCount(most=0)


def test_thread_busy_seconds_is_per_thread():
    out = {}

    def idle():
        start = thread_busy_seconds()
        threading.Event().wait(0.05)
        out["idle"] = thread_busy_seconds() - start

    t = threading.Thread(target=idle)
    start = thread_busy_seconds()
    t.start()
    sum(i * i for i in range(300_000))  # this thread works while the other sleeps
    t.join()
    mine = thread_busy_seconds() - start
    assert 0 <= out["idle"] < mine
