"""The named steps a cohort is built from: each a polars filter over the cohort's image frame.

A :class:`Step` is a value: its ``name`` (``view``, ``split``, ``labels``, ...), a sentence saying what it
keeps and what it excludes, and ``apply(ds, frame)``, which joins in what the step needs (a label table, the
report sections, the files on disk) and filters the frame with a polars expression. Steps are built by the
functions below and applied in order by :class:`cxrkit.cohorts.Cohort`; any of them can be built once and
reused on several cohorts.

The image frame has one row per image: ``subject_id, study_id, dicom_id, ViewPosition, view, view_source,
split, study_date, study_time`` (the study's date and time: its earliest image's ``StudyDate`` and
``StudyTime``).

Examples
--------
>>> import polars as pl
>>> frame = pl.DataFrame({"subject_id": [10000032, 10000032], "study_id": [50414267, 50414267],
...                       "dicom_id": ["a", "b"], "view": ["frontal", "lateral"]})
>>> step = view("frontal")
>>> step.name, step.apply(None, frame)["dicom_id"].to_list()
('view', ['a'])
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from .. import layout, text
from ..errors import CohortError, CxrkitError
from ..reports import SECTION_COLUMNS
from ..tables import FRONTAL_VIEWS, LABEL_COLUMNS, LATERAL_VIEWS, TABLES

if TYPE_CHECKING:  # pragma: no cover
    from ..dataset import Dataset

__all__ = [
    "LABEL_VALUES",
    "SPLITS",
    "UNCERTAIN_POLICIES",
    "VIEW_KINDS",
    "Step",
    "dates",
    "labels",
    "mentions",
    "on_disk",
    "one_per_patient",
    "report",
    "split",
    "view",
    "where",
]

#: What :func:`view` accepts besides ViewPosition values: the kinds of :func:`cxrkit.tables.view_exprs`.
VIEW_KINDS = ("frontal", "lateral", "other")
#: The official split's values (MIMIC-CXR-JPG's ``split`` table, by patient).
SPLITS = ("train", "validate", "test")
#: Label values by name (CheXpert/NegBio tables): ``blank`` is "not mentioned", not negative.
LABEL_VALUES: dict[str, float | None] = {"positive": 1.0, "negative": 0.0, "uncertain": -1.0, "blank": None}
#: What a labels step does with uncertain (-1.0) labels.
UNCERTAIN_POLICIES = ("ignore", "positive", "negative", "exclude")

Apply = Callable[[Any, pl.DataFrame], pl.DataFrame]


@dataclass(frozen=True)
class Step:
    """One named step: what it keeps, what it excludes, and the filter that does it.

    ``apply(ds, frame)`` returns the images of ``frame`` the step keeps (``ds`` is the dataset the cohort
    belongs to, for steps that join a table or the reports in). ``note(kept)`` may add a sentence about what
    was kept (e.g. how many views came from a fallback).
    """

    name: str
    description: str
    excluded: str
    apply: Apply = field(repr=False, compare=False)
    note: Callable[[pl.DataFrame], str] | None = field(default=None, repr=False, compare=False)
    #: A step pairing studies (:func:`cxrkit.cohorts.pairs.prior_step`): ``pairs(ds, frame)`` gives the pairs
    #: it kept, which the cohort keeps for :meth:`~cxrkit.cohorts.Cohort.pairs`.
    pairs: Apply | None = field(default=None, repr=False, compare=False)


def _as_list(value: str | Iterable[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _unknown(kind: str, value: object, known: Sequence[str]) -> CohortError:
    close = difflib.get_close_matches(str(value), list(known), n=1, cutoff=0.5)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return CohortError(f"unknown {kind} {value!r}; known: {', '.join(map(str, known))}.{hint}")


def _require_table(ds: Dataset, name: str, step: str, why: str) -> None:
    if ds is not None and not ds.has(name):
        spec = TABLES[name]
        raise CohortError(
            f"the {step} step needs {spec.files[0]} ({why}), which this copy ({ds.location}) lacks; it "
            f"ships with {spec.source}"
        )


# --- the steps ------------------------------------------------------------------------------------------


def view(kinds: str | Iterable[str] = "frontal", *, fallback: bool = True, per: str = "image") -> Step:
    """Keep images of a view: a kind (``frontal``, ``lateral``, ``other``) or ViewPosition values (``PA``,
    ``AP``, ``LATERAL``, ``LL``, ...).

    Kinds use the transparent fallback of :func:`cxrkit.tables.view_exprs` (ViewPosition, else the coded
    view, else the procedure; ~15.8k MIMIC-CXR images have no ViewPosition); ``fallback=False`` trusts
    ViewPosition alone. ``per="study"`` keeps every image of the studies that have such an image.

    Examples
    --------
    >>> view(["PA", "AP"]).description
    'images with ViewPosition PA or AP'
    >>> view("front")
    Traceback (most recent call last):
    ...
    cxrkit.errors.CohortError: unknown view 'front'; known: frontal, lateral, other, PA, AP, AP AXIAL, \
