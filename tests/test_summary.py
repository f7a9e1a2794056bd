"""How a dataset, a study and a summary show in a notebook: tables, escaped, no report text."""

from __future__ import annotations

import cxrkit
from cxrkit.summary import Summary, html_table


def test_summary_is_a_dict_that_shows_as_a_table(demo_projects):
    ds = cxrkit.open_dataset(demo_projects)
    s = ds.summary()
    assert isinstance(s, dict) and s["patients"] == ds.patients().collect().height
    text = str(s)
    assert text.splitlines()[0].startswith("root") and f"{s['images']:,}" in text
    html = s._repr_html_()
    assert html.count("<tr>") == sum(1 for v in s.values() if v not in (None, {}, []))


def test_a_study_shows_its_ids_and_images_but_not_its_report(demo_projects):
    ds = cxrkit.open_dataset(demo_projects)
    study = ds.study(ds.studies().collect()["study_id"][0])
    html = study._repr_html_()
    assert f"s{study.study_id}" in html and str(study.subject_id) in html  # ids as they are: no separators
    assert all(im.dicom_id in html for im in study.images)
    sentence = next(line for line in study.report_text().splitlines() if len(line.strip()) > 20).strip()
    assert sentence not in html
    assert "cxrkit.Dataset" in ds._repr_html_() and "mimic-cxr-jpg" in ds._repr_html_()


def test_values_are_escaped():
    assert "<script>" not in html_table([("x", "<script>alert(1)</script>")])
    assert "&lt;script&gt;" in Summary({"root": "<script>"})._repr_html_()
