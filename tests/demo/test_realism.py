"""The demo measured against the published MIMIC-CXR figures (cxrkit.demo.realism, cxrkit demo --report).

The realism test uses the issue's size, 2,000 patients (~7,000 studies, ~6,800 in the training split),
without pixels: labels, reports and metadata do not depend on the images, and the tables and reports of
2,000 patients build in a few seconds. At that size a label share's standard error is about 0.5 points, so
the 3-point tolerance is about six standard errors: the test fails on a real drift, not on noise.
"""

from __future__ import annotations

import gzip

import polars as pl
import pytest

from cxrkit.cli import main
from cxrkit.demo import DemoError, make_demo, realism


@pytest.fixture(scope="module")
def table(tmp_path_factory) -> pl.DataFrame:
    root = make_demo(tmp_path_factory.mktemp("realism") / "d", subjects=2000, seed=0, images=False)
    return realism(root)


def _failing(frame: pl.DataFrame, prefix: str) -> list[tuple]:
    rows = frame.filter(pl.col("figure").str.starts_with(prefix) & ~pl.col("ok"))
    return rows.select("figure", "demo", "published", "tolerance").rows()


def test_label_shares_match_the_published_training_split(table):
    figure = pl.col("figure")
    shares = table.filter(figure.str.starts_with("CheXpert ") & ~figure.str.contains(" vs "))
    assert shares.height == 14 * 4 - 2  # positive, negative, uncertain, blank; No Finding only 1.0 or blank
    assert _failing(table, "CheXpert ") == []
    assert _failing(table, "NegBio ") == []


def test_labellers_disagree_by_category_as_on_the_real_data(table):
    differ = table.filter(pl.col("figure").str.starts_with("CheXpert vs NegBio"))
    assert differ.height == 14 and _failing(table, "CheXpert vs NegBio") == []
    value = dict(zip(differ["figure"], differ["demo"]))
    # cardiomegaly and No Finding are where the labellers disagree most
    top = sorted(value, key=value.get)[-3:]
    assert any("Cardiomegaly" in f for f in top) and any("No Finding" in f for f in top)


def test_findings_cluster_as_on_real_films(table):
    assert _failing(table, "lift of") == []


def test_views_and_images_per_study(table):
    assert _failing(table, "images with ViewPosition") == []
    assert _failing(table, "studies with") == []


def test_realism_notices_a_copy_that_is_off(tmp_path):
    root = make_demo(tmp_path / "d", subjects=300, seed=1, images=False, layout="single")
    path = root / "mimic-cxr-2.0.0-chexpert.csv.gz"
    frame = pl.read_csv(path, infer_schema_length=None)
    frame = frame.with_columns(pl.lit(0.0).alias("Consolidation"))  # every study "no consolidation"
    path.write_bytes(gzip.compress(frame.write_csv().encode()))
    row = realism(root).filter(pl.col("figure") == "CheXpert Consolidation negative %").row(0, named=True)
    assert row["demo"] == 100.0 and not row["ok"]


def test_realism_of_a_folder_without_data_is_a_clear_error(tmp_path):
    with pytest.raises(DemoError, match="no label tables"):
        realism(tmp_path)


def test_cli_prints_the_report(tmp_path, capsys):
    dest = tmp_path / "d"
    assert main(["demo", str(dest), "--subjects", "30", "--report"]) == 0
    out = capsys.readouterr().out
    assert "CheXpert Pleural Effusion positive %" in out and "figures within tolerance" in out
    assert main(["demo", str(dest), "--report"]) == 0  # an existing demo is measured, not rebuilt
    assert "figures within tolerance" in capsys.readouterr().out
