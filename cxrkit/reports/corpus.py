"""The whole corpus of reports as a frame: every report of a ``files/`` tree or of the reports zip, read in
parallel once and cached as parquet (:func:`read_reports`), with the section columns added
(:func:`read_sections`, also cached); :func:`ingest_reports` gives the frame with what happened on the way.

Examples
--------
>>> import cxrkit
>>> frame = read_sections(cxrkit.open_dataset().root, progress=False)
>>> {"study_id", "findings", "impression"} <= set(frame.columns)
True
"""

from __future__ import annotations

import array
import collections
import concurrent.futures
import hashlib
import itertools
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from .. import layout
from ..errors import ReportReadError
from ..storage.cache import Cache, file_identity, identity_key, wait_for_writes
from ..storage.pace import ReaderCount, thread_busy_seconds
from ..storage.scan import default_workers, map_paths
from ..storage.tree import patient_dirs
from .encoding import MAX_REPORT_BYTES, decode_report, read_file_capped, report_too_large
from .entry import EntryWriter, read_entry
from .read import read_report
from .sections import PARSER_VERSION, SECTION_COLUMNS, sections_frame
from .zipread import (
    MEMBER_FIELDS,
    TEXT_SCHEMA,
    read_members,
    report_members,
)

__all__ = [
    "INGEST_VERSION",
    "ReportCorpus",
    "ReportIngestWarning",
    "ingest_reports",
    "read_reports",
    "read_sections",
    "wait_for_cache_writes",
]

#: Version of the ingest (columns, decoding); part of the cache key of :func:`read_reports`.
INGEST_VERSION = 2  # 2: the cache entry is a folder of a parquet file per chunk

# --- corpus ingest ----------------------------------------------------------------------------------------

_VERSIONS = (INGEST_VERSION, PARSER_VERSION)
_SCHEMA = {
    "subject_id": pl.Int64,
    "study_id": pl.Int64,
    "text": pl.String,
    "path": pl.String,
    "error": pl.String,
}


class ReportIngestWarning(UserWarning):
    """Some reports of a corpus could not be read, or a zip held members that are not reports."""


@dataclass
class ReportCorpus:
    """What :func:`ingest_reports` returns: the frame and a ``detail`` dict of corpus-level facts.

    ``detail`` keys: ``source``, ``kind`` (``folder``, ``zip`` or ``paths``), ``reports`` (rows),
    ``errors`` (rows with an error), ``skipped_members`` and ``skipped_examples`` (zip members not shaped like
    a report), ``duplicates`` (zip members of a study already read), ``recovered`` (only for a truncated zip
    read by scanning its local headers: what happened), ``cached`` (read from the cache), ``readers`` (only
    for a default run that read: the reading threads decided, in order).
    """

    frame: pl.DataFrame
    detail: dict[str, Any] = field(default_factory=dict)


_CHUNK_SCHEMA = TEXT_SCHEMA  # what a chunk read gives, whichever the source


def _read_files(root: str, rels: list[str]) -> pl.DataFrame:
    texts: list[str | None] = []
    errors: list[str | None] = []
    prefix = root if root.endswith("/") else root + "/"  # os.path.join, without a call per file
    for rel in rels:
        path = rel if rel.startswith("/") else prefix + rel
        try:
            if path.endswith(".txt"):  # the hot path: a plain local file, opened directly (no Path objects)
                try:
                    raw = read_file_capped(path)
                    if len(raw) <= MAX_REPORT_BYTES:
                        texts.append(decode_report(raw))
                        errors.append(None)
                        continue
                    raise report_too_large(path)
                except OSError:
                    pass  # let read_report raise the error that names the file
            texts.append(read_report(path))
            errors.append(None)
        except ReportReadError as exc:
            texts.append(None)
            errors.append(str(exc))
    return pl.DataFrame({"path": rels, "text": texts, "error": errors}, schema=_CHUNK_SCHEMA)


