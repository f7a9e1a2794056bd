"""Linking chest X-ray studies to MIMIC-IV admissions, ICU stays and ED stays, by a named rule.

There is no official recipe: films are often taken in the emergency department before the admission starts,
so "StudyDate within admittime-dischtime" misses them, and every project picks its own window. A
:class:`Rule` names the window; :func:`link_studies` gives one row per study with what matched, where the film
falls, how far it is from the window's edges and whether the match is ambiguous, so that a reviewer can audit
it; :func:`compare_rules` puts the counts of several rules side by side.

A study's time is ``StudyDate + StudyTime`` from the metadata. When the time is missing the study could have
been taken at any moment of that day: it matches every window that overlaps the day, and ``time_known`` says
so. Admissions whose times do not parse or end before they start are never used as windows; the studies of
their patients say ``bad_windows`` (see :meth:`cxrkit.mimic_iv.MimicIV.problems`).

Examples
--------
>>> r = RULES["admission-24h"]
>>> r.describe()
'admission-24h: from 24 h before admittime to dischtime'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:  # pragma: no cover
    from .copy import MimicIV

#: Where a study's time falls (the ``position`` column), matched positions first.
POSITIONS = (
    "ed_before_admission",  # in the ED (edregtime .. admittime) of the matched admission
    "before_admission",  # in a window widened before admittime, not in the ED
    "icu",  # during an ICU stay of the matched admission
    "admission",  # between admittime and dischtime, not in the ICU
    "after_discharge",  # in a window widened after dischtime
    "outside_admissions",  # the patient has admissions, none of whose windows holds the study
    "no_admission",  # the patient is in MIMIC-IV but has no admission
    "no_record",  # the patient is not in MIMIC-IV's patients table
    "no_date",  # the study has no StudyDate
)


@dataclass(frozen=True)
class Rule:
    """A window around each admission in which a study counts as taken during it.

    Parameters
    ----------
    name
        What the result calls the rule.
    start
        ``"admittime"``, or ``"edregtime"``: the earlier of ED registration and admission (films taken in the
        ED before the admission count).
    before, after
        Widen the window before its start and after its end.
    within
        End the window this long after its start instead of at ``dischtime`` (e.g. the first 48 hours).
    """

    name: str
    start: str = "admittime"
    before: dt.timedelta = dt.timedelta(0)
    after: dt.timedelta = dt.timedelta(0)
    within: dt.timedelta | None = None

    def __post_init__(self) -> None:
        if self.start not in ("admittime", "edregtime"):
            raise ValueError(f"Rule start must be 'admittime' or 'edregtime', not {self.start!r}")

    def describe(self) -> str:
        """The rule in words, as the result's ``rule`` column states it."""

        def hours(d: dt.timedelta) -> str:
            return f"{d.total_seconds() / 3600:g} h"

        start = "the earlier of edregtime and admittime" if self.start == "edregtime" else "admittime"
        if self.before:
            start = f"{hours(self.before)} before {start}"
        end = f"{hours(self.within)} after the start" if self.within is not None else "dischtime"
        if self.after:
            end = f"{hours(self.after)} after {end}"
        return f"{self.name}: from {start} to {end}"


#: Named rules used in the literature, to compare side by side.
RULES = {
    r.name: r
    for r in (
        Rule("admission"),
        Rule("admission+ed", start="edregtime"),
        Rule("admission-24h", before=dt.timedelta(hours=24)),
        Rule("first-48h", within=dt.timedelta(hours=48)),
    )
}
DEFAULT_RULE = "admission+ed"

_END_OF_DAY = dt.timedelta(days=1) - dt.timedelta(microseconds=1)


def _as_rule(rule: str | Rule) -> Rule:
    if isinstance(rule, Rule):
        return rule
    if rule not in RULES:
        raise KeyError(f"unknown rule {rule!r}; named rules: {', '.join(RULES)} (or pass a Rule)")
    return RULES[rule]


