"""Checking a copy's bytes against its ``SHA256SUMS.txt``, in parallel, with a progress bar in bytes.

PhysioNet ships a ``SHA256SUMS.txt`` at the top of each project (``<hex digest>  <relative path>`` per line);
:func:`cxrkit.download` writes one for the files it copies. Hashing is bound by the disk, not the CPU (SHA-256
runs at about 1.3 GB/s per core here): a full MIMIC-CXR (~4.7 TB of DICOM) at 200 MB/s takes about 6.5 hours,
MIMIC-CXR-JPG (~570 GB) about 50 minutes, the demo a second. The bar's ETA says how long on the copy at hand.

Examples
--------
>>> import tempfile, pathlib, hashlib
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "a.txt").write_bytes(b"one")
>>> _ = (root / "b.txt").write_bytes(b"two")
>>> sums = {"a.txt": hashlib.sha256(b"one").hexdigest(), "b.txt": "0" * 64, "c.txt": "0" * 64}
>>> sorted(verify_checksums(root, sums, progress=False).items())
[('a.txt', 'ok'), ('b.txt', 'mismatch'), ('c.txt', 'missing')]
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .backend import sha256_file
from .scan import default_workers

#: What :func:`verify_checksums` says about each listed file (anything else is ``"unreadable: <reason>"``).
STATUSES = ("ok", "mismatch", "missing")


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def verify_checksums(
    root: str | os.PathLike,
    sums: Mapping[str, str],
    *,
    workers: int | None = None,
    progress: bool = True,
) -> dict[str, str]:
    """Hash every file ``sums`` lists (relative to ``root``) and compare it with its digest.

    Parameters
    ----------
    root
        The folder the relative paths start from (a project's release folder).
    sums
        Relative path -> lowercase hex SHA-256, as :func:`cxrkit.storage.read_sha256sums` returns.
    workers
        Threads hashing at once (hashlib releases the GIL); default: two per CPU, since reading waits on the
        disk.
    progress
        A ``tqdm.auto`` bar counting bytes, with its rate and time left.

    Returns
    -------
    dict
        Relative path -> ``"ok"``, ``"mismatch"``, ``"missing"`` (not on disk: normal for a partial
        download) or ``"unreadable: <reason>"``, in the order of ``sums``.
    """
    base = Path(root)
    rels = list(sums)
    sizes = {rel: _size(base / rel) for rel in rels}
    present = [rel for rel in rels if sizes[rel] is not None]
    bar = None
    if progress and present:
        from tqdm.auto import tqdm

        total = sum(sizes[rel] or 0 for rel in present)
        bar = tqdm(total=total, unit="B", unit_scale=True, desc=f"SHA-256 of {len(present):,} files")

    def one(rel: str) -> str:
        try:
            digest = sha256_file(base / rel)
        except OSError as exc:
            return f"unreadable: {exc.strerror or exc}"
        finally:
            if bar is not None:
                bar.update(sizes[rel] or 0)
        return "ok" if digest == sums[rel].lower() else "mismatch"

    try:
        with ThreadPoolExecutor(max_workers=workers or 2 * default_workers()) as pool:
            found = dict(zip(present, pool.map(one, present)))
    finally:
        if bar is not None:
            bar.close()
    return {rel: found.get(rel, "missing") for rel in rels}
