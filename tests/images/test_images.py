from __future__ import annotations

import datetime as dt
import gzip
import io

import numpy as np
import pydicom
import pytest
from _dicom_factory import base_dataset, bundled, gzip_copy, mimic_path, phantom, write
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels import apply_modality_lut, apply_voi_lut
from pydicom.sequence import Sequence
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    RLELossless,
)

from cxrkit import images
from cxrkit.errors import CxrkitError, ImageReadError, MissingFileError
from cxrkit.images import encode
from cxrkit.images import header as image_header
from cxrkit.storage import Cache

# name -> (transfer syntax, bits stored, extra tags, photometric)
MADE = {
    "explicit_le": (ExplicitVRLittleEndian, 12, {"WindowCenter": 1800, "WindowWidth": 2500}, "MONOCHROME2"),
    "implicit_le": (ImplicitVRLittleEndian, 12, {}, "MONOCHROME2"),
    "big_endian": (ExplicitVRBigEndian, 12, {"WindowCenter": 2048, "WindowWidth": 4096}, "MONOCHROME2"),
    "deflated": (DeflatedExplicitVRLittleEndian, 12, {}, "MONOCHROME1"),
    "rle": (RLELossless, 12, {"WindowCenter": 1500, "WindowWidth": 1000}, "MONOCHROME1"),
    "jpeg_baseline": (JPEGBaseline8Bit, 8, {}, "MONOCHROME2"),
    "jpeg_lossless_p14": (JPEGLossless, 12, {}, "MONOCHROME2"),
    "jpeg_lossless_sv1": (JPEGLosslessSV1, 16, {"WindowCenter": 30000, "WindowWidth": 40000}, "MONOCHROME2"),
    "jpeg2000": (
        JPEG2000Lossless,
        12,
        {"VOILUTFunction": "SIGMOID", "WindowCenter": 2000, "WindowWidth": 3000},
        "MONOCHROME1",
    ),
    "rescale": (
        ExplicitVRLittleEndian,
        12,
        {"RescaleSlope": 2, "RescaleIntercept": -1024, "WindowCenter": 2000, "WindowWidth": 5000},
        "MONOCHROME2",
    ),
    "linear_exact": (
        ExplicitVRLittleEndian,
        12,
        {"VOILUTFunction": "LINEAR_EXACT", "WindowCenter": 2000, "WindowWidth": 1000},
        "MONOCHROME1",
    ),
}
BUNDLED = {
    "jpeg_ls_lossless": "MR_small_jpeg_ls_lossless.dcm",
    "jpeg_ls_near_lossless": "JPEGLSNearLossless_16.dcm",
    "jpeg_extended_12bit": "JPGExtended.dcm",
    "jpeg2000_lossy": "JPEG2000.dcm",
    "jpeg2000_signed": "693_J2KI.dcm",
    "big_endian_bundled": "MR_small_bigendian.dcm",
    "deflated_bundled": "image_dfl.dcm",
    "signed_ct": "CT_small.dcm",
}


def _voi_lut_dataset() -> Dataset:
    ds = base_dataset(phantom(bits=12, seed=3), photometric="MONOCHROME2")
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.add_new(0x00283006, "US", [int(65535 * (i / 4095) ** 0.5) for i in range(4096)])  # LUTData
    ds.VOILUTSequence = Sequence([item])
    ds.WindowCenter, ds.WindowWidth = 100, 10  # the LUT wins over the window, as in pydicom
    return ds


def _modality_lut_dataset() -> Dataset:
    ds = base_dataset(
        phantom(bits=12, seed=4), photometric="MONOCHROME1", extra={"WindowCenter": 5000, "WindowWidth": 6000}
    )
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", [2 * i + 100 for i in range(4096)])  # LUTData
    ds.ModalityLUTSequence = Sequence([item])
    return ds


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("dicoms")
    out = {}
    for i, (name, (syntax, bits, extra, photometric)) in enumerate(MADE.items()):
        ds = base_dataset(phantom(bits=bits, seed=i), photometric=photometric, bits_stored=bits, extra=extra)
        out[name] = write(ds, mimic_path(root, i), syntax)
    out["voi_lut"] = write(_voi_lut_dataset(), mimic_path(root, 40))
    out["modality_lut"] = write(_modality_lut_dataset(), mimic_path(root, 44))
    out["signed_12bit"] = write(
        base_dataset(phantom(bits=12, signed=True), extra={"WindowCenter": 0, "WindowWidth": 3000}),
        mimic_path(root, 41),
    )
    out["gz"] = gzip_copy(out["explicit_le"], mimic_path(root, 42, ".dcm.gz"))
    out["gz_monochrome1"] = gzip_copy(out["linear_exact"], mimic_path(root, 43, ".dcm.gz"))
    for name, bundled_name in BUNDLED.items():
        out[name] = bundled(bundled_name)
    return out


