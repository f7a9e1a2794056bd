"""The ``cxrkit`` command: make the demo dataset, see what a copy holds, check it.

Examples
--------
.. code-block:: console

    $ cxrkit demo                 # generate the demo dataset into the cache and print where it is
    $ cxrkit demo ./demo-data --subjects 100     # demo-data/mimic-cxr/2.1.0 and demo-data/mimic-cxr-jpg/2.1.0
    $ cxrkit info /data/physionet.org/files      # both projects, as wget left them
    $ cxrkit info /data/mimic-cxr/2.0.0
    $ cxrkit validate /data/mimic-cxr/2.0.0     # exit status 1 when errors are found
    $ cxrkit info https://physionet.org/files/mimic-cxr/2.0.0/   # a remote copy (credentials: ~/.netrc)
    $ cxrkit download https://physionet.org/files/mimic-cxr/2.0.0/ ./subset --subject 10000032
    $ cxrkit sections /data/mimic-cxr/2.0.0 --official -o mimic_cxr_sectioned.csv   # the official file
    $ cxrkit sections /data/mimic-cxr/2.0.0 -o kit_sectioned.csv     # the kit's sections, same columns
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import CxrkitError

DESCRIPTION = """\
cxrkit: explore the MIMIC-CXR and MIMIC-CXR-JPG chest X-ray datasets.

