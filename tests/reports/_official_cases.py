"""Test helper: hand-written reports for the official parser's rules (``CASES``: study id -> (rule, text)),
one per rule or special case of ``create_section_files.py`` / ``section_parser.py``, and the CSV the official
script writes for them (``EXPECTED_CSV``, worked out from its rules and checked once against a run of it).
"""

from __future__ import annotations

from _report_files import TITLE, mimic

#: study id -> (the rule it shows, report text). All of one patient, 10000032, except where noted.
CASES: dict[int, tuple[str, str]] = {
    50000001: (
        "standard report: the last impression, findings and comparison, stripped",
        mimic(
            "TITLE",
            "EXAMINATION:  CHEST (PA AND LAT)",
            "",
            "INDICATION:  ___F with cough  // eval for pneumonia",
            "",
            "COMPARISON:  ___.",
            "",
            "FINDINGS: ",
            "",
            "Lungs are clear.  No pleural effusion,",
            'pneumothorax or "focal" consolidation.',
            "",
            "IMPRESSION: ",
            "",
            "No acute cardiopulmonary process.",
        ),
    ),
    50000002: (
        "synonyms: CONCLUSION is impression, COMPARISONS comparison, CHEST, PA AND LATERAL findings",
        mimic("TITLE", "CHEST, PA AND LATERAL: Mild edema.", "COMPARISONS: None.", "CONCLUSION: Edema."),
    ),
    50000003: (
        "typo entry: NDICATION folds to impression in the official table",
        mimic("TITLE", "NDICATION: Dyspnea.", "", "FINDINGS: Clear."),
    ),
    50000004: (
        "main words: a name containing impression is impression; the last impression wins",
        mimic("TITLE", "IMPRESSION: First.", "", "IMPRESSION AND RECOMMENDATIONS: Second, then follow up."),
    ),
    50000005: (
        "a header right below a header whose colon ends its line is not seen",
        mimic("TITLE", "INDICATION:", "IMPRESSION: Hidden.", "", "More text."),
    ),
    50000006: (
        "headers only at a line break and one space: first line, no indent and mixed case are text",
        "FINDINGS: On the first line.\nIMPRESSION: No indent.\n Impression: Mixed case.\n \n Last.\n",
    ),
    50000007: (
        "two-space indent: still a header (the name is stripped)",
        mimic("TITLE", " IMPRESSION :  Indented twice. "),
    ),
    50000008: (
        "a colon not followed by whitespace is not a header",
        mimic("TITLE", "IMPRESSION:Clear.", "", "Last words."),
    ),
    50000009: (
        "empty findings (a title) removed; no impression: the last paragraph of the last section",
        mimic(
            "TITLE", "CHEST, PA LATERAL:", "", "INDICATION: Fever.", "", "Tube in place.", "", "No change."
        ),
    ),
    50000010: (
        "header-less report: last paragraph after the first blank line, later blank lines kept",
        mimic("TITLE", "PORTABLE CHEST ___", "", "Line in the SVC.", "", "No pneumothorax."),
    ),
    50000011: (
        "blank lines that are not one space ('\\n\\n', two spaces) do not count",
        " FINAL REPORT\n PORTABLE CHEST\n\n Not a blank line.\n  \n Nor this.\n",
    ),
    50000012: (
        "the last section is a comparison: cut at its first blank line",
        mimic("TITLE", "COMPARISON: None.", "", "The lungs are clear."),
    ),
    50000013: (
        "report ending with NOTIFICATION: the body above is lost, the last paragraph is the notice's",
        mimic("TITLE", "PA AND LATERAL", "", "Effusion.", "NOTIFICATION: Called Dr. ___.", "", "At 10:00."),
    ),
    50000014: (
        "empty impression after a preamble: its blank line gives an empty last paragraph",
        mimic("TITLE", "Findings in the title.", "", "IMPRESSION: "),
    ),
    50000015: (
        "Python whitespace: \\x1c after the colon is the header's space, \\xa0 and \\x1c are stripped",
        " FINAL REPORT\n IMPRESSION:\x1cClear.\xa0\x1c\n COMPARISON:\xa0\xa0None.\n",
    ),
    50000016: (
        "Windows line endings read as line breaks",
        " FINAL REPORT\r\n FINDINGS: Clear.\r\n \r\n IMPRESSION: Normal.\r\n",
    ),
    50000017: ("an empty file: a row of empty sections", ""),
    50000018: ("a title only: a row of empty sections", TITLE + "\n"),
    50913680: (
        "special case (custom_section_names): left out of the sectioned file",
        mimic("TITLE", "RECOMMENDATION(S): Follow up.", "IMPRESSION: Nodule."),
    ),
    50525523: (
        "special case (custom_indices): left out of the sectioned file",
        mimic("TITLE", "IMPRESSION: X."),
    ),
}

#: The sectioned file the official script writes for ``CASES`` (rows in study order; the two special cases
#: absent). Worked out from the rules; byte for byte what a run of the official script gave.
EXPECTED_CSV = (
    "study,impression,findings,last_paragraph,comparison\r\n"
    's50000001,No acute cardiopulmonary process.,"Lungs are clear.  No pleural effusion,\n'
    ' pneumothorax or ""focal"" consolidation.",,___.\r\n'
    "s50000002,Edema.,Mild edema.,,None.\r\n"
    "s50000003,Dyspnea.,Clear.,,\r\n"
    's50000004,"Second, then follow up.",,,\r\n'
    "s50000005,,,More text.,\r\n"
    "s50000006,,,Last.,\r\n"
    "s50000007,Indented twice.,,,\r\n"
    "s50000008,,,Last words.,\r\n"
    's50000009,,,"Tube in place.\n \n No change.",\r\n'
    's50000010,,,"Line in the SVC.\n \n No pneumothorax.",\r\n'
    "s50000011,,,,\r\n"
    "s50000012,,,The lungs are clear.,None.\r\n"
    "s50000013,,,At 10:00.,\r\n"
    "s50000014,,,,\r\n"
    "s50000015,Clear.,,,None.\r\n"
    "s50000016,Normal.,Clear.,,\r\n"
    "s50000017,,,,\r\n"
    "s50000018,,,,\r\n"
)


def write_cases(root):
    """``CASES`` as a ``files/`` tree: the first twelve for patient 10000032, the rest for 10000764."""
    for i, (study, (_, text)) in enumerate(CASES.items()):
        subject = 10000032 if i < 12 else 10000764
        p = root / f"files/p10/p{subject}/s{study}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8"))
    return root