def _dataset(path):
    if str(path).endswith(".gz"):
        return pydicom.dcmread(io.BytesIO(gzip.decompress(path.read_bytes())))
    return pydicom.dcmread(path)


def reference(path) -> np.ndarray:
    """The straightforward pipeline: pixel_array, modality LUT, VOI LUT, inversion, scaled to [0, 1]."""
    ds = _dataset(path)
    x = apply_modality_lut(ds.pixel_array, ds).astype(np.float64)
    if "VOILUTSequence" in ds:
        lut = np.asarray(ds.VOILUTSequence[0].LUTData, dtype=np.float64)
        y = (apply_voi_lut(x.astype(np.int64), ds) - lut.min()) / (lut.max() - lut.min())
    elif "WindowCenter" in ds:
        bits = ds.BitsStored
        lo, hi = (
            (0, 2**bits - 1) if ds.PixelRepresentation == 0 else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
        )
        if "ModalityLUTSequence" in ds:
            lo, hi = 0, 2 ** ds.ModalityLUTSequence[0].LUTDescriptor[2] - 1
        elif "RescaleSlope" in ds and "RescaleIntercept" in ds:
            lo, hi = (v * float(ds.RescaleSlope) + float(ds.RescaleIntercept) for v in (lo, hi))
        y = (apply_voi_lut(x, ds) - lo) / (hi - lo)
    else:
        y = (x - x.min()) / (x.max() - x.min())
    if ds.PhotometricInterpretation == "MONOCHROME1":
        y = 1.0 - y
    return y


ALL = [*MADE, "voi_lut", "modality_lut", "signed_12bit", "gz", "gz_monochrome1", *BUNDLED]


@pytest.mark.parametrize("name", ALL)
def test_read_image_equals_reference_pipeline(files, name):
    img = images.read_image(files[name])
    ref = reference(files[name])
    assert img.dtype == np.float32 and img.ndim == 2
    assert img.shape == ref.shape
    assert 0.0 <= img.min() and img.max() <= 1.0
    np.testing.assert_allclose(img, ref, atol=2e-5)


@pytest.mark.parametrize("name", ALL)
def test_fast_header_parser_agrees_with_pydicom(files, name):
    fast = image_header.fast_header(files[name])
    if fast is not None:  # None: the file needs pydicom (big endian, deflate)
        assert fast == image_header.pydicom_header(files[name])
    header = images.read_header(files[name])
    assert list(header) == list(images.HEADER_KEYS)


def _all_bundled():
    import glob
    import os

    import pydicom.data

    return sorted(
        glob.glob(os.path.join(os.path.dirname(pydicom.data.__file__), "**", "*.dcm"), recursive=True)
    )


@pytest.mark.filterwarnings("ignore")
def test_fast_parser_agrees_with_pydicom_on_every_bundled_file():
    """pydicom's own test files: private and nested sequences, UN, character sets, odd encodings."""
    checked = 0
    for path in _all_bundled():
        fast = image_header.fast_header(path)
        if fast is not None:
            assert fast == image_header.pydicom_header(path), path
            checked += 1
    assert checked >= 50


@pytest.mark.filterwarnings("ignore")
def test_every_bundled_file_gives_the_reference_picture_or_a_clear_error():
    shown = 0
    for path in _all_bundled():
        try:
            img = images.read_image(path)
        except ImageReadError as exc:  # colour, multi-frame, no pixels, damaged: never another exception type
            assert path in str(exc)
            continue
        np.testing.assert_allclose(img, reference(path), atol=2e-5, err_msg=path)
        shown += 1
    assert shown >= 30


def test_fast_parser_used_for_plain_files_only(files):
    assert image_header.fast_header(files["explicit_le"]) is not None
    assert image_header.fast_header(files["gz"]) is not None
    assert image_header.fast_header(files["big_endian"]) is None
    assert image_header.fast_header(files["deflated"]) is None


