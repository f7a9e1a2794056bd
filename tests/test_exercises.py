"""The notebooks' self-checks: right answers (computed here by plain polars) pass, known slips get their
hint, and the expected answer is never printed."""

from __future__ import annotations

import polars as pl
import pytest

import cxrkit
from cxrkit import exercises


@pytest.fixture(scope="module")
def ds(demo_projects):
    return cxrkit.open_dataset(demo_projects)


@pytest.fixture(scope="module")
def wide(tmp_path_factory):
    """A 300-patient demo without image files: enough reports that the slips the checks name give other
    numbers than the right answers (a chest tube outside the findings, close pairs without a comparison)."""
    from cxrkit.demo import make_demo

    folder = tmp_path_factory.mktemp("exercises-wide")
    return cxrkit.open_dataset(make_demo(folder / "d", subjects=300, images=False), cache_dir=folder / "c")


def _said(capsys) -> str:
    return capsys.readouterr().out.strip()


def test_studies_without_a_frontal_image(ds, capsys):
    imgs = ds.images().collect()
    with_frontal = set(imgs.filter(pl.col("ViewPosition").is_in(["PA", "AP"]))["study_id"])
    right = len(set(imgs["study_id"]) - with_frontal)
    assert exercises.check("01.3", right, ds) is True and _said(capsys) == "Right."
    images_not_frontal = imgs.filter(~pl.col("ViewPosition").is_in(["PA", "AP"]).fill_null(False)).height
    assert images_not_frontal != right  # the demo makes the slip distinguishable
    assert exercises.check("01.3", images_not_frontal, ds) is False
    said = _said(capsys)
    assert "count studies" in said and str(right) not in said.split()


def test_frontal_images_of_cardiomegaly_studies(ds, capsys):
    labels = ds.chexpert().collect().filter(pl.col("Cardiomegaly") == 1.0)
    imgs = ds.images().collect().join(labels.select("study_id"), on="study_id")
    right = imgs.filter(pl.col("ViewPosition").is_in(["PA", "AP"])).height
    assert exercises.check("01.4", right, ds)
    _said(capsys)
    assert imgs.height != right, "the demo's positive studies have lateral images too"
    assert not exercises.check("01.4", imgs.height, ds)
    assert "keep the PA and AP views" in _said(capsys)


def test_days_between_first_and_last_study_and_the_id_order_slip(ds, capsys):
    times = ds.study_times().collect().drop_nulls("StudyDate")

    def days(frame):
        return abs((frame["StudyDate"][-1] - frame["StudyDate"][0]).days)

    cases = [
        (subject, (g["StudyDate"].max() - g["StudyDate"].min()).days, days(g.sort("study_id")))
        for (subject,), g in times.group_by(["subject_id"])
        if g.height >= 3
    ]
    subject, right, by_id = next((c for c in sorted(cases) if c[1] != c[2]), (None, None, None))
    assert subject is not None, "some patient's id order differs from its time order (ids are random)"
    assert exercises.check("01.1", right, ds, subject_id=subject)
    _said(capsys)
    assert not exercises.check("01.1", by_id, ds, subject_id=subject)
    assert "ids are random" in _said(capsys).lower()


def test_a_sample_dependent_exercise_takes_the_sample(ds, capsys):
    from cxrkit import images

    headers = images.header_table(ds, progress=False)
    right = headers.filter(pl.col("PhotometricInterpretation") == "MONOCHROME1").height
    assert exercises.check("02.1", right, ds, headers=headers)
    assert not exercises.check("02.1", right + 1, ds, headers=headers)


def test_an_unknown_exercise_names_the_known_ones(ds):
    with pytest.raises(KeyError, match="checkable ones: 00.4"):
        exercises.check("09.9", 1, ds)


