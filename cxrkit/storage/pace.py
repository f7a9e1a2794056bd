"""How many threads should read at once: one, unless the reading waits on the disk.

Reading many small files in Python holds the GIL for much of each file (opening it, building the objects),
so with a warm page cache extra reading threads mostly take turns (227,835 report files: about as fast with
one thread as with four, on 2 loaded cores), while with a cold cache each thread mostly waits on the disk
and more of them keep it busy (36-43 s with one, 20-22 s with four). :class:`ReaderCount` tells the two apart
from chunks read by one thread alone: the share of their wall time the thread slept (neither running nor
waiting for a CPU: :func:`thread_busy_seconds`) is time spent waiting on the disk. With several readers the
sleeps are also waits for the GIL, so it reads a chunk alone again now and then to look once more.

Examples
--------
>>> plan = ReaderCount(most=4)
>>> plan.observe(wall=1.0, busy=0.2, alone=True)  # asleep 80% of the time: the disk, or a slow start?
1
>>> plan.observe(wall=1.0, busy=0.2, alone=True)  # again: waiting on the disk
4
>>> [plan.observe(wall=1.0, busy=0.3, alone=False) for _ in range(8)][-1]  # after 8 chunks: look again
1
>>> plan.observe(wall=1.0, busy=0.95, alone=True)  # the files are in the page cache now
1
"""

from __future__ import annotations

import time

__all__ = ["ReaderCount", "thread_busy_seconds"]


def _schedstat() -> float | None:
    try:
        with open("/proc/thread-self/schedstat", "rb") as fh:
            run_ns, wait_ns = fh.read().split()[:2]
    except (OSError, ValueError):
        return None
    return (int(run_ns) + int(wait_ns)) / 1e9


def thread_busy_seconds() -> float:
    """Seconds the calling thread has been running or runnable (waiting in the run queue for a CPU).

    On Linux from ``/proc/thread-self/schedstat``, so a thread slowed down by other processes on the CPUs
    counts as busy, not as waiting on the disk; elsewhere its CPU time (:func:`time.thread_time`).
    Only differences between two calls in the same thread mean anything.
    """
    busy = _schedstat()
    return time.thread_time() if busy is None else busy


class ReaderCount:
    """The number of reading threads to keep going, decided from what the chunks read alone took.

    It starts at one. Each chunk read alone (:meth:`observe` with ``alone=True``) decides: a thread asleep
    more than ``waiting`` of the chunk's wall time was waiting on the disk, so ``most`` readers; otherwise
    one. The first switch needs ``confirm`` such chunks in a row: a run's first chunk also waits for what
    is first touched (the interpreter's pages, the folder listings), and once sent a warm run to four
    readers. While more than one reads, it goes back to one after ``recheck`` chunks, to read one alone and
    look again (the interval doubles each time the look confirms the disk waits).

    Parameters
    ----------
    most
        The readers it asks for when the reading waits on the disk.
    waiting
        The share of a lone reader's time asleep above which the reading waits on the disk. Measured on the
        227,835 report files, 2 cores at a load of 3-4: 0.00-0.14 a chunk from the page cache (waits for the
        GIL), 0.31-0.64 from a cold cache (the rest is running, or waiting for a CPU after each read).
    recheck
        Chunks read by several threads before the first look again.
    confirm
        Lone chunks in a row that must find the disk waits before the first switch to ``most``.
    """

    def __init__(self, most: int, *, waiting: float = 0.25, recheck: int = 8, confirm: int = 2) -> None:
        if most < 1:
            raise ValueError(f"most must be at least 1, not {most}")
        self.most = most
        self.waiting = waiting
        self.recheck = recheck
        self.confirm = confirm
        self._votes = 0  # lone chunks in a row that found the disk waits
        self.wanted = 1
        self.history: list[int] = [1]  # every count decided, in order (for reports and tests)
        self._since = 0

    def _set(self, wanted: int) -> None:
        if wanted != self.wanted:
            self.wanted = wanted
            self.history.append(wanted)

    def observe(self, wall: float, busy: float, *, alone: bool) -> int:
        """One chunk read: its wall time, its reading thread's busy time (seconds) and whether no other
        chunk was read meanwhile. Returns how many readers to keep going from now on."""
        if alone:
            if wall > 0:
                asleep = 1.0 - min(max(busy, 0.0), wall) / wall
                if asleep > self.waiting:
                    self._votes += 1
                    if len(self.history) == 1 and self._votes < self.confirm:
                        return self.wanted  # not yet switched once: wait for another lone chunk to agree
                    if self.wanted == 1 and len(self.history) > 2:  # the look confirmed it: look less often
                        self.recheck *= 2
                    self._since = 0
                    self._set(self.most)
                else:
                    self._votes = 0
                    self._set(1)
            return self.wanted
        self._since += 1
        if self.wanted > 1 and self._since >= self.recheck:
            self._set(1)
        return self.wanted
