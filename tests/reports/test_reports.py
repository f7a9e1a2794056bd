"""Reports: reading, the section rules (one test per rule, MIMIC-style inputs), the vectorised form,
ingest."""

from __future__ import annotations

import gzip
import random
import re
import threading
import zipfile
from pathlib import Path

import polars as pl
import pytest

from cxrkit import reports
from cxrkit.errors import ReportReadError
from cxrkit.reports import (
    SECTION_COLUMNS,
    corpus,
    ingest_reports,
    parse_sections,
    read_report,
    read_reports,
    read_sections,
    sections_frame,
)
from cxrkit.storage import Cache, tree

RULE = " " + "_" * 78
TITLE = " " * 33 + "FINAL REPORT"


def mimic(*lines: str) -> str:
    """A report in the MIMIC style: every line indented by one space, blank lines a single space."""
    return (
        "\n".join(TITLE if line == "TITLE" else RULE if line == "RULE" else " " + line for line in lines)
        + "\n"
    )


# --- parse_sections: the official parser's rules --------------------------------------------------------


def test_standard_report_all_sections():
    text = mimic(
        "TITLE",
        "EXAMINATION:  CHEST (PA AND LAT)",
        "",
        "INDICATION:  ___F with new onset ascites  // eval for infection",
        "",
        "TECHNIQUE:  Chest PA and lateral",
        "",
        "COMPARISON:  None.",
        "",
        "FINDINGS: ",
        "",
        "There is no focal consolidation, pleural effusion or pneumothorax.  Bilateral",
        "nodular opacities that most likely represent nipple shadows.",
        "",
        "IMPRESSION: ",
        "",
        "No acute cardiopulmonary process.",
    )
    assert parse_sections(text) == {
        "preamble": "FINAL REPORT",
        "examination": "CHEST (PA AND LAT)",
        "indication": "___F with new onset ascites // eval for infection",
        "technique": "Chest PA and lateral",
        "comparison": "None.",
        "findings": "There is no focal consolidation, pleural effusion or pneumothorax. Bilateral nodular "
        "opacities that most likely represent nipple shadows.",
        "impression": "No acute cardiopulmonary process.",
    }


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("CLINICAL HISTORY", "history"),
        ("CLINICAL INFORMATION", "history"),
        ("PATIENT HISTORY", "history"),
        ("REASON FOR EXAM", "indication"),
        ("REASON FOR EXAMINATION", "indication"),
        ("CLINICAL INDICATION", "indication"),
        ("CONCLUSION", "impression"),
        ("FINDINGS AND IMPRESSION", "impression"),
        ("FINDINGS/IMPRESSION", "impression"),
        ("COMPARISONS", "comparison"),
        ("COMPARISON EXAM", "comparison"),
        ("TYPE OF EXAMINATION", "examination"),
        ("EXAM", "examination"),
        ("RECOMMENDATION(S)", "recommendation"),
        ("RECOMMENDATIONS", "recommendation"),
        ("NOTIFICATION", "notification"),
        ("IMPRESSON", "impression"),  # typos in the official table
        ("FINIDNGS", "findings"),
        ("PROVISIONAL FINDINGS IMPRESSION (PFI)", "impression"),  # contains a main word: impression first
        ("PRIOR HISTORY", "history"),
        ("CHEST, PA AND LATERAL", "findings"),  # describes the study
        ("PORTABLE AP VIEW", "findings"),
        ("DATE", "date"),  # unknown: kept
    ],
)
def test_synonyms_fold_like_the_official_table(header, name):
    text = mimic("TITLE", "TECHNIQUE: PA and lateral.", "", f"{header}: Some text here.", "")
    out = parse_sections(text)
    assert out[name] == "Some text here."


def test_preamble_is_the_text_before_the_first_header():
    text = mimic(
        "TITLE", "PA AND LATERAL VIEWS OF THE CHEST ___", "", "INDICATION: Pain.", "", "IMPRESSION: Clear."
    )
    # the second line has no colon: it is not a header, so it is preamble
    assert parse_sections(text)["preamble"] == "FINAL REPORT PA AND LATERAL VIEWS OF THE CHEST ___"


