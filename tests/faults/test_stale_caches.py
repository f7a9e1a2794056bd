"""Caches never answer for data that has changed (issue #15): a download that grows a patient, a table copy a
frame still reads, ``refresh=True`` on every cached call, and temporary files left by killed writes."""

from __future__ import annotations

import gzip
import os
import shutil
import subprocess
import sys
import time

import polars as pl

import cxrkit
from cxrkit import images
from cxrkit.storage import Cache, sweep_orphans


def _study_folders(root):
    return sorted(p for p in (root / "files").glob("p1*/p*/s*") if p.is_dir())


def test_a_download_that_grows_a_patient_folder_is_seen_by_sections(demo_projects, tmp_path):
    """Issue #15 item 2: one study, sections(), two more studies of the same patient, reopen."""
    src = cxrkit.open_dataset(demo_projects)
    counts = src.records().group_by("subject_id").agg(pl.col("study_id").n_unique().alias("n")).collect()
    subject = counts.filter(pl.col("n") >= 3).sort("subject_id")["subject_id"][0]
    studies = src.records().filter(pl.col("subject_id") == subject).sort("study_id").collect()
    first, rest = studies["study_id"].unique().sort()[:1], studies["study_id"].unique().sort()[1:3]
    dest = tmp_path / "subset"
    cache = tmp_path / "cache"
    src.download(studies.filter(pl.col("study_id").is_in(first.implode())), dest, progress=False)
    before = cxrkit.open_dataset(dest, cache_dir=cache).sections(progress=False).collect()
    assert before["study_id"].to_list() == first.to_list()
    cxrkit.reports.wait_for_cache_writes()
    src.download(studies.filter(pl.col("study_id").is_in(rest.implode())), dest, progress=False)
    ds = cxrkit.open_dataset(dest, cache_dir=cache)
    listed = ds.studies().collect()["study_id"].sort().to_list()
    assert len(listed) == 3 and len(list((dest / "files").rglob("s*.txt"))) == 3
    assert ds.sections(progress=False).collect()["study_id"].sort().to_list() == listed


def test_a_report_removed_from_a_patient_folder_leaves_the_corpus(demo_projects, tmp_path):
    shutil.copytree(demo_projects / "mimic-cxr" / "2.1.0" / "files", tmp_path / "d" / "files")
    cache = tmp_path / "cache"
    first = cxrkit.reports.read_reports(tmp_path / "d", cache=cache, progress=False)
    cxrkit.reports.wait_for_cache_writes()
    gone = min((tmp_path / "d" / "files").rglob("s*.txt"))
    gone.unlink()
    again = cxrkit.reports.read_reports(tmp_path / "d", cache=cache, progress=False)
    assert again.height == first.height - 1
    assert int(gone.stem[1:]) not in again["study_id"].to_list()


def test_refresh_re_reads_a_report_edited_in_place(demo_projects, tmp_path):
    """An edit that keeps the name keeps every folder's mtime: the one case the key cannot see."""
    shutil.copytree(demo_projects / "mimic-cxr" / "2.1.0" / "files", tmp_path / "d" / "files")
    ds = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache")
    ds.reports(progress=False).collect()
    cxrkit.reports.wait_for_cache_writes()
    report = min((tmp_path / "d" / "files").rglob("s*.txt"))
    folder_mtime = report.parent.stat().st_mtime_ns
    with open(report, "r+") as fh:  # in place: same inode, same folder entries
        fh.write(" FINDINGS: edited in place.\n")
        fh.truncate()
    os.utime(report.parent, ns=(folder_mtime, folder_mtime))
    sid = int(report.stem[1:])
    stale = ds.reports(progress=False).filter(pl.col("study_id") == sid).collect()["text"][0]
    assert "edited in place" not in stale  # documented: the key cannot see this edit
    fresh = ds.reports(progress=False, refresh=True).filter(pl.col("study_id") == sid).collect()["text"][0]
    assert fresh == " FINDINGS: edited in place.\n"
    sections = ds.sections(progress=False).filter(pl.col("study_id") == sid).collect()
    assert sections["findings"][0] == "edited in place."  # the refreshed entry is the one kept


def test_refresh_rebuilds_a_table_copy_and_re_reads_images(demo_projects, tmp_path):
    ds = cxrkit.open_dataset(demo_projects, cache_dir=tmp_path / "cache")
    first = ds.table("records").collect()
    copies = list((tmp_path / "cache" / "tables").rglob("records-*.parquet"))
    assert len(copies) == 1
    built = copies[0].stat().st_mtime_ns
    time.sleep(0.01)
    assert ds.table("records", refresh=True).collect().equals(first)
    assert copies[0].stat().st_mtime_ns > built  # rebuilt, not answered from the old copy

    paths = ds.image_files()["file"].head(2).to_list()
    cached = images.header_table(paths, cache=tmp_path / "cache", progress=False)
    # refresh reads the files again: the same rows as the first read, and the cache entry rewritten
    again = images.header_table(
        paths, cache=tmp_path / "cache", progress=False, refresh=True, executor="serial"
    )
    assert again.drop("path").equals(cached.drop("path"))
    entry = next((tmp_path / "cache" / "images").glob("headers-*.arrow"))
    stamp = entry.stat().st_mtime_ns
    images.header_table(paths, cache=tmp_path / "cache", progress=False, executor="serial")
    assert entry.stat().st_mtime_ns == stamp  # a cached call writes nothing
    images.header_table(paths, cache=tmp_path / "cache", progress=False, refresh=True, executor="serial")
    assert entry.stat().st_mtime_ns > stamp  # a refresh read and wrote the rows again


