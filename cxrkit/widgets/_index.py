"""What the browser lists and filters: one small per-study frame built once from the dataset's tables.

:class:`StudyIndex` collects, once per browser, the studies with their date and time, image count, views
and splits, plus the label tables, and answers filter queries as polars expressions on those frames. Report
text for the free-text filter is read on demand and kept in memory.

Examples
--------
>>> import cxrkit
>>> index = StudyIndex(cxrkit.open_dataset())  # the demo, or $CXRKIT_ROOT
>>> lateral = index.filter(view="LATERAL")
>>> lateral_train = index.filter(view="LATERAL", split="train")
>>> 0 < lateral.height < index.studies.height, lateral.height >= lateral_train.height
(True, True)
"""

from __future__ import annotations

import warnings

import polars as pl

from .. import layout
from ..dataset import Dataset, Study
from ..errors import CxrkitError, MissingFileError
from ..tables import LABEL_COLUMNS

#: Labellers offered by the label filter, with the dataset table each one reads.
LABEL_SOURCES = {"CheXpert": "chexpert", "NegBio": "negbio"}
#: The order of the studies list: by patient, then in time (never by study id, which implies no order).
LIST_ORDER = ["subject_id", "StudyDate", "StudyTime", "study_id"]
#: The filter value meaning "images with no ViewPosition".
NO_VIEW = "(none)"
#: Label filter choices: shown name -> label value (None is blank, "not mentioned").
LABEL_VALUES = {"positive (1)": 1.0, "negative (0)": 0.0, "uncertain (-1)": -1.0, "blank": None}


def read_report_text(study: Study) -> str | None:
    """The study's report, or None when this copy has none (a JPG copy, a partial download)."""
    try:
        return study.report_text()
    except MissingFileError:
        return None


class StudyIndex:
    """Per-study listing and filters for one dataset (see the module docstring)."""

    def __init__(self, dataset: Dataset) -> None:
        self.dataset = dataset
        images = dataset.images().collect()
        for col in ("ViewPosition", "split"):
            if col not in images.columns:
                images = images.with_columns(pl.lit(None, pl.String).alias(col))
        self.images = images.select("subject_id", "study_id", "dicom_id", "ViewPosition", "split")
        per_study = self.images.group_by("study_id").agg(
            pl.len().cast(pl.Int64).alias("n_images"),
            pl.col("ViewPosition").drop_nulls().unique().sort().alias("views"),
        )
        self.studies = (
            dataset.study_times()
            .collect()
            .join(per_study, on="study_id", how="left")
            .with_columns(pl.col("n_images").fill_null(0))
            .sort(LIST_ORDER, nulls_last=True)
        )
        self.labels = {
            name: getattr(dataset, table)().collect() if dataset.has(table) else None
            for name, table in LABEL_SOURCES.items()
        }
        self.labels = {k: v for k, v in self.labels.items() if v is not None}
        self.views = sorted(v for v in self.images["ViewPosition"].unique().to_list() if v)
        if self.images["ViewPosition"].null_count() and "metadata" in dataset.table_files:
            self.views.append(NO_VIEW)
        self.splits = sorted(v for v in self.images["split"].unique().to_list() if v)
        self.subjects = self.studies["subject_id"].unique().sort().to_list()
        self.has_reports = dataset.flavor == "dicom" or dataset.reports_zip is not None
        self._texts: dict[int, str | None] = {}
        self._corpus: pl.DataFrame | None = None

    def report_corpus(self) -> pl.DataFrame:
        """``study_id, norm`` (the report lower-cased, white space runs as one space) for every report of the
        copy, read once with :func:`cxrkit.reports.read_reports` (the zip when present, else ``files/``) and
        kept as parquet in the dataset's cache, so later searches (and later sessions) are fast."""
        if self._corpus is None:
            from .. import reports

            source = self.dataset.reports_zip or (self.dataset.root if self.dataset.has_files_tree else None)
            frame = None
            if source is not None and self.has_reports:
                small = self.studies.height < 5000  # a process pool costs more than it saves on a few files
                try:
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore", reports.ReportIngestWarning)
                        frame = reports.read_reports(
                            source,
                            cache=self.dataset.cache,
                            progress=False,
                            executor="serial" if small else None,
                        )
                except CxrkitError:
                    frame = None
            if frame is None:
                frame = pl.DataFrame(schema={"study_id": pl.Int64, "text": pl.String})
            self._corpus = frame.select(
                "study_id",
                pl.col("text").fill_null("").str.to_lowercase().str.replace_all(r"\s+", " ").alias("norm"),
            ).unique("study_id")
        return self._corpus

    def study_report(self, study: Study) -> str | None:
        """The report of a :class:`~cxrkit.dataset.Study` (cached), None when absent or unreadable."""
        if study.study_id not in self._texts:
            try:
                self._texts[study.study_id] = read_report_text(study)
            except CxrkitError:
                self._texts[study.study_id] = None
        return self._texts[study.study_id]

    def study_labels(self, study_id: int) -> dict[str, dict[str, float | None]]:
        """``{labeller: {category: 1.0 / 0.0 / -1.0 / None}}`` for one study
        (labellers without a row omitted)."""
        out = {}
        for name, frame in self.labels.items():
            row = frame.filter(pl.col("study_id") == study_id)
            if row.height:
                out[name] = {c: row[c][0] for c in LABEL_COLUMNS if c in row.columns}
        return out

    def filter(
        self,
        *,
        subject: object = None,
        view: str | None = None,
        split: str | None = None,
        label: tuple[str, str, float | None] | None = None,
        text: str | None = None,
    ) -> pl.DataFrame:
        """The studies matching every given filter, in list order (patient, then time).

        Parameters
        ----------
        subject
            A patient id (``10000032`` or ``"p10000032"``); raises :class:`~cxrkit.errors.InvalidIdError`.
        view
            A ViewPosition some image of the study has (:data:`NO_VIEW` for images without one).
        split
            ``train``, ``validate`` or ``test`` for some image of the study.
        label
            ``(labeller, category, value)``, e.g. ``("CheXpert", "Edema", -1.0)``; value None means blank.
        text
            Literal text the report contains (case-insensitive; runs of white space match one space, so a
            phrase matches across the report's line breaks).
        """
        lf = self.studies.lazy()
        if subject not in (None, ""):
            lf = lf.filter(pl.col("subject_id") == layout.subject_id(subject))
        keep: list[pl.LazyFrame] = []  # frames of study ids that must match (semi joins)
        if view:
            cond = pl.col("ViewPosition").is_null() if view == NO_VIEW else pl.col("ViewPosition") == view
            keep.append(self.images.lazy().filter(cond))
        if split:
            keep.append(self.images.lazy().filter(pl.col("split") == split))
        if label is not None:
            source, category, value = label
            frame = self.labels.get(source)
            if frame is None:
                return self.studies.clear()
            cond = pl.col(category).is_null() if value is None else pl.col(category) == value
            keep.append(frame.lazy().filter(cond))
        for ids in keep:
            lf = lf.join(ids.select("study_id").unique(), on="study_id", how="semi")
        result = lf.sort(LIST_ORDER, nulls_last=True).collect()
        if text:
            needle = " ".join(text.lower().split())
            hits = self.report_corpus().filter(pl.col("norm").str.contains(needle, literal=True))
            result = result.join(hits.select("study_id"), on="study_id", how="semi")
            result = result.sort(LIST_ORDER, nulls_last=True)
        return result
