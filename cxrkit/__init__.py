"""cxrkit: explore MIMIC-CXR and MIMIC-CXR-JPG in Jupyter.

One entry point: :func:`open_dataset`. Heavy libraries (pydicom, ipywidgets, matplotlib, dask) load only
when first used, so ``import cxrkit`` is cheap.

Where things are (imports run downward only): :mod:`cxrkit.errors` and :mod:`cxrkit.layout` at the bottom;
:mod:`cxrkit.storage` (files, cache, scans, the tree walk, the local and remote sources); then
:mod:`cxrkit.images`, :mod:`cxrkit.reports`, :mod:`cxrkit.tables`, :mod:`cxrkit.text` and :mod:`cxrkit.demo`;
then :mod:`cxrkit.validate` and :mod:`cxrkit.download`; :mod:`cxrkit.cohorts`; :mod:`cxrkit.dataset`;
on top :mod:`cxrkit.widgets` and :mod:`cxrkit.cli`.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()  # $CXRKIT_ROOT, else the demo dataset
>>> ds.records().collect().columns
['subject_id', 'study_id', 'dicom_id', 'path']
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from .errors import CxrkitError

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset, Image, Study, open_dataset

try:
    __version__ = version("cxrkit")
except PackageNotFoundError:  # pragma: no cover - run from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["CxrkitError", "Dataset", "Image", "Study", "__version__", "open_dataset"]

_LAZY = ("Dataset", "Image", "Study", "open_dataset")


def __getattr__(name: str) -> Any:  # lazy: keep ``import cxrkit`` cheap (the dataset brings polars)
    if name in _LAZY:
        from . import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'cxrkit' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