def test_line_wrapping_is_undone_and_whitespace_normalised():
    text = mimic(
        "FINDINGS:  The heart is   normal in size.  The lungs",
        "are clear.",
        "",
        "IMPRESSION:",
        "",
        "1.  No pneumonia.",
        "2.  No effusion.",
    )
    out = parse_sections(text)
    assert out["findings"] == "The heart is normal in size. The lungs are clear."
    assert out["impression"] == "1. No pneumonia. 2. No effusion."


def test_empty_findings_title_is_dropped_like_the_official_parser():
    # p10/p10103318/s57408307 style: a study title ending in a colon, then a blank line
    text = mimic("TITLE", "CHEST, PA LATERAL:", "", "INDICATION: Cough.", "", "IMPRESSION: Normal.")
    out = parse_sections(text)
    assert "findings" not in out
    assert out["impression"] == "Normal."


def test_last_paragraph_when_neither_findings_nor_impression():
    text = mimic("TITLE", "HISTORY: Fever.", "", "The lungs are clear.  No effusion.", "", "Tube in place.")
    out = parse_sections(text)
    # official rule: the text after the first blank line of the last section
    assert out["history"] == "Fever."
    assert out["last_paragraph"] == "The lungs are clear. No effusion. Tube in place."
    # ours: it is also the impression, and the last_paragraph key says it was inferred
    assert out["impression"] == out["last_paragraph"]


def test_header_less_report_gives_impression_from_last_paragraph():
    text = mimic(
        "TITLE",
        "PORTABLE CHEST ___",
        "",
        "Comparison is made to the prior study.  There is a new",
        "right effusion.",
    )
    out = parse_sections(text)
    assert out["preamble"] == "FINAL REPORT PORTABLE CHEST ___"
    assert out["last_paragraph"] == "Comparison is made to the prior study. There is a new right effusion."
    assert out["impression"] == out["last_paragraph"]


def test_header_less_report_without_blank_line_uses_text_after_title():
    text = mimic("TITLE", "Lungs are clear.  No pneumothorax.")
    out = parse_sections(text)
    assert out == {
        "preamble": "FINAL REPORT",
        "last_paragraph": "Lungs are clear. No pneumothorax.",
        "impression": "Lungs are clear. No pneumothorax.",
    }


def test_no_last_paragraph_when_findings_exist():
    text = mimic("FINDINGS: Clear.", "", "Another paragraph.")
    assert parse_sections(text) == {"findings": "Clear. Another paragraph."}


# --- parse_sections: where we do better than the official parser -----------------------------------------


def test_wet_read_above_the_underscore_line_is_its_own_section():
    text = mimic(
        "WET READ: ___ ___ ___ 10:34 PM",
        " No acute cardiopulmonary process.",
        "RULE",
        "TITLE",
        "INDICATION: Cough.",
        "",
        "IMPRESSION: No pneumonia.",
    )
    out = parse_sections(text)
    assert out["wet_read"] == "___ ___ ___ 10:34 PM No acute cardiopulmonary process."
    assert out["preamble"] == "FINAL REPORT"
    assert out["impression"] == "No pneumonia."


def test_wet_read_version_line_without_colon():
    text = mimic(
        "WET READ VERSION #1 ___ 8:08 PM",
        " Left lower lobe opacity.",
        "RULE",
        "TITLE",
        "FINDINGS: Left lower lobe opacity.",
    )
    out = parse_sections(text)
    assert out["wet_read"] == "VERSION #1 ___ 8:08 PM Left lower lobe opacity."
    assert out["findings"] == "Left lower lobe opacity."


def test_addendum_block_and_wet_read_both_at_top():
    text = mimic(
        "ADDENDUM:",
        "Findings discussed with Dr. ___ at 4 pm.",
        "RULE",
        "WET READ: Clear lungs.",
        "RULE",
        "TITLE",
        "IMPRESSION: Clear.",
    )
    out = parse_sections(text)
    assert out["addendum"] == "Findings discussed with Dr. ___ at 4 pm."
    assert out["wet_read"] == "Clear lungs."
    assert out["preamble"] == "FINAL REPORT"


