"""Moved to :mod:`cxrkit.storage.scan` (``map_paths`` is also in :mod:`cxrkit.storage`)."""

from ._moved import alias

__getattr__, __dir__ = alias(__name__, "cxrkit.storage.scan")
