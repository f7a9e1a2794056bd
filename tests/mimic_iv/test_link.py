"""Linking studies to MIMIC-IV by rule: hand-computed expectations on boundary cases, and the demo's copy."""

from __future__ import annotations

import datetime as dt
import gzip

import polars as pl
import pytest

import cxrkit
from cxrkit.demo import make_mimic_iv_demo
from cxrkit.errors import NotADatasetError, TableError
from cxrkit.mimic_iv import RULES, Rule, compare_rules, link_studies, link_summary, open_mimic_iv

T = dt.datetime


def write_csv(path, header, rows):
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [",".join(header)] + [",".join("" if v is None else str(v) for v in row) for row in rows]
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))


def fmt(t):
    return t.strftime("%Y-%m-%d %H:%M:%S") if isinstance(t, dt.datetime) else t


class Studies:
    """A stand-in for a Dataset: just its study times (what linking reads)."""

    def __init__(self, rows):
        self.frame = pl.DataFrame(
            rows,
            schema={"subject_id": pl.Int64, "study_id": pl.Int64, "StudyDate": pl.Date, "StudyTime": pl.Time},
            orient="row",
        )

    def study_times(self):
        return self.frame.lazy()


ADMIT = T(2150, 3, 1, 12, 0)
DISCH = T(2150, 3, 5, 10, 0)


@pytest.fixture
def mimic(tmp_path):
    rel = tmp_path / "mimiciv" / "3.1"
    write_csv(
        rel / "hosp" / "patients.csv.gz",
        ["subject_id", "gender", "anchor_age", "anchor_year", "anchor_year_group", "dod"],
        [
            (10000001, "F", 60, 2148, "2011 - 2013", None),
            (10000002, "M", 40, 2150, "2014 - 2016", None),
            (10000003, "F", 70, 2150, "2014 - 2016", None),
            (10000004, "M", 50, 2150, "2014 - 2016", None),
        ],
    )
    adm_header = ["subject_id", "hadm_id", "admittime", "dischtime", "deathtime", "edregtime", "edouttime"]
    write_csv(
        rel / "hosp" / "admissions.csv.gz",
        adm_header,
        [
            # patient 1: one admission with an ED registration two hours before it
            (
                10000001,
                21000001,
                fmt(ADMIT),
                fmt(DISCH),
                None,
                fmt(ADMIT - dt.timedelta(hours=2)),
                fmt(ADMIT),
            ),
            # patient 2: two overlapping admissions (a readmission recorded before the discharge)
            (10000002, 22000001, "2150-06-01 08:00:00", "2150-06-10 08:00:00", None, None, None),
            (10000002, 22000002, "2150-06-08 08:00:00", "2150-06-20 08:00:00", None, None, None),
            # patient 4: a reversed admission and one whose time does not parse
            (10000004, 24000001, "2150-09-10 08:00:00", "2150-09-01 08:00:00", None, None, None),
            (10000004, 24000002, "2150-13-45 99:00:00", "2150-10-01 08:00:00", None, None, None),
        ],
    )
    # patient 3 is in patients but has no admission
    write_csv(
        rel / "icu" / "icustays.csv.gz",
        ["subject_id", "hadm_id", "stay_id", "first_careunit", "last_careunit", "intime", "outtime", "los"],
        [  # a transfer: the second stay starts when the first ends
            (
                10000001,
                21000001,
                31000001,
                "MICU",
                "MICU",
                "2150-03-02 10:00:00",
                "2150-03-02 20:00:00",
                0.42,
            ),
            (10000001, 21000001, 31000002, "CCU", "CCU", "2150-03-02 20:00:00", "2150-03-03 06:00:00", 0.42),
        ],
    )
    write_csv(
        tmp_path / "mimic-iv-ed" / "2.2" / "ed" / "edstays.csv.gz",
        ["subject_id", "hadm_id", "stay_id", "intime", "outtime", "disposition"],
        [(10000001, 21000001, 39000001, fmt(ADMIT - dt.timedelta(hours=2)), fmt(ADMIT), "ADMITTED")],
    )
    return open_mimic_iv(tmp_path)


def study(sid, subject, when, *, time=True):
    return (subject, sid, when.date() if when else None, when.time() if (when and time) else None)


