"""The reports zip read in place: its directory (plain or zip64, read with numpy or struct, as zipfile
reads it), members past the inline inflate path, damaged and truncated zips (through the ingest, where they
show)."""

from __future__ import annotations

import re
import zipfile

import polars as pl
import pytest
from _report_files import REPORTS, write_tree, write_zip

from cxrkit import reports
from cxrkit.errors import ReportReadError
from cxrkit.reports import decode_report, ingest_reports, read_report, read_reports
from cxrkit.reports import zipread as reportzip


def test_read_reports_from_a_zip_with_an_unknown_top_folder(tmp_path):
    z = write_zip(tmp_path / "mimic-cxr-reports.zip", top="some-name-we-never-saw")
    with pytest.warns(reports.ReportIngestWarning, match="2 zip member"):
        corpus = ingest_reports(z, cache=False, executor="serial", progress=False)
    df = corpus.frame
    assert df.select("subject_id", "study_id").rows() == sorted(REPORTS)
    assert df.filter(pl.col("study_id") == 53189527)["text"].item() == REPORTS[(10000032, 53189527)]
    assert corpus.detail["skipped_members"] == 2
    assert "some-name-we-never-saw/README.txt" in corpus.detail["skipped_examples"]
    folder = read_reports(write_tree(tmp_path / "root"), cache=False, executor="serial", progress=False)
    assert df.select("study_id", "text").equals(folder.select("study_id", "text"))


def test_zip_with_a_corrupt_member_gives_an_error_row(tmp_path):
    z = write_zip(tmp_path / "r.zip", top="top")
    data = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("top/files/p10/p10000764/s57375967.txt")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for i in range(start, start + info.compress_size):
        data[i] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.warns(reports.ReportIngestWarning):
        df = read_reports(z, cache=False, executor="serial", progress=False)
    bad = df.filter(pl.col("study_id") == 57375967)
    assert bad["text"].item() is None and "s57375967.txt" in bad["error"].item()
    assert df.filter(pl.col("error").is_null()).height == len(REPORTS) - 1


@pytest.mark.parametrize("damage", ["empty", "garbage", "cut in the first member"])
def test_zip_that_cannot_be_read_raises_naming_it(tmp_path, damage):
    z = write_zip(tmp_path / "mimic-cxr-reports.zip")
    data = z.read_bytes()
    z.write_bytes(
        {"empty": b"", "garbage": b"not a zip at all" * 100, "cut in the first member": data[:20]}[damage]
    )
    with pytest.raises(ReportReadError, match="mimic-cxr-reports.zip"):
        read_reports(z, cache=False, executor="serial", progress=False)


def test_truncated_zip_recovers_the_complete_members(tmp_path):
    z = write_zip(tmp_path / "mimic-cxr-reports.zip", top="top")
    with zipfile.ZipFile(z) as zf:
        infos = sorted(zf.infolist(), key=lambda i: i.header_offset)
    fourth = [i for i in infos if i.filename.endswith(".txt")][3]  # cut inside the 4th report's data
    cut = fourth.header_offset + 30 + len(fourth.filename) + fourth.compress_size // 2
    z.write_bytes(z.read_bytes()[:cut])
    with pytest.warns(reports.ReportIngestWarning, match="truncated download"):
        corpus = ingest_reports(z, cache=False, executor="serial", progress=False)
    df = corpus.frame
    assert "recovered" in corpus.detail
    assert df.height == 4
    assert df.filter(pl.col("error").is_null()).height == 3
    bad = df.filter(pl.col("error").is_not_null())
    assert bad["path"].item() == fourth.filename and "truncated" in bad["error"].item()


def as_zipfile_reads_it(path) -> list[tuple]:
    """The MEMBER_FIELDS of each report member from zipfile's reading of the directory: in file order, each
    member's bytes ending where the next member starts, or at the central directory."""
    with zipfile.ZipFile(path) as zf:
        infos = sorted(zf.infolist(), key=lambda i: i.header_offset)
        ends = [i.header_offset for i in infos[1:]] + [zf.start_dir]
    return [
        (i.filename, i.header_offset, end, i.compress_size, i.CRC, i.compress_type, i.flag_bits)
        for i, end in zip(infos, ends)
        if re.search(r"p\d+/p\d+/s\d+\.txt$", i.filename)
    ]


