"""Opening a MIMIC-CXR copy: :func:`open_dataset`, the thin :class:`Dataset`, and :class:`Study` values.

The dataset knows where things are (its root, which tables are present, which flavour of images it holds)
and hands out lazy polars frames and small value objects; the work lives in :mod:`cxrkit.tables`,
:mod:`cxrkit.validate` and the image and report modules. It never writes inside the root: derived data
goes to the cache directory.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()
>>> top = ds.patients().sort("n_studies", descending=True).head(3).collect()
>>> top.columns
['subject_id', 'n_studies', 'n_images', 'first_study_date', 'last_study_date']
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from . import layout, tables
from .cohorts import Cohort, study_pairs
from .download import download
from .errors import MissingFileError, NotADatasetError, StudyNotFoundError
from .reports import find_zip_member, read_report, read_reports, read_sections
from .storage.backend import Source
from .storage.cache import Cache
from .storage.projects import did_you_mean
from .storage.sources import SINGLE, open_sources
from .storage.tree import read_image_filenames
from .summary import Summary, html_table
from .validate import validate

ENV_ROOT = "CXRKIT_ROOT"

FRONTAL_VIEWS = tables.FRONTAL_VIEWS  # re-exported: frontal images come first in a Study


@dataclass(frozen=True)
class Image:
    """One image of a study. ``path`` is the file shown (or where it would be, when ``exists`` is False): the
    DICOM when the copy has MIMIC-CXR's images, else the JPG. ``dicom_path`` and ``jpg_path`` are the image in
    each project of the copy (``None`` for a project the copy lacks); ``dicom_exists`` and ``jpg_exists`` say
    whether those files are there."""

    dicom_id: str
    path: Path
    exists: bool
    view_position: str | None = None
    dicom_path: Path | None = None
    jpg_path: Path | None = None
    dicom_exists: bool = False
    jpg_exists: bool = False
    #: What is wrong with this image's row (a malformed id, ...); ``None`` when nothing is.
    problem: str | None = None


@dataclass(frozen=True)
class Study:
    """One study: its ids, its images (frontal first), its report, and its date and time when known."""

    subject_id: int
    study_id: int
    images: tuple[Image, ...]
    report_path: Path | None
    study_date: dt.date | None = None
    study_time: dt.time | None = None
    _reports_zip: Path | None = None

    def _repr_html_(self) -> str:
        """The study's ids, date and time, and each image with its view and whether it is on disk (the report
        is not shown: ``print(study.report_text())`` is the notebook author's choice)."""
        when = " ".join(str(v) for v in (self.study_date, self.study_time) if v is not None) or "unknown"
        rows: list[tuple[str, object]] = [("patient", self.subject_id), ("date and time", when)]
        rows += [
            (
                f"image {i + 1}",
                f"{im.view_position or 'view unknown'}: {im.dicom_id}"
                + ("" if im.exists else " (not on disk)"),
            )
            for i, im in enumerate(self.images)
        ]
        rows.append(
            (
                "report",
                "on disk"
                if self.report_path is not None and self.report_path.exists()
                else "see report_text()",
            )
        )
        return html_table(rows, title=f"study s{self.study_id}")

    def report_text(self) -> str:
        """The study's free-text report, read from the ``files/`` tree or the reports zip.

        Raises :class:`~cxrkit.errors.MissingFileError` when this copy has no report for the study.
        """
        if self.report_path is not None and self.report_path.exists():
            return read_report(self.report_path)
        if self._reports_zip is not None:
            member = find_zip_member(self._reports_zip, self.subject_id, self.study_id)
            if member is not None:
                return read_report(self._reports_zip, member)
        raise MissingFileError(
            f"no report for study s{self.study_id} in this copy (looked for "
            f"{self.report_path or layout.report_path(self.subject_id, self.study_id)}"
            f"{' and in ' + str(self._reports_zip) if self._reports_zip else ''})"
        )