A ROOT is what you downloaded: the physionet.org/files folder above the two projects
(mimic-cxr/<release>/ and mimic-cxr-jpg/<release>/), either project's folder (its sibling is
found beside it), or one folder that holds files/ and the .csv.gz tables; or a project's URL
(https://, s3://, gs://: needs the remote extra; credentials from ~/.netrc,
$CXRKIT_HTTP_USER/$CXRKIT_HTTP_PASSWORD or the cloud SDK). Without ROOT, commands use
$CXRKIT_ROOT, else the synthetic demo dataset. The kit never writes into ROOT; derived
data (and what is fetched from a URL) goes to the cache folder ($CXRKIT_CACHE, default
~/.cache/cxrkit).
"""


def _copy_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--jpg-root", metavar="DIR", help="the MIMIC-CXR-JPG project, when it is not beside ROOT"
    )
    parser.add_argument(
        "--prefer",
        choices=("dicom", "jpg"),
        default="dicom",
        help="images to show when both projects are there",
    )
    parser.add_argument("--release", metavar="X.Y.Z", help="release folder to open (default: the newest)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxrkit", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cache-dir", help="cache folder (default: $CXRKIT_CACHE or ~/.cache/cxrkit)")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks of errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    demo = sub.add_parser(
        "demo",
        help="generate the synthetic demo dataset",
        description="Generate a synthetic dataset with the real layout and file formats "
        "(no real patient data). Without DEST, the default demo is made in the cache folder "
        "(where open_dataset() finds it) and its path printed.",
    )
    demo.add_argument("dest", nargs="?", help="folder to create (must not exist)")
    demo.add_argument("--subjects", type=int, default=None, help="number of patients (default: small demo)")
    demo.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes (default 0)")
    demo.add_argument(
        "--flavor",
        choices=("dicom", "dicom-gz", "jpg"),
        default="dicom",
        help="MIMIC-CXR DICOM (.dcm), DICOM as .dcm.gz, or MIMIC-CXR-JPG (default dicom)",
    )
    demo.add_argument("--no-labels", action="store_true", help="leave out the chexpert/negbio label files")
    demo.add_argument(
        "--layout",
        choices=("projects", "single"),
        default="projects",
        help="projects: DEST/mimic-cxr/2.1.0 and DEST/mimic-cxr-jpg/2.1.0, as a download leaves them "
        "(default); single: every file in DEST",
    )
    demo.add_argument("--overwrite", action="store_true", help="replace DEST if it exists")
    demo.add_argument(
        "--full-size",
        action="store_true",
        help="images at the real sizes (3056 x 2544 and the like; ~12 MB a DICOM) instead of a quarter "
        "(an eighth from 1,000 patients on)",
    )
    demo.add_argument("--no-progress", action="store_true", help="no progress bars while writing")
    demo.add_argument(
        "--report",
        action="store_true",
        help="print the demo's figures beside the published MIMIC-CXR ones (of DEST if it exists, else of "
        "the demo made there, else of the default demo)",
    )

    info = sub.add_parser(
        "info",
        help="show what a copy holds: flavour, files, counts",
        description="Show the flavour, the tables present, and counts of patients, studies "
        "and images (listed and on disk).",
    )
    info.add_argument("root", nargs="?", help="dataset folder (default: $CXRKIT_ROOT or the demo)")
    _copy_options(info)

    val = sub.add_parser(
        "validate",
        help="check a copy; exit status 1 on errors",
        description="Check ids, paths, links between the lists, and files on disk. Prints a "
        "summary per check and the first findings of each; exits 1 when any error is found.",
    )
    val.add_argument("root", nargs="?", help="dataset folder (default: $CXRKIT_ROOT or the demo)")
    _copy_options(val)
    val.add_argument("--show", type=int, default=5, help="findings to print per check (default 5)")
    val.add_argument("--csv", metavar="FILE", help="also write every finding to FILE (outside the dataset)")
    val.add_argument(
        "--checksums",
        action="store_true",
        help="also hash every file against SHA256SUMS.txt (reads every byte: hours on a full DICOM copy)",
    )
    val.add_argument("--no-progress", action="store_true", help="no progress bar")

    dl = sub.add_parser(
        "download",
        help="copy a subset (patients, studies) into a local folder",
        description="Copy the images and reports of some patients or studies, and the tables "
        "filtered to them, from ROOT (a folder or a URL) into DEST with the real layout. "
        "Resumable (run it again after an interruption), verified against sizes and "
        "SHA256SUMS.txt; DEST then opens and validates as a copy of the subset.",
    )
    dl.add_argument("root", help="dataset folder or URL to copy from")
    dl.add_argument("dest", help="local folder to fill (created if needed)")
    _copy_options(dl)
    dl.add_argument(
        "--subject",
        type=int,
        action="append",
        default=[],
        metavar="ID",
        help="a patient's subject_id (repeatable)",
    )
    dl.add_argument(
        "--study", type=int, action="append", default=[], metavar="ID", help="a study_id (repeatable)"
    )
    dl.add_argument(
        "--view",
        action="append",
        default=[],
        metavar="VIEW",
        help="only images with this ViewPosition, e.g. PA (repeatable; needs the metadata table)",
    )
    dl.add_argument("--no-progress", action="store_true", help="no progress bar")
    sec = sub.add_parser(
        "sections",
        help="write the reports' sections as mimic_cxr_sectioned.csv",
        description="Write one row per report (study, impression, findings, last_paragraph, comparison) "
        "in the CSV shape of the official txt/create_section_files.py. With --official the rows are the "
        "official parser's, byte for byte what that script writes for the same reports; without it, the "
        "kit's own sections (headers in any case or indentation, wet reads, addenda, header-less reports "
        "ending with a notification) in the same columns.",
    )
    sec.add_argument("root", nargs="?", help="dataset folder (default: $CXRKIT_ROOT or the demo)")
    _copy_options(sec)
    sec.add_argument("--official", action="store_true", help="the official parser's sections")
    sec.add_argument(
        "-o",
        "--output",
        default="mimic_cxr_sectioned.csv",
        metavar="FILE",
        help="the CSV to write, outside the dataset (default: ./mimic_cxr_sectioned.csv)",
    )
    sec.add_argument(
        "--order",
        choices=("listdir", "sorted"),
        help="row order: listdir = the official script's walk (each patient's reports in the file "
        "system's order; default with --official on a files/ tree), sorted = by subject and study",
    )
    sec.add_argument(
        "--conclusions",
        metavar="DIR",
        help="with --official: also write the script's other files into DIR (mimic_cxr_00.csv, ...: the "
        "one text per report its labellers read)",
    )
    sec.add_argument("--no-progress", action="store_true", help="no progress bar")
    shop = sub.add_parser(
        "workshop",
        help="teaching: learners' copies of the notebooks",
        description="Tools for teaching with the notebooks (see notebooks/TEACHING.md).",
    )
    shop_sub = shop.add_subparsers(dest="workshop_command", metavar="ACTION", required=True)
    strip = shop_sub.add_parser(
        "strip-solutions",
        help="copy the notebooks without their solution cells",
        description="Write every notebook of SRC_DIR into DEST_DIR without the cells tagged 'solution' "
        "(the worked solutions a teacher reveals); every other cell is kept as it is.",
    )
    strip.add_argument("src", metavar="SRC_DIR", help="folder of notebooks, e.g. notebooks/")
    strip.add_argument("dest", metavar="DEST_DIR", help="folder to write the learners' copies into")
    parser.set_defaults(commands=sub.choices)
    return parser


def _cmd_workshop(args: argparse.Namespace) -> int:
    from .solutions import strip_solutions

    written = strip_solutions(args.src, args.dest)
    for path in written:
        print(f"{path}")
    print(f"{len(written)} notebook(s) written without solutions to {args.dest}", file=sys.stderr)
    return 0


def _cmd_download(args: argparse.Namespace) -> int:
    import polars as pl

    if not (args.subject or args.study):
        print("cxrkit download: say what to copy with --subject and/or --study", file=sys.stderr)
        return 2
    ds = _open(args)
    lf = ds.images() if args.view else ds.records()
    lf = lf.filter(pl.col("subject_id").is_in(args.subject) | pl.col("study_id").is_in(args.study))
    if args.view:
        lf = lf.filter(pl.col("ViewPosition").is_in(args.view))
    selection = lf.select("subject_id", "study_id", "dicom_id").collect()
    if selection.height == 0:
        print(f"cxrkit download: no image of {ds.location} matches", file=sys.stderr)
        return 1
    dest = ds.download(selection, args.dest, progress=not args.no_progress)
    print(f"{selection.height:,} images of {selection['study_id'].n_unique():,} studies copied to {dest}")
    return 0


def _refuse_inside(ds, path: str, command: str) -> object:
    """The resolved output path, or ``None`` (after saying so) when it lies inside the dataset."""
    from pathlib import Path

    out = Path(path).resolve()
    roots = [ds.root, *(src.root for src in ds.sources.values() if not src.fetches_on_demand)]
    if any(out == root or root in out.parents for root in roots if isinstance(root, Path)):
        print(f"cxrkit {command}: refusing to write {out} inside the dataset root", file=sys.stderr)
        return None
    return out


def _cmd_sections(args: argparse.Namespace) -> int:
    from pathlib import Path

    import polars as pl

    from .reports import (
        official_conclusions,
        official_sections,
        sectioned_rows,
        write_conclusion_csvs,
        write_sectioned_csv,
    )

    if args.conclusions and not args.official:
        print(
            "cxrkit sections: --conclusions is the official script's output: use it with --official",
            file=sys.stderr,
        )
        return 2
    ds = _open(args)
    out = _refuse_inside(ds, args.output, "sections")
    folder = _refuse_inside(ds, args.conclusions, "sections") if args.conclusions else None
    if out is None or (args.conclusions and folder is None):
        return 2
    progress = not args.no_progress
    if args.official:
        reports = ds.reports(progress=progress).collect()
        root = Path(ds.root) if isinstance(ds.root, Path) else None
        from_files = (
            root is not None
            and (root / "files").is_dir()
            and bool(reports["path"].str.starts_with("files/").all())
        )
        order = args.order or ("listdir" if from_files else "sorted")
        if order == "listdir" and not from_files:
            print("cxrkit sections: --order listdir needs the reports as a files/ tree", file=sys.stderr)
            return 2
        rows = official_sections(reports, order=order, root=root if from_files else None)
        left_out = reports.height - rows.height
        if folder is not None:
            conclusions = official_conclusions(reports, order=order, root=root if from_files else None)
            written = write_conclusion_csvs(conclusions, folder)
            names = ", ".join(p.name for p in written)
            print(f"{conclusions.height:,} conclusions written to {folder} ({names})")
    else:
        sections = ds.sections(progress=progress).collect()
        if args.order == "listdir":
            print(
                "cxrkit sections: --order listdir is the official walk: use it with --official",
                file=sys.stderr,
            )
            return 2
        rows = sectioned_rows(sections.sort("subject_id", "study_id"))
        left_out = 0
    if rows.height == 0:
        print(f"cxrkit sections: no reports in {ds.location}: nothing written", file=sys.stderr)
        return 1
    write_sectioned_csv(rows, out)
    filled = rows.select(pl.col(c).is_not_null() & (pl.col(c) != "") for c in rows.columns[1:]).sum().row(0)
    what = "official parser" if args.official else "kit's sections"
    print(f"{rows.height:,} reports written to {out} ({what})")
    print("with text: " + ", ".join(f"{c} {n:,}" for c, n in zip(rows.columns[1:], filled)))
    if left_out:
        print(f"left out: {left_out:,} (special-cased by the official script, or unreadable)")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import demo
    from .dataset import demo_root

    if args.report and args.dest is not None and Path(args.dest).exists() and not args.overwrite:
        return _print_realism(demo.realism(args.dest))
    if args.dest is None:
        if args.report and args.subjects is None:
            return _print_realism(demo.realism(demo_root(args.cache_dir)))
        changed = args.seed != 0 or args.flavor != "dicom" or args.no_labels or args.layout != "projects"
        changed = changed or args.full_size
        if args.subjects is not None or changed or args.overwrite:
            print("cxrkit demo: options need a DEST folder (the default demo is fixed)", file=sys.stderr)
            return 2
        print(demo_root(args.cache_dir))
        return 0
    kwargs = {
        "seed": args.seed,
        "flavor": args.flavor,
        "labels": not args.no_labels,
        "layout": args.layout,
        "overwrite": args.overwrite,
        "progress": not args.no_progress and sys.stderr.isatty(),
    }
    if args.full_size:
        kwargs["image_scale"] = 1.0
    if args.subjects is not None:
        kwargs["subjects"] = args.subjects
    root = demo.make_demo(args.dest, **kwargs)
    if args.report:
        return _print_realism(demo.realism(root))
    print(root)
    return 0


def _print_realism(frame) -> int:
    """The realism table as plain text; exit status 0 (the figures are information, not a check)."""
    import polars as pl

    with pl.Config(tbl_rows=-1, tbl_width_chars=160, fmt_str_lengths=60, tbl_hide_dataframe_shape=True):
        print(frame.with_columns(pl.col("demo").round(2)))
    print(f"{frame['ok'].sum()} of {frame.height} figures within tolerance")
    return 0


def _open(args: argparse.Namespace):
    from .dataset import open_dataset

    return open_dataset(
        args.root, jpg_root=args.jpg_root, prefer=args.prefer, release=args.release, cache_dir=args.cache_dir
    )


def _cmd_info(args: argparse.Namespace) -> int:
    s = _open(args).summary()
    print(f"root:     {s['root']}")
    for name, where in s["projects"].items():
        if where != s["root"]:
            print(f"also:     {name} at {where}")
    if s.get("remote"):
        print(f"mirror:   {s['mirror']}  (files fetched so far; 'on disk' below counts these)")
    print(f"flavour:  {s['flavor']}" + (f" ({s['image_ext']} images)" if s["image_ext"] else ""))
    print("tables:   " + (", ".join(f"{k} ({v})" for k, v in s["tables"].items()) or "none"))
    if s["missing_tables"]:
        print("absent:   " + ", ".join(s["missing_tables"]))
    if s["reports_zip"]:
        print(f"reports:  {s['reports_zip']}")
    print(f"listed:   {s['patients']:,} patients, {s['studies']:,} studies, {s['images']:,} images")
    complete = s["images_on_disk"] >= s["images"]
    print(
        f"on disk:  {s['images_on_disk']:,} images, {s['reports_on_disk']:,} reports"
        + (
            "  (complete)"
            if complete
            else f"  ({s['images_on_disk'] / max(s['images'], 1):.1%} of listed images)"
        )
    )
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    import polars as pl

    ds = _open(args)
    out = None
    if args.csv:
        from pathlib import Path

        out = Path(args.csv).resolve()
        roots = [ds.root, *(src.root for src in ds.sources.values() if not src.fetches_on_demand)]
        if any(out == root or root in out.parents for root in roots):
            print(f"cxrkit validate: refusing to write {out} inside the dataset root", file=sys.stderr)
            return 2
    findings = ds.validate(checksums=args.checksums, progress=not args.no_progress)
    print(f"validated {ds.location}" + (" (and every file's SHA-256)" if args.checksums else ""))
    if out is not None:  # written even when clean: an empty table with its header says "checked, nothing"
        findings.write_csv(out)
    if findings.height == 0:
        print("clean: no findings" + (f"; {args.csv} has the header only" if out is not None else ""))
        return 0
    summary = findings.group_by("severity", "check", maintain_order=True).len()
    for severity, check, n in summary.iter_rows():
        print(f"\n{severity.upper():8} {check}: {n:,}")
        for detail in findings.filter((pl.col("check") == check) & (pl.col("severity") == severity))[
            "detail"
        ].head(args.show):
            print(f"         - {detail}")
        if n > args.show:
            print(f"         ... and {n - args.show:,} more")
    if out is not None:
        print(f"\nall findings written to {args.csv}")
    errors = int((findings["severity"] == "error").sum())
    print(f"\n{errors:,} error(s), {findings.height - errors:,} other finding(s)")
    return 1 if errors else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``cxrkit`` command; returns the exit status."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if args.command is None:  # `cxrkit` alone, or `cxrkit --bogus`: say what it can do
        parser.print_help(sys.stderr)
        if extra:
            print(f"\ncxrkit: unknown option(s): {' '.join(extra)}", file=sys.stderr)
        return 2
    if extra:  # the subcommand's own usage, not the top level's
        args.commands[args.command].error(f"unrecognized arguments: {' '.join(extra)}")
    try:
        commands = {
            "demo": _cmd_demo,
            "info": _cmd_info,
            "validate": _cmd_validate,
            "download": _cmd_download,
            "sections": _cmd_sections,
            "workshop": _cmd_workshop,
        }
        return commands[args.command](args)
    except CxrkitError as exc:
        if args.debug:
            raise
        message = str(exc).replace("pass overwrite=True", "pass --overwrite")  # the CLI's spelling of it
        print(f"cxrkit {args.command}: {message}", file=sys.stderr)
        return 1
    except OSError as exc:  # a full disk, a read-only or missing folder, a permission: say which file
        if args.debug:
            raise
        print(f"cxrkit {args.command}: {os_error_message(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"cxrkit {args.command}: interrupted (run it again to continue)", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in the kit or a library: one line, and how to see more
        if args.debug:
            raise
        print(
            f"cxrkit {args.command}: unexpected {type(exc).__name__}: {exc}. Run it again with --debug "
            "for the traceback, and please report it.",
            file=sys.stderr,
        )
        return 1


#: What to do about the OS errors a command meets when writing.
_OS_HINTS = {
    errno.ENOSPC: "the disk is full: free space there, or choose another folder",
    errno.EDQUOT: "the disk quota is used up: free space there, or choose another folder",
    errno.EROFS: "that file system is read-only: choose another folder",
    errno.EACCES: "no permission: choose a folder you can write to",
    errno.EPERM: "no permission: choose a folder you can write to",
    errno.ENOENT: "no such file or folder",
}


def os_error_message(exc: OSError) -> str:
    """One line for an OS error: the file, what happened and what to do (no traceback).

    Examples
    --------
    >>> import errno
    >>> os_error_message(OSError(errno.ENOSPC, "No space left on device", "/d/a.dcm"))
    '/d/a.dcm: No space left on device (the disk is full: free space there, or choose another folder)'
    """
    where = exc.filename if exc.filename is not None else "a file"
    what = exc.strerror or str(exc)
    hint = _OS_HINTS.get(exc.errno or -1)
    return f"{where}: {what}" + (f" ({hint})" if hint else "")
