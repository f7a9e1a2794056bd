"""The official sectioned file, reproduced: what ``create_section_files.py`` writes as
``mimic_cxr_sectioned.csv`` (columns ``study, impression, findings, last_paragraph, comparison``).

The rules were written from a reading of the public source, no code taken from it: the MIMIC-CXR project's
``txt/create_section_files.py`` and ``txt/section_parser.py`` (repository MIT-LCP/mimic-cxr; the same files
are mirrored in MIT-LCP/mimic-code, ``txt/create_section_files.py``, ``txt/section_parser.py`` and
``mimic-iv-cxr/txt/section_parser.py``, which differ only in an offset the sectioned file does not use). The
54 special-cased study ids (:data:`OFFICIAL_SECTION_OVERRIDES`, :data:`OFFICIAL_SPAN_OVERRIDES`) are the two
tables of ``custom_mimic_cxr_rules()`` in that ``txt/section_parser.py``.

* :func:`official_split` - the official parser on one report (a plain loop; the reference).
* :func:`official_frame` - the same, vectorised over a frame of texts with polars expressions.
* :func:`diff_official` - where the kit's own sections differ from the official file, and why.
* :func:`official_sections` - the rows of ``mimic_cxr_sectioned.csv`` for a corpus (a folder, the reports
  zip, or a frame of texts), in the official script's order; :func:`write_sectioned_csv` writes them with
  the official script's CSV settings, byte for byte.
* :func:`official_conclusions` and :func:`write_conclusion_csvs` - the script's other files
  (``mimic_cxr_00.csv``, ... or ``mimic_cxr_sections.csv``): the one text per report its labellers read.

The official rules (each shown in :func:`official_split`):

1. The file is read as text with universal newlines (``\\r\\n`` and ``\\r`` become ``\\n``).
2. A header is a line break, **one** space, a run of ``[A-Z ()/,-]`` and a colon, then one whitespace
   character (Python's ``\\s``; a line break counts). A header on the first line (no line break before it)
   or in mixed case is not seen. Headers are searched left to right without overlap: when the whitespace
   after a colon is the line break itself, a header on the very next line is not seen (it stays text).
3. The text before the first header is the ``preamble`` (up to and including the line break and space that
   open the header); a report without any header is one section named ``full report``. A section's text runs
   from after its header's whitespace character up to the line break opening the next header.
4. Header names are lower-cased, stripped and folded: the synonym table (:data:`OFFICIAL_SYNONYMS`), else
   the first of impression, findings, history, comparison, addendum contained in the name, else
   ``findings`` if the name holds a phrase describing the study (``chest``, ``portable``, ``pa and
   lateral``, ...), else the name as it is.
5. Impression and findings sections whose text is only whitespace are removed.
6. When no impression and no findings remain, and the last section holds ``"\\n \\n"`` (a line holding
   exactly one space, the MIMIC blank line; ``"\\n\\n"`` or ``"\\n  \\n"`` do not count), the text after its
   first such blank line becomes a new last section, ``last_paragraph``, and the section keeps the text
   before it.
7. Each column is the text of the **last** section of that name, stripped of whitespace (Python's
   ``str.strip``); absent sections are empty.
8. The 54 special-cased studies are left out of ``mimic_cxr_sectioned.csv`` (the script writes them only to
   its other files, and stops with an error when one of them lacks the named section).

Examples
--------
>>> text = " FINAL REPORT\\n INDICATION: Cough.\\n \\n FINDINGS: No effusion.\\n \\n IMPRESSION: Normal.\\n"
>>> official_row(text)
{'impression': 'Normal.', 'findings': 'No effusion.', 'last_paragraph': None, 'comparison': None}
"""

from __future__ import annotations

import concurrent.futures
import csv
import os
import re
from pathlib import Path
from typing import Literal

import polars as pl

from ..errors import ReportReadError, require_columns
from ..storage.scan import default_workers
from .corpus import read_reports
from .sections import HEADER_MODIFIERS, SECTION_RULES, SECTION_SYNONYMS, explain_sections

__all__ = [
    "OFFICIAL_COLUMNS",
    "OFFICIAL_SECTION_OVERRIDES",
    "OFFICIAL_SPAN_OVERRIDES",
    "OFFICIAL_SYNONYMS",
    "PYTHON_WHITESPACE",
    "diff_official",
    "official_conclusions",
    "official_frame",
    "official_row",
    "official_section_name",
    "official_sections",
    "official_split",
    "sectioned_rows",
    "write_conclusion_csvs",
    "write_sectioned_csv",
]

