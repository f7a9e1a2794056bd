"""Self-checks for the notebooks' "Try this" exercises: right, not quite (with a hint), never the answer.

Every expected answer is computed from the copy the learner has open (the demo, or a real copy), so the checks
hold on any data. A wrong answer that matches a known slip (counting images instead of studies, ordering by
id) gets the hint for that slip; any other gets the exercise's general hint.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()
>>> result = check("01.3", -1, ds)
Not quite. Count studies (not images) in which no image is a PA or AP view.
>>> result
False
>>> sorted(EXERCISES)[:3]
['00.4', '00.5', '01.1']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from cxrkit.tables import LABEL_COLUMNS

FRONTAL = ("PA", "AP")


@dataclass(frozen=True)
class Exercise:
    """One checkable exercise: how to compute its answer from the data, and hints for known slips."""

    key: str
    question: str
    expected: Callable[..., Any]
    hint: str
    #: Wrong answers worth a specific hint: ``(compute the slip's answer from the data, the hint)``.
    slips: tuple[tuple[Callable[..., Any], str], ...] = field(default=())


def _images(ds: Any) -> pl.DataFrame:
    return ds.images().select("subject_id", "study_id", "dicom_id", "ViewPosition").collect()


def _no_frontal_studies(ds: Any) -> int:
    frontal = pl.col("ViewPosition").is_in(FRONTAL)
    per = _images(ds).group_by("study_id").agg(frontal.any().alias("has_frontal"))
    return int((~per["has_frontal"]).sum())


def _no_frontal_images(ds: Any) -> int:
    return int((~_images(ds)["ViewPosition"].is_in(FRONTAL).fill_null(False)).sum())


def _studies_with_a_lateral(ds: Any) -> int:
    per = _images(ds).group_by("study_id").agg((~pl.col("ViewPosition").is_in(FRONTAL)).any().alias("x"))
    return int(per["x"].sum())


def _cardiomegaly_frontal(ds: Any) -> int:
    positive = ds.chexpert().filter(pl.col("Cardiomegaly") == 1.0).select("study_id").collect()
    imgs = _images(ds).join(positive, on="study_id")
    return int(imgs["ViewPosition"].is_in(FRONTAL).sum())


def _cardiomegaly_studies(ds: Any) -> int:
    return int(ds.chexpert().filter(pl.col("Cardiomegaly") == 1.0).select(pl.len()).collect().item())


def _cardiomegaly_images(ds: Any) -> int:
    positive = ds.chexpert().filter(pl.col("Cardiomegaly") == 1.0).select("study_id").collect()
    return _images(ds).join(positive, on="study_id").height


def _days(ds: Any, subject_id: int) -> int:
    times = ds.study_times().filter(pl.col("subject_id") == subject_id).collect()
    dates = times["StudyDate"].drop_nulls()
    if dates.len() == 0:
        raise ValueError(f"patient {subject_id} has no dated study in this copy: pick another")
    return int((dates.max() - dates.min()).days)


def _days_by_id(ds: Any, subject_id: int) -> int:
    """The slip: first and last study taken by ``study_id`` order (ids are random)."""
    times = ds.study_times().filter(pl.col("subject_id") == subject_id).sort("study_id").collect()
    dates = times["StudyDate"]
    return abs(int((dates[-1] - dates[0]).days)) if dates.null_count() == 0 and dates.len() else -1


def _monochrome1(ds: Any, headers: pl.DataFrame) -> int:
    return int((headers["PhotometricInterpretation"] == "MONOCHROME1").sum())


def _reports_on_disk(ds: Any) -> int:
    return int(ds.summary()["reports_on_disk"])


def _studies(ds: Any) -> int:
    return int(ds.studies().select(pl.len()).collect().item())


def _split_of(ds: Any, study_id: int) -> str:
    splits = ds.images().filter(pl.col("study_id") == study_id).select("split").unique().collect()["split"]
    if splits.len() != 1 or splits[0] is None:
        raise ValueError(f"study {study_id} has no single split in this copy (no split table?): pick another")
    return str(splits[0])


def _most(labels: pl.DataFrame, value: float) -> frozenset[str]:
    """The categories with the most labels of ``value`` (several when tied: any of them is right)."""
    counts = labels.select((pl.col(c) == value).sum() for c in _label_columns(labels)).row(0, named=True)
    top = max(counts.values())
    return frozenset(c for c, n in counts.items() if n == top)


def _label_columns(labels: pl.DataFrame) -> list[str]:
    return [c for c in LABEL_COLUMNS if c in labels.columns]


def _most_uncertain(ds: Any, labels: pl.DataFrame) -> frozenset[str]:
    return _most(labels, -1.0)


def _most_positive(ds: Any, labels: pl.DataFrame) -> frozenset[str]:
    return _most(labels, 1.0)


def _pairs_within(ds: Any, days: float = 30, *, comparison: bool = True) -> int:
    pairs = ds.study_pairs().filter(pl.col("interval_days") <= days)
    return pairs.filter(pl.col("mentions_comparison")).height if comparison else pairs.height


EXERCISES: dict[str, Exercise] = {
    e.key: e
    for e in (
        Exercise(
            "01.1",
            "Days between the patient's first and last study: check('01.1', days, ds, subject_id=...)",
            _days,
            "Use the study dates (StudyDate), the earliest and the latest.",
            ((_days_by_id, "Study ids are random: they say nothing about time. Sort by date instead."),),
        ),
        Exercise(
            "01.3",
            "How many studies have no frontal (PA or AP) image?",
            lambda ds: _no_frontal_studies(ds),
            "Count studies (not images) in which no image is a PA or AP view.",
            (
                (_no_frontal_images, "That is the number of images that are not frontal: count studies."),
                (
                    _studies_with_a_lateral,
                    "That counts studies with a non-frontal image; many also have a frontal.",
                ),
            ),
        ),
        Exercise(
            "01.4",
            "How many frontal images belong to studies positive (1.0) for Cardiomegaly?",
            _cardiomegaly_frontal,
            "Join the labels (one row per study) to the images, keep Cardiomegaly == 1.0 and PA or AP views.",
            (
                (
                    _cardiomegaly_studies,
                    "That is the number of positive studies: count their frontal images.",
                ),
                (_cardiomegaly_images, "That counts every image of those studies: keep the PA and AP views."),
            ),
        ),
        Exercise(
            "02.1",
            "How many images in `headers` are MONOCHROME1? check('02.1', n, ds, headers=headers)",
            _monochrome1,
            "Count the rows of `headers` whose PhotometricInterpretation is MONOCHROME1.",
        ),
        Exercise(
            "00.4",
            "How many studies have their report in this copy?",
            _reports_on_disk,
            "Look at ds.summary()['reports_on_disk']: reports whose file is on disk.",
            ((_studies, "That is every study listed: some reports may not be in this copy."),),
        ),
        Exercise(
            "00.5",
            "Which split are the study's images in? check('00.5', split, ds, study_id=first_study)",
            _split_of,
            "Filter ds.images() on the study_id and look at the split column (train, validate or test).",
        ),
        Exercise(
            "03.4",
            "Which category has the most uncertain (-1.0) labels? check('03.4', name, ds, labels=labels)",
            _most_uncertain,
            "Count the -1.0 values of each label column of `labels` and take the largest.",
            ((_most_positive, "That category has the most positive (1.0) labels: count the -1.0 ones."),),
        ),
        Exercise(
            "04.3",
            "How many pairs are within 30 days and mention a comparison?",
            _pairs_within,
            "Take ds.study_pairs(), keep interval_days <= 30 and mentions_comparison, count the rows.",
            (
                (
                    lambda ds: _pairs_within(ds, comparison=False),
                    "That counts every pair within 30 days: keep those whose report mentions a comparison.",
                ),
            ),
        ),
    )
}


def check(key: str, answer: Any, ds: Any, /, **given: Any) -> bool:
    """Say whether ``answer`` to exercise ``key`` is right on this copy; print "Right." or a hint.

    ``given`` passes what the exercise depends on (the patient picked, the notebook's sample). The expected
    answer is never printed.
    """
    if key not in EXERCISES:
        raise KeyError(f"no exercise {key!r}; checkable ones: {', '.join(sorted(EXERCISES))}")
    exercise = EXERCISES[key]
    right = exercise.expected(ds, **given)
    if _same(answer, right):
        print("Right.")
        return True
    for slip, hint in exercise.slips:
        try:
            if _same(answer, slip(ds, **given)) and not _same(answer, right):
                print(f"Not quite. {hint}")
                return False
        except Exception:  # noqa: BLE001, S112 - a slip that cannot be computed here is not this one
            continue
    print(f"Not quite. {exercise.hint}")
    return False


def _same(a: Any, b: Any) -> bool:
    if isinstance(b, frozenset):  # several right answers (a tie)
        return a in b
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return a == b
