"""cxrkit.reports.sections: the section rules of parse_sections (one test per rule, MIMIC-style inputs) and
sections_frame, the vectorised form, which must agree with it."""

from __future__ import annotations

import random
import re

import polars as pl
import pytest
from _report_files import RULE, TITLE, mimic

from cxrkit.reports import SECTION_COLUMNS, parse_sections, sections_frame

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
    tab before the colon, colon-less WET READ / ADDENDUM, lines of underscores) must still be found when they
    are the only unusual thing in a report, and look-alike lines must not be taken for headers."""
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


# --- explain_sections: the rule behind each piece ---------------------------------------------------------


def _rules(text: str) -> list[tuple[str, str]]:
    from cxrkit.reports import explain_sections

    return [(r["section"], r["rule"]) for r in explain_sections(text)]


def test_explain_names_the_header_rules():
    text = mimic(
        "TITLE",
        "CLINICAL HISTORY: Cough.",
        "PA AND LATERAL CHEST: Clear.",
        "IMPRESSION AND PLAN: Normal.",
        "DATE: ___",
    )
    assert _rules(text) == [
        ("preamble", "preamble"),
        ("history", "synonym"),
        ("findings", "study title"),
        ("impression", "main word"),
        ("impression", "sub-heading"),  # DATE: inside the impression
    ]


def test_explain_names_the_kits_own_rules():
    assert _rules("Impression:Clear.") == [
        ("impression", "header, mixed case, indent, first line, no space after the colon")
    ]
    wet = (
        " WET READ: ___ 10:34 PM\n  No pneumonia.\n " + "_" * 78 + "\n   FINAL REPORT\n IMPRESSION: Clear.\n"
    )
    assert _rules(wet) == [
        ("wet_read", "header, first line"),  # the official parser wants a line break before a header
        ("preamble", "after the underscore line"),
        ("impression", "header"),
    ]
    assert _rules(" ADDENDUM  Called.\n " + "_" * 20 + "\n FINDINGS: x\n")[0] == (
        "addendum",
        "addendum block, first line, no colon",
    )


def test_explain_names_the_last_paragraph_rules():
    notice = mimic("TITLE", "PA AND LATERAL", "", "Effusion.", "NOTIFICATION: Called.")
    assert _rules(notice)[-2:] == [
        ("last_paragraph", "last paragraph before closing sections"),
        ("impression", "inferred impression"),
    ]
    assert _rules(mimic("TITLE", "Clear lungs."))[-2][1] == "after the title"
    assert _rules(mimic("TITLE", "CHEST", "", "Clear."))[-2][1] == "last paragraph"


def test_explain_rows_joined_are_parse_sections():
    from _report_files import REPORTS

    from cxrkit.reports import SECTION_RULES, explain_sections

    for text in REPORTS.values():
        joined: dict[str, list[str]] = {}
        for r in explain_sections(text):
            joined.setdefault(r["section"], []).append(r["text"])
            assert r["rule"].split(", ")[0] in SECTION_RULES
        assert {k: " ".join(v) for k, v in joined.items()} == parse_sections(text)


def test_sections_explained_over_a_frame():
    from cxrkit.reports import sections_explained

    df = pl.DataFrame({"study_id": [1, 2, 3], "text": [" X\n CONCLUSION: Clear.\n", None, "Impression: Ok."]})
    out = sections_explained(df)
    assert out.select("study_id", "section", "rule", "header").rows() == [
        (1, "preamble", "preamble", None),
        (1, "impression", "synonym", "CONCLUSION:"),
        (3, "impression", "header, mixed case, indent, first line", "Impression:"),
    ]
