"""Each cohort step's counts against the same selection written in plain polars on the demo."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from _expect import counts, last

from cxrkit.cohorts import Cohort, steps
from cxrkit.errors import CohortError, EmptyCohortError
from cxrkit.tables import LABEL_COLUMNS


@pytest.fixture(scope="module")
def images(ds):
    return ds.images().collect()


def test_the_start_is_every_listed_image(ds, images):
    cohort = ds.cohort()
    assert last(cohort) == counts(images)
    assert cohort.steps[0].name == "start" and len(cohort) == images.height


def test_view_kinds_positions_fallback_and_per_study(ds, images):
    frontal = images.filter(pl.col("view") == "frontal")
    assert last(ds.cohort().view("frontal")) == counts(frontal)
    strict = frontal.filter(pl.col("view_source") == "ViewPosition")
    assert last(ds.cohort().view("frontal", fallback=False)) == counts(strict)
    pa_ap = images.filter(pl.col("ViewPosition").is_in(["PA", "AP"]))
    assert last(ds.cohort().view(["pa", "AP"])) == counts(pa_ap)
    lateral_studies = images.filter(pl.col("view") == "lateral")["study_id"].unique()
    per_study = images.filter(pl.col("study_id").is_in(lateral_studies.implode()))
    assert last(ds.cohort().view("lateral", per="study")) == counts(per_study)


def test_the_view_step_counts_images_decided_by_a_fallback(ds, images):
    fell_back = images.filter(
        (pl.col("view") == "frontal") & pl.col("view_source").is_in(["ViewCodeSequence", "procedure"])
    ).height
    assert ds.cohort().view("frontal").steps[-1].note.startswith(f"{fell_back} kept image(s)")


@pytest.mark.parametrize("names", ["train", ["validate", "test"]])
def test_the_official_split(ds, names):
    wanted = [names] if isinstance(names, str) else names
    split = ds.split().filter(pl.col("split").is_in(wanted)).collect()
    expected = ds.images().collect().join(split.select("dicom_id"), on="dicom_id", how="semi")
    assert last(ds.cohort().split(names)) == counts(expected)


@pytest.mark.parametrize(
    ("policy", "expr"),
    [
        ("ignore", pl.col("Edema") == 1.0),
        ("positive", pl.col("Edema").is_in([1.0, -1.0])),
        ("negative", pl.col("Edema") == 1.0),
        ("exclude", pl.col("Edema") == 1.0),
    ],
)
def test_labels_positive_under_each_uncertain_policy(ds, images, policy, expr):
    studies = ds.chexpert().filter(expr.fill_null(False)).select("study_id").collect()
    expected = images.join(studies, on="study_id", how="semi")
    assert last(ds.cohort().labels("Edema", uncertain=policy)) == counts(expected)


def test_labels_negative_blank_and_several_categories(ds, images):
    labels = ds.chexpert().collect()
    neg_u = labels.filter(pl.col("Pneumothorax").is_in([0.0, -1.0]))
    got = ds.cohort().labels("Pneumothorax", "negative", uncertain="negative")
    assert last(got) == counts(images.join(neg_u.select("study_id"), on="study_id", how="semi"))
    excluded = labels.filter((pl.col("Pneumothorax") == 0.0) & (pl.col("Edema") != -1.0).fill_null(True))
    got = ds.cohort().labels({"Pneumothorax": "negative", "Edema": ["positive", "negative", "blank"]})
    expected = labels.filter((pl.col("Pneumothorax") == 0.0) & (pl.col("Edema") != -1.0).fill_null(True))
    assert last(got) == counts(images.join(expected.select("study_id"), on="study_id", how="semi"))
    assert excluded.height == expected.height
    blank = labels.filter(pl.col("Fracture").is_null())
    got = ds.cohort().labels("Fracture", "blank", table="negbio")
    negbio_blank = ds.negbio().filter(pl.col("Fracture").is_null()).collect()
    assert last(got) == counts(images.join(negbio_blank.select("study_id"), on="study_id", how="semi"))
    assert blank.height > 0


def test_report_words_and_sections(ds, images):
    text = ds.reports(progress=False).select("study_id", "text").collect()
    with_word = text.filter(pl.col("text").str.contains(r"(?i)\beffusion\b"))
    expected = images.join(with_word.select("study_id"), on="study_id", how="semi")
    assert last(ds.cohort().report("effusion")) == counts(expected)
    sections = ds.sections(progress=False).collect()
    present = sections.filter(pl.col("comparison").str.strip_chars().str.len_chars() > 0)
    expected = images.join(present.select("study_id"), on="study_id", how="semi")
    assert last(ds.cohort().report(sections="comparison")) == counts(expected)
    no_word = sections.filter(~pl.col("impression").str.contains(r"(?i)\bpneumothorax\b").fill_null(False))
    expected = images.join(no_word.select("study_id"), on="study_id", how="semi")
    assert last(ds.cohort().report(exclude_words="pneumothorax", section="impression")) == counts(expected)


def test_dates(ds, images):
    days = images["StudyDate"].drop_nulls().sort()
    lo, hi = days[len(days) // 4], days[3 * len(days) // 4]
    studies = ds.study_times().filter(pl.col("StudyDate").is_between(lo, hi)).collect()
    expected = images.join(studies.select("study_id"), on="study_id", how="semi")
    assert last(ds.cohort().dates(lo, hi.isoformat())) == counts(expected)
    with pytest.raises(CohortError, match="is not a date"):
        steps.dates("last spring")


@pytest.mark.parametrize("pick", ["first", "last"])
def test_one_study_per_patient_by_true_time(ds, images, pick):
    meta = ds.metadata().select("study_id", "StudyDate", "StudyTime").collect()
    times = meta.group_by("study_id").agg(pl.col("StudyDate").min(), pl.col("StudyTime").min())
    studies = images.select("subject_id", "study_id").unique().join(times, on="study_id")
    down = pick == "last"
    chosen = studies.sort("StudyDate", "StudyTime", descending=down).group_by("subject_id").first()
    cohort = ds.cohort().one_per_patient("study", pick)
    assert sorted(cohort.studies()["study_id"]) == sorted(chosen["study_id"])
    assert last(cohort)[:2] == (chosen.height, chosen.height)


def test_one_image_per_patient_and_a_seeded_random_pick(ds, images):
    one = ds.cohort().one_per_patient("image", "first")
    assert last(one) == (images["subject_id"].n_unique(),) * 3
    a = ds.cohort().one_per_patient("study", "random", seed=7).studies()["study_id"].to_list()
    b = ds.cohort().one_per_patient("study", "random", seed=7).studies()["study_id"].to_list()
    assert a == b and len(a) == images["subject_id"].n_unique()
    several = [ds.cohort().one_per_patient("image", "random", seed=s).images()["dicom_id"] for s in range(4)]
    assert len({tuple(x.sort()) for x in several}) > 1  # the seed matters


def test_on_disk_drops_a_missing_file(demo_root, tmp_path):
    import shutil

    import cxrkit

    copy = tmp_path / "copy"
    shutil.copytree(demo_root, copy)
    gone = min((copy / "mimic-cxr").rglob("*.dcm"))
    gone.unlink()
    ds = cxrkit.open_dataset(copy, cache_dir=tmp_path / "cache")
    cohort = ds.cohort().on_disk()
    assert gone.stem not in cohort.images()["dicom_id"].to_list()
    assert cohort.steps[-1].excluded_images == 1
    assert ds.cohort().on_disk("mimic-cxr-jpg").steps[-1].excluded_images == 0
    assert ds.cohort().on_disk("both").steps[-1].excluded_images == 1


def test_a_cohort_is_an_immutable_value_and_steps_compose(ds):
    base = ds.cohort()
    frontal = base.view("frontal")
    assert len(base.steps) == 1 and len(frontal.steps) == 2
    with pytest.raises(AttributeError, match="immutable"):
        base.missing = None
    reused = [steps.view("frontal"), steps.split("train")]
    chained = ds.cohort().then(*reused)
    assert last(chained) == last(ds.cohort().view("frontal").split("train"))
    assert chained.images().height == last(chained)[2]
    assert chained.patients()["n_images"].sum() == last(chained)[2]
    assert chained.studies()["n_images"].sum() == last(chained)[2]


def test_steps_record_what_each_excluded(ds):
    cohort = ds.cohort().view("frontal").split("train").one_per_patient()
    frame = cohort.steps_frame()
    for before, after in zip(cohort.steps, cohort.steps[1:]):
        assert before.images - after.images == after.excluded_images
        assert before.patients - after.patients == after.excluded_patients
    assert frame.height == 4 and frame["images"].to_list() == [r.images for r in cohort.steps]
    html = cohort._repr_html_()
    assert all(f"<td>{r.images:,}</td>" in html for r in cohort.steps)
    assert "one per patient" in repr(cohort)


def test_clear_errors(ds, demo_root, tmp_path):
    import cxrkit
    from cxrkit.demo import make_demo

    with pytest.raises(CohortError, match="Did you mean 'Pleural Effusion'"):
        ds.cohort().labels("Effusion")
    with pytest.raises(CohortError, match="unknown split 'val'"):
        ds.cohort().split("val")
    with pytest.raises(CohortError, match="unknown uncertain policy"):
        ds.cohort().labels("Edema", uncertain="drop")
    with pytest.raises(EmptyCohortError, match=r"step 2 \(nothing: no image at all\) left no image"):
        ds.cohort().view("frontal").where(pl.lit(False), "nothing", "no image at all")
    bare = cxrkit.open_dataset(make_demo(tmp_path / "nolabels", flavor="jpg", labels=False, subjects=4))
    with pytest.raises(CohortError, match="chexpert.csv.gz"):
        bare.cohort().labels("Edema")
    with pytest.raises(CohortError, match="needs the reports"):
        bare.cohort().report("effusion")
    import shutil

    shutil.copytree(demo_root / "mimic-cxr", tmp_path / "alone" / "mimic-cxr")
    dicom_only = cxrkit.open_dataset(tmp_path / "alone", cache_dir=tmp_path / "c")
    assert not dicom_only.has("metadata")
    with pytest.raises(CohortError, match="metadata"):
        dicom_only.cohort().view("frontal")
    with pytest.raises(CohortError, match="metadata"):
        dicom_only.study_pairs()
    assert isinstance(Cohort.start(ds), Cohort)


def test_where_accepts_window_expressions(ds, images):
    two_plus = pl.len().over("study_id") >= 2
    expected = images.filter(two_plus)
    assert last(ds.cohort().where(two_plus, "multi-image studies")) == counts(expected)


def test_a_where_step_naming_an_unknown_column_says_which_columns_there_are(ds):
    with pytest.raises(CohortError, match=r"'age' step's expression does not fit.*study_date"):
        ds.cohort().where(pl.col("age") > 60, "age")


def test_study_dates_are_dates(ds):
    assert isinstance(ds.cohort().images()["study_date"].drop_nulls()[0], dt.date)


def test_the_cached_start_frame_follows_the_tables(demo_root, tmp_path):
    import gzip
    import shutil

    import cxrkit

    copy = tmp_path / "copy"
    shutil.copytree(demo_root, copy)
    cache = tmp_path / "cache"
    before = cxrkit.open_dataset(copy, cache_dir=cache).cohort()
    assert list((cache / "cohorts").rglob("images-*.parquet"))  # kept for the next cohort
    split_file = next((copy / "mimic-cxr-jpg").rglob("mimic-cxr-2.0.0-split.csv.gz"))
    split = pl.read_csv(split_file, infer_schema_length=0).with_columns(pl.lit("test").alias("split"))
    split_file.write_bytes(gzip.compress(split.write_csv().encode()))
    after = cxrkit.open_dataset(copy, cache_dir=cache).cohort()
    assert after.split("test").steps[-1].images == len(after) == len(before)
    assert len(list((cache / "cohorts").rglob("images-*.parquet"))) == 1  # the stale copy went


def test_labels_any_of_several_categories_and_exclude_over_all_of_them(ds, images):
    labels = ds.chexpert().collect()

    def either(a, b):
        return labels.filter((pl.col(a) == 1.0).fill_null(False) | (pl.col(b) == 1.0).fill_null(False))

    def sure(frame, a, b):
        return frame.filter((pl.col(a) != -1.0).fill_null(True) & (pl.col(b) != -1.0).fill_null(True))

    # a pair where some study is positive for one category and uncertain for the other
    pairs = [(a, b) for i, a in enumerate(LABEL_COLUMNS) for b in LABEL_COLUMNS[i + 1 :]]
    a, b = next(p for p in pairs if 0 < sure(either(*p), *p).height < either(*p).height)
    got = ds.cohort().labels([a, b], match="any")
    assert last(got) == counts(images.join(either(a, b).select("study_id"), on="study_id", how="semi"))
    assert last(ds.cohort().labels([a, b]))[1] < last(got)[1]  # "all" keeps fewer studies than "any"
    got = ds.cohort().labels([a, b], match="any", uncertain="exclude")
    kept = sure(either(a, b), a, b)
    assert last(got) == counts(images.join(kept.select("study_id"), on="study_id", how="semi"))
    with pytest.raises(CohortError, match="unknown match 'some'"):
        ds.cohort().labels("Edema", match="some")


def test_mentions_keeps_studies_by_what_the_report_text_says(ds, images):
    from cxrkit import text

    frame = ds.sections().select("study_id", text.mention_text()).collect()
    said = text.mentions(frame, "mention_text", categories=["Pneumothorax"], id_cols=("study_id",))
    negated = said.filter(pl.col("Pneumothorax") == 0.0)
    got = ds.cohort().mentions("Pneumothorax", "negative")
    assert last(got) == counts(images.join(negated.select("study_id"), on="study_id", how="semi"))
    assert 0 < last(got)[1] < last(ds.cohort())[1]
    impression = ds.sections().select("study_id", "impression").collect()
    said = text.mentions(impression, "impression", categories=["Pneumothorax"], id_cols=("study_id",))
    negated = said.filter(pl.col("Pneumothorax") == 0.0)
    got = ds.cohort().mentions("Pneumothorax", "negative", section="impression")
    assert last(got) == counts(images.join(negated.select("study_id"), on="study_id", how="semi"))
    assert got.steps[-1].description == "report (impression) says: Pneumothorax negative"
    with pytest.raises(CohortError, match="unknown section 'impresion'.*Did you mean 'impression'"):
        ds.cohort().mentions("Edema", section="impresion")
