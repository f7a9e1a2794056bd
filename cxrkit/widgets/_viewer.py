"""``ImageViewer``: one image in a canvas pane, windowed, zoomed, panned and measured in the page.

The file is decoded once (:func:`cxrkit.widgets._pixels.load`) and sent once, as the preview's modality
values (16-bit) and the 8-bit picture with the file's own window (:func:`cxrkit.widgets._pixels.payload`).
The page then does window/level by dragging (values shown), wheel zoom about the pointer, drag pan,
fit/reset, invert, presets, a length tool in mm and a pixel probe, with no kernel round trip; the window
the user settles on comes back to :attr:`ImageViewer.window`.

Nothing shown is saved with the notebook: the pixels and the caption go in custom messages (see
:mod:`cxrkit.widgets._channel`), so the widget state that JupyterLab, nbconvert or ``ipywidgets.embed``
write holds only the pane's code.
"""

from __future__ import annotations

import os

import numpy as np
import traitlets

from ..errors import CxrkitError
from . import _pixels
from ._channel import Channel, static_text

Source = str | os.PathLike | np.ndarray | _pixels.DisplayArray


def tile_message(
    data: _pixels.DisplayArray, meta: dict | None, request: dict, *, size: int, **extra: object
) -> tuple[dict, list[bytes]]:
    """The reply to a pane's request for a full-resolution region: a ``tile`` message, or a ``notice``.

    A tile is sent as it is asked for and not kept for later views (the pane asks again).

    Examples
    --------
    >>> d = _pixels.from_array(np.zeros((400, 400), np.uint16), max_size=100)
    >>> meta, _ = _pixels.payload(d)
    >>> reply, buffers = tile_message(d, meta, {"box": [0, 100, 0, 100], "token": 3}, size=100)
    >>> reply["kind"], reply["token"], reply["rows"], len(buffers)
    ('tile', 3, 100, 2)
    """
    try:
        box = tuple(int(v) for v in request["box"])
        tmeta, buffers = _pixels.tile(data, box, size=size, lo=meta["lo"], scale=meta["scale"])
    except (CxrkitError, ValueError, KeyError, TypeError) as exc:  # e.g. the file is gone since
        return {"kind": "notice", "text": f"no full-resolution view: {exc}"}, []
    return {"kind": "tile", "token": request.get("token"), "size": size, **tmeta, **extra}, buffers