class Dataset:
    """A copy of MIMIC-CXR and/or MIMIC-CXR-JPG (full, partial, or the demo), local or remote. Use
    :func:`open_dataset`.

    A copy is one or two PhysioNet projects (:func:`cxrkit.storage.open_sources`): MIMIC-CXR (DICOM, reports,
    record and study lists) and MIMIC-CXR-JPG (JPG, metadata, labels, split), or one folder holding both. Each
    table comes from the project that ships it; the images shown come from one project (DICOM when the copy
    has them, unless ``prefer="jpg"``). The dataset asks its sources for names, files and bytes; it never asks
    which kind of source (a folder, a URL) it holds.

    Attributes
    ----------
    sources : dict[str, Source]
        The copy's sources by project (``"mimic-cxr"``, ``"mimic-cxr-jpg"``; ``"copy"`` for one folder).
    source : Source
        The source of the images shown (:attr:`flavor`).
    root : Path
        That source's local folder (the copy itself, or its mirror in the cache); read-only to the kit.
    cache : Cache
        Where derived data (parquet tables, thumbnails) is kept.
    table_files : dict[str, Path]
        The known tables present in this copy, by name (see :data:`cxrkit.tables.TABLES`), in whichever
        project.
    """

    def __init__(
        self,
        root: str | os.PathLike | Source,
        *,
        jpg_root: str | os.PathLike | None = None,
        prefer: str = "dicom",
        release: str | None = None,
        cache_dir: str | os.PathLike | None = None,
        storage_options: dict | None = None,
    ) -> None:
        if prefer not in ("dicom", "jpg"):
            raise ValueError(f"prefer={prefer!r}: choose 'dicom' or 'jpg' (which images to show)")
        if isinstance(root, Source):
            sources = {SINGLE: root}
            if jpg_root is not None:
                sources[layout.JPG_PROJECT] = open_sources(jpg_root, cache_dir=cache_dir)[SINGLE]
        else:
            sources = open_sources(
                root, jpg_root=jpg_root, release=release, cache_dir=cache_dir, storage_options=storage_options
            )
        self.sources = sources
        names = {key: src.names() for key, src in sources.items()}
        self.table_files: dict[str, Path] = {}
        for name in tables.TABLES:
            for key in sorted(sources, key=lambda k: k != layout.TABLE_PROJECT[name]):  # the shipper first
                found = layout.find_table_file(names[key], name)
                if found is not None:
                    self.table_files[name] = sources[key].root / found
                    break
        self.image_filenames = next(
            (
                src.root / layout.IMAGE_FILENAMES
                for k, src in sources.items()
                if layout.IMAGE_FILENAMES in names[k]
            ),
            None,
        )
        self._reports_source = next(
            (
                src
                for k, src in sorted(sources.items(), key=lambda kv: kv[0] != layout.CXR_PROJECT)
                if layout.FILES_DIR in names[k] or layout.find_reports_zip(names[k])
            ),
            None,
        )
        zip_name = layout.find_reports_zip(self._reports_source.names()) if self._reports_source else None
        self.reports_zip = self._reports_source.root / zip_name if zip_name else None
        self.has_files_tree = any(layout.FILES_DIR in n for n in names.values())
        self.source = self._shown_source(prefer, names)
        self.root = self.source.root
        self.cache = self.source.cache
        if not (self.table_files or self.has_files_tree or self.image_filenames or self.reports_zip):
            where = " and ".join(src.label for src in sources.values())
            hint = None if self.source.fetches_on_demand else did_you_mean(self.source.root)
            if hint is not None:
                raise NotADatasetError(
                    f"{where} does not look like a MIMIC-CXR copy, but {hint} does: did you mean that folder?"
                )
            raise NotADatasetError(
                f"{where} does not look like a MIMIC-CXR copy: it has no files/ folder and none of "
                f"{', '.join(spec.files[0] for spec in tables.TABLES.values())}. Pass the folder that holds "
                f"them (e.g. {self.source.root_example}), or the physionet.org/files folder above the "
                "projects."
            )

    def _shown_source(self, prefer: str, names: dict[str, list[str]]) -> Source:
        """The source whose images are shown: the preferred project when it has images, else the other."""
        if len(self.sources) == 1:
            return next(iter(self.sources.values()))
        order = (
            [layout.JPG_PROJECT, layout.CXR_PROJECT]
            if prefer == "jpg"
            else [layout.CXR_PROJECT, layout.JPG_PROJECT]
        )
        present = [k for k in order if k in self.sources]
        for key in present:
            src = self.sources[key]
            if layout.FILES_DIR in names[key] and (
                src.fetches_on_demand or src.first_image_ext() is not None
            ):
                return src
        return self.sources[present[0]]

    @property
    def projects(self) -> dict[str, str]:
        """Where each project of the copy is: ``{"mimic-cxr": ..., "mimic-cxr-jpg": ...}``, or
        ``{"copy": ...}``.

        Examples
        --------
        >>> list(open_dataset().projects)
        ['mimic-cxr', 'mimic-cxr-jpg']
        """
        return {key: src.label for key, src in self.sources.items()}

    @property
    def is_remote(self) -> bool:
        """Whether the copy's files are fetched on demand (opened by URL, see
        :mod:`cxrkit.storage.remote`)."""
        return self.source.fetches_on_demand

    @property
    def url(self) -> str | None:
        """The URL (without credentials) of a copy opened by URL, else ``None``."""
        return self.source.label if self.source.fetches_on_demand else None

    @property
    def location(self) -> str:
        """Where the copy lives: the URL (without credentials) of a remote copy, else the root folder."""
        return self.source.label

    def local_file(self, path: str | os.PathLike) -> Path:
        """The local file for ``path`` (relative to :attr:`root`, or under any project's root): as is for a
        local copy; for a remote copy, fetched into the cache mirror first when absent (raises
        MissingFileError if the server lacks it)."""
        p = Path(path)
        if p.is_absolute():
            for src in self.sources.values():
                if src.root in p.parents:
                    return src.local(p)
        return self.source.local(p)

    def download(
        self,
        selection,
        dest: str | os.PathLike,
        *,
        progress: bool = True,
        tables_too: bool = True,
        verify: bool = True,
    ) -> Path:
        """Copy a selection's images and reports (and the tables filtered to it) into ``dest`` with the real
        layout: resumable, verified, with a progress bar; see :func:`cxrkit.download.download`.

        Examples
        --------
        >>> ds = open_dataset()
        >>> one = ds.records().sort("study_id").head(1).collect()
        >>> import tempfile
        >>> sub = open_dataset(ds.download(one, tempfile.mkdtemp() + "/subset", progress=False))
        >>> sub.records().collect().height, sub.validate().height
        (1, 0)
        """
        return download(self, selection, dest, progress=progress, tables_too=tables_too, verify=verify)

    # --- cohorts -------------------------------------------------------------------------------------

    def cohort(self) -> Cohort:
        """A :class:`~cxrkit.cohorts.Cohort` of every image this copy lists, to narrow down with named steps
        (``.view("frontal").split("train").labels("Pleural Effusion")...``); see :mod:`cxrkit.cohorts`.

        Examples
        --------
        >>> ds = open_dataset()
        >>> ds.cohort().view("frontal").steps[-1].name
        'view'
        """
        return Cohort.start(self)

    def study_pairs(self, *, immediate: bool = True, comparison: bool = True) -> pl.DataFrame:
        """(current, prior) study pairs per patient in true time order (StudyDate + StudyTime, never by id),
        with the interval, order flags (ties, missing times) and whether the current report mentions a
        comparison; see :func:`cxrkit.cohorts.study_pairs`. ``immediate=False`` pairs each study with every
        earlier one.

        Examples
        --------
        >>> pairs = open_dataset().study_pairs()
        >>> bool((pairs["study_date"] >= pairs["prior_date"]).all())
        True
        """
        return study_pairs(self, immediate=immediate, comparison=comparison)

    def __repr__(self) -> str:
        others = "".join(
            f" + {k} at {src.label}" for k, src in self.sources.items() if src is not self.source
        )
        tables_ = ", ".join(self.table_files) or "no tables"
        return f"<cxrkit.Dataset {self.flavor} at {self.location}{others} ({tables_})>"

    def _repr_html_(self) -> str:
        """A table of where the projects are, the tables and what the copy lacks (no counts: nothing read)."""
        rows: list[tuple[str, object]] = [
            ("images shown", f"{self.flavor} ({self.image_ext or 'none on disk'})")
        ]
        rows += [(f"project {name}", where) for name, where in self.projects.items()]
        rows.append(("tables", ", ".join(self.table_files) or "none"))
        rows += [("note", note) for note in self.notes()]
        return html_table(rows, title="cxrkit.Dataset")

    def notes(self) -> list[str]:
        """What this copy lacks and what that means, one sentence each (empty for a complete copy).

        Examples
        --------
        >>> open_dataset().notes()
        []
        """
        out = []
        lacks = [n for n in tables.TABLES if n not in self.table_files]
        by_project: dict[str, list[str]] = {}
        for name in lacks:
            by_project.setdefault(tables.TABLES[name].source.split()[0], []).append(
                tables.TABLES[name].files[0]
            )
        if "MIMIC-CXR-JPG" in by_project:
            out.append(
                f"MIMIC-CXR-JPG's tables are missing ({', '.join(by_project['MIMIC-CXR-JPG'])}): "
                "without them "
                "there are no views, no study dates (so no time order), no labels and no split. Put the "
                "mimic-cxr-jpg/<release>/ folder beside mimic-cxr/, or pass jpg_root=."
            )
        if "MIMIC-CXR" in by_project and set(by_project["MIMIC-CXR"]) - {"cxr-provider-list.csv.gz"}:
            out.append(
                f"MIMIC-CXR's lists are missing ({', '.join(by_project['MIMIC-CXR'])}): "
                "records and studies are "
                "derived from IMAGE_FILENAMES or the files on disk."
            )
        if self._reports_source is None or not (self.reports_zip or self._has_report_files):
            out.append(
                "There are no reports: they ship with MIMIC-CXR (files/pNN/pSUBJECT/sSTUDY.txt or "
                "mimic-cxr-reports.zip), not with MIMIC-CXR-JPG."
            )
        return out

    def _project_of(self, path: Path) -> str:
        return next((k for k, src in self.sources.items() if src.root in path.parents), SINGLE)

    # --- what is here ------------------------------------------------------------------------------

    @cached_property
    def image_ext(self) -> str | None:
        """Extension of the image files (``.dcm``, ``.dcm.gz`` or ``.jpg``), ``None`` with no images: from the
        files on disk, else ``IMAGE_FILENAMES``, else where the first listed images are found."""
        ext = self.source.first_image_ext()
        if ext is not None:
            return ext
        if self.image_filenames is not None:
            first = read_image_filenames(self.local_file(self.image_filenames)).filter(
                pl.col("kind") == "image"
            )
            return first["ext"][0] if first.height else None
        name = next((n for n in ("records", "metadata") if n in self.table_files), None)
        if name is None:
            return None
        ids = self.table(name).select("subject_id", "study_id", "dicom_id").head(3).collect()
        rels = layout.safe_image_paths(ids, ".dcm")  # built from the ids: a table's path column may hold ".."
        return self.source.probe_image_ext(rels) if rels else None

    @property
    def flavor(self) -> str:
        """``"dicom"`` (MIMIC-CXR, ``.dcm`` or ``.dcm.gz``), ``"jpg"`` (MIMIC-CXR-JPG) or ``"tables"``
        (no images)."""
        ext = self.image_ext
        if ext is None:
            return "jpg" if self.image_filenames is not None else "tables"
        return "jpg" if ext == ".jpg" else "dicom"

    def has(self, name: str) -> bool:
        """Whether table ``name`` (e.g. ``"chexpert"``) is in this copy.

        Examples
        --------
        >>> ds = open_dataset()
        >>> ds.has("chexpert")
        True
        """
        if name not in tables.TABLES:
            raise KeyError(f"unknown table {name!r}; known: {', '.join(tables.TABLES)}")
        return name in self.table_files

    @cached_property
    def listing(self) -> pl.DataFrame:
        """Images and reports on disk (a walk of ``files/``, see :func:`cxrkit.storage.tree.walk_files`): on a
        remote copy, what has been fetched so far. Computed once; on a full copy the walk takes a while and
        shows a progress bar. Images are those of the project shown (:attr:`flavor`); reports come from
        MIMIC-CXR, whichever project is shown."""
        listing = self.source.listing(progress=True)
        other = self._reports_source
        if other is None or other is self.source:
            return listing
        reports = other.listing(progress=True).filter(pl.col("kind") == "report")
        return pl.concat([listing.filter(pl.col("kind") != "report"), reports])

    # --- tables ------------------------------------------------------------------------------------

    def table(self, name: str, *, refresh: bool = False) -> pl.LazyFrame:
        """Table ``name`` (a key of :data:`cxrkit.tables.TABLES`) as a typed lazy frame, cached as parquet.

        The copy follows the file (see :func:`cxrkit.tables.load_table`); ``refresh=True`` rebuilds it anyway.
        Raises :class:`~cxrkit.errors.MissingFileError` when this copy lacks it (check :meth:`has` first).

        Examples
        --------
        >>> ds = open_dataset()
        >>> ds.table("split").collect_schema().names()
        ['dicom_id', 'study_id', 'subject_id', 'split']
        """
        if name not in tables.TABLES:
            raise KeyError(f"unknown table {name!r}; known: {', '.join(tables.TABLES)}")
        path = self.table_files.get(name)
        if path is None:
            spec = tables.TABLES[name]
            raise MissingFileError(
                f"this copy ({self.location}) has no {spec.files[0]} ({spec.description}); it ships with "
                f"{spec.source}. Download it into the root, or check ds.has({name!r}) before using it."
            )
        return tables.load_table(
            self.local_file(path), tables.TABLES[name], cache=self.cache, refresh=refresh
        )

    def records(self) -> pl.LazyFrame:
        """Images: ``subject_id, study_id, dicom_id, path`` from ``cxr-record-list.csv.gz``.

        Without the list (a MIMIC-CXR-JPG copy, a partial download), derived from ``IMAGE_FILENAMES``,
        else from the images on disk, else from the metadata table; ``path`` is then the path as found.
        """
        if "records" in self.table_files:
            return self.table("records")
        if self.image_filenames is not None:
            return tables.listing_records(read_image_filenames(self.local_file(self.image_filenames))).lazy()
        on_disk = (
            self.listing.clear() if self.source.fetches_on_demand else self.listing
        )  # a mirror is partial
        derived = tables.listing_records(on_disk)
        if derived.height == 0 and "metadata" in self.table_files:
            return (
                self.table("metadata")
                .select("subject_id", "study_id", "dicom_id")
                .with_columns(layout.image_path_expr(ext=".dcm"))
            )
        return derived.lazy()

    def studies(self) -> pl.LazyFrame:
        """Studies: ``subject_id, study_id, path`` (report path) from ``cxr-study-list.csv.gz``, or derived
        from the records (and reports on disk) when the list is absent."""
        if "studies" in self.table_files:
            return self.table("studies")
        from_records = self.records().select("subject_id", "study_id")
        from_disk = self.listing.lazy().filter(pl.col("kind") == "report").select("subject_id", "study_id")
        return (
            pl.concat([from_records, from_disk])
            .unique()
            .with_columns(layout.report_path_expr())
            .sort("subject_id", "study_id")
        )

    def metadata(self) -> pl.LazyFrame:
        """Per-image DICOM fields (see :mod:`cxrkit.tables`); StudyDate as a date, StudyTime as a time."""
        return self.table("metadata")

    def chexpert(self) -> pl.LazyFrame:
        """Per-study CheXpert labels: 14 Float64 columns, 1.0 / 0.0 / -1.0, null where not mentioned."""
        return self.table("chexpert")

    def negbio(self) -> pl.LazyFrame:
        """Per-study NegBio labels, same shape as :meth:`chexpert`."""
        return self.table("negbio")

    def split(self) -> pl.LazyFrame:
        """Per-image recommended split: ``dicom_id, study_id, subject_id, split``."""
        return self.table("split")

    def providers(self) -> pl.LazyFrame:
        """Per-study provider ids (MIMIC-CXR 2.1.0): ``study_id`` and the provider id columns as strings."""
        return self.table("providers")

    def images(self) -> pl.LazyFrame:
        """Records joined with metadata (views, sizes, date and time) and split; sorted by ids. The columns
        are the same on every copy: those of a table the copy lacks (MIMIC-CXR without MIMIC-CXR-JPG) are
        null.

        With metadata, ``view`` (frontal / lateral / other) and ``view_source`` say what each image shows,
        falling back from ``ViewPosition`` to the coded view and the procedure
        (:func:`cxrkit.tables.view_exprs`).
        """
        lf = self.records()
        meta = self.metadata() if "metadata" in self.table_files else tables.empty_table("metadata")
        split = self.split() if "split" in self.table_files else tables.empty_table("split")
        lf = lf.join(meta.drop("subject_id", "study_id"), on="dicom_id", how="left").with_columns(
            tables.view_exprs()
        )
        lf = lf.join(split.select("dicom_id", "split"), on="dicom_id", how="left")
        return lf.sort("subject_id", "study_id", "dicom_id")

    def study_times(self) -> pl.LazyFrame:
        """Per study: ``subject_id, study_id, StudyDate, StudyTime`` (from metadata; nulls without it)."""
        studies = self.studies().select("subject_id", "study_id")
        if "metadata" not in self.table_files:
            return studies.with_columns(
                pl.lit(None, pl.Date).alias("StudyDate"), pl.lit(None, pl.Time).alias("StudyTime")
            )
        times = self.metadata().group_by("study_id").agg(pl.col("StudyDate").min(), pl.col("StudyTime").min())
        return studies.join(times, on="study_id", how="left")

    def patients(self) -> pl.LazyFrame:
        """Per patient: ``n_studies``, ``n_images``, ``first_study_date``, ``last_study_date`` (null when
        unknown); sorted by ``subject_id``."""
        counts = (
            self.records()
            .group_by("subject_id")
            .agg(pl.col("study_id").n_unique().alias("n_studies"), pl.len().cast(pl.Int64).alias("n_images"))
        )
        studies_only = self.studies().group_by("subject_id").agg(pl.col("study_id").n_unique().alias("_n"))
        dates = (
            self.study_times()
            .group_by("subject_id")
            .agg(
                pl.col("StudyDate").min().alias("first_study_date"),
                pl.col("StudyDate").max().alias("last_study_date"),
            )
        )
        return (
            studies_only.join(counts, on="subject_id", how="full", coalesce=True)
            .with_columns(
                pl.max_horizontal(pl.col("n_studies").fill_null(0), pl.col("_n").fill_null(0)).alias(
                    "n_studies"
                ),
                pl.col("n_images").fill_null(0),
            )
            .drop("_n")
            .join(dates, on="subject_id", how="left")
            .sort("subject_id")
        )

    def patient_studies(self, subject_id: object) -> pl.DataFrame:
        """A patient's studies in time order (StudyDate, then StudyTime; never by id, which implies no order).

        Columns ``subject_id, study_id, StudyDate, StudyTime, n_images``;
        studies with no known date come last.
        """
        sid = layout.subject_id(subject_id)
        n_images = (
            self.records()
            .filter(pl.col("subject_id") == sid)
            .group_by("study_id")
            .agg(pl.len().cast(pl.Int64).alias("n_images"))
        )
        return (
            self.study_times()
            .filter(pl.col("subject_id") == sid)
            .join(n_images, on="study_id", how="left")
            .with_columns(pl.col("n_images").fill_null(0))
            .sort(["StudyDate", "StudyTime"], nulls_last=True)
            .collect()
        )

    # --- files -------------------------------------------------------------------------------------

    def _locate(self, rel_without_ext: str) -> tuple[Path, bool]:
        preferred = [self.image_ext] if self.image_ext else []
        for ext in preferred + [e for e in layout.IMAGE_EXTENSIONS if e not in preferred]:
            candidate = self.root / f"{rel_without_ext}{ext}"
            if candidate.is_file():
                return candidate, True
        return self.root / f"{rel_without_ext}{preferred[0] if preferred else '.dcm'}", False

    def _bad_image(self, subject: int, study: int, dicom_id: str) -> Image:
        """A placeholder for a record whose ``dicom_id`` is malformed: shown, marked, never opened."""
        shown = dicom_id if len(dicom_id) <= 60 else dicom_id[:57] + "..."
        where = self.root / layout.study_dir(subject, study) / "(malformed dicom_id)"
        problem = (
            f"malformed dicom_id {shown!r} in the record list (expected 40 hex digits in five groups of 8); "
            "see ds.validate()"
        )
        return Image(dicom_id, where, False, None, problem=problem)

    @cached_property
    def _image_exts(self) -> dict[str, str]:
        """The image extension of each project of the copy that has images."""
        exts = {}
        for key, src in self.sources.items():
            ext = self.image_ext if src is self.source else src.first_image_ext()
            if ext is None and key == layout.JPG_PROJECT:
                ext = ".jpg"
            if ext is not None:
                exts[key] = ext
        return exts

    def _project_files(self, rel_without_ext: str, shown: Path, exists: bool) -> dict[str, object]:
        """The image's DICOM and JPG files, in whichever projects the copy has (see :class:`Image`)."""
        files: dict[str, object] = {}
        for key, src in self.sources.items():
            ext = self._image_exts.get(key)
            if ext is None:
                continue
            kind = "jpg" if ext == ".jpg" else "dicom"
            path = shown if src is self.source else src.root / f"{rel_without_ext}{ext}"
            found = exists if src is self.source else path.is_file()
            files.setdefault(f"{kind}_path", path)
            files.setdefault(f"{kind}_exists", found)
        return files

    @property
    def _expects_reports(self) -> bool:
        """Whether this copy should have a report per study (it has MIMIC-CXR's files or lists)."""
        return layout.CXR_PROJECT in self.sources or self.flavor == "dicom" or "studies" in self.table_files

    def image_files(self) -> pl.DataFrame:
        """Every listed image with its file on disk: ``subject_id, study_id, dicom_id, file`` (absolute path
        string, null when the file is missing), sorted by ids. Resolves ``.dcm``, ``.dcm.gz`` and ``.jpg``."""
        on_disk = (
            self.listing.filter(pl.col("kind") == "image")
            .select("dicom_id", pl.lit(str(self.root) + "/").add(pl.col("path")).alias("file"))
            .unique("dicom_id", keep="first")
        )
        return (
            self.records()
            .select("subject_id", "study_id", "dicom_id")
            .collect()
            .join(on_disk, on="dicom_id", how="left")
            .sort("subject_id", "study_id", "dicom_id")
        )

    def study(self, study_id: object) -> Study:
        """The :class:`Study` with this id: its images (resolved on disk, frontal first), report and date.

        Raises :class:`~cxrkit.errors.StudyNotFoundError` when this copy does not list the study.
        """
        sid = layout.study_id(study_id)
        rows = self.records().filter(pl.col("study_id") == sid).select("subject_id", "dicom_id").collect()
        if rows.height:
            subject = rows["subject_id"][0]
        else:
            found = self.studies().filter(pl.col("study_id") == sid).select("subject_id").collect()
            if found.height == 0:
                raise StudyNotFoundError(
                    f"study s{sid} is not listed in this copy ({self.location}); "
                    "see ds.studies() for the studies it has"
                )
            subject = found["subject_id"][0]
        views: dict[str, str | None] = {}
        date = time = None
        if "metadata" in self.table_files:
            meta = (
                self.metadata()
                .filter(pl.col("study_id") == sid)
                .select("dicom_id", "ViewPosition", "StudyDate", "StudyTime")
                .collect()
            )
            views = dict(zip(meta["dicom_id"], meta["ViewPosition"]))
            if meta.height:
                date, time = meta["StudyDate"].min(), meta["StudyTime"].min()
        ext = self.image_ext or ".dcm"
        dicom_ids = sorted(did for did in rows["dicom_id"] if did is not None)
        good = [did for did in dicom_ids if layout.is_dicom_id(did)]
        wanted = [layout.image_path(subject, sid, did, ext=ext) for did in good]
        if self.flavor == "dicom" or "studies" in self.table_files:
            wanted.append(layout.report_path(subject, sid))
        self.source.prefetch(wanted)  # a remote copy fetches the study's files in parallel; a folder has them
        images = [self._bad_image(subject, sid, did) for did in dicom_ids if did not in set(good)]
        for did in good:
            rel = layout.image_path(subject, sid, did)[: -len(".dcm")]
            path, exists = self._locate(rel)
            files = self._project_files(rel, path, exists)
            images.append(Image(did, path, exists, views.get(did) or None, **files))

        def order(img: Image) -> tuple[int, str]:
            return (0 if img.view_position in FRONTAL_VIEWS else 1 if img.view_position else 2, img.dicom_id)

        report = (self._reports_source or self.source).root / layout.report_path(subject, sid)
        reports_zip = self.reports_zip
        if reports_zip is not None and not report.exists():
            reports_zip = self.local_file(
                reports_zip
            )  # no .txt for it: the zip has them all (fetched if remote)
        return Study(
            subject_id=subject,
            study_id=sid,
            images=tuple(sorted(images, key=order)),
            report_path=report if report.exists() or self._expects_reports else None,
            study_date=date,
            study_time=time,
            _reports_zip=reports_zip,
        )

    # --- reports -----------------------------------------------------------------------------------

    @cached_property
    def _has_report_files(self) -> bool:
        source = self._reports_source
        if source is None:
            return False
        if "listing" in self.__dict__ and not source.fetches_on_demand:  # already walked
            return bool((self.listing["kind"] == "report").any())
        return source.has(layout.FILES_DIR) and source.has_report_files(expected=self._expects_reports)

    def _report_source(self) -> Path:
        """The reports' folder or zip. A source that fetches on demand reads the one zip rather than a file
        per report; a local copy reads its report files (cheaper than inflating the zip) when it has them."""
        source = self._reports_source
        if self.reports_zip is not None and source.fetches_on_demand:
            return self.local_file(self.reports_zip)
        if self._has_report_files:
            if source.fetches_on_demand:  # one request per report, once: then they are in the mirror
                rels = self.studies().select("path").collect()["path"].to_list()
                source.prefetch(rels, progress=True, desc="fetching reports")
            if (source.root / layout.FILES_DIR).is_dir():
                return source.root
        if self.reports_zip is not None:
            return self.local_file(self.reports_zip)
        raise MissingFileError(
            f"this copy ({self.location}) has no reports: no files/pNN/pSUBJECT/sSTUDY.txt and no "
            "mimic-cxr-reports.zip (MIMIC-CXR-JPG ships without reports; they come with MIMIC-CXR)"
        )

    def reports(self, *, executor=None, progress: bool = True, refresh: bool = False) -> pl.LazyFrame:
        """Every report: ``subject_id, study_id, text`` (plus ``path`` and ``error``), from the ``files/``
        tree, else straight from ``mimic-cxr-reports.zip``. Read in parallel once,
        then kept as parquet in the cache.

        See :func:`cxrkit.reports.read_reports` for the reading and caching rules: a report added or removed
        anywhere is seen on the next call; ``refresh=True`` re-reads them all (after an edit in place).

        Examples
        --------
        >>> ds = open_dataset()
        >>> reports = ds.reports(progress=False).select("study_id", "text").collect()
        >>> reports.height == ds.studies().collect().height
        True
        """
        return read_reports(
            self._report_source(), cache=self.cache, executor=executor, progress=progress, refresh=refresh
        ).lazy()

    def sections(self, *, executor=None, progress: bool = True, refresh: bool = False) -> pl.LazyFrame:
        """One row per report, one column per common section (``findings``, ``impression``, ...), see
        :func:`cxrkit.reports.read_sections`; cached like :meth:`reports`.

        Examples
        --------
        >>> ds = open_dataset()
        >>> "impression" in ds.sections(progress=False).collect_schema().names()
        True
        """
        return read_sections(
            self._report_source(), cache=self.cache, executor=executor, progress=progress, refresh=refresh
        ).lazy()

    def mimic_iv(self, root: str | os.PathLike | None = None, *, ed_root: str | os.PathLike | None = None):
        """The MIMIC-IV copy to link this one to (:class:`cxrkit.mimic_iv.MimicIV`): ``root`` when given
        (a folder or URL, see :func:`cxrkit.mimic_iv.open_mimic_iv`), else the one beside the CXR projects
        (``physionet.org/files/mimiciv/<version>/``). Link with :func:`cxrkit.mimic_iv.link_studies`.

        Raises :class:`~cxrkit.errors.MissingFileError` when there is none beside and none is named.
        """
        from .mimic_iv import find_mimic_iv, open_mimic_iv

        if root is not None:
            return open_mimic_iv(root, ed_root=ed_root, cache_dir=self.cache.root)
        if not self.is_remote:
            for src in self.sources.values():
                found = find_mimic_iv(src.root, cache_dir=self.cache.root)
                if found is not None:
                    return found
        raise MissingFileError(
            f"no MIMIC-IV copy beside {self.location} (looked for physionet.org/files/mimiciv/<version>/ "
            "next to the CXR projects); pass its folder: ds.mimic_iv('/data/physionet.org/files/mimiciv/3.1')"
        )

    def validate(self, *, checksums: bool = False, progress: bool = True) -> pl.DataFrame:
        """Check this copy; one row per finding (see :func:`cxrkit.validate.validate`). Empty when clean.

        ``checksums=True`` also hashes every file against the projects' ``SHA256SUMS.txt`` (slow on a full
        copy: it reads every byte; the progress bar says how long).
        """
        return validate(self, checksums=checksums, progress=progress)

    def summary(self) -> Summary:
        """What is here: root, flavour, tables present, and counts of patients, studies and images (listed and
        on disk). A dict (``cxrkit info`` reads it) that prints and shows in a notebook as a table.

        Examples
        --------
        >>> s = open_dataset().summary()
        >>> s["patients"] > 0, "<table" in s._repr_html_()
        (True, True)
        """
        counts = (
            self.records()
            .select(
                pl.col("subject_id").n_unique().alias("patients"),
                pl.col("study_id").n_unique().alias("studies"),
                pl.len().alias("images"),
            )
            .collect()
            .row(0, named=True)
        )
        listing = self.listing
        return Summary(
            {
                "root": self.location,
                "projects": self.projects,
                "remote": self.is_remote,
                "mirror": str(self.root) if self.is_remote else None,
                "flavor": self.flavor,
                "image_ext": self.image_ext,
                "tables": {name: p.name for name, p in self.table_files.items()},
                "table_projects": {name: self._project_of(p) for name, p in self.table_files.items()},
                "missing_tables": [n for n in tables.TABLES if n not in self.table_files],
                "reports_zip": self.reports_zip.name if self.reports_zip else None,
                "image_filenames": self.image_filenames is not None,
                **counts,
                "images_on_disk": int((listing["kind"] == "image").sum()),
                "reports_on_disk": int((listing["kind"] == "report").sum()),
            }
        )


