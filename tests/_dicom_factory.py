"""Test helper: write small DICOM files shaped like MIMIC-CXR ones, in any transfer syntax pydicom can make.

Shared by ``tests/images/`` and ``tests/storage/`` (``tests/conftest.py`` puts ``tests/`` on ``sys.path``).
Transfer syntaxes no installed encoder can write (JPEG-LS, JPEG extended 12-bit) come from pydicom's bundled
test files; JPEG lossless (process 14) is written by the small encoder below, JPEG baseline by Pillow.
"""

from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
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
    generate_uid,
)

DX_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.1.1"
SUBJECT, STUDY = 10000032, 50414267
DICOM_IDS = [f"{i:08x}-bde0afdd-112c0b34-7bc16630-4e384014" for i in range(1, 200)]


def mimic_path(
    root: Path, index: int = 0, ext: str = ".dcm", subject: int = SUBJECT, study: int = STUDY
) -> Path:
    """A MIMIC-shaped path under ``root`` for the ``index``-th test image."""
    p = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}" / f"s{study}" / f"{DICOM_IDS[index]}{ext}"
    p.parent.mkdir(parents=True, exist_ok=True)
    return p


def phantom(
    rows: int = 48, cols: int = 64, bits: int = 12, seed: int = 0, signed: bool = False
) -> np.ndarray:
    """A smooth gradient plus noise covering most of the stored range (so every window is exercised)."""
    rng = np.random.default_rng(seed)
    hi = (1 << bits) - 1
    y, x = np.mgrid[0:rows, 0:cols]
    base = (x / max(cols - 1, 1) * 0.7 + y / max(rows - 1, 1) * 0.3) * hi
    arr = np.clip(base + rng.normal(0, hi * 0.02, size=base.shape), 0, hi)
    arr[0, 0], arr[-1, -1] = 0, hi  # both extremes present
    if bits <= 8:
        out = arr.astype(np.uint8)
    else:
        out = arr.astype(np.uint16)
    if signed:
        out = (out.astype(np.int32) - (1 << (bits - 1))).astype(np.int16 if bits > 8 else np.int8)
    return out


def base_dataset(
    pixels: np.ndarray,
    *,
    photometric: str = "MONOCHROME2",
    bits_stored: int = 12,
    view: str = "PA",
    extra: dict | None = None,
) -> Dataset:
    """A DX dataset with the tags MIMIC-CXR files carry and ``pixels`` as native pixel data."""
    ds = Dataset()
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["DERIVED", "PRIMARY"]
    ds.SOPClassUID = DX_SOP_CLASS
    ds.SOPInstanceUID = generate_uid()
    ds.StudyDate = "21800506"
    ds.ContentDate = "21800506"
    ds.StudyTime = "080556.875"
    ds.ContentTime = "080600"
    ds.AccessionNumber = ""
    ds.Modality = "DX"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.Manufacturer = "Synthetic"
    ds.ReferringPhysicianName = ""
    code = Dataset()
    code.CodeValue, code.CodingSchemeDesignator, code.CodeMeaning = "CXR2", "L", "CHEST (PA AND LAT)"
    ds.ProcedureCodeSequence = Sequence([code])
    ds.PatientName = ""
    ds.PatientID = str(SUBJECT)
    ds.PatientBirthDate = ""
    ds.PatientSex = ""
    ds.AcquisitionDeviceProcessingDescription = "CHEST"
    ds.ViewPosition = view
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.StudyID = ""
    ds.SeriesNumber = 1
    ds.InstanceNumber = 1
    ds.PatientOrientation = ["A", "FR"]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = photometric
    ds.Rows, ds.Columns = pixels.shape[:2]
    ds.PixelSpacing = [0.139, 0.139]
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    ds.LossyImageCompression = "00"
    view_code = Dataset()
    view_code.CodeValue, view_code.CodingSchemeDesignator = "R-10214", "SRT"
    view_code.CodeMeaning = {"PA": "postero-anterior", "AP": "antero-posterior"}.get(view, "lateral")
    ds.ViewCodeSequence = Sequence([view_code])
    orient = Dataset()
    orient.CodeValue, orient.CodingSchemeDesignator, orient.CodeMeaning = "F-10440", "SRT", "Erect"
    ds.PatientOrientationCodeSequence = Sequence([orient])
    ds.PerformedProcedureStepDescription = "CHEST (PA AND LAT)"
    ds.PresentationLUTShape = "IDENTITY"
    for key, value in (extra or {}).items():
        setattr(ds, key, value)
    ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID = DX_SOP_CLASS
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    return ds