CASES = Studies(
    [
        study(50000001, 10000001, ADMIT - dt.timedelta(minutes=1)),  # one minute before admittime, in the ED
        study(50000002, 10000001, ADMIT - dt.timedelta(hours=3)),  # before the ED registration
        study(50000003, 10000001, T(2150, 3, 2, 15, 0)),  # in the first ICU stay
        study(50000004, 10000001, T(2150, 3, 2, 20, 0)),  # at the transfer: both stays hold it
        study(50000005, 10000001, T(2150, 3, 4, 9, 0)),  # on the ward
        study(50000006, 10000001, DISCH, time=False),  # discharge day, time unknown
        study(50000007, 10000002, T(2150, 6, 9, 8, 0)),  # inside both overlapping admissions
        study(50000008, 10000003, T(2150, 7, 1, 8, 0)),  # a patient without admissions
        study(50000009, 10000009, T(2150, 7, 1, 8, 0)),  # a patient MIMIC-IV does not know
        study(50000010, 10000001, None),  # no date
        study(50000011, 10000004, T(2150, 9, 5, 8, 0)),  # inside the reversed admission's span
        study(50000012, 10000001, ADMIT + dt.timedelta(hours=49)),  # past the first 48 hours
    ]
)


def row(linked, sid):
    return linked.filter(pl.col("study_id") == sid).row(0, named=True)


def test_the_ed_aware_rule_on_every_boundary(mimic):
    linked = link_studies(CASES, mimic, "admission+ed")
    assert linked.select("subject_id", "study_id").rows() == sorted(
        linked.select("subject_id", "study_id").rows()
    )
    assert linked.height == CASES.frame.height
    r = row(linked, 50000001)
    assert (r["hadm_id"], r["position"], r["ed_stay_id"]) == (21000001, "ed_before_admission", 39000001)
    assert r["hours_from_start"] == pytest.approx(2 - 1 / 60)
    r = row(linked, 50000002)
    assert (r["hadm_id"], r["position"], r["nearest_hadm_id"]) == (None, "outside_admissions", 21000001)
    assert r["hours_from_start"] == pytest.approx(-1.0)  # an hour before the window starts
    assert row(linked, 50000003)["icu_stay_id"] == 31000001 and row(linked, 50000003)["position"] == "icu"
    r = row(linked, 50000004)
    assert (r["icu_stay_id"], r["icu_ambiguous"]) == (31000002, True)  # the stay that starts then
    assert row(linked, 50000005)["position"] == "admission" and row(linked, 50000005)["icu_stay_id"] is None
    r = row(linked, 50000006)
    assert (r["time_known"], r["hadm_id"], r["study_time"]) == (False, 21000001, None)
    r = row(linked, 50000007)
    assert (r["n_admissions"], r["ambiguous"], r["hadm_id"]) == (2, True, 22000002)  # the latest to start
    assert row(linked, 50000008)["position"] == "no_admission"
    assert row(linked, 50000009)["position"] == "no_record" and row(linked, 50000009)["age_at_study"] is None
    assert row(linked, 50000010)["position"] == "no_date"
    r = row(linked, 50000011)
    # the patient's admissions are unusable: never a window, and flagged (MimicIV.problems says why)
    assert (r["position"], r["nearest_hadm_id"], r["bad_windows"]) == ("outside_admissions", None, True)
    assert row(linked, 50000003)["age_at_study"] == 62  # 60 at 2148, film in 2150
    assert linked["rule"].unique().to_list() == [RULES["admission+ed"].describe()]


def test_rules_differ_where_they_should(mimic):
    plain = link_studies(CASES, mimic, "admission")
    assert row(plain, 50000001)["position"] == "outside_admissions"  # the ED film the plain rule misses
    assert row(plain, 50000001)["hours_from_start"] == pytest.approx(-1 / 60)
    widened = link_studies(CASES, mimic, "admission-24h")
    assert row(widened, 50000002)["position"] == "before_admission"  # three hours early, not in the ED
    assert row(widened, 50000001)["position"] == "ed_before_admission"
    first48 = link_studies(CASES, mimic, "first-48h")
    assert row(first48, 50000012)["position"] == "outside_admissions"
    assert row(plain, 50000012)["position"] == "admission"
    custom = link_studies(CASES, mimic, Rule("ward+6h", after=dt.timedelta(hours=6)))
    assert custom["rule"][0] == "ward+6h: from admittime to 6 h after dischtime"
    table = compare_rules(CASES, mimic, ["admission", "admission+ed", "admission-24h"])
    assert table["matched"].to_list() == [
        link_summary(link_studies(CASES, mimic, r))["matched"][0]
        for r in ("admission", "admission+ed", "admission-24h")
    ]
    assert table["matched"][0] < table["matched"][1] <= table["matched"][2]