def test_read_header_values(files):
    h = images.read_header(files["rescale"])
    assert h["subject_id"] == 10000032 and h["study_id"] == 50414267 and h["dicom_id"].startswith("0000000a")
    assert h["Modality"] == "DX" and h["ViewPosition"] == "PA" and h["ViewCodeMeaning"] == "postero-anterior"
    assert h["PerformedProcedureStepDescription"] == "CHEST (PA AND LAT)"
    assert h["ProcedureCodeMeaning"] == "CHEST (PA AND LAT)" and h["PatientOrientation"] == "Erect"
    assert h["StudyDate"] == dt.date(2180, 5, 6) and h["StudyTime"] == dt.time(8, 5, 56, 875000)
    assert (h["Rows"], h["Columns"], h["BitsStored"], h["BitsAllocated"]) == (48, 64, 12, 16)
    assert (
        h["PhotometricInterpretation"] == "MONOCHROME2" and h["TransferSyntaxUID"] == ExplicitVRLittleEndian
    )
    assert (h["RescaleSlope"], h["RescaleIntercept"], h["WindowCenter"], h["WindowWidth"]) == (
        2,
        -1024,
        2000,
        5000,
    )
    assert h["PixelSpacing"] == (0.139, 0.139)


def test_read_header_of_gz_matches_plain(files):
    plain, gz = images.read_header(files["explicit_le"]), images.read_header(files["gz"])
    assert {k: v for k, v in gz.items() if k != "dicom_id"} == {
        k: v for k, v in plain.items() if k != "dicom_id"
    }


def test_read_header_gz_decompresses_only_the_head(files, monkeypatch):
    calls = []
    real = image_header.read_head
    monkeypatch.setattr(image_header, "read_head", lambda p, limit: calls.append(limit) or real(p, limit))
    images.read_header(files["gz"])
    assert calls and max(calls) <= 1 << 14


def test_read_header_not_mimic_path_has_no_ids(files):
    h = images.read_header(files["signed_ct"])
    assert h["subject_id"] is None and h["study_id"] is None and h["dicom_id"] is None
    assert h["Rows"] == 128


def test_undefined_length_sequences_and_latin1(tmp_path):
    ds = base_dataset(phantom())
    ds.PerformedProcedureStepDescription = "THORAX ÉRECT"
    path = write(ds, tmp_path / "x.dcm")
    raw = pydicom.dcmread(path)
    for seq in ("ViewCodeSequence", "ProcedureCodeSequence", "PatientOrientationCodeSequence"):
        raw[seq].is_undefined_length = True
        for item in raw[seq].value:
            item.is_undefined_length_sequence_item = True
    raw.save_as(path)
    fast = image_header.fast_header(path)
    assert fast == image_header.pydicom_header(path)
    assert (
        fast["PerformedProcedureStepDescription"] == "THORAX ÉRECT"
        and fast["ViewCodeMeaning"] == "postero-anterior"
    )


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


# --- windows, downsampling, jpg ----------------------------------------------------------------------


def test_explicit_window_auto_and_minmax(files):
    path = files["implicit_le"]
    stored = pydicom.dcmread(path).pixel_array.astype(np.float64)
    img = images.read_image(path, window=(2000, 1001))
    np.testing.assert_allclose(img, np.clip((stored - 1999.5) / 1000 + 0.5, 0, 1), atol=2e-5)
    mm = images.read_image(path, window="minmax")
    np.testing.assert_allclose(mm, (stored - stored.min()) / (stored.max() - stored.min()), atol=2e-5)
    auto = images.read_image(path, window="auto")
    lo, hi = np.percentile(stored, [0.5, 99.5])
    np.testing.assert_allclose(auto, np.clip((stored - lo) / (hi - lo), 0, 1), atol=2e-5)
    with pytest.raises(ValueError, match="window"):
        images.read_image(path, window="bogus")


def test_monochrome1_is_inverted(files):
    img = images.read_image(files["deflated"])  # MONOCHROME1 without window: min-max then inverted
    stored = pydicom.dcmread(files["deflated"]).pixel_array
    assert img[np.unravel_index(stored.argmin(), stored.shape)] == pytest.approx(1.0)
    assert img[np.unravel_index(stored.argmax(), stored.shape)] == pytest.approx(0.0)


