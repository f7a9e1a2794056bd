"""Current-prior pairs: true time order against the metadata, never by id; ties and missing times flagged."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from cxrkit.cohorts import order_studies, pairs_of
from cxrkit.cohorts.pairs import comparison_mentions

D = dt.date(2150, 3, 1)


@pytest.fixture(scope="module")
def times(ds):
    meta = ds.metadata().select("subject_id", "study_id", "StudyDate", "StudyTime").collect()
    return meta.group_by("subject_id", "study_id").agg(pl.col("StudyDate").min(), pl.col("StudyTime").min())


def test_each_pair_is_a_study_and_the_one_just_before_it_in_the_metadata(ds, times):
    pairs = ds.study_pairs()
    expected = (
        times.sort("subject_id", "StudyDate", "StudyTime")
        .with_columns(pl.col("study_id").shift(1).over("subject_id").alias("prior"))
        .drop_nulls("prior")
    )
    assert sorted(pairs.select("study_id", "prior_study_id").rows()) == sorted(
        expected.select("study_id", "prior").rows()
    )
    back = pairs.join(times, on="study_id").join(
        times.rename({"study_id": "prior_study_id", "StudyDate": "pd", "StudyTime": "pt"}).drop("subject_id"),
        on="prior_study_id",
    )
    later = (back["StudyDate"] > back["pd"]) | (
        (back["StudyDate"] == back["pd"]) & (back["StudyTime"] >= back["pt"])
    )
    assert later.all() and (pairs["interval_days"] >= 0).all()
    first = dt.datetime.combine(back["pd"][0], back["pt"][0])
    assert back["interval_days"][0] == pytest.approx(
        (dt.datetime.combine(back["StudyDate"][0], back["StudyTime"][0]) - first).total_seconds() / 86400
    )


def test_all_earlier_studies(ds, times):
    per = times.group_by("subject_id").len()
    assert ds.study_pairs(immediate=False).height == int((per["len"] * (per["len"] - 1) // 2).sum())


def test_never_by_id_ties_and_missing_times_flagged():
    studies = pl.DataFrame(
        {
            "subject_id": [10000001] * 5,
            "study_id": [59999999, 58888888, 51111111, 52222222, 53333333],
            "study_date": [
                D,
                D + dt.timedelta(1),
                D + dt.timedelta(1),
                D + dt.timedelta(5),
                D + dt.timedelta(5),
            ],
            "study_time": [dt.time(9), dt.time(10), dt.time(10), None, dt.time(8)],
        }
    )
    ordered = order_studies(studies)
    assert ordered["study_id"][0] == 59999999  # the highest id is the earliest study
    assert ordered.filter(pl.col("tie"))["study_id"].sort().to_list() == [51111111, 58888888]
    assert ordered.filter(pl.col("time_missing"))["study_id"].to_list() == [52222222]
    pairs = pairs_of(studies)
    assert pairs.height == 4 and pairs["prior_study_id"][0] == 59999999
    assert pairs.filter(pl.col("tie")).height == 1
    assert pairs.filter(pl.col("time_missing")).height == 1
    assert pairs["order_certain"].to_list().count(True) == 2
    assert pairs.filter(pl.col("time_missing"))["interval_days"][0] == 0.0  # same day, time unknown


def test_undated_studies_are_not_paired():
    studies = pl.DataFrame(
        {"subject_id": [1, 1, 1], "study_id": [5, 6, 7], "study_date": [D, None, D + dt.timedelta(2)]},
        schema_overrides={"study_date": pl.Date},
    ).with_columns(pl.lit(None, pl.Time).alias("study_time"))
    assert pairs_of(studies).select("study_id", "prior_study_id").rows() == [(7, 5)]


def test_comparison_mentions_come_from_the_current_report(ds):
    pairs = ds.study_pairs()
    found = comparison_mentions(ds)
    assert pairs["mentions_comparison"].null_count() == 0
    assert (
        pairs.join(found, on="study_id", suffix="_r")
        .select((pl.col("mentions_comparison") == pl.col("mentions_comparison_r")).all())
        .item()
    )
    assert ds.study_pairs(comparison=False)["mentions_comparison"].null_count() == pairs.height


class _Sections:
    def __init__(self, frame):
        self.frame = frame

    def sections(self, progress=True):
        return self.frame.lazy()


def test_what_counts_as_mentioning_a_comparison():
    reports = pl.DataFrame(
        {
            "study_id": [1, 2, 3, 4, 5, 6],
            "comparison": ["Chest radiograph ___.", "None.", None, None, "___", None],
            "findings": [None, "Lungs are clear.", "Unchanged small effusion.", None, None, "No effusion."],
            "impression": [None, None, None, "Compared to the prior study, improved.", None, "Normal."],
        }
    )
    found = comparison_mentions(_Sections(reports))  # "___": a prior whose date was removed
    assert found.sort("study_id")["mentions_comparison"].to_list() == [True, False, True, True, True, False]


def test_the_prior_step(ds):
    pairs = ds.study_pairs()
    within = pairs.filter(pl.col("interval_days") <= 365)
    cohort = ds.cohort().with_prior(max_days=365, keep="current")
    assert sorted(cohort.studies()["study_id"]) == sorted(within["study_id"].unique())
    both = ds.cohort().with_prior(max_days=365)
    ids = set(within["study_id"]) | set(within["prior_study_id"])
    assert set(both.studies()["study_id"]) == ids
    assert both.pairs().height == within.height
    kept = both.one_per_patient()  # a later step breaks pairs: they go
    assert kept.pairs().height <= both.pairs().height
    assert set(kept.pairs()["study_id"]) <= set(kept.studies()["study_id"])
    assert "prior" in repr(both)