def test_headers_missing_leading_space_are_found():
    text = "FINAL REPORT\nINDICATION: Pain.\n\nFINDINGS: Clear lungs.\n\nIMPRESSION: Normal.\n"
    assert parse_sections(text) == {
        "preamble": "FINAL REPORT",
        "indication": "Pain.",
        "findings": "Clear lungs.",
        "impression": "Normal.",
    }


def test_mixed_case_headers_are_found_but_only_known_names():
    text = mimic("Indication: Pain.", "", "Findings: Clear.", "", "Impression: Normal.", "", "Lungs: clear.")
    out = parse_sections(text)
    assert out["indication"] == "Pain."
    assert out["findings"] == "Clear."
    # "Lungs:" is not a known name in mixed case: it stays part of the impression text
    assert out["impression"] == "Normal. Lungs: clear."


def test_subheadings_stay_inside_findings():
    text = mimic("FINDINGS:", "LUNGS: Clear.", "HEART: Normal size.", "", "IMPRESSION: Normal chest.")
    out = parse_sections(text)
    assert out["findings"] == "LUNGS: Clear. HEART: Normal size."
    assert out["impression"] == "Normal chest."


def test_header_right_after_header_is_not_skipped():
    # the official parser skips a header on the line right after another header
    text = mimic("INDICATION:", "IMPRESSION: Normal.")
    assert parse_sections(text) == {"impression": "Normal."}


def test_repeated_sections_are_joined():
    text = mimic("FINDINGS: One.", "", "IMPRESSION: A.", "", "FINDINGS: Two.")
    assert parse_sections(text)["findings"] == "One. Two."


# --- parse_sections: bad input --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", " ", "\n \n", TITLE, TITLE + "\n"])
def test_empty_or_title_only(text):
    out = parse_sections(text)
    assert "impression" not in out and "findings" not in out


def test_crlf_and_cr_line_endings_parse_like_lf():
    lf = mimic("INDICATION: Pain.", "", "FINDINGS: Clear", "lungs.", "", "IMPRESSION: Normal.")
    assert (
        parse_sections(lf.replace("\n", "\r\n"))
        == parse_sections(lf)
        == parse_sections(lf.replace("\n", "\r"))
    )


def test_absurdly_long_lines_do_not_hang():
    long_upper = "A" * 200_000  # an upper-case run with no colon: no catastrophic backtracking
    text = mimic("FINDINGS: " + "word " * 50_000, long_upper, "IMPRESSION: " + long_upper + " done.")
    out = parse_sections(text)
    assert out["findings"].startswith("word word")
    assert out["impression"].endswith("done.")


# --- the vectorised form agrees with the loop -------------------------------------------------------------

_WORDS = [
    "the",
    "lungs",
    "are",
    "clear",
    "no",
    "focal",
    "consolidation",
    "pleural",
    "effusion",
    "or",
    "pneumothorax",
    "heart",
    "size",
    "normal",
    "mild",
    "cardiomegaly",
    "___",
    "tube",
    "line",
    "unchanged",
    "compared",
    "with",
    "prior",
    "left",
    "right",
    "lower",
    "lobe",
    "opacity",
]
_HEADERS = [
    "EXAMINATION",
    "INDICATION",
    "HISTORY",
    "CLINICAL HISTORY",
    "REASON FOR EXAM",
    "TECHNIQUE",
    "COMPARISON",
    "FINDINGS",
    "IMPRESSION",
    "FINDINGS AND IMPRESSION",
    "CONCLUSION",
    "RECOMMENDATION(S)",
    "NOTIFICATION",
    "Impression",
    "Findings",
    "findings",
    "LUNGS",
    "NOTE",
    "DATE",
    "CHEST, PA AND LATERAL",
    "WET READ",
    "ADDENDUM",
    "IMPRESSON",
    "PROVISIONAL FINDINGS IMPRESSION (PFI)",
]


