"""cxrkit.label_audit: the audit's counts and agreement against plain polars computations on the demo, the
evidence behind a cell, and the uncertain-label policies on hand-made labels."""

from __future__ import annotations

import polars as pl
import pytest

import cxrkit
from cxrkit import text
from cxrkit.label_audit import (
    POLICIES,
    audit_labels,
    label_evidence,
    policy_effect,
    u_exclude,
    u_ignore,
    u_ones,
    u_zeros,
)
from cxrkit.tables import LABEL_COLUMNS


@pytest.fixture(scope="module")
def demo(demo_dicom):
    ds = cxrkit.open_dataset(demo_dicom)
    sections = ds.sections(progress=False).collect().with_columns(text.mention_text())
    found = text.mentions(sections, text_col="mention_text")
    sources = {"chexpert": ds.chexpert().collect(), "negbio": ds.negbio().collect(), "kit": found}
    return sections, sources, audit_labels(sources)


def _name(col: str) -> pl.Expr:
    return (
        pl.when(pl.col(col) == 1.0)
        .then(pl.lit("positive"))
        .when(pl.col(col) == 0.0)
        .then(pl.lit("negative"))
        .when(pl.col(col) == -1.0)
        .then(pl.lit("uncertain"))
        .otherwise(pl.lit("blank"))
    )


def test_counts_match_a_plain_polars_count(demo):
    _, sources, audit = demo
    common = set.intersection(*(set(f["study_id"].to_list()) for f in sources.values()))
    counts = audit["counts"]
    assert counts["category"].n_unique() == len(LABEL_COLUMNS)
    for source, frame in sources.items():
        kept = frame.filter(pl.col("study_id").is_in(sorted(common)))
        for c in LABEL_COLUMNS:
            plain = dict(kept.select(_name(c).alias("v")).group_by("v").len().rows())
            got = dict(counts.filter(pl.col("category") == c).select("value", source).rows())
            assert {k: v for k, v in got.items() if v} == plain, (source, c)


def test_agreement_matches_a_plain_comparison(demo):
    _, sources, audit = demo
    che, neg = sources["chexpert"], sources["negbio"]
    both = che.join(neg, on="study_id", suffix="_n").join(sources["kit"].select("study_id"), on="study_id")
    for c in LABEL_COLUMNS:
        agree = both.select((_name(c) == _name(f"{c}_n")).sum()).item()
        row = audit["agreement"].filter(
            (pl.col("category") == c) & (pl.col("a") == "chexpert") & (pl.col("b") == "negbio")
        )
        assert row.select("studies", "agree").row(0) == (both.height, agree)
    pairs = set(audit["agreement"].select("a", "b").unique().rows())
    assert pairs == {("chexpert", "negbio"), ("chexpert", "kit"), ("negbio", "kit")}


def test_cells_add_up_to_the_studies(demo):
    _, _, audit = demo
    per = audit["cells"].group_by("category").agg(pl.col("count").sum())
    assert set(per["count"].to_list()) == {audit["values"]["study_id"].n_unique()}


def test_kappa_by_hand():
    a = pl.DataFrame({"study_id": [1, 2, 3, 4], "Edema": [1.0, 0.0, 1.0, 0.0]})
    b = pl.DataFrame({"study_id": [1, 2, 3, 4], "Edema": [1.0, 0.0, 0.0, 0.0]})
    row = audit_labels({"a": a, "b": b})["agreement"].row(0, named=True)
    # observed 3/4; expected 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa = (0.75 - 0.5) / 0.5
    assert (row["agreement"], row["kappa"]) == (0.75, 0.5)


def test_evidence_of_a_cell_gives_the_deciding_sentence():
    reports = pl.DataFrame(
        {
            "study_id": [1, 2],
            "mention_text": ["No effusion. Small left effusion.", "Possible effusion."],
            "impression": ["Small left effusion.", None],
        }
    )
    kit = text.mentions(reports, text_col="mention_text", id_cols=["study_id"])
    che = pl.DataFrame({"study_id": [1, 2], "Pleural Effusion": [0.0, -1.0]})
    audit = audit_labels({"chexpert": che, "kit": kit}, ["Pleural Effusion"])
    out = label_evidence(audit, reports, "Pleural Effusion", chexpert="negative", label_text="impression")
    assert out.rows() == [(1, "negative", "positive", "small left effusion.", "small left effusion.")]
    both = label_evidence(audit, reports, "Pleural Effusion")
    assert both["kit_sentence"].to_list() == ["small left effusion.", "possible effusion."]
    with pytest.raises(ValueError, match="source"):
        label_evidence(audit, reports, "Pleural Effusion", negbio="positive")
    with pytest.raises(ValueError, match="value"):
        label_evidence(audit, reports, "Pleural Effusion", kit="maybe")


def test_policies_by_hand():
    df = pl.DataFrame(
        {"study_id": [1, 2, 3, 4], "Edema": [1.0, -1.0, 0.0, None], "Atelectasis": [-1.0] + [0.0] * 3}
    )
    assert u_ones(df)["Edema"].to_list() == [1.0, 1.0, 0.0, None]
    assert u_zeros(df, blank=0.0)["Edema"].to_list() == [1.0, 0.0, 0.0, 0.0]
    assert u_ignore(df)["Edema"].to_list() == [1.0, None, 0.0, None]
    assert u_exclude(df, ["Edema"])["study_id"].to_list() == [1, 3, 4]
    assert u_exclude(df)["study_id"].to_list() == [3, 4]
    assert u_ones(df, ["Edema"])["Atelectasis"].to_list() == df["Atelectasis"].to_list()  # others untouched


def test_policy_effect_on_prevalence_and_cohort(demo):
    _, sources, _ = demo
    che = sources["chexpert"]
    effect = policy_effect(che)
    assert set(effect["policy"]) == set(POLICIES)
    for c in LABEL_COLUMNS:
        rows = {r["policy"]: r for r in effect.filter(pl.col("category") == c).iter_rows(named=True)}
        pos, unc = int((che[c] == 1.0).sum()), int((che[c] == -1.0).sum())
        assert rows["as is"]["positive"] == pos and rows["U-Ones"]["positive"] == pos + unc
        assert rows["U-Zeros"]["negative"] == rows["as is"]["negative"] + unc
        assert rows["U-Exclude"]["studies"] == che.height - unc
        assert rows["U-Ignore"]["blank"] == rows["as is"]["blank"] + unc
