"""The published MIMIC-CXR-JPG conversion recipe, as one function.

MIMIC-CXR-JPG was made from the MIMIC-CXR DICOM files by: reading the stored pixel values (no modality LUT,
no VOI LUT, no windowing); shifting them to start at zero and scaling by the new maximum to 0..255 as
``uint8``; inverting MONOCHROME1 images so that bone is bright; histogram equalisation; and JPEG compression
at quality 95 at full resolution. :func:`to_mimic_jpg` does exactly that, so a JPG made from a DICOM here
looks like the one PhysioNet ships (byte equality is not expected: JPEG encoders differ).

Examples
--------
>>> import io, numpy as np
>>> from PIL import Image
>>> pixels = np.arange(64 * 48, dtype=np.uint16).reshape(64, 48) % 4096
>>> data = to_mimic_jpg(pixels, "MONOCHROME2")
>>> data[:3] == b"\\xff\\xd8\\xff", Image.open(io.BytesIO(data)).size
(True, (48, 64))
"""

from __future__ import annotations

import io

import numpy as np

__all__ = ["equalize_histogram", "scale_to_uint8", "to_mimic_jpg"]

PHOTOMETRIC_INTERPRETATIONS = ("MONOCHROME1", "MONOCHROME2")


def scale_to_uint8(pixels: np.ndarray) -> np.ndarray:
    """``(x - min) / max * 255`` as ``uint8``, where ``max`` is the maximum after subtracting the minimum.

    Values are truncated toward zero (``astype``), as in the published code. A constant image gives zeros.

    Examples
    --------
    >>> scale_to_uint8(np.array([[100, 150, 200]])).tolist()
    [[0, 127, 255]]
    """
    x = np.asarray(pixels, dtype=np.float64)
    if x.size == 0:
        return np.zeros(x.shape, dtype=np.uint8)
    x = x - x.min()
    top = x.max()
    if top > 0:
        x = x / top
    return (x * 255.0).astype(np.uint8)


def equalize_histogram(image: np.ndarray) -> np.ndarray:
    """Histogram equalisation of a ``uint8`` image, with the same look-up table as OpenCV's ``equalizeHist``.

    The lowest occupied grey level maps to 0 and the cumulative count of the others, scaled by
    ``255 / (pixels - count of the lowest level)`` and rounded, gives the rest. A constant image is unchanged.

    Examples
    --------
    >>> equalize_histogram(np.array([[0, 0, 10, 200]], dtype=np.uint8)).tolist()
    [[0, 0, 128, 255]]
    """
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise TypeError(f"equalize_histogram expects a uint8 image, got {img.dtype}")
    hist = np.bincount(img.ravel(), minlength=256)
    total = img.size
    nonzero = np.flatnonzero(hist)
    if nonzero.size == 0:
        return img.copy()
    first = int(nonzero[0])
    if hist[first] == total:
        return img.copy()
    scale = 255.0 / (total - hist[first])
    cumulative = np.cumsum(hist)
    lut = np.zeros(256, dtype=np.float64)
    lut[first + 1 :] = (cumulative[first + 1 :] - hist[first]) * scale
    lut = np.clip(np.rint(lut), 0, 255).astype(np.uint8)
    return lut[img]


def to_mimic_jpg(pixels: np.ndarray, photometric: str, *, quality: int = 95) -> bytes:
    """Convert stored DICOM pixel values to a MIMIC-CXR-JPG style JPEG, following the published recipe.

    Parameters
    ----------
    pixels
        A 2-D array of stored pixel values (e.g. ``pydicom``'s ``pixel_array``), any integer or float dtype.
        No modality LUT, VOI LUT or windowing is applied, exactly as in MIMIC-CXR-JPG.
    photometric
        The DICOM PhotometricInterpretation, ``"MONOCHROME1"`` (low values bright: inverted here) or
        ``"MONOCHROME2"``.
    quality
        JPEG quality; MIMIC-CXR-JPG used 95.

    Returns
    -------
    bytes
        A baseline greyscale JPEG at the array's full resolution.

    Raises
    ------
    ValueError
        If ``pixels`` is not 2-D or ``photometric`` is not MONOCHROME1/MONOCHROME2.

    Notes
    -----
    Steps: ``x = (x - x.min()); x = x / x.max() * 255`` truncated to ``uint8``; ``255 - x`` for
    MONOCHROME1; histogram equalisation (:func:`equalize_histogram`, OpenCV's table); Pillow JPEG at
    ``quality``.

    Examples
    --------
    >>> import io, numpy as np
    >>> from PIL import Image
    >>> ramp = np.tile(np.arange(0, 4096, 16, dtype=np.uint16), (32, 1))
    >>> light = np.asarray(Image.open(io.BytesIO(to_mimic_jpg(ramp, "MONOCHROME2"))))
    >>> dark = np.asarray(Image.open(io.BytesIO(to_mimic_jpg(ramp, "MONOCHROME1"))))
    >>> light.shape, bool(light[0, -1] > light[0, 0]), bool(dark[0, -1] < dark[0, 0])
    ((32, 256), True, True)
    """
    from PIL import Image

    arr = np.asarray(pixels)
    if arr.ndim != 2:
        raise ValueError(f"to_mimic_jpg expects a 2-D greyscale array, got shape {arr.shape}")
    mode = str(photometric).strip().upper()
    if mode not in PHOTOMETRIC_INTERPRETATIONS:
        raise ValueError(
            f"photometric interpretation {photometric!r} is not MONOCHROME1 or MONOCHROME2; "
            "convert colour images another way"
        )
    img = scale_to_uint8(arr)
    if mode == "MONOCHROME1":
        img = 255 - img
    img = equalize_histogram(img)
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
