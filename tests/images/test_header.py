"""cxrkit.images.header: read_header and header_from_bytes, the fast parser against pydicom, .jpg headers,
and the files whose header cannot be read."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from _dicom_factory import base_dataset, mimic_path, phantom, undefined_lengths, write
from _image_files import ALL, all_bundled, assert_error, bad_file
from PIL import Image
from pydicom.uid import ExplicitVRLittleEndian

from cxrkit import images
from cxrkit.errors import MissingFileError
from cxrkit.images import header as image_header


@pytest.mark.parametrize("name", ALL)
def test_fast_header_parser_agrees_with_pydicom(files, name):
    fast = image_header.fast_header(files[name])
    if fast is not None:  # None: the file needs pydicom (big endian, deflate)
        assert fast == image_header.pydicom_header(files[name])
    header = images.read_header(files[name])
    assert list(header) == list(images.HEADER_KEYS)


@pytest.mark.filterwarnings("ignore")
def test_fast_parser_agrees_with_pydicom_on_every_bundled_file():
    """pydicom's own test files: private and nested sequences, UN, character sets, odd encodings."""
    checked = 0
    for path in all_bundled():
        fast = image_header.fast_header(path)
        if fast is not None:
            assert fast == image_header.pydicom_header(path), path
            checked += 1
    assert checked >= 50


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
    undefined_lengths(path)
    fast = image_header.fast_header(path)
    assert fast == image_header.pydicom_header(path)
    assert (
        fast["PerformedProcedureStepDescription"] == "THORAX ÉRECT"
        and fast["ViewCodeMeaning"] == "postero-anterior"
    )


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


# --- header_from_bytes: the same dictionary from a file's first bytes -----------------------------------


@pytest.mark.parametrize("name", ALL)
def test_header_from_bytes_of_a_whole_file_is_read_header(files, name):
    path = files[name]
    assert images.header_from_bytes(path.read_bytes(), path) == images.read_header(path)


def test_header_from_bytes_of_a_head(files, jpg):
    for path in (files["explicit_le"], files["gz"]):
        head = path.read_bytes()[:400]  # cut inside the header
        assert images.header_from_bytes(head, path, complete=False) is None  # read more and ask again
        with pytest.raises(images.CorruptImageError):  # the whole file: it was cut
            images.header_from_bytes(head, path)
    gz = files["gz"]
    head = gz.read_bytes()[:4096]  # the compressed bytes, as stored
    assert len(head) < gz.stat().st_size
    assert images.header_from_bytes(head, gz, complete=False) == images.read_header(gz)
    path, _ = jpg
    assert images.header_from_bytes(path.read_bytes(), path) == images.read_header(path)


def test_header_from_bytes_of_not_an_image():
    with pytest.raises(images.NotAnImageError, match="report.dcm: not a DICOM"):
        images.header_from_bytes(b"FINAL REPORT\n EXAMINATION: CHEST\n" * 20, "report.dcm")
    with pytest.raises(images.NotAnImageError, match="x.jpg"):
        images.header_from_bytes(b"not a jpeg", "x.jpg")


# --- files whose header cannot be read -------------------------------------------------------------


def test_truncated_header(files, tmp_path):
    path = bad_file(tmp_path, "head.dcm", files["explicit_le"].read_bytes()[:400])
    assert_error(path)
    assert_error(path, func=images.read_header)


def test_not_dicom(tmp_path):
    path = bad_file(tmp_path, "report.dcm", b"FINAL REPORT\n EXAMINATION: CHEST\n" * 20)
    assert_error(path, images.NotAnImageError, "not a DICOM")
    assert_error(path, images.NotAnImageError, func=images.read_header)
    assert_error(bad_file(tmp_path, "x.jpg", b"not a jpeg"), images.NotAnImageError)


def test_missing_file(tmp_path):
    with pytest.raises(MissingFileError):
        images.read_image(tmp_path / "absent.dcm")
    with pytest.raises(MissingFileError):
        images.read_header(tmp_path / "absent.dcm.gz")


@pytest.mark.parametrize("name", ["explicit_le", "gz", "big_endian"])
def test_a_head_cut_anywhere_gives_none_or_the_whole_header(files, name):
    """A head that ends where a file-meta element ends (132 or 144 bytes) once gave a header of Nones."""
    data = files[name].read_bytes()
    want = images.read_header(files[name])
    for n in [*range(100, 400, 4), 128, 132, 144]:
        got = images.header_from_bytes(data[:n], files[name], complete=False)
        assert got is None or got == want, n
