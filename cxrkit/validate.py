"""Checking a copy: each check a small function returning a frame of findings; :func:`validate` runs them all.

A finding is one row of :data:`FINDING_SCHEMA`: ``check`` (what was checked), ``severity`` (``error``:
something is wrong or missing; ``warning``: unexpected but usable; ``info``: worth knowing, e.g. a partial
download), the ids and path involved, and a ``detail`` sentence. A clean copy gives an empty frame.

A partial download is normal: when a whole ``files/pNN`` group (or a patient folder) is absent, or the tree
holds no images at all (tables and reports only) or no reports at all, one row summarises it instead of one
row per missing file.

Examples
--------
>>> import cxrkit
>>> findings = cxrkit.open_dataset().validate()
>>> findings.height  # the demo is clean
0
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import polars as pl

from . import layout, tables
from .errors import TableError
from .storage import read_sha256sums, verify_checksums

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset

FINDING_SCHEMA = {
    "check": pl.String,
    "severity": pl.String,
    "subject_id": pl.Int64,
    "study_id": pl.Int64,
    "dicom_id": pl.String,
    "path": pl.String,
    "detail": pl.String,
}
SEVERITIES = ("error", "warning", "info")


def empty() -> pl.DataFrame:
    """A findings frame with no rows."""
    return pl.DataFrame(schema=FINDING_SCHEMA)


def finding(check: str, severity: str, detail: pl.Expr | str, **ids: pl.Expr | object) -> list[pl.Expr]:
    """Expressions that turn the rows of a frame into findings (missing id columns become nulls)."""
    exprs = [pl.lit(check).alias("check"), pl.lit(severity).alias("severity")]
    for col, dtype in FINDING_SCHEMA.items():
        if col in ("check", "severity", "detail"):
            continue
        value = ids.get(col)
        expr = value if isinstance(value, pl.Expr) else pl.lit(value, dtype)
        exprs.append(expr.cast(dtype).alias(col))
    text = detail if isinstance(detail, pl.Expr) else pl.lit(detail)
    # a row with missing values (too few fields) must still say something: never a finding without a detail
    fallback = pl.lit(f"{check}: a row with missing values (see its ids, and the table's line)")
    exprs.append(text.cast(pl.String).fill_null(fallback).alias("detail"))
    return exprs


def _as_findings(df: pl.DataFrame, check: str, severity: str, detail: pl.Expr | str, **ids) -> pl.DataFrame:
    if df.height == 0:
        return empty()
    defaults = {c: pl.col(c) for c in ("subject_id", "study_id", "dicom_id", "path") if c in df.columns}
    return df.select(finding(check, severity, detail, **{**defaults, **ids}))


def _id_or_null(col: str) -> pl.Expr:
    """A raw string id column as Int64 where it is well formed, else null."""
    return pl.when(pl.col(col).str.contains(tables.ID_COLUMNS[col])).then(
        pl.col(col).cast(pl.Int64, strict=False)
    )


# --- checks on one table ----------------------------------------------------------------------------


def check_ids(raw: pl.DataFrame, table: str) -> pl.DataFrame:
    """Malformed ids in a table read as strings (``tables.scan_table(..., raw=True)``)."""
    out = [empty()]
    for col, pattern in tables.ID_COLUMNS.items():
        if col not in raw.columns:
            continue
        bad = raw.with_row_index("row", offset=2).filter(
            pl.col(col).is_null() | ~pl.col(col).str.contains(pattern)
        )
        what = {
            "subject_id": "8 digits starting with 1",
            "study_id": "8 digits starting with 5",
            "dicom_id": "40 lower-case hex digits in 5 dash-separated groups",
        }[col]
        detail = pl.format(
            f"{table} line {{}}: {col} {{}} is not {what}", pl.col("row"), pl.col(col).fill_null("(empty)")
        )
        ids = {
            c: (_id_or_null(c) if c != "dicom_id" else pl.col(c))
            for c in tables.ID_COLUMNS
            if c in raw.columns
        }
        ids["path"] = pl.col("path") if "path" in raw.columns else None
        out.append(_as_findings(bad, "malformed_id", "error", detail, **ids))
    return pl.concat(out)


def check_paths(typed: pl.DataFrame, table: str) -> pl.DataFrame:
    """Rows whose ``path`` disagrees with their ids (records: the image path; studies: the report path)."""
    if "path" not in typed.columns:
        return empty()
    if table == "records":
        expected = layout.image_path_expr(ext=".dcm").alias("expected")
        # the list names .dcm files, a derived listing the file as found: compare without the extension
        got = pl.col("path").str.replace(r"(\.dcm\.gz|\.dcm|\.jpg)$", "")
        want = pl.col("expected").str.replace(r"\.dcm$", "")
    else:
        expected = layout.report_path_expr().alias("expected")
        got, want = pl.col("path"), pl.col("expected")
    bad = typed.with_columns(expected).filter(got != want)
    detail = pl.format(
        f"{table}: path {{}} does not match its ids (expected {{}})", pl.col("path"), pl.col("expected")
    )
    return _as_findings(bad, "path_mismatch", "error", detail)


def check_duplicates(typed: pl.DataFrame, table: str, key: str) -> pl.DataFrame:
    """Repeated rows, and repeated keys (a ``dicom_id`` or ``study_id`` listed more than once)."""
    dup_rows = typed.filter(typed.is_duplicated())
    exact = _as_findings(
        dup_rows.unique(maintain_order=True),
        "duplicate_row",
        "warning",
        f"{table}: the same row appears more than once",
    )
    keys = typed.unique(maintain_order=True).filter(pl.col(key).is_duplicated())
    conflicting = _as_findings(
        keys,
        "duplicate_id",
        "error",
        pl.format(f"{table}: {key} {{}} appears with different values", pl.col(key)),
    )
    return pl.concat([exact, conflicting])


# --- checks across tables and the disk ----------------------------------------------------------------


def check_links(records: pl.DataFrame, studies: pl.DataFrame) -> pl.DataFrame:
    """Records whose study is not in the study list, studies without records, studies under two patients."""
    no_study = records.join(studies.select("study_id"), on="study_id", how="anti").unique("study_id")
    no_records = studies.join(records.select("study_id"), on="study_id", how="anti")
    both = pl.concat([records.select("subject_id", "study_id"), studies.select("subject_id", "study_id")])
    two = both.unique().filter(pl.col("study_id").is_duplicated()).sort("study_id", "subject_id")
    return pl.concat(
        [
            _as_findings(
                no_study.drop("dicom_id", "path"),
                "record_without_study",
                "error",
                pl.format(
                    "study s{} has images in the record list but is not in the study list", pl.col("study_id")
                ),
            ),
            _as_findings(
                no_records.drop("path"),
                "study_without_records",
                "warning",
                pl.format(
                    "study s{} is in the study list but has no images in the record list", pl.col("study_id")
                ),
            ),
            _as_findings(
                two,
                "study_under_two_patients",
                "error",
                pl.format(
                    "study s{} is filed under more than one patient (here p{})",
                    pl.col("study_id"),
                    pl.col("subject_id"),
                ),
            ),
        ]
    )


def check_files(
    records: pl.DataFrame,
    studies: pl.DataFrame,
    listing: pl.DataFrame,
    *,
    expect_reports: bool,
    reports_zip: bool = False,
) -> pl.DataFrame:
    """Listed files missing on disk (summarised per absent ``pNN`` group or patient folder, or in one row when
    the tree holds no images or no reports at all), files on disk that no list mentions, studies without a
    report, reports without a study. ``reports_zip``: the copy has ``mimic-cxr-reports.zip`` (said in the row
    about a tree without reports)."""
    out = [empty()]
    if listing.height == 0:
        return _as_findings(
            pl.DataFrame({"x": [0]}),
            "no_files_tree",
            "info",
            "this copy has no files/ folder: tables only, no images or reports on disk",
        )
    groups_present = set(listing["path"].str.split("/").list.get(1, null_on_oob=True).drop_nulls().to_list())
    subjects_present = set(listing["subject_id"].drop_nulls().to_list())

    def locate(df: pl.DataFrame) -> pl.DataFrame:
        return df.with_columns(
            (pl.lit("p") + pl.col("subject_id").cast(pl.String).str.slice(0, 2)).alias("group")
        ).with_columns(
            pl.col("group").is_in(list(groups_present)).alias("group_present"),
            pl.col("subject_id").is_in(list(subjects_present)).alias("subject_present"),
        )

    disk_images = listing.filter(pl.col("kind") == "image")
    missing = locate(records.join(disk_images.select("dicom_id"), on="dicom_id", how="anti"))
    expected_reports = studies.with_columns(layout.report_path_expr())
    disk_reports = listing.filter(pl.col("kind") == "report")
    missing_reports = locate(
        expected_reports.join(disk_reports.select("study_id"), on="study_id", how="anti")
    )
    if not expect_reports:
        missing_reports = missing_reports.clear()
    # a whole kind of file absent (a tables-and-reports copy, images without their .txt reports): one row, not
    # one error per listed file
    if disk_images.height == 0 and missing.height:
        out.append(
            _as_findings(
                pl.DataFrame({"path": [layout.FILES_DIR]}),
                "no_images_on_disk",
                "info",
                f"files/ holds no image files: the {missing.height:,} listed images are not "
                "downloaded (the images are a separate, large part of the download)",
            )
        )
        missing = missing.clear()
    if disk_reports.height == 0 and missing_reports.height:
        where = (
            "they are read from mimic-cxr-reports.zip"
            if reports_zip
            else "they ship with MIMIC-CXR, in files/ and in mimic-cxr-reports.zip"
        )
        out.append(
            _as_findings(
                pl.DataFrame({"path": [layout.FILES_DIR]}),
                "no_reports_on_disk",
                "info",
                f"files/ holds no report files for the {missing_reports.height:,} listed studies ({where})",
            )
        )
        missing_reports = missing_reports.clear()

    # whole groups absent: one row per group
    absent_groups = (
        pl.concat(
            [
                missing.select("group", "group_present", "subject_id", "study_id"),
                missing_reports.select("group", "group_present", "subject_id", "study_id"),
            ]
        )
        .filter(~pl.col("group_present"))
        .group_by("group")
        .agg(
            pl.col("subject_id").n_unique().alias("patients"), pl.col("study_id").n_unique().alias("studies")
        )
        .sort("group")
    )
    img_counts = missing.filter(~pl.col("group_present")).group_by("group").agg(pl.len().alias("images"))
    absent_groups = absent_groups.join(img_counts, on="group", how="left").with_columns(
        pl.col("images").fill_null(0)
    )
    out.append(
        _as_findings(
            absent_groups.with_columns((pl.lit("files/") + pl.col("group")).alias("path")),
            "group_not_downloaded",
            "info",
            pl.format(
                "files/{} is absent: {} patients, {} studies, {} images listed but not downloaded",
                pl.col("group"),
                pl.col("patients"),
                pl.col("studies"),
                pl.col("images"),
            ),
        )
    )
    # patient folders absent inside present groups: one row per patient
    absent_subjects = (
        pl.concat(
            [
                missing.select("subject_id", "study_id", "group_present", "subject_present"),
                missing_reports.select("subject_id", "study_id", "group_present", "subject_present"),
            ]
        )
        .filter(pl.col("group_present") & ~pl.col("subject_present"))
        .group_by("subject_id")
        .agg(pl.col("study_id").n_unique().alias("studies"))
        .sort("subject_id")
    )
    out.append(
        _as_findings(
            absent_subjects.with_columns(layout.subject_dir_expr().alias("path")),
            "patient_not_downloaded",
            "info",
            pl.format(
                "patient folder p{} is absent ({} studies listed)", pl.col("subject_id"), pl.col("studies")
            ),
        )
    )
    # single files missing where their patient folder is present
    out.append(
        _as_findings(
            missing.filter(pl.col("subject_present")).sort("subject_id", "study_id", "dicom_id"),
            "missing_image",
            "error",
            pl.format("listed image {} is not on disk", pl.col("path")),
        )
    )
    out.append(
        _as_findings(
            missing_reports.filter(pl.col("subject_present")).sort("subject_id", "study_id"),
            "missing_report",
            "error",
            pl.format("report {} of a listed study is not on disk", pl.col("path")),
        )
    )
    # on disk but not listed
    unlisted = disk_images.join(records.select("dicom_id"), on="dicom_id", how="anti").sort("path")
    out.append(
        _as_findings(
            unlisted.drop("ext", "kind"),
            "unlisted_image",
            "warning",
            pl.format("{} is on disk but not in the record list", pl.col("path")),
        )
    )
    orphan_reports = disk_reports.join(studies.select("study_id"), on="study_id", how="anti").sort("path")
    out.append(
        _as_findings(
            orphan_reports.drop("dicom_id", "ext", "kind"),
            "report_without_study",
            "warning",
            pl.format("{} is on disk but its study is not in the study list", pl.col("path")),
        )
    )
    other = listing.filter(pl.col("kind") == "other").sort("path")
    out.append(
        _as_findings(
            other.select("path"),
            "unexpected_file",
            "warning",
            pl.format("{} does not follow the files/pNN/pSUBJECT/sSTUDY layout", pl.col("path")),
        )
    )
    return pl.concat(out)


def check_remote(ds: Dataset, records: pl.DataFrame) -> pl.DataFrame:
    """A remote copy: its files are not walked (that would mean one request per file);
    one info row says so."""
    fetched = int((ds.listing["kind"] == "image").sum())
    return _as_findings(
        pl.DataFrame({"path": [ds.location]}),
        "remote_copy",
        "info",
        f"remote copy at {ds.location}: the tables were checked, the files were not (they are fetched on "
        f"demand; {fetched:,} of {records.height:,} listed images are in the local mirror so far). "
        "Download a subset with ds.download(...) to check it file by file.",
    )


def check_projects(dicom_listing: pl.DataFrame, jpg_listing: pl.DataFrame) -> pl.DataFrame:
    """Images on disk in one project and not in the other (MIMIC-CXR's DICOM, MIMIC-CXR-JPG's JPG). A ``pNN``
    group that one project lacks entirely is one info row (a partial download), not a row per image.

    Examples
    --------
    >>> from cxrkit.storage.tree import paths_frame
    >>> d = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"
    >>> dcm = paths_frame([f"files/p10/p10000032/s50414267/{d}.dcm"])
    >>> check_projects(dcm, paths_frame(["files/p11/p11000011/s50000001.txt"]))["detail"].to_list()
    ['files/p10: 1 DICOM image(s) in mimic-cxr, none of this group in mimic-cxr-jpg (a partial download?)']
    """
    out = [empty()]
    sides = {layout.CXR_PROJECT: dicom_listing, layout.JPG_PROJECT: jpg_listing}
    images = {
        k: v.filter(pl.col("kind") == "image").with_columns(
            (pl.lit("p") + pl.col("subject_id").cast(pl.String).str.slice(0, 2)).alias("group")
        )
        for k, v in sides.items()
    }
    for here, there in (layout.PROJECTS, layout.PROJECTS[::-1]):
        kind = "DICOM" if here == layout.CXR_PROJECT else "JPG"
        only = images[here].join(images[there].select("dicom_id"), on="dicom_id", how="anti")
        if only.height == 0:
            continue
        groups_there = set(images[there]["group"].to_list())
        absent = only.filter(~pl.col("group").is_in(list(groups_there)))
        summary = absent.group_by("group").len().sort("group")
        out.append(
            _as_findings(
                summary.select(pl.format("files/{}", pl.col("group")).alias("path"), "len"),
                f"{kind.lower()}_group_only_in_{here}",
                "info",
                pl.format(
                    f"files/{{}}: {{}} {kind} image(s) in {here}, none of this group in {there} "
                    "(a partial download?)",
                    pl.col("path").str.slice(6),
                    pl.col("len"),
                ),
            )
        )
        single = only.filter(pl.col("group").is_in(list(groups_there))).sort("path")
        out.append(
            _as_findings(
                single.select("subject_id", "study_id", "dicom_id", "path"),
                f"{kind.lower()}_without_{'jpg' if kind == 'DICOM' else 'dicom'}",
                "warning",
                pl.format(
                    f"{{}} is in {here} but image {{}} is not in {there}", pl.col("path"), pl.col("dicom_id")
                ),
            )
        )
    return pl.concat(out)


def check_table_links(
    name: str, frame: pl.DataFrame, records: pl.DataFrame, studies: pl.DataFrame
) -> pl.DataFrame:
    """Rows of metadata/split (per image) or labels/providers
    (per study) that point at unlisted images/studies."""
    if "dicom_id" in frame.columns:
        orphans = frame.join(records.select("dicom_id"), on="dicom_id", how="anti")
        what = pl.format(f"{name}: image {{}} is not in the record list", pl.col("dicom_id"))
    else:
        orphans = frame.join(studies.select("study_id"), on="study_id", how="anti")
        what = pl.format(f"{name}: study s{{}} is not in the study list", pl.col("study_id"))
    keep = [c for c in ("subject_id", "study_id", "dicom_id") if c in orphans.columns]
    return _as_findings(orphans.select(keep), f"{name}_without_record", "warning", what)


#: The values a CheXpert or NegBio label can take (null: not mentioned).
LABEL_VALUES = (1.0, 0.0, -1.0)


def check_label_values(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Label cells outside 1.0 (positive), 0.0 (negative), -1.0 (uncertain) and null (not mentioned): one
    ``bad_label_value`` error per cell, naming the study, the category and the value.

    Examples
    --------
    >>> labels = pl.DataFrame({"subject_id": [10000032], "study_id": [50414267], "Edema": [2.0]})
    >>> check_label_values("chexpert", labels)["detail"].to_list()
    ['chexpert: study s50414267 has Edema = 2.0; a label is 1.0, 0.0, -1.0 or blank']
    """
    columns = [c for c in tables.LABEL_COLUMNS if c in frame.columns]
    if not columns or frame.height == 0:
        return empty()
    cells = (
        frame.select("subject_id", "study_id", *columns)
        .unpivot(index=["subject_id", "study_id"], variable_name="category", value_name="value")
        .filter(pl.col("value").is_not_null() & ~pl.col("value").is_in(LABEL_VALUES))
    )
    detail = pl.format(
        f"{name}: study s{{}} has {{}} = {{}}; a label is 1.0, 0.0, -1.0 or blank",
        pl.col("study_id"),
        pl.col("category"),
        pl.col("value"),
    )
    return _as_findings(cells, "bad_label_value", "error", detail)


