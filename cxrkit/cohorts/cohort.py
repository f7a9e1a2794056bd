"""The cohort: an immutable value built from a dataset by named steps, with the counts left after each.

``ds.cohort()`` starts from every image the copy lists; each step method (:meth:`Cohort.view`,
:meth:`Cohort.split`, :meth:`Cohort.labels`, ...) returns a new cohort with one more step, the old one is
unchanged. ``steps`` records each step with the patients, studies and images left and those it excluded;
``flow()`` draws them, ``_repr_html_`` shows them as a table in a notebook; ``images()``, ``studies()`` and
``patients()`` give the cohort as frames; ``manifest()`` writes what it takes to get or rebuild it elsewhere.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()
>>> c = ds.cohort().view("frontal").one_per_patient("study", "first")
>>> [row.name for row in c.steps]
['start', 'view', 'one per patient']
>>> c.studies().height == c.steps[-1].studies == c.patients().height
True
"""

from __future__ import annotations

import html
import os
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import layout
from ..errors import CxrkitError, EmptyCohortError, ManifestError
from ..storage.cache import file_identity, identity_key
from . import manifest as manifest_
from . import steps as steps_
from .flow import StepRow, counts_text, flow_diagram
from .pairs import prior_step

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset

__all__ = ["IMAGE_COLUMNS", "Cohort"]

#: The columns of :meth:`Cohort.images`.
IMAGE_COLUMNS = (
    "subject_id",
    "study_id",
    "dicom_id",
    "ViewPosition",
    "view",
    "view_source",
    "split",
    "study_date",
    "study_time",
)


#: Bump when the start frame's columns or rules change: cached copies are then rebuilt.
FRAME_VERSION = 1


def _frame_copy(ds: Any) -> Path | None:
    """Where the start frame of a local copy with record list and metadata is kept in the cache, keyed by the
    identity of every table it is made of (``None`` for copies whose tables are derived or remote)."""
    if ds.is_remote or not {"records", "metadata"} <= set(ds.table_files):
        return None
    names = [n for n in ("records", "studies", "metadata", "split") if n in ds.table_files]
    try:
        idents = [file_identity(ds.table_files[n]) for n in names]
    except OSError:
        return None
    folder = ds.cache.path("cohorts", identity_key(idents[0][0]))
    return folder / f"images-{identity_key(*idents, FRAME_VERSION, pl.__version__)}.parquet"


def _build_frame(ds: Dataset) -> pl.DataFrame:
    images = ds.images().select(IMAGE_COLUMNS[:7])
    times = ds.study_times().select(
        "study_id", pl.col("StudyDate").alias("study_date"), pl.col("StudyTime").alias("study_time")
    )
    return images.join(times, on="study_id", how="left").collect()


def image_frame(ds: Dataset) -> tuple[pl.DataFrame, int]:
    """Every image the copy lists with the columns of :data:`IMAGE_COLUMNS`, and how many rows were left out
    for malformed ids (see ``ds.validate()``).

    The joined frame of a local copy is kept as parquet in the cache (keyed by its tables' identities), so
    a later cohort of the same copy starts without joining the tables again.
    """
    copy = _frame_copy(ds)
    frame = None
    if copy is not None and copy.is_file():
        try:
            frame = pl.read_parquet(copy)
        except (OSError, pl.exceptions.PolarsError):
            frame = None
    if frame is None:
        frame = _build_frame(ds)
        if copy is not None:
            try:
                with ds.cache.atomic_path(copy) as tmp:
                    frame.write_parquet(tmp, compression="lz4")
                for stale in copy.parent.glob("images-*.parquet"):
                    if stale != copy:
                        stale.unlink(missing_ok=True)
            except (OSError, CxrkitError) as exc:
                warnings.warn(
                    f"could not cache the cohort start frame in {ds.cache.root}: {exc}", stacklevel=3
                )
    ok = (
        pl.col("dicom_id").str.contains(layout.DICOM_ID_PATTERN).fill_null(False)
        & pl.col("subject_id").is_between(10_000_000, 19_999_999).fill_null(False)
        & pl.col("study_id").is_between(50_000_000, 59_999_999).fill_null(False)
    )
    good = frame.filter(ok)
    return good, frame.height - good.height


def _counts(frame: pl.DataFrame) -> tuple[int, int, int]:
    if frame.height == 0:
        return 0, 0, 0
    row = frame.select(pl.col("subject_id").n_unique(), pl.col("study_id").n_unique(), pl.len()).row(0)
    return int(row[0]), int(row[1]), int(row[2])


