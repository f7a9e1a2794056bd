"""cxrkit.images.encode: to_png, to_jpeg, thumbnail (cached by file identity) and dicom_to_mimic_jpg."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from cxrkit import images
from cxrkit.images import encode
from cxrkit.storage import Cache


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
