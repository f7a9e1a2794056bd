"""Rows 7-10: report ingest into the sections frame and term frequencies, cxrkit against Python loops.

Row 7: the sections frame of all 227,835 reports of the ``files/`` tree, first time (empty cache), against a
loop that opens each file and splits it into sections with a per-report regex (:func:`split_sections`, what a
user writes after the official ``section_parser.py``: its header regex, a few synonyms, its last-paragraph
rule, skipping an addendum above a line of underscores). On the demo corpus it gives exactly the kit's
findings and impression (checked on every report, every run). A loop calling the kit's own per-report parser
(:func:`cxrkit.reports.parse_sections`, which handles more cases: mixed-case headers, sub-headings, wet reads)
would be a much slower baseline (about 0.3 ms a report against 0.04 ms), so it is not used.
Row 8: the sections frame again (cache warm), against the same loop.
Row 9: the sections frame straight from ``mimic-cxr-reports.zip`` (empty cache), against the files loop.
Row 10: term frequencies of the findings section over all reports, against ``collections.Counter``.
Row 14: the official ``mimic_cxr_sectioned.csv`` rows (:func:`cxrkit.reports.official_sections`) from the
cached corpus, against a loop applying the official parser's rules to each report
(:func:`cxrkit.reports.official_row`, what ``create_section_files.py`` does per report, less file reads).
"""

from __future__ import annotations

import glob
import hashlib
import os
import re
from pathlib import Path

from .harness import Group, Line, Side, module_available


def _available() -> str | None:
    why = module_available("cxrkit.reports", "read_reports", "sections_frame", "parse_sections")
    return why


def _terms_available() -> str | None:
    return _available() or module_available("cxrkit.text", "term_frequencies")


def _sections_answer(rows) -> tuple[str, str]:
    """Digest of (study_id, findings, impression) over all reports, plus counts (missing: empty)."""
    rows = sorted(
        (int(s), f if isinstance(f, str) else "", i if isinstance(i, str) else "") for s, f, i in rows
    )
    h = hashlib.sha256()
    for s, f, i in rows:
        h.update(f"{s}\x1f{f}\x1f{i}\x1e".encode())
    n_f = sum(1 for _, f, _ in rows if f)
    n_i = sum(1 for _, _, i in rows if i)
    return h.hexdigest(), f"{len(rows)} reports, findings in {n_f}, impression in {n_i}"


def _kit_sections_answer(df) -> tuple[str, str]:
    if "error" in df.columns and df["error"].is_not_null().any():
        raise RuntimeError(f"kit report errors: {df.filter(df['error'].is_not_null())['error'][0]}")
    return _sections_answer(df.select("study_id", "findings", "impression").iter_rows())


def _base_sections_answer(df) -> tuple[str, str]:
    cols = [df[c] if c in df else [None] * len(df) for c in ("study_id", "findings", "impression")]
    return _sections_answer(zip(*cols, strict=True))


# --- cxrkit --------------------------------------------------------------------------------------------


def kit_sections(source: str, cache: str):
    from cxrkit import reports

    if hasattr(reports, "read_sections"):
        return reports.read_sections(source, cache=cache, progress=False)
    return reports.sections_frame(reports.read_reports(source, cache=cache, progress=False))


def _kit(source_key: str, *, cached: bool):
    def prepare(ctx):
        from cxrkit import reports  # noqa: F401 - imported before timing

        source = ctx[source_key]
        if cached:
            cache = str(Path(ctx["warm_cache"]) / f"reports-{source_key}")
            kit_sections(source, cache)  # warm: the first ingest fills the cache before timing
        else:
            cache = ctx["fresh"]
        return lambda: kit_sections(source, cache)

    return prepare


# --- baselines -----------------------------------------------------------------------------------------

_STUDY_RE = re.compile(r"s(\d{8})\.txt$")


def report_paths(root: str) -> list[str]:
    return sorted(glob.glob(os.path.join(root, "files", "p1*", "p1*", "s*.txt")))