#: The columns of ``mimic_cxr_sectioned.csv``, in order.
OFFICIAL_COLUMNS = ("study", "impression", "findings", "last_paragraph", "comparison")
_OUT = OFFICIAL_COLUMNS[1:]
_BODY = ("impression", "findings")

#: Every character Python's ``str.isspace`` (hence ``str.strip`` and ``re``'s ``\\s``) calls whitespace; the
#: official parser strips and matches with these (note ``\\x1c``-``\\x1f``, which other engines do not count).
PYTHON_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008"
    "\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)

#: The official synonym table: the kit's :data:`~cxrkit.reports.SECTION_SYNONYMS` as the official parser
#: spells its values (``recommendations``, ``wet read``), with its ``ndication`` -> ``impression`` entry and
#: without the kit's own ``indications`` entry.
OFFICIAL_SYNONYMS: dict[str, str] = {
    k: {"recommendation": "recommendations", "wet_read": "wet read"}.get(v, v)
    for k, v in SECTION_SYNONYMS.items()
    if k != "indications"
} | {"ndication": "impression"}

_MAIN_WORDS = ("impression", "findings", "history", "comparison", "addendum")
_STUDY_PHRASES = re.compile(
    "chest|portable|pa and lateral|lateral and pa|ap and lateral|lateral and ap|frontal and|two views|"
    "frontal view|pa view|ap view|one view|lateral view|bone window|frontal upright|frontal semi-upright|"
    "ribs|pa and lat"
)

#: Special case 1 of the official script: study id -> the section whose text it takes as the conclusion.
#: These studies are not in ``mimic_cxr_sectioned.csv``.
OFFICIAL_SECTION_OVERRIDES: dict[int, str] = {
    50913680: "recommendations",
    59363654: "examination",
    59279892: "technique",
    59768032: "recommendations",
    57936451: "indication",
    50058765: "indication",
    53356173: "examination",
    53202765: "technique",
    50808053: "technique",
    51966317: "indication",
    50743547: "examination",
    56451190: "note",
    59067458: "recommendations",
    59215320: "examination",
    55124749: "indication",
    54365831: "indication",
    59087630: "recommendations",
    58157373: "recommendations",
    56482935: "recommendations",
    58375018: "recommendations",
    54654948: "indication",
    55157853: "examination",
    51491012: "history",
}
#: Special case 2 of the official script: study id -> the character span of the report it takes as the
#: conclusion (``(0, 0)``: "no findings at all in the entire report"). Not in ``mimic_cxr_sectioned.csv``.
OFFICIAL_SPAN_OVERRIDES: dict[int, tuple[int, int]] = {
    50525523: (201, 349),
    57564132: (233, 554),
    59982525: (313, 717),
    53488209: (149, 475),
    54875119: (234, 988),
    50196495: (59, 399),
    56579911: (59, 218),
    52648681: (292, 631),
    59889364: (172, 453),
    53514462: (73, 377),
    59505494: (59, 450),
    53182247: (59, 412),
    51410602: (47, 320),
    56412866: (522, 822),
    54986978: (59, 306),
    59003148: (262, 505),
    57150433: (61, 394),
    56760320: (219, 457),
    59562049: (158, 348),
    52674888: (145, 296),
    55258338: (192, 568),
    59330497: (140, 655),
    52119491: (179, 454),
    58235663: (0, 0),
    50798377: (0, 0),
    54168089: (0, 0),
    53071062: (0, 0),
    56724958: (0, 0),
    54231141: (0, 0),
    53607029: (0, 0),
    52035334: (0, 0),
}
_SPECIAL = sorted(OFFICIAL_SECTION_OVERRIDES.keys() | OFFICIAL_SPAN_OVERRIDES.keys())

_WS_CLASS_PY = "[" + "".join(f"\\u{ord(c):04x}" for c in PYTHON_WHITESPACE) + "]"
_HEADER_RE = re.compile(r"\n ([A-Z ()/,-]+):" + _WS_CLASS_PY)
_HEADER_FAST = r"\n ([A-Z ()/,-]+):\s"  # polars: Unicode \s, Python's but for \x1c-\x1f
_BLANK = "\n \n"
_CODE = {name: i for i, name in enumerate(_OUT)}  # impression, findings first: rule 5's "body" sections
_OTHER = len(_OUT)


