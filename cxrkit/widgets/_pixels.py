"""What the viewers keep of an image: decode once, send once; tiles of the full resolution on zoom.

The pipeline is the kit's own: :func:`cxrkit.images.read_modality` gives the preview (modality values, block
-averaged to at most ``max_size`` pixels a side) with the file's display info, and
:func:`cxrkit.images.apply_window` turns it into the picture for any window, so the viewer's picture with
the file's own window is :func:`cxrkit.images.read_image`'s. A :class:`DisplayArray` holds that pair; the
full-resolution values are read on the first zoom-in only (:func:`tile`). :func:`payload` is what the
image pane gets once per image; the page windows, zooms and pans it itself (:func:`client_picture` is its
arithmetic in numpy).

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
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from .. import images
from ..errors import CxrkitError, ImageReadError, MissingFileError
from ..images import display

#: Window presets offered by the viewers, in the order shown.
PRESETS = ("own", "lung", "bone", "auto")

# Percentile ranges of displayed brightness for the relative presets (0 = black, 100 = white).
_PRESET_PERCENTILES = {"auto": (0.5, 99.5), "lung": (1.0, 65.0), "bone": (45.0, 99.8)}


@dataclass(eq=False)
class DisplayArray:
    """One image ready for display (see the module docstring).

    Attributes
    ----------
    preview : numpy.ndarray
        float32 modality values, block-averaged to at most ``max_size`` pixels a side.
    info : dict
        The display info of :func:`cxrkit.images.read_modality` (``{}`` plus ``shape`` for a plain array).
    header : dict
        Plain header values (keyword -> value) for a table (of a file: made when first asked for, after
        the first paint, from the pydicom header read with the pixels).
    max_size : int
        The bound used for ``preview`` and for zoomed crops.
    source : pathlib.Path or None
        The file, read again at full resolution on the first zoom.
    """

    preview: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)
    _header: dict[str, object] | None = None  # None: made from the file's header when first asked for
    max_size: int = 1024
    source: Path | None = None
    _full: np.ndarray | None = None

    @property
    def header(self) -> dict[str, object]:
        """Plain header values (keyword -> value), for a table."""
        if self._header is None:
            ds = self.info.get("dataset")
            try:
                if ds is not None:
                    self._header = _header_dict(ds)
                elif self.source is not None:
                    self._header = {k: v for k, v in images.read_header(self.source).items() if v is not None}
                else:
                    self._header = {}
            except Exception as exc:  # noqa: BLE001 - a damaged element: the table says so, the view stays
                why = f"{self.source}: cannot read the header ({type(exc).__name__}: {exc})"
                self._header = {"(header)": why}
        return self._header

    def spacing_values(self) -> dict[str, object]:
        """``PixelSpacing`` and ``ImagerPixelSpacing`` (what :func:`spacing` reads), without making the
        whole :attr:`header`."""
        ds = self.info.get("dataset")
        if self._header is None and ds is not None:
            return {k: ds.get(k) for k in ("PixelSpacing", "ImagerPixelSpacing")}
        return self.header

    @property
    def full(self) -> np.ndarray:
        """Full-resolution modality values (read from ``source`` the first time they are needed)."""
        if self._full is None:
            self._full = images.read_modality(self.source)[0] if self.source is not None else self.preview
        return self._full

    @property
    def shape(self) -> tuple[int, int]:
        """Full-resolution ``(rows, columns)``."""
        return tuple(self.info.get("shape") or self.preview.shape)

    @property
    def monochrome1(self) -> bool:
        """True when low values are white (the picture is inverted for display)."""
        return self.info.get("photometric") == "MONOCHROME1"

    @property
    def has_own_voi(self) -> bool:
        """True when the file has a window or a VOI LUT of its own."""
        return bool(self.info.get("windows")) or self.info.get("voi_lut") is not None

    @property
    def own_window(self) -> tuple[float, float] | None:
        """The file's first ``(center, width)``; with only a VOI LUT, the linear ramp over its input range."""
        if self.info.get("windows"):
            return tuple(self.info["windows"][0])
        if self.info.get("voi_lut") is not None:
            first, values = self.info["voi_lut"]
            return (first + values.size / 2, float(values.size))
        return None

    @cached_property
    def value_range(self) -> tuple[float, float]:
        """``(min, max)`` of the preview values (slider bounds)."""
        lo, hi = float(self.preview.min()), float(self.preview.max())
        return (lo, hi if hi > lo else lo + 1.0)

    @cached_property
    def _sample(self) -> np.ndarray:
        step = max(1, math.ceil(math.sqrt(self.preview.size / 250_000)))  # at most ~250k values sorted
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
    h, w = array.shape[:2]
    f = max(1, math.ceil(max(h, w) / max_size))
    return array.astype(np.float32, copy=False) if f == 1 else display.block_mean(array, f)