def read_every_report(ctx: dict) -> None:
    """Warm-up: every report file and the zip read once, so no side pays for reading them cold."""
    for path in report_paths(ctx["tables"]) + [ctx["reports_zip"]]:
        with open(path, "rb") as fh:
            while fh.read(1 << 20):
                pass


#: The official parser's header rule: a newline, a space, upper-case words, a colon.
HEADER_RE = re.compile(r"\n ([A-Z][A-Z ()/,-]+):")
#: The official parser's last-paragraph rule: the text after the first blank line of the last section.
BLANK_RE = re.compile(r"(?s)^(.*?)\n[ \t]*\n(.*)$")
RULE_RE = re.compile(r"\n[ \t]*_{10,}[ \t]*\n")
TITLE_RE = re.compile(r"(?s)^[ \t\n]*FINAL REPORT[ \t]*\n(.*)$")
#: Sections that trail a report's body (notes and recommendations);
#: the last paragraph is looked for before them.
TRAILING = {"notification", "recommendation", "recommendations", "recommendation(s)", "addendum", "wet read"}
SYNONYMS = {
    "clinical history": "history",
    "reason for exam": "indication",
    "conclusion": "impression",
    "findings and impression": "impression",
    "impressions": "impression",
    "finding": "findings",
    "finidngs": "findings",  # typos real reports have (the kit folds near-misses of known names)
    "impresson": "impression",
}
#: Headers naming the study ("CHEST, TWO VIEWS:", "PORTABLE AP CHEST:") head the findings of older reports.
STUDY_TITLE_RE = re.compile(r"\b(chest|views?|radiographs?)\b")


def split_sections(text: str) -> dict[str, str]:
    """Sections of one report, as a user would write it after the official ``section_parser.py``: split on the
    header regex (below an addendum's line of underscores), fold a few synonyms (and headers naming the
    study into findings), collapse whitespace; with neither findings nor impression, the text after
    the first blank line of the last section (or after the FINAL REPORT title) is the impression."""
    below = RULE_RE.search(text)  # an addendum or wet read sits above a line of underscores
    if below:
        text = text[below.end() :]
    parts = HEADER_RE.split("\n" + text)
    pieces = [("preamble", parts[0])]
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        key = name.strip().lower()
        key = SYNONYMS.get(key, "findings" if STUDY_TITLE_RE.search(key) else key)
        pieces.append((key, body))
    out: dict[str, str] = {}
    kept = []
    for key, body in pieces:
        flat = " ".join(body.split())
        if key in ("findings", "impression") and not flat:
            continue
        kept.append((key, body))
        if flat:
            out[key] = f"{out[key]} {flat}" if key in out else flat
    last = [(key, body) for key, body in kept if key not in TRAILING]
    if "findings" not in out and "impression" not in out and last:
        key, body = last[-1]
        m = BLANK_RE.match(body)
        rest = " ".join(m.group(2).split()) if m else ""
        if not rest and key == "preamble":
            m = TITLE_RE.match(body)
            rest = " ".join(m.group(1).split()) if m else ""
        if rest:
            out["impression"] = rest
    return out


def loop_sections(root: str):
    """Open each report file, split it into sections with :func:`split_sections`, collect a pandas frame."""
    import pandas as pd

    rows = []
    for path in report_paths(root):
        with open(path, encoding="utf-8", errors="replace") as fh:
            sections = split_sections(fh.read())
        rows.append({"study_id": int(_STUDY_RE.search(path).group(1)), **sections})
    return pd.DataFrame(rows)


def _base(fn):
    def prepare(ctx):
        import pandas  # noqa: F401 - imported before timing

        from cxrkit import reports  # noqa: F401

        root = ctx["tables"]
        return lambda: fn(root)

    return prepare


# --- the strong side: the official parser's loops, and the floors ----------------------------------------