def _random_report(r: random.Random) -> str:
    indent = r.choice([" ", " ", "", "  ", "\t"])
    blank = r.choice([" ", ""])
    parts = []
    if r.random() < 0.15:
        parts += [
            indent + r.choice(["WET READ: ___ 10:34 PM", "WET READ VERSION #1", "ADDENDUM:", "ADDENDUM"]),
            "  " + " ".join(r.choices(_WORDS, k=8)) + ".",
            RULE,
        ]
    if r.random() < 0.8:
        parts.append(TITLE)
    for _ in range(r.choice([0, 0, 1, 2, 3, 5])):
        body = " ".join(r.choices(_WORDS, k=r.randint(0, 20)))
        parts.append(
            indent
            + r.choice(_HEADERS)
            + ":"
            + r.choice([" ", "\n" + blank + "\n" + indent, "\n" + indent])
            + body
        )
        if r.random() < 0.7:
            parts.append(blank)
    for _ in range(r.randint(0, 2)):
        parts.append(indent + " ".join(r.choices(_WORDS, k=r.randint(1, 15))) + ".")
        if r.random() < 0.6:
            parts.append(blank)
    text = "\n".join(parts) + r.choice(["\n", "", "\n \n"])
    return text.replace("\n", "\r\n") if r.random() < 0.05 else text


def _sections_mismatches(texts: list[str | None]) -> list[tuple]:
    frame = sections_frame(pl.DataFrame({"study_id": range(len(texts)), "text": texts}))
    assert frame.columns == ["study_id", "text", *SECTION_COLUMNS]
    assert frame["study_id"].to_list() == list(range(len(texts)))
    mismatches = []
    for text, row in zip(texts, frame.iter_rows(named=True)):
        expected = parse_sections(text) if text is not None else {}
        for name in SECTION_COLUMNS:
            if expected.get(name) != row[name]:
                mismatches.append((text, name, expected.get(name), row[name]))
    return mismatches


def test_sections_frame_agrees_with_parse_sections_on_a_varied_sample():
    r = random.Random(1234)
    texts = [_random_report(r) for _ in range(3000)] + ["", " ", TITLE, None, "x" * 5000, "FINDINGS:"]
    assert _sections_mismatches(texts) == []


def test_sections_frame_agrees_on_text_with_only_spaces_and_line_breaks():
    """Such chunks (nearly all) take a cheaper whitespace normalisation: it must give exactly the same."""
    r = random.Random(4321)
    texts = [t for t in (_random_report(r) for _ in range(4000)) if not re.search("[\t\r\x0b\x0c\xa0]", t)]
    texts += [
        "  FINDINGS:   a  \n\n  b   c \n",
        " IMPRESSION:\n\n\n   x   \n",
        "   ",
        "\n\n",
        None,
        " FINAL REPORT\n  a  b\n\n   c   d  \n",
    ]
    assert len(texts) > 3000
    assert _sections_mismatches(texts) == []
    assert _sections_mismatches(texts[:50] + ["  FINDINGS: a\xa0\xa0 b\t c \x0b\x0c d\n"]) == []


def test_sections_frame_finds_the_rare_headers_in_otherwise_plain_reports():
    """Most reports are marked with the upper-case header rule alone; the other header forms (mixed case, a
    tab
    before the colon, colon-less WET READ / ADDENDUM, lines of underscores) must still be found when they are
    the only unusual thing in a report, and look-alike lines must not be taken for headers."""
    plain = " FINAL REPORT\n INDICATION: Cough.\n \n {}\n \n FINDINGS: Clear.\n"
    odd = [
        "Impression: Normal.",
        "impression : Normal.",
        "IMPRESSION\t: Normal.",
        "Findings/Impression: x.",
        "WET READ ___ 10:34 PM",
        "WETREAD: x.",
        "ADDENDUM",
        "ADDENDUM this is late.",
        "_" * 12,
        "  __________  ",
        "Called at 10:34 to Dr. ___.",
        "Lungs: clear.",
        "IMPREſSION: x.",
        "IMPRESSİON: x.",
        "ÉTUDE: x.",
        "lungs\t: clear.",
        "Heart size: normal.",
        "WET READING: x.",
    ]
    texts = [plain.format(line) for line in odd] + [line + "\n IMPRESSION: y.\n" for line in odd]
    out = sections_frame(pl.DataFrame({"text": texts}))
    assert (
        out.filter(pl.col("text").str.contains("Impression: Normal"))["impression"].to_list()[0] == "Normal."
    )
    assert _sections_mismatches(texts) == []
    assert _sections_mismatches([]) == []


