"""The display pipeline behind the viewers: decode once, then window, invert and zoom on cached arrays.

A :class:`DisplayArray` holds one image at full resolution (stored values plus the linear rescale to
modality units, or modality-LUT values; used for zoomed crops) and in modality units block-reduced to at
most ``max_size`` pixels a side (for the whole-image view), with the file's own window (or VOI LUT) and its
photometric interpretation. :func:`render` turns it into an 8-bit picture for any window, invert flag and
zoom without touching the file again (the same picture as :func:`cxrkit.images.read_image`), and
:func:`png` encodes that picture quickly.

Windows are ``(center, width)`` in modality units. DX pixel values are not calibrated like CT's Hounsfield
units, so the ``lung`` and ``bone`` presets are relative to the image's own value distribution (percentiles
on the displayed brightness), not fixed numbers.

Examples
--------
>>> import numpy as np
>>> d = from_array(np.arange(4096, dtype=np.uint16).reshape(64, 64))
>>> render(d, *preset_window(d, "auto")).shape
(64, 64)
"""

from __future__ import annotations

import math
import os
import struct
import zlib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from .. import storage
from ..errors import CxrkitError, ImageReadError, MissingFileError

#: Window presets offered by the viewers, in the order shown.
PRESETS = ("own", "lung", "bone", "auto")

# Percentile ranges of displayed brightness for the relative presets (0 = black, 100 = white).
_PRESET_PERCENTILES = {"auto": (0.5, 99.5), "lung": (1.0, 65.0), "bone": (45.0, 99.8)}


@dataclass(eq=False)
class DisplayArray:
    """One decoded image ready for display (see the module docstring).

    Attributes
    ----------
    full : numpy.ndarray
        Full-resolution values (stored integers, or float after a modality LUT); modality units are
        ``full * slope + intercept``.
    preview : numpy.ndarray
        float32 modality values, block-averaged to at most ``max_size`` pixels a side.
    own_window : tuple of float or None
        The file's ``(WindowCenter, WindowWidth)`` (with only a VOI LUT: the linear ramp over the LUT's input
        range); None when it has neither.
    monochrome1 : bool
        True when low values are white (the picture is inverted for display).
    header : dict
        Plain header values (keyword -> value) for a table.
    max_size : int
        The bound used for ``preview`` and for zoomed crops.
    slope, intercept : float
        The linear rescale from ``full`` to modality units.
    voi_lut : tuple or None
        The file's first VOI LUT as ``(first input value, output values)``; the ``own`` preset renders with
        it (as :func:`cxrkit.images.read_image` does), other windows are linear.
    """

    full: np.ndarray
    preview: np.ndarray
    own_window: tuple[float, float] | None = None
    monochrome1: bool = False
    header: dict[str, object] = field(default_factory=dict)
    max_size: int = 1024
    slope: float = 1.0
    intercept: float = 0.0
    voi_lut: tuple[float, np.ndarray] | None = None

    def modality(self, array: np.ndarray) -> np.ndarray:
        """``array`` (values like ``full``'s) in modality units, as float32."""
        out = array.astype(np.float32, copy=False)
        if self.slope != 1.0 or self.intercept != 0.0:
            out = out * np.float32(self.slope) + np.float32(self.intercept)
        return out

    @property
    def shape(self) -> tuple[int, int]:
        """Full-resolution ``(rows, columns)``."""
        return self.full.shape[0], self.full.shape[1]

    @cached_property
    def value_range(self) -> tuple[float, float]:
        """``(min, max)`` of the preview values (slider bounds)."""
        lo, hi = float(self.preview.min()), float(self.preview.max())
        return (lo, hi if hi > lo else lo + 1.0)

    @cached_property
    def _sample(self) -> np.ndarray:
        step = max(1, int(math.sqrt(self.preview.size / 250_000)))
        return np.sort(self.preview[::step, ::step].ravel())

    def percentile(self, q: float) -> float:
        """Percentile ``q`` (0-100) of the preview values, from a cached sorted sample."""
        s = self._sample
        return float(s[min(len(s) - 1, max(0, round(q / 100 * (len(s) - 1))))])


def reduce(array: np.ndarray, max_size: int) -> np.ndarray:
    """Block-average ``array`` by the smallest integer factor that brings both sides to ``<= max_size``.

    Examples
    --------
    >>> reduce(np.ones((3056, 2544), np.float32), 1024).shape
    (1018, 848)
    """
    from ..images import block_mean  # sums integers in integers: several times faster than a float mean

    h, w = array.shape[:2]
    f = max(1, math.ceil(max(h, w) / max_size))
    return array.astype(np.float32, copy=False) if f == 1 else block_mean(array, f)


