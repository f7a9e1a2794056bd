"""Jupyter widgets for exploring a MIMIC-CXR copy: :class:`StudyBrowser` and :class:`ImageViewer`.

``StudyBrowser`` moves through the dataset like a worklist (filters, the matching studies, a study's images,
a prior study side by side, frontal and lateral side by side, its DICOM header, report and labels);
``ImageViewer`` shows one image. Both draw images in a canvas pane that does window/level (drag, values
shown), zoom about the pointer, pan, presets, invert, a length tool in mm and a pixel probe in the page,
without a kernel round trip; keys work while the widget has focus and never reach JupyterLab (``?`` lists
them).

Nothing shown is saved with the notebook: pixels, ids, list rows and report text go to the page in custom
messages, not in widget state (:class:`cxrkit.widgets.Channel`), so a notebook saved by JupyterLab or
``nbconvert --execute`` holds none of it (the tests check).

Performance: a selection decodes the large image once (:func:`cxrkit.images.read_modality`: the stored
integers are averaged to the preview size before rescaling) and sends it once (16-bit values and the 8-bit
picture with the file's own window); the last few decoded images are kept; thumbnails come from the cache.

Examples
--------
>>> import cxrkit
>>> from cxrkit.widgets import StudyBrowser, ImageViewer
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> browser = StudyBrowser(ds)  # in a notebook, make it the cell's last expression to show it
>>> viewer = ImageViewer(ds.study(browser.current_study_id).images[0].path, max_size=256)
>>> max(viewer.picture_shape) <= 256, browser.shown("pane:a")["op"]
(True, 'image')
"""

from __future__ import annotations

from ._browser import StudyBrowser
from ._channel import Channel
from ._viewer import ImageViewer

__all__ = ["Channel", "ImageViewer", "StudyBrowser"]
