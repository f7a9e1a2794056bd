"""Rows 7-10: report ingest into the sections frame and term frequencies, cxrkit against Python loops.

Row 7: the sections frame of all 227,835 reports of the ``files/`` tree, first time (empty cache), against a
loop that opens each file and splits it into sections with a per-report regex. To produce the same answer the
loop applies the kit's own per-report rules (:func:`cxrkit.reports.parse_sections`: the official parser's
header regex, synonyms, wet reads, sub-headings, last paragraph); row 7n adds, for reference, a simpler loop
in the style of the official ``section_parser.py`` (one ``re.split`` and a synonym table): faster, but its
answers differ on reports those extra rules handle.
Row 8: the sections frame again (cache warm), against the same loop.
Row 9: the sections frame straight from ``mimic-cxr-reports.zip`` (empty cache), against the files loop.
Row 10: term frequencies of the findings section over all reports, against ``collections.Counter``.
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
    """Digest of (study_id, findings, impression) over all reports, plus counts."""
    rows = sorted((int(s), f or "", i or "") for s, f, i in rows)
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
    return _sections_answer(zip(df["study_id"], df["findings"], df["impression"], strict=True))


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


def loop_sections(root: str):
    """Open each report, split it into sections with the per-report regex rules, collect a frame."""
    import pandas as pd
    from cxrkit.reports import parse_sections

    rows = []
    for path in report_paths(root):
        with open(path, encoding="utf-8", errors="replace") as fh:
            sections = parse_sections(fh.read())
        rows.append({"study_id": int(_STUDY_RE.search(path).group(1)), **sections})
    df = pd.DataFrame(rows)
    for col in ("findings", "impression"):
        if col not in df:
            df[col] = None
    return df.astype({"findings": object, "impression": object}).where(df.notna(), None)


#: The official parser's header rule: a newline, a space, upper-case words, a colon.
NAIVE_HEADER = re.compile(r"\n ([A-Z][A-Z ()/,-]+):")
NAIVE_SYNONYMS = {"clinical history": "history", "reason for exam": "indication", "conclusion": "impression",
                  "findings and impression": "impression", "impressions": "impression"}


def naive_sections(text: str) -> dict[str, str]:
    parts = NAIVE_HEADER.split("\n" + text)
    out: dict[str, str] = {}
    for name, body in zip(parts[1::2], parts[2::2], strict=True):
        key = name.strip().lower()
        key = NAIVE_SYNONYMS.get(key, key)
        body = " ".join(body.split())
        if body:
            out[key] = f"{out[key]} {body}" if key in out else body
    return out


def naive_loop(root: str):
    import pandas as pd

    rows = []
    for path in report_paths(root):
        with open(path, encoding="utf-8", errors="replace") as fh:
            sections = naive_sections(fh.read())
        rows.append({"study_id": int(_STUDY_RE.search(path).group(1)), "findings": sections.get("findings"),
                     "impression": sections.get("impression")})
    return pd.DataFrame(rows)


def _base(fn):
    def prepare(ctx):
        import pandas  # noqa: F401 - imported before timing

        from cxrkit import reports  # noqa: F401

        root = ctx["tables"]
        return lambda: fn(root)

    return prepare


# --- term frequencies ----------------------------------------------------------------------------------


def _kit_terms(ctx):
    from cxrkit import text

    sections = kit_sections(ctx["tables"], str(Path(ctx["warm_cache"]) / "reports-tables"))
    return lambda: text.term_frequencies(sections, column="findings")


def counter_terms(findings: list[str | None]):
    from collections import Counter

    counts: Counter[str] = Counter()
    for t in findings:
        if t:
            counts.update(WORD_RE.findall(t.lower()))
    return counts


WORD_RE = re.compile(r"[a-z]+")


def _base_terms(ctx):
    sections = kit_sections(ctx["tables"], str(Path(ctx["warm_cache"]) / "reports-tables"))
    findings = sections["findings"].to_list()  # the user's list of findings texts (from their loop)
    del sections
    return lambda: counter_terms(findings)


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


GROUPS = {
    "sections": Group(
        name="sections",
        title="Report ingest of every report into the sections frame",
        needs=("reports",),
        available=_available,
        reps=3,
        quick_reps=1,
        sides=[
            Side("kit-first", _kit("tables", cached=False), _kit_sections_answer, fresh_dir=True),
            Side("kit-cached", _kit("tables", cached=True), _kit_sections_answer),
            Side("kit-zip", _kit("reports_zip", cached=False), _kit_sections_answer, fresh_dir=True),
            Side("loop", _base(loop_sections), _base_sections_answer),
            Side("naive-loop", _base(naive_loop), _base_sections_answer),
        ],
        lines=[
            Line("7", "report ingest of every report file into the sections frame, first time",
                 "loop: open each file, split sections with the per-report regex rules (`parse_sections`)",
                 "kit-first", "loop", 1.0, "<= 1.0"),
            Line("7n", "the same, against a simpler loop (official-parser-style `re.split` + synonyms)",
                 "naive loop (answers differ: no wet-read, sub-heading, mixed-case or last-paragraph rules)",
                 "kit-first", "naive-loop", None, "(reference)", same_answer=False),
            Line("8", "the sections frame again (cached)", "the loop of row 7", "kit-cached", "loop", 0.05,
                 "<= 0.05"),
            Line("9", "report ingest straight from `mimic-cxr-reports.zip`, first time", "the files loop of row 7",
                 "kit-zip", "loop", 0.5, "<= 0.5"),
        ],
    ),
    "terms": Group(
        name="terms",
        title="Term frequencies of the findings section over all reports",
        needs=("reports",),
        available=_terms_available,
        reps=5,
        quick_reps=1,
        sides=[
            Side("kit", _kit_terms, _kit_terms_answer),
            Side("counter", _base_terms, _base_terms_answer),
        ],
        lines=[
            Line("10", "term frequencies of the findings section over all reports",
                 "`collections.Counter` over the split words of each findings text", "kit", "counter", 0.2,
                 "<= 0.2"),
        ],
    ),
}
