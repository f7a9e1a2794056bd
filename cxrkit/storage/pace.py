"""How many threads should read at once: one, unless the reading waits on the disk.

Reading many small files in Python holds the GIL for most of each file (opening it, building the objects), so
with a warm page cache extra reading threads only take turns and slow each other down (227,835 report files:
3.6 s with one thread, 6.1 s with four), while with a cold cache each thread mostly waits on the disk and more
of them keep it busy (31 s with one, 15 s with four). :class:`ReaderCount` tells the two apart from what the
reading threads report for each chunk they read: its wall time and the time the thread was busy (running,
or ready to run and waiting for a CPU: :func:`thread_busy_seconds`). The rest of the wall time the thread
slept: on the disk, or on the GIL held by another reader.

Examples
--------
>>> plan = ReaderCount(most=4)
>>> plan.observe(wall=1.0, busy=0.2)  # one reader, busy a fifth of the time: waiting on the disk
2
>>> [plan.observe(wall=1.0, busy=0.48) for _ in range(2)]  # two readers keep about one CPU busy
[2, 1]
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
    """The number of reading threads to keep going, decided from what each chunk read took.

    It starts at one. After every current reader has reported a chunk (:meth:`observe`), it estimates how
    much of one CPU the readers keep busy, ``use = readers * sum(busy) / sum(wall)`` over those chunks (the
    GIL lets the readers use about one CPU between them):

    * ``use < low``: the readers mostly wait on the disk, so twice as many (at most ``most``);
    * ``use > high`` with more than one reader: they are taking turns on the GIL, so one fewer;
    * otherwise it stays.

    Parameters
    ----------
    most
        The most readers it asks for.
    low, high
        The thresholds on ``use``.
    """

    def __init__(self, most: int, *, low: float = 0.5, high: float = 0.85) -> None:
        if most < 1:
            raise ValueError(f"most must be at least 1, not {most}")
        self.most = most
        self.low = low
        self.high = high
        self.wanted = 1
        self.history: list[int] = [1]  # every count decided, in order (for reports and tests)
        self._wall = 0.0
        self._busy = 0.0
        self._seen = 0

    def observe(self, wall: float, busy: float) -> int:
        """One chunk read: its wall time and its reading thread's busy time (seconds). Returns how many
        readers to keep going from now on."""
        self._wall += max(wall, 0.0)
        self._busy += min(max(busy, 0.0), max(wall, 0.0))
        self._seen += 1
        if self._seen < self.wanted or self._wall <= 0:
            return self.wanted
        use = self.wanted * self._busy / self._wall
        wanted = self.wanted
        if use < self.low:
            wanted = min(self.most, 2 * wanted)
        elif use > self.high:
            wanted = max(1, wanted - 1)
        self._wall = self._busy = 0.0
        self._seen = 0
        if wanted != self.wanted:
            self.wanted = wanted
            self.history.append(wanted)
        return self.wanted
