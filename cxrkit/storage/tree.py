"""The walk of ``files/``: what images and reports a local tree holds, as a frame, without reading any file.

:func:`walk_files` lists every file under ``files/`` and parses its path with :mod:`cxrkit.layout`;
:func:`patient_dirs`, :func:`has_report_files` and :func:`first_image_ext` answer narrower questions without
walking the whole tree; :func:`paths_frame` and :func:`read_image_filenames` parse path lists the same way.

Examples
--------
>>> paths_frame(["files/p10/p10000032/s50414267.txt", "files/index.html"]).select("kind", "study_id").rows()
[('report', 50414267), ('other', None)]
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from .. import layout

__all__ = [
    "first_image_ext",
    "has_report_files",
    "paths_frame",
    "patient_dirs",
    "read_image_filenames",
    "walk_files",
]


def walk_files(root: str | os.PathLike, *, progress: bool = False) -> pl.DataFrame:
    """Every image and report under ``root/files`` as a frame: ``path`` (relative, posix), ``subject_id``,
    ``study_id``, ``dicom_id`` (null for reports), ``ext``, ``kind`` ("image" / "report" / "other").

    Files that do not follow the layout are kept with ``kind="other"`` and null ids, so validation can report
    them. A full copy holds about 600,000 files in 290,000 folders, and the walk lists every folder (slow on a
    network file system). ``progress`` shows a bar over the patient folders (counted first, from the group
    folders), appearing only when the walk takes longer than two seconds.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> p = root / "files/p10/p10000032/s50414267.txt"
    >>> p.parent.mkdir(parents=True)
    >>> _ = p.write_text(" FINDINGS: Clear.")
    >>> walk_files(root).select("path", "kind").row(0)
    ('files/p10/p10000032/s50414267.txt', 'report')
    """
    root = Path(root)
    base = root / layout.FILES_DIR
    found: list[str] = []
    prefix = len(str(root)) + 1
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(patient_dirs(root)), desc=f"listing {base}", unit="patient", delay=2)
    try:
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames.sort()
            rel = dirpath[prefix:].replace(os.sep, "/")
            found.extend(f"{rel}/{name}" for name in sorted(filenames))
            if (
                bar is not None
                and rel.count("/") == 2
                and layout.PATIENT_DIR_RE.fullmatch(rel.rsplit("/", 1)[1])
            ):
                bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    return paths_frame(found)


def patient_dirs(root: str | os.PathLike) -> list[str]:
    """Relative paths ``files/pNN/pSUBJECT`` of every patient folder under ``root/files``, sorted (folders
    named otherwise are left out; :func:`walk_files` and validation see them).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> for d in ("files/p11/p11000011", "files/p10/p10000032", "files/p10/misc"):
    ...     (root / d).mkdir(parents=True)
    >>> patient_dirs(root)
    ['files/p10/p10000032', 'files/p11/p11000011']
    """
    out: list[str] = []
    base = Path(root) / layout.FILES_DIR
    for group in _sorted_dirs(base):
        name = os.path.basename(group)
        if layout.GROUP_DIR_RE.fullmatch(name):
            out.extend(
                f"{layout.FILES_DIR}/{name}/{os.path.basename(p)}"
                for p in _sorted_dirs(group)
                if layout.PATIENT_DIR_RE.fullmatch(os.path.basename(p))
            )
    return out


def has_report_files(root: str | os.PathLike) -> bool:
    """Whether any ``files/pNN/pSUBJECT/sSTUDY.txt`` report exists under ``root``, without walking the tree:
    patient folders are looked into one at a time until a report turns up (a MIMIC-CXR-JPG copy, which has
    none, costs one listing per patient folder, not a walk of its study folders).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "files/p10/p10000032/s50414267").mkdir(parents=True)
    >>> has_report_files(root)
    False
    >>> _ = (root / "files/p10/p10000032/s50414267.txt").write_text(" FINDINGS: Clear.")
    >>> has_report_files(root)
    True
    """
    for rel in patient_dirs(root):
        try:
            with os.scandir(os.path.join(root, rel)) as entries:
                if any(layout.REPORT_NAME_RE.fullmatch(e.name) and e.is_file() for e in entries):
                    return True
        except OSError:
            continue
    return False


def first_image_ext(root: str | os.PathLike) -> str | None:
    """The extension (``.dcm``, ``.dcm.gz`` or ``.jpg``) of the first image file under ``root/files``, in
    sorted order; ``None`` when there is none. Study folders are looked into one at a time, so a full copy
    answers at once; a copy without images (reports only) costs one listing per patient folder.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> study = root / "files/p10/p10000032/s50414267"
    >>> study.mkdir(parents=True)
    >>> first_image_ext(root) is None
    True
    >>> _ = (study / "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm.gz").write_bytes(b"")
    >>> first_image_ext(root)
    '.dcm.gz'
    """
    for rel in patient_dirs(root):
        for study in _sorted_dirs(os.path.join(root, rel)):
            try:
                names = sorted(os.listdir(study))
            except OSError:
                continue
            for name in names:
                for ext in layout.IMAGE_EXTENSIONS:
                    if name.endswith(ext):
                        return ext
    return None


def _sorted_dirs(path: str | os.PathLike) -> list[str]:
    """The sub-folders of ``path`` (sorted paths); none when it cannot be listed."""
    try:
        with os.scandir(path) as entries:
            return sorted(e.path for e in entries if e.is_dir())
    except OSError:
        return []


def paths_frame(paths: Iterable[str]) -> pl.DataFrame:
    """Parse relative paths into the frame described in :func:`walk_files` (vectorised)."""
    df = pl.DataFrame({"path": list(paths)}, schema={"path": pl.String})
    parsed = df.with_columns(layout.parse_path_expr()).unnest("parsed")
    return parsed.with_columns(
        pl.when(pl.col("dicom_id").is_not_null())
        .then(pl.lit("image"))
        .when(pl.col("ext") == layout.REPORT_EXTENSION)
        .then(pl.lit("report"))
        .otherwise(pl.lit("other"))
        .alias("kind")
    )


def read_image_filenames(path: str | os.PathLike) -> pl.DataFrame:
    """Parse MIMIC-CXR-JPG's ``IMAGE_FILENAMES`` (one relative image path per line) like
    :func:`walk_files`."""
    text = Path(path).read_text(encoding="utf-8", errors="replace")
    return paths_frame(line.strip() for line in text.splitlines() if line.strip())
