"""The display math: area-average downsampling, DICOM LUTs and VOI windows, all mapped to [0, 1].

Pure numpy on arrays (no files, no pydicom): :func:`block_mean`, :func:`apply_lut`, :func:`window`,
:func:`linear`, :func:`minmax`, :func:`auto_window`. :func:`cxrkit.images.read_image` strings them together.

Examples
--------
>>> import numpy as np
>>> window(np.array([0.0, 2000.0, 4000.0]), 2000.5, 1025).tolist()  # DICOM LINEAR: c - 0.5, w - 1
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["apply_lut", "auto_window", "block_mean", "linear", "minmax", "window"]


def block_mean(arr: np.ndarray, factor: int) -> np.ndarray:
    """Downsample a 2-D array by averaging ``factor x factor`` blocks (edge rows/columns that do not fill a
    block are dropped). Integer input is summed in integers, so this is fast on stored pixels.

    Examples
    --------
    >>> block_mean(np.arange(16, dtype=np.uint16).reshape(4, 4), 2)
    array([[ 2.5,  4.5],
           [10.5, 12.5]], dtype=float32)
    """
    if factor <= 1:
        return arr.astype(np.float32)
    h, w = arr.shape[0] // factor * factor, arr.shape[1] // factor * factor
    arr = arr[:h, :w]
    if arr.dtype.kind == "f":
        acc = np.float64
    else:  # 16-bit sums fit in int32 for blocks up to 181 x 181
        acc = np.int64 if factor > 100 or arr.dtype.itemsize > 2 else np.int32
    rows = arr[0::factor].astype(acc)  # rows first: contiguous slices, and the strided pass sees 1/factor
    for k in range(1, factor):
        rows += arr[k::factor]
    out = rows[:, 0::factor].copy()
    for k in range(1, factor):
        out += rows[:, k::factor]
    return (out / (factor * factor)).astype(np.float32)


def apply_lut(x: np.ndarray, item: Any, signed: bool) -> tuple[np.ndarray, float, float]:
    """Apply a DICOM LUT (Modality or VOI LUT sequence item) by interpolation: exact on integers.

    Inputs below the first mapped value take the first entry, above the last the last entry (PS3.3
    C.11.2.1.1). Returns ``(output, smallest entry, largest entry)``.
    """
    n, first = int(item.LUTDescriptor[0]) or 65536, int(item.LUTDescriptor[1])
    if signed and first > 32767:  # the descriptor's first mapped value is US on disk but means SS here
        first -= 65536
    data = item.LUTData
    values = np.asarray(data if not isinstance(data, bytes) else np.frombuffer(data, "<u2"), dtype=np.float64)
    values = values[:n]
    out = np.interp(x, first + np.arange(values.size, dtype=np.float64), values).astype(np.float32)
    return out, float(values.min()), float(values.max())


def linear(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    if hi <= lo:
        return (x > lo).astype(np.float32)
    out = (x - np.float32(lo)) * np.float32(1.0 / (hi - lo))
    return np.clip(out, 0.0, 1.0, out=out)


def window(x: np.ndarray, center: float, width: float, function: str = "LINEAR") -> np.ndarray:
    """The DICOM VOI window functions (PS3.3 C.11.2.1.2), mapped to [0, 1]."""
    function = (function or "LINEAR").upper()
    if function == "SIGMOID":
        return (1.0 / (1.0 + np.exp(-4.0 * (x.astype(np.float64) - center) / width))).astype(np.float32)
    if function == "LINEAR_EXACT":
        return linear(x, center - width / 2, center + width / 2)
    if width <= 1:  # degenerate LINEAR window: a threshold
        return (x > center - 0.5).astype(np.float32)
    c, w = center - 0.5, width - 1
    return linear(x, c - w / 2, c + w / 2)


def minmax(x: np.ndarray) -> np.ndarray:
    return linear(x, float(x.min()), float(x.max()))


def auto_window(x: np.ndarray) -> np.ndarray:
    step = max(1, int(np.sqrt(x.size / 1_000_000)))
    lo, hi = np.percentile(x[::step, ::step], [0.5, 99.5])
    return linear(x, float(lo), float(hi))