def official_files(root: str):
    """The official parser's per-report loop over the files: read each file, cut it with the official rules
    (:func:`cxrkit.reports.official_row`, what ``create_section_files.py`` does per report)."""
    from cxrkit.reports import official_row

    rows = []
    for path in report_paths(root):
        with open(path, encoding="utf-8", errors="replace") as fh:
            row = official_row(fh.read())
        rows.append((int(_STUDY_RE.search(path).group(1)), row["findings"], row["impression"]))
    return rows


def official_zip(zip_path: str):
    """The same loop over ``mimic-cxr-reports.zip`` with ``zipfile``: each report member read and cut."""
    import zipfile

    from cxrkit.reports import official_row

    rows = []
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            m = _STUDY_RE.search(info.filename)
            if m is None:
                continue
            row = official_row(zf.read(info).decode("utf-8", errors="replace"))
            rows.append((int(m.group(1)), row["findings"], row["impression"]))
    return rows


def read_floor(root: str) -> tuple[int, int]:
    """The floor of an ingest from files: list them as the loops do, open each and read its bytes."""
    n = total = 0
    for path in report_paths(root):
        with open(path, "rb") as fh:
            total += len(fh.read())
        n += 1
    return n, total


def zip_members(zip_path: str) -> list[tuple[int, int]]:
    """Where each deflated member's bytes start and how many there are (from ``zipfile``'s directory and the
    local headers), read before timing: the inflate floor then does nothing but read and inflate."""
    import struct
    import zipfile

    out = []
    with zipfile.ZipFile(zip_path) as zf, open(zip_path, "rb") as fh:
        for info in zf.infolist():
            if not _STUDY_RE.search(info.filename) or info.compress_type != zipfile.ZIP_DEFLATED:
                continue
            fh.seek(info.header_offset + 26)
            nlen, elen = struct.unpack("<HH", fh.read(4))
            out.append((info.header_offset + 30 + nlen + elen, info.compress_size))
    return out


def _floor_zip(ctx):
    import zlib

    zip_path = ctx["reports_zip"]
    members = zip_members(zip_path)

    def run():
        with open(zip_path, "rb") as fh:
            data = memoryview(fh.read())
        total = 0
        for start, size in members:
            total += len(zlib.decompress(data[start : start + size], -15))
        return len(members), total

    return run


def _official(fn, key: str):
    def prepare(ctx):
        from cxrkit import reports  # noqa: F401 - imported before timing

        source = ctx[key]
        return lambda: fn(source)

    return prepare


def _official_sections_answer(rows) -> tuple[str, str]:
    return _sections_answer(rows)


def _floor_answer(result) -> tuple[list[int], str]:
    n, total = result
    return [n, total], f"{n} reports, {total / 2**20:.0f} MiB"


def _parquet_peer(ctx):
    """A user who saved the sections frame as parquet themselves reads it back."""
    import polars as pl

    path = _saved_sections(ctx)
    return lambda: pl.read_parquet(path)


def _parquet_floor(ctx):
    """Reading the bytes of that parquet file."""
    path = _saved_sections(ctx)

    def run():
        with open(path, "rb") as fh:
            return 1, len(fh.read())

    return run


def _saved_sections(ctx) -> Path:
    path = Path(ctx["warm_cache"]) / "sections-saved.parquet"
    if not path.exists():
        frame = kit_sections(ctx["tables"], str(Path(ctx["warm_cache"]) / "reports-tables"))
        tmp = path.with_suffix(".tmp")
        frame.write_parquet(tmp, compression="lz4")
        tmp.replace(path)
    return path


# --- term frequencies ----------------------------------------------------------------------------------


def _kit_terms(ctx):
    from cxrkit import text

    sections = kit_sections(ctx["tables"], str(Path(ctx["warm_cache"]) / "reports-tables"))
    return lambda: text.term_frequencies(sections, column="findings")


def counter_terms(findings: list[str | None], stop_words: frozenset[str]):
    """Lower-case each findings text, find its words, drop stop words, count with a Counter."""
    from collections import Counter

    counts: Counter[str] = Counter()
    for text in findings:
        if text:
            counts.update(w for w in WORD_RE.findall(text.lower()) if w not in stop_words)
    return counts


