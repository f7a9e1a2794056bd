"""Text analysis: tokens, frequencies, n-grams, KWIC, mentions (negation and uncertainty), label agreement."""

from __future__ import annotations

import re
from collections import Counter

import polars as pl
import pytest

from cxrkit.text import (
    CHEXPERT_CATEGORIES,
    STOP_WORDS,
    compare_with_labels,
    document_frequency,
    kwic,
    mention_text,
    mentions,
    ngrams,
    term_frequencies,
    tokens,
)

FINDINGS = [
    "No pleural effusion or pneumothorax. Heart size is normal. The patient's épanchement, left-sided.",
    "Small left pleural effusion, unchanged since ___. Mild pulmonary edema.",
    None,
    "Left lower lobe opacity 2.5 cm; possible pneumonia.",
]


def test_tokens_lowercase_placeholders_and_stop_words():
    df = pl.DataFrame({"findings": ["The ___ ET tube is 4.5 cm above the carina."]})
    assert df.select(tokens()).item().to_list() == ["et", "tube", "cm", "above", "carina"]
    assert df.select(tokens(numbers=True, stop_words=None)).item().to_list() == [
        "the",
        "et",
        "tube",
        "is",
        "4.5",
        "cm",
        "above",
        "the",
        "carina",
    ]


def test_term_frequencies_match_a_counter():
    df = pl.DataFrame({"findings": FINDINGS})
    counter: Counter[str] = Counter()
    for text in FINDINGS:
        if text:
            words = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower())
            counter.update(w for w in words if w not in STOP_WORDS)
    tf = term_frequencies(df)
    assert dict(tf.rows()) == dict(counter)
    assert tf["count"].to_list() == sorted(tf["count"].to_list(), reverse=True)
    assert "___" not in tf["term"].to_list() and "no" in tf["term"].to_list()
    assert "2.5" in term_frequencies(df, numbers=True)["term"].to_list()


def test_document_frequency_counts_each_report_once():
    df = pl.DataFrame({"findings": FINDINGS})
    dfreq = {t: d for t, d, _ in document_frequency(df).rows()}
    assert dfreq["effusion"] == 2  # appears in two reports (once each)
    assert dfreq["pneumonia"] == 1
    frac = document_frequency(df).filter(pl.col("term") == "effusion")["fraction"].item()
    assert frac == pytest.approx(2 / 3)  # of the 3 non-null reports


def test_ngrams_within_a_report_only():
    df = pl.DataFrame({"findings": ["No pleural effusion.", "Pleural effusion. Tube."]})
    grams = dict(ngrams(df, 2).rows())
    assert grams["pleural effusion"] == 2
    assert grams["no pleural"] == 1
    assert "effusion pleural" not in grams  # never across reports
    assert dict(ngrams(df, 3).rows()) == {"no pleural effusion": 1, "pleural effusion tube": 1}
    with pytest.raises(ValueError):
        ngrams(df, 0)


def test_kwic_lines_with_study_ids():
    df = pl.DataFrame(
        {
            "study_id": [50000001, 50000002],
            "text": [" FINDINGS: Small left\n effusion.  No pneumothorax.\n", " No EFFUSION.\n"],
        }
    )
    lines = kwic(df, "effusion", width=10)
    assert lines.columns == ["study_id", "left", "keyword", "right"]
    assert lines.rows() == [
        (50000001, "mall left", "effusion", ". No pneum"),
        (50000002, "No", "EFFUSION", "."),
    ]
    phrase = kwic(df, "left effusion", width=5)  # phrases match across the report's line breaks
    assert phrase["keyword"].to_list() == ["left effusion"]
    assert kwic(df, "effusions").height == 0  # whole words only


# --- mentions -------------------------------------------------------------------------------------------


def _m(*texts: str) -> list[dict]:
    df = pl.DataFrame({"study_id": list(range(len(texts))), "text": list(texts)})
    return [
        {k: v for k, v in row.items() if v is not None and k != "study_id"}
        for row in mentions(df).iter_rows(named=True)
    ]


def test_categories_are_the_chexpert_fourteen_in_order():
    assert len(CHEXPERT_CATEGORIES) == 14
    assert CHEXPERT_CATEGORIES[0] == "Atelectasis" and CHEXPERT_CATEGORIES[8] == "No Finding"
    out = mentions(pl.DataFrame({"subject_id": [1], "study_id": [2], "text": ["x"]}))
    assert out.columns == ["subject_id", "study_id", *CHEXPERT_CATEGORIES]
    assert all(out.schema[c] == pl.Float64 for c in CHEXPERT_CATEGORIES)


def test_positive_negated_uncertain_in_one_sentence_each():
    assert _m("Small left pleural effusion.")[0]["Pleural Effusion"] == 1.0
    assert _m("No pleural effusion.")[0]["Pleural Effusion"] == 0.0
    assert _m("Possible small pleural effusion.")[0]["Pleural Effusion"] == -1.0
    assert _m("Cannot exclude pneumonia.")[0]["Pneumonia"] == -1.0
    assert _m("Pneumonia cannot be excluded.")[0]["Pneumonia"] == -1.0
    assert _m("Atelectasis versus pneumonia.")[0] == {"Atelectasis": -1.0, "Pneumonia": -1.0}


