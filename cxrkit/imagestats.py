"""Moved to :mod:`cxrkit.images.stats` (``header_table`` and ``pixel_stats`` are also in
:mod:`cxrkit.images`)."""

from ._moved import alias

__getattr__, __dir__ = alias(__name__, "cxrkit.images.stats")
