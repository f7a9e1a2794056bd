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
from .download import download
from .errors import MissingFileError, NotADatasetError, StudyNotFoundError
from .reports import find_zip_member, read_report, read_reports, read_sections
from .storage.backend import Source
from .storage.cache import Cache
from .storage.sources import open_source
from .storage.tree import read_image_filenames
from .validate import validate

ENV_ROOT = "CXRKIT_ROOT"

FRONTAL_VIEWS = tables.FRONTAL_VIEWS  # re-exported: frontal images come first in a Study


@dataclass(frozen=True)
class Image:
    """One image of a study. ``path`` is where the file is (or would be, when ``exists`` is False)."""

    dicom_id: str
    path: Path
    exists: bool
    view_position: str | None = None


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

    The dataset holds one :class:`~cxrkit.storage.backend.Source` (a local folder, or a URL mirrored on
    demand) and asks it for names, files and bytes; it never asks which kind of source it holds.

    Attributes
    ----------
    source : Source
        Where the copy's files come from (:func:`cxrkit.storage.open_source`).
    root : Path
        The local folder of the copy's files (the copy itself, or its mirror in the cache);
        read-only to the kit.
    cache : Cache
        Where derived data (parquet tables, thumbnails) is kept.
    table_files : dict[str, Path]
        The known tables present in this copy, by name (see :data:`cxrkit.tables.TABLES`).
    """

    def __init__(
        self,
        root: str | os.PathLike | Source,
        *,
        cache_dir: str | os.PathLike | None = None,
        storage_options: dict | None = None,
    ) -> None:
        source = (
            root
            if isinstance(root, Source)
            else open_source(root, cache_dir=cache_dir, storage_options=storage_options)
        )
        self.source = source
        self.root = source.root
        self.cache = source.cache
        names = source.names()
        self.table_files: dict[str, Path] = {}
        for name in tables.TABLES:
            found = layout.find_table_file(names, name)
            if found is not None:
                self.table_files[name] = self.root / found
        self.image_filenames = self.root / layout.IMAGE_FILENAMES if layout.IMAGE_FILENAMES in names else None
        zip_name = layout.find_reports_zip(names)
        self.reports_zip = self.root / zip_name if zip_name else None
        self.has_files_tree = layout.FILES_DIR in names
        if not (self.table_files or self.has_files_tree or self.image_filenames or self.reports_zip):
            raise NotADatasetError(
                f"{source.label} does not look like a MIMIC-CXR copy: it has no files/ folder and none of "
                f"{', '.join(spec.files[0] for spec in tables.TABLES.values())}. Pass the folder that holds "
                f"them (e.g. {source.root_example})."
            )

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
        """The local file for ``path`` (relative to the root, or under it): as is for a local copy; for a
        remote copy, fetched into the cache mirror first when absent
        (raises MissingFileError if the server lacks it)."""
        return self.source.local(path)

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

    def __repr__(self) -> str:
        tables = ", ".join(self.table_files) or "no tables"
        return f"<cxrkit.Dataset {self.flavor} at {self.location} ({tables})>"

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
        if "records" in self.table_files:
            rels = self.table("records").select("path").head(3).collect()["path"].to_list()
        elif "metadata" in self.table_files:
            rels = (
                self.table("metadata")
                .select("subject_id", "study_id", "dicom_id")
                .head(3)
                .with_columns(layout.image_path_expr(ext=".dcm"))
                .collect()["path"]
                .to_list()
            )
        else:
            return None
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
        shows a progress bar."""
        return self.source.listing(progress=True)

    # --- tables ------------------------------------------------------------------------------------

    def table(self, name: str) -> pl.LazyFrame:
        """Table ``name`` (a key of :data:`cxrkit.tables.TABLES`) as a typed lazy frame, cached as parquet.

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
        return tables.load_table(self.local_file(path), tables.TABLES[name], cache=self.cache)

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
        """Records joined with metadata (views, sizes, date and time) and split, where present; sorted by ids.

        With metadata, ``view`` (frontal / lateral / other) and ``view_source`` say what each image shows,
        falling back from ``ViewPosition`` to the coded view and the procedure
        (:func:`cxrkit.tables.view_exprs`).
        """
        lf = self.records()
        if "metadata" in self.table_files:
            meta = self.metadata().drop("subject_id", "study_id")
            lf = lf.join(meta, on="dicom_id", how="left").with_columns(tables.view_exprs())
        if "split" in self.table_files:
            lf = lf.join(self.split().select("dicom_id", "split"), on="dicom_id", how="left")
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
        wanted = [layout.image_path(subject, sid, did, ext=ext) for did in sorted(rows["dicom_id"])]
        if self.flavor == "dicom" or "studies" in self.table_files:
            wanted.append(layout.report_path(subject, sid))
        self.source.prefetch(wanted)  # a remote copy fetches the study's files in parallel; a folder has them
        images = []
        for did in sorted(rows["dicom_id"]):
            rel = layout.image_path(subject, sid, did)[: -len(".dcm")]
            path, exists = self._locate(rel)
            images.append(Image(did, path, exists, views.get(did) or None))

        def order(img: Image) -> tuple[int, str]:
            return (0 if img.view_position in FRONTAL_VIEWS else 1 if img.view_position else 2, img.dicom_id)

        report = self.root / layout.report_path(subject, sid)
        reports_zip = self.reports_zip
        if reports_zip is not None and not report.exists():
            reports_zip = self.local_file(
                reports_zip
            )  # no .txt for it: the zip has them all (fetched if remote)
        return Study(
            subject_id=subject,
            study_id=sid,
            images=tuple(sorted(images, key=order)),
            report_path=report if report.exists() or self.flavor == "dicom" else None,
            study_date=date,
            study_time=time,
            _reports_zip=reports_zip,
        )

    # --- reports -----------------------------------------------------------------------------------

    @cached_property
    def _has_report_files(self) -> bool:
        if "listing" in self.__dict__ and not self.source.fetches_on_demand:  # already walked
            return bool((self.listing["kind"] == "report").any())
        expected = self.flavor == "dicom" or "studies" in self.table_files
        return self.has_files_tree and self.source.has_report_files(expected=expected)

    def _report_source(self) -> Path:
        """The reports' folder or zip. A source that fetches on demand reads the one zip rather than a file
        per report; a local copy reads its report files (cheaper than inflating the zip) when it has them."""
        if self.reports_zip is not None and self.source.fetches_on_demand:
            return self.local_file(self.reports_zip)
        if self._has_report_files:
            if self.source.fetches_on_demand:  # one request per report, once: then they are in the mirror
                rels = self.studies().select("path").collect()["path"].to_list()
                self.source.prefetch(rels, progress=True, desc="fetching reports")
            if (self.root / layout.FILES_DIR).is_dir():
                return self.root
        if self.reports_zip is not None:
            return self.local_file(self.reports_zip)
        raise MissingFileError(
            f"this copy ({self.location}) has no reports: no files/pNN/pSUBJECT/sSTUDY.txt and no "
            "mimic-cxr-reports.zip (MIMIC-CXR-JPG ships without reports; they come with MIMIC-CXR)"
        )

    def reports(self, *, executor=None, progress: bool = True) -> pl.LazyFrame:
        """Every report: ``subject_id, study_id, text`` (plus ``path`` and ``error``), from the ``files/``
        tree, else straight from ``mimic-cxr-reports.zip``. Read in parallel once,
        then kept as parquet in the cache.

        See :func:`cxrkit.reports.read_reports` for the reading and caching rules.

        Examples
        --------
        >>> ds = open_dataset()
        >>> reports = ds.reports(progress=False).select("study_id", "text").collect()
        >>> reports.height == ds.studies().collect().height
        True
        """
        return read_reports(
            self._report_source(), cache=self.cache, executor=executor, progress=progress
        ).lazy()

    def sections(self, *, executor=None, progress: bool = True) -> pl.LazyFrame:
        """One row per report, one column per common section (``findings``, ``impression``, ...), see
        :func:`cxrkit.reports.read_sections`; cached like :meth:`reports`.

        Examples
        --------
        >>> ds = open_dataset()
        >>> "impression" in ds.sections(progress=False).collect_schema().names()
        True
        """
        return read_sections(
            self._report_source(), cache=self.cache, executor=executor, progress=progress
        ).lazy()

    def validate(self) -> pl.DataFrame:
        """Check this copy; one row per finding (see :func:`cxrkit.validate.validate`). Empty when clean."""
        return validate(self)

    def summary(self) -> dict[str, object]:
        """What is here: root, flavour, tables present, and counts of patients, studies and images (listed and
        on disk). Used by ``cxrkit info``."""
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
        return {
            "root": self.location,
            "remote": self.is_remote,
            "mirror": str(self.root) if self.is_remote else None,
            "flavor": self.flavor,
            "image_ext": self.image_ext,
            "tables": {name: p.name for name, p in self.table_files.items()},
            "missing_tables": [n for n in tables.TABLES if n not in self.table_files],
            "reports_zip": self.reports_zip.name if self.reports_zip else None,
            "image_filenames": self.image_filenames is not None,
            **counts,
            "images_on_disk": int((listing["kind"] == "image").sum()),
            "reports_on_disk": int((listing["kind"] == "report").sum()),
        }


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
    cache_dir: str | os.PathLike | None = None,
    storage_options: dict | None = None,
) -> Dataset:
    """Open a MIMIC-CXR or MIMIC-CXR-JPG copy: the one obvious entry point.

    Parameters
    ----------
    root
        The dataset folder (the one holding ``files/`` and the ``.csv.gz`` tables), or its URL
        (``https://physionet.org/files/mimic-cxr/2.0.0/``, ``s3://...``, ``gs://...``, any fsspec URL: files
        are then fetched on demand into the cache, see :mod:`cxrkit.storage.remote`). Default: the
        ``CXRKIT_ROOT`` environment variable, else the synthetic demo dataset (generated on first use).
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
    if root is None:
        root = os.environ.get(ENV_ROOT) or None
    if root is None:
        root = demo_root(cache_dir)
    return Dataset(root, cache_dir=cache_dir, storage_options=storage_options)