def test_negation_list_reaches_every_finding_in_the_sentence():
    out = _m("No pleural effusion, pneumothorax, or focal consolidation.")[0]
    assert out["Pleural Effusion"] == out["Pneumothorax"] == out["Consolidation"] == 0.0


def test_negation_after_the_finding():
    assert _m("Pneumothorax has resolved.")[0]["Pneumothorax"] == 0.0
    assert _m("Effusion is not seen.")[0]["Pleural Effusion"] == 0.0
    assert _m("The endotracheal tube has been removed.")[0]["Support Devices"] == 0.0


def test_cue_in_one_sentence_does_not_reach_another():
    out = _m("No pneumothorax. Small left effusion.")[0]
    assert out["Pneumothorax"] == 0.0 and out["Pleural Effusion"] == 1.0
    out = _m("Possible pneumonia. Large right effusion.")[0]
    assert out["Pneumonia"] == -1.0 and out["Pleural Effusion"] == 1.0
    out = _m("Effusion is present. Pneumothorax has resolved.")[0]
    assert out["Pleural Effusion"] == 1.0 and out["Pneumothorax"] == 0.0


def test_negation_and_uncertainty_in_the_same_sentence():
    out = _m("No pneumothorax, but possible small effusion.")[0]
    assert out["Pneumothorax"] == 0.0 and out["Pleural Effusion"] == -1.0
    out = _m("No effusion, but there is consolidation.")[0]
    assert out["Pleural Effusion"] == 0.0 and out["Consolidation"] == 1.0


def test_pseudo_negation_is_not_negation():
    assert _m("No change in the small left effusion.")[0]["Pleural Effusion"] == 1.0


def test_report_level_aggregation_positive_beats_uncertain_beats_negative():
    assert _m("Possible effusion. Large right effusion.")[0]["Pleural Effusion"] == 1.0
    assert _m("No left effusion. Possible right effusion.")[0]["Pleural Effusion"] == -1.0
    assert _m("No left effusion. No right effusion.")[0]["Pleural Effusion"] == 0.0


def test_normal_phrases_are_negative_mentions():
    assert _m("Heart size is normal.")[0]["Cardiomegaly"] == 0.0
    assert _m("The heart is not enlarged.")[0]["Cardiomegaly"] == 0.0
    assert _m("The heart is mildly enlarged.")[0]["Cardiomegaly"] == 1.0


def test_no_finding_is_derived():
    assert _m("The lungs are clear.")[0] == {"No Finding": 1.0}
    assert _m("No effusion. ET tube in place.")[0]["No Finding"] == 1.0  # support devices do not count
    assert "No Finding" not in _m("Possible pneumonia.")[0]
    assert _m("")[0] == {"No Finding": 1.0}


def test_mentions_keeps_rows_and_order_and_null_text():
    df = pl.DataFrame({"study_id": [3, 1, 2], "text": ["Effusion.", None, "No effusion."]})
    out = mentions(df, categories=["Pleural Effusion"])
    assert out.rows() == [(3, 1.0), (1, None), (2, 0.0)]


def test_mentions_rejects_unknown_categories():
    with pytest.raises(ValueError, match="unknown categories"):
        mentions(pl.DataFrame({"text": ["x"]}), categories=["Broken Heart"])


# --- compare_with_labels ----------------------------------------------------------------------------------


def test_compare_with_labels_counts():
    m = pl.DataFrame(
        {
            "study_id": [1, 2, 3, 4, 5],
            "Edema": [1.0, 0.0, None, -1.0, 1.0],
            "Pneumothorax": [0.0, 0.0, None, None, 0.0],
        }
    )
    labels = pl.DataFrame(
        {
            "subject_id": [10, 10, 11, 12, 13],
            "study_id": [1, 2, 3, 4, 6],
            "Edema": [1.0, -1.0, None, -1.0, 1.0],
            "Pneumothorax": [0.0, None, None, None, 0.0],
        }
    )
    out = compare_with_labels(m, labels)
    table = {(c, a, b): n for c, a, b, n in out["table"].rows()}
    # studies 1-4 are in both frames (5 and 6 are not)
    assert table == {
        ("Edema", "positive", "positive"): 1,
        ("Edema", "negative", "uncertain"): 1,
        ("Edema", "blank", "blank"): 1,
        ("Edema", "uncertain", "uncertain"): 1,
        ("Pneumothorax", "negative", "negative"): 1,
        ("Pneumothorax", "negative", "blank"): 1,
        ("Pneumothorax", "blank", "blank"): 2,
    }
    summary = {r["category"]: r for r in out["summary"].iter_rows(named=True)}
    assert summary["Edema"]["studies"] == 4 and summary["Edema"]["agree"] == 3
    assert summary["Edema"]["agreement"] == pytest.approx(0.75)
    # kappa by hand for Pneumothorax: po = 3/4; mention neg 2, blank 2; label neg 1, blank 3
    pe = (2 * 1 + 2 * 3) / 16
    assert summary["Pneumothorax"]["kappa"] == pytest.approx((0.75 - pe) / (1 - pe))
    assert out["disagreements"].rows() == [
        (2, "Edema", "negative", "uncertain"),
        (2, "Pneumothorax", "negative", "blank"),
    ]