def check_checksums(ds: Dataset, *, progress: bool = True) -> pl.DataFrame:
    """Every file each local project's ``SHA256SUMS.txt`` lists, hashed and compared with its digest
    (:func:`cxrkit.storage.verify_checksums`): ``checksum_mismatch`` and ``unreadable_file`` errors per file,
    one ``checksums_partial`` info row for listed files not on disk (a partial download), and
    ``no_checksums`` when a project has no ``SHA256SUMS.txt`` to check against. A remote copy is not hashed
    (its files are checked as they are fetched).
    """
    found = [empty()]
    for name, source in getattr(ds, "sources", {"copy": ds.source}).items():
        if source.fetches_on_demand:
            continue
        sums_path = source.root / layout.SHA256SUMS
        if not sums_path.is_file():
            found.append(
                _as_findings(
                    pl.DataFrame({"path": [str(source.root)]}),
                    "no_checksums",
                    "info",
                    f"{name}: {source.root} has no {layout.SHA256SUMS}: nothing to check its bytes against",
                )
            )
            continue
        sums = read_sha256sums(sums_path)
        status = verify_checksums(source.root, sums, progress=progress)
        frame = (
            pl.DataFrame(
                {"path": list(status), "status": list(status.values())},
                schema={"path": pl.String, "status": pl.String},
            )
            .with_columns(layout.parse_path_expr())
            .unnest("parsed")
            .drop("ext")
        )
        bad = frame.filter(pl.col("status") == "mismatch")
        found.append(
            _as_findings(
                bad,
                "checksum_mismatch",
                "error",
                pl.format(
                    "{}: its SHA-256 is not the one {} lists: damaged or changed; download it again",
                    pl.col("path"),
                    pl.lit(str(sums_path)),
                ),
            )
        )
        unreadable = frame.filter(pl.col("status").str.starts_with("unreadable"))
        found.append(
            _as_findings(
                unreadable, "unreadable_file", "error", pl.format("{}: {}", pl.col("path"), pl.col("status"))
            )
        )
        missing = frame.filter(pl.col("status") == "missing").height
        if missing:
            found.append(
                _as_findings(
                    pl.DataFrame({"path": [str(source.root)]}),
                    "checksums_partial",
                    "info",
                    f"{name}: {missing:,} of the {len(sums):,} files {sums_path.name} lists are not on disk "
                    "(a partial download); the others were checked",
                )
            )
    return pl.concat(found)


