from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from cxrkit import layout
from cxrkit.errors import CxrkitError, InvalidIdError, InvalidPathError

DICOM = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"


@pytest.mark.parametrize("value", [10000032, "10000032", "p10000032", " p19999999 "])
def test_subject_ids_accepted(value):
    assert layout.is_subject_id(value)
    assert layout.subject_id(value) in (10000032, 19999999)


@pytest.mark.parametrize(
    "value", [50414267, "s10000032", 1000003, "100000321", "p1000003x", None, 1.0, True, ""]
)
def test_subject_ids_rejected(value):
    assert not layout.is_subject_id(value)
    with pytest.raises(InvalidIdError, match="subject_id"):
        layout.subject_id(value)


@pytest.mark.parametrize("value", [50414267, "50414267", "s50414267"])
def test_study_ids_accepted(value):
    assert layout.is_study_id(value)
    assert layout.study_id(value) == 50414267


@pytest.mark.parametrize("value", [10000032, "p50414267", "5041426", "504142670", "s5041426a", None, 5.0])
def test_study_ids_rejected(value):
    assert not layout.is_study_id(value)
    with pytest.raises(InvalidIdError, match="study_id"):
        layout.study_id(value)


def test_subject_error_names_value_and_rule():
    with pytest.raises(InvalidIdError) as info:
        layout.subject_id("20000032")
    assert "'20000032'" in str(info.value) and "8 digits starting with 1" in str(info.value)
    assert isinstance(info.value, CxrkitError)


@pytest.mark.parametrize(
    "value, ok",
    [
        (DICOM, True),
        (DICOM.upper(), False),
        (DICOM[:-1], False),
        (DICOM.replace("-", ""), False),
        (DICOM[:-1] + "g", False),
        (12345, False),
    ],
)
def test_dicom_ids(value, ok):
    assert layout.is_dicom_id(value) is ok


def test_image_and_report_paths():
    assert layout.image_path(10000032, 50414267, DICOM) == f"files/p10/p10000032/s50414267/{DICOM}.dcm"
    assert layout.image_path("p10000032", "s50414267", DICOM, ext=".jpg").endswith(f"{DICOM}.jpg")
    assert layout.report_path(19999999, 59999999) == "files/p19/p19999999/s59999999.txt"
    with pytest.raises(InvalidPathError, match=".png"):
        layout.image_path(10000032, 50414267, DICOM, ext=".png")
    with pytest.raises(InvalidIdError):
        layout.image_path(50414267, 10000032, DICOM)


@pytest.mark.parametrize("ext", layout.IMAGE_EXTENSIONS)
def test_parse_path_round_trip(ext):
    path = layout.image_path(12345678, 56789012, DICOM, ext=ext)
    ids = layout.parse_path("/some/root/" + path)
    assert (ids.subject_id, ids.study_id, ids.dicom_id, ids.kind, ids.ext) == (
        12345678,
        56789012,
        DICOM,
        "image",
        ext,
    )
    rep = layout.parse_path(layout.report_path(12345678, 56789012))
    assert (rep.subject_id, rep.study_id, rep.dicom_id, rep.kind) == (12345678, 56789012, None, "report")


@pytest.mark.parametrize(
    "bad",
    [
        "files/p11/p10000032/s50414267.txt",  # group disagrees with patient
        "files/p10/p10000032/s50414267/notanid.dcm",
        "files/p10/p10000032/s50414267.doc",
        "files/p10/p10000032/50414267.txt",
        f"files/p10/p10000032/s50414267/{DICOM}.png",
    ],
)
def test_parse_path_rejects(bad):
    with pytest.raises(InvalidPathError) as info:
        layout.parse_path(bad)
    assert bad in str(info.value)


def test_polars_expressions_agree_with_python_builders():
    df = pl.DataFrame(
        {"subject_id": [10000032, 19999999], "study_id": [50414267, 59999999], "dicom_id": [DICOM, DICOM]}
    )
    for ext in layout.IMAGE_EXTENSIONS:
        got = df.select(layout.image_path_expr(ext=ext)).to_series().to_list()
        assert got == [layout.image_path(s, t, d, ext=ext) for s, t, d in df.iter_rows()]
    got = df.select(layout.report_path_expr()).to_series().to_list()
    assert got == [layout.report_path(s, t) for s, t, _ in df.iter_rows()]


def test_parse_path_expr_matches_parse_path():
    paths = [
        layout.image_path(10000032, 50414267, DICOM, ext=".dcm.gz"),
        "root/" + layout.report_path(10000032, 50414267),
        "files/p11/p10000032/s50414267.txt",
        "junk",
    ]
    parsed = pl.DataFrame({"path": paths}).select(layout.parse_path_expr()).unnest("parsed")
    assert parsed.row(0) == (10000032, 50414267, DICOM, ".dcm.gz")
    assert parsed.row(1) == (10000032, 50414267, None, ".txt")
    assert parsed.row(2) == (None, None, None, None)
    assert parsed.row(3) == (None, None, None, None)


def test_table_files_are_matched_as_fnmatch_matches_them():
    import fnmatch

    names = [
        "mimic-cxr-2.0.0-metadata.csv.gz",
        "mimic-cxr-metadata.csv.gz",  # the two ends overlap: no version between them
        "mimic-cxr--metadata.csv.gz",
        "mimic-cxr-2.1.0-metadata.csv",
        "xmimic-cxr-2.0.0-split.csv.gz",
        "mimic-cxr-2.0.0-split.csv.gz.part",
        "cxr-record-list.csv.gz",
        "cxr-record-list.csv.gz.1",
        "mimic-cxr-reports.zip",
        "mimic-cxr-reports-2.zip",
    ]
    for table, patterns in layout.TABLE_FILES.items():
        expected = next((max(hits) for p in patterns if (hits := fnmatch.filter(names, p))), None)
        assert layout.find_table_file(names, table) == expected, table
    assert layout.find_table_file(names, "metadata") == "mimic-cxr-2.0.0-metadata.csv.gz"
    assert layout.find_reports_zip(names) == max(fnmatch.filter(names, layout.REPORTS_ZIP_PATTERN))


def test_report_ids_slice_walked_paths_and_parse_any_other_as_parse_path_expr_does():
    walked = [f"files/p1{g}/p1{g}{n:06d}/s5{n:07d}.txt" for g in range(10) for n in (0, 123456)]
    frame = pl.DataFrame({"path": walked})
    expected = frame.select(
        "path",
        layout.parse_path_expr("path").struct.field("subject_id"),
        layout.parse_path_expr("path").struct.field("study_id"),
    )
    assert_frame_equal(layout.report_ids(frame), expected)
    # one path off the walked shape (its group folder does not match the subject) sends all through the parser
    odd = pl.DataFrame({"path": [*walked, "files/p11/p10000032/s50414267.txt", "r/p10/p10000032/s5.txt"]})
    got = layout.report_ids(odd)
    assert got["study_id"].to_list() == [*expected["study_id"].to_list(), None, None]
    assert got["subject_id"].null_count() == 2
