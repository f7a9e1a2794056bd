"""Free-text reports: reading one, cutting it into sections, and ingesting the whole corpus as a frame.

* :func:`read_report` reads one report (a file, ``.txt.gz``, or a member of ``mimic-cxr-reports.zip``) whatever
  its line endings or encoding.
* :func:`parse_sections` cuts a report into normalised sections (``findings``, ``impression``, ...);
  :func:`sections_frame` does the same for a whole frame with polars expressions (same answers, faster).
* :func:`read_reports` ingests every report of a ``files/`` tree or of the reports zip, in parallel, cached as
  parquet; :func:`read_sections` adds the section columns (also cached).

Examples
--------
>>> text = " FINAL REPORT\\n INDICATION: Cough.\\n \\n FINDINGS: No effusion.\\n \\n IMPRESSION: Normal.\\n"
>>> parse_sections(text)["impression"]
'Normal.'
"""

from __future__ import annotations

import codecs
import json
import os
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import polars as pl

from . import layout
from .cache import Cache, file_identity, identity_key
from .errors import CxrkitError, ReportReadError
from .storage import read_bytes

__all__ = [
    "SECTION_COLUMNS",
    "SECTION_SYNONYMS",
    "ReportCorpus",
    "ReportIngestWarning",
    "decode_report",
    "find_zip_member",
    "ingest_reports",
    "parse_sections",
    "read_report",
    "read_reports",
    "read_sections",
    "sections_frame",
]

#: Version of the sectioning rules; part of the cache key of :func:`read_sections`.
PARSER_VERSION = 1
#: Version of the ingest (columns, decoding); part of the cache key of :func:`read_reports`.
INGEST_VERSION = 1

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

# --- decoding -----------------------------------------------------------------------------------------


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("cxrkit-latin1", _latin1_fallback)


def decode_report(data: bytes) -> str:
    """Decode report bytes: UTF-8, any byte that is not valid UTF-8 read as latin-1; line endings made ``\\n``.

    Never raises. A UTF-8 byte-order mark is dropped.

    Examples
    --------
    >>> decode_report(b"caf\\xc3\\xa9 \\xe9\\r\\nnext\\rlast")
    'café é\\nnext\\nlast'
    """
    text = data.decode("utf-8", errors="cxrkit-latin1")
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


# --- reading one report -------------------------------------------------------------------------------