def from_array(
    array: np.ndarray,
    *,
    max_size: int = 1024,
    info: dict[str, Any] | None = None,
    header: dict[str, object] | None = None,
) -> DisplayArray:
    """Wrap a 2-D array (any numeric dtype, taken as modality values; RGB is averaged to grey)."""
    a = np.asarray(array)
    if a.ndim == 3:
        a = a[..., :3].mean(axis=2)
    if a.ndim != 2:
        raise ValueError(f"expected a 2-D image array, got shape {a.shape}")
    hdr = dict(header or {"Rows": a.shape[0], "Columns": a.shape[1], "dtype": str(np.asarray(array).dtype)})
    return DisplayArray(reduce(a, max_size), {**(info or {}), "shape": a.shape}, hdr, max_size, None, a)


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


def load(path: str | os.PathLike, *, max_size: int = 1024) -> DisplayArray:
    """Decode a DICOM (``.dcm``, ``.dcm.gz``) or MIMIC-CXR-JPG (``.jpg``) file once for display.

    The preview and display info come from :func:`cxrkit.images.read_modality`. Raises
    :class:`~cxrkit.errors.MissingFileError` when the file is absent and
    :class:`~cxrkit.errors.ImageReadError` (naming the file) when it cannot be decoded.
    """
    p = Path(path)
    if not p.exists():
        raise MissingFileError(f"{p}: no such file (not downloaded in this copy?)")
    try:
        preview, info = images.read_modality(p, max_size=max_size)
        data = DisplayArray(preview, info, None, max_size, p)  # the header table is made when asked for
        if info["dataset"] is None:
            data.header  # noqa: B018 - a .jpg: read it now, so a bad file fails here
    except CxrkitError:
        raise
    except Exception as exc:  # pydicom and numpy raise many types; name the file
        raise ImageReadError(f"{p}: cannot decode image ({type(exc).__name__}: {exc})") from exc
    return data


