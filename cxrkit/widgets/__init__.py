"""Jupyter widgets for exploring a MIMIC-CXR copy: :class:`StudyBrowser` and :class:`ImageViewer`.

``StudyBrowser`` moves through the dataset like a worklist (filters, the matching studies, a study's images
with windows and zoom, its DICOM header, report, labels and the patient's other studies); ``ImageViewer``
shows one image with window/level, invert and zoom. Both send bounded PNG previews and keep image bytes out
of embeddable widget state (see :class:`cxrkit.widgets.TransientImage` and :mod:`cxrkit.widgets._viewer`
for what that does and does not cover).

Performance: a selection decodes the large image once (:func:`cxrkit.images.read_modality`: the stored
integers are averaged to the preview size before rescaling) and keeps the last two previews in memory (the
full-resolution values are read only when the user first zooms in); thumbnails come from the cache
(:func:`cxrkit.images.thumbnail`); window, invert and zoom re-render from memory.

Examples
--------
>>> import cxrkit
>>> from cxrkit.widgets import StudyBrowser, ImageViewer
>>> ds = cxrkit.open_dataset()  # the demo, or $CXRKIT_ROOT
>>> browser = StudyBrowser(ds)  # in a notebook, make it the cell's last expression to show it
>>> viewer = ImageViewer(ds.study(browser.current_study_id).images[0].path, max_size=256)
>>> max(viewer.picture_shape) <= 256, browser.viewer.image.value[:4] == b"\\x89PNG"
(True, True)
"""

from __future__ import annotations

from ._browser import StudyBrowser
from ._viewer import ImageViewer, TransientImage

__all__ = ["ImageViewer", "StudyBrowser", "TransientImage"]