def validate(ds: Dataset, *, checksums: bool = False, progress: bool = True) -> pl.DataFrame:
    """Run every check on a dataset; one row per finding (:data:`FINDING_SCHEMA`), errors first.

    With ``checksums=True``, also hash every file against the projects' ``SHA256SUMS.txt``
    (:func:`check_checksums`; bound by the disk: hours on a full DICOM copy, a progress bar says how long).

    Checks: malformed ids; paths that disagree with ids; records whose study is missing from the study list
    and studies without records; studies under two patients; duplicate rows and ids; listed files missing on
    disk (absent ``pNN`` groups and patient folders summarised); files on disk no list mentions; studies
    without a report; reports without a study; metadata/split/label rows for unlisted images or studies;
    label values other than 1, 0, -1 and blank; unreadable tables.
    """
    found = [empty()]
    typed: dict[str, pl.DataFrame] = {}
    for name, path in ds.table_files.items():
        try:
            raw = tables.scan_table(ds.local_file(path), name, raw=True).collect()
            found.append(check_ids(raw, name))
            typed[name] = ds.table(name).collect()
        except TableError as exc:
            found.append(
                _as_findings(pl.DataFrame({"path": [str(path)]}), "unreadable_table", "error", str(exc))
            )
        except tables.READ_ERRORS as exc:  # a cut or damaged file: a finding, never a traceback
            err = tables.explain_read_error(path, tables.TABLES[name], exc)
            found.append(
                _as_findings(pl.DataFrame({"path": [str(path)]}), "unreadable_table", "error", str(err))
            )
    valid = pl.col("subject_id").is_between(10_000_000, 19_999_999) & pl.col("study_id").is_between(
        50_000_000, 59_999_999
    )
    try:
        records = typed["records"] if "records" in typed else ds.records().collect()
        studies = typed["studies"] if "studies" in typed else ds.studies().collect()
    except TableError:
        records = studies = None
    if records is not None and studies is not None:
        for name, key in (("records", "dicom_id"), ("studies", "study_id")):
            if name in typed:
                ok = (
                    valid & pl.col("dicom_id").str.contains(layout.DICOM_ID_PATTERN)
                    if key == "dicom_id"
                    else valid
                )
                found.append(check_paths(typed[name].filter(ok), name))
                found.append(check_duplicates(typed[name], name, key))
        records, studies = records.filter(valid), studies.filter(valid)
        if "records" in typed or "studies" in typed:
            found.append(check_links(records, studies))
        expect_reports = ds.flavor != "jpg" or ds.listing.filter(pl.col("kind") == "report").height > 0
        if ds.source.fetches_on_demand:  # the listing is what was fetched so far, not what the copy holds
            found.append(check_remote(ds, records))
        else:
            found.append(
                check_files(
                    records,
                    studies,
                    ds.listing,
                    expect_reports=expect_reports,
                    reports_zip=ds.reports_zip is not None,
                )
            )
        sources = getattr(ds, "sources", {})
        both = layout.CXR_PROJECT in sources and layout.JPG_PROJECT in sources
        if both and not any(src.fetches_on_demand for src in sources.values()):
            listings = {k: ds.listing if src is ds.source else src.listing() for k, src in sources.items()}
            found.append(check_projects(listings[layout.CXR_PROJECT], listings[layout.JPG_PROJECT]))
        for name in ("metadata", "split", "chexpert", "negbio", "providers"):
            if name in typed:
                found.append(check_table_links(name, typed[name], records, studies))
        for name in ("chexpert", "negbio"):
            if name in typed:
                found.append(check_label_values(name, typed[name]))
    if checksums:
        found.append(check_checksums(ds, progress=progress))
    result = pl.concat(found)
    rank = pl.col("severity").replace_strict({s: i for i, s in enumerate(SEVERITIES)}, return_dtype=pl.Int8)
    return result.with_row_index("_i").sort(rank, "_i").drop("_i")