def test_max_size_block_mean_before_float_work(tmp_path):
    pixels = phantom(300, 250, bits=12)
    path = write(base_dataset(pixels), tmp_path / "big.dcm")
    img = images.read_image(path, max_size=100, window="minmax")
    assert img.shape == (100, 83)
    blocks = pixels[:300, :249].astype(np.float64).reshape(100, 3, 83, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(img, (blocks - blocks.min()) / (blocks.max() - blocks.min()), atol=2e-5)
    assert images.read_image(path, max_size=1000).shape == (300, 250)


def test_block_mean_handles_signed_and_float():
    a = np.array([[-4, -2], [2, 8]], dtype=np.int16)
    assert images.block_mean(a, 2).tolist() == [[1.0]]
    assert images.block_mean(a.astype(np.float32), 2).tolist() == [[1.0]]


@pytest.fixture
def jpg(tmp_path):
    arr = phantom(bits=8)
    path = mimic_path(tmp_path, 3, ".jpg")
    Image.fromarray(arr).save(path, quality=95)
    return path, np.asarray(Image.open(path))


def test_jpg_header_and_image(jpg):
    path, decoded = jpg
    h = images.read_header(path)
    assert (h["Rows"], h["Columns"], h["PhotometricInterpretation"], h["BitsStored"]) == (
        48,
        64,
        "MONOCHROME2",
        8,
    )
    assert h["dicom_id"] is not None and h["TransferSyntaxUID"] is None and h["ViewPosition"] is None
    np.testing.assert_allclose(images.read_image(path), decoded / 255.0, atol=1e-6)
    np.testing.assert_array_equal(images.read_stored(path), decoded)
    small = images.read_image(path, max_size=32)  # decoded at 1/2 scale by libjpeg
    assert small.shape == (24, 32)
    np.testing.assert_allclose(small, images.block_mean(decoded, 2) / 255.0, atol=0.1)
    assert np.abs(small - images.block_mean(decoded, 2) / 255.0).mean() < 0.02


# --- PNG and thumbnails -------------------------------------------------------------------------------


def test_to_png_round_trip():
    arr = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    back = np.asarray(Image.open(io.BytesIO(images.to_png(arr))))
    assert back.dtype == np.uint8 and back.shape == (48, 64)
    np.testing.assert_array_equal(back, (arr * 255 + 0.5).astype(np.uint8))
    with pytest.raises(ValueError, match="2-D"):
        images.to_png(np.zeros((2, 2, 3)))


@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (9, 1), (123, 77), (1018, 848)])
@pytest.mark.parametrize("level", [0, 1, 9])
def test_to_png_decodes_with_pillow_to_the_same_pixels(shape, level):
    """The numpy + zlib encoder (Up filter, wrapping differences) gives a PNG Pillow reads back exactly."""
    arr = np.random.default_rng(shape[0] * 7 + level).integers(0, 256, shape, dtype=np.uint8)
    with Image.open(io.BytesIO(images.to_png(arr, compress_level=level))) as im:
        assert im.mode == "L"
        np.testing.assert_array_equal(np.asarray(im), arr)


def test_to_jpeg_round_trip():
    arr = np.linspace(0, 1, 48 * 64, dtype=np.float32).reshape(48, 64)
    back = np.asarray(Image.open(io.BytesIO(images.to_jpeg(arr, quality=95))))
    assert back.shape == (48, 64) and np.abs(back / 255.0 - arr).max() < 0.03


def test_thumbnail_is_cached_by_file_identity(files, tmp_path, monkeypatch):
    cache = Cache(tmp_path / "cache")
    path = files["explicit_le"]
    first = images.thumbnail(path, size=32, cache=cache)
    assert Image.open(io.BytesIO(first)).size == (32, 24)
    assert len(list((tmp_path / "cache" / "thumbnails").rglob("*.png"))) == 1

    def boom(*args, **kwargs):
        raise AssertionError("second call must not decode")

    monkeypatch.setattr(encode, "read_image", boom)
    assert images.thumbnail(path, size=32, cache=cache) == first
    with pytest.raises(AssertionError):  # another size is another entry
        images.thumbnail(path, size=16, cache=cache)


def test_dicom_to_mimic_jpg_calls_the_recipe(files):
    jpg = images.dicom_to_mimic_jpg(files["explicit_le"])
    assert Image.open(io.BytesIO(jpg)).size == (64, 48)


# --- bad input ----------------------------------------------------------------------------------------


