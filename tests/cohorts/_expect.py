"""Counts of image frames, for comparing a cohort with a plain polars computation."""

from __future__ import annotations

import polars as pl


def counts(frame: pl.DataFrame) -> tuple[int, int, int]:
    """(patients, studies, images) of an image frame."""
    return frame["subject_id"].n_unique(), frame["study_id"].n_unique(), frame.height


def last(cohort) -> tuple[int, int, int]:
    row = cohort.steps[-1]
    return row.patients, row.studies, row.images