def from_array(array: np.ndarray, *, max_size: int = 1024, own_window: tuple[float, float] | None = None,
               monochrome1: bool = False, header: dict[str, object] | None = None) -> DisplayArray:
    """Wrap a 2-D array (any numeric dtype; RGB is averaged to grey) as a :class:`DisplayArray`."""
    a = np.asarray(array)
    if a.ndim == 3:
        a = a[..., :3].mean(axis=2)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image array, got shape {a.shape}")
    hdr = dict(header or {"Rows": a.shape[0], "Columns": a.shape[1], "dtype": str(np.asarray(array).dtype)})
    return DisplayArray(a, reduce(a, max_size), own_window, monochrome1, hdr, max_size)


def _first(value: object) -> float | None:
    """The first number of a possibly multi-valued DICOM value (``WindowCenter`` may hold several)."""
    if value is not None and not isinstance(value, (str, bytes)) and hasattr(value, "__len__"):
        value = value[0] if len(value) else None
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _header_dict(ds) -> dict[str, object]:
    """Plain values of a pydicom dataset's top-level elements (sequences summarised, long values cut)."""
    out: dict[str, object] = {}
    for elem in ds:
        if elem.tag == 0x7FE00010 or not elem.keyword:
            continue
        if elem.VR == "SQ":
            items = elem.value or []
            meanings = [str(getattr(it, "CodeMeaning", "")) for it in items if getattr(it, "CodeMeaning", "")]
            out[elem.keyword] = "; ".join(meanings) if meanings else f"({len(items)} item sequence)"
            continue
        value = elem.value
        if isinstance(value, bytes):
            value = f"({len(value)} bytes)"
        elif elem.VM > 1:
            value = [v if isinstance(v, (int, float)) else str(v) for v in value]
        elif not isinstance(value, (int, float)):
            value = str(value)
        if isinstance(value, str) and len(value) > 200:
            value = value[:200] + "..."
        out[elem.keyword] = value
    return out


def _voi_lut(ds) -> tuple[float, np.ndarray] | None:
    voi = ds.get("VOILUTSequence")
    if not voi:
        return None
    item = voi[0]
    n, first = int(item.LUTDescriptor[0]) or 65536, float(item.LUTDescriptor[1])
    data = item.LUTData
    values = np.frombuffer(data, "<u2") if isinstance(data, bytes) else np.asarray(data)
    return (first, values.astype(np.float32)[:n])


def _voi_window(ds) -> tuple[float, float] | None:
    """The file's first window; a VOI LUT sequence is approximated by the linear ramp over its input range."""
    center, width = _first(ds.get("WindowCenter")), _first(ds.get("WindowWidth"))
    if center is not None and width is not None and width > 0:
        return (center, width)
    voi = ds.get("VOILUTSequence")
    if voi:
        n, first = int(voi[0].LUTDescriptor[0]) or 65536, float(voi[0].LUTDescriptor[1])
        return (first + n / 2, float(n))
    return None


def _read_dicom(path: Path, max_size: int) -> DisplayArray:
    import pydicom
    from pydicom.pixels import apply_modality_lut

    from .. import images

    stored = images.read_stored(path)  # the kit's fast reader (plain files read at the pixel offset)
    with storage.open_binary(path) as fh:
        ds = pydicom.dcmread(fh, stop_before_pixels=True)
    mono1 = str(ds.get("PhotometricInterpretation", "")).upper() == "MONOCHROME1"
    d = DisplayArray(stored, stored, _voi_window(ds), mono1, _header_dict(ds), max_size)
    if "ModalityLUTSequence" in ds:
        d.full = np.asarray(apply_modality_lut(stored, ds), dtype=np.float32)
    else:  # linear rescale: applied after averaging (it commutes), so the full array stays integer
        d.slope = float(ds.get("RescaleSlope") or 1)
        d.intercept = float(ds.get("RescaleIntercept") or 0)
    d.preview = d.modality(reduce(d.full, max_size))
    d.voi_lut = _voi_lut(ds)
    return d


def _read_raster(path: Path, max_size: int) -> DisplayArray:
    from .. import images

    header = {k: v for k, v in images.read_header(path).items() if v is not None}
    d = from_array(images.read_stored(path), max_size=max_size, header=header)
    d.own_window = (127.5, 255.0)  # shown as stored, 0-255, like cxrkit.images.read_image
    return d


