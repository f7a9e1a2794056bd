"""Jupyter widgets for exploring a MIMIC-CXR copy: :class:`StudyBrowser` and :class:`ImageViewer`.

``StudyBrowser`` moves through the dataset like a worklist (filters, the matching studies, a study's images
with windows and zoom, its DICOM header, report, labels and the patient's other studies); ``ImageViewer``
shows one image with window/level, invert and zoom. Both send bounded PNG previews and keep image bytes out
of embeddable widget state (see :class:`cxrkit.widgets.TransientImage`).

Examples
--------
>>> import cxrkit
>>> from cxrkit.widgets import StudyBrowser, ImageViewer
>>> StudyBrowser(cxrkit.open_dataset())  # the cell's last expression displays it  # doctest: +SKIP
>>> ImageViewer("files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm")  # doctest: +SKIP
"""

from __future__ import annotations

from ._browser import StudyBrowser
from ._viewer import ImageViewer, TransientImage

__all__ = ["ImageViewer", "StudyBrowser", "TransientImage"]