def _read_patients(root: str, patient_dirs: list[str]) -> pl.DataFrame:
    """Read every report in these patient folders (``files/pNN/pSUBJECT``):
    the walk happens in the workers."""
    rels: list[str] = []
    failed: list[tuple[str, str]] = []
    for rel_dir in patient_dirs:
        try:
            with os.scandir(os.path.join(root, rel_dir)) as it:
                rels.extend(
                    f"{rel_dir}/{e.name}"
                    for e in it
                    if layout.REPORT_NAME_RE.fullmatch(e.name) and e.is_file()
                )
        except OSError as exc:
            failed.append((rel_dir, f"cannot list {os.path.join(root, rel_dir)}: {exc}"))
    rels.sort()
    frame = _read_files(root, rels)
    if failed:
        frame = pl.concat(
            [
                frame,
                pl.DataFrame(
                    {
                        "path": [f[0] for f in failed],
                        "text": [None] * len(failed),
                        "error": [f[1] for f in failed],
                    },
                    schema=_CHUNK_SCHEMA,
                ),
            ]
        )
    return frame


def read_chunk(task: tuple[str, str, Any, bool]) -> pl.DataFrame:
    """Read one chunk: patient folders, report paths or zip members (a frame of :data:`MEMBER_FIELDS`, made
    :data:`~cxrkit.reports.zipread.Member` tuples here, a chunk at a time: the tuples of all 227,835 members
    at once took about 80 MiB)."""
    kind, where, items, _ = task
    if kind == "zip":
        return read_members(where, items.rows() if isinstance(items, pl.DataFrame) else items)
    if kind == "folder":
        return _read_patients(where, items)
    return _read_files(where, items)


def _sectioned(frame: pl.DataFrame) -> pl.DataFrame:
    """:func:`sections_frame` of a chunk; should it fail, the texts are kept
    (null sections) and ``error`` says why."""
    try:
        return sections_frame(frame)  # type: ignore[return-value]
    except Exception as exc:  # noqa: BLE001 - a bug in the rules must not lose the texts read
        message = pl.lit(f"cannot cut into sections: {type(exc).__name__}: {exc}")
        return frame.with_columns(pl.coalesce("error", message).alias("error"))


def _ingest_chunk(task: tuple[str, str, list[Any], bool]) -> dict[str, Any]:
    """Worker of a given executor: read one chunk, optionally section it."""
    frame = read_chunk(task)
    return {"frame": _sectioned(frame) if task[3] else frame}


def _timed_read(task: tuple[str, str, list[Any], bool]) -> tuple[pl.DataFrame, float, float]:
    """:func:`read_chunk`, with its wall time and the time its thread was busy (for :class:`ReaderCount`)."""
    wall, busy = time.perf_counter(), thread_busy_seconds()
    frame = read_chunk(task)
    return frame, time.perf_counter() - wall, thread_busy_seconds() - busy