def test_a_lazy_frame_held_across_a_rebuild_still_reads(demo_projects, tmp_path):
    """The table changes under a frame the user holds: the frame keeps the table as it was, later calls see
    the new one, and no raw FileNotFoundError surfaces."""
    shutil.copytree(demo_projects / "mimic-cxr" / "2.1.0", tmp_path / "d")
    ds = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache")
    held = ds.records()
    before = held.collect()
    path = tmp_path / "d" / "cxr-record-list.csv.gz"
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    path.write_bytes(gzip.compress(("\n".join(lines[:-5]) + "\n").encode()))
    now = cxrkit.open_dataset(tmp_path / "d", cache_dir=tmp_path / "cache").records().collect()
    assert now.height == before.height - 5
    assert held.collect().equals(before)


def test_orphaned_temporary_files_of_a_killed_write_are_swept(tmp_path):
    """A process killed mid-write leaves its temporary file: the next write in that folder removes it."""
    cache = Cache(tmp_path / "cache")
    final = cache.path("tables", "x", "records-1.parquet")
    code = (
        "import os, sys\n"
        "from cxrkit.storage import Cache\n"
        "c = Cache(sys.argv[1])\n"
        "with c.atomic_path(c.path('tables', 'x', 'records-1.parquet')) as tmp:\n"
        "    tmp.write_bytes(b'half a table')\n"
        "    os._exit(9)\n"  # killed: no rename, no cleanup
    )
    subprocess.run([sys.executable, "-c", code, str(cache.root)], check=False)
    orphans = list(final.parent.glob(".*.tmp"))
    assert len(orphans) == 1 and orphans[0].read_bytes() == b"half a table"
    assert sweep_orphans(final.parent) == []  # too young to tell from a write in progress
    old = time.time() - 120
    os.utime(orphans[0], (old, old))
    mine = final.parent / f".other.parquet.{os.getpid()}.abcdefgh.tmp"  # a live process's write: kept
    mine.write_bytes(b"in progress")
    os.utime(mine, (old, old))
    assert cache.keep(final, lambda tmp: tmp.write_bytes(b"whole"), what="test") is True
    assert final.read_bytes() == b"whole"
    assert sorted(p.name for p in final.parent.iterdir()) == sorted([mine.name, final.name])


def test_the_folder_a_killed_corpus_ingest_was_writing_is_swept(tmp_path):
    """A corpus entry is written as a folder of chunk files: an ingest killed mid-write leaves its temporary
    folder and no entry; the next ingest's write removes that folder once its writer is known dead."""
    root = tmp_path / "root"
    for rel in ("p10/p10000032/s50414267.txt", "p10/p10000033/s50414268.txt", "p11/p11000001/s51111111.txt"):
        (root / "files" / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / "files" / rel).write_text(" FINDINGS: Clear.\n IMPRESSION: Normal.\n")
    cache = Cache(tmp_path / "cache")
    code = (
        "import os, sys\n"
        "from cxrkit.reports import corpus\n"
        "real = corpus._finish\n"
        "def killed(*args):\n"
        "    out = real(*args)\n"
        "    if killed.n: os._exit(9)\n"  # killed after the first chunk's file: no rename, no cleanup
        "    killed.n += 1\n"
        "    return out\n"
        "killed.n = 0\n"
        "corpus._finish = killed\n"
        "corpus.chunk_items = lambda items, executor, most: [[i] for i in items]\n"
        "corpus.read_sections(sys.argv[1], cache=sys.argv[2], executor='serial', progress=False)\n"
    )
    subprocess.run([sys.executable, "-c", code, str(root), str(cache.root)], check=False)
    folder = cache.path("reports")
    (orphan,) = folder.iterdir()
    assert orphan.name.startswith(".corpus-") and orphan.name.endswith(".tmp") and orphan.is_dir()
    assert list(orphan.glob("*.parquet")) and not (orphan / "entry.json").exists()
    old = time.time() - 120
    os.utime(orphan, (old, old))
    from cxrkit.reports import ingest_reports

    first = ingest_reports(root, cache=cache, progress=False)
    assert first.detail["cached"] is False
    (entry,) = folder.iterdir()  # the orphan is gone
    assert entry.name.startswith("corpus-") and (entry / "entry.json").is_file()
    assert ingest_reports(root, cache=cache, progress=False).detail["cached"] is True
