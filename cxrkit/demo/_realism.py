"""How close a demo (or any copy) comes to the published MIMIC-CXR figures: :func:`realism`.

Each row is one figure: the copy's value, the published one (:mod:`cxrkit.demo._published`), the tolerance
and whether the copy is within it. Label shares are over the training split's studies (as published),
header and section shares over all reports, views and images per study over all images and studies.

Tolerances: label shares within 3 percentage points; CheXpert/NegBio disagreement between 0.5% and 5% of
studies for every category; header and section shares within 6 points; co-occurrence lifts above 1.5 (an
effusion makes atelectasis likelier, edema cardiomegaly); at least 20 distinct image shapes; fewer than
0.5% of DICOMs (a sample of headers) left without a view by the official notebook's rules (ViewPosition,
then ``AcquisitionDeviceProcessingDescription``).

Examples
--------
>>> import tempfile, pathlib
>>> from cxrkit.demo import make_demo
>>> with tempfile.TemporaryDirectory() as tmp:
...     frame = realism(make_demo(pathlib.Path(tmp) / "d", subjects=40, images=False))
>>> frame.columns
['figure', 'demo', 'published', 'tolerance', 'ok', 'source']
"""

from __future__ import annotations

import os
import re
import zipfile
from pathlib import Path

import numpy as np
import polars as pl

from .. import layout
from ..errors import DemoError
from ..reports import sections_frame
from ..tables import LABEL_COLUMNS
from . import _published as pub

__all__ = ["realism"]

_CHEXPERT = "mimic-cxr-2.0.0-chexpert.csv.gz"
_NEGBIO = "mimic-cxr-2.0.0-negbio.csv.gz"
_SPLIT = "mimic-cxr-2.0.0-split.csv.gz"
_METADATA = "mimic-cxr-2.0.0-metadata.csv.gz"
_REPORTS_ZIP = "mimic-cxr-reports.zip"
SHARE_TOLERANCE = 3.0
HEADER_TOLERANCE = 6.0
DISAGREEMENT_RANGE = (0.5, 5.0)
LIFT_MIN = 1.5
#: Label figures the facts sheet does not state: recalled from the MIMIC-CXR-JPG paper's label table, not
#: checked against it (see :mod:`cxrkit.demo._published`).
_PAPER = "MIMIC-CXR-JPG paper, all studies (recalled, unverified)"


def _find(root: Path, name: str) -> Path | None:
    """``name`` in ``root`` or in one of the two projects' release folders below it."""
    for candidate in [root / name, *sorted(root.glob(f"*/*/{name}"))]:
        if candidate.exists():
            return candidate
    return None


def _read_table(path: Path) -> pl.DataFrame:
    return pl.read_csv(
        path,
        infer_schema_length=None,
        schema_overrides={c: pl.Float64 for c in LABEL_COLUMNS} | {"ViewPosition": pl.String},
    )


def _row(figure: str, demo: float, published: float | None, source: str, *, tol: float) -> dict:
    ok = published is not None and abs(demo - published) <= tol
    return {
        "figure": figure,
        "demo": demo,
        "published": published,
        "tolerance": f"±{tol:g}",
        "ok": ok,
        "source": source,
    }


