"""cxrkit.reports.official: the official ``mimic_cxr_sectioned.csv`` reproduced, byte for byte, on
hand-written reports covering every rule and special case of the official parser (tests/reports/
_official_cases.py), and the vectorised form agreeing with the one-report reference."""

from __future__ import annotations

import os
import random
import unicodedata

import polars as pl
import pytest
from _official_cases import CASES, EXPECTED_CSV, write_cases

from cxrkit.errors import MissingColumnError, ReportReadError
from cxrkit.reports import (
    OFFICIAL_COLUMNS,
    OFFICIAL_SECTION_OVERRIDES,
    OFFICIAL_SPAN_OVERRIDES,
    PYTHON_WHITESPACE,
    official_frame,
    official_row,
    official_section_name,
    official_sections,
    official_split,
    write_sectioned_csv,
)


def _frame() -> pl.DataFrame:
    ids = list(CASES)
    return pl.DataFrame(
        {
            "subject_id": [10000032 if i < 12 else 10000764 for i in range(len(ids))],
            "study_id": ids,
            "text": [CASES[s][1] for s in ids],
        }
    )


def test_the_sectioned_csv_byte_for_byte(tmp_path):
    rows = official_sections(write_cases(tmp_path), order="sorted", cache=False)
    out = write_sectioned_csv(rows, tmp_path / "mimic_cxr_sectioned.csv")
    assert out.read_bytes() == EXPECTED_CSV.encode("utf-8")


def test_a_frame_gives_the_same_rows_as_the_folder(tmp_path):
    from_folder = official_sections(write_cases(tmp_path), order="sorted", cache=False)
    assert official_sections(_frame()).equals(from_folder)
    assert from_folder.columns == list(OFFICIAL_COLUMNS)


def test_the_special_cased_studies_are_left_out():
    assert len(OFFICIAL_SECTION_OVERRIDES) + len(OFFICIAL_SPAN_OVERRIDES) == 54
    studies = official_sections(_frame())["study"].to_list()
    assert "s50913680" not in studies and "s50525523" not in studies
    assert len(studies) == len(CASES) - 2


def test_absent_is_null_and_empty_is_empty_string():
    rows = official_sections(_frame()).filter(pl.col("study") == "s50000014")
    assert rows.row(0) == ("s50000014", None, None, "", None)


def test_listdir_order_is_the_file_systems(tmp_path):
    write_cases(tmp_path)
    rows = official_sections(tmp_path, cache=False)  # a folder: order="auto" is the official walk
    expected = []
    for patient in ("p10000032", "p10000764"):
        names = os.listdir(tmp_path / "files/p10" / patient)
        expected += [
            n.removesuffix(".txt") for n in names if n.removesuffix(".txt") not in ("s50913680", "s50525523")
        ]
    assert rows["study"].to_list() == expected


def test_listdir_order_needs_a_folder():
    with pytest.raises(ReportReadError, match="folder"):
        official_sections(_frame(), order="listdir")
    with pytest.raises(ValueError, match="order"):
        official_sections(_frame(), order="random")  # type: ignore[arg-type]
    with pytest.raises(MissingColumnError):
        official_sections(pl.DataFrame({"study_id": [1]}))


def test_unreadable_reports_are_left_out():
    frame = pl.DataFrame({"study_id": [50000001, 50000002], "text": [None, " X\n IMPRESSION: Y.\n"]})
    assert official_sections(frame).rows() == [("s50000002", "Y.", None, None, None)]


# --- the rules, one report at a time ---------------------------------------------------------------------


def test_preamble_keeps_the_line_break_and_space_of_the_first_header():
    text = " FINAL REPORT\n CHEST, PA AND LATERAL: Mild edema.\n"
    assert official_split(text) == [("preamble", " FINAL REPORT\n "), ("findings", "Mild edema.\n")]


def test_a_report_without_headers_is_the_full_report():
    text = CASES[50000006][1]
    assert [n for n, _ in official_split(text)] == ["full report", "last_paragraph"]


def test_header_below_a_bare_header_is_text():
    pieces = dict(official_split(CASES[50000005][1]))
    assert "impression" not in pieces
    assert pieces["indication"] == " IMPRESSION: Hidden."