#: The kit's word rule (letters, an inner apostrophe); the same stop list, so the answers can be compared.
WORD_RE = re.compile(r"[a-z]+(?:'[a-z]+)?")


def _base_terms(ctx):
    sections = kit_sections(ctx["tables"], str(Path(ctx["warm_cache"]) / "reports-tables"))
    findings = sections["findings"].to_list()  # the user's list of findings texts (from their loop)
    del sections
    from cxrkit.text import STOP_WORDS

    return lambda: counter_terms(findings, STOP_WORDS)


def _terms_answer(counts: dict) -> tuple[list, str]:
    items = sorted(counts.items())
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
    return items, f"{len(items)} terms, top {', '.join(f'{k} {v}' for k, v in top)}"


def _kit_terms_answer(df) -> tuple[list, str]:
    cols = df.columns
    term = next(c for c in cols if df[c].dtype == __import__("polars").String)
    count = next(c for c in cols if df[c].dtype.is_integer())
    return _terms_answer(dict(zip(df[term].to_list(), df[count].to_list(), strict=True)))


def _base_terms_answer(counts) -> tuple[list, str]:
    return _terms_answer(dict(counts))


# --- the official sectioned file ----------------------------------------------------------------------------


def _official_available() -> str | None:
    return _available() or module_available("cxrkit.reports", "official_sections", "official_row")


def _corpus(ctx):
    from cxrkit import reports

    cache = str(Path(ctx["warm_cache"]) / "reports-tables")
    return reports.read_reports(ctx["tables"], cache=cache, progress=False).select(
        "subject_id", "study_id", "text"
    )


def _kit_official(ctx):
    from cxrkit import reports, tables

    frame = _corpus(ctx)
    tables.wait_for_cache_writes()  # the first repetition's corpus entry is written in the background
    return lambda: reports.official_sections(frame, order="sorted")


def _loop_official(ctx):
    from cxrkit import reports

    frame = _corpus(ctx).sort("subject_id", "study_id")
    special = set(reports.OFFICIAL_SECTION_OVERRIDES) | set(reports.OFFICIAL_SPAN_OVERRIDES)
    pairs = [(s, t) for s, t in frame.select("study_id", "text").iter_rows() if s not in special]

    def run():
        return [(f"s{s}", *reports.official_row(t).values()) for s, t in pairs]

    return run


def _official_answer(rows) -> tuple[str, str]:
    h = hashlib.sha256()
    n = 0
    for row in rows:
        h.update("\x1f".join("\x00" if v is None else v for v in row).encode() + b"\x1e")
        n += 1
    return h.hexdigest(), f"{n} rows"


def _kit_official_answer(df) -> tuple[str, str]:
    return _official_answer(df.iter_rows())


