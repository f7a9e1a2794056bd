"""Text analysis over any frame of report text: tokens, term and document frequencies, n-grams,
KWIC, mentions.

Everything is a polars expression or a function returning a frame, so it runs vectorised over all reports.
:func:`mentions` reads the 14 CheXpert categories out of the text (positive, negated or uncertain, sentence by
sentence) and :func:`compare_with_labels` sets them against the CheXpert or NegBio label tables.

Examples
--------
>>> import polars as pl
>>> df = pl.DataFrame({"study_id": [1, 2], "findings": ["No pleural effusion.", "Small left effusion."]})
>>> term_frequencies(df).head(2).rows()
[('effusion', 2), ('left', 1)]
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import polars as pl

from .errors import require_columns
from .tables import LABEL_COLUMNS

__all__ = [
    "CHEXPERT_CATEGORIES",
    "MENTION_PATTERNS",
    "STOP_WORDS",
    "compare_with_labels",
    "document_frequency",
    "kwic",
    "mention_sentences",
    "mention_text",
    "mentions",
    "ngrams",
    "term_frequencies",
    "tokens",
]

#: A small stop list for radiology text. Negation words (no, not, without) are deliberately kept.
STOP_WORDS = frozenset(
    {
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "there",
        "this",
        "that",
        "these",
        "those",
        "it",
        "its",
        "which",
        "who",
        "whom",
        "has",
        "have",
        "had",
        "than",
        "then",
        "into",
        "onto",
        "over",
        "under",
        "since",
        "per",
        "via",
        "also",
        "again",
    }
)
_WORD = r"[a-z]+(?:'[a-z]+)?"
_NUMBER = r"[0-9]+(?:\.[0-9]+)?"
# The word rule as a literal replace and split (no regex): every ASCII character but a-z becomes a space. It
# gives exactly the regex's words on rows without apostrophes or non-ASCII characters;
# the other rows use the regex.
_NON_LETTERS = [
    chr(c)
    for c in [
        *range(0x09, 0x0E),
        *range(0x20, 0x27),
        *range(0x28, 0x41),
        *range(0x5B, 0x61),
        *range(0x7B, 0x7F),
    ]
]
# Rows holding anything else (an apostrophe, a non-ASCII or control character, upper case) take the regex.
_NEEDS_REGEX = r"[^\x09-\x0d\x20-\x26\x28-\x40\x5b-\x7e]"


def _fast_words(low: pl.Expr) -> pl.Expr:
    return low.str.replace_many(_NON_LETTERS, [" "] * len(_NON_LETTERS)).str.split(" ")


def _regex_words(low: pl.Expr, numbers: bool) -> pl.Expr:
    return low.str.extract_all(f"{_WORD}|{_NUMBER}" if numbers else _WORD)


def tokens(
    column: str | pl.Expr = "findings",
    *,
    numbers: bool = False,
    stop_words: Iterable[str] | None = STOP_WORDS,
) -> pl.Expr:
    """An expression giving each row's tokens as a list: lower case, ``___`` removed, stop words dropped.

    Words are runs of the letters a-z with at most one inner apostrophe (``patient's``); with ``numbers``,
    numbers (``4.5``) are tokens too.

    Examples
    --------
    >>> text = pl.lit("The ___ ET tube is 4.5 cm above the carina.")
    >>> pl.select(tokens(text, numbers=True)).item().to_list()
    ['et', 'tube', '4.5', 'cm', 'above', 'carina']
    """
    col = pl.col(column) if isinstance(column, str) else column
    low = col.str.to_lowercase()
    words = _regex_words(low, numbers)
    if not numbers:
        words = pl.when(low.str.contains(_NEEDS_REGEX)).then(words).otherwise(_fast_words(low))
    stop = sorted(set(stop_words or ()) | {""})
    name = column if isinstance(column, str) else "tokens"
    return words.list.eval(pl.element().filter(~pl.element().is_in(stop))).alias(name)


def _words_long(df: pl.DataFrame | pl.LazyFrame, column: str, numbers: bool) -> pl.LazyFrame:
    """One row per word, in order: ``doc`` (row number) and ``token`` (stop words kept, may hold ``""``).

    Rows are split by kind so that the (rare) rows needing the regex do not slow down the others."""
    low = (df.collect() if isinstance(df, pl.LazyFrame) else df).select(pl.col(column).str.to_lowercase())[
        column
    ]
    doc = pl.int_range(pl.len(), dtype=pl.UInt32).alias("doc")
    if numbers:
        return (
            pl.DataFrame({"low": low})
            .select(doc, _regex_words(pl.col("low"), True).alias("token"))
            .lazy()
            .explode("token")
        )
    hard = low.str.contains(_NEEDS_REGEX).fill_null(False)
    frame = pl.DataFrame({"low": low, "hard": hard}).with_columns(doc)
    fast = frame.filter(~pl.col("hard")).select("doc", _fast_words(pl.col("low")).alias("token"))
    parts = [fast]
    if hard.any():
        parts.append(
            frame.filter(pl.col("hard")).select("doc", _regex_words(pl.col("low"), False).alias("token"))
        )
    return pl.concat(parts).lazy().explode("token")


def _long_tokens(
    df: pl.DataFrame | pl.LazyFrame, column: str, numbers: bool, stop_words: Iterable[str] | None
) -> pl.LazyFrame:
    """One row per token: ``doc`` (row number) and ``token`` (in order), stop words removed."""
    stop = sorted(set(stop_words or ()) | {""})
    return (
        _words_long(df, column, numbers)
        .filter(pl.col("token").is_not_null() & ~pl.col("token").is_in(stop))
        .sort("doc", maintain_order=True)
    )


def _piece_counts(df: pl.DataFrame | pl.LazyFrame, column: str) -> pl.DataFrame:
    """The distinct space-separated pieces of ``column``
    over all rows and how often each occurs: ``piece, n``.

    A word never spans a space, so the words of a text are the words of its pieces, in order: counting the
    pieces first (a literal split, no regex, no lower-casing) leaves the word rule to run on the distinct
    pieces only, a few thousand or so however many reports there are."""
    return (
        df.lazy()
        .select(pl.col(column).str.split(" ").alias("piece"))
        .explode("piece")
        .group_by("piece")
        .agg(pl.len().alias("n"))
        .collect(engine="streaming")  # split and count in morsels on every core
    )


def term_frequencies(
    df: pl.DataFrame | pl.LazyFrame,
    column: str = "findings",
    *,
    numbers: bool = False,
    stop_words: Iterable[str] | None = STOP_WORDS,
) -> pl.DataFrame:
    """How often each term occurs in ``column`` over all rows: ``term, count``, most frequent first.

    Examples
    --------
    >>> df = pl.DataFrame({"findings": ["Effusion. Effusion!", None, "no effusion"]})
    >>> term_frequencies(df).rows()
    [('effusion', 3), ('no', 1)]
    """
    require_columns(df, [column], "term_frequencies")
    stop = sorted(set(stop_words or ()) | {""})
    return (
        _piece_counts(df, column)
        .lazy()
        .select(_regex_words(pl.col("piece").str.to_lowercase(), numbers).alias("term"), "n")
        .explode("term")
        .group_by("term")
        .agg(pl.col("n").sum().cast(pl.Int64).alias("count"))
        .filter(pl.col("term").is_not_null() & ~pl.col("term").is_in(stop))  # on the distinct terms: cheap
        .sort(["count", "term"], descending=[True, False])
        .collect()
    )


def document_frequency(
    df: pl.DataFrame | pl.LazyFrame,
    column: str = "findings",
    *,
    numbers: bool = False,
    stop_words: Iterable[str] | None = STOP_WORDS,
) -> pl.DataFrame:
    """In how many rows each term occurs: ``term, documents, fraction`` (of non-null rows), most common first.

    Examples
    --------
    >>> df = pl.DataFrame({"findings": ["Effusion. Effusion!", "No effusion.", None]})
    >>> document_frequency(df).rows()
    [('effusion', 2, 1.0), ('no', 1, 0.5)]
    """
    require_columns(df, [column], "document_frequency")
    lazy = df.lazy()
    total = lazy.select(pl.col(column).is_not_null().sum()).collect().item()
    return (
        _long_tokens(lazy, column, numbers, stop_words)
        .unique(["doc", "token"])
        .group_by("token")
        .agg(pl.len().cast(pl.Int64).alias("documents"))
        .rename({"token": "term"})
        .with_columns((pl.col("documents") / max(total, 1)).alias("fraction"))
        .sort(["documents", "term"], descending=[True, False])
        .collect()
    )


def ngrams(
    df: pl.DataFrame | pl.LazyFrame,
    n: int = 2,
    column: str = "findings",
    *,
    numbers: bool = False,
    stop_words: Iterable[str] | None = STOP_WORDS,
) -> pl.DataFrame:
    """Counts of ``n`` consecutive tokens (after stop words are removed) within a row: ``ngram, count``.

    Examples
    --------
    >>> df = pl.DataFrame({"findings": ["No pleural effusion.", "Small pleural effusion."]})
    >>> ngrams(df, 2).rows()
    [('pleural effusion', 2), ('no pleural', 1), ('small pleural', 1)]
    """
    require_columns(df, [column], "ngrams")
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    long = _long_tokens(df, column, numbers, stop_words)
    parts = [pl.col("token").shift(-k).over("doc") for k in range(n)]
    return (
        long.select(pl.concat_str(parts, separator=" ").alias("ngram"))
        .drop_nulls("ngram")
        .group_by("ngram")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort(["count", "ngram"], descending=[True, False])
        .collect()
    )


def _phrase_pattern(keyword: str) -> str:
    words = [re.escape(w) for w in keyword.split()]
    return r"(?i)\b" + r"\s+".join(words) + r"\b"


def kwic(
    df: pl.DataFrame | pl.LazyFrame,
    keyword: str,
    width: int = 40,
    column: str = "text",
    id_col: str = "study_id",
) -> pl.DataFrame:
    """Keyword-in-context lines: every whole-word occurrence of ``keyword`` (case-insensitive; a phrase may
    span line breaks) with ``width`` characters of context: ``study_id, left, keyword, right``.

    Whitespace in the text is normalised first, so a report's line wrapping does not show.

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [7], "text": ["No pleural\\n effusion. Small effusion on the left."]})
    >>> kwic(df, "effusion", width=12).rows()
    [(7, 'No pleural', 'effusion', '. Small effu'), (7, 'sion. Small', 'effusion', 'on the left')]
    """
    require_columns(df, [column, id_col], "kwic")
    pattern = _phrase_pattern(keyword)
    text = pl.col(column).str.replace_all(r"[\s\x00]+", " ").str.strip_chars(" ")
    docs = (
        df.lazy()
        .select(pl.col(id_col), text.alias("t"))
        .filter(pl.col("t").str.contains(pattern))  # the engine finds the documents with a hit
        .collect()
    )
    # Contexts are cut in Python, where a slice of a str costs its own length: linear in the text, however
    # many hits a long report has (character offsets into a polars string cost the offset, per hit).
    rx = re.compile(pattern)
    ids: list[object] = []
    left: list[str] = []
    found: list[str] = []
    right: list[str] = []
    for doc_id, t in docs.iter_rows():
        for m in rx.finditer(t):
            start, end = m.span()
            ids.append(doc_id)
            left.append(t[max(0, start - width) : start].strip(" "))
            found.append(m.group(0))
            right.append(t[end : end + width].strip(" "))
    return pl.DataFrame(
        [
            pl.Series(id_col, ids, dtype=docs.schema[id_col]),
            pl.Series("left", left, dtype=pl.String),
            pl.Series("keyword", found, dtype=pl.String),
            pl.Series("right", right, dtype=pl.String),
        ]
    )


# --- mentions -----------------------------------------------------------------------------------------------

#: The 14 CheXpert categories, in the order of the label tables.
CHEXPERT_CATEGORIES = LABEL_COLUMNS
_ADV = (
    r"(?:(?:mildly|mild|slightly|moderately|moderate|markedly|severely|minimally|again|still|now|somewhat"
    r"|top|borderline) (?:to (?:moderately|severely|markedly) )?)?"
)
#: Per category: ``(mention pattern, normal pattern)``. The mention pattern finds the finding in lower-case
#: text; the normal pattern (or ``None``) finds phrases that mean "mentioned and absent" ("heart size is
#: normal"). No Finding has none: it is derived (see :func:`mentions`).
MENTION_PATTERNS: dict[str, tuple[str, str | None]] = {
    "Atelectasis": (r"\b(?:atelecta\w*|collapse[sd]?)\b", None),
    "Cardiomegaly": (
        r"\bcardiomegaly\b"
        r"|\b(?:heart|cardiac silhouette|cardiac contour|cardiac size)(?: size)? (?:is |are |may be )?"
        + _ADV
        + r"enlarged\b|\benlarged (?:heart|cardiac)\b|\benlargement of the (?:heart|cardiac)\b"
        r"|\bcardiac enlargement\b",
        (
            r"\bheart (?:size )?(?:is )?not enlarged\b|\bheart size (?:is )?(?:normal|within normal limits)\b"
            r"|\bnormal (?:heart|cardiac) size\b|\bheart is normal in size\b"
        ),
    ),
    "Consolidation": (r"\bconsolidat\w*", None),
    "Edema": (
        (
            r"\boedema\b|\bedema\b|\b(?:vascular|pulmonary) congestion\b|\bchf\b|\bheart failure\b"
            r"|\bfluid overload\b"
        ),
        None,
    ),
    "Enlarged Cardiomediastinum": (
        r"\b(?:cardio)?mediastin\w* (?:silhouette |contours? )?(?:is |are |may be )?"
        + _ADV
        + r"(?:enlarged|widened)\b|\b(?:mediastinal|cardiomediastinal) widening\b"
        r"|\bwidening of the (?:cardio)?mediastin\w*|\bwidened mediastinum\b|\benlarged cardiomediastinal\b",
        (
            r"\b(?:cardio)?mediastin\w* (?:silhouette |contours? )?(?:is |are )?not (?:enlarged|widened)\b"
            r"|\b(?:cardio)?mediastinal (?:silhouette|contours?) (?:is |are )?"
            r"(?:normal|within normal limits)\b"
            r"|\bnormal (?:cardio)?mediastinal (?:silhouette|contours?)\b"
        ),
    ),
    "Fracture": (r"\bfractur\w*", None),
    "Lung Lesion": (
        (
            r"\bnodul\w*|\bmass(?:es)?\b|\btumou?r\b|\bneoplasm\w*|\bcarcinoma\b|\bmetasta\w*"
            r"|\blesions?\b"
        ),
        None,
    ),
    "Lung Opacity": (
        r"\bopaci\w*|\binfiltrat\w*|\bairspace disease\b|\bair space disease\b|\bhaziness\b",
        None,
    ),
    "Pleural Effusion": (
        r"\beffusions?\b|\bpleural fluid\b|\bhydrothora\w*|\bblunting of the (?:\w+ )?costophrenic",
        None,
    ),
    "Pleural Other": (r"\bpleural (?:thickening|plaques?|scarring|calcifications?)\b|\bfibrothorax\b", None),
    "Pneumonia": (r"\bpneumoni[ac]\w*|\binfectio\w*", None),
    "Pneumothorax": (r"\bpneumothora\w*|\bptx\b", None),
    "Support Devices": (
        (
            r"\btubes?\b|\bcatheters?\b|\bpacemakers?\b|\bpacers?\b|\bpicc\b|\bdefibrillator\b|\bicd\b"
            r"|\b(?:central|venous|ij|jugular|subclavian|arterial|midline|dialysis|hickman|swan[- ]ganz)"
            r" (?:venous )?lines?\b"
            r"|\b(?:lines|tubes) (?:and|or) (?:lines|tubes)\b|\b(?:sternotomy|sternal|pacing) wires\b"
            r"|\bleads\b"
            r"|\bstents?\b|\bdrains?\b|\bport-?a-?cath\b"
        ),
        None,
    ),
}
# Cues. Pre cues sit before the finding in its sentence, post cues after it; a scope breaker in between ends
# their reach ("No effusion, but there is consolidation": "no" does not reach consolidation).
_NEG_PRE = (
    r"\b(?:no|not|without|negative for|free of|resolved|resolution of|absence of|absent|rather than"
    r"|clear of|ruled out|removal of|removed|never)\b"
)
_UNC_PRE = (
    r"\b(?:may|might|could|possible|possibly|probable|probably|likely|questionabl[ey]|question of"
    r"|suspicious for|suspected|concern(?:ing)? for|cannot exclude|can not exclude|cannot be excluded"
    r"|cannot rule out|can not rule out|rule out|r/o|versus|vs|suggest\w*|differential|consider\w*"
    r"|borderline|equivocal|indeterminate|may represent|worrisome for|compatible with)\b|\?"
)
_NEG_POST = (
    r"\b(?:(?:is|are) not (?:seen|identified|present|appreciated|visualized|evident)"
    r"|not (?:seen|identified|present|appreciated|visualized)|(?:has|have) resolved|resolved"
    r"|(?:is|are) absent|(?:has|have) been removed|removed|no longer (?:seen|present|visualized|evident)"
    r"|(?:is|are|was|were) excluded|ruled out)\b"
)
_UNC_POST = (
    r"\b(?:cannot be excluded|can not be excluded|cannot be ruled out|can not be ruled out"
    r"|not (?:be )?excluded|(?:is|are) (?:possible|likely|suspected|questionable|not excluded)"
    r"|could be|may be|might be|versus|vs)\b|\?"
)
_PSEUDO = (
    r"\b(?:no|without) (?:significant |substantial |appreciable |interval |definite )?(?:interval )?"
    r"(?:change|increase|decrease|worsening|improvement)\b|\bnot (?:significantly )?changed\b"
    r"|\bno further\b|\bgram negative\b"
)
_BREAK_PRE = (
    r"^.*\b(?:but|however|although|though|whereas|except|aside from|apart from|other than|there (?:is|are))\b"
)
_BREAK_POST = r"(?:,|\b(?:but|however|although|though|whereas|except|aside from|apart from|other than)\b).*$"


def _sentences(df: pl.LazyFrame, text_col: str, id_cols: Sequence[str]) -> pl.LazyFrame:
    """One row per sentence: ids, ``doc``, lower-cased ``s`` with pseudo-negations ("no change") removed."""
    text = (
        pl.col(text_col)
        .str.to_lowercase()
        .str.replace_all("_+", " ")
        .str.replace_all(r"[\s\x00]+", " ")
        .str.replace_all(r"([.!?;])\s", "${1}\x00")
    )
    return (
        df.select(*id_cols, text.str.split("\x00").alias("s"))
        .with_row_index("doc")
        .explode("s")
        .with_columns(pl.col("s").str.replace_all(_PSEUDO, " ").str.strip_chars(" "))
        .filter(pl.col("s").str.len_chars() > 0)
    )


def _sentence_values(sent: pl.LazyFrame, category: str, keep: Sequence[str] = ()) -> pl.LazyFrame:
    """``doc, category, value`` for each sentence mentioning ``category`` (value 1.0, 0.0 or -1.0), and the
    ``keep`` columns of the sentence."""
    term, normal = MENTION_PATTERNS[category]
    parts = []
    hits = sent.filter(pl.col("s").str.contains(term))
    # the last mention in the sentence: its words and everything before it / everything after it
    pre = pl.col("s").str.extract(r"(?s)^(.*(?:" + term + "))", 1).str.replace(_BREAK_PRE, "")
    post = pl.col("s").str.replace(r"(?s)^.*(?:" + term + ")", "").str.replace(_BREAK_POST, "")
    value = (
        pl.when(pre.str.contains(_UNC_PRE) | post.str.contains(_UNC_POST))
        .then(-1.0)
        .when(pre.str.contains(_NEG_PRE) | post.str.contains(_NEG_POST))
        .then(0.0)
        .otherwise(1.0)
    )
    parts.append(hits.select("doc", *keep, value.alias("value")))
    if normal:
        normal_hits = sent.filter(pl.col("s").str.contains(normal))
        parts.append(normal_hits.select("doc", *keep, pl.lit(0.0).alias("value")))
    return pl.concat(parts).with_columns(pl.lit(category).alias("category"))


def mention_sentences(
    df: pl.DataFrame | pl.LazyFrame,
    text_col: str = "text",
    categories: Sequence[str] = CHEXPERT_CATEGORIES,
    id_cols: Sequence[str] = ("subject_id", "study_id"),
) -> pl.DataFrame:
    """The sentences behind :func:`mentions`: one row per sentence mentioning a category, with the value it
    gives (``id_cols, category, value, sentence``; the sentence lower-cased, ``___`` and pseudo-negations
    removed, as the rules read it). A report's value in :func:`mentions` is the best of its sentences'
    (positive, then uncertain, then negated); No Finding has no sentences.

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [1], "text": ["No effusion. Possible small effusion."]})
    >>> mention_sentences(df, categories=["Pleural Effusion"]).rows()
    [(1, 'Pleural Effusion', 0.0, 'no effusion.'), (1, 'Pleural Effusion', -1.0, 'possible small effusion.')]
    """
    require_columns(df, [text_col], "mention_sentences")
    unknown = set(categories) - set(CHEXPERT_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; expected names from CHEXPERT_CATEGORIES")
    lazy = df.lazy()
    names = lazy.collect_schema().names()
    ids = [c for c in id_cols if c in names]
    sent = _sentences(lazy, text_col, ids).with_row_index("sentence_no").collect().lazy()
    parts = [
        _sentence_values(sent, c, keep=[*ids, "sentence_no", "s"]) for c in categories if c != "No Finding"
    ]
    schema = {**{c: lazy.collect_schema()[c] for c in ids}, "category": pl.String, "value": pl.Float64}
    if not parts:
        return pl.DataFrame(schema={**schema, "sentence": pl.String})
    return (
        pl.concat(parts)
        .sort("sentence_no", "category", maintain_order=True)
        .select(*ids, "category", "value", pl.col("s").alias("sentence"))
        .collect()
    )


def mention_text(findings: str = "findings", impression: str = "impression") -> pl.Expr:
    """The text to read mentions from in a sections frame: findings then impression (null when both are).

    The indication and history are left out ("eval for pneumonia" is a question, not a finding). A report
    without either has its inferred impression (the last paragraph, see
    :func:`cxrkit.reports.parse_sections`).

    Examples
    --------
    >>> df = pl.DataFrame({"findings": ["No effusion.", None], "impression": ["Edema.", None]})
    >>> df.select(mention_text()).to_series().to_list()
    ['No effusion. Edema.', None]
    """
    both = pl.concat_str([pl.col(findings), pl.col(impression)], separator=" ", ignore_nulls=True)
    return (
        pl.when(pl.col(findings).is_null() & pl.col(impression).is_null())
        .then(None)
        .otherwise(both)
        .alias("mention_text")
    )


def mentions(
    df: pl.DataFrame | pl.LazyFrame,
    text_col: str = "text",
    categories: Sequence[str] = CHEXPERT_CATEGORIES,
    id_cols: Sequence[str] = ("subject_id", "study_id"),
) -> pl.DataFrame:
    """What each report says about each category: one row per input row, one Float64 column per category.

    Values follow the CheXpert tables: 1.0 positive, 0.0 negated, -1.0 uncertain, null not mentioned.

    Rules (see :data:`MENTION_PATTERNS` for the phrasings):

    * The text is lower-cased, ``___`` removed, and split into sentences at ``. ! ? ;`` followed by a space.
      A cue in one sentence never affects another. Pseudo-negations ("no change", "no interval increase") are
      removed before cues are looked for.
    * In a sentence, the last mention of a category is uncertain when an uncertainty cue (``may``,
      ``possible``, ``likely``, ``cannot exclude``, ``versus``, ``concern for``, ``?``, ...) precedes it (or
      lies inside it: "the heart may be enlarged"), or follows it as a
      phrase (``cannot be excluded``, ``is possible``); otherwise negated when a negation cue (``no``,
      ``without``, ``negative for``, ``free of``, ``resolved``, ...) precedes it or follows it (``is not
      seen``, ``has resolved``, ``has been removed``); otherwise positive. A preceding cue reaches the mention
      only when no scope breaker (``but``, ``however``, ``although``, ``except``, ``there is``, ...) lies
      between them; a following cue only up to the next comma or breaker. Phrases meaning "normal" ("heart
      size is normal") count as negated mentions.
    * Over a report: positive beats uncertain beats negated (CheXpert's aggregation).
    * ``No Finding`` is 1.0 when no other category except Support Devices is positive or uncertain, else null.

    Parameters
    ----------
    df
        A frame with the text and id columns (missing id columns are skipped).
    text_col
        The text to read: a section such as ``impression``, or findings and impression together
        (:func:`mention_text`, best on the demo), or ``text`` (the whole report, including the indication's
        questions). The MIMIC-CXR labels were computed from the impression, else the findings, else the last
        paragraph.
    categories
        Which categories to return (default all 14).

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [1, 2], "text": ["No effusion, but there is consolidation.",
    ...                                                 "Possible pneumonia. No pneumothorax."]})
    >>> m = mentions(df, categories=["Consolidation", "Pleural Effusion", "Pneumonia", "Pneumothorax"])
    >>> m.rows()
    [(1, 1.0, 0.0, None, None), (2, None, None, -1.0, 0.0)]
    """
    require_columns(df, [text_col], "mentions")
    lazy = df.lazy()
    names = lazy.collect_schema().names()
    ids = [c for c in id_cols if c in names]
    sent = _sentences(lazy, text_col, ids).select("doc", "s").collect().lazy()
    wanted = [
        c
        for c in CHEXPERT_CATEGORIES
        if c in categories or (c != "No Finding" and "No Finding" in categories)
    ]
    unknown = set(categories) - set(CHEXPERT_CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}; expected names from CHEXPERT_CATEGORIES")
    parts = [_sentence_values(sent, c) for c in wanted if c != "No Finding"]
    # positive (1) > uncertain (-1) > negative (0): rank 2, 1, 0
    rank = pl.col("value").replace_strict({1.0: 2, -1.0: 1, 0.0: 0}, return_dtype=pl.Int8)
    agg = pl.concat(parts).group_by("doc", "category").agg(pl.col("value").sort_by(rank).last()).collect()
    wide = agg.pivot(on="category", index="doc", values="value") if agg.height else pl.DataFrame({"doc": []})
    base = lazy.select(ids).with_row_index("doc").collect()
    out = base.join(wide.cast({"doc": pl.UInt32}), on="doc", how="left", maintain_order="left")
    out = out.with_columns(pl.lit(None, pl.Float64).alias(c) for c in wanted if c not in out.columns)
    if "No Finding" in categories:
        pathology = [c for c in CHEXPERT_CATEGORIES if c not in ("No Finding", "Support Devices")]
        flagged = pl.any_horizontal([pl.col(c).is_in([1.0, -1.0]).fill_null(False) for c in pathology])
        out = out.with_columns(
            pl.when(~flagged).then(1.0).otherwise(None).cast(pl.Float64).alias("No Finding")
        )
    return out.select(*ids, *[pl.col(c).cast(pl.Float64) for c in CHEXPERT_CATEGORIES if c in categories])


# --- agreement with label tables --------------------------------------------------------------------------

_VALUE_NAMES = {1.0: "positive", 0.0: "negative", -1.0: "uncertain"}


def _value_name(col: str) -> pl.Expr:
    return (
        pl.col(col).replace_strict(_VALUE_NAMES, default="blank", return_dtype=pl.String).fill_null("blank")
    )


def compare_with_labels(
    mentions: pl.DataFrame,
    labels: pl.DataFrame | pl.LazyFrame,
    categories: Sequence[str] | None = None,
    on: str = "study_id",
) -> dict[str, pl.DataFrame]:
    """Agreement between :func:`mentions` and a label table (CheXpert or NegBio) per category.

    Studies present in both frames are compared (joined on ``study_id``). Values are named ``positive``,
    ``negative``, ``uncertain`` and ``blank`` (null, not mentioned).

    Returns
    -------
    dict
        ``"table"``: ``category, mention, label, count`` (every combination seen); ``"summary"``: per category
        ``studies, agree, agreement, kappa`` (Cohen's kappa over the four values) ordered as the categories;
        ``"disagreements"``: ``study_id, category, mention, label`` for every cell that differs (to read the
        reports behind them).

    Examples
    --------
    >>> m = pl.DataFrame({"study_id": [1, 2, 3], "Edema": [1.0, 0.0, None]})
    >>> lab = pl.DataFrame({"study_id": [1, 2, 3], "Edema": [1.0, -1.0, None]})
    >>> out = compare_with_labels(m, lab)
    >>> out["summary"].select("category", "studies", "agree").row(0)
    ('Edema', 3, 2)
    >>> out["disagreements"].rows()
    [(2, 'Edema', 'negative', 'uncertain')]
    """
    require_columns(mentions, [on], "compare_with_labels (mentions)")
    require_columns(labels, [on], "compare_with_labels (labels)")
    labels = labels.lazy().collect() if isinstance(labels, pl.LazyFrame) else labels
    cats = [c for c in (categories or CHEXPERT_CATEGORIES) if c in mentions.columns and c in labels.columns]
    if not cats:
        raise ValueError(
            "mentions and labels share no category column (expected names from CHEXPERT_CATEGORIES)"
        )
    joined = mentions.select(on, *cats).join(labels.select(on, *cats), on=on, how="inner", suffix="__label")
    long = pl.concat(
        [
            joined.select(
                pl.col(on),
                pl.lit(c).alias("category"),
                _value_name(c).alias("mention"),
                _value_name(f"{c}__label").alias("label"),
            )
            for c in cats
        ]
    )
    order = pl.col("category").replace_strict({c: i for i, c in enumerate(cats)}, return_dtype=pl.Int32)
    table = (
        long.group_by("category", "mention", "label")
        .agg(pl.len().cast(pl.Int64).alias("count"))
        .sort(order, "mention", "label")
    )
    summaries = []
    for c in cats:
        t = table.filter(pl.col("category") == c)
        n = int(t["count"].sum())
        agree = int(t.filter(pl.col("mention") == pl.col("label"))["count"].sum())
        pm = t.group_by("mention").agg(pl.col("count").sum())
        pl_ = t.group_by("label").agg(pl.col("count").sum())
        expected = (
            sum(
                a * b
                for a, b in pm.join(pl_, left_on="mention", right_on="label", how="inner")
                .select("count", "count_right")
                .rows()
            )
            / (n * n)
            if n
            else 0.0
        )
        observed = agree / n if n else None
        kappa = (observed - expected) / (1 - expected) if n and expected < 1 else None
        summaries.append({"category": c, "studies": n, "agree": agree, "agreement": observed, "kappa": kappa})
    summary = pl.DataFrame(
        summaries,
        schema={
            "category": pl.String,
            "studies": pl.Int64,
            "agree": pl.Int64,
            "agreement": pl.Float64,
            "kappa": pl.Float64,
        },
    )
    disagreements = long.filter(pl.col("mention") != pl.col("label")).sort(on, order)
    return {"table": table, "summary": summary, "disagreements": disagreements}
