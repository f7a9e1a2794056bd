"""A label-noise audit: the CheXpert and NegBio label tables set against each other and against what the
report text says (:func:`cxrkit.text.mentions`), with the sentences behind any cell, and the usual policies
for the uncertain label (-1.0) as named functions.

* :func:`audit_labels` - per category: counts of positive / negative / uncertain / blank for each source,
  agreement (raw and Cohen's kappa) for each pair, and the three-way table of cells.
* :func:`label_evidence` - the studies of one cell with the sentence that decided the kit's value and the
  sentences the labellers read.
* :func:`u_ignore`, :func:`u_ones`, :func:`u_zeros`, :func:`u_exclude` and :func:`policy_effect` - what each
  uncertain-label policy does to the labels, the cohort and the prevalence.

The label tables were made by rule-based labellers from each report's impression (else findings, else last
paragraph); their agreement with a radiologist is modest (mention F1 0.46-0.97 by category, uncertainty F1 at
most about 0.58, per the official validation notebook), so a disagreement is a place to read, not a verdict.

Examples
--------
>>> import polars as pl
>>> che = pl.DataFrame({"study_id": [1, 2], "Edema": [1.0, -1.0]})
>>> u_ones(che)["Edema"].to_list(), u_zeros(che)["Edema"].to_list(), u_exclude(che)["study_id"].to_list()
([1.0, 1.0], [1.0, 0.0], [1])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import polars as pl

from .errors import require_columns
from .tables import LABEL_COLUMNS
from .text import compare_with_labels, mention_sentences

__all__ = [
    "POLICIES",
    "VALUE_NAMES",
    "audit_labels",
    "label_evidence",
    "policy_effect",
    "u_exclude",
    "u_ignore",
    "u_ones",
    "u_zeros",
]

#: The four values of a label, in table order, and their names.
VALUE_NAMES = {1.0: "positive", 0.0: "negative", -1.0: "uncertain", None: "blank"}
_ORDER = {name: i for i, name in enumerate(VALUE_NAMES.values())}


def _frame(df: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    return df.lazy().collect() if isinstance(df, pl.LazyFrame) else df


def _named(col: str) -> pl.Expr:
    known = {k: v for k, v in VALUE_NAMES.items() if k is not None}
    return pl.col(col).replace_strict(known, default="blank", return_dtype=pl.String).fill_null("blank")


def _categories(frames: Mapping[str, pl.DataFrame], categories: Sequence[str] | None) -> list[str]:
    wanted = categories or LABEL_COLUMNS
    cats = [c for c in wanted if all(c in f.columns for f in frames.values())]
    if not cats:
        raise ValueError("the frames share no category column (expected names from CHEXPERT_CATEGORIES)")
    return cats


def audit_labels(
    sources: Mapping[str, pl.DataFrame | pl.LazyFrame],
    categories: Sequence[str] | None = None,
    on: str = "study_id",
) -> dict[str, pl.DataFrame]:
    """Audit label sources against each other, category by category, over the studies all of them hold.

    Parameters
    ----------
    sources
        Named frames with ``on`` and category columns of 1.0 / 0.0 / -1.0 / null, e.g.
        ``{"chexpert": ds.chexpert(), "negbio": ds.negbio(), "kit": text.mentions(...)}``.
    categories
        Which categories (default: every one all the sources have).

    Returns
    -------
    dict
        ``"values"``: ``on, category`` and one value name per source (``positive``, ``negative``,
        ``uncertain``, ``blank``), one row per study and category (the cells' members);
        ``"counts"``: ``category, value`` and one count per source;
        ``"agreement"``: ``category, a, b, studies, agree, agreement, kappa`` for each pair of sources
        (Cohen's kappa over the four values); ``"cells"``: ``category``, the sources' values and
        ``count``, every combination seen.

    Examples
    --------
    >>> a = pl.DataFrame({"study_id": [1, 2, 3], "Edema": [1.0, 0.0, None]})
    >>> b = pl.DataFrame({"study_id": [1, 2, 3], "Edema": [1.0, -1.0, None]})
    >>> out = audit_labels({"chexpert": a, "negbio": b})
    >>> out["counts"].rows()  # doctest: +NORMALIZE_WHITESPACE
    [('Edema', 'positive', 1, 1), ('Edema', 'negative', 1, 0), ('Edema', 'uncertain', 0, 1),
     ('Edema', 'blank', 1, 1)]
    >>> out["agreement"].select("a", "b", "studies", "agree").row(0)
    ('chexpert', 'negbio', 3, 2)
    """
    if len(sources) < 2:
        raise ValueError("audit_labels needs at least two label sources")
    frames = {name: _frame(df) for name, df in sources.items()}
    for name, f in frames.items():
        require_columns(f, [on], f"audit_labels ({name})")
    cats = _categories(frames, categories)
    names = list(frames)
    joined = None
    for name, f in frames.items():
        part = f.select(on, *[pl.col(c).cast(pl.Float64).alias(f"{c}\x1f{name}") for c in cats])
        joined = part if joined is None else joined.join(part, on=on, how="inner")
    assert joined is not None
    values = pl.concat(
        [
            joined.select(on, pl.lit(c).alias("category"), *[_named(f"{c}\x1f{n}").alias(n) for n in names])
            for c in cats
        ]
    ).sort(on, pl.col("category").replace_strict({c: i for i, c in enumerate(cats)}, return_dtype=pl.Int32))
    grid = pl.DataFrame({"category": cats}).join(pl.DataFrame({"value": list(_ORDER)}), how="cross")
    counts = grid
    for n in names:
        tally = values.group_by("category", pl.col(n).alias("value")).agg(pl.len().cast(pl.Int64).alias(n))
        counts = counts.join(tally, on=["category", "value"], how="left").with_columns(pl.col(n).fill_null(0))
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            left = joined.select(on, *[pl.col(f"{c}\x1f{a}").alias(c) for c in cats])
            right = joined.select(on, *[pl.col(f"{c}\x1f{b}").alias(c) for c in cats])
            summary = compare_with_labels(left, right, cats, on=on)["summary"]
            rows.append(
                summary.select("category", pl.lit(a).alias("a"), pl.lit(b).alias("b"), pl.exclude("category"))
            )
    cells = values.group_by("category", *names).agg(pl.len().cast(pl.Int64).alias("count"))
    cat_order = pl.col("category").replace_strict({c: i for i, c in enumerate(cats)}, return_dtype=pl.Int32)
    cells = cells.sort(cat_order, *[pl.col(n).replace_strict(_ORDER, return_dtype=pl.Int8) for n in names])
    return {"values": values, "counts": counts, "agreement": pl.concat(rows), "cells": cells}


def label_evidence(
    audit: Mapping[str, pl.DataFrame],
    reports: pl.DataFrame | pl.LazyFrame,
    category: str,
    *,
    kit_text: str = "mention_text",
    label_text: str | None = None,
    on: str = "study_id",
    limit: int | None = 20,
    **cell: str,
) -> pl.DataFrame:
    """The studies of one cell of :func:`audit_labels` and the sentences behind each side.

    Parameters
    ----------
    audit
        What :func:`audit_labels` returned.
    reports
        A frame with ``on`` and the texts: ``kit_text`` (what :func:`~cxrkit.text.mentions` read) and
        ``label_text`` (what the labellers read: the impression, else findings, else last paragraph;
        default ``kit_text``).
    category
        The category, e.g. ``"Pleural Effusion"``.
    cell
        The cell: a value name per source, e.g. ``chexpert="positive", kit="negative"`` (sources not
        named take any value).
    limit
        At most this many studies (``None``: all).

    Returns
    -------
    polars.DataFrame
        ``on``, each source's value, ``kit_sentence`` (the sentence that decided the kit's value: the first
        one giving it) and ``label_sentences`` (every sentence of ``label_text`` mentioning the category,
        joined with `` | ``; the labels do not say which sentence decided them).

    Examples
    --------
    >>> rep = pl.DataFrame({"study_id": [1], "mention_text": ["No effusion. Small effusion on the left."]})
    >>> kit = pl.DataFrame({"study_id": [1], "Pleural Effusion": [1.0]})
    >>> che = pl.DataFrame({"study_id": [1], "Pleural Effusion": [0.0]})
    >>> audit = audit_labels({"chexpert": che, "kit": kit})
    >>> row = label_evidence(audit, rep, "Pleural Effusion", chexpert="negative").row(0)
    >>> row  # doctest: +NORMALIZE_WHITESPACE
    (1, 'negative', 'positive', 'small effusion on the left.',
     'no effusion. | small effusion on the left.')
    """
    values = audit["values"]
    names = [c for c in values.columns if c not in (on, "category")]
    unknown = set(cell) - set(names)
    if unknown:
        raise ValueError(f"no label source named {sorted(unknown)}; the audit has {names}")
    bad = {v for v in cell.values()} - set(_ORDER)
    if bad:
        raise ValueError(f"unknown value(s) {sorted(bad)}; expected {list(_ORDER)}")
    rep = _frame(reports)
    label_text = label_text or kit_text
    require_columns(rep, [on, kit_text, label_text], "label_evidence")
    chosen = values.filter(pl.col("category") == category)
    for source, value in cell.items():
        chosen = chosen.filter(pl.col(source) == value)
    if limit is not None:
        chosen = chosen.head(limit)
    texts = rep.filter(pl.col(on).is_in(chosen[on].implode()))
    out = chosen.select(on, *names)
    if "kit" in names:
        said = mention_sentences(texts, kit_text, [category], id_cols=[on])
        said = said.with_columns(_named("value").alias("kit"))
        decided = (
            said.join(chosen.select(on, "kit"), on=[on, "kit"]).group_by(on, maintain_order=True).first()
        )
        out = out.join(decided.select(on, pl.col("sentence").alias("kit_sentence")), on=on, how="left")
    read = mention_sentences(texts, label_text, [category], id_cols=[on])
    read = read.group_by(on, maintain_order=True).agg(
        pl.col("sentence").unique(maintain_order=True).str.join(" | ")
    )
    return out.join(read.rename({"sentence": "label_sentences"}), on=on, how="left", maintain_order="left")


# --- uncertain-label policies -------------------------------------------------------------------------------


def _cats(labels: pl.DataFrame, categories: Sequence[str] | None) -> list[str]:
    return [c for c in (categories or LABEL_COLUMNS) if c in labels.columns]


def _replace(labels: pl.DataFrame | pl.LazyFrame, categories, new, blank) -> pl.DataFrame:
    frame = _frame(labels)
    cats = _cats(frame, categories)
    out = frame.with_columns(
        pl.when(pl.col(c) == -1.0).then(new).otherwise(pl.col(c)).cast(pl.Float64).alias(c) for c in cats
    )
    return out.with_columns(pl.col(c).fill_null(blank) for c in cats) if blank is not None else out


def u_ignore(labels, categories: Sequence[str] | None = None, *, blank: float | None = None) -> pl.DataFrame:
    """U-Ignore: an uncertain label becomes null (left out of a loss or a count); ``blank`` fills blanks.

    Examples
    --------
    >>> u_ignore(pl.DataFrame({"Edema": [-1.0, 1.0, None]}), blank=0.0)["Edema"].to_list()
    [None, 1.0, 0.0]
    """
    frame = _frame(labels)
    cats = _cats(frame, categories)
    blanks = frame.with_columns(pl.col(c).fill_null(blank) for c in cats) if blank is not None else frame
    return blanks.with_columns(
        pl.when(pl.col(c) != -1.0).then(pl.col(c)).cast(pl.Float64).alias(c) for c in cats
    )


def u_ones(labels, categories: Sequence[str] | None = None, *, blank: float | None = None) -> pl.DataFrame:
    """U-Ones: an uncertain label counts as positive (1.0); ``blank`` fills blanks.

    Examples
    --------
    >>> u_ones(pl.DataFrame({"Edema": [-1.0, 0.0, None]}))["Edema"].to_list()
    [1.0, 0.0, None]
    """
    return _replace(labels, categories, 1.0, blank)


def u_zeros(labels, categories: Sequence[str] | None = None, *, blank: float | None = None) -> pl.DataFrame:
    """U-Zeros: an uncertain label counts as negative (0.0); ``blank`` fills blanks.

    Examples
    --------
    >>> u_zeros(pl.DataFrame({"Edema": [-1.0, 1.0, None]}), blank=0.0)["Edema"].to_list()
    [0.0, 1.0, 0.0]
    """
    return _replace(labels, categories, 0.0, blank)


def u_exclude(labels, categories: Sequence[str] | None = None, *, blank: float | None = None) -> pl.DataFrame:
    """U-Exclude: studies with an uncertain label in any of ``categories`` are dropped from the cohort.

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [1, 2], "Edema": [-1.0, 1.0], "Atelectasis": [0.0, -1.0]})
    >>> u_exclude(df, ["Edema"])["study_id"].to_list(), u_exclude(df)["study_id"].to_list()
    ([2], [])
    """
    frame = _frame(labels)
    cats = _cats(frame, categories)
    kept = frame.filter(~pl.any_horizontal([(pl.col(c) == -1.0).fill_null(False) for c in cats]))
    return kept.with_columns(pl.col(c).fill_null(blank) for c in cats) if blank is not None else kept


#: The policies by name, for :func:`policy_effect`.
POLICIES = {"as is": None, "U-Ignore": u_ignore, "U-Ones": u_ones, "U-Zeros": u_zeros, "U-Exclude": u_exclude}


def policy_effect(
    labels: pl.DataFrame | pl.LazyFrame,
    categories: Sequence[str] | None = None,
    *,
    exclude_on: Sequence[str] | None = None,
) -> pl.DataFrame:
    """What each uncertain-label policy does, per category: ``category, policy, studies`` (the cohort),
    ``positive``, ``negative``, ``uncertain``, ``blank`` (counts after the policy), ``prevalence`` (positive
    / studies) and ``prevalence_labelled`` (positive / studies with a 1.0 or 0.0).

    U-Exclude drops a study uncertain in any of ``exclude_on`` (default: that row's category alone, so each
    row shows that category's cohort).

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [1, 2, 3, 4], "Edema": [1.0, -1.0, 0.0, None]})
    >>> effect = policy_effect(df).select("policy", "studies", "positive", "prevalence")
    >>> effect.rows()  # doctest: +NORMALIZE_WHITESPACE
    [('as is', 4, 1, 0.25), ('U-Ignore', 4, 1, 0.25), ('U-Ones', 4, 2, 0.5), ('U-Zeros', 4, 1, 0.25),
     ('U-Exclude', 3, 1, 0.3333333333333333)]
    """
    frame = _frame(labels)
    cats = _cats(frame, categories)
    rows = []
    for c in cats:
        for name, policy in POLICIES.items():
            if policy is None:
                after = frame
            elif policy is u_exclude:
                after = u_exclude(frame, exclude_on or [c])
            else:
                after = policy(frame, [c])
            col = after[c]
            pos, neg = int((col == 1.0).sum()), int((col == 0.0).sum())
            unc, blank = int((col == -1.0).sum()), int(col.is_null().sum())
            n = after.height
            rows.append(
                (
                    c,
                    name,
                    n,
                    pos,
                    neg,
                    unc,
                    blank,
                    pos / n if n else None,
                    pos / (pos + neg) if pos + neg else None,
                )
            )
    schema = {
        "category": pl.String,
        "policy": pl.String,
        "studies": pl.Int64,
        "positive": pl.Int64,
        "negative": pl.Int64,
        "uncertain": pl.Int64,
        "blank": pl.Int64,
        "prevalence": pl.Float64,
        "prevalence_labelled": pl.Float64,
    }
    return pl.DataFrame(rows, schema=schema, orient="row")