def test_compare_with_labels_needs_shared_categories():
    with pytest.raises(ValueError, match="share no category"):
        compare_with_labels(pl.DataFrame({"study_id": [1], "x": [1.0]}), pl.DataFrame({"study_id": [1]}))


def test_mention_text_reads_findings_and_impression_only():
    from cxrkit.reports import sections_frame

    text = " INDICATION: Eval for pneumonia.\n \n FINDINGS: No effusion.\n \n IMPRESSION: Mild edema.\n"
    sec = sections_frame(pl.DataFrame({"study_id": [1], "text": [text]}))
    out = mentions(sec.with_columns(mention_text()), text_col="mention_text")
    row = out.row(0, named=True)
    assert row["Pneumonia"] is None and row["Pleural Effusion"] == 0.0 and row["Edema"] == 1.0
    assert (
        mentions(sec, text_col="text").row(0, named=True)["Pneumonia"] == 1.0
    )  # the question reads as a finding


def test_term_frequencies_match_a_counter_on_awkward_text():
    """Pieces are counted before the word rule runs: apostrophes, tabs, line breaks, upper and non-ASCII case,
    repeated and edge spaces must give exactly the regex's words."""
    texts = [
        "  Patient's  ''quoted'' o'neil's a'b'c",
        "TAB\tsep\nLINE--dash",
        "\u212aelvin \u0130stanbul É\u00e9t\u00e9",
        "",
        None,
        "x'",
        "'y",
        "no no NO  no.",
        "4.5cm 12x3 a1b2",
        "  ",
    ]
    counter: Counter[str] = Counter()
    for text in texts:
        if text:
            counter.update(w for w in re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower()) if w not in STOP_WORDS)
    df = pl.DataFrame({"findings": texts})
    assert dict(term_frequencies(df).rows()) == dict(counter)
    numbers: Counter[str] = Counter()
    for text in texts:
        if text:
            numbers.update(re.findall(r"[a-z]+(?:'[a-z]+)?|[0-9]+(?:\.[0-9]+)?", text.lower()))
    assert dict(term_frequencies(df.lazy(), numbers=True, stop_words=None).rows()) == dict(numbers)


def test_a_missing_column_is_named_with_what_the_frame_has():
    from cxrkit import text
    from cxrkit.errors import MissingColumnError
    from cxrkit.reports import sections_frame

    df = pl.DataFrame({"study_id": [1], "txt": ["No effusion."]})
    calls = {
        "term_frequencies": lambda: text.term_frequencies(df),
        "document_frequency": lambda: text.document_frequency(df.lazy(), column="impression"),
        "ngrams": lambda: text.ngrams(df),
        "kwic": lambda: text.kwic(df, "effusion"),
        "mentions": lambda: text.mentions(df),
        "sections_frame": lambda: sections_frame(df.lazy()),
        "compare_with_labels (labels)": lambda: text.compare_with_labels(df, pl.DataFrame({"id": [1]})),
    }
    for what, call in calls.items():
        pattern = rf"^{re.escape(what)} needs column\(s\) .*it has: (study_id, txt|id)\)"
        with pytest.raises(MissingColumnError, match=pattern):
            call()
    assert text.kwic(df, "effusion", column="txt").height == 1  # naming the right column works


def test_mention_sentences_are_the_sentences_behind_mentions():
    from cxrkit.text import mention_sentences

    df = pl.DataFrame(
        {
            "study_id": [1, 2, 3],
            "text": ["No effusion. Small left effusion.", "Heart size is normal. Possible edema.", None],
        }
    )
    said = mention_sentences(
        df, categories=["Pleural Effusion", "Cardiomegaly", "Edema"], id_cols=["study_id"]
    )
    assert said.rows() == [
        (1, "Pleural Effusion", 0.0, "no effusion."),
        (1, "Pleural Effusion", 1.0, "small left effusion."),
        (2, "Cardiomegaly", 0.0, "heart size is normal."),
        (2, "Edema", -1.0, "possible edema."),
    ]
    best = mentions(df, categories=["Pleural Effusion", "Cardiomegaly", "Edema"], id_cols=["study_id"])
    # columns in table order (Cardiomegaly, Edema, Pleural Effusion): each the best of its sentences
    assert best.rows() == [(1, None, None, 1.0), (2, 0.0, -1.0, None), (3, None, None, None)]
