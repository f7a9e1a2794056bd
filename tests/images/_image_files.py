"""Test helper for ``tests/images/``: the DICOM files of every transfer syntax and pixel case the image
tests read (``make_files``, behind the ``files`` fixture of ``conftest.py``), the straightforward pydicom
pipeline the pictures are compared with (``reference``), and the checks of the bad-file errors
(``bad_file``, ``assert_error``).

Importable from the test modules because pytest puts ``tests/images/`` on ``sys.path``.
"""

from __future__ import annotations

import glob
import gzip
import io
import os
from pathlib import Path

import numpy as np
import pydicom
import pydicom.data
import pytest
from _dicom_factory import base_dataset, bundled, gzip_copy, mimic_path, phantom, write
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
from cxrkit.errors import CxrkitError, ImageReadError

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


def make_files(root: Path) -> dict[str, Path]:
    """name -> path: a small file of each transfer syntax and pixel case above, written under ``root`` (the
    MADE ones, the two LUT cases, signed, two .dcm.gz), and pydicom's bundled files of the BUNDLED ones."""
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


def all_bundled() -> list[str]:
    """Every DICOM file bundled with pydicom (its own test files)."""
    return sorted(
        glob.glob(os.path.join(os.path.dirname(pydicom.data.__file__), "**", "*.dcm"), recursive=True)
    )


def bad_file(tmp_path, name: str, data: bytes) -> Path:
    """A file ``name`` under ``tmp_path`` holding ``data``."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_error(path, error=ImageReadError, match=None, func=images.read_image) -> None:
    """``func(path)`` raises ``error`` (matching ``match``), a CxrkitError that names the file."""
    with pytest.raises(error, match=match) as info:
        func(path)
    assert isinstance(info.value, CxrkitError)
    assert str(path) in str(info.value)
