"""The table layer on small hand-written files: schemas, typed conversions, the parquet cache, bad input."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import subprocess
import sys
import warnings

import polars as pl
import pytest

from cxrkit import tables
from cxrkit.errors import CxrkitError, TableError
from cxrkit.storage import Cache, tree

D1 = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"
D2 = "174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962"
META_HEADER = ",".join(tables.TABLES["metadata"].columns)


def write_gz(path, text: str) -> None:
    path.write_bytes(gzip.compress(text.encode(), mtime=0))


def test_every_spec_names_its_columns_and_types():
    assert tables.TABLES["chexpert"].columns == ("subject_id", "study_id", *tables.LABEL_COLUMNS)
    assert len(tables.LABEL_COLUMNS) == 14
    for spec in tables.TABLES.values():
        for col, dtype in spec.schema.items():
            if col.endswith("_id") and col in ("subject_id", "study_id"):
                assert dtype == pl.Int64


def test_metadata_types_date_and_time_with_lost_leading_zero(tmp_path):
    path = tmp_path / "mimic-cxr-2.0.0-metadata.csv.gz"
    write_gz(
        path,
        META_HEADER + "\n"
        f"{D1},10000032,50414267,CHEST (PA AND LAT),PA,3056,2544,21800506,80556.875,"
        "Chest PA,postero-anterior,Erect\n"
        f"{D2},10000032,50414267,CHEST (PA AND LAT),,3056,2544,21800506,213014.0,,,\n",
    )
    df = tables.load_table(path, "metadata").collect()
    assert df.schema["StudyDate"] == pl.Date and df.schema["StudyTime"] == pl.Time
    assert df["StudyDate"].to_list() == [dt.date(2180, 5, 6)] * 2
    assert df["StudyTime"].to_list() == [dt.time(8, 5, 56, 875000), dt.time(21, 30, 14)]
    assert df["ViewPosition"].to_list() == ["PA", None]
    assert df.schema["Rows"] == pl.Int64


def test_impossible_study_times_become_null():
    values = pl.Series([80556.875, 0.5, 246000.0, 126100.0, 125961.0, -1.0, None])
    out = pl.select(tables.study_time_expr(pl.lit(values))).to_series().to_list()
    assert out == [dt.time(8, 5, 56, 875000), dt.time(0, 0, 0, 500000), None, None, None, None, None]


def test_labels_are_floats_with_null_for_blank(tmp_path):
    path = tmp_path / "mimic-cxr-2.0.0-chexpert.csv.gz"
    header = ",".join(tables.TABLES["chexpert"].columns)
    row = "10000032,50414267," + ",".join(["1.0", "", "-1.0", "0.0"] + [""] * 10)
    write_gz(path, header + "\n" + row + "\n")
    df = tables.load_table(path, "chexpert").collect()
    assert df.row(0)[:6] == (10000032, 50414267, 1.0, None, -1.0, 0.0)
    assert all(df.schema[c] == pl.Float64 for c in tables.LABEL_COLUMNS)


def test_find_table_prefers_highest_version(tmp_path):
    for v in ("2.0.0", "2.1.0"):
        (tmp_path / f"mimic-cxr-{v}-metadata.csv.gz").write_bytes(b"")
    assert tables.find_table(tmp_path, "metadata").name == "mimic-cxr-2.1.0-metadata.csv.gz"
    assert tables.find_table(tmp_path, "chexpert") is None


def test_cache_builds_once_and_rebuilds_when_source_changes(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,files/p10/p10000032/s50414267.txt\n")
    cache = Cache(tmp_path / "cache")
    assert tables.load_table(path, "studies", cache=cache).collect().height == 1
    tables.wait_for_cache_writes()
    copies = list((tmp_path / "cache").rglob("studies-*.parquet"))
    assert len(copies) == 1
    mtime = copies[0].stat().st_mtime_ns
    tables.load_table(path, "studies", cache=cache).collect()
    assert copies[0].stat().st_mtime_ns == mtime  # reused, not rebuilt
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,a\n10000033,50414268,b\n")
    os.utime(path, ns=(mtime + 10**9, mtime + 10**9))
    assert tables.load_table(path, "studies", cache=cache).collect().height == 2
    tables.wait_for_cache_writes()  # the new copy is built in the background
    copies = list((tmp_path / "cache").rglob("studies-*.parquet"))
    assert len(copies) == 2, "a frame this process handed out may still read the old copy"
    code = (
        "import sys; from cxrkit import tables; from cxrkit.storage import Cache\n"
        "print(tables.load_table(sys.argv[1], 'studies', cache=Cache(sys.argv[2])).collect().height)\n"
    )
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,a\n")
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(cache.root)], check=False, capture_output=True, text=True
    )
    assert out.stdout.strip() == "1", out.stderr
    left = list((tmp_path / "cache").rglob("studies-*.parquet"))
    assert len(left) == 1 and left[0] not in copies, "the stale copies are removed by the next process"


def test_missing_columns_name_the_file_and_columns(tmp_path):
    path = tmp_path / "cxr-record-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,x\n")
    with pytest.raises(TableError) as info:
        tables.load_table(path, "records")
    msg = str(info.value)
    assert str(path) in msg and "dicom_id" in msg and "missing column" in msg


def test_truncated_gzip_is_a_clear_error_and_leaves_no_cache(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    body = "subject_id,study_id,path\n" + "10000032,50414267,files/p10/p10000032/s50414267.txt\n" * 50_000
    path.write_bytes(gzip.compress(body.encode(), mtime=0)[:-5000])
    cache = Cache(tmp_path / "cache")
    with pytest.raises(TableError) as info:
        tables.load_table(path, "studies", cache=cache)
    assert str(path) in str(info.value) and "re-download" in str(info.value)
    assert not list((tmp_path / "cache").rglob("*.parquet")) and not list((tmp_path / "cache").rglob("*.tmp"))


def test_not_gzip_at_all(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    path.write_bytes(b"this is not gzip")
    with pytest.raises(CxrkitError) as info:
        tables.load_table(path, "studies", cache=Cache(tmp_path / "c"))
    assert str(path) in str(info.value)


def test_empty_file(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "")
    with pytest.raises(TableError, match="empty"):
        tables.load_table(path, "studies")


def test_wrong_type_names_file_column_and_value(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,abc,x\n")
    with pytest.raises(TableError) as info:
        tables.load_table(path, "studies", cache=Cache(tmp_path / "c"))
    msg = str(info.value)
    assert str(path) in msg and "abc" in msg and "study_id" in msg


def test_raw_scan_reads_everything_as_strings(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,abc,x\n")
    raw = tables.scan_table(path, "studies", raw=True).collect()
    assert raw.row(0) == ("10000032", "abc", "x")


def test_unknown_extra_columns_are_kept_as_strings(tmp_path):
    path = tmp_path / "cxr-provider-list.csv.gz"
    write_gz(path, "study_id,ordering_provider_id,extra_col\n50414267,P003AB,\n50414268,,x\n")
    df = tables.load_table(path, "providers").collect()
    assert df.columns == ["study_id", "ordering_provider_id", "extra_col"]
    assert df.schema["study_id"] == pl.Int64 and df.schema["extra_col"] == pl.String
    assert df["ordering_provider_id"].to_list() == ["P003AB", None]


def test_walk_and_listing_tables(tmp_path):
    for rel in (
        f"files/p10/p10000032/s50414267/{D1}.jpg",
        f"files/p10/p10000032/s50414267/{D2}.jpg",
        "files/p10/p10000032/s50414267.txt",
        "files/p10/p10000032/s53189527.txt",
        "files/p10/p10000032/notes.md",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    listing = tree.walk_files(tmp_path)
    assert sorted(listing["kind"].to_list()) == ["image", "image", "other", "report", "report"]
    recs = tables.listing_records(listing)
    assert recs.columns == ["subject_id", "study_id", "dicom_id", "path"]
    assert recs["dicom_id"].to_list() == sorted([D1, D2])
    studies = tables.listing_studies(listing)
    assert studies["study_id"].to_list() == [50414267, 53189527]
    assert studies["path"].to_list() == [
        "files/p10/p10000032/s50414267.txt",
        "files/p10/p10000032/s53189527.txt",
    ]


def test_image_filenames(tmp_path):
    path = tmp_path / "IMAGE_FILENAMES"
    path.write_text(f"files/p10/p10000032/s50414267/{D1}.jpg\n\nfiles/p10/p10000032/s50414267/{D2}.jpg\n")
    recs = tables.listing_records(tree.read_image_filenames(path))
    assert recs.height == 2 and set(recs["study_id"]) == {50414267}


def test_a_failed_copy_warns_and_the_next_call_reads_the_file_again(tmp_path, monkeypatch):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,x\n")
    cache = Cache(tmp_path / "cache")

    def broken(*args):
        raise OSError("disk full")

    monkeypatch.setattr(cache, "atomic_path", broken)  # the copy is written through the cache

    def first_call() -> int:
        height = tables.load_table(path, "studies", cache=cache).collect().height
        tables.wait_for_cache_writes()
        return height

    with pytest.warns(UserWarning, match="could not cache the studies table.*disk full"):
        assert first_call() == 1
    monkeypatch.undo()
    assert tables.load_table(path, "studies", cache=cache).collect().height == 1
    tables.wait_for_cache_writes()
    assert len(list((tmp_path / "cache").rglob("studies-*.parquet"))) == 1


def test_first_cached_call_has_the_copy_on_disk_and_the_same_typed_values(tmp_path):
    path = tmp_path / "mimic-cxr-2.0.0-metadata.csv.gz"
    write_gz(
        path,
        META_HEADER + "\n"
        f"{D1},10000032,50414267,CHEST (PA AND LAT),PA,3056,2544,21800506,80556.875,"
        "Chest PA,postero-anterior,Erect\n"
        f"{D2},10000032,50414267,CHEST (PA AND LAT),,3056,2544,21800506,213014.0,,,\n",
    )
    cache = Cache(tmp_path / "cache")
    first = tables.load_table(path, "metadata", cache=cache)
    assert len(list((tmp_path / "cache").rglob("metadata-*.parquet"))) == 1, "written before the call returns"
    assert not list((tmp_path / "cache").rglob("*.tmp"))
    expected = tables.load_table(path, "metadata").collect()
    for lf in (first, tables.load_table(path, "metadata", cache=cache)):
        df = lf.collect()
        assert df.schema == expected.schema and df.equals(expected)


def test_a_bad_value_in_a_column_the_query_never_reads_still_raises_on_the_first_call(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,x\n10000033,oops,y\n")
    with pytest.raises(TableError) as info:
        tables.load_table(path, "studies", cache=Cache(tmp_path / "c")).select("subject_id")
    assert str(path) in str(info.value) and "oops" in str(info.value)


def test_concurrent_first_calls_build_the_copy_once(tmp_path, monkeypatch):
    import threading

    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, "subject_id,study_id,path\n" + "10000032,50414267,x\n" * 1000)
    cache = Cache(tmp_path / "cache")
    builds = []
    real = cache.atomic_path

    def counting(path):  # each build writes its copy through the cache, once
        builds.append(1)
        return real(path)

    monkeypatch.setattr(cache, "atomic_path", counting)
    heights = []
    threads = [
        threading.Thread(
            target=lambda: heights.append(tables.load_table(path, "studies", cache=cache).collect().height)
        )
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert heights == [1000] * 4 and len(builds) == 1


# --- large files: the first call answers from a snapshot, the copy is built in the background -------------


@pytest.fixture
def background(monkeypatch):
    """Every file counts as large (the real lists are 10+ MB): the first call takes the snapshot path."""
    monkeypatch.setattr(tables, "SYNC_BELOW_BYTES", 0)
    yield
    tables.wait_for_cache_writes()


STUDIES = "subject_id,study_id,path\n" + "".join(f"1000{i:04d},5000{i:04d},p{i}\n" for i in range(300))


def test_a_large_table_is_answered_at_once_and_copied_in_the_background(tmp_path, background):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, STUDIES)
    cache = Cache(tmp_path / "cache")
    first = tables.load_table(path, "studies", cache=cache)
    expected = tables.load_table(path, "studies").collect()
    assert first.select("subject_id").collect().equals(expected.select("subject_id"))
    tables.wait_for_cache_writes()
    copies = list((tmp_path / "cache").rglob("studies-*.parquet"))
    assert len(copies) == 1 and not list((tmp_path / "cache").rglob("*.tmp"))
    later = tables.load_table(path, "studies", cache=cache)
    assert later.collect().equals(expected) and first.collect().equals(expected)
    assert "parquet" in later.explain().lower() and "parquet" not in first.explain().lower()


def test_a_first_call_frame_keeps_the_table_as_it_was_when_the_file_is_rewritten_in_place(
    tmp_path, background
):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, STUDIES)
    cache = Cache(tmp_path / "cache")
    held = tables.load_table(path, "studies", cache=cache)
    inode = path.stat().st_ino
    write_gz(path, "subject_id,study_id,path\n10000032,50414267,a\n")  # same inode, new bytes
    assert path.stat().st_ino == inode
    assert held.collect().height == 300, "the frame reads its snapshot, not the file as it is now"
    tables.wait_for_cache_writes()
    assert tables.load_table(path, "studies", cache=cache).collect().height == 1
    assert held.collect().height == 300


def test_a_truncated_large_file_warns_and_the_next_call_raises(tmp_path, background):
    path = tmp_path / "cxr-study-list.csv.gz"
    body = "subject_id,study_id,path\n" + "10000032,50414267,files/p10/p10000032/s50414267.txt\n" * 50_000
    path.write_bytes(gzip.compress(body.encode(), mtime=0)[:-5000])
    cache = Cache(tmp_path / "cache")
    with warnings.catch_warnings(record=True) as caught:  # the build's thread may warn at once
        warnings.simplefilter("always")
        tables.load_table(path, "studies", cache=cache)  # answers lazily; the build finds the damage
        tables.wait_for_cache_writes()
    assert any("truncated or corrupt" in str(w.message) for w in caught)
    with pytest.raises(TableError) as info:
        tables.load_table(path, "studies", cache=cache)
    assert str(path) in str(info.value) and "re-download" in str(info.value)
    assert not list((tmp_path / "cache").rglob("*.parquet")) and not list((tmp_path / "cache").rglob("*.tmp"))


def test_a_bad_value_in_an_unread_column_of_a_large_file_is_an_error_on_the_next_call(tmp_path, background):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, STUDIES + "10000033,oops,y\n")
    cache = Cache(tmp_path / "cache")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = tables.load_table(path, "studies", cache=cache)
        assert first.select("subject_id").collect().height == 301  # the query never reads the bad column
        tables.wait_for_cache_writes()
    assert any("oops" in str(w.message) for w in caught)
    with pytest.raises(TableError, match="oops"):
        tables.load_table(path, "studies", cache=cache)
    write_gz(path, STUDIES)  # fixed: a new file, a new copy
    assert tables.load_table(path, "studies", cache=cache).collect().height == 300


def test_snapshots_are_removed_when_the_process_exits(tmp_path):
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, STUDIES)
    code = (
        "import sys; from cxrkit import tables; from cxrkit.storage import Cache\n"
        "tables.SYNC_BELOW_BYTES = 0\n"
        "lf = tables.load_table(sys.argv[1], 'studies', cache=Cache(sys.argv[2]))\n"
        "print(lf.collect().height)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(tmp_path / "cache")],
        check=False,
        capture_output=True,
        text=True,
    )
    assert out.stdout.strip() == "300", out.stderr
    assert len(list((tmp_path / "cache").rglob("studies-*.parquet"))) == 1, "the exit waits for the copy"
    assert not list((tmp_path / "cache").rglob("*.snap*")), "the snapshot goes with its process"


def test_a_first_query_that_reads_damaged_data_raises_a_table_error_naming_the_file(tmp_path, background):
    """The first call answers from a snapshot lazily: the query that runs into the damage gets the kit's
    error naming the user's file (never the snapshot's name, never a bare polars error)."""
    path = tmp_path / "cxr-study-list.csv.gz"
    write_gz(path, STUDIES + "10000033,oops,y\n")
    cut = tmp_path / "cut" / "cxr-study-list.csv.gz"
    cut.parent.mkdir()
    rows = STUDIES.split("\n", 1)[1]
    cut.write_bytes(gzip.compress((STUDIES + rows * 200).encode(), mtime=0)[:-3000])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the background builds warn too (tested above)
        first = tables.load_table(path, "studies", cache=Cache(tmp_path / "cache"))
        with pytest.raises(TableError) as info:
            first.filter(pl.col("study_id") > 0).collect()
        assert str(path) in str(info.value) and "oops" in str(info.value) and ".snap" not in str(info.value)
        assert first.select("subject_id").collect().height == 301  # other columns still answer
        truncated = tables.load_table(cut, "studies", cache=Cache(tmp_path / "cache2"))
        with pytest.raises(TableError, match="re-download") as info:
            truncated.select(pl.len()).collect()
        assert str(cut) in str(info.value)
