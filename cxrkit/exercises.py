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
    #: How far a number may be from the answer and still be right (a share rounded to three places).
    tolerance: float = 1e-9


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


def _support_devices_by_view(ds: Any, labels: pl.DataFrame, view: str = "AP") -> float:
    """Share of the studies with a ``view`` image that are positive (1.0) for Support Devices."""
    views = _images(ds).group_by("study_id").agg((pl.col("ViewPosition") == view).any().alias("has"))
    joined = labels.join(views.filter(pl.col("has")), on="study_id")
    if joined.height == 0:
        raise ValueError(f"no labelled study has a {view} image in this copy: try another view")
    return float(joined["Support Devices"].eq(1.0).fill_null(False).mean())


def _support_devices_by_image(ds: Any, labels: pl.DataFrame, view: str = "AP") -> float:
    """The slip: the share over images of that view (a study of three AP films counts three times)."""
    imgs = _images(ds).filter(pl.col("ViewPosition") == view).join(labels, on="study_id")
    return float(imgs["Support Devices"].eq(1.0).fill_null(False).mean())


def _support_devices_blank_dropped(ds: Any, labels: pl.DataFrame, view: str = "AP") -> float:
    """The slip: blank (not mentioned) labels left out of the share instead of counted as not positive."""
    views = _images(ds).group_by("study_id").agg((pl.col("ViewPosition") == view).any().alias("has"))
    return float(labels.join(views.filter(pl.col("has")), on="study_id")["Support Devices"].eq(1.0).mean())


def _support_devices_percent(ds: Any, labels: pl.DataFrame, view: str = "AP") -> float:
    return 100 * _support_devices_by_view(ds, labels, view)


def _steps_left(cohort: Any) -> tuple[int, int]:
    """(patients, studies) at a cohort's last step; (0, 0) when nothing is left."""
    from cxrkit.errors import EmptyCohortError

    try:
        last = cohort().steps[-1]
    except EmptyCohortError:
        return 0, 0
    return last.patients, last.studies


def _pneumothorax_negative(ds: Any, uncertain: str = "negative", *, what: int = 1) -> int:
    return _steps_left(
        lambda: ds.cohort().split("test").labels("Pneumothorax", "negative", uncertain=uncertain)
    )[what]


_OTHER_POLICY = {"negative": "exclude", "exclude": "negative"}


def _pneumothorax_other_policy(ds: Any, uncertain: str = "negative") -> int:
    if uncertain not in _OTHER_POLICY:
        raise ValueError(f"uncertain={uncertain!r}: this exercise compares 'negative' and 'exclude'")
    return _pneumothorax_negative(ds, _OTHER_POLICY[uncertain])


def _chest_tube(ds: Any, *, section: str | None = "findings", exclude: bool = False) -> int:
    kwargs = {"exclude_words" if exclude else "words": "chest tube"}
    return _steps_left(lambda: ds.cohort().report(section=section, **kwargs))[1]


def _picked(ds: Any, seed: int) -> set[int]:
    studies = ds.cohort().one_per_patient("study", "random", seed=seed).studies()
    return set(studies["study_id"])


def _picked_by_both(ds: Any, seeds: tuple[int, int] = (1, 2)) -> int:
    return len(_picked(ds, seeds[0]) & _picked(ds, seeds[1]))


def _picked_count(ds: Any, seeds: tuple[int, int] = (1, 2)) -> int:
    return len(_picked(ds, seeds[0]))


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
            "03.5",
            "Share (0-1) of studies with an AP image positive for Support Devices: "
            "check('03.5', share, ds, labels=labels, view='AP')",
            _support_devices_by_view,
            "Per study: keep the studies with at least one image of that view, then the share whose Support "
            "Devices label is 1.0 (blank counts as not positive).",
            (
                (
                    _support_devices_by_image,
                    "That share is over images: a study of three AP films counts three times. Count studies.",
                ),
                (
                    _support_devices_blank_dropped,
                    "Blank (not mentioned) labels were left out: count them as not positive, in the share.",
                ),
                (_support_devices_percent, "Give the share as a fraction between 0 and 1, not a percentage."),
            ),
            tolerance=5e-4,
        ),
        Exercise(
            "04.1",
            "Studies in the test split negative for Pneumothorax: "
            "check('04.1', studies, ds, uncertain='negative') (or uncertain='exclude')",
            _pneumothorax_negative,
            "Start from ds.cohort(), keep split('test'), then labels('Pneumothorax', 'negative', "
            "uncertain=...) and read the studies of the last step.",
            (
                (
                    _pneumothorax_other_policy,
                    "That is the count under the other uncertain policy: check the uncertain= you gave.",
                ),
                (
                    lambda ds, uncertain="negative": _pneumothorax_negative(ds, uncertain, what=0),
                    "That is the number of patients: count studies.",
                ),
            ),
        ),
        Exercise(
            "04.2",
            "How many studies mention a chest tube in the findings? check('04.2', n, ds)",
            _chest_tube,
            "Add steps.report('chest tube', section='findings') to ds.cohort() and read the studies left.",
            (
                (
                    lambda ds: _chest_tube(ds, section=None),
                    "That counts the whole report: look in the findings section only (section='findings').",
                ),
                (
                    lambda ds: _chest_tube(ds, exclude=True),
                    "That counts the studies without a chest tube in the findings (exclude_words=).",
                ),
            ),
        ),
        Exercise(
            "04.4",
            "How many studies do seed=1 and seed=2 both pick (one random study per patient)? "
            "check('04.4', n, ds)",
            _picked_by_both,
            "Pick one_per_patient('study', 'random', seed=1) and seed=2 from ds.cohort(), and count the "
            "study ids their .studies() have in common.",
            (
                (
                    _picked_count,
                    "That is how many each seed picks (one per patient): the counts agree, not all the "
                    + "studies do. Count the studies both picked.",
                ),
            ),
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
    if _same(answer, right, exercise.tolerance):
        print("Right.")
        return True
    for slip, hint in exercise.slips:
        try:
            close = exercise.tolerance
            if _same(answer, slip(ds, **given), close) and not _same(answer, right, close):
                print(f"Not quite. {hint}")
                return False
        except Exception:  # noqa: BLE001, S112 - a slip that cannot be computed here is not this one
            continue
    print(f"Not quite. {exercise.hint}")
    return False


def _same(a: Any, b: Any, tolerance: float = 1e-9) -> bool:
    if isinstance(b, frozenset):  # several right answers (a tie)
        return a in b
    try:
        return abs(float(a) - float(b)) <= tolerance
    except (TypeError, ValueError):
        return a == b
