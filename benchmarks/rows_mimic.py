"""Row 15: linking every study to MIMIC-IV admissions, cxrkit (``cxrkit.mimic_iv.link_studies``, cached)
against the same written by hand in pandas (``read_csv`` and a per-patient ``merge_asof``).

The MIMIC-IV copy is the demo's (``cxrkit.demo.make_mimic_iv_demo``) for the full-scale tables: one admission
per inpatient or ED episode, ICU stays for most portable films. It is written once beside the tables data set,
never inside it. Both sides answer the matched ``hadm_id`` of every study whose time is known, under the
ED-aware rule (from the earlier of ``edregtime`` and ``admittime`` to ``dischtime``). The as-of match alone
misses the studies held by an admission around a shorter, later one (409 at full scale), so the pandas side
looks again, among all the patient's windows, for the studies whose as-of window had ended.
"""

from __future__ import annotations

from pathlib import Path

from .harness import Group, Line, Side


def mimic_root(tables: str) -> Path:
    """The MIMIC-IV copy for the tables data set (built once, beside it)."""
    import cxrkit
    from cxrkit.demo import make_mimic_iv_demo

    folder = Path(tables).parent / f"{Path(tables).name}-mimic-iv"
    done = folder / ".complete"
    if not done.exists():
        make_mimic_iv_demo(cxrkit.open_dataset(tables, cache_dir=folder / "cache"), folder, overwrite=True)
        done.write_text("ok\n")
    return folder


def _answer(pairs) -> tuple[list[list[int]], str]:
    import math

    rows = sorted([int(s), -1 if h is None or math.isnan(h) else int(h)] for s, h in pairs)
    matched = sum(1 for _, h in rows if h >= 0)
    return rows, f"{len(rows)} studies, {matched} matched"


def _kit(ctx):
    import polars as pl

    import cxrkit
    from cxrkit.mimic_iv import link_studies, open_mimic_iv

    top = mimic_root(ctx["tables"])
    cache = ctx["warm_cache"]

    def run():  # a later call, from a new session: open both copies, link
        ds = cxrkit.open_dataset(ctx["tables"], cache_dir=cache)
        linked = link_studies(ds, open_mimic_iv(top, cache_dir=cache), "admission+ed")
        return linked.filter(pl.col("time_known")).select("study_id", "hadm_id").rows()

    run()  # builds the parquet copies (in the background: wait for them, the row is "tables cached")
    cxrkit.tables.wait_for_cache_writes()
    return run


def pandas_link(tables: Path, top: Path):
    import numpy as np
    import pandas as pd

    meta = pd.read_csv(
        next(tables.glob("mimic-cxr-*-metadata.csv.gz")),
        usecols=["subject_id", "study_id", "StudyDate", "StudyTime"],
    )
    meta = meta.dropna(subset=["StudyDate", "StudyTime"])
    whole = np.floor(meta["StudyTime"]).astype("int64")
    frac = meta["StudyTime"] - whole
    seconds = (whole // 10000) * 3600 + (whole // 100 % 100) * 60 + whole % 100 + frac
    meta["t"] = pd.to_datetime(
        meta["StudyDate"].astype("int64").astype(str), format="%Y%m%d"
    ) + pd.to_timedelta(seconds, unit="s")
    studies = meta.groupby(["subject_id", "study_id"], as_index=False)["t"].min()
    adm = pd.read_csv(
        next(top.glob("mimiciv/*/hosp/admissions.csv.gz")),
        usecols=["subject_id", "hadm_id", "admittime", "dischtime", "edregtime"],
        parse_dates=["admittime", "dischtime", "edregtime"],
    )
    adm["w_start"] = adm[["edregtime", "admittime"]].min(axis=1).astype("datetime64[ns]")
    studies["t"] = studies["t"].astype("datetime64[ns]")
    adm = adm[adm["dischtime"] >= adm["admittime"]].sort_values("w_start")
    merged = pd.merge_asof(
        studies.sort_values("t"), adm[["subject_id", "hadm_id", "w_start", "dischtime"]], left_on="t",
        right_on="w_start", by="subject_id", direction="backward",
    )  # fmt: skip
    ended = merged["hadm_id"].notna() & ~(merged["t"] <= merged["dischtime"])
    merged.loc[~(merged["t"] <= merged["dischtime"]), "hadm_id"] = np.nan
    # the as-of match is the latest window to start before the study; when that one has ended, an earlier
    # and longer one (an admission around a shorter one) can still hold the study: look among all of them
    left = merged.loc[ended, ["subject_id", "study_id", "t"]]
    pairs = left.merge(adm[["subject_id", "hadm_id", "w_start", "dischtime"]], on="subject_id")
    pairs = pairs[(pairs["w_start"] <= pairs["t"]) & (pairs["t"] <= pairs["dischtime"])]
    held = pairs.sort_values("w_start").groupby("study_id").tail(1)  # the latest to start
    merged = merged.set_index("study_id")
    merged.loc[held["study_id"].to_numpy(), "hadm_id"] = held["hadm_id"].to_numpy()
    return list(zip(merged.index, merged["hadm_id"]))


def _pandas(ctx):
    import pandas  # noqa: F401 - imported before timing, like the kit's polars

    tables, top = Path(ctx["tables"]), mimic_root(ctx["tables"])
    return lambda: pandas_link(tables, top)


def _available() -> str | None:
    try:
        from cxrkit.demo import make_mimic_iv_demo  # noqa: F401
        from cxrkit.mimic_iv import link_studies  # noqa: F401
    except ImportError as exc:
        return f"cxrkit.mimic_iv is missing ({exc})"
    return None


GROUPS = {
    "mimic_link": Group(
        name="mimic_link",
        title="Every study linked to its MIMIC-IV admission (ED-aware window), once cached",
        needs=("tables",),
        available=_available,
        reps=5,
        quick_reps=1,
        sides=[Side("kit-cached", _kit, _answer), Side("pandas", _pandas, _answer)],
        lines=[
            Line(
                "15",
                "every study linked to its MIMIC-IV admission (ED-aware window), tables cached",
                "pandas: `read_csv` of metadata and admissions, per-patient `merge_asof`",
                "kit-cached",
                "pandas",
                0.5,
                "<= 0.5 and under 1 s at full scale",
                why_not_met=(
                    "The kit joins every study with every admission of its patient (942k pairs at full "
                    "scale: to count the windows holding each study, and those an as-of join misses when "
                    "admissions nest), then ICU and ED stays the same way; the nearest window is looked "
                    "for only among the unmatched studies' pairs. A miss near 0.5 is the 2-core machine "
                    "shared with other work."
                ),
            ),
        ],
    ),
}
