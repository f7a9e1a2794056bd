"""Tests of the MIMIC-CXR-JPG recipe."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxrkit.images.mimic_jpg import equalize_histogram, scale_to_uint8, to_mimic_jpg


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.mode == "L"
        return np.asarray(im)


def test_scale_divides_by_the_shifted_maximum():
    x = np.array([[1000, 1500, 3000]], dtype=np.uint16)
    # (x - 1000) / 2000 * 255, truncated
    assert scale_to_uint8(x).tolist() == [[0, 63, 255]]
    assert scale_to_uint8(np.full((2, 2), 7)).tolist() == [[0, 0], [0, 0]]


def test_equalisation_spreads_a_narrow_histogram():
    rng = np.random.default_rng(0)
    img = rng.integers(100, 120, size=(64, 64)).astype(np.uint8)
    out = equalize_histogram(img)
    assert out.min() == 0 and out.max() == 255
    # monotonic: the order of grey levels is kept
    order = np.argsort(img.ravel(), kind="stable")
    assert (np.diff(out.ravel()[order].astype(int)) >= 0).all()
    with pytest.raises(TypeError):
        equalize_histogram(img.astype(np.uint16))


def test_full_resolution_and_monochrome1_inversion():
    ramp = np.tile(np.linspace(0, 4095, 300).astype(np.uint16), (200, 1))
    m2 = decode(to_mimic_jpg(ramp, "MONOCHROME2"))
    m1 = decode(to_mimic_jpg(ramp, "MONOCHROME1"))
    assert m2.shape == m1.shape == (200, 300)
    assert m2[:, :10].mean() < 30 and m2[:, -10:].mean() > 225
    assert m1[:, :10].mean() > 225 and m1[:, -10:].mean() < 30


def test_bad_input():
    with pytest.raises(ValueError, match="MONOCHROME"):
        to_mimic_jpg(np.zeros((4, 4)), "RGB")
    with pytest.raises(ValueError, match="2-D"):
        to_mimic_jpg(np.zeros((4, 4, 3)), "MONOCHROME2")
