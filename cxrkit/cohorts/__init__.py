"""Cohorts: from exploring a copy to a study population with its provenance.

A :class:`Cohort` is an immutable value built from a dataset by named steps (:mod:`~cxrkit.cohorts.steps`:
view, official split, labels with an uncertain policy, report text, what the report says, dates, one study or
image per patient, files on disk, a prior study), each a polars filter, with the patients, studies and images
left after each step (:attr:`Cohort.steps`). :mod:`~cxrkit.cohorts.pairs` orders studies in true time and
makes (current, prior) pairs; :mod:`~cxrkit.cohorts.flow` draws the CONSORT-style diagram;
:mod:`~cxrkit.cohorts.manifest` writes and reads manifests (ids, both projects' paths, sizes, checksums,
download lists). ``Dataset.cohort()`` and ``Dataset.study_pairs()`` are the entry points.

Examples
--------
>>> import cxrkit
>>> ds = cxrkit.open_dataset()
>>> cohort = ds.cohort().view("frontal").split("train")
>>> cohort.steps[-1].name, cohort.images().height == cohort.steps[-1].images
('split', True)
"""

from . import steps
from .cohort import IMAGE_COLUMNS, Cohort
from .flow import StepRow, flow_diagram
from .manifest import MANIFEST_VERSION, TYPICAL_SIZES, ManifestInfo, read_manifest, write_manifest
from .pairs import COMPARISON_PATTERN, order_studies, pairs_of, prior_step, study_pairs

__all__ = [
    "COMPARISON_PATTERN",
    "IMAGE_COLUMNS",
    "MANIFEST_VERSION",
    "TYPICAL_SIZES",
    "Cohort",
    "ManifestInfo",
    "StepRow",
    "flow_diagram",
    "order_studies",
    "pairs_of",
    "prior_step",
    "read_manifest",
    "steps",
    "study_pairs",
    "write_manifest",
]