class ImageViewer(Channel):
    """An image with window/level, presets (file, lung, bone, auto), invert, zoom, pan and a length tool.

    In the page: drag to window (left-right width, up-down centre), shift+drag to pan, the wheel to zoom,
    double click to reset; keys ``1``-``4`` presets, ``i`` invert, ``r`` reset, ``m`` measure, ``?`` the
    legend (while the viewer has focus: click it first).

    Parameters
    ----------
    source
        A path (``.dcm``, ``.dcm.gz``, ``.jpg``, ``.png``), a 2-D array, or nothing (call :meth:`show` later).
    max_size
        The largest side, in pixels, of the preview sent to the page.
    height
        The pane's height (CSS).
    spacing
        ``(row mm, column mm)`` between pixel centres of an array, for the length tool (a file's own
        ``PixelSpacing`` or ``ImagerPixelSpacing`` is used for files).

    Examples
    --------
    >>> import numpy as np
    >>> viewer = ImageViewer(np.random.default_rng(0).integers(0, 4096, (300, 200)), max_size=100)
    >>> viewer.picture_shape, viewer.shown("image")["shape"]
    ((100, 66), [300, 200])
    """

    _esm = static_text("pane.js", "viewer.js")
    _css = static_text("pane.css")
    height = traitlets.Unicode("560px").tag(sync=True)

    def __init__(
        self,
        source: Source | None = None,
        *,
        max_size: int = 1024,
        height: str = "560px",
        spacing: tuple[float, float] | None = None,
    ) -> None:
        super().__init__(height=height)
        self.max_size = max_size
        self.spacing = spacing
        self.data: _pixels.DisplayArray | None = None
        self.picture_shape: tuple[int, int] | None = None
        #: The window shown, ``(center, width)`` in modality units, as last reported by the page (or set).
        self.window: tuple[float, float] | None = None
        #: The last length measured in the page: ``{"px": ..., "mm": ...}`` (mm None without spacing).
        self.length: dict | None = None
        #: The description of the last full-resolution tile sent (None before any).
        self.last_tile: dict | None = None
        self.add_class("cxrkit-viewer")
        if source is not None:
            self.show(source)
        else:
            self.clear("no image")

    def show(self, source: Source, *, caption: str = "") -> None:
        """Show a new image (decoded once) with the file's own window, fitted; errors shown, not raised."""
        try:
            if isinstance(source, _pixels.DisplayArray):
                data = source
            elif isinstance(source, np.ndarray):
                header = {"Rows": source.shape[0], "Columns": source.shape[1], "dtype": str(source.dtype)}
                if self.spacing is not None:
                    header["PixelSpacing"] = [float(v) for v in self.spacing]
                data = _pixels.from_array(source, max_size=self.max_size, header=header)
            else:
                data = _pixels.load(source, max_size=self.max_size)
        except (CxrkitError, ValueError) as exc:  # a missing or broken file is shown in the viewer
            self.clear(str(exc), kind="error")
            return
        rows, cols = data.shape
        text = f"{caption}  {cols} x {rows} px".strip()
        meta, buffers = _pixels.payload(data, size=self.max_size, caption=text)
        self.data = data
        self.picture_shape = (meta["rows"], meta["cols"])
        self.window = tuple(meta["presets"]["own"])
        self.length = None
        self.drop("window")
        self.drop("clear")
        self.post("image", meta, buffers)

    def clear(self, message: str, *, kind: str = "info") -> None:
        """Show no image, only ``message`` (e.g. why the file cannot be shown)."""
        self.data = None
        self.picture_shape = None
        self.window = None
        self.drop("image")
        self.drop("window")
        self.post("clear", {"text": message, "error": kind == "error"})

    def set_window(self, center: float, width: float, *, invert: bool | None = None) -> None:
        """Set the window (modality units) in the page."""
        self.window = (float(center), float(width))
        content = {"c": float(center), "w": float(width)}
        if invert is not None:
            content["invert"] = bool(invert)
        self.post("window", content)

    def set_preset(self, name: str) -> None:
        """Apply a preset (one of :data:`cxrkit.widgets._pixels.PRESETS`: own, lung, bone, auto)."""
        if name not in _pixels.PRESETS:
            raise ValueError(f"unknown window preset {name!r}; choose one of {', '.join(_pixels.PRESETS)}")
        if self.data is not None:
            self.window = _pixels.preset_window(self.data, name)
        self.post("window", {"preset": name})

    def send_tile(self, request: dict) -> None:
        """Answer the page's request for a full-resolution region (``box``, ``token``) of the image."""
        if self.data is not None:
            reply, buffers = tile_message(self.data, self.shown("image"), request, size=self.max_size)
            self._transmit(reply, buffers)
            self.last_tile = reply

    def picture(self) -> np.ndarray | None:
        """The 8-bit picture the page paints for :attr:`window` at fit (numpy's copy of its arithmetic)."""
        meta, buffers = self.shown("image"), self.shown_buffers("image")
        if meta is None:
            return None
        own = self.window is None or tuple(self.window) == tuple(meta["presets"]["own"])
        return _pixels.client_picture(meta, buffers[0], buffers[1], None if own else self.window)

    def handle(self, content: dict, buffers: list) -> None:
        if content.get("kind") == "tile" and self.data is not None:
            self.send_tile(content)
        elif content.get("kind") == "window" and self.data is not None:
            self.window = (float(content["c"]), float(content["w"]))
        elif content.get("kind") == "measure":
            self.length = content.get("length")