def read_report(path: str | os.PathLike | zipfile.Path, member: str | None = None) -> str:
    """Read one report as text with ``\\n`` line endings (see :func:`decode_report`).

    Parameters
    ----------
    path
        A report file (``.txt`` or ``.txt.gz``), a ``zipfile.Path`` pointing at a member, or the reports zip
        when ``member`` is given.
    member
        Name of a member inside the zip ``path`` (e.g. from :func:`find_zip_member`).

    Raises
    ------
    ReportReadError
        The file (or zip member) is missing or unreadable; the message names it.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s50000001.txt"
    >>> _ = p.write_bytes(b" FINDINGS: Clear.\\r\\n")
    >>> read_report(p)
    ' FINDINGS: Clear.\\n'
    """
    if isinstance(path, zipfile.Path):
        try:
            return decode_report(path.read_bytes())
        except (OSError, KeyError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ReportReadError(f"cannot read report {path}: {exc}") from exc
    if member is not None:
        try:
            with zipfile.ZipFile(path) as zf:
                return decode_report(zf.read(member))
        except KeyError as exc:
            raise ReportReadError(f"{path}: the zip has no member {member!r}") from exc
        except (OSError, zipfile.BadZipFile, zlib.error, EOFError) as exc:
            raise ReportReadError(f"cannot read member {member!r} of {path}: {exc}") from exc
    try:
        return decode_report(read_bytes(path))
    except (OSError, CxrkitError, EOFError) as exc:
        raise ReportReadError(f"cannot read report {path}: {exc}") from exc


@lru_cache(maxsize=4)
def _zip_report_index(path: str, size: int, mtime: int) -> dict[int, str]:
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    parsed = pl.DataFrame({"name": names}).with_columns(layout.parse_path_expr("name")).unnest("parsed")
    parsed = parsed.filter(pl.col("ext") == layout.REPORT_EXTENSION)
    return dict(zip(parsed["study_id"].to_list(), parsed["name"].to_list()))


def find_zip_member(zip_path: str | os.PathLike, subject_id: object, study_id: object) -> str | None:
    """The member name of a study's report inside the reports zip, whatever its top folder; ``None`` if absent.

    The zip's member list is read once per zip (and again when the zip changes).

    Raises
    ------
    ReportReadError
        The zip cannot be opened.
    """
    try:
        index = _zip_report_index(*file_identity(zip_path))
    except (OSError, zipfile.BadZipFile) as exc:
        raise ReportReadError(f"cannot open the reports zip {zip_path}: {exc}; re-download it") from exc
    name = index.get(layout.study_id(study_id))
    if name is None or layout.parse_path(name).subject_id != layout.subject_id(subject_id):
        return None
    return name


# --- sections: the rules --------------------------------------------------------------------------------

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
    (k for k in SECTION_SYNONYMS if k not in ("preamble", "date", "comment", "pfi") and len(k) > 4
     and SECTION_SYNONYMS[k] in _KNOWN and k == k.replace("/ ", "/")),
    key=len,
    reverse=True,
)
# A header: at the start of a line (any indentation), either a run of 10+ underscores (the separator below
# wet reads and addenda), an upper-case name ``[A-Z][A-Z ()/,-]*`` and a colon, a known name in any case and a
# colon, or WET READ / ADDENDUM without colon. Written so Python's ``re`` and polars' regex engine agree.
_HEADER_PATTERN = (
    r"(?m)^[ \t]*(_{10,}[ \t]*$|[A-Z][A-Z ()/,-]*:|(?i:"
    + "|".join(re.escape(n).replace(r"\ ", " ") for n in _MIXED_CASE_NAMES)
    + r")[ \t]*:|WET ?READ\b|ADDENDUM\b)"
)
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
    name = token[:-1] if token.endswith(":") else token
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
       EXAM`` -> ``indication``, ``CONCLUSION`` and ``FINDINGS AND IMPRESSION`` -> ``impression``); other names
       containing impression, findings, history, comparison or addendum become that word; names describing the
       study (``CHEST, PA AND LATERAL``, ``PORTABLE AP``, ...) become ``findings``; anything else is kept in
       snake case (``DATE`` -> ``date``).
    3. The text before the first header is the ``preamble`` (usually the ``FINAL REPORT`` title).
    4. *New*: a ``WET READ`` or ``ADDENDUM`` block at the top (colon optional) is its own section
       (``wet_read``, ``addendum``), ended by the line of underscores; text after that line up to the next
       header is added to the ``preamble``.
    5. *New*: an unknown upper-case header inside findings or impression (``LUNGS:``, ``NOTE:``) is a
       sub-heading and stays in that section's text.
    6. Empty ``findings`` / ``impression`` sections are dropped (a title such as ``CHEST, PA LATERAL:`` followed
       by a blank line is not a findings section). Repeated sections are joined with a space.
    7. When there is neither findings nor impression, the text after the first blank line of the last section
       is the ``last_paragraph`` (as in ``mimic_cxr_sectioned.csv``); *new*: a header-less report without a
       blank line gives its text after the ``FINAL REPORT`` title. *New*: that text is also returned as the
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
    >>> parse_sections(r)
    {'preamble': 'FINAL REPORT', 'history': 'Cough, fever.', 'findings': 'No effusion.', 'impression': 'Normal.'}

    Rule 1, missing leading space and mixed case:

    >>> parse_sections("INDICATION: Pain.\\nImpression: Clear.")
    {'indication': 'Pain.', 'impression': 'Clear.'}

    Rule 4, a wet read above the underscore line:

    >>> r = " WET READ: ___ 10:34 PM\\n  No pneumonia.\\n " + "_" * 78 + "\\n   FINAL REPORT\\n IMPRESSION: Clear.\\n"
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
    if not text:
        return {}
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\x1e", " ").replace("\x1f", " ")
    # pieces: [name, header token, raw body]
    pieces: list[list[Any]] = []
    prev_end, prev_token = 0, None
    for m in _HEADER_RE.finditer(text):
        pieces.append([prev_token, text[prev_end : m.start()]])
        prev_end, prev_token = m.end(), m.group(1)
    pieces.append([prev_token, text[prev_end:]])
    named: list[list[str]] = []
    last_known = "preamble"
    for token, body in pieces:
        name = "preamble" if token is None else _fold(token)
        if name in _KNOWN:
            last_known = name
        elif last_known in ("findings", "impression"):  # rule 5
            name, body = last_known, token + " " + body
        if name in ("findings", "impression") and not _normalise(body):  # rule 6
            continue
        named.append([name, body])
    extra = None
    if named and not any(n in ("findings", "impression") for n, _ in named):  # rule 7
        last = named[-1]
        m = _BLANK_SPLIT_RE.match(last[1])
        if m and _normalise(m.group(2)):
            last[1], extra = m.group(1), _normalise(m.group(2))
        elif last[0] == "preamble":
            m = _TITLE_SPLIT_RE.match(last[1])
            if m and _normalise(m.group(2)):
                last[1], extra = m.group(1), _normalise(m.group(2))
    out: dict[str, list[str]] = {}
    for name, body in named:
        norm = _normalise(body)
        if norm:
            out.setdefault(name, []).append(norm)
    result = {name: " ".join(parts) for name, parts in out.items()}
    if extra:
        result["last_paragraph"] = extra
        result["impression"] = extra
    return result


# --- sections: vectorised -------------------------------------------------------------------------------


# Same result as _WS -> " " but leaves single spaces alone (twice as fast in polars).
_WS_FAST = "[\t\n\r\f\v\xa0][ \t\n\r\f\v\xa0]*| [ \t\n\r\f\v\xa0]+"


def _norm_expr(expr: pl.Expr) -> pl.Expr:
    return expr.str.replace_all(_WS_FAST, " ").str.strip_chars(" ")