class Cohort:
    """A selection of images of one copy with its provenance: the steps that made it, each with its counts.

    Build one with ``ds.cohort()`` (or :meth:`Cohort.start`) and its step methods; every method returns a new
    cohort. A step that leaves no image raises :class:`~cxrkit.errors.EmptyCohortError` naming it.

    Attributes
    ----------
    dataset : Dataset
        The copy the cohort was built from.
    missing : polars.DataFrame or None
        For a cohort reopened with :meth:`from_manifest`: the manifest's images this copy lacks, with why.
    """

    __slots__ = ("_ds", "_frame", "_pairs", "_rows", "_steps", "missing")

    def __init__(
        self,
        ds: Any,
        frame: pl.DataFrame,
        rows: tuple[StepRow, ...],
        steps: tuple[steps_.Step, ...] = (),
        pairs: pl.DataFrame | None = None,
        missing: pl.DataFrame | None = None,
    ) -> None:
        for name, value in (
            ("_ds", ds),
            ("_frame", frame),
            ("_rows", rows),
            ("_steps", steps),
            ("_pairs", pairs),
            ("missing", missing),
        ):
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a Cohort is immutable: each step method returns a new cohort")

    @classmethod
    def start(cls, ds: Dataset, *, description: str = "images listed in this copy") -> Cohort:
        """Every image the copy lists (rows with malformed ids left out, as the note of the first step says).

        Examples
        --------
        >>> import cxrkit
        >>> ds = cxrkit.open_dataset()
        >>> Cohort.start(ds).steps[0].images == ds.records().collect().height
        True
        """
        frame, bad = image_frame(ds)
        if frame.height == 0:
            raise EmptyCohortError(f"this copy ({ds.location}) lists no image to start a cohort from")
        note = f"{bad} row(s) with malformed ids left out (see ds.validate())" if bad else ""
        p, s, i = _counts(frame)
        row = StepRow(0, "start", description, p, s, i, 0, 0, 0, "", note)
        return cls(ds, frame, (row,))

    # --- steps ------------------------------------------------------------------------------------------

    def then(self, *steps: steps_.Step) -> Cohort:
        """This cohort with ``steps`` (:mod:`cxrkit.cohorts.steps`) applied in order.

        Examples
        --------
        >>> import cxrkit
        >>> from cxrkit.cohorts import steps
        >>> frontal = steps.view("frontal")
        >>> c = cxrkit.open_dataset().cohort().then(frontal)
        >>> c.steps[-1].description
        'frontal images (ViewPosition, else coded view, else procedure)'
        """
        out = self
        for step in steps:
            out = out._apply(step)
        return out

    def _apply(self, step: steps_.Step) -> Cohort:
        before = self._rows[-1]
        pairs = self._pairs
        if step.pairs is not None:
            pairs = step.pairs(self._ds, self._frame)
        kept = step.apply(self._ds, self._frame)
        p, s, i = _counts(kept)
        k = len(self._rows)
        if i == 0:
            raise EmptyCohortError(
                f"step {k} ({step.name}: {step.description}) left no image; before it the cohort had "
                f"{counts_text(before.patients, before.studies, before.images)}"
            )
        note = step.note(kept) if step.note is not None else ""
        row = StepRow(
            k,
            step.name,
            step.description,
            p,
            s,
            i,
            before.patients - p,
            before.studies - s,
            before.images - i,
            step.excluded,
            note,
        )
        if pairs is not None and step.pairs is None:  # pairs whose studies this step removed go too
            ids = kept.select("study_id").unique()
            pairs = pairs.join(ids, on="study_id", how="semi").join(
                ids.rename({"study_id": "prior_study_id"}), on="prior_study_id", how="semi"
            )
        return Cohort(self._ds, kept, (*self._rows, row), (*self._steps, step), pairs, self.missing)

    def view(self, kinds: str | Iterable[str] = "frontal", *, fallback: bool = True, per: str = "image"):
        """Keep images of a view; see :func:`cxrkit.cohorts.steps.view`."""
        return self._apply(steps_.view(kinds, fallback=fallback, per=per))

    def split(self, names: str | Iterable[str] = "train") -> Cohort:
        """Keep the official split; see :func:`cxrkit.cohorts.steps.split`."""
        return self._apply(steps_.split(names))

    def labels(
        self,
        categories: str | Iterable[str] | Mapping[str, object],
        value: object = "positive",
        *,
        table: str = "chexpert",
        uncertain: str = "ignore",
        match: str = "all",
    ) -> Cohort:
        """Keep studies by their labels; see :func:`cxrkit.cohorts.steps.labels`."""
        return self._apply(steps_.labels(categories, value, table=table, uncertain=uncertain, match=match))

    def report(self, words=(), *, sections=(), section: str | None = None, exclude_words=()) -> Cohort:
        """Keep studies by their report text; see :func:`cxrkit.cohorts.steps.report`."""
        return self._apply(
            steps_.report(words, sections=sections, section=section, exclude_words=exclude_words)
        )

    def mentions(
        self,
        categories: str | Iterable[str] | Mapping[str, object],
        value: object = "positive",
        *,
        section: str | None = None,
        uncertain: str = "ignore",
        match: str = "all",
    ) -> Cohort:
        """Keep studies by what the report text says (the kit's reader, not the label tables); see
        :func:`cxrkit.cohorts.steps.mentions`."""
        return self._apply(
            steps_.mentions(categories, value, section=section, uncertain=uncertain, match=match)
        )

    def dates(self, start: object = None, end: object = None) -> Cohort:
        """Keep studies within dates; see :func:`cxrkit.cohorts.steps.dates`."""
        return self._apply(steps_.dates(start, end))

    def one_per_patient(self, level: str = "study", pick: str = "first", *, seed: int = 0) -> Cohort:
        """Keep one study or image per patient; see :func:`cxrkit.cohorts.steps.one_per_patient`."""
        return self._apply(steps_.one_per_patient(level, pick, seed=seed))

    def on_disk(self, project: str | None = None) -> Cohort:
        """Keep images whose files are in this copy; see :func:`cxrkit.cohorts.steps.on_disk`."""
        return self._apply(steps_.on_disk(project))

    def hospital(self, mimic: Any, **kwargs: Any) -> Cohort:
        """Keep studies by their MIMIC-IV admission, ICU or ED stay and age; see
        :func:`cxrkit.cohorts.steps.hospital`."""
        return self._apply(steps_.hospital(mimic, **kwargs))

    def where(self, expr: pl.Expr, name: str = "where", description: str | None = None) -> Cohort:
        """Keep images where a polars expression holds; see :func:`cxrkit.cohorts.steps.where`."""
        return self._apply(steps_.where(expr, name, description))

    def with_prior(
        self,
        min_days: float | None = None,
        max_days: float | None = None,
        *,
        immediate: bool = True,
        certain_order: bool = False,
        comparison: bool | None = None,
        keep: str = "both",
    ) -> Cohort:
        """Keep studies with a prior study among the cohort's; see :func:`cxrkit.cohorts.pairs.prior_step`.
        The pairs are then :meth:`pairs`."""
        step = prior_step(
            min_days,
            max_days,
            immediate=immediate,
            certain_order=certain_order,
            comparison=comparison,
            keep=keep,
        )
        return self._apply(step)

    # --- what it holds ----------------------------------------------------------------------------------

    @property
    def dataset(self) -> Dataset:
        return self._ds

    @property
    def steps(self) -> tuple[StepRow, ...]:
        """Each step (the start first) with what was left after it and what it excluded."""
        return self._rows

    def steps_frame(self) -> pl.DataFrame:
        """:attr:`steps` as a frame, one row per step.

        Examples
        --------
        >>> import cxrkit
        >>> cxrkit.open_dataset().cohort().steps_frame().columns[:4]
        ['index', 'name', 'description', 'patients']
        """
        return pl.DataFrame([row.__dict__ for row in self._rows])

    def images(self) -> pl.DataFrame:
        """One row per image (:data:`IMAGE_COLUMNS`), sorted by ids."""
        return self._frame.sort("subject_id", "study_id", "dicom_id")

    def studies(self) -> pl.DataFrame:
        """One row per study: ``subject_id, study_id, study_date, study_time, n_images, views, split``
        (``views``: the study's image views, e.g. ``["frontal", "lateral"]``), in time order per patient."""
        return (
            self._frame.group_by("subject_id", "study_id")
            .agg(
                pl.col("study_date").first(),
                pl.col("study_time").first(),
                pl.len().cast(pl.Int64).alias("n_images"),
                pl.col("view").drop_nulls().unique().sort().alias("views"),
                pl.col("split").drop_nulls().first().alias("split"),
            )
            .sort("subject_id", "study_date", "study_time", "study_id", nulls_last=True)
        )

    def patients(self) -> pl.DataFrame:
        """One row per patient: ``subject_id, n_studies, n_images, first_study_date, last_study_date``."""
        return (
            self._frame.group_by("subject_id")
            .agg(
                pl.col("study_id").n_unique().cast(pl.Int64).alias("n_studies"),
                pl.len().cast(pl.Int64).alias("n_images"),
                pl.col("study_date").min().alias("first_study_date"),
                pl.col("study_date").max().alias("last_study_date"),
            )
            .sort("subject_id")
        )

    def pairs(self, *, immediate: bool = True) -> pl.DataFrame:
        """The (current, prior) pairs: those of the last :meth:`with_prior` step (minus pairs a later step
        broke), else the pairs of the cohort's studies in time order (see :func:`cxrkit.cohorts.pairs_of`)."""
        if self._pairs is not None:
            return self._pairs
        step = prior_step(immediate=immediate, keep="both")
        return step.pairs(self._ds, self._frame)

    def __len__(self) -> int:
        return self._frame.height

    # --- showing it -------------------------------------------------------------------------------------

    def __repr__(self) -> str:
        last = self._rows[-1]
        names = " -> ".join(row.name for row in self._rows[1:]) or "no steps"
        return f"<Cohort {counts_text(last.patients, last.studies, last.images)} ({names})>"

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in ("#", "step", "keeps", "patients", "studies", "images", "excluded", "note")
        )
        body = []
        for row in self._rows:
            excluded = (
                ""
                if row.index == 0
                else f"{row.excluded_patients:,} / {row.excluded_studies:,} / {row.excluded_images:,} "
                f"({html.escape(row.excluded)})"
            )
            cells = (
                row.index,
                html.escape(row.name),
                html.escape(row.description),
                f"{row.patients:,}",
                f"{row.studies:,}",
                f"{row.images:,}",
                excluded,
                html.escape(row.note),
            )
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        caption = html.escape(repr(self))
        return f"<table><caption>{caption}</caption><tr>{head}</tr>{''.join(body)}</table>"

    def flow(self, *, title: str = "Cohort flow", ax=None):
        """The CONSORT-style flow diagram of the steps (a matplotlib figure); see
        :func:`cxrkit.cohorts.flow_diagram`."""
        return flow_diagram(list(self._rows), title=title, ax=ax)

    # --- getting it -------------------------------------------------------------------------------------

    def manifest(self, path: str | os.PathLike, **kwargs) -> manifest_.ManifestInfo:
        """Write the cohort's manifest (CSV or parquet by the suffix of ``path``) and its download lists
        beside it; see :func:`cxrkit.cohorts.manifest.write_manifest`."""
        return manifest_.write_manifest(self, path, **kwargs)

    def download(self, dest: str | os.PathLike, **kwargs) -> Path:
        """Copy the cohort's images and reports into ``dest`` with the verified, resumable download of the
        dataset (:meth:`cxrkit.Dataset.download`); the tables there are filtered to the cohort."""
        return self._ds.download(self._frame.select("subject_id", "study_id", "dicom_id"), dest, **kwargs)

    @classmethod
    def from_manifest(cls, ds: Dataset, path: str | os.PathLike) -> Cohort:
        """Reopen a manifest on a copy (``ds``): the manifest's images this copy lists, with the recorded
        steps
        and a last step saying what was found; :attr:`missing` lists what is not here and why.

        Raises :class:`~cxrkit.errors.ManifestError` for a file that is not a cxrkit manifest, one written by
        a newer kit, or one of another dataset.
        """
        read = manifest_.read_manifest(path)
        frame, _ = image_frame(ds)
        wanted = read.images.select("subject_id", "study_id", "dicom_id")
        found = frame.join(wanted.select("dicom_id"), on="dicom_id", how="semi")
        missing = manifest_.missing_images(ds, read.images, found)
        try:
            recorded = tuple(StepRow(**r) for r in read.steps)
        except TypeError as exc:
            raise ManifestError(f"{path}: its recorded steps are not those of a cohort ({exc})") from exc
        rows = recorded or (StepRow(0, "start", "images of the manifest", *_counts(wanted), 0, 0, 0, "", ""),)
        before = rows[-1]
        p, s, i = _counts(found)
        row = StepRow(
            len(rows),
            "from manifest",
            f"images of {Path(path).name} listed in this copy",
            p,
            s,
            i,
            before.patients - p,
            before.studies - s,
            before.images - i,
            "not listed in this copy",
            f"{missing.height} image(s) of the manifest missing here" if missing.height else "",
        )
        if found.height == 0:
            raise EmptyCohortError(
                f"none of the {wanted.height} images of {path} is listed in this copy ({ds.location})"
            )
        return cls(ds, found, (*rows, row), (), None, missing)