def _label_rows(root: Path) -> list[dict]:
    paths = {name: _find(root, name) for name in (_CHEXPERT, _NEGBIO, _SPLIT)}
    if None in paths.values():
        return []
    split = _read_table(paths[_SPLIT]).select("study_id", "split").unique("study_id")
    train = split.filter(pl.col("split") == "train").select("study_id")
    chex = _read_table(paths[_CHEXPERT]).join(train, on="study_id").sort("study_id")
    neg = _read_table(paths[_NEGBIO]).join(train, on="study_id").sort("study_id")
    if chex.height == 0:
        return []
    a = chex.select(LABEL_COLUMNS).to_numpy().astype(float)
    b = neg.select(LABEL_COLUMNS).to_numpy().astype(float)
    rows = []
    for j, name in enumerate(LABEL_COLUMNS):
        col = a[:, j]
        shares = (np.mean(col == 1.0), np.mean(col == 0.0), np.mean(col == -1.0))
        stated = pub.LABEL_SOURCES.get(name, (False, False, False))
        for k, kind in enumerate(("positive", "negative", "uncertain")):
            if name == "No Finding" and kind != "positive":
                continue
            source = "facts sheet (train)" if stated[k] else _PAPER
            rows.append(
                _row(
                    f"CheXpert {name} {kind} %",
                    100 * shares[k],
                    pub.LABEL_SHARES[name][k],
                    source,
                    tol=SHARE_TOLERANCE,
                )
            )
        blank = 100 * np.mean(np.isnan(col))
        rows.append(
            _row(
                f"CheXpert {name} blank %",
                blank,
                100 - sum(pub.LABEL_SHARES[name]),
                "the rest",
                tol=SHARE_TOLERANCE,
            )
        )
    any_pos = 100 * np.mean((b == 1.0).any(axis=1))
    rows.append(
        _row(
            "NegBio studies with a positive label %",
            any_pos,
            pub.NEGBIO_ANY_POSITIVE,
            "facts sheet (train)",
            tol=SHARE_TOLERANCE,
        )
    )
    lo, hi = DISAGREEMENT_RANGE
    for j, name in enumerate(LABEL_COLUMNS):
        differ = ~((a[:, j] == b[:, j]) | (np.isnan(a[:, j]) & np.isnan(b[:, j])))
        value = 100 * float(differ.mean())
        published = pub.DISAGREEMENT.get(name)
        rows.append(
            {
                "figure": f"CheXpert vs NegBio differ on {name} %",
                "demo": value,
                "published": published,
                "tolerance": f"{lo:g}..{hi:g}",
                "ok": lo <= value <= hi,
                "source": "facts sheet (train)" if published is not None else "range only",
            }
        )
    idx = {c: j for j, c in enumerate(LABEL_COLUMNS)}
    for given, then in (("Pleural Effusion", "Atelectasis"), ("Edema", "Cardiomegaly")):
        cond, target = a[:, idx[given]] == 1.0, a[:, idx[then]] == 1.0
        lift = float(target[cond].mean() / target.mean()) if cond.any() and target.any() else 0.0
        rows.append(
            {
                "figure": f"lift of {then} given {given}",
                "demo": lift,
                "published": None,
                "tolerance": f">{LIFT_MIN:g}",
                "ok": lift > LIFT_MIN,
                "source": "co-occurrence",
            }
        )
    return rows


def _report_texts(root: Path) -> list[str]:
    zipped = _find(root, _REPORTS_ZIP)
    if zipped is not None:
        with zipfile.ZipFile(zipped) as zf:
            return [zf.read(n).decode("utf-8") for n in zf.namelist() if n.endswith(".txt")]
    files = [p for p in [root, *root.glob("*/*")] if (p / layout.FILES_DIR).is_dir()]
    return [p.read_text(encoding="utf-8") for base in files for p in sorted((base / "files").rglob("*.txt"))]


def _report_rows(root: Path) -> list[dict]:
    texts = _report_texts(root)
    if not texts:
        return []
    rows = []
    for header, published in pub.HEADERS.items():
        pattern = re.compile(r"^ ?" + re.escape(header) + r" ?:", re.MULTILINE)
        share = 100 * sum(bool(pattern.search(t)) for t in texts) / len(texts)
        rows.append(
            _row(
                f"reports with {header}: %",
                share,
                published,
                "facts sheet (all reports)",
                tol=HEADER_TOLERANCE,
            )
        )
    cut = sections_frame(pl.DataFrame({"text": texts}), keep_text=False)
    inferred = cut["last_paragraph"].is_not_null()
    impression = cut["impression"].is_not_null() & ~inferred
    findings_only = ~impression & ~inferred & cut["findings"].is_not_null()
    for name, mask in (
        ("impression", impression),
        ("findings only", findings_only),
        ("last paragraph only", inferred),
    ):
        rows.append(
            _row(
                f"sections: {name} %",
                100 * float(mask.mean()),
                pub.SECTIONS[name],
                "facts sheet (official parser)",
                tol=HEADER_TOLERANCE,
            )
        )
    return rows


