"""Current-prior study pairs in true time order: StudyDate, then StudyTime, never by id (ids are random).

:func:`order_studies` ranks each patient's studies in time and flags what makes the order uncertain: two
studies at the same date and time (``tie``), or a study without a time on a day with another study
(``time_missing``). :func:`pairs_of` turns the ranked studies into (current, prior) pairs: each study with the
one just before it (``immediate=True``) or with every earlier one, with the interval between them and whether
the current report mentions a comparison. :func:`study_pairs` does it for a whole copy, :func:`prior_step`
as a cohort step.

Examples
--------
>>> import datetime as dt
>>> import polars as pl
>>> studies = pl.DataFrame({"subject_id": [10000032] * 3, "study_id": [59000000, 51000000, 55000000],
...     "study_date": [dt.date(2180, 5, 6), dt.date(2180, 5, 6), dt.date(2180, 6, 26)],
...     "study_time": [dt.time(17, 0), dt.time(8, 5), None]})
>>> pairs_of(studies).select("study_id", "prior_study_id", "interval_days").rows()
[(59000000, 51000000, 0.3715277777777778), (55000000, 59000000, 51.0)]
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import polars as pl

from ..errors import CohortError, CxrkitError
from .steps import Step

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset

__all__ = ["COMPARISON_PATTERN", "order_studies", "pairs_of", "prior_step", "study_pairs"]

#: Phrases of a findings or impression that compare with an earlier study.
COMPARISON_PATTERN = (
    r"(?i)\b(?:compared? (?:to|with)|comparison|prior (?:study|exam|examination|radiograph|film|image)s?|"
    r"previous(?:ly)?|since (?:the )?(?:prior|previous|last)|interval(?:ly)?|unchanged|redemonstrat\w*|"
    r"again (?:seen|noted|demonstrated))\b"
)
#: A comparison section that says there is nothing to compare with. (``COMPARISON: ___`` is a prior study
#: whose date was removed: a comparison.)
_NO_COMPARISON = r"(?i)^\s*(?:none|no(?:ne)? (?:prior|comparison)s?(?: \w+)*|n/?a)?\s*\.?\s*$"

STUDY_COLUMNS = ("subject_id", "study_id", "study_date", "study_time")


def order_studies(studies: pl.DataFrame) -> pl.DataFrame:
    """Each patient's dated studies in time order with ``position`` (0 = first), ``tie`` (another study of the
    patient at the same date and time) and ``time_missing`` (no time, and another study the same day).

    Undated studies cannot be ordered and are left out. Tied studies are put in a fixed but arbitrary order
    (by id, the only key left): the flag says their order is unknown.

    Examples
    --------
    >>> import datetime as dt
    >>> s = pl.DataFrame({"subject_id": [1, 1, 1], "study_id": [7, 5, 6],
    ...     "study_date": [dt.date(2150, 1, 2), dt.date(2150, 1, 1), None], "study_time": [None, None, None]})
    >>> order_studies(s).select("study_id", "position", "time_missing").rows()
    [(5, 0, False), (7, 1, False)]
    """
    day = ["subject_id", "study_date"]
    last = dt.time(23, 59, 59, 999_999)  # a missing time sorts last in its day (and is flagged)
    ordered = (
        studies.select(STUDY_COLUMNS)
        .filter(pl.col("study_date").is_not_null())
        .unique("study_id")
        .sort(["subject_id", "study_date", pl.col("study_time").fill_null(last), "study_id"])
    )
    start = pl.col("subject_id") != pl.col("subject_id").shift(1).fill_null(-1)
    row = pl.int_range(pl.len())
    return ordered.with_columns(
        (row - pl.when(start).then(row).forward_fill()).alias("position"),  # sorted: runs, no window needed
        (pl.len().over([*day, "study_time"]) > 1).and_(pl.col("study_time").is_not_null()).alias("tie"),
        (pl.col("study_time").is_null() & (pl.len().over(day) > 1)).alias("time_missing"),
    )


def pairs_of(studies: pl.DataFrame, *, immediate: bool = True, comparison: pl.DataFrame | None = None):
    """(current, prior) pairs of ``studies`` (``subject_id, study_id, study_date, study_time``), current
    after prior in true time.

    Columns: ``subject_id, study_id, prior_study_id, study_date, study_time, prior_date, prior_time,
    interval`` (a duration: from date and time, from the dates alone when a time is missing),
    ``interval_days``, ``tie``, ``time_missing``, ``order_certain`` (neither flag), and
    ``mentions_comparison`` (the current report compares with an earlier study; null without reports), taken
    from ``comparison`` (``study_id, mentions_comparison``) when given.
    """
    ordered = order_studies(studies)
    if immediate:
        same = pl.col("subject_id") == pl.col("subject_id").shift(1)

        def before(column: str) -> pl.Expr:
            return pl.when(same).then(pl.col(column).shift(1))

        pairs = ordered.with_columns(
            before("study_id").alias("prior_study_id"),
            before("study_date").alias("prior_date"),
            before("study_time").alias("prior_time"),
        ).filter(pl.col("prior_study_id").is_not_null())
    else:
        earlier = ordered.select(
            "subject_id",
            pl.col("study_id").alias("prior_study_id"),
            pl.col("study_date").alias("prior_date"),
            pl.col("study_time").alias("prior_time"),
            pl.col("position").alias("_prior_position"),
        )
        pairs = ordered.join(earlier, on="subject_id").filter(pl.col("_prior_position") < pl.col("position"))
    same_day = pl.col("study_date") == pl.col("prior_date")
    both_times = pl.col("study_time").is_not_null() & pl.col("prior_time").is_not_null()
    exact = pl.col("study_date").dt.combine(pl.col("study_time")) - pl.col("prior_date").dt.combine(
        pl.col("prior_time")
    )
    by_day = (pl.col("study_date") - pl.col("prior_date")).cast(pl.Duration("us"))
    interval = pl.when(both_times).then(exact).otherwise(by_day)
    tie = same_day & both_times & (pl.col("study_time") == pl.col("prior_time"))
    missing = same_day & ~both_times
    out = pairs.with_columns(
        interval.alias("interval"),
        tie.alias("tie"),
        missing.alias("time_missing"),
    ).with_columns((pl.col("interval").dt.total_microseconds() / 86_400e6).alias("interval_days"))
    out = out.select(
        "subject_id",
        "study_id",
        "prior_study_id",
        "study_date",
        "study_time",
        "prior_date",
        "prior_time",
        "interval",
        "interval_days",
        "tie",
        "time_missing",
        ~(pl.col("tie") | pl.col("time_missing")).alias("order_certain"),
    )
    if comparison is not None:
        out = out.join(comparison.select("study_id", "mentions_comparison"), on="study_id", how="left")
    else:
        out = out.with_columns(pl.lit(None, pl.Boolean).alias("mentions_comparison"))
    return out.sort("subject_id", "study_date", "study_time", "prior_date", "prior_time", nulls_last=True)


def comparison_mentions(ds: Dataset) -> pl.DataFrame | None:
    """Per study with a report: ``study_id, mentions_comparison`` (a COMPARISON section that names something,
    or a comparing phrase in the findings or impression, see :data:`COMPARISON_PATTERN`); ``None`` when the
    copy has no reports."""
    try:
        sections = ds.sections(progress=False)
    except CxrkitError:
        return None
    section = pl.col("comparison").str.strip_chars()
    named = section.is_not_null() & ~section.str.contains(_NO_COMPARISON)
    phrase = pl.concat_str(["findings", "impression"], separator=" ", ignore_nulls=True)
    said = phrase.str.contains(COMPARISON_PATTERN).fill_null(False)
    return sections.select("study_id", (named.fill_null(False) | said).alias("mentions_comparison")).collect()


def study_pairs(ds: Dataset, *, immediate: bool = True, comparison: bool = True) -> pl.DataFrame:
    """Every (current, prior) study pair of a copy in true time order; see :func:`pairs_of` for the columns.

    ``immediate=True`` pairs each study with the one just before it, ``False`` with every earlier one of the
    patient. ``comparison=False`` skips reading the reports.

    Examples
    --------
    >>> import cxrkit
    >>> pairs = study_pairs(cxrkit.open_dataset())
    >>> bool((pairs["interval_days"] >= 0).all())
    True
    """
    if not ds.has("metadata"):
        raise CohortError(
            "study pairs need StudyDate and StudyTime from mimic-cxr-2.0.0-metadata.csv.gz (MIMIC-CXR-JPG), "
            f"which this copy ({ds.location}) lacks: without them studies have no time order"
        )
    studies = ds.study_times().rename({"StudyDate": "study_date", "StudyTime": "study_time"}).collect()
    found = comparison_mentions(ds) if comparison else None
    return pairs_of(studies, immediate=immediate, comparison=found)


def prior_step(
    min_days: float | None = None,
    max_days: float | None = None,
    *,
    immediate: bool = True,
    certain_order: bool = False,
    comparison: bool | None = None,
    keep: str = "both",
) -> Step:
    """A cohort step keeping the studies that have a prior among the cohort's studies, ``min_days`` to
    ``max_days`` before (inclusive); ``keep="both"`` keeps the priors too, ``"current"`` the current studies
    only. ``certain_order=True`` drops pairs whose order is uncertain (a tie or a missing time on the same
    day); ``comparison=True`` keeps pairs whose current report mentions a comparison (``False``: those whose
    report does not). Only then are the reports read: otherwise the pairs' ``mentions_comparison`` is null
    (:meth:`cxrkit.Dataset.study_pairs` has it for every pair).

    Examples
    --------
    >>> prior_step(1, 30).description
    'studies with a prior study 1 to 30 days before (the immediately preceding one); both kept'
    """
    if keep not in ("both", "current"):
        raise CohortError(f"keep={keep!r}: choose 'both' or 'current'")
    if min_days is not None and max_days is not None and min_days > max_days:
        raise CohortError(f"min_days {min_days} is above max_days {max_days}")

    memo: dict[str, object] = {}  # the cohort asks for the pairs, then applies the step, on the same frame

    def kept_pairs(ds, frame: pl.DataFrame) -> pl.DataFrame:
        if memo.get("frame") is frame and memo.get("ds") is ds:
            return memo["pairs"]  # type: ignore[return-value]
        memo.clear()
        if ds is not None and not ds.has("metadata"):
            raise CohortError(
                "the prior step needs StudyDate and StudyTime (mimic-cxr-2.0.0-metadata.csv.gz)"
            )
        found = comparison_mentions(ds) if ds is not None and comparison is not None else None
        if comparison is not None and found is None:
            raise CohortError("the prior step was asked about comparisons, but this copy has no reports")
        pairs = pairs_of(frame, immediate=immediate, comparison=found)
        cond = pl.lit(True)
        if min_days is not None:
            cond = cond & (pl.col("interval_days") >= min_days)
        if max_days is not None:
            cond = cond & (pl.col("interval_days") <= max_days)
        if certain_order:
            cond = cond & pl.col("order_certain")
        if comparison is not None:
            cond = cond & (pl.col("mentions_comparison").fill_null(False) == comparison)
        memo.update(frame=frame, ds=ds, pairs=pairs.filter(cond))
        return memo["pairs"]  # type: ignore[return-value]

    def apply(ds, frame):
        pairs = kept_pairs(ds, frame)
        ids = pairs.select("study_id")
        if keep == "both":
            ids = pl.concat([ids, pairs.select(pl.col("prior_study_id").alias("study_id"))])
        return frame.join(ids.unique(), on="study_id", how="semi")

    span = (
        f"{min_days} to {max_days} days"
        if min_days is not None and max_days is not None
        else f"at least {min_days} days"
        if min_days is not None
        else f"at most {max_days} days"
        if max_days is not None
        else ""
    )
    which = "the immediately preceding one" if immediate else "any earlier one"
    bits = [f"studies with a prior study{' ' + span + ' before' if span else ''} ({which})"]
    if certain_order:
        bits.append("order certain")
    if comparison is not None:
        bits.append("report mentions a comparison" if comparison else "report mentions no comparison")
    bits.append("both kept" if keep == "both" else "current kept")
    return Step("prior", "; ".join(bits), "no prior study that qualifies", apply, pairs=kept_pairs)
