"""cxrkit.images.picture: read_image against the reference pipeline, windows, MONOCHROME1, the block mean."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from _dicom_factory import base_dataset, phantom, write
from _image_files import ALL, all_bundled, reference

from cxrkit import images
from cxrkit.errors import ImageReadError


@pytest.mark.parametrize("name", ALL)
def test_read_image_equals_reference_pipeline(files, name):
    img = images.read_image(files[name])
    ref = reference(files[name])
    assert img.dtype == np.float32 and img.ndim == 2
    assert img.shape == ref.shape
    assert 0.0 <= img.min() and img.max() <= 1.0
    np.testing.assert_allclose(img, ref, atol=2e-5)


@pytest.mark.filterwarnings("ignore")
def test_every_bundled_file_gives_the_reference_picture_or_a_clear_error():
    shown = 0
    for path in all_bundled():
        try:
            img = images.read_image(path)
        except ImageReadError as exc:  # colour, multi-frame, no pixels, damaged: never another exception type
            assert path in str(exc)
            continue
        np.testing.assert_allclose(img, reference(path), atol=2e-5, err_msg=path)
        shown += 1
    assert shown >= 30


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
