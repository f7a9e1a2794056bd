"""cxrkit.reports.read: read_report of a file, a .txt.gz or a member of the reports zip."""

from __future__ import annotations

import gzip
import zipfile

import pytest

from cxrkit import reports
from cxrkit.errors import ReportReadError
from cxrkit.reports import read_report


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