def test_problems_name_each_unusable_row(mimic):
    problems = mimic.problems()
    assert set(problems["hadm_id"].drop_nulls()) == {24000001, 24000002}
    bad_time = problems.filter(pl.col("hadm_id") == 24000002)
    assert bad_time["column"].to_list() == ["admittime"] and "2150-13-45" in bad_time["detail"][0]
    assert "before admittime" in problems.filter(pl.col("hadm_id") == 24000001)["detail"][0]


def test_another_release_without_a_needed_column_is_a_clear_error(tmp_path):
    write_csv(tmp_path / "hosp" / "admissions.csv.gz", ["subject_id", "hadm_id", "admittime"], [])
    write_csv(tmp_path / "hosp" / "patients.csv.gz", ["subject_id", "anchor_age", "anchor_year"], [])
    mimic = open_mimic_iv(tmp_path)
    with pytest.raises(TableError, match=r"admissions.csv.gz: missing column\(s\) dischtime"):
        mimic.admissions().collect()
    with pytest.raises(NotADatasetError, match="no MIMIC-IV release"):
        open_mimic_iv(tmp_path / "hosp")
    with pytest.raises(KeyError, match="unknown rule"):
        link_studies(CASES, mimic, "during-the-moon")


def test_an_older_release_with_core_and_ethnicity_is_read(tmp_path):
    write_csv(
        tmp_path / "core" / "admissions.csv.gz",
        ["subject_id", "hadm_id", "admittime", "dischtime", "ethnicity"],
        [(10000001, 21000001, fmt(ADMIT), fmt(DISCH), "WHITE")],
    )
    write_csv(
        tmp_path / "core" / "patients.csv.gz",
        ["subject_id", "gender", "anchor_age", "anchor_year"],
        [(10000001, "F", 60, 2150)],
    )
    mimic = open_mimic_iv(tmp_path)
    assert not mimic.has("icustays") and not mimic.has("edstays")
    linked = link_studies(Studies([study(50000005, 10000001, T(2150, 3, 4, 9, 0))]), mimic)
    assert linked.select("hadm_id", "position", "icu_stay_id").row(0) == (21000001, "admission", None)


def test_the_demo_copy_links_as_the_real_data_does(demo_projects, tmp_path):
    ds = cxrkit.open_dataset(demo_projects)
    top = make_mimic_iv_demo(ds, tmp_path / "top")
    mimic = open_mimic_iv(top)
    assert mimic.problems().height == 0
    linked = link_studies(ds, mimic)
    assert linked.height == ds.studies().collect().height
    counts = dict(linked["position"].value_counts().iter_rows())
    for position in ("ed_before_admission", "icu", "admission", "outside_admissions"):
        assert counts.get(position, 0) > 0, (position, counts)
    # each ICU film lies inside its stay; each ED film before its admission's admittime
    stays = mimic.icustays().collect()
    icu = linked.filter(pl.col("time_known") & pl.col("icu_stay_id").is_not_null()).join(
        stays.select(pl.col("stay_id").alias("icu_stay_id"), "intime", "outtime"), on="icu_stay_id"
    )
    assert icu.height and icu.filter(~pl.col("study_time").is_between("intime", "outtime")).height == 0
    adm = mimic.admissions().collect()
    ed = linked.filter(pl.col("position") == "ed_before_admission").join(adm, on="hadm_id")
    assert ed.filter(pl.col("study_time") >= pl.col("admittime")).height == 0
    plain, aware = compare_rules(ds, mimic, ["admission", "admission+ed"])["matched"]
    assert plain < aware
    again = make_mimic_iv_demo(ds, tmp_path / "again")
    for a, b in zip(sorted(top.rglob("*.gz")), sorted(again.rglob("*.gz"))):
        assert a.read_bytes() == b.read_bytes()  # deterministic
