"""cxrkit: explore MIMIC-CXR and MIMIC-CXR-JPG in Jupyter.

One entry point: :func:`open_dataset`. Heavy libraries (pydicom, ipywidgets, matplotlib, dask) load only
when first used, so ``import cxrkit`` is cheap.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()  # $CXRKIT_ROOT, else the demo dataset
>>> ds.records().collect().columns
['subject_id', 'study_id', 'dicom_id', 'path']
"""

from __future__ import annotations

from .errors import CxrkitError

__version__ = "0.1.0"
__all__ = ["CxrkitError", "Dataset", "__version__", "open_dataset"]


def __getattr__(name: str):  # lazy: keep ``import cxrkit`` cheap
    if name in ("Dataset", "open_dataset", "Study", "Image"):
        from . import dataset

        return getattr(dataset, name)
    raise AttributeError(f"module 'cxrkit' has no attribute {name!r}")