def test_section_names():
    assert [
        official_section_name(h)
        for h in (
            "FINDINGS AND IMPRESSION",
            "RECOMMENDATION(S)",
            "WETREAD",
            "INDICATIONS",
            "REFERENCE EXAM",
            "HISTORY OF PRESENT ILLNESS",
            "PORTABLE AP",
            "FINAL REPORT",
        )
    ] == [
        "impression",
        "recommendations",
        "wet read",
        "indications",
        "comparison",
        "history",
        "findings",
        "final report",
    ]


def test_python_whitespace_is_pythons():
    import sys

    assert PYTHON_WHITESPACE == "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert unicodedata.unidata_version  # the table depends on the running Python, as the official script's


def test_official_row_of_each_case_matches_the_csv():
    expected = {line.split(",", 1)[0] for line in EXPECTED_CSV.split("\r\n")[1:] if line}
    assert {f"s{s}" for s in CASES} - expected == {"s50913680", "s50525523"}
    assert official_row(CASES[50000012][1]) == {
        "impression": None,
        "findings": None,
        "last_paragraph": "The lungs are clear.",
        "comparison": "None.",
    }


# --- the vectorised form -----------------------------------------------------------------------------------

_ATOMS = [
    *(
        "\n",
        " ",
        "\n \n",
        "\n  \n",
        "\n\n",
        "\r\n",
        "\r",
        "\t",
        "\x1c",
        "\x1e",
        "\x1f",
        "\xa0",
        "\u2028",
        "\x85",
        "  ",
    ),
    *(
        "IMPRESSION:",
        "FINDINGS:",
        "COMPARISON:",
        "NDICATION:",
        " IMPRESSION :",
        "CHEST, PA AND LAT:",
        "NOTE:",
    ),
    *(
        "Impression:",
        "x",
        "Clear.",
        "é",
        "___",
        ":",
        "A",
        "(B)",
        "-",
        "/",
        ",",
        "FINAL REPORT",
        "HISTORY:",
        "LUNGS:",
    ),
]


@pytest.mark.parametrize("seed", [0, 1])
def test_official_frame_agrees_with_official_row(seed):
    rng = random.Random(seed)
    texts = ["".join(rng.choice(_ATOMS) for _ in range(rng.randint(0, 60))) for _ in range(3000)]
    texts += [None, ""] + [t for _, t in CASES.values()]
    frame = official_frame(pl.Series(texts, dtype=pl.String))
    expected = [tuple(official_row(t).values()) if t is not None else (None,) * 4 for t in texts]
    assert frame.rows() == expected


# --- diff_official: where the kit differs, and why --------------------------------------------------------


@pytest.fixture(scope="module")
def diff() -> pl.DataFrame:
    from cxrkit.reports import diff_official, sections_frame

    frame = _frame()
    return diff_official(sections_frame(frame), official_sections(frame))


def _why(diff: pl.DataFrame, study: int, column: str | None) -> tuple:
    hit = diff.filter((pl.col("study_id") == study) & pl.col("column").eq_missing(column))
    assert hit.height == 1, hit
    return hit.select("kit", "official", "reason").row(0)


def test_diff_the_official_failure_modes_the_kit_does_not_copy(diff):
    kit, official, why = _why(diff, 50000013, "last_paragraph")  # header-less report ending with NOTIFICATION
    assert (kit, official) == ("Effusion.", "At 10:00.") and "passing over closing sections" in why
    kit, official, why = _why(diff, 50000005, "impression")  # a header just below a bare header
    assert (kit, official) == ("Hidden. More text.", None) and "just below a header" in why
    kit, official, why = _why(diff, 50000006, "findings")  # a header on the first line
    assert kit == "On the first line." and official is None and "first line" in why
    assert "no space after the colon" in _why(diff, 50000008, "impression")[2]


def test_diff_repeated_sections_typos_and_special_cases(diff):
    assert "keeps the last of 2 impression" in _why(diff, 50000004, "impression")[2]
    assert _why(diff, 50000003, "impression") == (
        None,
        "Dyspnea.",
        "the kit has this text in indication (synonym)",
    )
    assert "special-cased" in _why(diff, 50913680, None)[2]
    assert "inferred impression" in _why(diff, 50000010, "impression")[2]


def test_diff_ignores_whitespace_unless_asked(diff):
    from cxrkit.reports import diff_official, sections_frame

    assert diff.filter(pl.col("study_id") == 50000001).height == 0  # the findings differ only in line breaks
    frame = _frame()
    strict = diff_official(sections_frame(frame), official_sections(frame), whitespace=True)
    assert strict.filter((pl.col("study_id") == 50000001) & (pl.col("column") == "findings")).height == 1