def test_sections_frame_replaces_existing_section_columns():
    df = pl.DataFrame({"text": [" IMPRESSION: Clear.\n"], "impression": ["stale"]})
    out = sections_frame(df)
    assert out.columns == ["text", *SECTION_COLUMNS]
    assert out["impression"].to_list() == ["Clear."]


def test_sections_frame_keeps_lazy_frames_lazy():
    lazy = pl.LazyFrame({"text": [" IMPRESSION: Clear.\n"]})
    out = sections_frame(lazy, keep_text=False)
    assert isinstance(out, pl.LazyFrame)
    assert out.collect()["impression"].to_list() == ["Clear."]


# --- read_report ----------------------------------------------------------------------------------------


def test_read_report_line_endings_and_stray_bytes(tmp_path):
    p = tmp_path / "s50000001.txt"
    p.write_bytes(b" FINDINGS: caf\xc3\xa9 and a stray \xe9 byte.\r\n IMPRESSION: ok.\r")
    assert read_report(p) == " FINDINGS: café and a stray é byte.\n IMPRESSION: ok.\n"


def test_read_report_gz(tmp_path):
    p = tmp_path / "s50000001.txt.gz"
    p.write_bytes(gzip.compress(b" FINDINGS: Clear.\n"))
    assert read_report(p) == " FINDINGS: Clear.\n"


def test_read_report_missing_file_names_it(tmp_path):
    with pytest.raises(ReportReadError, match="s59999999.txt"):
        read_report(tmp_path / "s59999999.txt")


def test_read_report_zip_member_and_zipfile_path(tmp_path):
    z = tmp_path / "r.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("whatever/files/p10/p10000032/s50414267.txt", b" IMPRESSION: Clear.\r\n")
    member = reports.find_zip_member(z, 10000032, 50414267)
    assert member == "whatever/files/p10/p10000032/s50414267.txt"
    assert read_report(z, member) == " IMPRESSION: Clear.\n"
    assert read_report(zipfile.Path(z, member)) == " IMPRESSION: Clear.\n"
    assert reports.find_zip_member(z, 10000032, 50000000) is None
    with pytest.raises(ReportReadError, match="no member"):
        read_report(z, "whatever/files/p10/p10000032/s50000000.txt")


# --- corpus ingest --------------------------------------------------------------------------------------

REPORTS = {
    (10000032, 50414267): mimic(
        "TITLE", "INDICATION: Cough.", "", "FINDINGS: Clear lungs.", "", "IMPRESSION: Normal."
    ),
    (10000032, 53189527): mimic("TITLE", "FINDINGS: Small left effusion.", "", "IMPRESSION: Effusion."),
    (10000764, 57375967): mimic("TITLE", "PORTABLE CHEST ___", "", "No pneumothorax."),
    (11000011, 51234567): "",  # empty report
    (12000001, 52222222): TITLE + "\n",  # title only
}


def write_tree(root: Path, extra: dict | None = None) -> Path:
    for (subject, study), text in {**REPORTS, **(extra or {})}.items():
        p = root / f"files/p{str(subject)[:2]}/p{subject}/s{study}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    # an image study folder beside the reports must be ignored
    (root / "files/p10/p10000032/s50414267").mkdir(exist_ok=True)
    (root / "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm").write_bytes(
        b"x"
    )
    return root


def write_zip(path: Path, top: str = "mimic-cxr-reports-copy-2") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/", b"")
        for (subject, study), text in REPORTS.items():
            zf.writestr(f"{top}/files/p{str(subject)[:2]}/p{subject}/s{study}.txt", text)
        zf.writestr(f"{top}/README.txt", "not a report")
        zf.writestr(f"{top}/files/p10/p10000032/notes.txt", "not a report either")
    return path


def test_read_reports_from_a_folder(tmp_path):
    root = write_tree(tmp_path / "root")
    df = read_reports(root, cache=False, executor="serial", progress=False)
    assert df.columns == ["subject_id", "study_id", "text", "path", "error"]
    assert df.schema["subject_id"] == pl.Int64 and df.schema["study_id"] == pl.Int64
    assert df.select("subject_id", "study_id").rows() == sorted(REPORTS)
    assert df["error"].null_count() == df.height
    assert df.filter(pl.col("study_id") == 50414267)["path"].item() == "files/p10/p10000032/s50414267.txt"
    assert df.filter(pl.col("study_id") == 50414267)["text"].item() == REPORTS[(10000032, 50414267)]