def test_reports_on_disk_and_the_studies_slip(tmp_path, capsys):
    from cxrkit.demo import make_demo

    root = make_demo(tmp_path / "d", subjects=4, layout="single")
    reports = sorted(root.rglob("files/p*/p*/s*.txt"))
    reports[0].unlink()  # a partial copy: one study's report missing
    ds = cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")
    studies = ds.studies().collect().height
    assert exercises.check("00.4", len(reports) - 1, ds) and _said(capsys) == "Right."
    assert not exercises.check("00.4", studies, ds)
    assert "some reports may not be in this copy" in _said(capsys)


def test_the_split_of_a_study(ds, capsys):
    imgs = ds.images().collect()
    study = imgs["study_id"].sort()[0]
    split = imgs.filter(pl.col("study_id") == study)["split"].unique().to_list()
    assert len(split) == 1
    assert exercises.check("00.5", split[0], ds, study_id=study)
    other = next(s for s in ("train", "validate", "test") if s != split[0])
    assert not exercises.check("00.5", other, ds, study_id=study)
    assert "split column" in _said(capsys)


def test_the_category_with_most_uncertain_labels(ds, capsys):
    from cxrkit.tables import LABEL_COLUMNS

    labels = ds.chexpert().collect()
    uncertain = {c: int((labels[c] == -1.0).sum()) for c in LABEL_COLUMNS}
    positive = {c: int((labels[c] == 1.0).sum()) for c in LABEL_COLUMNS}
    most = {c for c, n in uncertain.items() if n == max(uncertain.values())}
    for category in most:  # a tie: any of the tied categories is right
        assert exercises.check("03.4", category, ds, labels=labels)
    slip = next(c for c, n in positive.items() if n == max(positive.values()))
    assert slip not in most, "the demo's most positive category is not its most uncertain one"
    _said(capsys)
    assert not exercises.check("03.4", slip, ds, labels=labels)
    assert "most positive" in _said(capsys)


def test_pairs_within_30_days_that_mention_a_comparison(wide, capsys):
    ds = wide
    when = pl.col("StudyDate").dt.combine(pl.col("StudyTime"))
    times = ds.study_times().collect().drop_nulls(["StudyDate", "StudyTime"]).with_columns(t=when)
    times = times.sort("subject_id", "t").with_columns(prior=pl.col("t").shift(1).over("subject_id"))
    close = times.filter((pl.col("t") - pl.col("prior")) <= pl.duration(days=30))
    said = ds.study_pairs().select("study_id", "mentions_comparison")  # what "mentions" means: the kit's rule
    right = close.join(said, on="study_id").filter(pl.col("mentions_comparison")).height
    assert 0 < right < close.height, "the demo has close pairs with and without a comparison"
    assert exercises.check("04.3", right, ds)
    _said(capsys)
    assert not exercises.check("04.3", close.height, ds)
    assert "keep those whose report mentions a comparison" in _said(capsys)


def test_support_devices_share_by_view_and_its_slips(ds, capsys):
    labels = ds.chexpert().collect()
    imgs = ds.images().collect()
    ap_studies = imgs.filter(pl.col("ViewPosition") == "AP").select("study_id").unique()
    per_study = labels.join(ap_studies, on="study_id")
    right = per_study.filter(pl.col("Support Devices") == 1.0).height / per_study.height
    assert exercises.check("03.5", right, ds, labels=labels, view="AP") and _said(capsys) == "Right."
    assert exercises.check("03.5", round(right, 3), ds, labels=labels, view="AP"), "a rounded share is right"
    _said(capsys)
    per_image = imgs.filter(pl.col("ViewPosition") == "AP").join(labels, on="study_id")
    by_image = per_image.filter(pl.col("Support Devices") == 1.0).height / per_image.height
    assert abs(by_image - right) > 1e-3, "the demo has AP studies with several AP images"
    assert not exercises.check("03.5", by_image, ds, labels=labels, view="AP")
    assert "count studies" in _said(capsys).lower()
    assert not exercises.check("03.5", 100 * right, ds, labels=labels, view="AP")
    assert "not a percentage" in _said(capsys)
    pa = imgs.filter(pl.col("ViewPosition") == "PA").select("study_id").unique()
    pa_share = labels.join(pa, on="study_id")["Support Devices"].eq(1.0).fill_null(False).mean()
    assert exercises.check("03.5", pa_share, ds, labels=labels, view="PA")
    said = _said(capsys)
    assert said == "Right." and f"{right}" not in said