def test_diff_reads_the_official_csv(tmp_path):
    from cxrkit.reports import diff_official, sections_frame

    frame = _frame()
    path = tmp_path / "mimic_cxr_sectioned.csv"
    path.write_text(EXPECTED_CSV, newline="")
    from_file = diff_official(sections_frame(frame), path)
    assert from_file.equals(diff_official(sections_frame(frame), official_sections(frame)))


def test_a_long_series_runs_in_parts_with_the_same_answer():
    texts = [t for _, t in CASES.values()] * 1200  # above the size that is cut into one part per CPU
    frame = official_frame(pl.Series(texts))
    expected = [tuple(official_row(t).values()) for t in texts[: len(CASES)]] * 1200
    assert frame.height == len(texts) and frame.rows() == expected


def test_the_reports_zip_gives_the_same_file(tmp_path):
    import zipfile

    zpath = tmp_path / "mimic-cxr-reports.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (study, (_, text)) in enumerate(CASES.items()):
            subject = 10000032 if i < 12 else 10000764
            zf.writestr(f"mimic-cxr-reports/files/p10/p{subject}/s{study}.txt", text)
    rows = official_sections(zpath, cache=False)  # a zip: sorted by subject and study
    out = write_sectioned_csv(rows, tmp_path / "mimic_cxr_sectioned.csv")
    assert out.read_bytes() == EXPECTED_CSV.encode("utf-8")


def test_diff_a_report_opening_with_an_addendum():
    from cxrkit.reports import diff_official, sections_frame

    text = (
        " ADDENDUM: Clips noted.\n \n More addendum.\n " + "_" * 78 + "\n FINAL REPORT\n PORTABLE CHEST\n \n"
        " Tube in place.\n"
    )
    frame = pl.DataFrame({"study_id": [50000099], "text": [text]})
    official = official_sections(frame)
    assert (
        official.row(0)[3]
        == "More addendum.\n " + "_" * 78 + "\n FINAL REPORT\n PORTABLE CHEST\n \n Tube in place."
    )
    diff = diff_official(sections_frame(frame), official)
    kit, _, why = _why(diff, 50000099, "last_paragraph")
    assert kit == "Tube in place."
    assert "runs on into text the kit puts in preamble (after the underscore line)" in why


def test_the_conclusion_files_byte_for_byte(tmp_path):
    from cxrkit.reports import official_conclusions, write_conclusion_csvs

    rows = official_conclusions(write_cases(tmp_path / "root"), order="sorted", cache=False)
    expected = (
        "s50000001,No acute cardiopulmonary process.\r\ns50000002,Edema.\r\ns50000003,Dyspnea.\r\n"
        's50000004,"Second, then follow up."\r\ns50000005,More text.\r\ns50000006,Last.\r\n'
        "s50000007,Indented twice.\r\ns50000008,Last words.\r\n"
        's50000009,"Tube in place.\n \n No change."\r\ns50000010,"Line in the SVC.\n \n No pneumothorax."\r\n'
        "s50000011,\r\ns50000012,The lungs are clear.\r\ns50000013,At 10:00.\r\ns50000014,\r\n"
        "s50000015,Clear.\r\ns50000016,Normal.\r\ns50000017,\r\ns50000018,\r\n"
        "s50525523,\r\n"  # its span (201, 349) lies beyond this short report
        "s50913680,Follow up.\r\n"  # its named section, RECOMMENDATION(S)
    )
    (single,) = write_conclusion_csvs(rows, tmp_path / "one", split=False)
    assert single.name == "mimic_cxr_sections.csv" and single.read_bytes() == expected.encode()
    (part,) = write_conclusion_csvs(rows, tmp_path / "parts")
    assert part.name == "mimic_cxr_00.csv" and part.read_bytes() == expected.encode()


def test_conclusion_special_cases_span_and_missing_section():
    from cxrkit.reports import official_conclusions

    text = "0123456789" * 40
    frame = pl.DataFrame({"study_id": [50525523, 59363654], "text": [text, " X\n IMPRESSION: Y.\n"]})
    rows = official_conclusions(frame)
    assert rows.row(0) == ("s50525523", text[201:349])
    assert rows.row(1) == ("s59363654", None)  # no EXAMINATION section: the official script stops here
