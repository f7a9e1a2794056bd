"""A MIMIC-IV copy (and MIMIC-IV-ED beside it): its four linkage tables as typed lazy frames.

Columns and types follow the MIMIC-IV documentation and the open MIMIC-IV demo's files: ids are ``Int64``,
times (``admittime``, ``intime``, ...; ``YYYY-MM-DD HH:MM:SS``) are ``Datetime``, ``dod`` a ``Date``. Columns
that differ between releases (``race`` was ``ethnicity`` before 2.0, ``admit_provider_id`` came with 2.2) are
optional: only those the linkage needs are required, and a release missing one gets a
:class:`~cxrkit.errors.TableError` naming the file and the column. A time that does not parse is null in the
typed frame and a row of :meth:`MimicIV.problems`, never a silently dropped row.

Tables are found inside a release folder (``hosp/``, ``icu/``; ``core/`` for releases before 1.0), cached as
parquet like the CXR tables, and read from a local folder or a URL the same way.

Examples
--------
>>> import cxrkit
>>> from cxrkit.demo import make_mimic_iv_demo
>>> import tempfile, pathlib
>>> top = pathlib.Path(tempfile.mkdtemp())
>>> ds = cxrkit.open_dataset()
>>> _ = make_mimic_iv_demo(ds, top)
>>> mimic = open_mimic_iv(top)
>>> mimic.admissions().collect_schema()["admittime"]
Datetime(time_unit='us', time_zone=None)
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from .. import layout, tables
from ..errors import MissingFileError, NotADatasetError
from ..storage import Source, open_source
from ..storage.projects import releases

_ID = pl.Int64
_STR = pl.String
#: How MIMIC-IV writes its times and dates.
TIME_FORMAT, DATE_FORMAT = "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"

TABLES: dict[str, tables.TableSpec] = {
    spec.name: spec
    for spec in (
        tables.TableSpec(
            "patients",
            layout.MIMIC_IV_TABLE_FILES["patients"],
            {
                "subject_id": _ID,
                "gender": _STR,
                "anchor_age": _ID,
                "anchor_year": _ID,
                "anchor_year_group": _STR,
                "dod": _STR,
            },
            "one row per patient: sex, age at the anchor year, date of death",
            "MIMIC-IV (hosp)",
            required=("subject_id", "anchor_age", "anchor_year"),
        ),
        tables.TableSpec(
            "admissions",
            layout.MIMIC_IV_TABLE_FILES["admissions"],
            {
                "subject_id": _ID,
                "hadm_id": _ID,
                "admittime": _STR,
                "dischtime": _STR,
                "deathtime": _STR,
                "admission_type": _STR,
                "admit_provider_id": _STR,
                "admission_location": _STR,
                "discharge_location": _STR,
                "insurance": _STR,
                "language": _STR,
                "marital_status": _STR,
                "race": _STR,
                "edregtime": _STR,
                "edouttime": _STR,
                "hospital_expire_flag": _ID,
            },
            "one row per hospital admission (hadm_id): admission, discharge and ED registration times",
            "MIMIC-IV (hosp)",
            required=("subject_id", "hadm_id", "admittime", "dischtime"),
        ),
        tables.TableSpec(
            "icustays",
            layout.MIMIC_IV_TABLE_FILES["icustays"],
            {
                "subject_id": _ID,
                "hadm_id": _ID,
                "stay_id": _ID,
                "first_careunit": _STR,
                "last_careunit": _STR,
                "intime": _STR,
                "outtime": _STR,
                "los": pl.Float64,
            },
            "one row per ICU stay (stay_id): care units, in and out times",
            "MIMIC-IV (icu)",
            required=("subject_id", "hadm_id", "stay_id", "intime", "outtime"),
        ),
        tables.TableSpec(
            "edstays",
            layout.MIMIC_IV_TABLE_FILES["edstays"],
            {
                "subject_id": _ID,
                "hadm_id": _ID,
                "stay_id": _ID,
                "intime": _STR,
                "outtime": _STR,
                "gender": _STR,
                "race": _STR,
                "arrival_transport": _STR,
                "disposition": _STR,
            },
            "one row per emergency department stay (stay_id): in and out times, the admission it led to",
            "MIMIC-IV-ED",
            required=("subject_id", "stay_id", "intime", "outtime"),
        ),
    )
}
#: The time columns of each table, parsed from strings after the scan.
TIME_COLUMNS = {
    "patients": (),
    "admissions": ("admittime", "dischtime", "deathtime", "edregtime", "edouttime"),
    "icustays": ("intime", "outtime"),
    "edstays": ("intime", "outtime"),
}
#: Pairs that must be in order (start, end): a row where the end comes first is a problem, not a window.
ORDERED = {
    "admissions": ("admittime", "dischtime"),
    "icustays": ("intime", "outtime"),
    "edstays": ("intime", "outtime"),
}
_ED_TABLES = ("edstays",)


def _release_dir(folder: Path, projects: tuple[str, ...], release: str | None) -> Path | None:
    """A release folder from the folder above the projects, a project folder or a release folder."""
    if any(
        (folder / p.split("/")[0]).is_dir() for files in layout.MIMIC_IV_TABLE_FILES.values() for p in files
    ):
        return folder
    for name in (folder.name, *projects):
        project = folder if name == folder.name else folder / name
        if name in projects and project.is_dir():
            found = releases(project)
            if release is not None:
                return project / release if release in found else None
            if found:
                return project / found[-1]
    return None


def _find_files(source: Source, names: tuple[str, ...]) -> dict[str, str]:
    found = {}
    folders: dict[str, list[str]] = {}
    for name in names:
        for pattern in layout.MIMIC_IV_TABLE_FILES[name]:
            folder = str(PurePosixPath(pattern).parent)
            if folder not in folders:
                try:
                    folders[folder] = source.names(folder)
                except (OSError, MissingFileError, NotADatasetError):
                    folders[folder] = []
            if PurePosixPath(pattern).name in folders[folder]:
                found[name] = pattern
                break
    return found


class MimicIV:
    """The linkage tables of a MIMIC-IV copy (and of MIMIC-IV-ED, when found).

    Attributes
    ----------
    location : str
        Where the MIMIC-IV release is (folder or URL).
    ed_location : str or None
        Where the MIMIC-IV-ED release is.
    table_files : dict
        Table name -> path inside its release folder, for the tables present.
    """

    def __init__(self, source: Source, ed_source: Source | None = None) -> None:
        self.source, self.ed_source = source, ed_source
        self.location = source.label
        self.ed_location = ed_source.label if ed_source is not None else None
        self.table_files = _find_files(source, ("patients", "admissions", "icustays"))
        if ed_source is not None:
            self.table_files.update(_find_files(ed_source, _ED_TABLES))
        elif "edstays" not in self.table_files:  # a combined folder holding ed/ too
            self.table_files.update(_find_files(source, _ED_TABLES))
        if "admissions" not in self.table_files:
            raise NotADatasetError(
                f"{self.location} holds no {' or '.join(layout.MIMIC_IV_TABLE_FILES['admissions'][:3])}: "
                "pass a MIMIC-IV release folder (physionet.org/files/mimiciv/<version>/), its project folder "
                "or the folder above it"
            )

    def __repr__(self) -> str:
        return f"MimicIV({self.location!r}, tables={sorted(self.table_files)})"

    def has(self, name: str) -> bool:
        """Whether this copy holds table ``name`` (a key of :data:`TABLES`)."""
        return name in self.table_files

    def _source_of(self, name: str) -> Source:
        if name in _ED_TABLES and self.ed_source is not None:
            return self.ed_source
        return self.source

    def raw(self, name: str) -> pl.LazyFrame:
        """Table ``name`` with its ids typed and its times as the strings of the file."""
        if name not in TABLES:
            raise KeyError(f"unknown MIMIC-IV table {name!r}; known: {', '.join(TABLES)}")
        if name not in self.table_files:
            where = self.ed_location or self.location
            files = " or ".join(layout.MIMIC_IV_TABLE_FILES[name][:2])
            raise MissingFileError(
                f"{where} has no {files} ({TABLES[name].description}; {TABLES[name].source}). "
                f"Download it, or check mimic.has({name!r}) first."
            )
        source = self._source_of(name)
        return tables.load_table(source.local(self.table_files[name]), TABLES[name], cache=source.cache)

    def table(self, name: str) -> pl.LazyFrame:
        """Table ``name`` typed: ids ``Int64``, times ``Datetime`` (null where they do not parse, see
        :meth:`problems`), ``dod`` a ``Date``."""
        lf = self.raw(name)
        names = lf.collect_schema().names()
        exprs = [
            pl.col(c).str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False)
            for c in TIME_COLUMNS[name]
            if c in names
        ]
        if name == "patients" and "dod" in names:
            exprs.append(pl.col("dod").str.strptime(pl.Date, DATE_FORMAT, strict=False))
        return lf.with_columns(exprs) if exprs else lf

    def patients(self) -> pl.LazyFrame:
        """``hosp/patients``: one row per patient (``subject_id, gender, anchor_age, anchor_year, ...``)."""
        return self.table("patients")

    def admissions(self) -> pl.LazyFrame:
        """``hosp/admissions``: one row per admission (``hadm_id``) with its times."""
        return self.table("admissions")

    def icustays(self) -> pl.LazyFrame:
        """``icu/icustays``: one row per ICU stay (``stay_id``) with ``intime``, ``outtime``."""
        return self.table("icustays")

    def edstays(self) -> pl.LazyFrame:
        """MIMIC-IV-ED ``ed/edstays``: one row per ED stay with ``intime``, ``outtime`` and ``hadm_id``."""
        return self.table("edstays")

    def problems(self) -> pl.DataFrame:
        """Rows the linkage cannot use as they are: times that do not parse, windows that end before they
        start. One row per problem: ``table, subject_id, hadm_id, stay_id, column, value, detail``."""
        parts = []
        for name in self.table_files:
            raw = self.raw(name)
            names = raw.collect_schema().names()
            ids = [
                pl.col(c) if c in names else pl.lit(None, _ID).alias(c)
                for c in ("subject_id", "hadm_id", "stay_id")
            ]
            for col in TIME_COLUMNS[name]:
                if col not in names:
                    continue
                bad = raw.filter(
                    pl.col(col).is_not_null()
                    & (pl.col(col).str.strip_chars() != "")
                    & pl.col(col).str.strptime(pl.Datetime("us"), TIME_FORMAT, strict=False).is_null()
                )
                parts.append(
                    bad.select(
                        pl.lit(name).alias("table"),
                        *ids,
                        pl.lit(col).alias("column"),
                        pl.col(col).alias("value"),
                        pl.format(f"{name}.{col} {{}} is not a time ({TIME_FORMAT})", pl.col(col)).alias(
                            "detail"
                        ),
                    )
                )
            if name in ORDERED and all(c in names for c in ORDERED[name]):
                start, end = ORDERED[name]
                typed = self.table(name)
                reversed_ = typed.filter(pl.col(end) < pl.col(start))
                parts.append(
                    reversed_.select(
                        pl.lit(name).alias("table"),
                        *ids,
                        pl.lit(end).alias("column"),
                        pl.col(end).cast(_STR).alias("value"),
                        pl.format(
                            f"{name}: {end} {{}} is before {start} {{}}", pl.col(end), pl.col(start)
                        ).alias("detail"),
                    )
                )
        if not parts:
            return pl.DataFrame(schema=_PROBLEM_SCHEMA)
        return pl.concat([p.cast(_PROBLEM_SCHEMA) for p in parts]).collect()


_PROBLEM_SCHEMA = {
    "table": _STR,
    "subject_id": _ID,
    "hadm_id": _ID,
    "stay_id": _ID,
    "column": _STR,
    "value": _STR,
    "detail": _STR,
}


def open_mimic_iv(
    root: str | os.PathLike,
    *,
    ed_root: str | os.PathLike | None = None,
    release: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    storage_options: dict[str, Any] | None = None,
) -> MimicIV:
    """Open a MIMIC-IV copy: the ``physionet.org/files`` folder above the projects (``mimiciv/<version>/``
    and ``mimic-iv-ed/<version>/`` are found there, the newest release unless ``release`` names one), a
    project folder, a release folder, or a URL of a release folder. ``ed_root`` names MIMIC-IV-ED when it is
    elsewhere.

    Raises :class:`~cxrkit.errors.NotADatasetError` when no admissions table is found.
    """
    if isinstance(root, str) and "://" in root:
        source = open_source(root, cache_dir=cache_dir, storage_options=storage_options)
        ed = open_source(ed_root, cache_dir=cache_dir, storage_options=storage_options) if ed_root else None
        return MimicIV(source, ed)
    folder = Path(root).expanduser()
    found = _release_dir(folder, layout.MIMIC_IV_PROJECTS, release)
    if found is None:
        raise NotADatasetError(
            f"{folder}: no MIMIC-IV release here (looked for hosp/ and for "
            f"{', '.join(f'{p}/<version>/' for p in layout.MIMIC_IV_PROJECTS)}); pass the folder that holds "
            "physionet.org/files/mimiciv/<version>/ or the release folder itself"
        )
    ed_found = None
    if ed_root is not None:
        ed_found = _release_dir(Path(ed_root).expanduser(), layout.MIMIC_IV_ED_PROJECTS, None)
        if ed_found is None:
            raise NotADatasetError(f"{ed_root}: no MIMIC-IV-ED release here (looked for ed/edstays.csv.gz)")
    else:
        for top in (folder, found.parent.parent):
            ed_found = _release_dir(top, layout.MIMIC_IV_ED_PROJECTS, None) if top.is_dir() else None
            if ed_found is not None and ed_found != found:
                break
            ed_found = None
    source = open_source(found, cache_dir=cache_dir)
    ed = open_source(ed_found, cache_dir=cache_dir) if ed_found is not None else None
    return MimicIV(source, ed)


def find_mimic_iv(near: str | os.PathLike, *, cache_dir: str | os.PathLike | None = None) -> MimicIV | None:
    """The MIMIC-IV copy beside a MIMIC-CXR project (``physionet.org/files/mimiciv/<version>/`` next to
    ``physionet.org/files/mimic-cxr/<version>/``), or ``None``.

    ``near`` is a CXR release folder, its project folder or the folder above the projects.
    """
    folder = Path(near).expanduser().resolve()
    for top in (folder, folder.parent, folder.parent.parent):
        if any((top / p).is_dir() for p in layout.MIMIC_IV_PROJECTS):
            return open_mimic_iv(top, cache_dir=cache_dir)
    return None
