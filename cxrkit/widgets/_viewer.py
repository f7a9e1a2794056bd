"""``ImageViewer``: one image with window centre/width, presets, invert and zoom with pan.

The file is decoded once (:func:`cxrkit.widgets._pixels.load`); every control change re-renders from the
cached arrays and sends a PNG of at most ``max_size`` pixels a side. The last few PNGs of each decoded image
are kept (kernel side only, keyed by window, invert, zoom and pan), so showing an image again with settings
already seen - the same study selected again, a preset toggled back - costs no rendering or encoding.

Image bytes and saved notebooks: ipywidgets can put pixels on the page only through some widget model's
state, so the choice is where that state may go. The viewers show pictures through :class:`TransientImage`,
an ``ipywidgets.Image`` whose ``value`` is left out of the embeddable state that the kernel side writes
(``Widget.get_manager_state``, ``ipywidgets.embed.embed_data`` / ``embed_minimal_html``): exporting or
embedding the browser's widget state never writes image bytes (the tests check this). Two savers read the
live page or the kernel's messages instead, and would keep the *current* previews (bounded by ``max_size``,
a few hundred kB): JupyterLab's "Save Widget State Automatically" setting (off by default; leave it off) and
nbclient / ``nbconvert --execute`` with ``store_widget_state=True`` (nbclient's default; pass ``False``).
The project's ``make hooks`` pre-commit hook strips widget state from notebooks in any case.
"""

from __future__ import annotations

import os
import weakref
from collections import OrderedDict
from typing import Any

import ipywidgets as w
import numpy as np

from .. import images
from ..errors import CxrkitError
from . import _html, _pixels

Source = str | os.PathLike | np.ndarray | _pixels.DisplayArray


class TransientImage(w.Image):
    """An ``ipywidgets.Image`` whose bytes are shown live but never embedded or saved with widget state.

    Examples
    --------
    >>> img = TransientImage(value=b"\\x89PNG...")
    >>> "value" in img._get_embed_state()["state"]
    False
    """

    def _get_embed_state(self, drop_defaults: bool = False) -> dict[str, Any]:
        state = super()._get_embed_state(drop_defaults=drop_defaults)
        state["state"].pop("value", None)
        buffers = [b for b in state.pop("buffers", []) if b["path"] != ["value"]]
        if buffers:
            state["buffers"] = buffers
        return state


def _set_slider(slider: w.FloatSlider, lo: float, hi: float, value: float) -> None:
    """Move a slider's bounds and value together without tripping its min <= value <= max checks."""
    hi = hi if hi > lo else lo + 1.0
    slider.max = max(hi, slider.max)
    slider.min = min(lo, slider.min)
    slider.value = min(max(value, lo), hi)
    slider.min, slider.max = lo, hi
    span = hi - lo
    slider.step = span / 1000
    slider.readout_format = ".0f" if span >= 100 else ".3g"