def test_read_reports_given_paths_with_one_unreadable(tmp_path):
    root = write_tree(tmp_path / "root")
    rels = ["files/p10/p10000032/s50414267.txt", "files/p10/p10000032/s59999999.txt"]
    with pytest.warns(reports.ReportIngestWarning, match="1 report"):
        df = read_reports(root, paths=rels, cache=False, executor="serial", progress=False)
    assert df.height == 2
    bad = df.filter(pl.col("study_id") == 59999999)
    assert bad["text"].item() is None
    assert "s59999999.txt" in bad["error"].item()
    assert df.filter(pl.col("study_id") == 50414267)["error"].item() is None


def test_read_reports_non_utf8_and_crlf_in_the_corpus(tmp_path):
    root = write_tree(tmp_path / "root", {(13000001, 53333333): b" FINDINGS: \xe9panchement.\r\n"})
    df = read_reports(root, cache=False, executor="serial", progress=False)
    assert df.filter(pl.col("study_id") == 53333333)["text"].item() == " FINDINGS: épanchement.\n"


def test_missing_source_and_folder_without_files(tmp_path):
    with pytest.raises(ReportReadError, match="no such file"):
        read_reports(tmp_path / "nope", cache=False)
    with pytest.raises(ReportReadError, match="no files/ folder"):
        read_reports(tmp_path, cache=False)


def test_cache_second_call_does_not_read_files(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    first = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert first.detail["cached"] is False
    reports.wait_for_cache_writes()
    assert list((tmp_path / "cache" / "reports").glob("corpus-*.parquet"))

    def boom(task):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(corpus, "_ingest_chunk", boom)
    second = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert second.detail["cached"] is True
    assert second.frame.equals(first.frame)
    sections = read_sections(root, cache=cache, executor="serial", progress=False)  # same entry
    assert sections.filter(pl.col("study_id") == 50414267)["impression"].item() == "Normal."
    assert "text" not in sections.columns


def test_cache_is_written_in_the_background_and_used_meanwhile(tmp_path, monkeypatch):
    import threading

    from cxrkit.storage import cache as cache_module

    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    release = threading.Event()
    real = corpus._write_entry

    def slow(*args):
        release.wait(30)
        real(*args)

    monkeypatch.setattr(corpus, "_write_entry", slow)
    first = ingest_reports(root, cache=cache, executor="serial", progress=False, sections=True)
    assert not list((tmp_path / "cache" / "reports").glob("corpus-*.parquet"))  # not yet on disk
    monkeypatch.setattr(corpus, "_ingest_chunk", lambda task: pytest.fail("the pending entry was not used"))
    second = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert second.detail["cached"] is True and second.frame.equals(first.frame.drop(SECTION_COLUMNS))
    release.set()
    reports.wait_for_cache_writes()
    entries = list((tmp_path / "cache" / "reports").glob("corpus-*.parquet"))
    assert entries and all(cache_module.pending(e) is None for e in entries)
    third = read_sections(root, cache=cache, executor="serial", progress=False, keep_text=True)
    assert third.equals(first.frame)


def test_cache_is_invalidated_by_a_new_patient_and_refreshed_on_demand(tmp_path):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS)
    write_tree(root, {(10000999, 58888888): mimic("IMPRESSION: New patient.")})  # a new patient folder
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS) + 1
    # a study added to an existing patient is not part of the cheap key: refresh=True re-reads
    write_tree(root, {(10000999, 57777777): mimic("IMPRESSION: Second study.")})
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS) + 1
    assert (
        read_reports(root, cache=cache, executor="serial", progress=False, refresh=True).height
        == len(REPORTS) + 2
    )


