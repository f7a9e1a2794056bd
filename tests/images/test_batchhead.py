"""The batch header engine behind ``header_table`` gives the per-file reader's rows, file for file: on the
common files it reads itself, and by handing every unusual file (implicit VR, big endian, deflate, a head
over 64 KB, a nested sequence, Latin-1 text, values in old or odd forms, a cut download) back to it."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pydicom
import pytest
from _dicom_factory import base_dataset, mimic_path, phantom, undefined_lengths, write
from polars.testing import assert_frame_equal
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from cxrkit.images import stats as imagestats


@pytest.fixture(autouse=True)
def batch_any_number(monkeypatch):
    """The batch engine for tables of any size (by default it starts at BATCH_MIN files)."""
    monkeypatch.setattr(imagestats, "BATCH_MIN", 1)


def _per_file(paths):
    """The table as the per-file reader makes it (any Executor: no batch)."""
    with ThreadPoolExecutor(1) as pool:
        return imagestats.header_table(paths, executor=pool, progress=False, cache=False)


def _batched(paths):
    return imagestats.header_table(paths, executor="serial", progress=False, cache=False)


def _handled(paths) -> set[str]:
    """The files the batch engine reads itself (not handed back)."""
    frame, _ = imagestats.header_frame(paths, [os.path.getsize(p) for p in paths])
    return set(frame["path"].to_list())


def _nested(ds):
    inner = Dataset()
    inner.CodeMeaning = "inner"
    item = ds.ViewCodeSequence[0]
    item.ViewModifierCodeSequence = Sequence([inner])


def _nested_undefined(path):
    undefined_lengths(path)
    raw = pydicom.dcmread(path)
    raw.ViewCodeSequence[0]["ViewModifierCodeSequence"].is_undefined_length = True
    raw.save_as(path)


def _spaces(path):
    """A leading tab in DS and IS values (pydicom would strip it; the reader strips only spaces and NULs):
    ``float()`` takes it, the batch's plain decimals do not."""
    data = path.read_bytes()
    path.write_bytes(
        data.replace(b"DS\x04\x001800", b"DS\x04\x00\t180").replace(b"IS\x02\x001 ", b"IS\x02\x00\t1")
    )


def _empty_first_spacing(path):
    """PixelSpacing ``\\0.13\\0.139``: ``float("")`` fails, so the per-file reader has no spacing."""
    path.write_bytes(path.read_bytes().replace(b"0.139\\0.139", b"\\0.13\\0.139"))


def _nul_in_spacing(path):
    """PixelSpacing ``0.139\\x00\\0.13``: NULs are stripped at the ends only; ``float`` refuses one inside."""
    path.write_bytes(path.read_bytes().replace(b"0.139\\0.139", b"0.139\x00\\0.13"))


def _variants(root):
    """name -> (path, whether the batch engine reads it itself)."""
    made = {}

    def add(name, handled, extra=None, edit=None, i=None, after=None):
        ds = base_dataset(phantom(), extra=extra)
        if edit is not None:
            edit(ds)
        path = write(ds, mimic_path(root, len(made) if i is None else i))
        if after is not None:
            after(path)
        made[name] = (str(path), handled)

    add("plain", True)
    add("undefined_sequences", True, after=undefined_lengths)
    add("two_items_first_has_no_meaning", True, edit=lambda ds: ds.ViewCodeSequence.insert(0, Dataset()))
    add("no_code_sequences", True, edit=lambda ds: [delattr(ds, k) for k in ("ViewCodeSequence",)])
    add(
        "short_forms", True, extra={"StudyTime": "0805", "WindowCenter": "1800\\2000", "WindowWidth": "2.5e3"}
    )
    add("hours_only", True, extra={"StudyTime": "08", "StudyDate": ""})
    add("impossible_date_and_time", True, extra={"StudyDate": "21801332", "StudyTime": "250000"})
    add("leap_second", True, extra={"StudyTime": "235960.5"})
    add("frames", True, extra={"NumberOfFrames": "1"})
    add("imager_spacing_only", True, edit=lambda ds: (delattr(ds, "PixelSpacing"), _imager(ds)))
    add("one_spacing_value", True, edit=lambda ds: setattr(ds, "PixelSpacing", "0.2"))
    add("no_pixel_data_short_file", True, edit=lambda ds: delattr(ds, "PixelData"))
    add("spacing_first_value_empty", False, after=_empty_first_spacing)
    add("nul_inside_number", False, after=_nul_in_spacing)
    add("old_date_and_time_forms", False, extra={"StudyDate": "2180.05.06", "StudyTime": "08:05:56"})
    add("tab_in_numbers", False, extra={"WindowCenter": "1800", "NumberOfFrames": "1"}, after=_spaces)
    add("latin1", False, extra={"PerformedProcedureStepDescription": "THORAX ÉRECT"})
    add("nested_sequence", False, edit=_nested, after=_nested_undefined)
    add("over_8kb", True, edit=lambda ds: ds.add_new(0x00091010, "OB", b"\0" * 9000))  # read again, 64 KB
    add("over_64kb", False, edit=lambda ds: ds.add_new(0x00091010, "OB", b"\0" * 70000))
    add("cut_download", False, after=lambda p: os.truncate(p, os.path.getsize(p) - 100))
    ds = base_dataset(phantom())
    not_mimic = root / "elsewhere" / "image.dcm"
    made["not_mimic_path"] = (str(write(ds, not_mimic)), True)
    return made