def official_section_name(header: str) -> str:
    """The official parser's name for a header (the text between the line's space and the colon).

    Examples
    --------
    >>> [official_section_name(h) for h in ("CLINICAL HISTORY", " IMPRESSION ", "PA AND LAT CHEST", "NOTE")]
    ['history', 'impression', 'findings', 'note']
    >>> official_section_name("NDICATION")  # a typo the official table folds to impression
    'impression'
    """
    name = header.lower().strip()
    if name in OFFICIAL_SYNONYMS:
        return OFFICIAL_SYNONYMS[name]
    for word in _MAIN_WORDS:
        if word in name:
            return word
    return "findings" if _STUDY_PHRASES.search(name) else name


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def official_split(text: str) -> list[tuple[str, str]]:
    """The official parser's sections of one report: ``(name, raw text)`` in report order, after its removal
    of empty impression / findings sections and its ``last_paragraph`` rule (rules 1-6 of the module).

    Examples
    --------
    Rules 2-4, the preamble keeps the line break and space that open the first header:

    >>> official_split(" FINAL REPORT\\n CLINICAL HISTORY: Cough.\\n IMPRESSION: Clear.\\n")
    [('preamble', ' FINAL REPORT\\n '), ('history', 'Cough.'), ('impression', 'Clear.\\n')]

    Rule 2, a header right below a header whose colon ends its line is not seen:

    >>> official_split(" FINAL REPORT\\n INDICATION:\\n IMPRESSION: Clear.\\n")
    [('preamble', ' FINAL REPORT\\n '), ('indication', ' IMPRESSION: Clear.\\n')]

    Rules 5-6, an empty impression is removed and the last section's text after its first blank line is the
    last paragraph:

    >>> official_split(" FINAL REPORT\\n COMPARISON: None.\\n \\n Clear.\\n IMPRESSION: \\n")
    [('preamble', ' FINAL REPORT\\n '), ('comparison', 'None.'), ('last_paragraph', ' Clear.')]
    """
    text = _newlines(text)
    found = list(_HEADER_RE.finditer(text))
    if not found:
        pieces = [("full report", text)]
    else:
        pieces = [("preamble", text[: found[0].start(1)])]
        ends = [m.start() for m in found[1:]] + [len(text)]
        pieces += [(official_section_name(m.group(1)), text[m.end() : end]) for m, end in zip(found, ends)]
    pieces = [(n, t) for n, t in pieces if n not in _BODY or t.strip()]
    if not any(n in _BODY for n, _ in pieces) and _BLANK in pieces[-1][1]:
        name, last = pieces[-1]
        head, rest = last.split(_BLANK, 1)
        pieces[-1:] = [(name, head), ("last_paragraph", rest)]
    return pieces


def official_row(text: str) -> dict[str, str | None]:
    """The four text columns of the official file for one report (rule 7): the last section of each name,
    stripped; ``None`` when absent.

    Examples
    --------
    >>> official_row(" FINAL REPORT\\n IMPRESSION: First.\\n IMPRESSION:  Second. \\n")["impression"]
    'Second.'
    >>> official_row("   FINAL REPORT\\n PORTABLE CHEST\\n \\n No pneumothorax.\\n")["last_paragraph"]
    'No pneumothorax.'
    """
    row: dict[str, str | None] = dict.fromkeys(_OUT)
    for name, body in official_split(text):
        if name in row:
            row[name] = body.strip()
    return row


# --- the same rules over a frame ------------------------------------------------------------------------


