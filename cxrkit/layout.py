"""The MIMIC-CXR layout as code: identifier rules and the path rules in both directions.

This module is the one place that knows what ids look like and how paths are built. Everything else in the
kit calls it (or the polars expression builders at the bottom) instead of formatting paths by hand.

* ``subject_id``: 8 digits, first digit 1 (``10000032``; as a folder ``p10000032``).
* ``study_id``: 8 digits, first digit 5 (``50414267``; as a folder or file stem ``s50414267``).
* ``dicom_id``: 40 lower-case hex digits in five dash-separated groups of 8.
* Image: ``files/p10/p10000032/s50414267/<dicom_id>.dcm`` (or ``.dcm.gz``, ``.jpg``).
* Report: ``files/p10/p10000032/s50414267.txt``. ``p10`` is the first 3 characters of the patient folder.

Examples
--------
>>> image_path(10000032, 50414267, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014")
'files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm'
>>> report_path("p10000032", "s50414267")
'files/p10/p10000032/s50414267.txt'
>>> parse_path("/data/mimic/files/p10/p10000032/s50414267.txt").study_id
50414267
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from .errors import InvalidIdError, InvalidPathError

if TYPE_CHECKING:  # pragma: no cover
    import polars as pl

#: Regular expressions (anchored, polars- and ``re``-compatible) for the bare ids.
SUBJECT_ID_PATTERN = r"^1[0-9]{7}$"
STUDY_ID_PATTERN = r"^5[0-9]{7}$"
DICOM_ID_PATTERN = r"^[0-9a-f]{8}(-[0-9a-f]{8}){4}$"

#: File extensions of images, in the order they are looked for on disk.
IMAGE_EXTENSIONS = (".dcm", ".dcm.gz", ".jpg")
REPORT_EXTENSION = ".txt"
FILES_DIR = "files"

#: The files at the top of a copy, by the name the kit gives each table: ``fnmatch`` patterns, best first.
TABLE_FILES: dict[str, tuple[str, ...]] = {
    "records": ("cxr-record-list.csv.gz", "cxr-record-list.csv"),
    "studies": ("cxr-study-list.csv.gz", "cxr-study-list.csv"),
    "metadata": ("mimic-cxr-*-metadata.csv.gz", "mimic-cxr-*-metadata.csv"),
    "chexpert": ("mimic-cxr-*-chexpert.csv.gz", "mimic-cxr-*-chexpert.csv"),
    "negbio": ("mimic-cxr-*-negbio.csv.gz", "mimic-cxr-*-negbio.csv"),
    "split": ("mimic-cxr-*-split.csv.gz", "mimic-cxr-*-split.csv"),
    "providers": ("cxr-provider-list.csv.gz", "cxr-provider-list.csv"),
}
#: MIMIC-CXR-JPG's list of image paths (2.1.0), one relative path a line.
IMAGE_FILENAMES = "IMAGE_FILENAMES"
#: The reports zip of MIMIC-CXR (``fnmatch`` pattern) and the checksum list of every PhysioNet project.
REPORTS_ZIP_PATTERN = "mimic-cxr-reports*.zip"
SHA256SUMS = "SHA256SUMS.txt"
#: Releases whose file names are tried on a server that lists no folders.
RELEASES = ("2.0.0", "2.1.0")
#: The two PhysioNet projects, as their folders are named under ``physionet.org/files/``: MIMIC-CXR (DICOM,
#: reports, record and study lists) and MIMIC-CXR-JPG (JPG, metadata, labels, split).
CXR_PROJECT, JPG_PROJECT = "mimic-cxr", "mimic-cxr-jpg"
PROJECTS = (CXR_PROJECT, JPG_PROJECT)
#: The project that ships each table (the other project's copy, if any, is a fallback).
TABLE_PROJECT = {
    "records": CXR_PROJECT, "studies": CXR_PROJECT, "providers": CXR_PROJECT, "metadata": JPG_PROJECT,
    "chexpert": JPG_PROJECT, "negbio": JPG_PROJECT, "split": JPG_PROJECT,
}  # fmt: skip
_RELEASE_RE = re.compile(r"[0-9]+(\.[0-9]+)*")

#: MIMIC-IV, which shares ``subject_id`` and the date shift with MIMIC-CXR: its project folders under
#: ``physionet.org/files/`` (the credentialed release, then the open demo) and those of MIMIC-IV-ED.
MIMIC_IV_PROJECTS = ("mimiciv", "mimic-iv-demo")
MIMIC_IV_ED_PROJECTS = ("mimic-iv-ed", "mimic-iv-ed-demo")
#: The MIMIC-IV tables the kit links to, as paths inside a release folder, best first (``core/``: releases
#: before 1.0 kept patients and admissions there).
MIMIC_IV_TABLE_FILES: dict[str, tuple[str, ...]] = {
    "patients": ("hosp/patients.csv.gz", "hosp/patients.csv", "core/patients.csv.gz", "core/patients.csv"),
    "admissions": (
        "hosp/admissions.csv.gz", "hosp/admissions.csv", "core/admissions.csv.gz", "core/admissions.csv",
    ),
    "icustays": ("icu/icustays.csv.gz", "icu/icustays.csv"),
    "edstays": ("ed/edstays.csv.gz", "ed/edstays.csv"),
}  # fmt: skip

#: Names of the folders and report files of the tree: ``p10``, ``p10000032``,
#: ``s50414267.txt`` (``fullmatch``).
GROUP_DIR_RE = re.compile(r"p1[0-9]")
PATIENT_DIR_RE = re.compile(r"p1[0-9]{7}")
REPORT_NAME_RE = re.compile(r"s5[0-9]{7}\.txt")

_SUBJECT_RE = re.compile(r"p?(1[0-9]{7})")
_STUDY_RE = re.compile(r"s?(5[0-9]{7})")
_DICOM_RE = re.compile(DICOM_ID_PATTERN)
_PATH_RE = re.compile(
    r"(?:^|/)(?P<group>p1[0-9])/p(?P<subject>1[0-9]{7})/s(?P<study>5[0-9]{7})"
    r"(?:(?P<report>\.txt)|/(?P<dicom>[0-9a-f]{8}(?:-[0-9a-f]{8}){4})(?P<ext>\.dcm\.gz|\.dcm|\.jpg))$"
)


# --- identifier rules ---------------------------------------------------------------------------------


def _as_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return None


def is_subject_id(value: object) -> bool:
    """Whether ``value`` is a patient id: 8 digits starting with 1, as int or str, ``p`` prefix allowed.

    Examples
    --------
    >>> is_subject_id(10000032), is_subject_id("p10000032"), is_subject_id("50414267")
    (True, True, False)
    """
    text = _as_text(value)
    return text is not None and _SUBJECT_RE.fullmatch(text) is not None


def is_study_id(value: object) -> bool:
    """Whether ``value`` is a study id: 8 digits starting with 5, as int or str, ``s`` prefix allowed.

    Examples
    --------
    >>> is_study_id(50414267), is_study_id("s50414267"), is_study_id(5041426)
    (True, True, False)
    """
    text = _as_text(value)
    return text is not None and _STUDY_RE.fullmatch(text) is not None


def is_dicom_id(value: object) -> bool:
    """Whether ``value`` is a DICOM id: 40 lower-case hex digits in five dash-separated groups of 8.

    Examples
    --------
    >>> is_dicom_id("02aa804e-bde0afdd-112c0b34-7bc16630-4e384014")
    True
    >>> is_dicom_id("02aa804e-bde0afdd-112c0b34-7bc16630")
    False
    """
    return isinstance(value, str) and _DICOM_RE.fullmatch(value.strip()) is not None


def subject_id(value: object) -> int:
    """Return ``value`` as an integer patient id, or raise :class:`InvalidIdError`.

    Examples
    --------
    >>> subject_id("p10000032")
    10000032
    """
    text = _as_text(value)
    match = _SUBJECT_RE.fullmatch(text) if text is not None else None
    if match is None:
        raise InvalidIdError(
            f"{value!r} is not a MIMIC-CXR subject_id: expected 8 digits starting with 1 "
            "(e.g. 10000032 or 'p10000032')"
        )
    return int(match.group(1))


def study_id(value: object) -> int:
    """Return ``value`` as an integer study id, or raise :class:`InvalidIdError`.

    Examples
    --------
    >>> study_id("s50414267")
    50414267
    """
    text = _as_text(value)
    match = _STUDY_RE.fullmatch(text) if text is not None else None
    if match is None:
        raise InvalidIdError(
            f"{value!r} is not a MIMIC-CXR study_id: expected 8 digits starting with 5 "
            "(e.g. 50414267 or 's50414267')"
        )
    return int(match.group(1))


def dicom_id(value: object) -> str:
    """Return ``value`` as a DICOM id string, or raise :class:`InvalidIdError`.

    Examples
    --------
    >>> dicom_id(" 02aa804e-bde0afdd-112c0b34-7bc16630-4e384014 ")
    '02aa804e-bde0afdd-112c0b34-7bc16630-4e384014'
    """
    if not is_dicom_id(value):
        raise InvalidIdError(
            f"{value!r} is not a MIMIC-CXR dicom_id: expected 40 lower-case hex digits in five "
            "dash-separated groups of 8 (e.g. '02aa804e-bde0afdd-112c0b34-7bc16630-4e384014')"
        )
    return value.strip()  # type: ignore[union-attr]


# --- path rules ---------------------------------------------------------------------------------------


def group_dir(subject: object) -> str:
    """The ``files/pNN`` folder of a patient.

    Examples
    --------
    >>> group_dir(10000032)
    'files/p10'
    """
    return f"{FILES_DIR}/p{str(subject_id(subject))[:2]}"


def subject_dir(subject: object) -> str:
    """The ``files/pNN/pSUBJECT`` folder of a patient.

    Examples
    --------
    >>> subject_dir(10000032)
    'files/p10/p10000032'
    """
    sid = subject_id(subject)
    return f"{FILES_DIR}/p{str(sid)[:2]}/p{sid}"


def study_dir(subject: object, study: object) -> str:
    """The ``files/pNN/pSUBJECT/sSTUDY`` folder that holds a study's images.

    Examples
    --------
    >>> study_dir(10000032, 50414267)
    'files/p10/p10000032/s50414267'
    """
    return f"{subject_dir(subject)}/s{study_id(study)}"


def image_path(subject: object, study: object, dicom: object, ext: str = ".dcm") -> str:
    """Relative path of an image, ``files/pNN/pSUBJECT/sSTUDY/DICOM_ID.ext``.

    Parameters
    ----------
    subject, study, dicom
        The ids, in any form the ``is_*`` rules accept.
    ext
        One of :data:`IMAGE_EXTENSIONS` (``.dcm``, ``.dcm.gz``, ``.jpg``).

    Examples
    --------
    >>> image_path("p10000032", 50414267, "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014", ext=".jpg")
    'files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.jpg'
    """
    if ext not in IMAGE_EXTENSIONS:
        raise InvalidPathError(f"image extension {ext!r} is not one of {', '.join(IMAGE_EXTENSIONS)}")
    return f"{study_dir(subject, study)}/{dicom_id(dicom)}{ext}"


def report_path(subject: object, study: object) -> str:
    """Relative path of a study's report, ``files/pNN/pSUBJECT/sSTUDY.txt`` (beside the study folder).

    Examples
    --------
    >>> report_path(10000032, 50414267)
    'files/p10/p10000032/s50414267.txt'
    """
    return f"{study_dir(subject, study)}{REPORT_EXTENSION}"


@dataclass(frozen=True)
class PathIds:
    """The ids (and kind) recovered from an image or report path by :func:`parse_path`."""

    subject_id: int
    study_id: int
    dicom_id: str | None
    kind: str  # "image" or "report"
    ext: str


def parse_path(path: str | PurePath) -> PathIds:
    """Recover the ids from any image or report path (absolute, relative, with or without ``files/``).

    Raises :class:`InvalidPathError` when the path does not follow the layout, including a ``pNN`` group
    that disagrees with the patient folder.

    Examples
    --------
    >>> path = "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm.gz"
    >>> parse_path(path)  # doctest: +NORMALIZE_WHITESPACE
    PathIds(subject_id=10000032, study_id=50414267, dicom_id='02aa804e-bde0afdd-112c0b34-7bc16630-4e384014',
            kind='image', ext='.dcm.gz')
    """
    text = str(path).replace("\\", "/")
    match = _PATH_RE.search(text)
    if match is None:
        raise InvalidPathError(
            f"{text!r} is not a MIMIC-CXR image or report path: expected "
            "'.../pNN/pSUBJECT/sSTUDY/DICOM_ID.dcm' (or .dcm.gz, .jpg) or '.../pNN/pSUBJECT/sSTUDY.txt'"
        )
    subject = int(match["subject"])
    if match["group"] != f"p{str(subject)[:2]}":
        raise InvalidPathError(
            f"{text!r}: group folder {match['group']!r} does not match patient p{subject} "
            f"(expected p{str(subject)[:2]})"
        )
    if match["report"]:
        return PathIds(subject, int(match["study"]), None, "report", REPORT_EXTENSION)
    return PathIds(subject, int(match["study"]), match["dicom"], "image", match["ext"])


# --- where the projects live on PhysioNet ----------------------------------------------------------------

#: PhysioNet's file server (``wget -r -N -c -np --user USER --ask-password``) and the release used when a copy
#: does not say which it is.
PHYSIONET_FILES = "https://physionet.org/files"
DEFAULT_RELEASE = "2.0.0"


def physionet_url(project: str, release: str, rel: str) -> str:
    """The URL of a project file on PhysioNet's server (HTTP basic auth with a credentialed account).

    Examples
    --------
    >>> physionet_url(JPG_PROJECT, "2.1.0", "files/p10/p10000032/s50414267.txt")
    'https://physionet.org/files/mimic-cxr-jpg/2.1.0/files/p10/p10000032/s50414267.txt'
    """
    if project not in PROJECTS:
        raise InvalidPathError(f"project {project!r} is not one of {', '.join(PROJECTS)}")
    return f"{PHYSIONET_FILES}/{project}/{release}/{rel}"


def bucket_name(project: str, release: str) -> str:
    """PhysioNet's cloud bucket of a project release, ``<project>-<release>.physionet.org`` (requester pays,
    access granted on the project page).

    Examples
    --------
    >>> bucket_name(CXR_PROJECT, "2.0.0")
    'mimic-cxr-2.0.0.physionet.org'
    """
    if project not in PROJECTS:
        raise InvalidPathError(f"project {project!r} is not one of {', '.join(PROJECTS)}")
    return f"{project}-{release}.physionet.org"


def bucket_url(project: str, release: str, rel: str, scheme: str = "gs") -> str:
    """The URL of a project file in PhysioNet's bucket (``gs://`` for gsutil, ``s3://`` for s5cmd pointed at
    the bucket's S3-compatible endpoint).

    Examples
    --------
    >>> bucket_url(CXR_PROJECT, "2.0.0", "files/p10/p10000032/s50414267.txt")
    'gs://mimic-cxr-2.0.0.physionet.org/files/p10/p10000032/s50414267.txt'
    """
    return f"{scheme}://{bucket_name(project, release)}/{rel}"


# --- the files at the top of a copy ---------------------------------------------------------------------


def find_table_file(names: Iterable[str], table: str) -> str | None:
    """The name, among the top-level ``names`` of a copy, of table ``table``'s file; the highest version wins.

    Examples
    --------
    >>> find_table_file(["files", "mimic-cxr-2.0.0-split.csv.gz", "mimic-cxr-2.1.0-split.csv.gz"], "split")
    'mimic-cxr-2.1.0-split.csv.gz'
    >>> find_table_file(["files"], "records") is None
    True
    """
    names = list(names)
    for pattern in TABLE_FILES[table]:
        hits = sorted(_matching(names, pattern))
        if hits:
            return hits[-1]
    return None


def _matching(names: list[str], pattern: str) -> list[str]:
    """``fnmatch.filter(names, pattern)``; a pattern with no wildcard but ``*`` (every one in this module) is
    matched by its ends, without compiling a regex (a few hundred us per pattern, on each session's first
    look at a copy)."""
    if "?" in pattern or "[" in pattern or pattern.count("*") > 1:
        return fnmatch.filter(names, pattern)
    head, star, tail = pattern.partition("*")
    if not star:
        return [n for n in names if n == pattern]
    return [n for n in names if len(n) >= len(pattern) - 1 and n.startswith(head) and n.endswith(tail)]


def find_reports_zip(names: Iterable[str]) -> str | None:
    """The name of the reports zip among the top-level ``names`` of a copy (the last in sorted order).

    Examples
    --------
    >>> find_reports_zip(["files", "mimic-cxr-reports.zip"])
    'mimic-cxr-reports.zip'
    """
    hits = sorted(_matching(list(names), REPORTS_ZIP_PATTERN))
    return hits[-1] if hits else None


def known_top_files() -> list[str]:
    """Every top-level file name a copy of either project may hold, for a server that lists no folders.

    Examples
    --------
    >>> "mimic-cxr-2.1.0-chexpert.csv.gz" in known_top_files(), "cxr-record-list.csv.gz" in known_top_files()
    (True, True)
    """
    names = [IMAGE_FILENAMES, REPORTS_ZIP_PATTERN.replace("*", ""), SHA256SUMS]
    for patterns in TABLE_FILES.values():
        for pattern in patterns:
            names += [pattern.replace("*", release) for release in RELEASES] if "*" in pattern else [pattern]
    return names


def release_key(name: str) -> tuple[int, ...] | None:
    """The sort key of a release folder name (``2.1.0`` -> ``(2, 1, 0)``), ``None`` for any other name.

    Examples
    --------
    >>> sorted(["2.0.0", "2.10.0", "2.1.0"], key=release_key)
    ['2.0.0', '2.1.0', '2.10.0']
    >>> release_key("files") is None
    True
    """
    return tuple(int(p) for p in name.split(".")) if _RELEASE_RE.fullmatch(name) else None


# --- the same rules as polars expressions (vectorised; used by the tables) -----------------------------


def image_path_expr(
    subject: pl.Expr | str = "subject_id",
    study: pl.Expr | str = "study_id",
    dicom: pl.Expr | str = "dicom_id",
    ext: str = ".dcm",
) -> pl.Expr:
    """A polars expression building :func:`image_path` from integer id columns, row by row, vectorised.

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"subject_id": [10000032], "study_id": [50414267],
    ...                    "dicom_id": ["02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"]})
    >>> df.select(image_path_expr()).item()
    'files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm'
    """
    import polars as pl

    if ext not in IMAGE_EXTENSIONS:
        raise InvalidPathError(f"image extension {ext!r} is not one of {', '.join(IMAGE_EXTENSIONS)}")
    dicom = pl.col(dicom) if isinstance(dicom, str) else dicom
    return pl.concat_str([study_dir_expr(subject, study), pl.lit("/"), dicom, pl.lit(ext)]).alias("path")


def report_path_expr(subject: pl.Expr | str = "subject_id", study: pl.Expr | str = "study_id") -> pl.Expr:
    """A polars expression building :func:`report_path` from integer id columns.

    Examples
    --------
    >>> import polars as pl
    >>> pl.select(report_path_expr(pl.lit(10000032), pl.lit(50414267))).item()
    'files/p10/p10000032/s50414267.txt'
    """
    import polars as pl

    return pl.concat_str([study_dir_expr(subject, study), pl.lit(REPORT_EXTENSION)]).alias("path")


def subject_dir_expr(subject: pl.Expr | str = "subject_id") -> pl.Expr:
    """A polars expression building :func:`subject_dir` from an integer id column."""
    import polars as pl

    subj = (pl.col(subject) if isinstance(subject, str) else subject).cast(pl.String)
    return pl.concat_str([pl.lit(f"{FILES_DIR}/p"), subj.str.slice(0, 2), pl.lit("/p"), subj])


def study_dir_expr(subject: pl.Expr | str = "subject_id", study: pl.Expr | str = "study_id") -> pl.Expr:
    """A polars expression building :func:`study_dir` from integer id columns."""
    import polars as pl

    study = pl.col(study) if isinstance(study, str) else study
    return pl.concat_str([subject_dir_expr(subject), pl.lit("/s"), study.cast(pl.String)])


def parse_path_expr(path: pl.Expr | str = "path") -> pl.Expr:
    """A polars expression turning path strings into a struct of ``subject_id``, ``study_id``,
    ``dicom_id``, ``ext``.

    Paths that do not follow the layout give nulls (check with :func:`parse_path` for the reason).

    Examples
    --------
    >>> import polars as pl
    >>> df = pl.DataFrame({"path": ["files/p10/p10000032/s50414267.txt", "nonsense"]})
    >>> df.select(parse_path_expr().struct.field("study_id")).to_series().to_list()
    [50414267, None]
    """
    import polars as pl

    path = pl.col(path) if isinstance(path, str) else path
    pattern = (
        r"(?:^|/)(p1[0-9])/p(1[0-9]{7})/s(5[0-9]{7})"
        r"(?:\.txt|/([0-9a-f]{8}(?:-[0-9a-f]{8}){4})(\.dcm\.gz|\.dcm|\.jpg))$"
    )
    parts = path.str.extract_groups(pattern)
    subject = parts.struct.field("2")
    ok = parts.struct.field("1") == pl.lit("p") + subject.str.slice(0, 2)
    return pl.struct(
        subject_id=pl.when(ok).then(subject.cast(pl.Int64)),
        study_id=pl.when(ok).then(parts.struct.field("3").cast(pl.Int64)),
        dicom_id=pl.when(ok).then(parts.struct.field("4")),
        ext=pl.when(ok).then(pl.coalesce(parts.struct.field("5"), pl.lit(REPORT_EXTENSION))),
    ).alias("parsed")


#: A report path exactly as a walk of ``files/`` gives it (``files/p1N/p1N....../s5.......txt``): the ids sit
#: at fixed places (:func:`report_ids`).
WALKED_REPORT_RE = r"^files/p1[0-9]/p1[0-9]{7}/s5[0-9]{7}\.txt$"


def report_ids(frame, col: str = "path"):
    """``frame`` with ``subject_id`` and ``study_id`` (Int64) of the report paths in ``col``.

    When every path is as a walk of ``files/`` gives it (:data:`WALKED_REPORT_RE`, the group folder matching
    the subject), the ids are sliced at their fixed places, a seventh of :func:`parse_path_expr`'s cost on a
    corpus; otherwise every path goes through :func:`parse_path_expr` (nulls where it does not follow the
    layout).

    Examples
    --------
    >>> import polars as pl
    >>> walked = pl.DataFrame({"path": ["files/p10/p10000032/s50414267.txt"]})
    >>> report_ids(walked).row(0)
    ('files/p10/p10000032/s50414267.txt', 10000032, 50414267)
    >>> other = pl.DataFrame({"path": ["x/p10/p10000032/s50414267.txt", "nonsense"]})
    >>> report_ids(other)["study_id"].to_list()
    [50414267, None]
    """
    import polars as pl

    path = pl.col(col)
    walked = path.str.contains(WALKED_REPORT_RE) & (path.str.slice(7, 2) == path.str.slice(11, 2))
    if frame.select(walked.all()).item() is not False:
        return frame.with_columns(
            path.str.slice(11, 8).cast(pl.Int64).alias("subject_id"),
            path.str.slice(21, 8).cast(pl.Int64).alias("study_id"),
        )
    parsed = parse_path_expr(col)
    return frame.with_columns(parsed.struct.field("subject_id"), parsed.struct.field("study_id"))


def safe_image_paths(frame: pl.DataFrame, ext: str = ".dcm") -> list[str]:
    """Relative image paths of a frame of ids, rebuilt by :func:`image_path_expr` (never taken from a table's
    ``path`` column, which a server controls: no ``..`` can get in); rows with malformed ids are left out.

    Examples
    --------
    >>> import polars as pl
    >>> ids = pl.DataFrame({"subject_id": [10000032, 1], "study_id": [50414267, 50414267],
    ...                     "dicom_id": ["02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"] * 2})
    >>> safe_image_paths(ids, ".jpg")
    ['files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.jpg']
    """
    import polars as pl

    ok = frame.filter(
        pl.col("dicom_id").str.contains(DICOM_ID_PATTERN)
        & pl.col("subject_id").is_between(10_000_000, 19_999_999)
        & pl.col("study_id").is_between(50_000_000, 59_999_999)
    )
    return ok.select(image_path_expr(ext=ext)).to_series().to_list()