def _study_times(ds: Any) -> pl.LazyFrame:
    """``subject_id, study_id, lo, hi, time_known``: the interval the study was taken in."""
    times = ds.study_times()
    day = pl.col("StudyDate").cast(pl.Datetime("us"))
    exact = pl.col("StudyDate").dt.combine(pl.col("StudyTime"), time_unit="us")
    known = pl.col("StudyTime").is_not_null() & pl.col("StudyDate").is_not_null()
    return times.select(
        "subject_id",
        "study_id",
        pl.when(known).then(exact).otherwise(day).alias("lo"),
        pl.when(known).then(exact).otherwise(day + _END_OF_DAY).alias("hi"),
        known.alias("time_known"),
    )


def _windows(mimic: MimicIV, rule: Rule) -> pl.LazyFrame:
    adm = mimic.admissions()
    names = adm.collect_schema().names()
    ed = pl.col("edregtime") if "edregtime" in names else pl.lit(None, pl.Datetime("us"))
    base = pl.min_horizontal(ed, pl.col("admittime")) if rule.start == "edregtime" else pl.col("admittime")
    end = base + rule.within if rule.within is not None else pl.col("dischtime")
    usable = pl.col("admittime").is_not_null() & pl.col("dischtime").is_not_null()
    usable = usable & (pl.col("dischtime") >= pl.col("admittime"))
    return adm.select(
        "subject_id",
        "hadm_id",
        "admittime",
        "dischtime",
        ed.alias("edregtime"),
        (base - rule.before).alias("w_start"),
        (end + rule.after).alias("w_end"),
        usable.alias("usable"),
    )


def _stays(mimic: MimicIV, name: str, studies: pl.LazyFrame, prefix: str) -> pl.LazyFrame:
    """Per study: the stay of table ``name`` holding it (the latest to start when two do), how many did."""
    schema = {
        "study_id": pl.Int64,
        f"{prefix}_stay_id": pl.Int64,
        f"{prefix}_hadm_id": pl.Int64,
        f"n_{prefix}": pl.UInt32,
    }
    if not mimic.has(name):
        return pl.LazyFrame(schema=schema)
    stays = mimic.table(name).filter(pl.col("outtime") >= pl.col("intime"))
    hits = studies.join(
        stays.select("subject_id", "hadm_id", "stay_id", "intime", "outtime"), on="subject_id"
    ).filter((pl.col("hi") >= pl.col("intime")) & (pl.col("lo") <= pl.col("outtime")))
    return hits.group_by("study_id").agg(
        pl.col("stay_id").sort_by("intime").last().alias(f"{prefix}_stay_id"),
        pl.col("hadm_id").sort_by("intime").last().alias(f"{prefix}_hadm_id"),
        pl.len().alias(f"n_{prefix}"),
    )