def official_frame(texts: pl.Series) -> pl.DataFrame:
    """:func:`official_row` for every text of a series, vectorised: a frame of the four text columns, one
    row per text in order (a null text gives nulls).

    Headers are marked and the texts split at the marks, one row per section; the names are folded once per
    distinct header. Texts holding the marks themselves or the control characters Python counts as
    whitespace and polars does not (``\\x1c``-``\\x1f``) take :func:`official_row`. A long series is cut
    into one part per CPU, run in threads (polars works without the GIL; its string operations on one
    series use one core).

    Examples
    --------
    >>> official_frame(pl.Series([" X\\n FINDINGS: Clear.\\n", None])).rows()
    [(None, 'Clear.', None, None), (None, None, None, None)]
    """
    workers = default_workers()
    if len(texts) < 20_000 or workers == 1:
        return _official_part(texts)
    size = -(-len(texts) // workers)
    parts = [texts.slice(i, size) for i in range(0, len(texts), size)]
    with concurrent.futures.ThreadPoolExecutor(len(parts)) as pool:
        return pl.concat(list(pool.map(_official_part, parts)))


def _official_part(texts: pl.Series) -> pl.DataFrame:
    """:func:`official_frame` of one part."""
    import numpy as np  # here, not at the top: see cxrkit.reports.sections

    n = len(texts)
    text = texts.cast(pl.String).alias("text")
    if text.str.contains("\r", literal=True).any():
        text = text.str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n", literal=True)
    odd = text.str.contains("[\x1c-\x1f]").fill_null(False)
    plain = text.zip_with(~odd, pl.Series([None], dtype=pl.String)) if odd.any() else text
    # without \x1c-\x1f, polars' \s and strip_chars() are Python's. Each header becomes "\x1e<name>\x1e", so
    # a report's pieces alternate: text before the first header, name, text, name, text, ...
    marked = pl.LazyFrame({"t": plain}).select(
        pl.col("t").str.replace_all(_HEADER_FAST, "\x1e${1}\x1e").str.split("\x1e")
    )
    marked = marked.collect(engine="streaming")["t"]
    # a report of h headers splits into 2h + 1 pieces (none for a null text): h + 1 texts at the even places,
    # the h header names at the odd ones; text k > 0 is the section of header k - 1, text 0 the preamble (or
    # the full report). The preamble's text is never a column, and never the last section of a report with a
    # header, so it is left as split; rule 6 alone looks at it, when rule 5 removed every section after it.
    lengths = marked.list.len().fill_null(0).to_numpy()
    piece = marked.explode(empty_as_null=False, keep_nulls=False)
    first = np.cumsum(lengths) - lengths
    odd_place = (np.arange(len(piece), dtype=np.uint32) & 1).astype(np.uint8)
    is_name = (odd_place ^ np.repeat((first & 1).astype(np.uint8), lengths)).view(bool)
    body, names = piece.filter(pl.Series(~is_name)), piece.filter(pl.Series(is_name))
    n_texts = (lengths + 1) // 2
    row = np.repeat(np.arange(n, dtype=np.uint32), n_texts)
    opening = (np.cumsum(n_texts) - n_texts)[n_texts > 0]
    # the names as codes: the four columns' names, and 4 for any other (the preamble, the full report, ...)
    codes = {h: _CODE.get(official_section_name(h), _OTHER) for h in names.unique().to_list()}
    code = np.full(len(row), _OTHER, dtype=np.uint8)
    headed = np.ones(len(row), dtype=bool)
    headed[opening] = False
    code[headed] = names.replace_strict(codes, return_dtype=pl.UInt8).to_numpy()
    preamble = np.zeros(len(row), dtype=bool)  # ends with the line break and space of the first header
    preamble[opening[n_texts[n_texts > 0] > 1]] = True
    # rule 5: empty impression / findings removed
    is_body = code <= _CODE["findings"]
    at = np.flatnonzero(is_body)
    empty = at[(~body.gather(at).str.contains(r"\S")).to_numpy()]  # polars' \s is strip_chars()' whitespace
    if len(empty):
        keep = np.ones(len(row), dtype=bool)
        keep[empty] = False
        row, code, is_body, preamble = row[keep], code[keep], is_body[keep], preamble[keep]
        body = body.filter(pl.Series(keep))
    # rule 6: a last paragraph for the reports left without impression and findings (rows are in order)
    has_body = np.zeros(n, dtype=bool)
    has_body[row[is_body]] = True
    at = np.flatnonzero(_last_of_runs(row) & ~has_body[row])
    ends = body.gather(at)
    if preamble[at].any():
        fix = np.flatnonzero(preamble[at])
        ends = ends.scatter(fix, ends.gather(fix) + "\n ")
    split = ends.str.contains(_BLANK, literal=True).to_numpy()
    at = at[split]
    halves = ends.filter(pl.Series(split)).str.splitn(_BLANK, 2).struct.unnest()
    body = body.scatter(at, halves["field_0"])
    # rule 7: the last section of each name, stripped
    columns = []
    for col in _OUT:
        if col == "last_paragraph":  # no header name folds to it: only rule 6 gives one, one at most a report
            rows, values = row[at], halves["field_1"]
        else:
            where = np.flatnonzero(code == _CODE[col])
            where = where[_last_of_runs(row[where])]  # the last one of each report
            rows, values = row[where], body.gather(where)
        place = np.full(n, -1, dtype=np.int64)
        place[rows] = np.arange(len(rows))
        index = pl.Series(place)
        columns.append(values.str.strip_chars().gather(index.set(index < 0, None)).alias(col))
    out = pl.DataFrame(columns)
    if odd.any():
        where = odd.arg_true()
        rows = [official_row(t) for t in text.gather(where).to_list()]
        out = out.with_columns(
            out[c].scatter(where, pl.Series([r[c] for r in rows], dtype=pl.String)) for c in _OUT
        )
    return out


def _last_of_runs(values):
    """Where each run of equal values (a sorted array's) ends: True at the last element of each run."""
    import numpy as np

    last = np.ones(len(values), dtype=bool)
    last[:-1] = values[1:] != values[:-1]
    return last


# --- the official file ------------------------------------------------------------------------------------

Order = Literal["auto", "listdir", "sorted", "keep"]


def _listdir_rank(root: Path, paths: pl.Series) -> pl.Series:
    """Each report's position in its patient folder's ``os.listdir`` (the official script's study order)."""
    folders = paths.str.replace(r"/[^/]*$", "")
    rank: dict[str, int] = {}
    for folder in folders.unique().drop_nulls().to_list():
        try:
            names = [s for s in os.listdir(root / folder) if s.endswith(".txt") and s.startswith("s")]
        except OSError as exc:
            raise ReportReadError(f"cannot list {root / folder} for the official order: {exc}") from exc
        rank.update((f"{folder}/{s}", i) for i, s in enumerate(names))
    return paths.replace_strict(rank, default=None, return_dtype=pl.Int64)


def official_sections(
    source: str | os.PathLike | pl.DataFrame | pl.LazyFrame,
    *,
    order: Order = "auto",
    root: str | os.PathLike | None = None,
    cache=None,
    progress: bool = False,
    refresh: bool = False,
) -> pl.DataFrame:
    """The rows of the official ``mimic_cxr_sectioned.csv`` for a corpus of reports.

    Parameters
    ----------
    source
        A dataset root (holding ``files/``), the reports zip, or a frame with ``study_id`` and ``text``
        (e.g. :func:`~cxrkit.reports.read_reports`; ``subject_id`` and ``path`` are used when present).
        Paths are read with :func:`~cxrkit.reports.read_reports` (cached; ``cache``, ``progress`` and
        ``refresh`` are passed on). Reports that could not be read (null ``text``) are left out: the official
        script stops at a file that is not UTF-8, where the kit reads the odd byte as latin-1. Only files
        named like reports (``files/pNN/pSUBJECT/sSTUDY.txt``) are read; the official walk would also take
        any other ``s*.txt`` in any ``p*`` folder (a real copy has none).
    order
        ``"listdir"``: the official script's walk, group and patient folders sorted by name and each
        patient's reports in the order ``os.listdir`` gives them (the file system's order, so only a run on
        the same folder gives the same file); ``"sorted"``: by ``subject_id, study_id``; ``"keep"``: the
        frame's order. ``"auto"``: ``listdir`` for a folder, ``sorted`` for a zip, ``keep`` for a frame.
    root
        With a frame and ``order="listdir"``: the folder its ``path`` column is relative to (the dataset
        root holding ``files/``).

    Returns
    -------
    polars.DataFrame
        :data:`OFFICIAL_COLUMNS`: ``study`` (``"s50414267"``) and the four texts (null when absent, which
        the CSV writes as empty), one row per report except the 54 special-cased studies.

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [50000001, 50913680], "text": [" X\\n FINDINGS: Clear.\\n"] * 2})
    >>> official_sections(df).rows()
    [('s50000001', None, 'Clear.', None, None)]
    """
    frame = _walk(source, order, root, cache, progress, refresh, "official_sections")
    frame = frame.filter(~pl.col("study_id").is_in(_SPECIAL))
    study = pl.lit("s") + frame["study_id"].cast(pl.String)
    return pl.DataFrame({"study": frame.select(study).to_series()}).hstack(official_frame(frame["text"]))


def official_conclusions(
    source: str | os.PathLike | pl.DataFrame | pl.LazyFrame,
    *,
    order: Order = "auto",
    root: str | os.PathLike | None = None,
    cache=None,
    progress: bool = False,
    refresh: bool = False,
) -> pl.DataFrame:
    """The official script's other output: one ``study, text`` row per report (the special-cased studies
    included), the text its labellers (CheXpert, NegBio) read: the last impression, else findings, else
    last paragraph, else comparison, stripped (empty when none). Its special cases take their named section
    (:data:`OFFICIAL_SECTION_OVERRIDES`, stripped; null when the report lacks it, where the official script
    stops with an error) or their span of the report (:data:`OFFICIAL_SPAN_OVERRIDES`, as it is). Same
    sources and ``order`` as :func:`official_sections`; written by :func:`write_conclusion_csvs`.

    Examples
    --------
    >>> df = pl.DataFrame({"study_id": [50000001, 50000002],
    ...                    "text": [" X\\n FINDINGS: Clear.\\n", " X\\n CHEST\\n"]})
    >>> official_conclusions(df).rows()
    [('s50000001', 'Clear.'), ('s50000002', '')]
    """
    frame = _walk(source, order, root, cache, progress, refresh, "official_conclusions")
    rows = official_frame(frame["text"])
    text = pl.coalesce(*_OUT).fill_null("")
    conclusion = rows.select(text.alias("text"))["text"]
    special = frame["study_id"].is_in(_SPECIAL).arg_true()
    if len(special):
        found = []
        for i in special.to_list():
            study, raw = frame["study_id"][i], _newlines(frame["text"][i])
            if study in OFFICIAL_SPAN_OVERRIDES:
                start, end = OFFICIAL_SPAN_OVERRIDES[study]
                found.append(raw[start:end])
            else:
                named = [t for n, t in official_split(raw) if n == OFFICIAL_SECTION_OVERRIDES[study]]
                found.append(named[-1].strip() if named else None)
        conclusion = conclusion.scatter(special, pl.Series(found, dtype=pl.String))
    study = pl.lit("s") + frame["study_id"].cast(pl.String)
    return pl.DataFrame({"study": frame.select(study).to_series(), "text": conclusion})


def _walk(source, order, root, cache, progress, refresh, what: str) -> pl.DataFrame:
    """The readable reports of a source in the official script's order (see :func:`official_sections`)."""
    if isinstance(source, (pl.DataFrame, pl.LazyFrame)):
        frame = source.lazy().collect() if isinstance(source, pl.LazyFrame) else source
        require_columns(frame, ["study_id", "text"], what)
        kind = "frame"
        root = None if root is None else Path(root)
    else:
        frame = read_reports(source, cache=cache, progress=progress, refresh=refresh)
        p = Path(source).expanduser()
        kind = "folder" if p.is_dir() else "zip"
        if kind == "folder":
            root = p.parent if p.name == "files" and not (p / "files").is_dir() else p
    if order == "auto":
        order = {"folder": "listdir", "zip": "sorted", "frame": "keep"}[kind]
    if order not in ("listdir", "sorted", "keep"):
        raise ValueError(f"order must be 'auto', 'listdir', 'sorted' or 'keep', not {order!r}")
    frame = frame.filter(pl.col("text").is_not_null())
    if order == "listdir":
        if root is None or "path" not in frame.columns:
            raise ReportReadError(
                "order='listdir' lists the patient folders: pass a dataset folder, or a frame with a path "
                "column and root="
            )
        folder = pl.col("path").str.replace(r"/[^/]*$", "")
        frame = frame.with_columns(_listdir_rank(root.resolve(), frame["path"]).alias("_rank"))
        frame = frame.sort(folder, "_rank", maintain_order=True, nulls_last=True)
    elif order == "sorted":
        frame = frame.sort([c for c in ("subject_id", "study_id") if c in frame.columns], maintain_order=True)
    return frame


def sectioned_rows(sections: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """The kit's own sections (:func:`~cxrkit.reports.read_sections`) in the shape of the official file:
    :data:`OFFICIAL_COLUMNS`, one row per report in the frame's order, for :func:`write_sectioned_csv`.

    The kit's ``impression`` of a report without findings or impression is its last paragraph (both columns
    hold it); no study is left out.

    Examples
    --------
    >>> from cxrkit.reports import sections_frame
    >>> df = sections_frame(pl.DataFrame({"study_id": [50000001], "text": ["Impression: Clear."]}))
    >>> sectioned_rows(df).row(0)
    ('s50000001', 'Clear.', None, None, None)
    """
    require_columns(sections, ["study_id", *_OUT], "sectioned_rows")
    frame = sections.lazy().collect() if isinstance(sections, pl.LazyFrame) else sections
    return frame.select((pl.lit("s") + pl.col("study_id").cast(pl.String)).alias("study"), *_OUT)


def write_sectioned_csv(frame: pl.DataFrame, path: str | os.PathLike) -> Path:
    """Write the rows of :func:`official_sections` as the official script writes ``mimic_cxr_sectioned.csv``.

    The same settings: Python's ``csv.writer`` with its default dialect (fields quoted only when they hold a
    comma, a quote or a line break; quotes doubled; ``\\r\\n`` after each row, line breaks inside fields
    kept as ``\\n``), a header row of :data:`OFFICIAL_COLUMNS`, absent sections written empty, UTF-8. That is
    the file the official script writes on Linux or macOS (on Windows its text mode turns each ``\\n`` into
    ``\\r\\n``). The official script writes no file at all for a corpus without reports; this writes the
    header alone.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "mimic_cxr_sectioned.csv"
    >>> rows = pl.DataFrame({"study": ["s1"], "impression": ['Say "a", b.'], "findings": [None],
    ...                      "last_paragraph": [None], "comparison": [""]})
    >>> write_sectioned_csv(rows, out).read_bytes()
    b'study,impression,findings,last_paragraph,comparison\\r\\ns1,"Say ""a"", b.",,,\\r\\n'
    """
    require_columns(frame, OFFICIAL_COLUMNS, "write_sectioned_csv")
    out = Path(path)
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(OFFICIAL_COLUMNS)
        writer.writerows(frame.select(OFFICIAL_COLUMNS).iter_rows())
    return out


def write_conclusion_csvs(
    frame: pl.DataFrame, folder: str | os.PathLike, *, split: bool = True
) -> list[Path]:
    """Write :func:`official_conclusions` as the official script does: no header, ``study,text`` rows with
    the settings of :func:`write_sectioned_csv`; ``split``: ``mimic_cxr_00.csv``, ``mimic_cxr_01.csv``, ...
    of 10,000 rows each (the script's default), else one ``mimic_cxr_sections.csv`` (its ``--no_split``).

    Examples
    --------
    >>> import tempfile
    >>> rows = pl.DataFrame({"study": ["s1", "s2"], "text": ["Clear.", ""]})
    >>> [p.name for p in write_conclusion_csvs(rows, tempfile.mkdtemp())]
    ['mimic_cxr_00.csv']
    """
    require_columns(frame, ["study", "text"], "write_conclusion_csvs")
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    rows = frame.select("study", "text").rows()
    parts = [
        (out / f"mimic_cxr_{i // 10000:02d}.csv", rows[i : i + 10000]) for i in range(0, len(rows), 10000)
    ]
    if not split:
        parts = [(out / "mimic_cxr_sections.csv", rows)]
    for path, chunk in parts:
        with open(path, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(chunk)
    return [p for p, _ in parts]


# --- where the kit's sections differ from the official file ------------------------------------------------

_KIT_WS = "[ \t\n\r\x0c\x0b\xa0]+"  # the kit's whitespace normalisation (cxrkit.reports.sections)


def _describe(rule: str) -> str:
    head, *mods = rule.split(", ")
    parts = [SECTION_RULES.get(head, head), *(HEADER_MODIFIERS.get(m, m) for m in mods)]
    return f"{rule} ({'; '.join(parts)})"


def _where(text: str | None, rows: list[tuple[str, str]]) -> list[str]:
    """The names of the rows whose text holds ``text`` or is held by it."""
    if not text:
        return []
    return sorted({name for name, t in rows if t and (text in t or t in text)})


def _reason(column: str, kit: str | None, official: str | None, report: str | None, study_id: int) -> str:
    if report is None:
        return "no report text to explain the difference (pass sections with a text column)"
    explained = explain_sections(report)
    kit_rows = [(r["section"], r["text"] or "") for r in explained]
    rules = sorted({r["rule"] for r in explained if r["section"] == column})
    official_rows = [(n, re.sub(_KIT_WS, " ", t).strip(" ")) for n, t in official_split(report)]
    same_name = sum(n == column for n, _ in official_rows)
    if kit is not None and official is None:
        for r in explained:
            if (
                r["section"] == column
                and r["header"]
                and re.search(r"\n [A-Z ()/,-]+:\n[ \t]*" + re.escape(r["header"]), report)
            ):
                return (
                    f"the official parser misses the header {r['header']!r}: it is just below a header "
                    "whose colon ends its line"
                )
        where = _where(kit, official_rows)
        return (
            "kit: "
            + "; ".join(map(_describe, rules))
            + (
                f"; the official parser has this text in {', '.join(where)}"
                if where
                else "; not in the official's"
            )
        )
    if kit is None:
        where = _where(official, kit_rows)
        names = ", ".join(
            f"{n} ({'; '.join(sorted({r['rule'] for r in explained if r['section'] == n}))})" for n in where
        )
        return f"the kit has this text in {names}" if where else "the kit drops this text"
    if same_name > 1 and len([r for r in explained if r["section"] == column]) > 1:
        return f"the official parser keeps the last of {same_name} {column} sections, the kit joins them"
    extra_official = sorted({n for n, t in kit_rows if n != column and t and t in official and t not in kit})
    extra_kit = sorted({n for n, t in official_rows if n != column and t and t in kit and t not in official})
    if extra_official:
        named = ", ".join(
            f"{n} ({'; '.join(sorted({r['rule'] for r in explained if r['section'] == n}))})"
            for n in extra_official
        )
        return f"the official {column} runs on into text the kit puts in {named}"
    if extra_kit:
        return f"the kit's {column} holds text the official parser puts in {', '.join(extra_kit)}"
    return "the texts differ; kit: " + "; ".join(map(_describe, rules))


def diff_official(
    sections: pl.DataFrame | pl.LazyFrame,
    official: pl.DataFrame | pl.LazyFrame | str | os.PathLike,
    *,
    whitespace: bool = False,
) -> pl.DataFrame:
    """Where the kit's sections and the official file differ, and why: one row per study and column.

    Parameters
    ----------
    sections
        The kit's sections (:func:`~cxrkit.reports.read_sections`, best with ``keep_text=True``: the reasons
        come from :func:`~cxrkit.reports.explain_sections` and :func:`official_split` on each report's text).
    official
        :func:`official_sections` rows, or a ``mimic_cxr_sectioned.csv`` file.
    whitespace
        Also list texts that differ only in whitespace (the official file keeps line breaks; the kit makes
        every run of whitespace one space). An empty official text counts as absent (the CSV cannot tell).

    Returns
    -------
    polars.DataFrame
        ``study_id, column, kit, official, reason``, by study then column; a study in one frame only has
        ``column`` null.

    Examples
    --------
    >>> from cxrkit.reports import sections_frame
    >>> text = " FINAL REPORT\\n FINDINGS: Clear.\\n  Impression: Normal.\\n"
    >>> kit = sections_frame(pl.DataFrame({"study_id": [50000001], "text": [text]}))
    >>> off = official_sections(kit.select("study_id", "text"))
    >>> diff = diff_official(kit, off)
    >>> diff.select("column", "kit", "official").rows()
    [('impression', 'Normal.', None), ('findings', 'Clear.', 'Clear. Impression: Normal.')]
    >>> print(diff["reason"][0])  # doctest: +ELLIPSIS
    kit: header, mixed case, indent (an upper-case header named as its section (FINDINGS:); a known header...
    >>> print(diff["reason"][1])
    the official findings runs on into text the kit puts in impression (header, mixed case, indent)
    """
    if isinstance(official, (str, os.PathLike)):
        official = pl.read_csv(official, infer_schema=False)
    off = official.lazy().collect() if isinstance(official, pl.LazyFrame) else official
    kit = sections.lazy().collect() if isinstance(sections, pl.LazyFrame) else sections
    require_columns(off, OFFICIAL_COLUMNS, "diff_official (official)")
    require_columns(kit, ["study_id", *_OUT], "diff_official (sections)")
    norm = [
        pl.col(c).str.replace_all(_KIT_WS, " ").str.strip_chars(" ").replace("", None)
        if not whitespace
        else pl.col(c)
        for c in _OUT
    ]
    off = off.select(pl.col("study").str.slice(1).cast(pl.Int64).alias("study_id"), *norm)
    has_text = "text" in kit.columns
    kit = kit.select("study_id", *_OUT, *(["text"] if has_text else []))
    both = kit.join(off, on="study_id", how="full", suffix="__official", coalesce=True)
    both = both.with_columns(
        pl.col("study_id").is_in(kit["study_id"].implode()).alias("_kit"),
        pl.col("study_id").is_in(off["study_id"].implode()).alias("_off"),
    )
    differs = pl.any_horizontal(pl.col(c).ne_missing(pl.col(f"{c}__official")) for c in _OUT)
    both = both.filter(~(pl.col("_kit") & pl.col("_off")) | differs)  # only these need a reason
    out = []
    for row in both.iter_rows(named=True):
        report = row.get("text")
        if not (row["_kit"] and row["_off"]):
            special = (
                row["study_id"] in OFFICIAL_SECTION_OVERRIDES or row["study_id"] in OFFICIAL_SPAN_OVERRIDES
            )
            why = (
                "special-cased by the official script: left out of its file"
                if special and row["_kit"]
                else ("not in the official file" if row["_kit"] else "not in the kit's sections")
            )
            out.append((row["study_id"], None, None, None, why))
            continue
        for c in _OUT:
            k, o = row[c], row[f"{c}__official"]
            if k != o:
                out.append((row["study_id"], c, k, o, _reason(c, k, o, report, row["study_id"])))
    schema = {
        "study_id": pl.Int64,
        "column": pl.String,
        "kit": pl.String,
        "official": pl.String,
        "reason": pl.String,
    }
    return pl.DataFrame(out, schema=schema, orient="row").sort("study_id", maintain_order=True)
