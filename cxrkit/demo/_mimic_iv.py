"""A synthetic MIMIC-IV (hosp, icu) and MIMIC-IV-ED for the demo's patients, consistent with their films.

Written from the CXR demo's own study times and views, so that linking tells the real story: ED films (PA and
lateral) an hour or two before the admission starts, portable AP films during admissions and ICU stays (some
stays followed by a transfer to another unit, the next stay starting when the first ends), outpatient films
outside any admission, some ED visits that send the patient home, and about one patient in twelve with no
hospital record at all. Ids have the real shapes (``hadm_id`` 2xxxxxxx, ``stay_id`` 3xxxxxxx), times the
real format, files the real paths: ``mimiciv/3.1/hosp/patients.csv.gz``, ``hosp/admissions.csv.gz``,
``icu/icustays.csv.gz`` and ``mimic-iv-ed/2.2/ed/edstays.csv.gz``. Deterministic: same demo and seed, same
bytes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import os
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from .. import layout, tables
from ..errors import DemoExistsError

MIMIC_IV_RELEASE, MIMIC_IV_ED_RELEASE = "3.1", "2.2"
#: Share of the demo's patients with no MIMIC-IV record.
NO_RECORD_SHARE = 0.08
_TIME = "%Y-%m-%d %H:%M:%S"
_CAREUNITS = (
    "Medical Intensive Care Unit (MICU)",
    "Surgical Intensive Care Unit (SICU)",
    "Cardiac Vascular Intensive Care Unit (CVICU)",
    "Coronary Care Unit (CCU)",
    "Trauma SICU (TSICU)",
    "Medical/Surgical Intensive Care Unit (MICU/SICU)",
    "Neuro Surgical Intensive Care Unit (Neuro SICU)",
)
_ADM_TYPES_ED = ("EW EMER.", "EU OBSERVATION", "OBSERVATION ADMIT", "URGENT")
_ADM_TYPES_WARD = ("EW EMER.", "URGENT", "ELECTIVE", "SURGICAL SAME DAY ADMISSION", "DIRECT EMER.")
_DISCHARGE = ("HOME", "HOME HEALTH CARE", "SKILLED NURSING FACILITY", "REHAB", "DIED")
_INSURANCE = ("Medicare", "Medicaid", "Private", "Other")
_RACE = ("WHITE", "BLACK/AFRICAN AMERICAN", "HISPANIC/LATINO - PUERTO RICAN", "ASIAN", "OTHER", "UNKNOWN")
_YEAR_GROUPS = ("2008 - 2010", "2011 - 2013", "2014 - 2016", "2017 - 2019")


def _hours(rng: np.random.Generator, lo: float, hi: float) -> dt.timedelta:
    return dt.timedelta(seconds=int(rng.uniform(lo, hi) * 3600))


class _Ids:
    def __init__(self) -> None:
        self.hadm, self.stay = 20_000_000, 30_000_000

    def next_hadm(self, rng: np.random.Generator) -> int:
        self.hadm += int(rng.integers(1, 400))
        return self.hadm

    def next_stay(self, rng: np.random.Generator) -> int:
        self.stay += int(rng.integers(1, 400))
        return self.stay


def _patient_rows(
    subject: int, films: list[tuple[dt.datetime, str]], rng: np.random.Generator, ids: _Ids
) -> dict:
    first_year = films[0][0].year
    out: dict[str, list[dict[str, Any]]] = {"patients": [], "admissions": [], "icustays": [], "edstays": []}
    gender = "F" if rng.random() < 0.48 else "M"
    race = _RACE[int(rng.integers(len(_RACE)))]
    out["patients"].append(
        {
            "subject_id": subject,
            "gender": gender,
            "anchor_age": int(rng.integers(18, 91)),
            "anchor_year": first_year - int(rng.integers(0, 4)),
            "anchor_year_group": _YEAR_GROUPS[int(rng.integers(len(_YEAR_GROUPS)))],
            "dod": None,
        }
    )
    current: dict[str, Any] | None = None
    for when, view in films:
        if current is not None and when <= current["dischtime"]:
            continue  # a later film of the same admission (in its ward or ICU stay)
        current = None
        kind = rng.random()
        if view == "AP":  # a portable film: an inpatient, often in the ICU
            hadm = ids.next_hadm(rng)
            admit = when - _hours(rng, 6, 72)
            disch = when + _hours(rng, 24, 240)
            current = {"hadm_id": hadm, "admittime": admit, "dischtime": disch, "edregtime": None}
            if kind < 0.6:
                start = max(admit + dt.timedelta(hours=1), when - _hours(rng, 1, 24))
                stop = min(disch - dt.timedelta(hours=2), when + _hours(rng, 12, 96))
                unit = _CAREUNITS[int(rng.integers(len(_CAREUNITS)))]
                cut = start + (stop - start) * 0.5 if rng.random() < 0.15 else None  # a transfer: two stays
                for lo, hi in ((start, cut), (cut, stop)) if cut is not None else ((start, stop),):
                    out["icustays"].append(
                        {
                            "subject_id": subject,
                            "hadm_id": hadm,
                            "stay_id": ids.next_stay(rng),
                            "first_careunit": unit,
                            "last_careunit": unit,
                            "intime": lo,
                            "outtime": hi,
                            "los": round((hi - lo).total_seconds() / 86400, 4),
                        }
                    )
                    unit = _CAREUNITS[int(rng.integers(len(_CAREUNITS)))]
            types = _ADM_TYPES_WARD
        elif kind < 0.45:  # an ED visit: the film an hour or two before the admission starts
            hadm = ids.next_hadm(rng)
            edreg = when - _hours(rng, 0.3, 3)
            admit = when + _hours(rng, 0.5, 6)
            disch = admit + _hours(rng, 24, 200)
            current = {"hadm_id": hadm, "admittime": admit, "dischtime": disch, "edregtime": edreg}
            out["edstays"].append(
                {
                    "subject_id": subject,
                    "hadm_id": hadm,
                    "stay_id": ids.next_stay(rng),
                    "intime": edreg,
                    "outtime": admit + _hours(rng, 0, 1),
                    "gender": gender,
                    "race": race,
                    "arrival_transport": ("AMBULANCE", "WALK IN", "UNKNOWN")[int(rng.integers(3))],
                    "disposition": "ADMITTED",
                }
            )
            types = _ADM_TYPES_ED
        elif kind < 0.55:  # an ED visit that sends the patient home: no admission
            out["edstays"].append(
                {
                    "subject_id": subject,
                    "hadm_id": None,
                    "stay_id": ids.next_stay(rng),
                    "intime": when - _hours(rng, 0.3, 3),
                    "outtime": when + _hours(rng, 1, 6),
                    "gender": gender,
                    "race": race,
                    "arrival_transport": "WALK IN",
                    "disposition": "HOME",
                }
            )
            continue
        else:  # an outpatient film: no hospital stay
            continue
        died = rng.random() < 0.03
        out["admissions"].append(
            {
                "subject_id": subject,
                "hadm_id": current["hadm_id"],
                "admittime": current["admittime"],
                "dischtime": current["dischtime"],
                "deathtime": current["dischtime"] if died else None,
                "admission_type": types[int(rng.integers(len(types)))],
                "admit_provider_id": f"P{int(rng.integers(0, 16**5)):05X}",
                "admission_location": "EMERGENCY ROOM" if current["edregtime"] else "TRANSFER FROM HOSPITAL",
                "discharge_location": "DIED" if died else _DISCHARGE[int(rng.integers(len(_DISCHARGE) - 1))],
                "insurance": _INSURANCE[int(rng.integers(len(_INSURANCE)))],
                "language": "English",
                "marital_status": ("MARRIED", "SINGLE", "WIDOWED", "DIVORCED")[int(rng.integers(4))],
                "race": race,
                "edregtime": current["edregtime"],
                "edouttime": current["admittime"] if current["edregtime"] else None,
                "hospital_expire_flag": int(died),
            }
        )
    return out


_COLUMNS = {
    "patients": ("subject_id", "gender", "anchor_age", "anchor_year", "anchor_year_group", "dod"),
    "admissions": (
        "subject_id", "hadm_id", "admittime", "dischtime", "deathtime", "admission_type", "admit_provider_id",
        "admission_location", "discharge_location", "insurance", "language", "marital_status", "race",
        "edregtime", "edouttime", "hospital_expire_flag",
    ),
    "icustays": (
        "subject_id", "hadm_id", "stay_id", "first_careunit", "last_careunit", "intime", "outtime", "los",
    ),
    "edstays": (
        "subject_id", "hadm_id", "stay_id", "intime", "outtime", "gender", "race", "arrival_transport",
        "disposition",
    ),
}  # fmt: skip


def _write(rows: list[dict[str, Any]], name: str, path: Path) -> None:
    frame = (
        pl.DataFrame(rows, schema_overrides={"hadm_id": pl.Int64}, infer_schema_length=None) if rows else None
    )
    columns = _COLUMNS[name]
    if frame is None:
        frame = pl.DataFrame({c: [] for c in columns})
    frame = frame.select(
        [pl.col(c).dt.strftime(_TIME) if frame.schema[c] == pl.Datetime else pl.col(c) for c in columns]
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    data = frame.write_csv().encode()
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as fh:
        fh.write(data)


def films_from_metadata(meta: pl.DataFrame) -> pl.DataFrame:
    """Per study, from a metadata table (StudyDate as ``YYYYMMDD`` or a date, StudyTime as the float or a
    time): ``subject_id, study_id, when`` (a datetime; noon when the time is missing) and ``portable`` (an
    AP image), sorted by patient and time."""
    date = pl.col("StudyDate")
    if meta.schema["StudyDate"] != pl.Date:
        date = date.cast(pl.String).str.to_date("%Y%m%d", strict=False)
    time = pl.col("StudyTime")
    if meta.schema["StudyTime"] != pl.Time:
        time = tables.study_time_expr(time)
    return (
        meta.with_columns(date.alias("StudyDate"), time.alias("StudyTime"))
        .filter(pl.col("StudyDate").is_not_null())
        .group_by("subject_id", "study_id")
        .agg(
            pl.col("StudyDate")
            .first()
            .dt.combine(pl.col("StudyTime").first().fill_null(dt.time(12)))
            .alias("when"),
            (pl.col("ViewPosition") == "AP").any().alias("portable"),
        )
        .sort("subject_id", "when", "study_id")
    )


def write_mimic_iv(films: pl.DataFrame, dest: Path, *, seed: int = 0) -> Path:
    """Write ``dest/mimiciv/3.1/`` and ``dest/mimic-iv-ed/2.2/`` for the studies of ``films``
    (:func:`films_from_metadata`); returns ``dest``."""
    hosp = dest / layout.MIMIC_IV_PROJECTS[0] / MIMIC_IV_RELEASE
    ed = dest / layout.MIMIC_IV_ED_PROJECTS[0] / MIMIC_IV_ED_RELEASE
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in _COLUMNS}
    ids = _Ids()
    for (subject,), group in films.group_by(["subject_id"], maintain_order=True):
        rng = np.random.default_rng([seed, int(subject)])
        if rng.random() < NO_RECORD_SHARE:
            continue
        seq = [(w, "AP" if p else "PA") for w, p in zip(group["when"], group["portable"])]
        for name, part in _patient_rows(int(subject), seq, rng, ids).items():
            rows[name].extend(part)
    for name, rel in (("patients", "hosp"), ("admissions", "hosp"), ("icustays", "icu")):
        _write(rows[name], name, hosp / rel / f"{name}.csv.gz")
    _write(rows["edstays"], "edstays", ed / "ed" / "edstays.csv.gz")
    return dest


def make_mimic_iv_demo(ds: Any, dest: str | os.PathLike, *, seed: int = 0, overwrite: bool = False) -> Path:
    """Write a MIMIC-IV-shaped copy for the patients of the CXR copy ``ds`` into ``dest``.

    ``dest`` is the folder above the projects: ``dest/mimiciv/3.1/`` and ``dest/mimic-iv-ed/2.2/`` are
    written (for the demo's default layout, the folder holding ``mimic-cxr/`` and ``mimic-cxr-jpg/``, where
    :func:`cxrkit.mimic_iv.find_mimic_iv` looks; :func:`cxrkit.demo.make_demo` writes it there already).
    Returns ``dest``.

    Examples
    --------
    >>> import cxrkit, tempfile, pathlib
    >>> top = make_mimic_iv_demo(cxrkit.open_dataset(), pathlib.Path(tempfile.mkdtemp()))
    >>> sorted(p.relative_to(top).as_posix() for p in top.rglob("*.csv.gz"))[:2]
    ['mimic-iv-ed/2.2/ed/edstays.csv.gz', 'mimiciv/3.1/hosp/admissions.csv.gz']
    """
    dest = Path(dest)
    hosp = dest / layout.MIMIC_IV_PROJECTS[0] / MIMIC_IV_RELEASE
    ed = dest / layout.MIMIC_IV_ED_PROJECTS[0] / MIMIC_IV_ED_RELEASE
    if (hosp.exists() or ed.exists()) and not overwrite:
        raise DemoExistsError(f"{hosp} already exists; pass overwrite=True to write it again")
    meta = ds.images().select("subject_id", "study_id", "StudyDate", "StudyTime", "ViewPosition").collect()
    return write_mimic_iv(films_from_metadata(meta), dest, seed=seed)