KIT = ("cxrkit.reports",)
_FILES = "report ingest of every report file into the sections frame, first time"
_ZIP = "report ingest straight from `mimic-cxr-reports.zip`, first time"
_CACHED = "the sections frame again (cached)"
STRONG_7_9 = [
    Line(
        "7p",
        _FILES,
        "the official parser's loop: read each file, `official_row` (its rules) per report",
        "kit-first",
        "official-files",
        None,
        "(reported)",
        kind="peer",
        same_answer=False,
    ),
    Line(
        "7f",
        _FILES,
        "floor: open every report file and read its bytes",
        "kit-first",
        "read-floor",
        1.5,
        "<= 1.5 (issue 21)",
        kind="floor",
        same_answer=False,
        why_not_met=(
            "One thread reads the files (os.open/os.read: less per file than the floor's file objects) and "
            "hands each chunk to finishing threads that cut its sections (about 3 s of CPU for all reports, "
            "in polars) and write its parquet file of the cache entry (about 1 s): on 2 cores that work does "
            "not fit under the reading, and the floor does none of it."
        ),
    ),
    Line(
        "8p",
        _CACHED,
        "a user's own parquet file of the sections frame, `pl.read_parquet`",
        "kit-cached",
        "parquet",
        None,
        "(reported)",
        kind="peer",
    ),
    Line(
        "8f",
        _CACHED,
        "floor: read that parquet file's bytes",
        "kit-cached",
        "parquet-bytes",
        None,
        "(reported)",
        kind="floor",
        same_answer=False,
    ),
    Line(
        "9p",
        _ZIP,
        "the official parser's loop over the zip: `zipfile` reads each member, `official_row` per report",
        "kit-zip",
        "official-zip",
        None,
        "(reported)",
        kind="peer",
        same_answer=False,
    ),
    Line(
        "9f",
        _ZIP,
        "floor: read the zip and inflate every member with `zlib` (offsets known beforehand)",
        "kit-zip",
        "inflate-floor",
        1.3,
        "<= 1.3 (issue 21)",
        kind="floor",
        same_answer=False,
        why_not_met=(
            "The floor only inflates (about 1.3 s); the ingest also cuts the sections (about 3 s of CPU) and "
            "writes the cache entry (about 1 s), which on 2 cores bound the time: the reading thread waits "
            "for the finishing threads. Only a cheaper sectioning moves it (the regex passes of "
            "sections_frame over each chunk)."
        ),
    ),
]

GROUPS = {
    "sections": Group(
        name="sections",
        title="Report ingest of every report into the sections frame",
        needs=("reports",),
        available=_available,
        reps=3,
        quick_reps=1,
        warm_up=read_every_report,
        sides=[
            Side(
                "kit-first",
                _kit("tables", cached=False),
                _kit_sections_answer,
                fresh_dir=True,
                imports=KIT,
            ),
            Side("kit-cached", _kit("tables", cached=True), _kit_sections_answer, imports=KIT),
            Side(
                "kit-zip",
                _kit("reports_zip", cached=False),
                _kit_sections_answer,
                fresh_dir=True,
                imports=KIT,
            ),
            Side("loop", _base(loop_sections), _base_sections_answer, imports=("pandas", "cxrkit.reports")),
            Side(
                "official-files", _official(official_files, "tables"), _official_sections_answer, imports=KIT
            ),
            Side(
                "official-zip", _official(official_zip, "reports_zip"), _official_sections_answer, imports=KIT
            ),
            Side("read-floor", _official(read_floor, "tables"), _floor_answer),
            Side("inflate-floor", _floor_zip, _floor_answer),
            Side("parquet", _parquet_peer, _kit_sections_answer, imports=("polars",)),
            Side("parquet-bytes", _parquet_floor, _floor_answer),
        ],
        lines=[
            Line(
                "7",
                "report ingest of every report file into the sections frame, first time",
                "loop: open each file, split sections with a per-report regex (official-parser style)",
                "kit-first",
                "loop",
                1.0,
                "<= 1.0",
                why_not_met=(
                    "One reading thread (more only when a chunk read alone waits on the disk) opens the "
                    "227,835 files and hands each chunk to finishing threads (sections, the cache entry's "
                    "file); the files are read once before the repetitions, so no side reads them cold. A "
                    "median near 1 means the machine was loaded: the kit needs both cores for the sections "
                    "and the entry (about 4 s of CPU), the loop one."
                ),
            ),
            Line(
                "8",
                "the sections frame again (cached)",
                "the loop of row 7",
                "kit-cached",
                "loop",
                0.05,
                "<= 0.05",
                why_not_met=(
                    "A cached call reads the parquet entry (about 30 ms) after checking that the folder has "
                    "not changed: the corpus key stats the pNN group folders and, for each group, its "
                    "patient folders (one stat each, about 0.1-0.3 s for 65,379), unless the group's "
                    "stamp in the cache says nothing under it changed."
                ),
            ),
            Line(
                "9",
                "report ingest straight from `mimic-cxr-reports.zip`, first time",
                "the files loop of row 7",
                "kit-zip",
                "loop",
                0.5,
                "<= 0.5",
                why_not_met=(
                    "One thread inflates the members while finishing threads cut the chunks already read and "
                    "write the cache entry chunk by chunk (the entry is complete on return; it was written "
                    "in the background, after the clock, until issue 21): the sections and the entry bound "
                    "the time. Above the target means a loaded machine: they need both cores."
                ),
            ),
            *STRONG_7_9,
        ],
    ),
    "terms": Group(
        name="terms",
        title="Term frequencies of the findings section over all reports",
        needs=("reports",),
        available=_terms_available,
        reps=3,
        quick_reps=1,
        sides=[
            Side("kit", _kit_terms, _kit_terms_answer),
            Side("counter", _base_terms, _base_terms_answer),
        ],
        lines=[
            Line(
                "10",
                "term frequencies of the findings section over all reports",
                "`collections.Counter` over the split words of each findings text",
                "kit",
                "counter",
                0.2,
                "<= 0.2",
                why_not_met=(
                    "`term_frequencies` extracts every token with a regex, explodes them to one row each "
                    "(millions of rows), drops stop words with `is_in` on every token, then groups. What it "
                    "would take: count first and drop stop words from the few hundred distinct terms after "
                    "the group-by, and avoid materialising the exploded token column (e.g. count per chunk)."
                ),
            ),
        ],
    ),
    "official": Group(
        name="official",
        title="The official mimic_cxr_sectioned.csv rows from the cached corpus",
        needs=("reports",),
        available=_official_available,
        reps=3,
        quick_reps=1,
        sides=[
            Side("kit", _kit_official, _kit_official_answer),
            Side("loop", _loop_official, _official_answer),
        ],
        lines=[
            Line(
                "14",
                "the official sectioned file's rows for every report, from the cached corpus",
                "loop: the official parser's rules applied to each report (official_row)",
                "kit",
                "loop",
                0.35,
                "<= 0.35",
                why_not_met=(
                    "The pass is one regex replace marking the headers and a split into 2.1M pieces (about "
                    "45% of it), then rules 5-7 on the pieces they concern (numpy masks, one strip per "
                    "column kept), in one thread per core; the loop costs about 7 us a report. Near 0.35 "
                    "a loaded machine flips it: the kit uses both cores, the loop one."
                ),
            ),
        ],
    ),
}