def link_studies(ds: Any, mimic: MimicIV, rule: str | Rule = DEFAULT_RULE) -> pl.DataFrame:
    """One row per study of ``ds`` with the MIMIC-IV admission, ICU stay and ED stay it was taken in.

    Parameters
    ----------
    ds
        A :class:`cxrkit.Dataset` (its ``study_times()``: StudyDate and StudyTime from the metadata).
    mimic
        The MIMIC-IV copy (:func:`cxrkit.mimic_iv.open_mimic_iv`).
    rule
        A name of :data:`RULES` or a :class:`Rule`: the window around each admission.

    Returns
    -------
    polars.DataFrame
        Sorted by ``subject_id, study_id``. Columns: ``subject_id, study_id, study_time`` (null without a
        time), ``time_known``; ``hadm_id`` (the matched admission; when several windows hold the study,
        the latest to start before it), ``n_admissions`` (windows holding it), ``ambiguous``;
        ``position`` (:data:`POSITIONS`); ``hours_from_start`` and ``hours_to_end`` (from the window's start
        to the study, from the study to the window's end; for an unmatched study, of the nearest window:
        negative when the study is outside it); ``nearest_hadm_id`` (unmatched studies); ``icu_stay_id``
        (an ICU stay holding the study, whatever the rule), ``ed_stay_id``; ``age_at_study``
        (``anchor_age + year of study - anchor_year``); ``bad_windows`` (the patient has admissions the rule
        could not use); ``rule`` (:meth:`Rule.describe`).

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()
    >>> mimic = ds.mimic_iv()  # the demo's, beside its projects
    >>> linked = link_studies(ds, mimic)
    >>> linked.height == ds.studies().collect().height
    True
    >>> set(linked["position"]) <= set(POSITIONS)
    True
    """
    rule = _as_rule(rule)
    # each is read by several joins below: collected once, as the streaming engine would compute it for each
    studies = _study_times(ds).collect().lazy()
    windows = _windows(mimic, rule).collect().lazy()
    good = windows.filter(pl.col("usable"))
    bad = windows.filter(~pl.col("usable")).group_by("subject_id").agg(pl.len().alias("_bad"))
    pairs = studies.join(good, on="subject_id")
    inside = (pl.col("hi") >= pl.col("w_start")) & (pl.col("lo") <= pl.col("w_end"))
    matched = (
        pairs.filter(inside)
        .sort("study_id", "w_start")
        .group_by("study_id")
        .agg(
            pl.len().alias("n_admissions"),
            # the latest window to start at or before the study, else the first
            pl.struct("hadm_id", "w_start", "w_end", "admittime", "dischtime", "edregtime")
            .filter(pl.col("w_start") <= pl.col("lo"))
            .last()
            .alias("_before"),
            pl.struct("hadm_id", "w_start", "w_end", "admittime", "dischtime", "edregtime")
            .first()
            .alias("_first"),
        )
        .with_columns(pl.coalesce("_before", "_first").alias("_m"))
        .select("study_id", "n_admissions", pl.col("_m").struct.unnest())
        .collect()  # read twice: by the result and to leave the matched studies out of ``nearest``
        .lazy()
    )
    gap = (
        pl.when(pl.col("lo") < pl.col("w_start"))
        .then(pl.col("w_start") - pl.col("lo"))
        .otherwise(pl.col("lo") - pl.col("w_end"))
    )
    nearest = (  # only the studies no window holds use it
        pairs.join(matched, on="study_id", how="anti")
        .with_columns(gap.alias("_gap"))
        .group_by("study_id")
        # the nearest window; of two as near, the lower hadm_id (the same answer on every run)
        .agg(pl.col("hadm_id", "w_start", "w_end").sort_by("_gap", "hadm_id").first())
        .rename({"hadm_id": "nearest_hadm_id", "w_start": "_n_start", "w_end": "_n_end"})
    )
    patients = mimic.patients().select("subject_id", "anchor_age", "anchor_year").unique("subject_id")
    has_adm = windows.select("subject_id").unique().with_columns(pl.lit(True).alias("_has_adm"))
    icu = _stays(mimic, "icustays", studies, "icu")
    ed = _stays(mimic, "edstays", studies, "ed")
    out = (
        studies.join(matched, on="study_id", how="left")
        .join(nearest, on="study_id", how="left")
        .join(patients, on="subject_id", how="left")
        .join(has_adm, on="subject_id", how="left")
        .join(bad, on="subject_id", how="left")
        .join(icu, on="study_id", how="left")
        .join(ed, on="study_id", how="left")
    )
    hours = 3_600_000_000  # microseconds
    is_match = pl.col("hadm_id").is_not_null()
    in_icu = pl.col("icu_stay_id").is_not_null() & (pl.col("icu_hadm_id") == pl.col("hadm_id"))
    position = (
        pl.when(pl.col("lo").is_null())
        .then(pl.lit("no_date"))
        .when(pl.col("anchor_year").is_null())
        .then(pl.lit("no_record"))
        .when(~is_match & pl.col("_has_adm").is_null())
        .then(pl.lit("no_admission"))
        .when(~is_match)
        .then(pl.lit("outside_admissions"))
        .when(pl.col("hi") < pl.col("admittime"))
        .then(
            pl.when(pl.col("edregtime").is_not_null() & (pl.col("hi") >= pl.col("edregtime")))
            .then(pl.lit("ed_before_admission"))
            .otherwise(pl.lit("before_admission"))
        )
        .when(pl.col("lo") > pl.col("dischtime"))
        .then(pl.lit("after_discharge"))
        .when(in_icu)
        .then(pl.lit("icu"))
        .otherwise(pl.lit("admission"))
    )
    start = pl.coalesce("w_start", "_n_start")
    end = pl.coalesce("w_end", "_n_end")
    result = out.select(
        "subject_id",
        "study_id",
        pl.when(pl.col("time_known")).then(pl.col("lo")).alias("study_time"),
        "time_known",
        "hadm_id",
        pl.col("n_admissions").fill_null(0).cast(pl.UInt32),
        (pl.col("n_admissions").fill_null(0) > 1).alias("ambiguous"),
        position.alias("position"),
        ((pl.col("lo") - start).dt.total_microseconds() / hours).alias("hours_from_start"),
        ((end - pl.col("lo")).dt.total_microseconds() / hours).alias("hours_to_end"),
        pl.when(~is_match).then(pl.col("nearest_hadm_id")).alias("nearest_hadm_id"),
        "icu_stay_id",
        (pl.col("n_icu").fill_null(0) > 1).alias("icu_ambiguous"),
        "ed_stay_id",
        (pl.col("anchor_age") + pl.col("lo").dt.year() - pl.col("anchor_year")).alias("age_at_study"),
        pl.col("_bad").fill_null(0).gt(0).alias("bad_windows"),
        pl.lit(rule.describe()).alias("rule"),
    )
    return result.sort("subject_id", "study_id").collect()


