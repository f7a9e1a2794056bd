"""The hospital step: studies kept by what MIMIC-IV says (ICU, ED, admission, age, first of each admission),
checked against the linkage table filtered by hand."""

from __future__ import annotations

import polars as pl
import pytest

from cxrkit.cohorts import steps
from cxrkit.errors import CohortError
from cxrkit.mimic_iv import link_studies


@pytest.fixture(scope="module")
def mimic(ds):
    return ds.mimic_iv()  # the demo writes MIMIC-IV beside its projects


def _studies(cohort):
    return sorted(cohort.studies()["study_id"].to_list())


def test_icu_films_of_adults(ds, mimic):
    linked = link_studies(ds, mimic, "admission+ed")
    want = linked.filter(pl.col("icu_stay_id").is_not_null() & (pl.col("age_at_study") >= 18))
    assert want.height > 0
    cohort = ds.cohort().hospital(mimic, during="icu", min_age=18)
    assert _studies(cohort) == sorted(want["study_id"].to_list())
    assert "ICU" in cohort.steps[-1].description and "admission+ed" in cohort.steps[-1].description


def test_the_rule_changes_the_count_as_the_linkage_says(ds, mimic):
    counts = {}
    for rule in ("admission", "admission+ed"):
        linked = link_studies(ds, mimic, rule)
        matched = linked.filter(pl.col("hadm_id").is_not_null())["study_id"]
        counts[rule] = len(_studies(ds.cohort().hospital(mimic, rule=rule)))
        assert counts[rule] == matched.n_unique()
    assert counts["admission"] < counts["admission+ed"]  # the ED films the plain rule misses
    outside = link_studies(ds, mimic).filter(pl.col("hadm_id").is_null())["study_id"]
    assert _studies(ds.cohort().hospital(mimic, during="outside")) == sorted(outside.to_list())


def test_first_study_of_each_admission(ds, mimic):
    linked = link_studies(ds, mimic).filter(pl.col("hadm_id").is_not_null())
    first = linked.sort("study_time").group_by("hadm_id").agg(pl.col("study_id").first())
    cohort = ds.cohort().hospital(mimic, first_of_admission=True)
    assert _studies(cohort) == sorted(first["study_id"].to_list())
    assert linked["hadm_id"].n_unique() == len(_studies(cohort))


def test_an_unknown_place_is_a_clear_error(mimic):
    with pytest.raises(CohortError, match="unknown place 'icy'.*Did you mean 'icu'"):
        steps.hospital(mimic, during="icy")
