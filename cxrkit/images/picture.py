"""From a file to a picture: modality values with their display info, then the display pipeline.

:func:`read_modality` reads the stored values (:mod:`cxrkit.images.stored`), downsamples them by area
averaging while they are still integers, applies the modality LUT or rescale, and returns them with what
displaying them takes (photometric interpretation, the file's windows and VOI LUT, bit range, the pydicom
header). :func:`read_image` finishes the picture with :func:`cxrkit.images.display.apply_window`: it *is*
``apply_window(*read_modality(path, max_size=...), window)``, so a viewer that keeps ``read_modality``'s
array and re-windows it shows exactly what :func:`read_image` gives.

Examples
--------
>>> import cxrkit
>>> from cxrkit.images import apply_window
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
>>> x, info = read_modality(path, max_size=256)
>>> bool((apply_window(x, info, "auto") == read_image(path, max_size=256, window="auto")).all())
True
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from . import display
from ._files import dcmread, file_kind, open_jpg
from .stored import read_jpg_values, read_stored_with_header

__all__ = ["read_image", "read_modality"]


def read_modality(
    path: str | os.PathLike, *, max_size: int | None = None
) -> tuple[np.ndarray, dict[str, Any]]:
    """The pixels in modality units and what it takes to display them: the first half of :func:`read_image`.

    Stored values -> (``max_size``: area-average downsampling, still on the integers) -> modality LUT
    (ModalityLUTSequence, or RescaleSlope/RescaleIntercept). :func:`cxrkit.images.display.apply_window`
    finishes the picture for any window without reading the file again:
    ``read_image(path, max_size=m, window=w)`` is ``apply_window(*read_modality(path, max_size=m), w)``.

    Parameters
    ----------
    path
        ``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg`` (its 8-bit values are its modality values).
    max_size
        Longest side of the result, at most: the image is averaged over integer blocks of
        ``ceil(longest side / max_size)`` pixels (edge pixels that do not fill a block are dropped).

    Returns
    -------
    array : numpy.ndarray
        2-D ``float32`` modality values.
    info : dict
        ``photometric`` (``MONOCHROME1`` or ``MONOCHROME2``); ``windows``, the file's ``(center, width)``
        pairs (a ``.jpg``: ``(127.5, 255.0)``, its stored range); ``voi_function`` (VOILUTFunction, default
        ``LINEAR``; ``LINEAR_EXACT`` for a ``.jpg``); ``voi_lut``, the first VOI LUT as ``(first input value,
        output values)`` or ``None``; ``bits_stored`` and ``signed``, the stored bit range; ``shape``, the
        full-resolution ``(rows, columns)``; ``factor``, the downsampling factor; ``dataset``, the pydicom
        header (no pixel data; ``None`` for a ``.jpg``).

    Raises
    ------
    NotAnImageError, CorruptImageError, UnsupportedImageError, UndecodableImageError

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> x, info = read_modality(path, max_size=256)
    >>> x.dtype, max(x.shape) <= 256, info["factor"] == -(-max(info["shape"]) // 256)
    (dtype('float32'), True, True)
    >>> sorted(info)  # doctest: +NORMALIZE_WHITESPACE
    ['bits_stored', 'dataset', 'factor', 'photometric', 'shape', 'signed', 'voi_function', 'voi_lut',
     'windows']
    """
    if file_kind(path) == "jpg":  # already display-ready 8-bit: downsample while decoding
        x = read_jpg_values(path, max_size)
        with open_jpg(path) as im:
            shape = (im.height, im.width)
        info = {
            "photometric": "MONOCHROME2",
            "windows": ((127.5, 255.0),),
            "voi_function": "LINEAR_EXACT",
            "voi_lut": None,
            "bits_stored": 8,
            "signed": False,
            "shape": shape,
            "factor": max(1, shape[0] // max(1, x.shape[0])),
            "dataset": None,
        }
        return x.astype(np.float32), info
    stored, ds = read_stored_with_header(path)
    factor = 1 if not max_size else max(1, -(-max(stored.shape) // int(max_size)))
    x = display.block_mean(stored, factor)
    if ds is None:  # fast path read the pixels; the VOI details come from pydicom's reading of the header
        ds = dcmread(path, stop_before_pixels=True)
    signed = ds.get("PixelRepresentation") == 1
    modality_lut = ds.get("ModalityLUTSequence")
    if modality_lut:
        x = display.apply_lut(x, display.lut_table(modality_lut[0], signed))
    elif "RescaleSlope" in ds and "RescaleIntercept" in ds:
        slope, intercept = float(ds.RescaleSlope), float(ds.RescaleIntercept)
        if slope != 1.0 or intercept != 0.0:
            x = x * np.float32(slope) + np.float32(intercept)
    voi_lut = ds.get("VOILUTSequence")
    if voi_lut:  # its inputs are modality values: signed when the stored values or the rescale are
        voi_lut = display.lut_table(voi_lut[0], signed or float(ds.get("RescaleIntercept") or 0) < 0)
    windows = tuple(
        (c, w) for c, w in zip(_numbers(ds.get("WindowCenter")), _numbers(ds.get("WindowWidth"))) if w > 0
    )
    info = {
        "photometric": str(ds.get("PhotometricInterpretation") or "MONOCHROME2"),
        "windows": windows,
        "voi_function": str(ds.get("VOILUTFunction") or "LINEAR"),
        "voi_lut": voi_lut or None,
        "bits_stored": ds.get("BitsStored"),
        "signed": signed,
        "shape": stored.shape,
        "factor": factor,
        "dataset": ds,
    }
    return x, info


def _numbers(value: Any) -> list[float]:
    """All numbers of a (possibly multi-valued) DS value, as floats; ``[]`` when absent or unreadable."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, (list, tuple)) or type(value).__name__ == "MultiValue" else [value]
    try:
        return [float(v) for v in items]
    except (TypeError, ValueError):
        return []


def read_image(
    path: str | os.PathLike,
    *,
    max_size: int | None = None,
    window: tuple[float, float] | str | None = None,
) -> np.ndarray:
    """A display-ready picture: 2-D ``float32`` in [0, 1], brighter = denser (bone white).

    The pipeline: stored values -> (``max_size``: area-average downsampling, still on the integers) ->
    modality LUT (ModalityLUTSequence, or RescaleSlope/RescaleIntercept) -> VOI -> MONOCHROME1 inversion;
    that is ``apply_window(*read_modality(path, max_size=max_size), window)`` (:func:`read_modality`,
    :func:`cxrkit.images.display.apply_window`).

    Parameters
    ----------
    path
        ``.dcm``, ``.dcm.gz`` or MIMIC-CXR-JPG ``.jpg``.
    max_size
        Longest side of the result, at most: the image is averaged over integer blocks of
        ``ceil(longest side / max_size)`` pixels (edge pixels that do not fill a block are dropped).
    window
        ``None``: the file's own VOI (its first VOI LUT, else its first WindowCenter/WindowWidth with its
        VOILUTFunction, else the image's min-max; a ``.jpg`` is shown as stored, 0-255).
        ``(center, width)``: a DICOM LINEAR window in modality units (stored units for ``.jpg``).
        ``"auto"``: a robust window from the 0.5th to the 99.5th percentile.
        ``"minmax"`` (or ``"none"``): the image's own min-max, no VOI.

    Raises
    ------
    NotAnImageError, CorruptImageError, UnsupportedImageError, UndecodableImageError
        Each names the file and says what to do.

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()
    >>> path = ds.study(ds.records().collect()["study_id"][0]).images[0].path
    >>> img = read_image(path, max_size=256)
    >>> img.dtype, img.ndim, max(img.shape) <= 256, 0 <= float(img.min()) < float(img.max()) <= 1
    (dtype('float32'), 2, True, True)
    """
    return display.apply_window(*read_modality(path, max_size=max_size), window)