PA LLD, AP LLD, AP RLD, PA RLD, LATERAL, LL, XTABLE LATERAL, RL, LAO, RAO, LPO, SWIMMERS. \
Did you mean 'frontal'?
    """
    wanted = _as_list(kinds)
    positions = (*FRONTAL_VIEWS, *LATERAL_VIEWS, "LAO", "RAO", "LPO", "SWIMMERS")
    if per not in ("image", "study"):
        raise CohortError(f"per={per!r}: choose 'image' or 'study'")
    for w in wanted:
        if w not in VIEW_KINDS and w.upper() not in positions:
            raise _unknown("view", w, (*VIEW_KINDS, *positions))
    by_kind = [w for w in wanted if w in VIEW_KINDS]
    by_position = [w.upper() for w in wanted if w not in VIEW_KINDS]
    match = pl.lit(False)
    if by_kind:
        kind = pl.col("view").is_in(by_kind)
        match = match | (kind if fallback else kind & (pl.col("view_source") == "ViewPosition"))
    if by_position:
        match = match | pl.col("ViewPosition").str.strip_chars().str.to_uppercase().is_in(by_position)
    match = match.fill_null(False)
    what = " or ".join(by_kind + by_position)
    if by_kind:
        how = "ViewPosition, else coded view, else procedure" if fallback else "ViewPosition only"
        description = f"{what} images ({how})"
    else:
        description = f"images with ViewPosition {what}"
    if per == "study":
        match = match.any().over("study_id")
        description = "studies with " + description.removeprefix("images with ").replace(" images", " image")

    def apply(ds, frame):
        _require_table(ds, "metadata", "view", "ViewPosition and the coded view")
        return frame.filter(match)

    def note(kept):
        if not by_kind or "view_source" not in kept.columns:
            return ""
        fell_back = kept.filter(pl.col("view_source").is_in(["ViewCodeSequence", "procedure"])).height
        return f"{fell_back} kept image(s) have no ViewPosition: view from the coded view or procedure"

    return Step("view", description, f"not {what}" + (" or view unknown" if by_kind else ""), apply, note)


def split(names: str | Iterable[str] = "train") -> Step:
    """Keep images of the official split (``train``, ``validate``, ``test``; by patient, from
    ``mimic-cxr-2.0.0-split.csv.gz``), never a random one.

    Examples
    --------
    >>> split("test").description
    'official split: test'
    >>> split("val")
    Traceback (most recent call last):
    ...
    cxrkit.errors.CohortError: unknown split 'val'; known: train, validate, test. Did you mean 'validate'?
    """
    wanted = _as_list(names)
    for w in wanted:
        if w not in SPLITS:
            raise _unknown("split", w, SPLITS)

    def apply(ds, frame):
        _require_table(ds, "split", "split", "the official train/validate/test split")
        return frame.filter(pl.col("split").is_in(wanted).fill_null(False))

    return Step("split", f"official split: {' or '.join(wanted)}", "other split or none", apply)


def _value_set(value: object) -> tuple[list[float], bool]:
    """Label values (floats) and whether blank is wanted, from a name, a float, or a list of them."""
    values = value if isinstance(value, (list, tuple, set, frozenset)) else [value]
    floats: list[float] = []
    blank = False
    for v in values:
        if isinstance(v, str):
            if v == "mentioned":
                floats += [1.0, 0.0, -1.0]
                continue
            if v not in LABEL_VALUES:
                raise _unknown("label value", v, (*LABEL_VALUES, "mentioned"))
            v = LABEL_VALUES[v]
        if v is None:
            blank = True
        elif float(v) in (1.0, 0.0, -1.0):
            floats.append(float(v))
        else:
            raise _unknown("label value", v, ("1.0", "0.0", "-1.0", *LABEL_VALUES))
    return floats, blank


def _label_filter(
    categories: str | Iterable[str] | Mapping[str, object],
    value: object,
    uncertain: str,
    match: str,
    step: str,
) -> tuple[pl.Expr, list[str], str]:
    """The filter over label-valued columns (1.0 / 0.0 / -1.0 / null), the categories, and its words."""
    if uncertain not in UNCERTAIN_POLICIES:
        raise _unknown("uncertain policy", uncertain, UNCERTAIN_POLICIES)
    if match not in ("all", "any"):
        raise _unknown("match", match, ("all", "any"))
    wanted = (
        dict(categories) if isinstance(categories, Mapping) else {c: value for c in _as_list(categories)}  # type: ignore[arg-type]
    )
    if not wanted:
        raise CohortError(f"{step}() needs at least one category")
    for c in wanted:
        if c not in LABEL_COLUMNS:
            raise _unknown("label category", c, LABEL_COLUMNS)
    conditions, certain, parts = [], [], []
    for c, v in wanted.items():
        floats, blank = _value_set(v)
        col = pl.col(c)
        if uncertain == "positive":
            col = pl.when(col == -1.0).then(1.0).otherwise(col)
        elif uncertain == "negative":
            col = pl.when(col == -1.0).then(0.0).otherwise(col)
        conditions.append(col.is_in(floats).fill_null(False) | (col.is_null() if blank else pl.lit(False)))
        certain.append((pl.col(c) != -1.0).fill_null(True))
        parts.append(f"{c} {v}" if isinstance(v, str) else f"{c} {v!r}")
    keep = pl.all_horizontal(conditions) if match == "all" else pl.any_horizontal(conditions)
    if uncertain == "exclude":
        keep = keep & pl.all_horizontal(certain)
    policy = {"ignore": "", "exclude": " (uncertain excluded)"}.get(uncertain, f" (uncertain as {uncertain})")
    which = "any of " if match == "any" and len(parts) > 1 else ""
    return keep, list(wanted), f"{which}{', '.join(parts)}{policy}"


def labels(
    categories: str | Iterable[str] | Mapping[str, object],
    value: object = "positive",
    *,
    table: str = "chexpert",
    uncertain: str = "ignore",
    match: str = "all",
) -> Step:
    """Keep studies by their labels: every category given must have the value asked (or any one, with
    ``match="any"``).

    Parameters
    ----------
    categories
        A category (``"Pleural Effusion"``), several, or a mapping category -> value for different values.
    value
        ``"positive"`` (1.0), ``"negative"`` (0.0), ``"uncertain"`` (-1.0), ``"blank"`` (not mentioned, which
        is not negative), ``"mentioned"``, a float, or a list of these.
    table
        ``"chexpert"`` or ``"negbio"``.
    uncertain
        What -1.0 means before comparing: ``"ignore"`` (stays uncertain), ``"positive"`` (U-ones),
        ``"negative"`` (U-zeros), ``"exclude"`` (studies uncertain for any of the categories are dropped).
    match
        ``"all"`` (every category has its value) or ``"any"`` (at least one has: "effusion or edema").

    Studies with no row in the table (8 in MIMIC-CXR have neither findings nor impression) are excluded.

    Examples
    --------
    >>> labels("Pleural Effusion", uncertain="positive").description
    'chexpert: Pleural Effusion positive (uncertain as positive)'
    >>> labels(["Edema", "Pleural Effusion"], match="any").description
    'chexpert: any of Edema positive, Pleural Effusion positive'
    >>> labels("Effusion")
    Traceback (most recent call last):
    ...
    cxrkit.errors.CohortError: unknown label category 'Effusion'; known: Atelectasis, Cardiomegaly, \
