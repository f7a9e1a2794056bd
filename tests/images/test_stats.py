from __future__ import annotations

import concurrent.futures as cf
import os

import numpy as np
import polars as pl
import pydicom
import pydicom.data
import pytest
from _dicom_factory import base_dataset, bundled, gzip_copy, mimic_path, phantom, write
from PIL import Image
from polars.testing import assert_frame_equal
from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian, JPEG2000Lossless, RLELossless

from cxrkit import images
from cxrkit.images import stats as imagestats
from cxrkit.storage import Cache


@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """Good files of several kinds plus one of each bad kind, in a MIMIC-shaped tree."""
    root = tmp_path_factory.mktemp("tree")
    good = []
    for i, syntax in enumerate(
        [ExplicitVRLittleEndian, ImplicitVRLittleEndian, RLELossless, JPEG2000Lossless]
    ):
        pixels = phantom(48 + i, 64, bits=12, seed=i, signed=(i == 1))
        good.append(
            write(base_dataset(pixels, view=["PA", "AP", "LATERAL", "PA"][i]), mimic_path(root, i), syntax)
        )
    good.append(write(base_dataset(phantom(300, 260, bits=16, seed=9), bits_stored=16), mimic_path(root, 4)))
    good.append(gzip_copy(good[0], mimic_path(root, 5, ".dcm.gz")))
    jpg = mimic_path(root, 6, ".jpg")
    Image.fromarray(phantom(bits=8)).save(jpg, quality=95)
    good.append(jpg)
    bad = {}
    data = good[0].read_bytes()
    bad["truncated"] = mimic_path(root, 7)
    bad["truncated"].write_bytes(data[:-500])
    bad["not_dicom"] = mimic_path(root, 8)
    bad["not_dicom"].write_bytes(b"<html>403 Forbidden</html>" * 10)
    gz = good[5].read_bytes()
    bad["cut_gzip"] = mimic_path(root, 9, ".dcm.gz")
    bad["cut_gzip"].write_bytes(gz[: len(gz) // 2])
    bad["colour"] = bundled("SC_rgb_small_odd.dcm")
    bad["missing"] = mimic_path(root, 10)
    return root, good, bad


def _paths(tree):
    _, good, bad = tree
    return [str(p) for p in [*good, *bad.values()]]


def test_header_table_rows_types_and_errors(tree, tmp_path):
    _, good, bad = tree
    paths = _paths(tree)
    df = imagestats.header_table(paths, progress=False, cache=tmp_path)
    assert df.schema == pl.Schema(imagestats.HEADER_SCHEMA)
    assert df.get_column("path").to_list() == [os.path.abspath(p) for p in paths]
    for row, path in zip(df.head(len(good)).iter_rows(named=True), good):
        assert row["error"] is None
        header = images.read_header(path)
        expected = {k: (list(v) if isinstance(v, tuple) else v) for k, v in header.items()}
        assert {k: row[k] for k in images.HEADER_KEYS} == expected
    errors = dict(
        zip(df.get_column("path").to_list()[len(good) :], df.get_column("error").to_list()[len(good) :])
    )
    assert (
        errors[str(bad["truncated"])].startswith("CorruptImageError")
        and "truncated" in errors[str(bad["truncated"])]
    )
    assert errors[str(bad["not_dicom"])].startswith("NotAnImageError")
    assert errors[str(bad["cut_gzip"])].startswith("CorruptImageError")
    assert errors[str(bad["missing"])].startswith("MissingFileError")
    assert errors[str(bad["colour"])] is None  # a colour file has a readable header
    missing = df.filter(pl.col("path") == str(bad["missing"]))
    assert missing.get_column("dicom_id").item() is not None  # ids come from the path even for bad files


def test_pixel_stats_equal_numpy(tree, tmp_path):
    _, good, bad = tree
    df = imagestats.pixel_stats([*good, *bad.values()], progress=False, cache=tmp_path)
    assert df.schema == pl.Schema(imagestats.STATS_SCHEMA)
    for row, path in zip(df.head(len(good)).iter_rows(named=True), good):
        assert row["error"] is None, row["error"]
        a = (
            images.read_stored(path)
            if str(path).endswith((".gz", ".jpg"))
            else pydicom.dcmread(path).pixel_array
        )
        if not str(path).endswith((".gz", ".jpg")):
            np.testing.assert_array_equal(images.read_stored(path), a)
        a = a.astype(np.float64)
        assert (row["min"], row["max"], row["n_pixels"]) == (a.min(), a.max(), a.size)
        assert row["mean"] == pytest.approx(a.mean(), rel=1e-12)
        assert row["std"] == pytest.approx(a.std(), rel=1e-9)
        assert [row["p1"], row["p50"], row["p99"]] == pytest.approx(np.percentile(a, [1, 50, 99]).tolist())
        assert row["frac_at_min"] == pytest.approx(np.mean(a == a.min()))
        assert row["frac_at_max"] == pytest.approx(np.mean(a == a.max()))
        hist, _ = np.histogram(a, bins=64, range=(row["hist_lo"], row["hist_hi"]))
        assert row["histogram"] == hist.tolist() and len(row["histogram"]) == 64
        assert row["hist_hi"] - row["hist_lo"] == 2 ** row["bits_stored"]
    errors = df.tail(len(bad)).get_column("error").to_list()
    assert all(e is not None for e in errors)
    assert errors[list(bad).index("colour")].startswith("UnsupportedImageError")
    assert errors[list(bad).index("truncated")].startswith("CorruptImageError")


@pytest.mark.filterwarnings("ignore")
def test_pixel_stats_of_every_bundled_file_equal_numpy_or_error():
    import glob

    root = os.path.dirname(pydicom.data.__file__)
    paths = sorted(glob.glob(os.path.join(root, "**", "*.dcm"), recursive=True))
    df = imagestats.pixel_stats(paths, executor="serial", progress=False, cache=False)
    measured = 0
    for row in df.iter_rows(named=True):
        if row["error"] is not None:
            assert row["error"].split(":")[0].endswith("Error")
            continue
        a = pydicom.dcmread(row["path"]).pixel_array.astype(np.float64)
        assert (row["min"], row["max"]) == (a.min(), a.max()), row["path"]
        assert row["mean"] == pytest.approx(a.mean()) and row["std"] == pytest.approx(a.std())
        assert [row["p1"], row["p50"], row["p99"]] == pytest.approx(np.percentile(a, [1, 50, 99]).tolist())
        measured += 1
    assert measured >= 30


def test_pixel_stats_chunked_equals_whole(tree, monkeypatch):
    _, good, _ = tree
    whole = imagestats.pixel_stats(good, progress=False, cache=False, executor="serial")
    monkeypatch.setattr(imagestats, "CHUNK_PIXELS", 1000)  # many chunks per image, odd boundaries
    chunked = imagestats.pixel_stats(good, progress=False, cache=False, executor="serial")
    assert_frame_equal(whole, chunked)


def test_stats_from_counts_percentiles_match_numpy():
    rng = np.random.default_rng(1)
    for size in (1, 2, 7, 1000):
        a = rng.integers(0, 50, size=size)
        s = imagestats.stats_from_counts(np.bincount(a), bits_stored=6)
        assert [s["p1"], s["p50"], s["p99"]] == pytest.approx(np.percentile(a, [1, 50, 99]).tolist())


class FakeDataset:
    """Duck-typed stand-in for cxrkit.Dataset: image_files() and cache."""

    def __init__(self, root, files, cache):
        self.cache = Cache(cache)
        self._files = files

    def image_files(self):
        return pl.DataFrame(
            {
                "subject_id": [1] * len(self._files),
                "study_id": [5] * len(self._files),
                "dicom_id": ["x"] * len(self._files),
                "file": self._files,
            }
        )


def test_dataset_like_input_uses_its_files_and_cache(tree, tmp_path):
    root, good, _ = tree
    files = [str(good[0]), None, str(good[2])]
    ds = FakeDataset(root, files, tmp_path / "dscache")
    df = imagestats.header_table(ds, progress=False)
    assert df.get_column("path").to_list() == [str(good[0]), str(good[2])]
    assert (tmp_path / "dscache" / "images" / f"headers-v{imagestats.TABLE_VERSION}.arrow").exists()


def test_incremental_cache_reads_only_new_or_changed_files(tree, tmp_path, monkeypatch):
    _, good, _ = tree
    work = tmp_path / "copies"
    copies = []
    for i, src in enumerate(good[:4]):
        dst = mimic_path(work, i)
        dst.write_bytes(src.read_bytes())
        copies.append(str(dst))
    calls = []
    real = imagestats.read_header  # what each file's header row is read with: per file, or in a batch
    monkeypatch.setattr(imagestats, "read_header", lambda p, **k: calls.append(p) or real(p, **k))
    batch = imagestats.header_frame

    def batch_spy(paths, *args):
        frame, rest = batch(paths, *args)
        calls.extend(frame["path"].to_list())  # the rest go on to read_header
        return frame, rest

    monkeypatch.setattr(imagestats, "header_frame", batch_spy)
    monkeypatch.setattr(imagestats, "BATCH_MIN", 1)  # batched at any size here
    kwargs = {"progress": False, "cache": tmp_path / "cache", "executor": "serial"}

    first = imagestats.header_table(copies[:3], **kwargs)
    assert sorted(calls) == sorted(copies[:3])
    calls.clear()
    again = imagestats.header_table(copies[:3], **kwargs)
    assert calls == []
    assert_frame_equal(first, again)

    # one new file, one changed file (new view position, new mtime): only those two are read
    ds = pydicom.dcmread(copies[1])
    ds.ViewPosition = "LL"
    ds.save_as(copies[1])
    os.utime(copies[1], ns=(1, 10**18))
    third = imagestats.header_table(copies, **kwargs)
    assert sorted(calls) == sorted([copies[1], copies[3]])
    assert third.get_column("ViewPosition").to_list()[:2] == [first["ViewPosition"][0], "LL"]
    assert_frame_equal(third.head(1), first.head(1))
    calls.clear()
    imagestats.header_table(list(reversed(copies)), **kwargs)
    assert calls == []


def test_errors_from_missing_plugins_are_not_cached(tree, tmp_path, monkeypatch):
    _, good, bad = tree
    kwargs = {"progress": False, "cache": tmp_path, "executor": "serial"}

    def no_plugin(path):
        raise images.UndecodableImageError(f"{path}: install pylibjpeg-openjpeg")

    monkeypatch.setattr(imagestats, "stored_counts", no_plugin)  # what each file's stats row is read with
    first = imagestats.pixel_stats([good[3], bad["not_dicom"]], **kwargs)
    assert first.get_column("error").str.starts_with("UndecodableImageError").to_list() == [True, True]
    monkeypatch.undo()
    second = imagestats.pixel_stats([good[3], bad["not_dicom"]], **kwargs)
    assert second.get_column("error").to_list()[0] is None  # retried once the plugin is there
    assert second.get_column("error").to_list()[1].startswith("NotAnImageError")


def test_cache_false_writes_nothing_and_damaged_cache_is_rebuilt(tree, tmp_path):
    _, good, _ = tree
    cache = Cache(tmp_path / "c")
    imagestats.pixel_stats(good[:2], progress=False, cache=False, executor="serial")
    assert not (tmp_path / "c").exists()
    entry = cache.path("images", f"pixel-stats-v{imagestats.TABLE_VERSION}.arrow")
    entry.parent.mkdir(parents=True)
    entry.write_bytes(b"not arrow")
    df = imagestats.pixel_stats(good[:2], progress=False, cache=cache, executor="serial")
    assert df.get_column("error").null_count() == 2
    assert pl.read_ipc(entry).height == 2


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    with cluster, distributed.Client(cluster) as client:
        yield client


@pytest.mark.parametrize("table", [imagestats.header_table, imagestats.pixel_stats])
def test_same_table_on_process_pool_and_dask(tree, dask_client, table):
    paths = _paths(tree)
    with cf.ProcessPoolExecutor(max_workers=2) as pool:
        on_pool = table(paths, executor=pool, progress=False, cache=False)
    on_dask = table(paths, executor=dask_client, progress=False, cache=False)
    serial = table(paths, executor="serial", progress=False, cache=False)
    assert_frame_equal(on_pool, on_dask)
    assert_frame_equal(on_pool, serial)


def test_dask_threads_cluster(tree):
    distributed = pytest.importorskip("distributed")
    paths = _paths(tree)
    cluster = distributed.LocalCluster(n_workers=1, processes=False, dashboard_address=":0")
    with cluster, distributed.Client(cluster) as client:
        on_threads = imagestats.header_table(paths, executor=client, progress=False, cache=False)
    assert_frame_equal(
        on_threads, imagestats.header_table(paths, executor="serial", progress=False, cache=False)
    )


def test_shared_pool_for_many_files(tree, tmp_path):
    _, good, _ = tree
    df = imagestats.header_table(good * 3, progress=False, cache=tmp_path, executor="pool")
    assert df.height == len(good) * 3 and df.get_column("error").null_count() == df.height
    assert_frame_equal(df, imagestats.header_table(good * 3, progress=False, cache=False, executor="serial"))


def test_pixel_estimate_from_cached_headers(tree, tmp_path, monkeypatch):
    _, good, _ = tree
    raw = [str(good[0]), str(good[4])]  # explicit VR little endian, uncompressed
    seen = []
    real = imagestats.map_paths

    def spy(*args, **kwargs):
        seen.append(kwargs.get("item_seconds"))
        return real(*args, **kwargs)

    monkeypatch.setattr(imagestats, "map_paths", spy)
    imagestats.pixel_stats(raw, progress=False, cache=tmp_path)  # no headers cached: time the first files
    imagestats.header_table(raw, progress=False, cache=tmp_path)
    imagestats.pixel_stats(raw, progress=False, cache=tmp_path, refresh=True)
    imagestats.pixel_stats([*raw, str(good[2])], progress=False, cache=tmp_path, refresh=True)  # RLE: timed
    pixels = (48 * 64 + 300 * 260) / 2
    assert seen[0] is None and seen[-1] is None
    assert seen[2] == pytest.approx(pixels * imagestats.STATS_PIXEL_S)


def test_list_columns_built_from_arrays_equal_polars_conversion():
    for values, dtype in [
        ([(0.1, 0.2), None, (0.3, 0.4)], pl.List(pl.Float64)),
        ([[1, 2, 3]] * 3, pl.List(pl.Int64)),
        ([None, None], pl.List(pl.Float64)),
        ([[1.0], [1.0, 2.0]], pl.List(pl.Float64)),
        ([(0.1, None), (0.3, 0.4)], pl.List(pl.Float64)),
        ([], pl.List(pl.Int64)),
    ]:
        got = imagestats.typed_column("c", values, dtype)
        assert got.dtype == dtype and got.to_list() == pl.Series("c", values, dtype=dtype).to_list(), values