def test_zip_cache_key_follows_the_zip(tmp_path):
    z = write_zip(tmp_path / "r.zip")
    cache = Cache(tmp_path / "cache")
    with pytest.warns(reports.ReportIngestWarning):
        assert ingest_reports(z, cache=cache, executor="serial", progress=False).detail["cached"] is False
    assert ingest_reports(z, cache=cache, executor="serial", progress=False).detail["cached"] is True
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr("top/files/p19/p19999999/s59999999.txt", " IMPRESSION: New.\n")
    with pytest.warns(reports.ReportIngestWarning):
        again = ingest_reports(z, cache=cache, executor="serial", progress=False)
    assert again.detail["cached"] is False and again.frame.height == len(REPORTS) + 1


def test_read_sections_matches_parse_sections(tmp_path):
    root = write_tree(tmp_path / "root")
    df = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    for row in df.iter_rows(named=True):
        expected = parse_sections(row["text"])
        assert {k: row[k] for k in SECTION_COLUMNS} == {k: expected.get(k) for k in SECTION_COLUMNS}


def test_read_reports_with_a_thread_pool_and_small_chunks(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    root = write_tree(tmp_path / "root")
    z = write_zip(tmp_path / "r.zip")
    monkeypatch.setattr(corpus, "_chunks", lambda items, executor, most: [[i] for i in items])
    with ThreadPoolExecutor(2) as pool:
        folder = read_reports(root, cache=False, executor=pool, progress=False)
        with pytest.warns(reports.ReportIngestWarning):
            zipped = read_reports(z, cache=False, executor=pool, progress=False)
    assert folder.select("study_id", "text").equals(zipped.select("study_id", "text"))


def test_default_run_reads_and_sections_in_separate_threads_with_the_serial_answer(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    serial = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    monkeypatch.setattr(corpus, "_chunks", lambda items, executor, most: [[i] for i in items])
    threads = {"read": set(), "sections": set()}
    real_read, real_sections = corpus._read_chunk, corpus.sections_frame

    def read(task):
        threads["read"].add(threading.current_thread().name)
        return real_read(task)

    def section(frame):
        threads["sections"].add(threading.current_thread().name)
        return real_sections(frame)

    monkeypatch.setattr(corpus, "_read_chunk", read)
    monkeypatch.setattr(corpus, "sections_frame", section)
    local = read_sections(root, cache=False, progress=False, keep_text=True)
    assert local.equals(serial)
    assert threads["read"] and threads["sections"] and not threads["read"] & threads["sections"]

    patients = tree.patient_dirs(root)

    def fail_one(
        task,
    ):  # the first patient's folder cannot be read, the last patient's chunk cannot be sectioned
        if task[2] == patients[:1]:
            raise OSError("disk went away")
        return real_read(task)

    def fail_sections(frame):
        if frame["path"].str.starts_with(patients[-1] + "/").any():
            raise ValueError("bad chunk")
        return real_sections(frame)

    monkeypatch.setattr(corpus, "_read_chunk", fail_one)
    monkeypatch.setattr(corpus, "sections_frame", fail_sections)
    with pytest.warns(reports.ReportIngestWarning):
        broken = read_sections(root, cache=False, progress=False)
    errors = dict(broken.filter(pl.col("error").is_not_null()).select("path", "error").iter_rows())
    assert errors.pop(patients[0]) == "OSError: disk went away"  # one row for the unreadable folder
    # the chunk that could not be sectioned keeps its texts, with null sections and the reason
    assert errors and all(p.startswith(patients[-1] + "/") for p in errors)
    assert set(errors.values()) == {"cannot cut into sections: ValueError: bad chunk"}
    unsectioned = broken.filter(pl.col("path").is_in(list(errors)))
    assert unsectioned.select(SECTION_COLUMNS).null_count().row(0) == (unsectioned.height,) * len(
        SECTION_COLUMNS
    )
    with pytest.warns(reports.ReportIngestWarning):
        kept = read_sections(root, cache=False, progress=False, keep_text=True)
    assert kept.filter(pl.col("path").is_in(list(errors)))["text"].null_count() == 0
    with pytest.warns(reports.ReportIngestWarning):  # a given executor keeps them too
        serial_kept = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    assert serial_kept.filter(pl.col("error").str.starts_with("cannot cut")).height == len(errors)
    good = broken.filter(pl.col("error").is_null())
    assert good.height > 0 and good.equals(
        serial.drop("text").join(good.select("path"), on="path", how="semi")
    )
