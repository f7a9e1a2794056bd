"""Aliases of modules that moved (in 0.2): the old name keeps working for one release,
with a DeprecationWarning.

Examples
--------
>>> import warnings
>>> with warnings.catch_warnings(record=True) as caught:
...     warnings.simplefilter("always")
...     import cxrkit.imagestats as old
>>> old.header_table is __import__("cxrkit.images.stats").images.stats.header_table
True
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any


def alias(
    old: str, new: str, renamed: dict[str, str] | None = None
) -> tuple[Callable[[str], Any], Callable[[], list]]:
    """Warn that module ``old`` moved to ``new``; return the ``__getattr__`` and ``__dir__`` of the
    alias module.

    ``renamed`` maps old attribute names to ``"module:name"`` where a name changed or went elsewhere.
    """
    warnings.warn(
        f"{old} moved to {new}: import it from there ({old} goes away in the next release)",
        DeprecationWarning,
        stacklevel=3,
    )
    renamed = renamed or {}

    def __getattr__(name: str) -> Any:
        if name in renamed:
            module, _, attr = renamed[name].partition(":")
            return getattr(importlib.import_module(module), attr)
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(importlib.import_module(new), name)

    def __dir__() -> list[str]:
        return sorted({*dir(importlib.import_module(new)), *renamed})

    return __getattr__, __dir__