def _fold_series(tokens: pl.Series) -> pl.Series:
    """:func:`_fold` applied to each distinct header token (few), then mapped over the column."""
    distinct = tokens.unique().drop_nulls().to_list()
    mapping = {t: _fold(t) for t in distinct}
    return tokens.replace_strict(mapping, default="preamble", return_dtype=pl.String)


def sections_frame(
    df: pl.DataFrame | pl.LazyFrame, text_col: str = "text", *, keep_text: bool = True
) -> pl.DataFrame | pl.LazyFrame:
    """Add one column per common section (:data:`SECTION_COLUMNS`) to a frame of report texts.

    Vectorised with polars expressions (header markers, split, explode, group by); gives exactly what
    :func:`parse_sections` gives for each row, for the sections in :data:`SECTION_COLUMNS` (a null where the
    section is absent). Returns the same kind of frame it is given, rows in their original order.

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
    frame = df.collect() if isinstance(df, pl.LazyFrame) else df
    row = "__row"
    base = frame.with_row_index(row)
    text = (
        pl.col(text_col).str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n", literal=True)
        .str.replace_all("[\x1e\x1f]", " ")
    )
    pieces = (
        base.select(
            row, text.str.replace_all(_HEADER_PATTERN, "\x1e${1}\x1f").str.split("\x1e").alias("piece")
        )
        .explode("piece")
        .with_row_index("idx")
        .with_columns(pl.col("piece").str.split_exact("\x1f", 1).alias("p"))
        .select(
            row,
            "idx",
            pl.when(pl.col("p").struct.field("field_1").is_not_null()).then(pl.col("p").struct.field("field_0"))
            .alias("token"),
            pl.coalesce(pl.col("p").struct.field("field_1"), pl.col("p").struct.field("field_0")).alias("body"),
        )
    )
    pieces = pieces.with_columns(_fold_series(pieces["token"]).alias("name"))
    # rule 5: unknown headers after findings/impression are sub-headings
    known = pl.col("name").is_in(list(_KNOWN))
    last_known = pl.when(known).then(pl.col("name")).forward_fill().over(row)  # rows are in idx order
    sub = ~known & last_known.is_in(["findings", "impression"])
    pieces = pieces.with_columns(
        pl.when(sub).then(last_known).otherwise(pl.col("name")).alias("name"),
        pl.when(sub).then(pl.concat_str([pl.col("token"), pl.lit(" "), pl.col("body")])).otherwise(pl.col("body"))
        .alias("body"),
    )
    pieces = pieces.with_columns(_norm_expr(pl.col("body")).alias("norm"))
    # rule 6: drop empty findings / impression
    pieces = pieces.filter(~(pl.col("name").is_in(["findings", "impression"]) & (pl.col("norm") == "")))
    # rule 7: last paragraph when neither findings nor impression (regexes run on those rows only)
    is_fi = pl.col("name").is_in(["findings", "impression"])
    target = ~is_fi.any().over(row) & (pl.col("idx") == pl.col("idx").max().over(row))
    candidate = pl.when(target).then(pl.col("body"))
    blank = candidate.str.extract_groups(_BLANK_SPLIT)
    title = pl.when(target & (pl.col("name") == "preamble")).then(pl.col("body")).str.extract_groups(_TITLE_SPLIT)
    blank_rest = _norm_expr(blank.struct.field("2"))
    title_rest = _norm_expr(title.struct.field("2"))
    pieces = (
        pieces.with_columns(
            blank_rest.alias("blank_rest"), title_rest.alias("title_rest"),
            blank.struct.field("1").alias("blank_head"), title.struct.field("1").alias("title_head"),
        )
        .with_columns(
            pl.when(pl.col("blank_rest") != "").then(pl.col("blank_rest"))
            .when(pl.col("title_rest") != "").then(pl.col("title_rest")).alias("extra"),
            pl.when(pl.col("blank_rest") != "").then(_norm_expr(pl.col("blank_head")))
            .when(pl.col("title_rest") != "").then(_norm_expr(pl.col("title_head")))
            .otherwise(pl.col("norm")).alias("norm"),
        )
    )
    long = pieces.filter(pl.col("norm") != "").group_by(row, "name", maintain_order=True).agg(
        pl.col("norm").str.join(" ")
    )
    extra = pieces.filter(pl.col("extra").is_not_null()).select(row, pl.lit("last_paragraph").alias("name"),
                                                                  pl.col("extra").alias("norm"))
    wide = pl.concat([long, extra]).pivot(on="name", index=row, values="norm")
    missing = [pl.lit(None, pl.String).alias(s) for s in SECTION_COLUMNS if s not in wide.columns]
    wide = wide.with_columns(missing).select(row, *SECTION_COLUMNS).with_columns(
        pl.coalesce("last_paragraph", "impression").alias("impression")
    )
    out = base.join(wide, on=row, how="left", maintain_order="left").drop(row)
    if not keep_text:
        out = out.drop(text_col)
    return out.lazy() if isinstance(df, pl.LazyFrame) else out