def write(ds: Dataset, path: Path, syntax: str = ExplicitVRLittleEndian) -> Path:
    """Write ``ds`` to ``path`` in ``syntax`` (compressing the native pixel data as needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian, DeflatedExplicitVRLittleEndian):
        ds.file_meta.TransferSyntaxUID = syntax
        ds.save_as(
            path, enforce_file_format=True, implicit_vr=syntax == ImplicitVRLittleEndian, little_endian=True
        )
    elif syntax == ExplicitVRBigEndian:
        arr = np.frombuffer(
            ds.PixelData, dtype=f"<{'u' if ds.PixelRepresentation == 0 else 'i'}{ds.BitsAllocated // 8}"
        )
        ds.PixelData = arr.astype(arr.dtype.newbyteorder(">")).tobytes()
        ds.file_meta.TransferSyntaxUID = syntax
        ds.save_as(path, enforce_file_format=True, implicit_vr=False, little_endian=False)
    elif syntax in (RLELossless, JPEG2000Lossless):
        ds.compress(syntax)
        ds.save_as(path, enforce_file_format=True)
    elif syntax == JPEGBaseline8Bit:
        from PIL import Image

        arr = np.frombuffer(ds.PixelData, dtype=np.uint8).reshape(ds.Rows, ds.Columns)
        buf = io.BytesIO()
        Image.fromarray(arr, mode="L").save(buf, format="JPEG", quality=95)
        _encapsulated(ds, buf.getvalue(), syntax, lossy=True)
        ds.save_as(path, enforce_file_format=True)
    elif syntax in (JPEGLossless, JPEGLosslessSV1):
        dtype = np.uint8 if ds.BitsAllocated == 8 else np.uint16
        arr = np.frombuffer(ds.PixelData, dtype=dtype).reshape(ds.Rows, ds.Columns)
        _encapsulated(ds, jpeg_lossless(arr, precision=ds.BitsStored), syntax, lossy=False)
        ds.save_as(path, enforce_file_format=True)
    else:  # pragma: no cover - a test asked for something this helper cannot make
        raise ValueError(f"cannot write {syntax}")
    return path


def _encapsulated(ds: Dataset, frame: bytes, syntax: str, lossy: bool) -> None:
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.file_meta.TransferSyntaxUID = syntax
    if lossy:
        ds.LossyImageCompression = "01"


def jpeg_lossless(arr: np.ndarray, precision: int, predictor: int = 1) -> bytes:
    """Encode a 2-D unsigned array as a JPEG lossless (process 14, first-order prediction) bit stream.

    A deliberately small encoder for test data: one component, one Huffman table with 5-bit codes for
    the 17 difference categories, no restart markers.
    """
    rows, cols = arr.shape
    x = arr.astype(np.int64)
    pred = np.empty_like(x)
    pred[0, 0] = 1 << (precision - 1)
    pred[0, 1:] = x[0, :-1]
    pred[1:, 0] = x[:-1, 0]
    if predictor == 1:
        pred[1:, 1:] = x[1:, :-1]
    else:  # pragma: no cover
        raise ValueError("only predictor 1 is implemented")
    diff = (x - pred) % 65536
    diff = np.where(diff > 32768, diff - 65536, diff)
    bits = []
    for d in diff.ravel().tolist():
        ssss = 0 if d == 0 else int(abs(d)).bit_length()
        bits.append(format(ssss, "05b"))  # canonical code of category ssss: 5 bits, value ssss
        if 0 < ssss < 16:
            extra = d if d > 0 else d - 1
            bits.append(format(extra & ((1 << ssss) - 1), f"0{ssss}b"))
    stream = "".join(bits)
    stream += "1" * (-len(stream) % 8)
    data = int(stream, 2).to_bytes(len(stream) // 8, "big") if stream else b""
    data = data.replace(b"\xff", b"\xff\x00")
    out = bytearray(b"\xff\xd8")
    out += b"\xff\xc3" + (11).to_bytes(2, "big") + bytes([precision]) + rows.to_bytes(2, "big")
    out += cols.to_bytes(2, "big") + bytes([1, 1, 0x11, 0])
    counts = [0] * 16
    counts[4] = 17  # 17 codes of length 5
    out += (
        b"\xff\xc4" + (2 + 1 + 16 + 17).to_bytes(2, "big") + bytes([0x00]) + bytes(counts) + bytes(range(17))
    )
    out += b"\xff\xda" + (8).to_bytes(2, "big") + bytes([1, 1, 0x00, predictor, 0, 0])
    out += data + b"\xff\xd9"
    return bytes(out)


def gzip_copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_bytes(gzip.compress(Path(src).read_bytes(), compresslevel=1))
    return dst


def bundled(name: str) -> Path:
    """A pydicom bundled test file (never downloaded)."""
    from pydicom.data import get_testdata_file

    p = get_testdata_file(name, download=False)
    assert p is not None, f"pydicom does not bundle {name}"
    return Path(p)


def study_date() -> dt.date:
    return dt.date(2180, 5, 6)


__all__ = [
    "DICOM_IDS",
    "ExplicitVRBigEndian",
    "base_dataset",
    "bundled",
    "gzip_copy",
    "jpeg_lossless",
    "mimic_path",
    "phantom",
    "pydicom",
    "write",
]


def undefined_lengths(path: Path) -> None:
    """Rewrite ``path`` with its three code sequences and their items of undefined length (delimited)."""
    raw = pydicom.dcmread(path)
    for seq in ("ViewCodeSequence", "ProcedureCodeSequence", "PatientOrientationCodeSequence"):
        raw[seq].is_undefined_length = True
        for item in raw[seq].value:
            item.is_undefined_length_sequence_item = True
    raw.save_as(path)
