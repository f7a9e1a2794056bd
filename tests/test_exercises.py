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


def test_pairs_within_30_days_that_mention_a_comparison(ds, capsys):
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