#: What bounds each row now (rendered in results.md for every row).
BOUNDS = {
    "7": (
        "The CPU of 2 cores: one thread reads the files through their descriptors (os.open/os.read, "
        "no file objects: cheaper per file than the floor's loop), more only when a chunk read "
        "alone waits on the disk (a cold page cache: 20-28 s with four readers, 35-55 s with one); "
        "finishing threads cut the sections (about 3 s of CPU) and write each chunk's parquet file "
        "of the cache entry (about 1 s). Peak memory: the frame returned (about 210 MiB resident: "
        "122 MiB of strings plus a 16-byte view per string cell) and about 80 MiB of polars' and "
        "the allocators' working memory; the texts are never all held (each chunk is written, then "
        "cut to the caller's columns). What would move it: a cheaper sectioning."
    ),
    "8": (
        "The corpus key: one `fstatat` per patient folder (65,379), relative to its open `pNN` "
        "folder, in threads, then the parquet entry read without its text column (about 30 ms). The "
        "stats are the price of never answering from a stale cache: a study added to an existing "
        "patient changes that patient folder's mtime and nothing above it, so no cheaper sound "
        "check exists on a plain filesystem."
    ),
    "9": (
        "The sections and the cache entry (about 4 s of CPU on 2 cores), not the inflating: one "
        "thread inflates and decodes the members, a chunk at a time, and waits for the finishing "
        "threads; the floor (line 9f) is the inflate loop alone. Peak memory: the frame as in row "
        "7, plus the zip's directory (about 80 MiB of member names as Python strings while it is "
        "parsed, and polars' copies in report_members)."
    ),
}
for _group in GROUPS.values():
    for _line in _group.lines:
        _line.bound = BOUNDS.get(_line.id, _line.bound)