Consolidation, Edema, Enlarged Cardiomediastinum, Fracture, Lung Lesion, Lung Opacity, No Finding, \
Pleural Effusion, Pleural Other, Pneumonia, Pneumothorax, Support Devices. Did you mean 'Pleural Effusion'?
    """
    if table not in ("chexpert", "negbio"):
        raise _unknown("label table", table, ("chexpert", "negbio"))
    keep, wanted, said = _label_filter(categories, value, uncertain, match, "labels")
    description = f"{table}: {said}"

    def apply(ds, frame):
        _require_table(ds, table, "labels", "the per-study labels")
        found = ds.table(table).select("study_id", *wanted).filter(keep).select("study_id").unique()
        return frame.join(found.collect(), on="study_id", how="semi")

    return Step("labels", description, "other label values or no label row", apply)


def _phrase(word: str) -> str:
    return r"(?i)\b" + r"\s+".join(re.escape(w) for w in word.split()) + r"\b"


def report(
    words: str | Iterable[str] = (),
    *,
    sections: str | Iterable[str] = (),
    section: str | None = None,
    exclude_words: str | Iterable[str] = (),
) -> Step:
    """Keep studies by their report: every word or phrase of ``words`` present (whole words, any case, across
    line breaks), none of ``exclude_words``, and every section of ``sections`` present and non-empty.

    Words are looked for in ``section`` (``"impression"``, ``"findings"``, ... see
    :data:`cxrkit.reports.SECTION_COLUMNS`) or, by default, the whole report. Studies without a report are
    excluded. A copy without reports (MIMIC-CXR-JPG alone) raises :class:`~cxrkit.errors.CohortError`.

    Examples
    --------
    >>> report("effusion", sections="impression").description
    "report has 'effusion'; sections present: impression"
    """
    has, lacks, needed = _as_list(words), _as_list(exclude_words), _as_list(sections)
    for name in needed + ([section] if section else []):
        if name not in SECTION_COLUMNS:
            raise _unknown("section", name, SECTION_COLUMNS)
    if not (has or lacks or needed):
        raise CohortError("report() needs words, exclude_words or sections")
    column = section or "text"
    conds = [pl.col(column).str.contains(_phrase(w)).fill_null(False) for w in has]
    conds += [~pl.col(column).str.contains(_phrase(w)).fill_null(False) for w in lacks]
    conds += [pl.col(s).str.strip_chars().str.len_chars().fill_null(0) > 0 for s in needed]
    where_ = f" in the {section}" if section else ""
    bits = [f"report has {', '.join(map(repr, has))}{where_}"] if has else []
    bits += [f"report lacks {', '.join(map(repr, lacks))}{where_}"] if lacks else []
    bits += [f"sections present: {', '.join(needed)}"] if needed else []

    def apply(ds, frame):
        try:
            texts = ds.sections(progress=False)
            if column == "text":
                texts = texts.join(ds.reports(progress=False).select("study_id", "text"), on="study_id")
        except CxrkitError as exc:  # the copy has no reports: say so as a cohort error
            raise CohortError(f"the report step needs the reports: {exc}") from exc
        found = texts.filter(pl.all_horizontal(conds)).select("study_id").unique().collect()
        return frame.join(found, on="study_id", how="semi")

    return Step("report", "; ".join(bits), "report does not match, or no report", apply)


def mentions(
    categories: str | Iterable[str] | Mapping[str, object],
    value: object = "positive",
    *,
    section: str | None = None,
    uncertain: str = "ignore",
    match: str = "all",
) -> Step:
    """Keep studies by what their report says about a finding, read by the kit's rule-based reader
    (:func:`cxrkit.text.mentions`) rather than by the CheXpert or NegBio tables.

    Use it to build a cohort the labellers may have got wrong, or to check one against the other: the
    arguments are those of :func:`labels` (values 1.0 positive, 0.0 negated, -1.0 uncertain, blank not
    mentioned). The text read is ``section`` (``"impression"``, ``"findings"``...) or, by default, the
    findings then the impression (:func:`cxrkit.text.mention_text`: the indication's questions are left
    out). Studies without a report are excluded.

    Examples
    --------
    >>> mentions("Pneumothorax", "negative", section="impression").description
    'report (impression) says: Pneumothorax negative'
    """
    keep, wanted, said = _label_filter(categories, value, uncertain, match, "mentions")
    if section is not None and section not in SECTION_COLUMNS:
        raise _unknown("section", section, SECTION_COLUMNS)
    where_ = section or "findings + impression"

    def apply(ds, frame):
        try:
            sections = ds.sections(progress=False)
        except CxrkitError as exc:  # the copy has no reports: say so as a cohort error
            raise CohortError(f"the mentions step needs the reports: {exc}") from exc
        texts = sections.select("study_id", (pl.col(section) if section else text.mention_text()).alias("t"))
        said_ = text.mentions(
            texts.join(frame.lazy().select("study_id").unique(), on="study_id", how="semi"),
            "t",
            categories=wanted,
            id_cols=("study_id",),
        )
        found = said_.filter(keep).select("study_id")
        return frame.join(found, on="study_id", how="semi")

    return Step(
        "mentions", f"report ({where_}) says: {said}", "the report says otherwise, or no report", apply
    )


def _as_date(value: object, what: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value.date() if isinstance(value, dt.datetime) else value
    if isinstance(value, int) and 1000 <= value <= 9999:
        return dt.date(value, 1, 1) if what == "start" else dt.date(value, 12, 31)
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise CohortError(
            f"{what}={value!r} is not a date: give a datetime.date, 'YYYY-MM-DD' or a year"
        ) from None


def dates(start: object = None, end: object = None) -> Step:
    """Keep studies dated from ``start`` to ``end`` (inclusive; dates, ``"YYYY-MM-DD"`` or years).

    MIMIC-CXR dates are shifted into 2100-2200, per patient, consistently: intervals within a patient are
    real, calendar dates are not (a season or a year means nothing across patients). Studies without a date
    are excluded.

    Examples
    --------
    >>> dates(2150, "2160-06-30").description
    'study date from 2150-01-01 to 2160-06-30'
    """
    lo, hi = _as_date(start, "start"), _as_date(end, "end")
    if lo and hi and lo > hi:
        raise CohortError(f"dates: start {lo} is after end {hi}")
    cond = pl.col("study_date").is_not_null()
    if lo:
        cond = cond & (pl.col("study_date") >= lo)
    if hi:
        cond = cond & (pl.col("study_date") <= hi)
    span = f"from {lo}" if lo else ""
    span += (" " if lo and hi else "") + (f"to {hi}" if hi else "")
    description = f"study date {span}" if span else "study date known"

    def apply(ds, frame):
        _require_table(ds, "metadata", "dates", "StudyDate and StudyTime")
        return frame.filter(cond)

    return Step("dates", description, "outside the dates or undated", apply)


def random_key(column: str, seed: int) -> pl.Expr:
    """A reproducible pseudo-random Int64 key of an integer id column: the same ids and seed give the same
    order on every machine and polars version (a multiplicative hash, not polars' own ``hash``).

    Examples
    --------
    >>> ids = pl.DataFrame({"study_id": [50414267, 50414268]})
    >>> ids.select(random_key("study_id", 1)).to_series().to_list()
    [1297239564, 3951675325]
    """
    mixed = (pl.col(column).cast(pl.Int64) + seed * 1_000_003) % 4_294_967_291
    return ((mixed * 2_654_435_761) % 4_294_967_291).alias("_key")


def _dicom_key(seed: int) -> pl.Expr:
    head = pl.col("dicom_id").str.slice(0, 7).str.to_integer(base=16, strict=False).fill_null(0)
    return ((head + seed * 1_000_003) % 4_294_967_291 * 2_654_435_761) % 4_294_967_291


def one_per_patient(level: str = "study", pick: str = "first", *, seed: int = 0) -> Step:
    """Keep one study (with all its images) or one image per patient: the first or last by true time
    (StudyDate, then StudyTime; never by id), or a random one (reproducible with ``seed``).

    Studies without a date come after dated ones for ``first`` and ``last`` alike. Studies at the same date
    and time, and images of one study (they have no time order), are taken in a fixed arbitrary order.

    Examples
    --------
    >>> one_per_patient("image", "random", seed=3).description
    'one image per patient: random (seed 3)'
    """
    if level not in ("study", "image"):
        raise CohortError(f"level={level!r}: choose 'study' or 'image'")
    if pick not in ("first", "last", "random"):
        raise CohortError(f"pick={pick!r}: choose 'first', 'last' or 'random'")

    def apply(ds, frame):
        studies = frame.select("subject_id", "study_id", "study_date", "study_time").unique("study_id")
        if pick == "random":
            chosen = studies.with_columns(random_key("study_id", seed)).sort("subject_id", "_key")
        else:
            down = pick == "last"
            chosen = studies.sort(
                ["subject_id", "study_date", "study_time", "study_id"],
                descending=[False, down, down, False],
                nulls_last=True,
            )
        chosen = chosen.unique("subject_id", keep="first", maintain_order=True).select("study_id")
        if level == "image" and pick == "random":
            keyed = frame.with_columns(_dicom_key(seed).alias("_key"))
            return keyed.sort("subject_id", "_key").unique("subject_id", keep="first").drop("_key")
        kept = frame.join(chosen, on="study_id", how="semi")
        if level == "image":
            rank = pl.col("view").replace_strict(
                {"frontal": 0, "lateral": 1}, default=2, return_dtype=pl.Int8
            )
            kept = kept.sort(rank, "dicom_id").unique("subject_id", keep="first")
        return kept

    seeded = f" (seed {seed})" if pick == "random" else ""
    by = "" if pick == "random" else " by study date and time"
    return Step(
        "one per patient",
        f"one {level} per patient: {pick}{by}{seeded}",
        f"other {'studies' if level == 'study' else 'images'} of the patient",
        apply,
    )


def on_disk(project: str | None = None) -> Step:
    """Keep images whose file is in this copy: of the project shown (default), ``"mimic-cxr"`` (DICOM),
    ``"mimic-cxr-jpg"`` (JPG) or ``"both"``. On a remote copy, what has been fetched so far.

    Examples
    --------
    >>> on_disk("both").description
    'image file present: mimic-cxr and mimic-cxr-jpg'
    """
    known = (*layout.PROJECTS, "both")
    if project is not None and project not in known:
        raise _unknown("project", project, known)
    wanted = list(layout.PROJECTS) if project == "both" else [project] if project else []

    def apply(ds, frame):
        sources = [ds.source] if not wanted else []
        for key in wanted:
            if key not in ds.sources:
                raise CohortError(f"this copy has no {key} project (it has {', '.join(ds.sources)})")
            sources.append(ds.sources[key])
        for src in sources:
            listing = ds.listing if src is ds.source else src.listing(progress=False)
            present = listing.filter(pl.col("kind") == "image").select("dicom_id").unique()
            frame = frame.join(present, on="dicom_id", how="semi")
        return frame

    what = " and ".join(wanted) if wanted else "the project shown"
    return Step("on disk", f"image file present: {what}", "file not in this copy", apply)


def where(expr: pl.Expr, name: str = "where", description: str | None = None) -> Step:
    """A step of your own: keep the images for which ``expr`` (a boolean polars expression over the image
    frame's columns; window expressions such as ``.over("study_id")`` work) is true.

    Examples
    --------
    >>> where(pl.col("ViewPosition") == "PA", "PA only", "ViewPosition is PA").description
    'ViewPosition is PA'
    """

    def apply(ds, frame):
        try:
            return frame.filter(expr)
        except (pl.exceptions.ColumnNotFoundError, pl.exceptions.InvalidOperationError) as exc:
            first = str(exc).strip().splitlines()[0]
            raise CohortError(
                f"the {name!r} step's expression does not fit the image frame ({first}); its columns are "
                f"{', '.join(frame.columns)}"
            ) from exc

    return Step(name, description or str(expr), "expression false", apply)


#: Where a study was taken, for :func:`hospital`: which linked studies each choice keeps.
HOSPITAL_PLACES = ("admission", "icu", "ed", "outside")


def hospital(
    mimic: Any,
    *,
    rule: Any = "admission+ed",
    during: str | None = "admission",
    min_age: float | None = None,
    max_age: float | None = None,
    first_of_admission: bool = False,
) -> Step:
    """Keep studies by what MIMIC-IV says about them (:func:`cxrkit.mimic_iv.link_studies` under ``rule``).

    Parameters
    ----------
    mimic
        The MIMIC-IV copy (``ds.mimic_iv()``).
    rule
        The linkage rule (a name of :data:`cxrkit.mimic_iv.RULES` or a :class:`cxrkit.mimic_iv.Rule`); the
        step's description says which, since the counts depend on it.
    during
        ``"admission"`` (taken during a matched admission, ED films before it included when the rule says so),
        ``"icu"`` (during an ICU stay), ``"ed"`` (in the emergency department), ``"outside"`` (no admission
        matched), or ``None`` (no condition on the place).
    min_age, max_age
        Age at the study (``anchor_age`` + year of study - ``anchor_year``), inclusive; studies whose patient
        MIMIC-IV does not know have no age and are excluded by an age condition.
    first_of_admission
        Keep only the first study (by StudyDate + StudyTime) of each matched admission.

    Examples
    --------
    >>> hospital(object(), during="icu", min_age=18).description
    'taken during an ICU stay, age 18+ at the study (MIMIC-IV, rule admission+ed)'
    """
    from ..mimic_iv import POSITIONS, link_studies

    if during is not None and during not in HOSPITAL_PLACES:
        raise _unknown("place", during, HOSPITAL_PLACES)
    conds = {
        "admission": pl.col("position").is_in(POSITIONS[:5]),
        "icu": pl.col("icu_stay_id").is_not_null(),
        "ed": pl.col("ed_stay_id").is_not_null() | (pl.col("position") == "ed_before_admission"),
        "outside": ~pl.col("position").is_in(POSITIONS[:5]),
        None: pl.lit(True),
    }
    cond = conds[during]
    words = {
        "admission": "taken during a hospital admission",
        "icu": "taken during an ICU stay",
        "ed": "taken in the emergency department",
        "outside": "taken outside any admission",
        None: "",
    }
    parts = [words[during]] if during else []
    if min_age is not None or max_age is not None:
        age = pl.col("age_at_study")
        if min_age is not None:
            cond = cond & (age >= min_age)
        if max_age is not None:
            cond = cond & (age <= max_age)
        span = f"{min_age:g}+" if max_age is None else f"{min_age or 0:g}-{max_age:g}"
        parts.append(f"age {span} at the study")
    if first_of_admission:
        parts.append("first study of each admission")
    name = rule if isinstance(rule, str) else rule.name
    description = f"{', '.join(parts) or 'linked to MIMIC-IV'} (MIMIC-IV, rule {name})"

    def apply(ds, frame):
        linked = link_studies(ds, mimic, rule).join(frame.select("study_id").unique(), on="study_id")
        kept = linked.filter(cond.fill_null(False))
        if first_of_admission:
            kept = (
                kept.filter(pl.col("hadm_id").is_not_null())
                .sort("hadm_id", "study_time", "study_id", nulls_last=True)
                .unique("hadm_id", keep="first", maintain_order=True)
            )
        return frame.join(kept.select("study_id"), on="study_id", how="semi")

    return Step("hospital", description, "not matching what MIMIC-IV says", apply)