def link_summary(linked: pl.DataFrame) -> pl.DataFrame:
    """Counts of one :func:`link_studies` result: studies, matched, ambiguous, unmatched by reason, in the
    ICU, in the ED before admission, with an unknown time; one row, with the rule.

    Examples
    --------
    >>> frame = pl.DataFrame({"position": ["admission", "no_record"], "ambiguous": [False, False],
    ...     "icu_stay_id": [None, None], "time_known": [True, True], "rule": ["r", "r"]})
    >>> link_summary(frame).select("studies", "matched", "no_record").row(0)
    (2, 1, 1)
    """
    pos = pl.col("position")
    matched = pos.is_in(POSITIONS[:5])
    return linked.select(
        pl.col("rule").first(),
        pl.len().alias("studies"),
        matched.sum().alias("matched"),
        (matched & pl.col("ambiguous")).sum().alias("ambiguous"),
        (pos == "outside_admissions").sum().alias("outside_admissions"),
        (pos == "no_admission").sum().alias("no_admission"),
        (pos == "no_record").sum().alias("no_record"),
        (pos == "no_date").sum().alias("no_date"),
        pl.col("icu_stay_id").is_not_null().sum().alias("in_icu_stay"),
        (pos == "ed_before_admission").sum().alias("ed_before_admission"),
        (~pl.col("time_known")).sum().alias("time_unknown"),
    )


def compare_rules(ds: Any, mimic: MimicIV, rules: Iterable[str | Rule] = tuple(RULES)) -> pl.DataFrame:
    """:func:`link_summary` of each rule, one row per rule: how the counts move with the window.

    Examples
    --------
    >>> import cxrkit
    >>> ds = cxrkit.open_dataset()
    >>> mimic = ds.mimic_iv()  # the demo's, beside its projects
    >>> table = compare_rules(ds, mimic, ["admission", "admission+ed"])
    >>> table["matched"][0] <= table["matched"][1]  # the ED window only adds studies
    True
    """
    return pl.concat([link_summary(link_studies(ds, mimic, r)) for r in rules])