def members_without_zipfile(path, monkeypatch) -> list[tuple]:
    """The MEMBER_FIELDS rows of report_members, which must read the directory itself: zipfile is refused."""

    def refuse(*args, **kwargs):
        raise AssertionError("the directory was handed to zipfile")

    with monkeypatch.context() as m:
        m.setattr(zipfile, "ZipFile", refuse)
        return reportzip.report_members(path).select(reportzip.MEMBER_FIELDS).rows()


def test_zip64_central_directory_is_read_like_zipfile(tmp_path, monkeypatch):
    # more than 65,535 members makes a zip64 end record (the real reports zip has 227,835); fake the limit
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 3)
    z = write_zip(tmp_path / "r.zip", top="top")
    monkeypatch.undo()
    with open(z, "rb") as fh:
        assert b"PK\x06\x06" in fh.read()  # really a zip64 end record
    assert members_without_zipfile(z, monkeypatch) == as_zipfile_reads_it(z)
    with pytest.warns(reports.ReportIngestWarning):
        df = read_reports(z, cache=False, executor="serial", progress=False)
    assert df.select("subject_id", "study_id").rows() == sorted(REPORTS)


@pytest.mark.parametrize(
    "names",
    [
        ["mimic-cxr-reports/files/p10/p10000032/s50414267.txt", "x/p10/p10000033/s50414268.txt"],
        ["caf\u00e9/p10/p10000032/s50414267.txt", "x/p10/p10000033/s50414268.txt"],  # a UTF-8 name
        [
            "a/PK\x01\x02/p10/p10000032/s50414267.txt",
            "x/p10/p10000033/s50414268.txt",
        ],  # a signature in a name
    ],
)
def test_central_directory_read_with_numpy_is_zipfiles(tmp_path, monkeypatch, names):
    path = tmp_path / "r.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("top/", "")
        for i, name in enumerate(names):
            zf.writestr(name, f" FINDINGS: Clear {i}.\n" * (i + 1))
    fast = []
    real = reportzip.central_entries
    monkeypatch.setattr(reportzip, "central_entries", lambda *a: fast.append(real(*a)) or fast[-1])
    assert members_without_zipfile(path, monkeypatch) == as_zipfile_reads_it(path)
    assert (fast[0] is None) == ("PK\x01\x02" in names[0])  # the loop reads what the numpy pass cannot chain


def test_members_off_the_inline_path_read_like_read_report(tmp_path):
    """read_members inflates deflated, plain UTF-8 members inline; stored, bzip2 and lzma members, a
    byte-order mark, CRLF line ends or a stray latin-1 byte take the other paths and must give the same
    text."""
    texts = {
        ("p10/p10000032/s50414267.txt", zipfile.ZIP_DEFLATED): b" FINDINGS: Clear.\n",
        (
            "p10/p10000032/s50414268.txt",
            zipfile.ZIP_DEFLATED,
        ): b"\xef\xbb\xbf FINDINGS: caf\xc3\xa9 \xe9.\r\n",
        ("p10/p10000033/s50414269.txt", zipfile.ZIP_STORED): b" IMPRESSION: Stored.\r\n",
        ("p10/p10000034/s50414270.txt", zipfile.ZIP_BZIP2): b" IMPRESSION: Bzip2.\n",
        ("p10/p10000035/s50414271.txt", zipfile.ZIP_LZMA): b" IMPRESSION: Lzma.\n",
    }
    z = tmp_path / "r.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for (name, method), data in texts.items():
            zf.writestr(f"top/files/{name}", data, compress_type=method)
    members = reportzip.report_members(z)
    df = reportzip.read_members(str(z), members.select(reportzip.MEMBER_FIELDS).rows())
    assert df["error"].null_count() == df.height
    assert df["text"].to_list() == [decode_report(data) for data in texts.values()]
    assert df["text"].to_list() == [read_report(z, name) for name in df["path"]]