def _metadata_rows(root: Path) -> list[dict]:
    path = _find(root, _METADATA)
    if path is None:
        return []
    meta = _read_table(path)
    n = meta.height
    rows = []
    views = meta["ViewPosition"].fill_null("")
    for view, published in pub.VIEWS.items():
        share = 100 * float((views == view).sum()) / n
        rows.append(
            _row(
                f"images with ViewPosition {view or '(empty)'} %",
                share,
                published,
                "facts sheet",
                tol=SHARE_TOLERANCE,
            )
        )
    per_study = meta.group_by("study_id").len()["len"]
    for count, published in pub.IMAGES_PER_STUDY.items():
        share = 100 * float((per_study == count).mean())
        rows.append(
            _row(f"studies with {count} image(s) %", share, published, "facts sheet", tol=SHARE_TOLERANCE)
        )
    return rows


def _dicom_rows(root: Path, sample: int) -> list[dict]:
    """The official view rules on a sample of DICOM headers, and the spread of image shapes."""
    import pydicom

    rows = []
    meta_path = _find(root, _METADATA)
    if meta_path is not None:
        meta = _read_table(meta_path)
        shapes = meta.select("Rows", "Columns").unique().height
        rows.append(
            {
                "figure": "distinct image shapes",
                "demo": float(shapes),
                "published": None,
                "tolerance": ">=20",
                "ok": shapes >= 20,
                "source": "issue #16 (by view and machine)",
            }
        )
    records = _find(root, "cxr-record-list.csv.gz")
    if records is None:
        return rows
    base = records.parent
    paths = [base / p for p in pl.read_csv(records)["path"].to_list()]
    paths = [p if p.exists() else p.with_name(p.name + ".gz") for p in paths]
    paths = [p for p in paths if p.exists()]
    if not paths:
        return rows
    step = max(1, len(paths) // sample)
    resolved = other = 0
    for path in paths[::step]:
        ds = pydicom.dcmread(
            path,
            stop_before_pixels=True,
            specific_tags=["ViewPosition", "AcquisitionDeviceProcessingDescription"],
        )
        view = pub.OFFICIAL_VIEW_POSITION.get(str(ds.get("ViewPosition", "")))
        view = view or pub.OFFICIAL_PROCESSING.get(str(ds.get("AcquisitionDeviceProcessingDescription", "")))
        resolved += 1
        other += view is None
    share = 100 * other / resolved
    rows.append(
        {
            "figure": "images the official view rules leave without a view %",
            "demo": share,
            "published": pub.OTHER_VIEW,
            "tolerance": "<0.5",
            "ok": share < 0.5,
            "source": "facts sheet (train/validate/test 'other')",
        }
    )
    return rows


def realism(root: str | os.PathLike, *, dicom_sample: int = 400) -> pl.DataFrame:
    """The copy at ``root``'s figures beside the published MIMIC-CXR ones, one row per figure.

    Parameters
    ----------
    root
        A demo made by :func:`~cxrkit.demo.make_demo` (either layout), or any folder holding the tables
        and reports under the real names (the projects' release folders may sit one level down as
        ``mimic-cxr/2.1.0`` and ``mimic-cxr-jpg/2.1.0``).

    Returns
    -------
    polars.DataFrame
        Columns ``figure``, ``demo`` (the copy's value), ``published`` (null where only a range is
        known), ``tolerance`` (``±3``, ``0.5..5``, ``>1.5``), ``ok`` and ``source`` (where the published
        figure comes from). Percentages are in percent. Figures whose files are missing are left out.
    dicom_sample
        How many DICOM headers (evenly spread over the record list) the view rules are checked on.

    Raises
    ------
    DemoError
        ``root`` holds none of the tables or reports.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from cxrkit.demo import make_demo
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     frame = realism(make_demo(pathlib.Path(tmp) / "d", subjects=60, images=False))
    >>> frame.filter(pl.col("figure") == "CheXpert No Finding positive %")["published"].item()
    33.2
    """
    root = Path(root)
    rows = _label_rows(root) + _report_rows(root) + _metadata_rows(root) + _dicom_rows(root, dicom_sample)
    if not rows:
        raise DemoError(
            f"{root}: no label tables, reports or metadata to measure (is this a MIMIC-CXR copy?)"
        )
    return pl.DataFrame(
        rows,
        schema={
            "figure": pl.String,
            "demo": pl.Float64,
            "published": pl.Float64,
            "tolerance": pl.String,
            "ok": pl.Boolean,
            "source": pl.String,
        },
    )