def demo_root(cache_dir: str | os.PathLike | None = None) -> Path:
    """The embedded demo dataset's folder, generated on first use into the cache directory (deterministic)."""
    from .demo import DEMO_VERSION, make_demo

    cache = Cache(cache_dir)
    root = cache.path("demo", f"v{DEMO_VERSION}")
    if not root.exists():
        try:
            make_demo(root)
        except FileExistsError:  # another process made it meanwhile
            pass
    return root


def open_dataset(
    root: str | os.PathLike | None = None,
    *,
    jpg_root: str | os.PathLike | None = None,
    prefer: str = "dicom",
    release: str | None = None,
    cache_dir: str | os.PathLike | None = None,
    storage_options: dict | None = None,
) -> Dataset:
    """Open a copy of MIMIC-CXR and/or MIMIC-CXR-JPG: the one obvious entry point.

    Parameters
    ----------
    root
        Where the copy is, as ``wget`` left it: the ``physionet.org/files`` folder above the two projects (or
        any folder holding ``mimic-cxr/<release>/`` and/or ``mimic-cxr-jpg/<release>/``), either project's own
        folder (its sibling is found where PhysioNet puts it), or one folder holding everything (``files/``
        and the ``.csv.gz`` tables). Or a URL of a project (``https://physionet.org/files/mimic-cxr/2.0.0/``,
        ``s3://...``, ``gs://...``, any fsspec URL: files are then fetched on demand into the cache, see
        :mod:`cxrkit.storage.remote`). Default: the ``CXRKIT_ROOT`` environment variable, else the synthetic
        demo dataset (generated on first use).
    jpg_root
        The MIMIC-CXR-JPG project when it does not sit beside MIMIC-CXR.
    prefer
        Which images to show when the copy has both: ``"dicom"`` (default) or ``"jpg"``.
    release
        The release folder to open in each project (default: the newest each has).
    cache_dir
        Where derived data goes. Default: ``CXRKIT_CACHE``, else the per-user cache directory. It must lie
        outside the dataset root; the kit never writes into a dataset.
    storage_options
        For a URL root: credentials and options of the fsspec filesystem (HTTP: ``{"username": ...,
        "password": ...}``); see :mod:`cxrkit.storage.remote` for the other places credentials are taken from.

    Examples
    --------
    >>> ds = open_dataset()
    >>> ds.flavor, ds.has("chexpert")
    ('dicom', True)
    """
    from_env = root is None and bool(os.environ.get(ENV_ROOT))
    if root is None:
        root = os.environ.get(ENV_ROOT) or None
    if root is None:
        root = demo_root(cache_dir)
    try:
        return Dataset(
            root,
            jpg_root=jpg_root,
            prefer=prefer,
            release=release,
            cache_dir=cache_dir,
            storage_options=storage_options,
        )
    except NotADatasetError as exc:
        if from_env:  # the user called open_dataset() with no argument: the variable is the cause
            raise NotADatasetError(
                f"the environment variable {ENV_ROOT} is set to {root}, which is not a copy of the data: "
                f"{exc} "
                f"Fix {ENV_ROOT}, or unset it to open the demo dataset."
            ) from exc.__cause__
        raise
