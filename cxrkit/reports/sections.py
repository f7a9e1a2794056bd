"""Report sections: the rules that cut a free-text report into ``findings``, ``impression``, ...

* :func:`parse_sections` cuts one report (a plain Python loop over its headers; every rule documented with an
  example).
* :func:`sections_frame` does the same for a whole frame of reports with polars expressions: the same answers,
  without a Python loop per report (the ingest of :mod:`cxrkit.reports.corpus` uses it).

Examples
--------
>>> text = " FINAL REPORT\\n INDICATION: Cough.\\n \\n FINDINGS: No effusion.\\n \\n IMPRESSION: Normal.\\n"
>>> parse_sections(text)["impression"]
'Normal.'
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import polars as pl

from ..errors import require_columns

if TYPE_CHECKING:  # numpy is imported where it is used: importing it starts OpenBLAS threads that spin
    import numpy as np  # for a while and slow the first polars query of a session (benchmark line 1bw)

__all__ = [
    "HEADER_MODIFIERS",
    "PARSER_VERSION",
    "SECTION_COLUMNS",
    "SECTION_RULES",
    "SECTION_SYNONYMS",
    "explain_sections",
    "parse_sections",
    "sections_explained",
    "sections_frame",
]

#: Version of the sectioning rules; part of the cache key of :func:`read_sections`.
PARSER_VERSION = 2

#: The columns of :func:`sections_frame`, in this order.
SECTION_COLUMNS = (
    "examination",
    "indication",
    "history",
    "technique",
    "comparison",
    "findings",
    "impression",
    "recommendation",
    "notification",
    "wet_read",
    "addendum",
    "preamble",
    "last_paragraph",
)
_KNOWN = frozenset(SECTION_COLUMNS) - {"last_paragraph"}
# Sections that close a report (administrative): the last-paragraph rule looks at the section before them.
_TRAILING = frozenset({"notification", "recommendation", "addendum", "wet_read"})


# --- the rules, one report at a time ------------------------------------------------------------------------

#: How header names fold into section names. The official parser's table (txt/section_parser.py), with its
#: ``ndication`` entry read as indication, ``recommendations`` shortened to ``recommendation`` and
#: ``wet read`` written ``wet_read``.
SECTION_SYNONYMS: dict[str, str] = {
    "preamble": "preamble",
    "impression": "impression",
    "comparison": "comparison",
    "indication": "indication",
    "findings": "findings",
    "examination": "examination",
    "technique": "technique",
    "history": "history",
    "comparisons": "comparison",
    "clinical history": "history",
    "reason for examination": "indication",
    "notification": "notification",
    "reason for exam": "indication",
    "clinical information": "history",
    "exam": "examination",
    "clinical indication": "indication",
    "conclusion": "impression",
    "chest, two views": "findings",
    "recommendation(s)": "recommendation",
    "type of examination": "examination",
    "reference exam": "comparison",
    "patient history": "history",
    "addendum": "addendum",
    "comparison exam": "comparison",
    "date": "date",
    "comment": "comment",
    "findings and impression": "impression",
    "wet read": "wet_read",
    "comparison film": "comparison",
    "recommendations": "recommendation",
    "findings/impression": "impression",
    "pfi": "history",
    "recommendation": "recommendation",
    "wetread": "wet_read",
    "ndication": "indication",
    "impresson": "impression",
    "imprression": "impression",
    "imoression": "impression",
    "impressoin": "impression",
    "imprssion": "impression",
    "impresion": "impression",
    "imperssion": "impression",
    "mpression": "impression",
    "impession": "impression",
    "findings/ impression": "impression",
    "finding": "findings",
    "findins": "findings",
    "findindgs": "findings",
    "findgings": "findings",
    "findngs": "findings",
    "findnings": "findings",
    "finidngs": "findings",
    "idication": "indication",
    "reference findings": "findings",
    "comparision": "comparison",
    "comparsion": "comparison",
    "comparrison": "comparison",
    "comparisions": "comparison",
    "indications": "indication",
}
# Unknown names containing one of these words fold to it (checked in this order), as in the official parser.
_MAIN_WORDS = ("impression", "findings", "history", "comparison", "addendum")
# Unknown names describing the whole study fold to findings (the official parser's list).
_FINDINGS_PHRASES = (
    r"chest|portable|pa and lateral|lateral and pa|ap and lateral|lateral and ap|frontal and|two views|"
    r"frontal view|pa view|ap view|one view|lateral view|bone window|frontal upright|frontal semi-upright|"
    r"ribs|pa and lat"
)
# Header names also recognised in mixed or lower case (longest first).
_MIXED_CASE_NAMES = sorted(
    (
        k
        for k in SECTION_SYNONYMS
        if k not in ("preamble", "date", "comment", "pfi")
        and len(k) > 4
        and SECTION_SYNONYMS[k] in _KNOWN
        and k == k.replace("/ ", "/")
    ),
    key=len,
    reverse=True,
)
# A header: at the start of a line (any indentation), either a run of 10+ underscores (the separator below
# wet reads and addenda), an upper-case name ``[A-Z][A-Z ()/,-]*`` and a colon, a known name in any case and a
# colon, or WET READ / ADDENDUM without colon. Written so Python's ``re`` and polars' regex engine agree; the
# case-insensitive names fold ASCII letters only (both engines would also fold some non-ASCII letters, not the
# same ones), spelled ``(?ai:`` here and ``(?i-u:`` for polars.
_UPPER_HEADER = r"[A-Z][A-Z ()/,-]*:"
_HEADER_ALTERNATIVES = (
    r"_{10,}[ \t]*$",
    _UPPER_HEADER,
    "(?ai:" + "|".join(re.escape(n).replace(r"\ ", " ") for n in _MIXED_CASE_NAMES) + r")[ \t]*:",
    r"WET ?READ\b",
    r"ADDENDUM\b",
)
_HEADER_PATTERN = r"(?m)^[ \t]*(" + "|".join(_HEADER_ALTERNATIVES) + ")"
_HEADER_RE = re.compile(_HEADER_PATTERN)
_WS = "[ \t\n\r\f\v\xa0]+"
_WS_RE = re.compile(_WS)
_BLANK_SPLIT = r"(?s)^(.*?)\n[ \t]*\n(.*)$"
_BLANK_SPLIT_RE = re.compile(_BLANK_SPLIT)
_TITLE_SPLIT = r"(?s)^((?:[ \t\n]*FINAL REPORT[ \t]*(?:\n|$))?)(.*)$"
_TITLE_SPLIT_RE = re.compile(_TITLE_SPLIT)
_FINDINGS_RE = re.compile(_FINDINGS_PHRASES)
_SNAKE = "[^a-z0-9]+"
_SNAKE_RE = re.compile(_SNAKE)


def _normalise(text: str) -> str:
    return _WS_RE.sub(" ", text).strip(" ")


@lru_cache(maxsize=4096)
def _fold(token: str) -> str:
    """Section name of a header token (``'CLINICAL HISTORY:'`` -> ``'history'``)."""
    if token.startswith("_"):
        return "preamble"
    name = token.removesuffix(":")
    name = re.sub("[ \t]+", " ", name).strip(" ").lower()
    if name in SECTION_SYNONYMS:
        return SECTION_SYNONYMS[name]
    for word in _MAIN_WORDS:
        if word in name:
            return word
    if _FINDINGS_RE.search(name):
        return "findings"
    return _SNAKE_RE.sub("_", name).strip("_")


def parse_sections(text: str) -> dict[str, str]:
    """Cut a report into sections: ``{name: text}``, each text on one line with whitespace normalised.

    The rules, in order (each agrees with the official MIMIC-CXR ``section_parser.py`` unless marked *new*):

    1. **Headers** are found at the start of a line: an upper-case name of letters, spaces and ``()/,-``
       followed by a colon (``" INDICATION: ..."``). *New*: any indentation, including none, is accepted (the
       official parser wants exactly one space), and the names of :data:`SECTION_SYNONYMS` are also found in
       mixed case (``"Impression: ..."``).
    2. **Names fold** through :data:`SECTION_SYNONYMS` (``CLINICAL HISTORY`` -> ``history``, ``REASON FOR
       EXAM`` -> ``indication``, ``CONCLUSION`` and ``FINDINGS AND IMPRESSION`` -> ``impression``); other
       names containing impression, findings, history, comparison or addendum become that word; names
       describing the study (``CHEST, PA AND LATERAL``, ``PORTABLE AP``, ...) become ``findings``; anything
       else is kept in snake case (``DATE`` -> ``date``).
    3. The text before the first header is the ``preamble`` (usually the ``FINAL REPORT`` title).
    4. *New*: a ``WET READ`` or ``ADDENDUM`` block at the top (colon optional) is its own section
       (``wet_read``, ``addendum``), ended by the line of underscores; text after that line up to the next
       header is added to the ``preamble``.
    5. *New*: an unknown upper-case header inside findings or impression (``LUNGS:``, ``NOTE:``) is a
       sub-heading and stays in that section's text.
    6. Empty ``findings`` / ``impression`` sections are dropped (a title such as ``CHEST, PA LATERAL:``
       followed by a blank line is not a findings section). Repeated sections are joined with a space.
    7. When there is neither findings nor impression, the text after the first blank line of the last section
       is the ``last_paragraph`` (as in ``mimic_cxr_sectioned.csv``); *new*: closing sections (notification,
       recommendation, addendum, wet read) are passed over for the one before them (the report body is often
       in the preamble of a header-less report that ends with ``NOTIFICATION:``); a header-less report without
       a blank line gives its text after the ``FINAL REPORT`` title. *New*: that text is also returned as the
       ``impression``; the ``last_paragraph`` key says it was inferred.
    8. Each section's lines are joined (line wrapping undone) and runs of whitespace become one space; empty
       sections are left out.

    Not copied from the official parser: its 54 hard-coded study ids, and its habit of skipping a header on
    the line right after another header (``"INDICATION:\\n IMPRESSION: ..."`` gives an impression here).

    Examples
    --------
    Rules 1-3, 6, 8 (synonyms, wrapping undone, preamble):

    >>> r = (" FINAL REPORT\\n CLINICAL HISTORY: Cough,\\n fever.\\n \\n FINDINGS: \\n \\n No effusion.\\n"
    ...      " \\n CONCLUSION: Normal.\\n")
    >>> parse_sections(r)  # doctest: +NORMALIZE_WHITESPACE
    {'preamble': 'FINAL REPORT', 'history': 'Cough, fever.', 'findings': 'No effusion.',
     'impression': 'Normal.'}

    Rule 1, missing leading space and mixed case:

    >>> parse_sections("INDICATION: Pain.\\nImpression: Clear.")
    {'indication': 'Pain.', 'impression': 'Clear.'}

    Rule 4, a wet read above the underscore line:

    >>> r = (" WET READ: ___ 10:34 PM\\n  No pneumonia.\\n " + "_" * 78
    ...      + "\\n   FINAL REPORT\\n IMPRESSION: Clear.\\n")
    >>> parse_sections(r)
    {'wet_read': '___ 10:34 PM No pneumonia.', 'preamble': 'FINAL REPORT', 'impression': 'Clear.'}

    Rule 5, a sub-heading inside findings:

    >>> parse_sections(" FINDINGS:\\n LUNGS: Clear.\\n HEART: Normal.\\n")
    {'findings': 'LUNGS: Clear. HEART: Normal.'}

    Rule 7, a report without findings or impression:

    >>> parse_sections("   FINAL REPORT\\n PORTABLE CHEST ___\\n \\n Tube in place.\\n No pneumothorax.\\n")
    {'preamble': 'FINAL REPORT PORTABLE CHEST ___', 'last_paragraph': 'Tube in place. No pneumothorax.', \
'impression': 'Tube in place. No pneumothorax.'}
    """
    out: dict[str, list[str]] = {}
    for row in explain_sections(text):
        out.setdefault(row["section"], []).append(row["text"])
    return {name: " ".join(parts) for name, parts in out.items()}


#: The rules :func:`explain_sections` names, and what each means. ``new`` ones are the kit's own: the official
#: parser (:mod:`cxrkit.reports.official`) does not have them.
SECTION_RULES: dict[str, str] = {
    "preamble": "the text before the first header",
    "header": "an upper-case header named as its section (FINDINGS:)",
    "synonym": "a header folded through SECTION_SYNONYMS (CONCLUSION: is impression)",
    "main word": "a header containing impression, findings, history, comparison or addendum",
    "study title": "a header describing the study (CHEST, PA AND LATERAL:) is findings",
    "other header": "any other upper-case header, named in snake case (DATE: is date)",
    "wet read block": "new: a WET READ note at the top, colon optional, up to the underscore line",
    "addendum block": "new: an ADDENDUM at the top, colon optional, up to the underscore line",
    "after the underscore line": "new: text after the line of underscores, up to the next header (preamble)",
    "sub-heading": "new: an unknown header inside findings or impression stays in that section (LUNGS:)",
    "last paragraph": "no findings or impression: the text after the first blank line of the last section "
    "(a blank line of any spaces; the official parser counts only a line of exactly one space)",
    "last paragraph before closing sections": "new: as last paragraph, passing over closing sections "
    "(notification, recommendation, addendum, wet read) for the one before them",
    "after the title": "new: no findings, impression or blank line: the text after the FINAL REPORT title",
    "inferred impression": "new: the last paragraph, also given as the impression",
}
#: Header modifiers :func:`explain_sections` adds to a rule (``"synonym, mixed case"``); each is new.
HEADER_MODIFIERS = {
    "mixed case": "a known header name in mixed or lower case (Impression:)",
    "indent": "a header not indented by exactly one space (the official parser wants one)",
    "first line": "a header on the report's first line (the official parser wants a line break before it)",
    "no colon": "WET READ or ADDENDUM without a colon",
    "no space after the colon": "a colon followed by text (the official parser wants a space)",
}


def _header_rule(token: str, name: str, indent: str, first: bool, after: str) -> str:
    raw = re.sub("[ \t]+", " ", token.removesuffix(":")).strip(" ").lower()
    if token.startswith("_"):
        return "after the underscore line"
    if name in ("wet_read", "addendum") and token == token.upper() and not token.endswith(":"):
        rule = f"{'wet read' if name == 'wet_read' else 'addendum'} block"
    elif raw in SECTION_SYNONYMS:
        rule = "header" if SECTION_SYNONYMS[raw] == raw.replace(" ", "_") else "synonym"
    elif any(w in raw for w in _MAIN_WORDS):
        rule = "main word"
    elif _FINDINGS_RE.search(raw):
        rule = "study title"
    else:
        rule = "other header"
    mods = []
    if token != token.upper():
        mods.append("mixed case")
    if indent != " ":
        mods.append("indent")
    if first:
        mods.append("first line")
    if not token.endswith(":"):
        mods.append("no colon")
    elif after and not after.isspace():
        mods.append("no space after the colon")
    return ", ".join([rule, *mods])


def explain_sections(text: str) -> list[dict[str, str | None]]:
    """:func:`parse_sections`, one row per piece of text, with the rule that put it in its section.

    Each row: ``section``, ``rule`` (a key of :data:`SECTION_RULES`, maybe followed by
    :data:`HEADER_MODIFIERS`, ``"synonym, mixed case"``), ``header`` (the header as written, or ``None``) and
    ``text`` (whitespace normalised). A section repeated in a report gives one row per piece; joined with a
    space they are :func:`parse_sections`'s text.

    Examples
    --------
    >>> for row in explain_sections(" FINAL REPORT\\n CLINICAL HISTORY: Cough.\\n  Impression: Clear.\\n"):
    ...     print(row["section"], "|", row["rule"], "|", row["header"])
    preamble | preamble | None
    history | synonym | CLINICAL HISTORY:
    impression | header, mixed case, indent | Impression:
    """
    if not text:
        return []
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x1e", " ").replace("\x1f", " ")
    # pieces: [header token, indentation, first line?, the character after it, raw body]
    pieces: list[list[Any]] = []
    prev_end, prev = 0, (None, "", False, "")
    for m in _HEADER_RE.finditer(text):
        pieces.append([*prev, text[prev_end : m.start()]])
        prev_end = m.end()
        prev = (m.group(1), text[m.start() : m.start(1)], m.start() == 0, text[m.end() : m.end() + 1])
    pieces.append([*prev, text[prev_end:]])
    named: list[list[Any]] = []  # [section, rule, header, raw body]
    last_known = "preamble"
    for token, indent, first, after, body in pieces:
        name = "preamble" if token is None else _fold(token)
        rule = "preamble" if token is None else _header_rule(token, name, indent, first, after)
        header = None if token is None else token.strip(" \t")
        if name in _KNOWN:
            last_known = name
        elif last_known in ("findings", "impression"):  # rule 5
            name, body, rule = last_known, token + " " + body, "sub-heading"
        if name in ("findings", "impression") and not _normalise(body):  # rule 6
            continue
        named.append([name, rule, header, body])
    extra = None
    eligible = [piece for piece in named if piece[0] not in _TRAILING]
    if eligible and not any(p[0] in ("findings", "impression") for p in named):  # rule 7
        last = eligible[-1]
        closing = last is not named[-1]
        m = _BLANK_SPLIT_RE.match(last[3])
        if m and _normalise(m.group(2)):
            last[3], extra = m.group(1), _normalise(m.group(2))
            how = "last paragraph before closing sections" if closing else "last paragraph"
        elif last[0] == "preamble":
            m = _TITLE_SPLIT_RE.match(last[3])
            if m and _normalise(m.group(2)):
                last[3], extra, how = m.group(1), _normalise(m.group(2)), "after the title"
    rows: list[dict[str, str | None]] = []
    for name, rule, header, body in named:
        norm = _normalise(body)
        if norm:
            rows.append({"section": name, "rule": rule, "header": header, "text": norm})
    if extra:
        rows.append({"section": "last_paragraph", "rule": how, "header": None, "text": extra})
        rows.append({"section": "impression", "rule": "inferred impression", "header": None, "text": extra})
    return rows


def sections_explained(
    df: pl.DataFrame | pl.LazyFrame, text_col: str = "text", id_col: str = "study_id"
) -> pl.DataFrame:
    """:func:`explain_sections` over a frame of reports: one row per piece of each report, ``id_col,
    section, rule, header, text`` (a Python loop per report: explain the reports you are looking at, not
    the whole corpus at once).

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [7], "text": [" X\\n CONCLUSION: Clear.\\n"]})
    >>> sections_explained(df).select("section", "rule").rows()
    [('preamble', 'preamble'), ('impression', 'synonym')]
    """
    require_columns(df, [text_col, id_col], "sections_explained")
    frame = df.lazy().select(id_col, text_col).collect()
    rows = [
        {id_col: i, **r} for i, t in frame.iter_rows() for r in (explain_sections(t) if t is not None else [])
    ]
    schema = {id_col: frame.schema[id_col], **dict.fromkeys(("section", "rule", "header", "text"), pl.String)}
    return pl.DataFrame(rows, schema=schema)


# --- the same rules over a frame ------------------------------------------------------------------------

# Each header is marked "\x1e<header>\n" and the text split at "\x1e": a piece is a header and its body (the
# first piece of a report has no header). A header never holds a line break, so the first one in a piece ends
# it. Most reports need only the upper-case alternative, which polars' regex engine runs faster
# than the whole pattern; the whole pattern runs only on reports that could hold one of the others: a line of
# underscores, WET READ or ADDENDUM, or a header-like line with a lower-case letter or a tab in it.
_MARK_UPPER = r"(?m)^[ \t]*" + _UPPER_HEADER
_MARK_ALL = r"(?m)^[ \t]*(?:" + "|".join(_HEADER_ALTERNATIVES).replace("(?ai:", "(?i-u:") + ")"
_MARK = "\x1e${0}\n"
_MAYBE_RARE_WORDS = r"_{10}|WET ?READ|ADDENDUM"
_MAYBE_RARE_HEADER = r"(?m)^[ \t]*(?:[a-z]|[A-Z][A-Za-z ()/,\t-]*[a-z\t])[A-Za-z ()/,\t-]*:"
# Same result as _WS -> " " but leaves single spaces alone (less to replace in polars).
_WS_FAST = "[\t\n\r\f\v\xa0][ \t\n\r\f\v\xa0]*| [ \t\n\r\f\v\xa0]+"

# Section codes: the index in SECTION_COLUMNS; other header names (DATE, LUNGS, ...) and dropped pieces after.
_CODES = {name: i for i, name in enumerate(SECTION_COLUMNS)}
_OTHER = len(SECTION_COLUMNS)
_DROPPED = _OTHER + 1
_F, _I, _P = _CODES["findings"], _CODES["impression"], _CODES["preamble"]
_KNOWN_CODES = sorted(_CODES[n] for n in _KNOWN)
_CLOSING_CODES = sorted(_CODES[n] for n in _TRAILING)


def _norm_expr(expr: pl.Expr, plain: bool = False) -> pl.Expr:
    """Whitespace runs made one space, ends stripped. ``plain``: the text holds no whitespace but space and
    ``\n``, so literal line-break replacement and a space-run regex (a literal prefix,
    quick to scan for) do."""
    if plain:
        return (
            expr.str.replace_all("\n", " ", literal=True).str.replace_all(" {2,}", " ").str.strip_chars(" ")
        )
    return expr.str.replace_all(_WS_FAST, " ").str.strip_chars(" ")


def _header_codes(headers: pl.Series) -> pl.Series:
    """The section code of each header (:func:`_fold` once per distinct header;
    a null header is the preamble)."""
    mapping = {h: _CODES.get(_fold(h.lstrip(" \t")), _OTHER) for h in headers.unique().drop_nulls().to_list()}
    return headers.replace_strict(mapping, default=_P, return_dtype=pl.UInt8)


def _mark_headers(text: pl.Series) -> pl.Series:
    marked = text.str.replace_all(_MARK_UPPER, _MARK)
    rare = (text.str.contains(_MAYBE_RARE_WORDS) | text.str.contains(_MAYBE_RARE_HEADER)).fill_null(False)
    if rare.any():
        marked = marked.scatter(rare.arg_true(), text.filter(rare).str.replace_all(_MARK_ALL, _MARK))
    return marked


def _last_paragraphs(pieces: pl.DataFrame, has_fi: np.ndarray, plain: bool) -> pl.DataFrame:
    """Rule 7 for the reports without findings or impression: ``at`` (the piece cut), ``cut`` (what stays in
    it) and ``extra`` (the last paragraph), one row per report that has one."""
    candidate = ~pl.Series(has_fi).gather(pieces["row"]) & ~pieces["code"].is_in([*_CLOSING_CODES, _DROPPED])
    last = pieces.filter(candidate)
    last = last.filter(
        last["row"] != last["row"].shift(-1).fill_null(-1)
    )  # the last candidate of each report
    blank = pl.col("body").str.extract_groups(_BLANK_SPLIT)
    title = pl.when(pl.col("code") == _P).then(pl.col("body")).str.extract_groups(_TITLE_SPLIT)
    last = last.select(
        "at",
        "row",
        "norm",
        _norm_expr(blank.struct.field("1"), plain).alias("blank_head"),
        _norm_expr(blank.struct.field("2"), plain).alias("blank_rest"),
        _norm_expr(title.struct.field("1"), plain).alias("title_head"),
        _norm_expr(title.struct.field("2"), plain).alias("title_rest"),
    )
    use_blank, use_title = pl.col("blank_rest") != "", pl.col("title_rest") != ""
    return last.select(
        "at",
        "row",
        pl.when(use_blank)
        .then("blank_head")
        .when(use_title)
        .then("title_head")
        .otherwise("norm")
        .alias("cut"),
        pl.when(use_blank).then("blank_rest").when(use_title).then("title_rest").alias("extra"),
    )


def _column(name: str, n: int, rows: pl.Series, values: pl.Series) -> pl.Series:
    return pl.repeat(None, n, dtype=pl.String, eager=True).alias(name).scatter(rows, values)


def sections_frame(
    df: pl.DataFrame | pl.LazyFrame, text_col: str = "text", *, keep_text: bool = True
) -> pl.DataFrame | pl.LazyFrame:
    """Add one column per common section (:data:`SECTION_COLUMNS`) to a frame of report texts.

    Vectorised with polars expressions (header markers, split, explode, forward fill, scatter back to rows);
    gives exactly what :func:`parse_sections` gives for each row, for the sections in :data:`SECTION_COLUMNS`
    (a null where the section is absent). Returns the same kind of frame it is given, rows in their original
    order; section columns already in the frame are replaced.

    Parameters
    ----------
    df
        A frame with a string column ``text_col``.
    text_col
        The column holding the report text.
    keep_text
        Keep ``text_col`` in the output (drop it to save memory).

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [50000001], "text": [" FINDINGS: Clear.\\n IMPRESSION: Normal.\\n"]})
    >>> sections_frame(df).select("study_id", "findings", "impression").row(0)
    (50000001, 'Clear.', 'Normal.')
    """
    require_columns(df, [text_col], "sections_frame")
    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    n = frame.height
    text = frame.get_column(text_col).cast(pl.String)
    if text.str.contains("[\r\x1e\x1f]").any():  # rare: skip three passes otherwise
        text = (
            text.str.replace_all("\r\n", "\n", literal=True)
            .str.replace_all("\r", "\n", literal=True)
            .str.replace_all("[\x1e\x1f]", " ")
        )
    # only spaces and line breaks (nearly always): a cheaper whitespace normalisation gives the same
    plain = not text.str.contains("[\t\x0b\x0c\xa0]").any()
    pieces = pl.DataFrame(
        {
            "row": pl.int_range(0, n, dtype=pl.UInt32, eager=True),
            "piece": _mark_headers(text).str.split("\x1e"),
        }
    ).explode("piece")
    first = pl.col("row").diff().fill_null(1) != 0  # the piece before the first header
    end = pl.col("piece").str.find("\n", literal=True)  # where a header ends
    pieces = pieces.with_columns(first.alias("first"), end.alias("end"))
    header = pl.when(~pl.col("first")).then(pl.col("piece").str.slice(0, pl.col("end")))
    pieces = pieces.with_columns(_header_codes(pieces.select(header).to_series()).alias("code"))
    # rule 5: an unknown header after findings / impression is a sub-heading (the first piece of a report is
    # its preamble, a known section, so a forward fill over all pieces never crosses from one report to
    # the next)
    code = pl.col("code")
    last_known = pl.when(code.is_in(_KNOWN_CODES)).then(code).forward_fill()
    sub = ~code.is_in(_KNOWN_CODES) & last_known.is_in([_F, _I])
    pieces = pieces.with_columns(
        pl.when(sub).then(last_known).otherwise(code).alias("code"),
        pl.col("piece")
        .str.slice(pl.when(pl.col("first") | sub).then(0).otherwise(pl.col("end") + 1))
        .alias("body"),
    ).drop("piece", "end", "first")
    pieces = pieces.with_columns(_norm_expr(pl.col("body"), plain).alias("norm"))
    # rule 6: empty findings / impression are dropped
    pieces = pieces.with_columns(
        pl.when(code.is_in([_F, _I]) & (pl.col("norm") == ""))
        .then(pl.lit(_DROPPED, pl.UInt8))
        .otherwise(code)
        .alias("code")
    ).with_row_index("at")
    # rule 7: the last paragraph of the reports without findings or impression
    import numpy as np

    has_fi = np.zeros(n, dtype=bool)
    has_fi[pieces.filter(code.is_in([_F, _I]))["row"].to_numpy()] = True
    cuts = _last_paragraphs(pieces, has_fi, plain) if not has_fi.all() else None
    norm = pieces["norm"]
    if cuts is not None and cuts.height:
        norm = norm.scatter(cuts["at"], cuts["cut"])
    # back to one column per section; a section repeated in a report is joined with a space
    kept = pieces.select("row", "code", norm).filter((pl.col("norm") != "") & (code < _OTHER))
    columns = []
    for c, name in enumerate(SECTION_COLUMNS):
        part = kept.filter(code == c)
        if (part["row"].diff() == 0).any():
            part = part.group_by("row", maintain_order=True).agg(pl.col("norm").str.join(" "))
        columns.append(_column(name, n, part["row"], part["norm"]))
    wide = pl.DataFrame(columns)
    if cuts is not None and cuts["extra"].is_not_null().any():
        extra = cuts.filter(pl.col("extra").is_not_null())
        inferred = _column("inferred", n, extra["row"], extra["extra"])
        wide = wide.with_columns(
            pl.coalesce(inferred, "last_paragraph").alias("last_paragraph"),
            pl.coalesce(inferred, "impression").alias("impression"),
        )
    out = frame.drop([c for c in SECTION_COLUMNS if c in frame.columns]).with_columns(wide)
    if not keep_text and text_col not in SECTION_COLUMNS:
        out = out.drop(text_col)
    return out.lazy() if isinstance(df, pl.LazyFrame) else out