def load(path: str | os.PathLike, *, max_size: int = 1024) -> DisplayArray:
    """Decode a DICOM (``.dcm``, ``.dcm.gz``) or MIMIC-CXR-JPG (``.jpg``) file once for display.

    Pixels come from :func:`cxrkit.images.read_stored`, put in modality units (modality LUT or rescale).
    Raises :class:`~cxrkit.errors.MissingFileError` when the file is absent and
    :class:`~cxrkit.errors.ImageReadError` (naming the file) when it cannot be decoded.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p}: no such file (not downloaded in this copy?)")
    try:
        if p.name.lower().endswith((".dcm", ".dcm.gz")):
            return _read_dicom(p, max_size)
        return _read_raster(p, max_size)
    except CxrkitError:
        raise
    except Exception as exc:  # pydicom and numpy raise many types; name the file
        raise ImageReadError(f"{p}: cannot decode image ({type(exc).__name__}: {exc})") from exc


def preset_window(d: DisplayArray, name: str) -> tuple[float, float]:
    """``(center, width)`` of preset ``name`` (one of :data:`PRESETS`) for this image.

    ``own`` is the file's window (the full value range when the file has none); ``auto`` spans the 0.5-99.5
    percentiles; ``lung`` stretches the darker two thirds of the displayed brightness, ``bone`` the brighter half.
    """
    if name == "own":
        if d.own_window is not None:
            return d.own_window
        lo, hi = d.value_range
        return ((lo + hi) / 2, hi - lo)
    if name not in _PRESET_PERCENTILES:
        raise ValueError(f"unknown window preset {name!r}; choose one of {', '.join(PRESETS)}")
    q_lo, q_hi = _PRESET_PERCENTILES[name]
    if d.monochrome1:  # low values are white: brightness percentile q is value percentile 100 - q
        q_lo, q_hi = 100 - q_hi, 100 - q_lo
    lo, hi = d.percentile(q_lo), d.percentile(q_hi)
    return ((lo + hi) / 2, max(hi - lo, 1e-3))


def crop_box(shape: tuple[int, int], zoom: float, pan: tuple[float, float]) -> tuple[int, int, int, int]:
    """``(top, bottom, left, right)`` of the region shown at ``zoom`` (>= 1) centred at ``pan`` (fractions).

    Examples
    --------
    >>> crop_box((100, 200), 2.0, (0.5, 0.5))
    (25, 75, 50, 150)
    """
    h, w = shape
    zoom = max(1.0, float(zoom))
    ch, cw = max(1, round(h / zoom)), max(1, round(w / zoom))
    top = min(max(0, round(pan[1] * h - ch / 2)), h - ch)
    left = min(max(0, round(pan[0] * w - cw / 2)), w - cw)
    return top, top + ch, left, left + cw


def render(d: DisplayArray, center: float, width: float, *, invert: bool = False, zoom: float = 1.0,
           pan: tuple[float, float] = (0.5, 0.5), size: int | None = None, voi_lut: bool = False) -> np.ndarray:
    """The 8-bit picture (white = bright) for a window, invert flag and zoom, at most ``size`` a side.

    The window is the DICOM LINEAR function; with ``voi_lut`` (and a file that has one) the file's VOI LUT
    replaces it. ``pan`` is ``(x, y)``, the centre of the shown region as fractions of the width and height.
    """
    size = size or d.max_size
    if zoom <= 1.0:
        src = d.preview if max(d.preview.shape) <= size else reduce(d.preview, size)
    else:
        top, bottom, left, right = crop_box(d.shape, zoom, pan)
        src = d.modality(reduce(d.full[top:bottom, left:right], size))
        k = min(max(d.preview.shape), size) // max(src.shape)
        if k > 1:  # a small crop is enlarged (nearest) to the preview's size, so zooming looks like zooming
            src = np.repeat(np.repeat(src, k, axis=0), k, axis=1)
    if voi_lut and d.voi_lut is not None:
        first, values = d.voi_lut
        y = np.interp(src, first + np.arange(values.size, dtype=np.float32), values).astype(np.float32)
        lo, span = float(values.min()), max(float(values.max() - values.min()), 1e-6)
    else:  # DICOM LINEAR (PS3.3 C.11.2.1.2): centre - 0.5, width - 1
        span = max(float(width) - 1.0, 1e-6)
        lo, y = float(center) - 0.5 - span / 2, src
    y = (y - np.float32(lo)) * np.float32(1.0 / span)
    np.clip(y, 0.0, 1.0, out=y)
    if d.monochrome1 != bool(invert):
        y = 1.0 - y
    return (y * 255.0 + 0.5).astype(np.uint8)


def _chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)


def png(picture: np.ndarray, *, compress_level: int = 1) -> bytes:
    """PNG bytes of an 8-bit grey picture, fast: every row uses the PNG "Up" filter (computed with numpy),
    then one zlib pass. About twice as fast as Pillow's adaptive filtering at the same size.

    Examples
    --------
    >>> png(np.zeros((2, 3), np.uint8))[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
    """
    a = np.ascontiguousarray(picture, dtype=np.uint8)
    if a.ndim != 2:
        raise ValueError(f"png needs a 2-D uint8 picture, got shape {a.shape}")
    h, w = a.shape
    raw = np.empty((h, w + 1), np.uint8)
    raw[:, 0] = 2  # filter type Up: each byte minus the byte above (mod 256)
    raw[0, 1:] = a[0]
    np.subtract(a[1:], a[:-1], out=raw[1:, 1:])
    header = struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)  # 8-bit greyscale, no interlace
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header)
            + _chunk(b"IDAT", zlib.compress(raw.tobytes(), compress_level)) + _chunk(b"IEND", b""))