def _imager(ds):
    ds.ImagerPixelSpacing = [0.15, 0.16]


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    return _variants(tmp_path_factory.mktemp("variants"))


def test_batch_rows_are_the_per_file_rows(variants):
    paths = [p for p, _ in variants.values()]
    batched = _batched(paths)
    assert_frame_equal(batched, _per_file(paths))
    cut = batched.filter(batched["path"] == variants["cut_download"][0])
    assert cut["error"][0].startswith("CorruptImageError")  # the per-file reader's error row


def test_batch_reads_the_common_files_and_hands_back_the_rest(variants):
    handled = _handled([p for p, _ in variants.values()])
    assert {name for name, (p, _) in variants.items() if p in handled} == {
        name for name, (_, h) in variants.items() if h
    }


def test_batch_values_of_short_and_impossible_forms(variants):
    rows = {name: _batched([p]).row(0, named=True) for name, (p, _) in variants.items()}
    assert str(rows["short_forms"]["StudyTime"]) == "08:05:00"
    assert rows["short_forms"]["WindowCenter"] == 1800.0 and rows["short_forms"]["WindowWidth"] == 2500.0
    assert rows["impossible_date_and_time"]["StudyDate"] is None
    assert rows["impossible_date_and_time"]["StudyTime"] is None
    assert str(rows["leap_second"]["StudyTime"]) == "23:59:59.500000"
    assert rows["imager_spacing_only"]["PixelSpacing"] == [0.15, 0.16]
    assert rows["one_spacing_value"]["PixelSpacing"] is None
    assert rows["spacing_first_value_empty"]["PixelSpacing"] is None
    assert rows["nul_inside_number"]["PixelSpacing"] is None
    assert rows["two_items_first_has_no_meaning"]["ViewCodeMeaning"] == "postero-anterior"
    assert rows["no_code_sequences"]["ViewCodeMeaning"] is None
    assert rows["not_mimic_path"]["subject_id"] is None and rows["not_mimic_path"]["Rows"] == 48
    assert rows["tab_in_numbers"]["WindowCenter"] == 180.0 and rows["tab_in_numbers"]["NumberOfFrames"] == 1


def test_batch_on_every_transfer_syntax_and_bundled_file(files):
    paths = [str(p) for p in files.values()]
    assert_frame_equal(_batched(paths), _per_file(paths))
    handled = _handled(paths)
    assert str(files["explicit_le"]) in handled and str(files["voi_lut"]) in handled  # 8 KB of LUT: 64 KB
    for unusual in ("implicit_le", "big_endian", "deflated", "gz"):
        assert str(files[unusual]) not in handled


def test_batch_on_demo_files(demo4):
    paths = sorted(str(p) for p in (demo4 / "files").rglob("*.dcm"))
    assert len(_handled(paths)) > len(paths) // 2
    assert_frame_equal(_batched(paths), _per_file(paths))


def test_small_tables_go_per_file(variants, monkeypatch):
    """Below BATCH_MIN files the batch's fixed cost is not worth it: the per-file reader does them all."""
    paths = [p for p, _ in variants.values()]
    calls, real = [], imagestats.header_frame
    monkeypatch.setattr(imagestats, "header_frame", lambda *a: calls.append(len(a[0])) or real(*a))
    monkeypatch.setattr(imagestats, "BATCH_MIN", len(paths) + 1)
    small = _batched(paths)
    assert calls == []
    monkeypatch.setattr(imagestats, "BATCH_MIN", len(paths))
    assert_frame_equal(_batched(paths), small)
    assert calls == [len(paths)]  # every file is a .dcm


def test_batch_in_chunks(variants, monkeypatch):
    paths = [p for p, _ in variants.values()]
    whole = _batched(paths)
    monkeypatch.setattr("cxrkit.images._batchhead.CHUNK", 3)  # 3 files a buffer
    assert_frame_equal(_batched(paths), whole)


@pytest.mark.parametrize("at", [8176, 8182, 9000])
def test_batch_extent_check_as_the_per_file_reads(tmp_path, at):
    """A cut download whose pixel data element starts near 8 KB: the per-file reader checks the extent only
    when the element's 12 bytes are inside the read that ended its walk (8 KB, else 64 KB); the batch's
    16 KB read must not check more: at 8182 the row has no error, and the batch reads it itself (a cut file
    it finds it hands back to the per-file reader, which names the error)."""
    ds = base_dataset(phantom())
    path = write(ds, mimic_path(tmp_path, 1))
    head = path.read_bytes().find(b"\xe0\x7f\x10\x00OW")
    pad = at - head - 12  # a private OB element before the pixel data moves it to `at`
    ds.add_new(0x00091010, "OB", b"\0" * pad)
    write(ds, path)
    data = path.read_bytes()
    assert data.find(b"\xe0\x7f\x10\x00OW") == at
    os.truncate(path, len(data) - 10)
    batched = _batched([str(path)])
    assert_frame_equal(batched, _per_file([str(path)]))
    assert batched["error"].is_null()[0] == (at == 8182)
    assert (str(path) in _handled([str(path)])) == (at == 8182)