def _test_split_with_uncertain_pneumothorax(tmp_path):
    """A copy whose test split has Pneumothorax negative and uncertain studies (the demo's test split is
    small: here two of its studies are relabelled, so the two policies give different sizes)."""
    import gzip

    from cxrkit.demo import make_demo

    root = make_demo(tmp_path / "d", subjects=150, images=False)
    labels_file = next(root.rglob("mimic-cxr-2.0.0-chexpert.csv.gz"))
    splits = pl.read_csv(next(root.rglob("mimic-cxr-2.0.0-split.csv.gz")))
    test = splits.filter(pl.col("split") == "test")["study_id"].unique().sort()
    assert test.len() >= 2
    labels = pl.read_csv(labels_file, infer_schema_length=0)
    value = {str(test[0]): "-1.0", str(test[1]): "0.0"}
    labels = labels.with_columns(
        pl.col("study_id").replace_strict(value, default=pl.col("Pneumothorax")).alias("Pneumothorax")
    )
    labels_file.write_bytes(gzip.compress(labels.write_csv().encode()))
    return cxrkit.open_dataset(root, cache_dir=tmp_path / "cache")


def test_pneumothorax_negative_in_the_test_split_under_two_policies(tmp_path, capsys):
    ds = _test_split_with_uncertain_pneumothorax(tmp_path)
    test = ds.images().filter(pl.col("split") == "test").select("subject_id", "study_id").unique().collect()
    labelled = test.join(ds.chexpert().collect(), on="study_id")
    negative = labelled.filter(pl.col("Pneumothorax").is_in([0.0, -1.0]))
    excluded = labelled.filter(pl.col("Pneumothorax") == 0.0)
    assert negative.height > excluded.height > 0
    assert exercises.check("04.1", negative.height, ds, uncertain="negative") and _said(capsys) == "Right."
    assert exercises.check("04.1", excluded.height, ds, uncertain="exclude")
    _said(capsys)
    assert not exercises.check("04.1", negative.height, ds, uncertain="exclude")
    assert "other uncertain policy" in _said(capsys)


def test_chest_tube_in_the_findings_and_its_slips(wide, capsys):
    ds = wide
    tube = r"(?i)\bchest\s+tube\b"
    sections = ds.sections(progress=False).collect()
    reports = ds.reports(progress=False).collect()
    right = sections.filter(pl.col("findings").str.contains(tube).fill_null(False)).height
    anywhere = reports.filter(pl.col("text").str.contains(tube)).height
    assert anywhere != right, "this demo has a chest tube outside the findings"
    assert exercises.check("04.2", right, ds) and _said(capsys) == "Right."
    assert not exercises.check("04.2", anywhere, ds)
    assert "findings section only" in _said(capsys)
    assert not exercises.check("04.2", sections.height - right, ds)
    assert "exclude_words" in _said(capsys)


def test_studies_picked_by_both_random_seeds(ds, capsys):
    picked = {}
    for seed in (1, 2):
        studies = ds.cohort().one_per_patient("study", "random", seed=seed).studies()
        assert studies["subject_id"].n_unique() == studies.height, "one study per patient"
        picked[seed] = set(studies["study_id"])
    both = len(picked[1] & picked[2])
    assert len(picked[1]) == len(picked[2]) and both < len(picked[1]), "the seed changes the studies"
    assert exercises.check("04.4", both, ds) and _said(capsys) == "Right."
    assert not exercises.check("04.4", len(picked[1]), ds)
    assert "count the studies both picked" in _said(capsys).lower()
