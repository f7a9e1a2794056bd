"""The display math: area-average downsampling, DICOM LUTs and VOI windows, all mapped to [0, 1].

Pure numpy on arrays (no files): :func:`block_mean`, :func:`lut_table`, :func:`apply_lut`, :func:`window`,
:func:`linear`, :func:`minmax`, :func:`auto_window`, and :func:`apply_window`, which takes an array in
modality units with the display info of :func:`cxrkit.images.read_modality` and gives the picture
(``read_image(path) == apply_window(*read_modality(path))``). :func:`to_uint8` makes 8-bit pictures of it.

Examples
--------
>>> import numpy as np
>>> window(np.array([0.0, 2000.0, 4000.0]), 2000.5, 1025).tolist()  # DICOM LINEAR: c - 0.5, w - 1
[0.0, 0.5, 1.0]
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "apply_lut",
    "apply_window",
    "auto_window",
    "block_mean",
    "linear",
    "lut_table",
    "minmax",
    "to_uint8",
    "window",
]


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


def lut_table(item: Any, signed: bool) -> tuple[float, np.ndarray]:
    """``(first mapped input value, output values)`` of a DICOM LUT (a Modality or VOI LUT sequence item).

    ``signed``: the inputs are signed, so a first mapped value above 32767 (US on disk) means its SS value.
    """
    n, first = int(item.LUTDescriptor[0]) or 65536, int(item.LUTDescriptor[1])
    if signed and first > 32767:
        first -= 65536
    data = item.LUTData
    values = np.asarray(data if not isinstance(data, bytes) else np.frombuffer(data, "<u2"), dtype=np.float64)
    return float(first), values[:n]


def apply_lut(x: np.ndarray, lut: tuple[float, np.ndarray]) -> np.ndarray:
    """Apply a LUT ``(first, values)`` of :func:`lut_table` by interpolation: exact on integers.

    Inputs below the first mapped value take the first entry, above the last the last entry (PS3.3
    C.11.2.1.1).

    Examples
    --------
    >>> apply_lut(np.array([-5.0, 0.0, 1.5, 9.0]), (0.0, np.array([10.0, 20.0, 40.0]))).tolist()
    [10.0, 10.0, 30.0, 40.0]
    """
    first, values = lut
    return np.interp(x, first + np.arange(values.size, dtype=np.float64), values).astype(np.float32)


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


_window = window  # apply_window's parameter ``window`` shadows the function


def apply_window(
    x: np.ndarray,
    info: dict[str, Any],
    window: tuple[float, float] | str | None = None,
    *,
    invert: bool | None = None,
) -> np.ndarray:
    """The picture of an array in modality units: 2-D ``float32`` in [0, 1], brighter = denser.

    Parameters
    ----------
    x
        Modality values, e.g. the array of :func:`cxrkit.images.read_modality`.
    info
        Its display info (the dict of :func:`cxrkit.images.read_modality`); ``{}`` for a plain array
        (MONOCHROME2, no VOI of its own). Keys used: ``voi_lut``, ``windows``, ``voi_function``,
        ``photometric``.
    window
        ``None``: the file's own VOI (its first VOI LUT, else its first window with its VOILUTFunction, else
        the array's min-max). ``(center, width)``: a DICOM LINEAR window in modality units. ``"auto"``: a
        robust window from the 0.5th to the 99.5th percentile. ``"minmax"`` (or ``"none"``): min-max, no VOI.
    invert
        ``None``: invert when ``info["photometric"]`` is MONOCHROME1 (low values white); ``True``/``False``
        to force it.

    Examples
    --------
    >>> x = np.array([[0.0, 1024.0], [2048.0, 4096.0]])
    >>> apply_window(x, {}).tolist()
    [[0.0, 0.25], [0.5, 1.0]]
    >>> apply_window(x, {"photometric": "MONOCHROME1", "windows": [(2048.5, 2049.0)]}).tolist()
    [[1.0, 1.0], [0.5, 0.0]]
    """
    if window == "auto":
        out = auto_window(x)
    elif isinstance(window, str):
        if window not in ("minmax", "none"):
            raise ValueError(
                f"window must be None, (center, width), 'auto', 'minmax' or 'none', not {window!r}"
            )
        out = minmax(x)
    elif window is not None:
        center, width = window
        out = _window(x, float(center), float(width))
    elif info.get("voi_lut") is not None:
        values = info["voi_lut"][1]
        out = linear(apply_lut(x, info["voi_lut"]), float(values.min()), float(values.max()))
    elif info.get("windows"):
        center, width = info["windows"][0]
        out = _window(x, center, width, info.get("voi_function") or "LINEAR")
    else:
        out = minmax(x)
    if invert is None:
        invert = info.get("photometric") == "MONOCHROME1"
    if invert:
        out = np.subtract(np.float32(1.0), out, out=out)
    return out


def to_uint8(picture: np.ndarray) -> np.ndarray:
    """An 8-bit picture of a 2-D array: float in [0, 1] (clipped, NaN as 0) rounded to 0-255; ``uint8`` as is.

    Examples
    --------
    >>> to_uint8(np.array([[0.0, 0.5, 1.0, 2.0]])).tolist()
    [[0, 128, 255, 255]]
    """
    arr = np.asarray(picture)
    if arr.ndim != 2:
        raise ValueError(f"expected a 2-D array (one grayscale image), got shape {arr.shape}")
    if arr.dtype != np.uint8:
        arr = (np.clip(np.nan_to_num(arr), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    return arr