def preset_window(d: DisplayArray, name: str) -> tuple[float, float]:
    """``(center, width)`` of preset ``name`` (one of :data:`PRESETS`) for this image.

    ``own`` is the file's window (the full value range when the file has none); ``auto`` spans the 0.5-99.5
    percentiles; ``lung`` stretches the darker two thirds of the displayed brightness,
    ``bone`` the brighter half.
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


def render(
    d: DisplayArray,
    center: float,
    width: float,
    *,
    invert: bool = False,
    size: int | None = None,
    own: bool = False,
) -> np.ndarray:
    """The 8-bit picture (white = bright) of the preview for a window and invert flag, ``size`` a side.

    The window is the DICOM LINEAR function; with ``own`` (and a file that has a window or VOI LUT) the file's
    own VOI is applied exactly as :func:`cxrkit.images.read_image` does. ``invert`` flips the picture the
    file's photometric interpretation gives. (Zoom and pan are the page's: see :func:`tile`.)
    """
    size = size or d.max_size
    src = d.preview if max(d.preview.shape) <= size else reduce(d.preview, size)
    window = None if own and d.has_own_voi else (center, width)
    return display.to_uint8(display.apply_window(src, d.info, window, invert=d.monochrome1 != bool(invert)))


def spacing(header: dict[str, object]) -> tuple[tuple[float, float] | None, str | None]:
    """``((row mm, column mm), keyword)`` of the pixel spacing a length is measured with, or ``(None, None)``.

    ``PixelSpacing`` (in the patient, when the file gives it) is preferred to ``ImagerPixelSpacing`` (at the
    detector: a projection X-ray magnifies the patient by some 5-15 %, so lengths read from it are larger).

    Examples
    --------
    >>> spacing({"ImagerPixelSpacing": [0.139, 0.139]})
    ((0.139, 0.139), 'ImagerPixelSpacing')
    >>> spacing({})
    (None, None)
    """
    for keyword in ("PixelSpacing", "ImagerPixelSpacing"):
        value = header.get(keyword)
        try:
            rows, cols = (float(v) for v in value)  # type: ignore[union-attr]
        except (TypeError, ValueError):
            continue
        if rows > 0 and cols > 0:
            return (rows, cols), keyword
    return None, None


def picture(d: DisplayArray, *, size: int | None = None, caption: str = "") -> tuple[dict, bytes]:
    """The first half of :func:`payload`: the description and the 8-bit picture with the file's own window
    or VOI LUT (:func:`render` with ``own``, i.e. :func:`cxrkit.images.read_image`'s picture): all the
    pane's first paint needs. The description has the encoding of the values (``lo``, ``scale``) and the
    ``own`` preset; the other presets come with the values (:func:`values`).

    Examples
    --------
    >>> d = from_array(np.arange(4096, dtype=np.uint16).reshape(64, 64))
    >>> meta, own = picture(d)
    >>> meta["rows"], len(own), sorted(meta["presets"]), meta["scale"]
    (64, 4096, ['own'], 1.0)
    """
    size = size or d.max_size
    src = d.preview if max(d.preview.shape) <= size else reduce(d.preview, size)
    lo, hi = float(src.min()), float(src.max())
    integral = bool(np.all(src == np.round(src)))
    scale = 1.0 if integral and hi - lo <= 65535 else max(hi - lo, 1e-6) / 65535
    c, w = preset_window(d, "own")
    own8 = render(d, c, w, size=size, own=True)
    (sp, sp_source) = spacing(d.spacing_values())
    ds = d.info.get("dataset")
    slope = intercept = None
    if ds is not None and "ModalityLUTSequence" not in ds:
        slope = float(ds.get("RescaleSlope", 1) or 1)
        intercept = float(ds.get("RescaleIntercept", 0) or 0)
    meta = {
        "rows": int(src.shape[0]),
        "cols": int(src.shape[1]),
        "shape": [int(n) for n in d.shape],
        "lo": lo,
        "scale": scale,
        "range": [lo, hi if hi > lo else lo + 1.0],
        "presets": {"own": [c, w]},
        "own_voi": "VOI LUT" if d.info.get("voi_lut") is not None else ("window" if d.has_own_voi else None),
        "mono1": d.monochrome1,
        "spacing": list(sp) if sp else None,
        "spacing_source": sp_source,
        "slope": slope,
        "intercept": intercept,
        "caption": caption,
        "max_size": int(size),
    }
    return meta, np.ascontiguousarray(own8).tobytes()


def values(d: DisplayArray, meta: dict, *, size: int | None = None) -> tuple[dict, bytes]:
    """The second half of :func:`payload`: every window preset and the preview's modality values as
    little-endian ``uint16`` in the encoding of ``meta`` (:func:`picture`'s): ``value = lo + q * scale``,
    exact for integer images with a range under 65,536.

    Examples
    --------
    >>> d = from_array(np.arange(4096, dtype=np.uint16).reshape(64, 64))
    >>> extra, q = values(d, picture(d)[0])
    >>> sorted(extra["presets"]), len(q)
    (['auto', 'bone', 'lung', 'own'], 8192)
    """
    size = size or d.max_size
    src = d.preview if max(d.preview.shape) <= size else reduce(d.preview, size)
    q = np.clip(np.rint((src - meta["lo"]) / meta["scale"]), 0, 65535).astype("<u2")
    return {"presets": {name: list(preset_window(d, name)) for name in PRESETS}}, q.tobytes()


def payload(d: DisplayArray, *, size: int | None = None, caption: str = "") -> tuple[dict, list[bytes]]:
    """What the image pane gets for one image: a description and two buffers, sent once per image.

    The buffers are the preview's modality values as little-endian ``uint16`` (``value = lo + q * scale``;
    exact for integer images with a range under 65,536) and the 8-bit picture with the file's own window
    or VOI LUT (:func:`render` with ``own``, i.e. :func:`cxrkit.images.read_image`'s picture). The page
    applies any other window itself (:func:`client_picture` is the same arithmetic in numpy). It is
    :func:`picture` and :func:`values` together; the StudyBrowser sends them as two messages, the picture
    first.

    Examples
    --------
    >>> d = from_array(np.arange(4096, dtype=np.uint16).reshape(64, 64))
    >>> meta, (values, own) = payload(d)
    >>> meta["rows"], meta["cols"], len(values), len(own), meta["scale"]
    (64, 64, 8192, 4096, 1.0)
    """
    meta, own = picture(d, size=size, caption=caption)
    extra, q = values(d, meta, size=size)
    return {**meta, **extra}, [q, own]


def client_picture(
    meta: dict, values: bytes, own: bytes, window: tuple[float, float] | None, *, invert: bool = False
) -> np.ndarray:
    """The 8-bit picture the image pane paints for ``window`` (None: the file's own), as numpy computes it.

    The pane's JavaScript does the same: ``x = lo + q * scale``, the DICOM LINEAR window, MONOCHROME1 and
    ``invert`` flipping the picture, rounded to 0-255.

    Examples
    --------
    >>> d = from_array(np.array([[0, 1000], [2000, 4095]], np.uint16))
    >>> meta, (q, own) = payload(d)
    >>> client_picture(meta, q, own, (2048.0, 4096.0)).tolist()
    [[0, 62], [125, 255]]
    """
    shape = (meta["rows"], meta["cols"])
    flip = bool(meta["mono1"]) != bool(invert)
    if window is None:
        g = np.frombuffer(own, np.uint8).reshape(shape).astype(np.int16)
        return (255 - g if invert else g).astype(np.uint8)
    x = meta["lo"] + np.frombuffer(values, "<u2").reshape(shape).astype(np.float64) * meta["scale"]
    out = display.window(x.astype(np.float32), float(window[0]), float(window[1]))
    if flip:
        out = 1.0 - out
    return display.to_uint8(out)


def tile(
    d: DisplayArray, box: tuple[int, int, int, int], *, size: int, lo: float, scale: float
) -> tuple[dict, list[bytes]]:
    """A region of the full-resolution image for a zoomed-in pane, in the preview's encoding.

    ``box`` is ``(top, bottom, left, right)`` in full-resolution pixels (clamped to the image); the region is
    block-averaged to at most ``size`` a side, its values encoded with the preview's ``lo`` and ``scale``
    (values beyond the preview's range are clipped to it) and its own 8-bit picture made as the preview's.
    The description gives the box the tile covers (whole blocks only).

    Examples
    --------
    >>> d = from_array(np.arange(40000, dtype=np.uint16).reshape(200, 200) % 4096, max_size=50)
    >>> meta, (q, own) = tile(d, (10, 60, 20, 70), size=100, lo=0.0, scale=1.0)
    >>> meta["box"], meta["rows"], bool(np.frombuffer(q, "<u2")[0] == d.full[10, 20])
    ([10, 60, 20, 70], 50, True)
    """
    rows, cols = d.shape
    top, bottom, left, right = (int(v) for v in box)
    top, left = min(max(top, 0), rows - 1), min(max(left, 0), cols - 1)
    bottom, right = min(max(bottom, top + 1), rows), min(max(right, left + 1), cols)
    crop = d.full[top:bottom, left:right]
    f = max(1, math.ceil(max(crop.shape) / size))
    src = reduce(crop, size)
    q = np.clip(np.rint((src - lo) / scale), 0, 65535).astype("<u2")
    window = None if d.has_own_voi else preset_window(d, "own")
    own8 = display.to_uint8(display.apply_window(src, d.info, window, invert=d.monochrome1))
    covered = [top, top + src.shape[0] * f, left, left + src.shape[1] * f]
    meta = {"box": covered, "rows": int(src.shape[0]), "cols": int(src.shape[1])}
    return meta, [q.tobytes(), np.ascontiguousarray(own8).tobytes()]
