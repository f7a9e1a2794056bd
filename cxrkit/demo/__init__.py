"""A synthetic MIMIC-CXR / MIMIC-CXR-JPG dataset, generated on the fly, for demos, notebooks and tests.

**Everything here is synthetic**: random ids with the real shapes, procedural phantom images
(:mod:`~cxrkit.demo._phantom`), reports written from the labels (:mod:`~cxrkit.demo._reports`), all in the
real layout and file formats (:mod:`~cxrkit.demo._build`, whose docstring lists what is mimicked), so code
written against the demo runs unchanged on a real copy. By default the two PhysioNet projects sit side by
side, ``mimic-cxr/2.1.0/`` and ``mimic-cxr-jpg/2.1.0/``, as a download leaves them (``layout="single"`` puts
everything in one folder). Output is deterministic. :func:`realism` (``cxrkit demo --report``) measures a demo
(or any copy) against the published MIMIC-CXR figures: label shares, labeller disagreement, report headers
and sections, views, image shapes.

Examples
--------
>>> sorted(demo_tables(subjects=2))[:2]
['cxr-provider-list.csv.gz', 'cxr-record-list.csv.gz']
"""

from ..errors import DemoError, DemoExistsError
from ._build import (
    DEMO_RELEASE,
    DEMO_VERSION,
    EXAMPLE_STUDY,
    EXAMPLE_SUBJECT,
    FLAVORS,
    LAYOUTS,
    default_scale,
    demo_tables,
    expected_counts,
    make_demo,
)
from ._mimic_iv import MIMIC_IV_ED_RELEASE, MIMIC_IV_RELEASE, make_mimic_iv_demo
from ._realism import realism

__all__ = [
    "DEMO_RELEASE",
    "DEMO_VERSION",
    "EXAMPLE_STUDY",
    "EXAMPLE_SUBJECT",
    "FLAVORS",
    "LAYOUTS",
    "MIMIC_IV_ED_RELEASE",
    "MIMIC_IV_RELEASE",
    "DemoError",
    "DemoExistsError",
    "default_scale",
    "demo_tables",
    "expected_counts",
    "make_demo",
    "make_mimic_iv_demo",
    "realism",
]
