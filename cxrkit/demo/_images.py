"""Writing the demo's image files, in parallel when there are many (private to :mod:`cxrkit.demo`).

Each image is rendered once (a phantom from its own seed, so the order of work does not change a byte) and
written to every target project: the DICOM file (``.dcm`` or ``.dcm.gz``) and/or the JPG made from the same
stored pixels by the published recipe. Large demos are cut into chunks written by worker processes started
with ``spawn`` (never ``fork``: the parent holds polars' thread pool); each worker returns the SHA-256 of
what it wrote, for ``SHA256SUMS.txt``. A progress bar counts images when asked for.

Examples
--------
>>> auto_workers(100), auto_workers(10_000) >= 1
(1, True)
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import numpy as np

from .. import layout
from ._dicom import LATERAL_VIEWS, dicom_bytes
from ._phantom import PhantomBank

# The tallest full-size image (rows or columns) of any machine (:mod:`cxrkit.demo._machines`).
FULL_SIDE = 3056

EXTENSIONS = {"dicom": ".dcm", "dicom-gz": ".dcm.gz", "jpg": ".jpg"}
PARALLEL_FROM = 400  # images; below this, starting worker processes costs more than it saves
CHUNK = 24


def auto_workers(n_images: int) -> int:
    """Worker processes for ``n_images``: one below :data:`PARALLEL_FROM`, else the usable CPUs (up to 8)."""
    if n_images < PARALLEL_FROM:
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return max(1, min(8, cpus))


_MADE: set[str] = set()  # folders this process has made (a study's images share one)


def _write(root: Path, rel: str, data: bytes) -> str:
    path = root / rel
    parent = str(path.parent)
    if parent not in _MADE:
        path.parent.mkdir(parents=True, exist_ok=True)
        _MADE.add(parent)
    with open(path, "wb") as fh:
        fh.write(data)
    return hashlib.sha256(data).hexdigest()


def mimic_jpg(stored: np.ndarray, photometric: str) -> bytes:
    """:func:`cxrkit.images.mimic_jpg.to_mimic_jpg` of 12-bit ``stored`` pixels, same bytes, faster: the
    recipe's scaling, inversion and histogram equalisation act on grey levels, so they are worked out once
    per level (4,096 of them) and applied to the image as one look-up table.

    Examples
    --------
    >>> from cxrkit.images.mimic_jpg import to_mimic_jpg
    >>> px = (np.arange(40 * 30).reshape(40, 30) * 7 % 4096).astype(np.uint16)
    >>> mimic_jpg(px, "MONOCHROME1") == to_mimic_jpg(px, "MONOCHROME1")
    True
    """
    from PIL import Image

    counts = np.bincount(stored.ravel(), minlength=4096)
    present = np.flatnonzero(counts)
    lo, hi = int(present[0]), int(present[-1])
    # scale_to_uint8, per level: the same float64 operations on the same values as on the image
    x = np.arange(lo, hi + 1, dtype=np.float64) - float(lo)
    top = x.max()
    if top > 0:
        x = x / top
    levels = (x * 255.0).astype(np.uint8)
    if str(photometric).strip().upper() == "MONOCHROME1":
        levels = 255 - levels
    # equalize_histogram (OpenCV's table) from the 8-bit histogram those levels make
    hist = np.bincount(levels, weights=counts[lo : hi + 1], minlength=256).astype(np.int64)
    total = stored.size
    first = int(np.flatnonzero(hist)[0])
    if hist[first] != total:
        scale = 255.0 / (total - hist[first])
        cumulative = np.cumsum(hist)
        table = np.zeros(256, dtype=np.float64)
        table[first + 1 :] = (cumulative[first + 1 :] - hist[first]) * scale
        levels = np.clip(np.rint(table), 0, 255).astype(np.uint8)[levels]
    lut = np.zeros(4096, dtype=np.uint8)
    lut[lo : hi + 1] = levels
    buffer = io.BytesIO()
    Image.fromarray(lut[stored]).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


_BANKS: dict[tuple[int, int], PhantomBank] = {}


def _bank(seed: int, scale: float) -> PhantomBank:
    """This process's phantom bank for a build (one per seed and scale, as every worker draws the same)."""
    key = (seed, int(np.ceil(FULL_SIDE * scale)) + 1)
    if key not in _BANKS:
        _BANKS.clear()
        _BANKS[key] = PhantomBank(*key)
    return _BANKS[key]


def write_chunk(task: tuple[list[tuple[str, str]], list[dict[str, Any]], int, float, str]) -> list[tuple]:
    """Render and write one chunk of images; ``(target index, relative path, sha256)`` per file."""
    targets, jobs, seed, scale, version = task
    bank = _bank(seed, scale)
    out = []
    for job in jobs:
        row, study = job["row"], job["study"]
        rng = np.random.default_rng(np.random.SeedSequence([seed, 0x5EED, 7, job["i"]]))
        view = "lateral" if row["view"] in LATERAL_VIEWS else "frontal"
        pixels = bank.render(row["Rows"], row["Columns"], view=view, rng=rng, findings=job["findings"])
        stored = (4095 - pixels) if row["photometric"] == "MONOCHROME1" else pixels
        for t, (root, flavor) in enumerate(targets):
            rel = layout.image_path(
                row["subject_id"], row["study_id"], row["dicom_id"], ext=EXTENSIONS[flavor]
            )
            if flavor == "jpg":
                data = mimic_jpg(stored, row["photometric"])
            else:
                data = dicom_bytes(row, study, stored, seed, scale, job["index"], version)
                if flavor == "dicom-gz":
                    data = gzip.compress(data, compresslevel=6, mtime=0)
            out.append((t, rel, _write(Path(root), rel, data)))
    return out


def write_images(
    targets: list[tuple[Path, str]],
    jobs: list[dict[str, Any]],
    seed: int,
    scale: float,
    version: str,
    *,
    progress: bool = False,
    workers: int | None = None,
) -> list[dict[str, str]]:
    """Write every image of ``jobs`` to each ``(root, flavour)`` target; the ``{relative path: sha256}`` of
    each target, in the order of ``targets``."""
    workers = auto_workers(len(jobs)) if workers is None else max(1, int(workers))
    plain = [(str(root), flavor) for root, flavor in targets]
    chunks = [(plain, jobs[k : k + CHUNK], seed, scale, version) for k in range(0, len(jobs), CHUNK)]
    sums: list[dict[str, str]] = [{} for _ in targets]
    bar = _bar(len(jobs), progress)
    try:
        if workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                _collect(sums, write_chunk(chunk), bar, len(chunk[1]))
        else:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor, as_completed

            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                futures = {pool.submit(write_chunk, chunk): len(chunk[1]) for chunk in chunks}
                for future in as_completed(futures):
                    _collect(sums, future.result(), bar, futures[future])
    finally:
        if bar is not None:
            bar.close()
    return sums


def _collect(sums: list[dict[str, str]], written: list[tuple], bar, count: int) -> None:
    for t, rel, digest in written:
        sums[t][rel] = digest
    if bar is not None:
        bar.update(count)


def _bar(total: int, enabled: bool):
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, desc="demo images", unit="image", leave=False)
