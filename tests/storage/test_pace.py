"""cxrkit.storage.pace: how many reading threads to keep going, decided from injected timings (no clocks)."""

from __future__ import annotations

import threading

import pytest

from cxrkit.storage.pace import ReaderCount, thread_busy_seconds


def together(plan: ReaderCount, chunks: int, busy_share: float = 0.3) -> list[int]:
    """Report ``chunks`` reads of 1 s each made while other reads ran; the counts decided."""
    return [plan.observe(wall=1.0, busy=busy_share, alone=False) for _ in range(chunks)]


def test_a_warm_cache_keeps_one_reader():
    plan = ReaderCount(most=4)
    assert [plan.observe(wall=1.0, busy=0.95, alone=True) for _ in range(20)] == [1] * 20
    assert plan.history == [1]


def test_a_machine_busy_with_other_work_is_not_mistaken_for_the_disk():
    # waiting for a CPU counts as busy (thread_busy_seconds adds the run-queue wait): asleep only 15%
    plan = ReaderCount(most=4, confirm=1)
    assert plan.observe(wall=1.0, busy=0.85, alone=True) == 1
    assert plan.observe(wall=1.0, busy=0.65, alone=True) == 4  # asleep 35%: the disk


def test_a_cold_cache_gets_the_most_readers_and_is_looked_at_again_less_and_less_often():
    plan = ReaderCount(most=4, recheck=2, confirm=1)
    assert plan.observe(wall=1.0, busy=0.12, alone=True) == 4  # asleep 88% of the time: the disk
    assert together(plan, 2) == [4, 1]  # after 2 chunks, one is read alone
    assert plan.observe(wall=1.0, busy=0.1, alone=True) == 4  # still the disk: look half as often
    assert together(plan, 4) == [4, 4, 4, 1]
    assert plan.observe(wall=1.0, busy=0.1, alone=True) == 4
    assert together(plan, 7) == [4] * 7
    assert plan.history == [1, 4, 1, 4, 1, 4]


def test_readers_on_files_that_became_cached_go_back_to_one():
    plan = ReaderCount(most=4, recheck=3, confirm=1)
    plan.observe(wall=1.0, busy=0.1, alone=True)
    # sleeps while several read are GIL waits as much as disk waits: they decide nothing
    assert together(plan, 3, busy_share=0.25) == [4, 4, 1]
    assert plan.observe(wall=1.0, busy=0.9, alone=True) == 1  # alone, hardly asleep: the page cache
    assert together(plan, 10) == [1] * 10  # one reader stays one
    assert plan.history == [1, 4, 1]


def test_one_slow_first_chunk_is_not_enough_to_add_readers():
    # a warm run's first chunk also waits for what is first touched: once it alone sent a run to 4 readers
    plan = ReaderCount(most=4)
    assert plan.observe(wall=1.0, busy=0.5, alone=True) == 1  # asleep half the time, once
    assert [plan.observe(wall=1.0, busy=0.95, alone=True) for _ in range(5)] == [1] * 5
    assert plan.history == [1]
    assert plan.observe(wall=1.0, busy=0.2, alone=True) == 1  # one vote again, not two in a row
    assert plan.observe(wall=1.0, busy=0.2, alone=True) == 4  # two in a row: the disk
    assert together(plan, 8) == [4] * 7 + [1]
    assert plan.observe(wall=1.0, busy=0.2, alone=True) == 4  # once switched, one look decides
    assert plan.history == [1, 4, 1, 4]


def test_odd_timings_are_clamped():
    plan = ReaderCount(most=2, confirm=1)
    assert plan.observe(wall=0.0, busy=0.0, alone=True) == 1  # no time measured: nothing decided
    assert plan.observe(wall=1.0, busy=5.0, alone=True) == 1  # busy longer than the wall: the wall
    assert plan.observe(wall=1.0, busy=-1.0, alone=True) == 2  # a clock that went back: zero
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
