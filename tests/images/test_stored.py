"""cxrkit.images.stored: read_stored's decoders and their plugin fallback, and the errors of the files whose
pixels cannot be read."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from _dicom_factory import base_dataset, bundled, phantom, write
from _image_files import assert_error, bad_file, reference
from pydicom.uid import JPEG2000Lossless, JPEGBaseline8Bit, RLELossless

from cxrkit import images


@pytest.mark.parametrize(
    "name, syntax",
    [("rle", RLELossless), ("jpeg2000", JPEG2000Lossless), ("jpeg_baseline", JPEGBaseline8Bit)],
)
def test_falls_back_to_another_plugin(files, monkeypatch, name, syntax):
    from pydicom.pixels import get_decoder

    decoder = get_decoder(syntax)
    assert len(decoder._available) >= 2, "this syntax needs two installed decoding plugins"

    def broken(src, runner):
        raise RuntimeError("simulated plugin failure")

    monkeypatch.setitem(decoder._available, next(iter(decoder._available)), broken)
    np.testing.assert_allclose(images.read_image(files[name]), reference(files[name]), atol=3 / 255)


# --- files whose pixels cannot be read -------------------------------------------------------------


def test_truncated_pixel_data(files, tmp_path):
    data = files["explicit_le"].read_bytes()
    path = bad_file(tmp_path, "cut.dcm", data[: len(data) - 1000])
    assert_error(path, images.CorruptImageError, "truncated")
    assert images.read_header(path)["Rows"] == 48  # the header is intact


def test_truncated_compressed_pixel_data(files, tmp_path):
    data = files["jpeg2000"].read_bytes()
    assert_error(
        bad_file(tmp_path, "cut_j2k.dcm", data[: len(data) - 200]), images.CorruptImageError, "truncated"
    )


def test_cut_gzip(files, tmp_path):
    data = files["gz"].read_bytes()
    path = bad_file(tmp_path, "cut.dcm.gz", data[: len(data) // 2])
    assert_error(path, images.CorruptImageError)
    assert_error(
        bad_file(tmp_path, "garbage.dcm.gz", b"\x1f\x8b" + b"\x00" * 50),
        images.CorruptImageError,
        func=images.read_header,
    )


def test_colour(files):
    assert_error(bundled("SC_rgb_small_odd.dcm"), images.UnsupportedImageError, "colour")
    assert_error(bundled("SC_rgb_jpeg.dcm"), images.UnsupportedImageError, "colour")


def test_multi_frame(tmp_path):
    ds = base_dataset(phantom())
    ds.NumberOfFrames = 2
    ds.PixelData = ds.PixelData * 2
    assert_error(write(ds, tmp_path / "mf.dcm"), images.UnsupportedImageError, "multi-frame")


def test_no_pixel_data(tmp_path):
    ds = base_dataset(phantom())
    del ds.PixelData
    assert_error(write(ds, tmp_path / "nopix.dcm"), images.CorruptImageError, "no pixel data")
    del ds.Rows, ds.Columns  # like a structured report
    assert_error(write(ds, tmp_path / "report.dcm"), images.CorruptImageError, "no pixel data")


@pytest.mark.parametrize("rows, cols", [(0, 64), (60000, 60000)])
def test_absurd_size(tmp_path, rows, cols):
    ds = base_dataset(phantom())
    ds.Rows, ds.Columns = rows, cols
    assert_error(write(ds, tmp_path / "absurd.dcm"), images.CorruptImageError, "absurd")


def test_unknown_transfer_syntax(files, tmp_path):
    ds = pydicom.dcmread(files["jpeg2000"])
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    path = tmp_path / "private.dcm"
    ds.save_as(path)
    assert_error(path, images.UndecodableImageError, r"1\.2\.3\.4\.5")


def test_missing_decoder_names_syntax_and_package(files, monkeypatch):
    import pydicom.pixels

    class Unavailable:
        is_available = False
        missing_dependencies = ("pyjpegls",)

    monkeypatch.setattr(pydicom.pixels, "get_decoder", lambda uid: Unavailable())
    path = files["jpeg_ls_lossless"]
    with pytest.raises(images.UndecodableImageError) as info:
        images.read_image(path)
    message = str(info.value)
    assert str(path) in message and "JPEG-LS Lossless" in message and "1.2.840.10008.1.2.4.80" in message
    assert "pylibjpeg-libjpeg" in message
