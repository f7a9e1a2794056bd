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
>>> sorted(EXERCISES)[:2]
['01.1', '01.3']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import polars as pl

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
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return a == b