class ImageViewer(w.VBox):
    """An image with window/level, presets (file, lung, bone, auto), invert and zoom with pan.

    Parameters
    ----------
    source
        A path (``.dcm``, ``.dcm.gz``, ``.jpg``, ``.png``), a 2-D array, or nothing (call :meth:`show` later).
    max_size
        The largest side, in pixels, of the picture sent to the browser.

    Examples
    --------
    >>> import numpy as np
    >>> viewer = ImageViewer(np.random.default_rng(0).integers(0, 4096, (300, 200)))
    >>> viewer.preset.value = "auto"; viewer.zoom.value = 2.0
    >>> viewer.picture_shape
    (300, 200)
    """

    #: PNGs kept per decoded image (each at most ``max_size`` a side, a few hundred kB).
    pictures_kept = 4

    def __init__(self, source: Source | None = None, *, max_size: int = 1024) -> None:
        self.max_size = max_size
        # decoded image -> {controls: (png, picture shape)}; an entry goes when its image is dropped elsewhere
        self._pngs: weakref.WeakKeyDictionary[
            _pixels.DisplayArray, OrderedDict[tuple, tuple[bytes, tuple]]
        ] = weakref.WeakKeyDictionary()
        self.data: _pixels.DisplayArray | None = None
        self.picture_shape: tuple[int, int] | None = None
        self._quiet = False
        self.image = TransientImage(format="png", layout=w.Layout(max_width="100%", height="auto"))
        self.image.add_class("cxrkit-preview")
        self.status = w.HTML()
        slider = {
            "continuous_update": False,
            "style": {"description_width": "50px"},
            "layout": w.Layout(width="100%", max_width="480px"),
        }
        self.preset = w.ToggleButtons(
            options=[("file", "own"), ("lung", "lung"), ("bone", "bone"), ("auto", "auto")],
            value="own",
            tooltips=[
                "the file's own window",
                "stretch the darker range",
                "stretch the brighter range",
                "0.5-99.5 percentiles",
            ],
            style={"button_width": "52px"},
        )
        self.center = w.FloatSlider(description="centre", **slider)
        self.width = w.FloatSlider(description="width", **slider)
        self.invert = w.Checkbox(description="invert", indent=False, layout=w.Layout(width="80px"))
        self.zoom = w.FloatSlider(value=1.0, min=1.0, max=8.0, step=0.25, description="zoom", **slider)
        self.pan_x = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.01, description="pan x", **slider)
        self.pan_y = w.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.01, description="pan y", **slider)
        self.controls = w.VBox(
            [w.HBox([self.preset, self.invert]), self.center, self.width, self.zoom, self.pan_x, self.pan_y]
        )
        super().__init__([self.status, self.image, self.controls])
        self.preset.observe(self._on_preset, "value")
        for control in (self.center, self.width, self.invert, self.zoom, self.pan_x, self.pan_y):
            control.observe(self._on_control, "value")
        self.add_class("cxrkit-viewer")
        if source is not None:
            self.show(source)
        else:
            self.clear("no image")

    # --- public ------------------------------------------------------------------------------------

    def show(self, source: Source, *, caption: str = "") -> None:
        """Show a new image (decoded once) with the file's own window, zoom reset; errors shown,
        not raised."""
        try:
            if isinstance(source, _pixels.DisplayArray):
                data = source
            elif isinstance(source, np.ndarray):
                data = _pixels.from_array(source, max_size=self.max_size)
            else:
                data = _pixels.load(source, max_size=self.max_size)
        except (
            CxrkitError,
            ValueError,
        ) as exc:  # a missing or broken file is shown in the viewer, not raised
            self.clear(str(exc), kind="error")
            return
        self.data = data
        lo, hi = data.value_range
        self._quiet = True
        try:
            c, wd = _pixels.preset_window(data, "own")
            _set_slider(self.center, min(lo, c), max(hi, c), c)
            _set_slider(self.width, (hi - lo) / 1000, max(2 * (hi - lo), wd), wd)
            self.preset.value = "own"
            self.invert.value = False
            self.zoom.value, self.pan_x.value, self.pan_y.value = 1.0, 0.5, 0.5
        finally:
            self._quiet = False
        rows, cols = data.shape
        self.status.value = _html.message_html(f"{caption}  {cols} x {rows} px".strip())
        self.controls.layout.display = None
        self.render()

    def clear(self, message: str, *, kind: str = "info") -> None:
        """Show no image, only ``message`` (e.g. why the file cannot be shown)."""
        self.data = None
        self.picture_shape = None
        self.image.value = b""
        self.image.layout.display = "none"
        self.controls.layout.display = "none"
        self.status.value = _html.message_html(message, kind=kind)

    def set_window(self, center: float, width: float) -> None:
        """Set the window (modality units) in one step and render once."""
        self._quiet = True
        try:
            self.center.value, self.width.value = center, width
            self.preset.index = None
        finally:
            self._quiet = False
        self.render()

    def render(self) -> None:
        """Re-render the current image from the cached arrays with the current controls."""
        if self.data is None:
            return
        zoomed = self.zoom.value > 1
        own = self.preset.value == "own"
        key = (
            self.center.value,
            self.width.value,
            bool(self.invert.value),
            own,
            self.max_size,
            self.zoom.value,
            (self.pan_x.value, self.pan_y.value) if zoomed else None,
        )
        kept = self._pngs.setdefault(self.data, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            png, shape = kept[key]
        else:
            picture = _pixels.render(
                self.data,
                self.center.value,
                self.width.value,
                invert=self.invert.value,
                zoom=self.zoom.value,
                pan=(self.pan_x.value, self.pan_y.value),
                size=self.max_size,
                own=own,
            )
            png, shape = images.to_png(picture), picture.shape[:2]
            kept[key] = (png, shape)
            while len(kept) > self.pictures_kept:
                kept.popitem(last=False)
        self.picture_shape = shape
        for pan in (self.pan_x, self.pan_y):  # panning means something only when zoomed in
            pan.layout.display = None if zoomed else "none"
        self.image.value = png
        self.image.layout.display = None

    # --- events ------------------------------------------------------------------------------------

    def _on_preset(self, change: dict) -> None:
        if self._quiet or self.data is None or change["new"] is None:
            return
        c, wd = _pixels.preset_window(self.data, change["new"])
        self._quiet = True
        try:
            lo, hi = self.data.value_range
            _set_slider(self.center, min(lo, c, self.center.min), max(hi, c, self.center.max), c)
            _set_slider(self.width, self.width.min, max(self.width.max, wd), wd)
        finally:
            self._quiet = False
        self.render()

    def _on_control(self, change: dict) -> None:
        if self._quiet:
            return
        if change["owner"] in (self.center, self.width) and self.preset.index is not None:
            self._quiet = True
            self.preset.index = None  # a hand-set window is no longer the preset
            self._quiet = False
        self.render()