def _ingest_locally(
    tasks: list[tuple[str, str, list[Any], bool]],
    kind: str,
    finish: Callable[[int, pl.DataFrame | None, str | None], pl.DataFrame],
    progress: bool,
    desc: str,
) -> tuple[list[pl.DataFrame], list[int]]:
    """The default run, in threads of this process: reading threads hand each chunk to a pool of finishing
    threads (one per CPU: ``finish(i, frame, error)`` sections it, writes it to the cache entry and keeps the
    caller's columns, mostly in polars without the GIL) as soon as it is read. Returns the finished chunks
    in order and the reader counts used.

    Reading holds the GIL (opening files, inflating, decoding), so the number of chunks read at once is
    decided as it goes (:class:`~cxrkit.storage.pace.ReaderCount`): one reader, more only while a chunk read
    alone shows the reading waiting on the disk. A chunk whose reading raised is finished with ``error`` (one
    error row per item). At most a few read chunks wait for a finishing thread, so a slow sectioning never
    holds many texts."""
    finishers = default_workers()
    plan = ReaderCount(_most_readers(kind))
    results: list[pl.DataFrame | None] = [None] * len(tasks)
    todo = collections.deque(range(len(tasks)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(tasks), desc=desc, unit="chunk")
    with (
        concurrent.futures.ThreadPoolExecutor(plan.most) as readers,
        concurrent.futures.ThreadPoolExecutor(finishers) as finishing,
    ):
        live: dict[concurrent.futures.Future, tuple[int, str]] = {}
        counts = {"read": 0, "finish": 0}
        alone: dict[int, bool] = {}

        def submit(pool: Any, stage: str, i: int, fn: Callable, *args: Any) -> None:
            live[pool.submit(fn, *args)] = (i, stage)
            counts[stage] += 1

        try:
            while todo or live:
                while (
                    todo and counts["read"] < plan.wanted and sum(counts.values()) < plan.wanted + finishers
                ):
                    i = todo.popleft()
                    alone[i] = counts["read"] == 0 and plan.wanted == 1  # no other read can start meanwhile
                    submit(readers, "read", i, _timed_read, tasks[i])
                done, _ = concurrent.futures.wait(live, return_when=concurrent.futures.FIRST_COMPLETED)
                for fut in done:
                    i, stage = live.pop(fut)
                    counts[stage] -= 1
                    if stage == "finish":
                        results[i] = fut.result()
                        if bar is not None:
                            bar.update(1)
                        continue
                    try:
                        frame, wall, busy = fut.result()
                    except Exception as exc:  # noqa: BLE001 - an unreadable chunk gets error rows, as in map_paths
                        submit(finishing, "finish", i, finish, i, None, f"{type(exc).__name__}: {exc}")
                    else:
                        plan.observe(wall, busy, alone=alone[i])
                        submit(finishing, "finish", i, finish, i, frame, None)
        finally:
            for fut in live:
                fut.cancel()
            if bar is not None:
                bar.close()
    return results, plan.history  # type: ignore[return-value]


def _group_listing(path: str) -> bytes:
    """The names of a ``pNN`` folder's entries and each one's mtime, as bytes, in listing order.

    The folder is opened once and each entry stat'ed relative to it (``fstatat``: no walk of the full path per
    entry) without following links; the order is the directory's own (an unchanged folder lists the same
    way, and a reordered listing only changes the digest, which costs a re-read, never a stale answer)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    names: list[str] = []
    mtimes = array.array("q")
    try:
        with os.scandir(fd) as it:
            for entry in it:
                try:
                    mtime = entry.stat(follow_symlinks=False).st_mtime_ns
                except OSError:  # vanished while listing: it changes the digest like any other change
                    mtime = -1
                names.append(entry.name)
                mtimes.append(mtime)
    finally:
        os.close(fd)
    return "/".join(names).encode("utf-8", "surrogateescape") + b"\0" + mtimes.tobytes()


def _tree_fingerprint(root: Path) -> str:
    """A digest of every patient folder's name and mtime under ``files/pNN/``.

    Adding, removing or renaming a report (or a study folder) changes its patient folder's mtime, so the
    digest changes with any report that comes or goes, including a download that grows a patient; a patient
    or group folder that comes or goes changes the listing. It costs one ``stat`` per patient folder, relative
    to its open group folder, the groups listed in threads (the stats release the GIL): for the 65,379
    folders of a full copy, 0.5-0.8 s on 2 cores at a load average of 8, where a ``stat`` of each full path
    took 1.1-2.9 s. There is no cheaper sound signal: a study added to an existing patient changes that
    patient folder's mtime and nothing above it. A report edited in place
    (same name) does not change the digest: ``refresh=True`` re-reads.
    """
    digest = hashlib.blake2b(digest_size=16)
    files = root / layout.FILES_DIR
    groups = sorted(e.name for e in os.scandir(files) if e.is_dir() and layout.GROUP_DIR_RE.fullmatch(e.name))
    paths = [os.path.join(files, g) for g in groups]
    with concurrent.futures.ThreadPoolExecutor(min(len(paths), default_workers()) or 1) as pool:
        listings = list(pool.map(_group_listing, paths))
    for group, listing in zip(groups, listings, strict=True):
        digest.update(f"/{group}:{len(listing)}:".encode())
        digest.update(listing)
    return digest.hexdigest()


def _source(
    source: Any, paths: Iterable[str | os.PathLike] | None
) -> tuple[str, Path | None, list[str] | None, str]:
    """``(kind, root or zip, explicit relative paths, cache key)`` of a source."""
    if isinstance(source, (str, os.PathLike)) and paths is None:
        p = Path(source).expanduser()
        if p.is_file():
            return "zip", p, None, identity_key("zip", _VERSIONS, file_identity(p))
        if p.is_dir():
            if p.name == layout.FILES_DIR and not (p / layout.FILES_DIR).is_dir():
                p = p.parent
            if not (p / layout.FILES_DIR).is_dir():
                raise ReportReadError(
                    f"{p} has no {layout.FILES_DIR}/ folder: pass a MIMIC-CXR root "
                    "(holding files/pNN/...) or the mimic-cxr-reports.zip"
                )
            root = p.resolve()
            return "folder", root, None, identity_key("folder", _VERSIONS, str(root), _tree_fingerprint(root))
        raise ReportReadError(
            f"{p}: no such file or folder (expected a dataset root or mimic-cxr-reports.zip)"
        )
    if paths is None:  # a sequence of report paths
        root, rels = Path("/"), [str(Path(q).expanduser().resolve()) for q in source]
    else:
        root, rels = Path(source).expanduser().resolve(), [str(q) for q in paths]
    stats = []
    for rel in rels:
        try:
            st = os.stat(root / rel)
            stats.append((st.st_size, st.st_mtime_ns))
        except OSError:
            stats.append(None)
    return "paths", root, rels, identity_key("paths", _VERSIONS, str(root), rels, stats)


def _as_cache(cache: Cache | str | os.PathLike | bool | None) -> Cache | None:
    if cache is False:
        return None
    if cache is None or cache is True:
        return Cache()
    return cache if isinstance(cache, Cache) else Cache(cache)


def _most_readers(kind: str = "folder") -> int:
    """The most reading threads of the local run: two per CPU for files (opening 227,835 small files from a
    cold page cache waits on the disk: 31 s with one thread, 15 s with four on 2 cores), one per CPU for a
    zip (one read per chunk, then inflating and decoding: the disk waits are rare)."""
    return default_workers() if kind == "zip" else 2 * default_workers()


def chunk_items(items: Sequence[Any], executor: Any, most: int) -> list[list[Any]]:
    """About four chunks per worker, each of at most ``most`` items (at least a tenth of that)."""
    workers = getattr(executor, "_max_workers", None) or default_workers()
    size = max(max(1, most // 10), min(most, -(-len(items) // (workers * 4))))
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


#: Block until every cache entry written in the background (the tables' parquet copies) is on disk; a corpus
#: entry is complete when :func:`ingest_reports` returns.
wait_for_cache_writes = wait_for_writes


def _cache_entry(store: Cache | None, key: str) -> Path | None:
    return None if store is None else store.path("reports", f"corpus-{key}")


_ORDER = ("subject_id", "study_id", "path")


def _cached(entry: Path, cols: list[str]) -> ReportCorpus | None:
    """The cached corpus, or ``None`` when there is none or it cannot be read (damaged, or replaced by another
    process mid-read): the corpus is then read again, never an error. ``cols`` hold the sort columns."""
    found = read_entry(entry, cols)
    if found is None:
        return None
    frame, detail, needs_sort = found
    if needs_sort:
        frame = frame.sort(_ORDER, nulls_last=True)
    detail["cached"] = True
    return ReportCorpus(frame, detail)


def ingest_reports(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
    sections: bool = False,
) -> ReportCorpus:
    """Like :func:`read_reports`, returning a :class:`ReportCorpus` (the frame plus corpus-level ``detail``).

    With ``sections=True`` the frame also has the :data:`SECTION_COLUMNS`, computed in the workers as the
    reports are read. A cache entry always holds both (a parquet file per chunk, written as each chunk is
    sectioned; each reader loads only its columns).
    """
    return _ingest(
        source,
        paths=paths,
        cache=cache,
        executor=executor,
        progress=progress,
        refresh=refresh,
        sections=sections,
        keep_text=True,
    )


def _rows_of(frame: pl.DataFrame, rows: Sequence[int]) -> pl.DataFrame:
    """These rows of a frame: a zero-copy slice when they follow each other (chunks do)."""
    if len(rows) and rows[-1] - rows[0] == len(rows) - 1:
        return frame.slice(rows[0], len(rows))
    return frame[list(rows)]


class _NamesOf:
    """The member names of each zip chunk, listed only for a chunk that needs them (one that failed)."""

    def __init__(self, chunks: list[pl.DataFrame]) -> None:
        self.chunks = chunks

    def __len__(self) -> int:
        return len(self.chunks)

    def __getitem__(self, i: int) -> list[str]:
        return self.chunks[i]["name"].to_list()


def _finish(
    frame: pl.DataFrame | None,
    error: str | None,
    names: list[str],
    ids: pl.DataFrame | None,
    sections: bool,
    columns: list[str],
) -> pl.DataFrame:
    """A chunk as the corpus holds it: cut into sections (``sections``), its ids (``ids``: the zip's, parsed
    with its directory, else from the paths), an error for a path not shaped like a report, the corpus
    schema and ``columns``. A chunk that could not be read (``frame`` None) is one error row per item."""
    if frame is None:
        frame = pl.DataFrame(
            {"path": names, "text": [None] * len(names), "error": [error] * len(names)}, schema=_CHUNK_SCHEMA
        )
    elif sections:
        frame = _sectioned(frame)
    if ids is not None and frame["path"].equals(ids["name"], check_names=False):
        frame = frame.with_columns(ids["subject_id"], ids["study_id"])
    else:  # from the paths (at fixed places for a folder walk's)
        frame = layout.report_ids(frame)
    return (
        frame.with_columns(
            *(pl.lit(None, pl.String).alias(c) for c in columns if c not in frame.columns),
            pl.when(pl.col("study_id").is_null() & pl.col("error").is_null())
            .then(
                pl.concat_str([pl.col("path"), pl.lit(": not a report path (.../pNN/pSUBJECT/sSTUDY.txt)")])
            )
            .otherwise(pl.col("error"))
            .alias("error"),
        )
        .select(columns)
        .cast(_SCHEMA)  # type: ignore[arg-type]
    )


def _ingest(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None,
    cache: Cache | str | os.PathLike | bool | None,
    executor: Any,
    progress: bool,
    refresh: bool,
    sections: bool,
    keep_text: bool,
) -> ReportCorpus:
    """:func:`ingest_reports`; ``keep_text=False`` leaves the texts out of the frame (not out of the cache),
    so they are never all held at once."""
    kind, where, rels, key = _source(source, paths)
    store = _as_cache(cache)
    entry = _cache_entry(store, key)
    cols = [c for c in _SCHEMA if keep_text or c != "text"] + (list(SECTION_COLUMNS) if sections else [])
    if entry is not None and not refresh:
        cached = _cached(entry, cols)
        if cached is not None:
            return cached
    with_sections = sections or store is not None
    stored = list(_SCHEMA) + (list(SECTION_COLUMNS) if with_sections else [])
    detail: dict[str, Any] = {
        "source": str(where),
        "kind": kind,
        "skipped_members": 0,
        "skipped_examples": [],
        "duplicates": 0,
    }
    items: list[Any]
    member_ids = None  # a zip's ids, parsed once with its directory (rows come back in member order)
    if kind == "zip":
        members = report_members(where, detail)  # type: ignore[arg-type]
        fields = members.select(MEMBER_FIELDS)
        member_ids = members.select("name", "subject_id", "study_id")
        del members
        # chunks of row numbers, each read as a slice of the members frame
        chunks = [_rows_of(fields, c) for c in chunk_items(range(fields.height), executor, 5000)]
        names = _NamesOf(chunks)
        desc = "reading reports from the zip (chunks of up to 5,000)"
    elif kind == "folder" and rels is None:
        items = patient_dirs(where)  # type: ignore[arg-type]
        chunks = chunk_items(items, executor, 1500)
        names = chunks
        desc = "reading reports (chunks of up to 1,500 patients)"
    else:
        items = rels or []
        chunks = chunk_items(items, executor, 5000)
        names = chunks
        desc = "reading reports (chunks of up to 5,000)"
    starts = list(itertools.accumulate((len(c) for c in chunks), initial=0))
    writer = (
        None
        if store is None or entry is None
        else EntryWriter(store, entry, what=f"the reports in {store.root}")
    )

    def finish(i: int, frame: pl.DataFrame | None, error: str | None, section: bool = True) -> pl.DataFrame:
        ids = None if member_ids is None else member_ids.slice(starts[i], starts[i + 1] - starts[i])
        done = _finish(
            frame, error, names[i] if i < len(names) else [], ids, section and with_sections, stored
        )
        if writer is not None:
            writer.write(i, done)
        return done.select(cols)

    tasks = [(kind, str(where), c, with_sections) for c in chunks]
    try:
        if not tasks:  # an empty corpus: one empty chunk (the entry keeps the schema)
            frames = [finish(0, pl.DataFrame(schema=_CHUNK_SCHEMA), None)]
        elif executor is None:
            # Threads, not a forked process pool: polars runs the sections without the GIL (and with its own
            # threads), nothing is pickled back, and a fork after polars started its thread pool can deadlock.
            frames, detail["readers"] = _ingest_locally(tasks, kind, finish, progress, desc)
        else:
            rows = map_paths(
                _ingest_chunk, tasks, executor=executor, progress=progress, chunksize=1, desc=desc
            )
            frames = [
                finish(i, row.get("frame"), row.get("error"), section=False) for i, row in enumerate(rows)
            ]
            del rows
        # no rechunk: the chunks' buffers become the frame's (a rechunk copied every column once more)
        frame = pl.concat(frames, how="vertical", rechunk=False)
        del frames
        order = pl.col("subject_id") * 100_000_000 + pl.col("study_id")
        needs_sort = bool(frame["subject_id"].null_count()) or not frame.select(order.is_sorted()).item()
        if needs_sort:  # folder walks are sorted, and the zips seen so far
            frame = frame.sort(_ORDER, nulls_last=True)
        detail["reports"] = frame.height
        detail["errors"] = int(frame["error"].is_not_null().sum())
        if writer is not None:
            writer.finish({k: v for k, v in detail.items() if k != "readers"}, needs_sort=needs_sort)
    finally:
        if writer is not None:
            writer.abort()  # nothing left once finished; an ingest that raised leaves no entry
    if detail["errors"] or detail["skipped_members"] or detail["duplicates"] or detail.get("recovered"):
        warnings.warn(
            f"{where}: {detail['errors']} report(s) unreadable (see the error column), "
            f"{detail['skipped_members']} zip member(s) not shaped like a report skipped, "
            f"{detail['duplicates']} duplicate member(s) ignored"
            + (f"; {detail['recovered']}" if detail.get("recovered") else ""),
            ReportIngestWarning,
            stacklevel=3,
        )
    detail["cached"] = False
    return ReportCorpus(frame, detail)


def read_reports(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
) -> pl.DataFrame:
    """Every report of a corpus as a frame: ``subject_id``, ``study_id`` (Int64), ``text``,
    ``path``, ``error``.

    Parameters
    ----------
    source
        * a dataset root (the folder holding ``files/``): every ``files/p1N/pSUBJECT/sSTUDY.txt`` is read
          (the workers list the patient folders they read);
        * ``mimic-cxr-reports.zip`` (or any zip): members named like ``p1N/pSUBJECT/sSTUDY.txt`` under any top
          folder are read without extracting; other members are skipped and counted (``detail``);
        * a list of report file paths.
    paths
        With a root: read only these report paths (relative to the root) instead of walking ``files/``.
    cache
        A :class:`~cxrkit.storage.Cache` or folder; ``None`` uses the default cache directory; ``False``
        disables caching. The corpus (text and sections) is stored once as parquet, a file per chunk written
        as the chunk is sectioned (:mod:`cxrkit.reports.entry`; the entry is complete when the call
        returns), keyed on the source's identity:

        * zip: its absolute path, size and mtime (any change re-reads it);
        * folder: its absolute path and every patient folder's name and mtime (one ``stat`` per patient,
          no walk of the studies): a report or study added, removed or renamed anywhere changes the key,
          e.g. a resumed download that grew a patient. A report edited in place under the same name does
          not: pass ``refresh=True`` after such an edit;
        * list of paths: the paths and each file's size and mtime.

        The versions of the ingest and of the section rules are part of the key too.
    executor
        ``None``: threads of this process, reading threads handing each chunk to sectioning threads (one per
        CPU; polars runs them without the GIL). One thread reads, more (up to two per CPU for files, one per
        CPU for a zip) only while a chunk read alone shows the reading waiting on the disk
        (:class:`~cxrkit.storage.pace.ReaderCount`): from the page cache, more readers only take turns on
        the GIL. A forked process pool can deadlock polars. Or ``"serial"``, any ``concurrent.futures``
        executor (a process pool should use the ``forkserver`` or ``spawn`` start method) or a Dask client,
        through :func:`cxrkit.storage.map_paths`. Work goes in chunks (up to 5,000 reports or 1,500 patient
        folders); each worker opens the files (or the zip) itself.
    progress
        Show a progress bar (one step per chunk).
    refresh
        Ignore (and rewrite) the cached entry.

    Returns
    -------
    polars.DataFrame
        One row per report, sorted by ``subject_id, study_id``. A report that cannot be read has a null
        ``text`` and an ``error`` naming the file; the corpus is never abandoned for one bad file. A
        :class:`ReportIngestWarning` summarises such problems;
        :func:`ingest_reports` returns them as ``detail``.

    Raises
    ------
    ReportReadError
        The source does not exist, a folder has no ``files/``, or a zip cannot be read at all. A truncated zip
        (its central directory lost) is read by scanning its local headers: the complete members are ingested,
        the cut one gets an error row, and ``detail["recovered"]`` (and the warning) say so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> p = root / "files/p10/p10000032/s50414267.txt"
    >>> p.parent.mkdir(parents=True)
    >>> _ = p.write_text(" FINDINGS: Clear.\\n")
    >>> read_reports(root, cache=False, executor="serial", progress=False).select("study_id", "text").row(0)
    (50414267, ' FINDINGS: Clear.\\n')
    """
    return ingest_reports(
        source, paths=paths, cache=cache, executor=executor, progress=progress, refresh=refresh
    ).frame


def read_sections(
    source: str | os.PathLike | Sequence[str | os.PathLike],
    *,
    paths: Iterable[str | os.PathLike] | None = None,
    cache: Cache | str | os.PathLike | bool | None = None,
    executor: Any = None,
    progress: bool = True,
    refresh: bool = False,
    keep_text: bool = False,
) -> pl.DataFrame:
    """Every report of a corpus cut into sections: ``subject_id, study_id, path, error`` and
    :data:`SECTION_COLUMNS` (and ``text`` when ``keep_text``).

    Same sources, cache and invalidation rules as :func:`read_reports` (and the same cache entry). The
    sections are computed with :func:`sections_frame` in the workers, chunk by chunk, as the reports are read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> p = root / "files/p10/p10000032/s50414267.txt"
    >>> p.parent.mkdir(parents=True)
    >>> _ = p.write_text(" FINDINGS: Clear.\\n IMPRESSION: Normal.\\n")
    >>> frame = read_sections(root, cache=False, executor="serial", progress=False)
    >>> frame.select("findings", "impression").row(0)
    ('Clear.', 'Normal.')
    """
    return _ingest(
        source,
        paths=paths,
        cache=cache,
        executor=executor,
        progress=progress,
        refresh=refresh,
        sections=True,
        keep_text=keep_text,
    ).frame
