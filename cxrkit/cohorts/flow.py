"""A cohort's CONSORT-style flow diagram with matplotlib: one box per step with what is left, the exclusions
of each step in a box on the side.

Every number is its own text artist (``gid`` ``"left-<step>"`` or ``"excluded-<step>"``), so a test or a
reader can take the numbers back from the figure.

Examples
--------
>>> rows = [StepRow(0, "start", "images listed in this copy", 3, 5, 9, 0, 0, 0, "", ""),
...         StepRow(1, "view", "frontal images", 3, 5, 6, 0, 0, 3, "not frontal", "")]
>>> fig = flow_diagram(rows, title="demo")
>>> [t.get_text() for t in fig.axes[0].texts if t.get_gid() == "excluded-1"]
['Excluded: not frontal\\n0 patients, 0 studies, 3 images']
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

__all__ = ["StepRow", "counts_text", "flow_diagram"]


@dataclass(frozen=True)
class StepRow:
    """One step of a cohort as recorded: what is left after it and what it excluded."""

    index: int
    name: str
    description: str
    patients: int
    studies: int
    images: int
    excluded_patients: int
    excluded_studies: int
    excluded_images: int
    excluded: str
    note: str


def counts_text(patients: int, studies: int, images: int) -> str:
    """``"24 patients, 40 studies, 65 images"`` (singular for 1).

    Examples
    --------
    >>> counts_text(1, 2, 3)
    '1 patient, 2 studies, 3 images'
    """

    def one(n: int, word: str, plural: str) -> str:
        return f"{n:,} {word if n == 1 else plural}"

    return ", ".join(
        [
            one(patients, "patient", "patients"),
            one(studies, "study", "studies"),
            one(images, "image", "images"),
        ]
    )


def flow_diagram(rows: list[StepRow], *, title: str = "Cohort flow", ax=None):
    """Draw the flow diagram of ``rows`` (:attr:`cxrkit.cohorts.Cohort.steps`) and return the figure.

    Boxes run top to bottom in step order, each with the step's description and the patients, studies and
    images left; a box to the right of each arrow gives what that step excluded. ``ax`` draws into an
    existing axes (its axis is turned off).
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch

    n = len(rows)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9.5, 1.35 * n + 0.6))
    else:
        fig = ax.figure
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.8, 1.35 * n - 0.3)
    ax.axis("off")
    ax.set_title(title)
    box = {"boxstyle": "round,pad=0.4", "facecolor": "#eef3fb", "edgecolor": "#30507a"}
    side = {"boxstyle": "round,pad=0.35", "facecolor": "#fbf0ee", "edgecolor": "#8a3b2f"}
    for k, row in enumerate(rows):
        y = 1.35 * (n - 1 - k)
        label = textwrap.fill(row.description, 48)
        ax.text(3.2, y + 0.22, label, ha="center", va="center", fontsize=8.5, bbox=box, gid=f"step-{k}")
        ax.text(
            3.2,
            y - 0.28,
            counts_text(row.patients, row.studies, row.images),
            ha="center",
            va="center",
            fontsize=8.5,
            fontweight="bold",
            gid=f"left-{k}",
        )
        if k == 0:
            continue
        arrow = FancyArrowPatch((3.2, y + 0.93), (3.2, y + 0.47), arrowstyle="-|>", mutation_scale=12)
        ax.add_patch(arrow)
        excluded = counts_text(row.excluded_patients, row.excluded_studies, row.excluded_images)
        text = f"Excluded: {textwrap.fill(row.excluded, 34)}\n{excluded}"
        side_arrow = FancyArrowPatch(
            (3.2, y + 0.7), (5.1, y + 0.7), arrowstyle="-|>", mutation_scale=10, color="#8a3b2f"
        )
        ax.add_patch(side_arrow)
        ax.text(5.3, y + 0.7, text, ha="left", va="center", fontsize=7.5, bbox=side, gid=f"excluded-{k}")
    return fig