def _bad(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _assert_error(path, error=ImageReadError, match=None, func=images.read_image):
    with pytest.raises(error, match=match) as info:
        func(path)
    assert isinstance(info.value, CxrkitError)
    assert str(path) in str(info.value)


def test_truncated_pixel_data(files, tmp_path):
    data = files["explicit_le"].read_bytes()
    path = _bad(tmp_path, "cut.dcm", data[: len(data) - 1000])
    _assert_error(path, images.CorruptImageError, "truncated")
    assert images.read_header(path)["Rows"] == 48  # the header is intact


def test_truncated_compressed_pixel_data(files, tmp_path):
    data = files["jpeg2000"].read_bytes()
    _assert_error(
        _bad(tmp_path, "cut_j2k.dcm", data[: len(data) - 200]), images.CorruptImageError, "truncated"
    )


def test_truncated_header(files, tmp_path):
    path = _bad(tmp_path, "head.dcm", files["explicit_le"].read_bytes()[:400])
    _assert_error(path)
    _assert_error(path, func=images.read_header)


def test_not_dicom(tmp_path):
    path = _bad(tmp_path, "report.dcm", b"FINAL REPORT\n EXAMINATION: CHEST\n" * 20)
    _assert_error(path, images.NotAnImageError, "not a DICOM")
    _assert_error(path, images.NotAnImageError, func=images.read_header)
    _assert_error(_bad(tmp_path, "x.jpg", b"not a jpeg"), images.NotAnImageError)


def test_cut_gzip(files, tmp_path):
    data = files["gz"].read_bytes()
    path = _bad(tmp_path, "cut.dcm.gz", data[: len(data) // 2])
    _assert_error(path, images.CorruptImageError)
    _assert_error(
        _bad(tmp_path, "garbage.dcm.gz", b"\x1f\x8b" + b"\x00" * 50),
        images.CorruptImageError,
        func=images.read_header,
    )


def test_colour(files):
    _assert_error(bundled("SC_rgb_small_odd.dcm"), images.UnsupportedImageError, "colour")
    _assert_error(bundled("SC_rgb_jpeg.dcm"), images.UnsupportedImageError, "colour")


def test_multi_frame(tmp_path):
    ds = base_dataset(phantom())
    ds.NumberOfFrames = 2
    ds.PixelData = ds.PixelData * 2
    _assert_error(write(ds, tmp_path / "mf.dcm"), images.UnsupportedImageError, "multi-frame")


def test_no_pixel_data(tmp_path):
    ds = base_dataset(phantom())
    del ds.PixelData
    _assert_error(write(ds, tmp_path / "nopix.dcm"), images.CorruptImageError, "no pixel data")
    del ds.Rows, ds.Columns  # like a structured report
    _assert_error(write(ds, tmp_path / "report.dcm"), images.CorruptImageError, "no pixel data")


@pytest.mark.parametrize("rows, cols", [(0, 64), (60000, 60000)])
def test_absurd_size(tmp_path, rows, cols):
    ds = base_dataset(phantom())
    ds.Rows, ds.Columns = rows, cols
    _assert_error(write(ds, tmp_path / "absurd.dcm"), images.CorruptImageError, "absurd")


def test_unknown_transfer_syntax(files, tmp_path):
    ds = pydicom.dcmread(files["jpeg2000"])
    ds.file_meta.TransferSyntaxUID = "1.2.3.4.5"
    path = tmp_path / "private.dcm"
    ds.save_as(path)
    _assert_error(path, images.UndecodableImageError, r"1\.2\.3\.4\.5")


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


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError):
        images.read_image(tmp_path / "absent.dcm")
    with pytest.raises(MissingFileError):
        images.read_header(tmp_path / "absent.dcm.gz")


def test_images_is_the_public_face_of_the_split_modules():
    """Every contract name is importable from cxrkit.images, whichever module of its idea defines it."""
    import subprocess
    import sys

    from cxrkit.images import display, picture, stored

    for name in images.__all__:
        assert getattr(images, name) is not None, name
    assert images.read_stored is stored.read_stored and images.read_image is picture.read_image
    assert images.to_png is encode.to_png and images.apply_window is display.apply_window
    assert set(images.__all__) <= set(dir(images))
    with pytest.raises(AttributeError):
        images.no_such_name  # noqa: B018
    code = "from cxrkit.images import *; import sys; print(read_image.__module__, 'pydicom' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["cxrkit.images.picture", "False"]  # star-import works; pydicom still loads lazily
