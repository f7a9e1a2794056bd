"""The flow diagram's numbers, read back from its text artists, are the steps' counts."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")


def _numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"[\d,]+(?= (?:patient|stud|image))", text)]


def test_flow_boxes_carry_the_counts_and_exclusions(ds):
    import matplotlib.pyplot as plt

    cohort = (
        ds.cohort().view("frontal").split("train").labels("No Finding", uncertain="exclude").one_per_patient()
    )
    fig = cohort.flow(title="Demo cohort")
    texts = {t.get_gid(): t.get_text() for t in fig.axes[0].texts}
    for row in cohort.steps:
        assert _numbers(texts[f"left-{row.index}"]) == [row.patients, row.studies, row.images]
        if row.index:
            excluded = [row.excluded_patients, row.excluded_studies, row.excluded_images]
            assert _numbers(texts[f"excluded-{row.index}"]) == excluded
            assert row.excluded.split()[0] in texts[f"excluded-{row.index}"]
    assert "excluded-0" not in texts
    assert fig.axes[0].get_title() == "Demo cohort"
    plt.close(fig)
