"""cxrkit.reports.corpus: read_reports, read_sections and ingest_reports over a files/ tree or the reports
zip, in parallel, and their cache."""

from __future__ import annotations

import shutil
import threading
import zipfile

import polars as pl
import pytest
from _report_files import REPORTS, mimic, write_tree, write_zip

from cxrkit import reports
from cxrkit.errors import ReportReadError
from cxrkit.reports import (
    SECTION_COLUMNS,
    corpus,
    ingest_reports,
    parse_sections,
    read_reports,
    read_sections,
)
from cxrkit.storage import Cache, tree


def test_read_reports_from_a_folder(tmp_path):
    root = write_tree(tmp_path / "root")
    df = read_reports(root, cache=False, executor="serial", progress=False)
    assert df.columns == ["subject_id", "study_id", "text", "path", "error"]
    assert df.schema["subject_id"] == pl.Int64 and df.schema["study_id"] == pl.Int64
    assert df.select("subject_id", "study_id").rows() == sorted(REPORTS)
    assert df["error"].null_count() == df.height
    assert df.filter(pl.col("study_id") == 50414267)["path"].item() == "files/p10/p10000032/s50414267.txt"
    assert df.filter(pl.col("study_id") == 50414267)["text"].item() == REPORTS[(10000032, 50414267)]


def test_read_reports_given_paths_with_one_unreadable(tmp_path):
    root = write_tree(tmp_path / "root")
    rels = ["files/p10/p10000032/s50414267.txt", "files/p10/p10000032/s59999999.txt"]
    with pytest.warns(reports.ReportIngestWarning, match="1 report"):
        df = read_reports(root, paths=rels, cache=False, executor="serial", progress=False)
    assert df.height == 2
    bad = df.filter(pl.col("study_id") == 59999999)
    assert bad["text"].item() is None
    assert "s59999999.txt" in bad["error"].item()
    assert df.filter(pl.col("study_id") == 50414267)["error"].item() is None


def test_read_reports_non_utf8_and_crlf_in_the_corpus(tmp_path):
    root = write_tree(tmp_path / "root", {(13000001, 53333333): b" FINDINGS: \xe9panchement.\r\n"})
    df = read_reports(root, cache=False, executor="serial", progress=False)
    assert df.filter(pl.col("study_id") == 53333333)["text"].item() == " FINDINGS: épanchement.\n"


def test_missing_source_and_folder_without_files(tmp_path):
    with pytest.raises(ReportReadError, match="no such file"):
        read_reports(tmp_path / "nope", cache=False)
    with pytest.raises(ReportReadError, match="no files/ folder"):
        read_reports(tmp_path, cache=False)


def test_cache_second_call_does_not_read_files(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    first = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert first.detail["cached"] is False
    assert [p.name for p in (tmp_path / "cache" / "reports").glob("corpus-*/entry.json")]  # on disk already

    def boom(task):
        raise AssertionError("the cache was not used")

    monkeypatch.setattr(corpus, "read_chunk", boom)
    second = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert second.detail["cached"] is True
    assert second.frame.equals(first.frame)
    sections = read_sections(root, cache=cache, executor="serial", progress=False)  # same entry
    assert sections.filter(pl.col("study_id") == 50414267)["impression"].item() == "Normal."
    assert "text" not in sections.columns


def _entry(tmp_path):
    (entry,) = (tmp_path / "cache" / "reports").glob("corpus-*")
    return entry


def test_the_entry_is_written_chunk_by_chunk_in_order_and_complete_on_return(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    first = ingest_reports(root, cache=cache, progress=False, sections=True)
    patients = tree.patient_dirs(root)
    entry = _entry(tmp_path)
    chunks = sorted(entry.glob("*.parquet"))
    assert [p.name for p in chunks] == [f"{i:05d}.parquet" for i in range(len(patients))]
    # each file holds its patient's reports, texts and sections, in the corpus order
    for path, patient in zip(chunks, patients, strict=True):
        part = pl.read_parquet(path)
        assert part.columns == first.frame.columns
        assert part["path"].str.starts_with(patient + "/").all()
    assert pl.concat([pl.read_parquet(p) for p in chunks]).equals(first.frame)
    assert not [p for p in entry.parent.iterdir() if p.name.endswith(".tmp")]  # no temporary folder left
    monkeypatch.setattr(corpus, "read_chunk", lambda task: pytest.fail("the entry was not used"))
    again = read_sections(root, cache=cache, progress=False, keep_text=True)
    assert again.equals(first.frame)


def test_a_damaged_chunk_file_or_a_missing_one_is_read_again(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    first = read_sections(root, cache=cache, progress=False)
    chunks = sorted(_entry(tmp_path).glob("*.parquet"))
    data = chunks[1].read_bytes()
    chunks[1].write_bytes(data[: len(data) // 2])  # cut
    again = ingest_reports(root, cache=cache, progress=False, sections=True)
    assert again.detail["cached"] is False and again.frame.drop("text").equals(first)
    assert (
        ingest_reports(root, cache=cache, progress=False).detail["cached"] is True
    )  # the entry was rewritten
    max(_entry(tmp_path).glob("*.parquet")).unlink()  # missing
    assert ingest_reports(root, cache=cache, progress=False).detail["cached"] is False
    (_entry(tmp_path) / "entry.json").write_text("{not json")
    assert ingest_reports(root, cache=cache, progress=False).detail["cached"] is False
    assert read_sections(root, cache=cache, progress=False).equals(first)


def test_an_interrupted_ingest_leaves_no_entry_and_no_temporary_folder(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    patients = tree.patient_dirs(root)
    real = corpus._finish

    def interrupted(frame, error, names, *args):  # the last chunk is interrupted, the others are written
        if frame is not None and frame["path"].str.starts_with(patients[-1] + "/").any():
            raise KeyboardInterrupt
        return real(frame, error, names, *args)

    monkeypatch.setattr(corpus, "_finish", interrupted)
    with pytest.raises(KeyboardInterrupt):
        read_sections(root, cache=cache, progress=False)
    assert not list((tmp_path / "cache" / "reports").iterdir())
    monkeypatch.setattr(corpus, "_finish", real)
    assert ingest_reports(root, cache=cache, progress=False).detail["cached"] is False


def test_an_entry_of_an_unsorted_zip_reads_back_sorted(tmp_path):
    z = tmp_path / "r.zip"
    with zipfile.ZipFile(z, "w") as zf:  # members in reverse study order
        for (subject, study), text in sorted(REPORTS.items(), reverse=True):
            zf.writestr(f"files/p{str(subject)[:2]}/p{subject}/s{study}.txt", text)
    cache = Cache(tmp_path / "cache")
    first = read_sections(z, cache=cache, progress=False, keep_text=True)
    assert first.select("subject_id", "study_id").rows() == sorted(REPORTS)
    second = ingest_reports(z, cache=cache, progress=False, sections=True)
    assert second.detail["cached"] is True and second.frame.equals(first)
    assert read_sections(z, cache=cache, progress=False).equals(first.drop("text"))


def test_a_refresh_replaces_the_entry(tmp_path):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    first = ingest_reports(root, cache=cache, progress=False)
    again = ingest_reports(root, cache=cache, progress=False, refresh=True)
    assert again.detail["cached"] is False and again.frame.equals(first.frame)
    assert [p.name for p in (tmp_path / "cache" / "reports").iterdir()] == [_entry(tmp_path).name]
    assert ingest_reports(root, cache=cache, progress=False).detail["cached"] is True


def test_cache_is_invalidated_by_a_new_patient_or_study_and_refreshed_on_demand(tmp_path):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS)
    write_tree(root, {(10000999, 58888888): mimic("IMPRESSION: New patient.")})  # a new patient folder
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS) + 1
    write_tree(root, {(10000999, 57777777): mimic("IMPRESSION: Second study.")})  # into that patient's folder
    grown = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert grown.detail["cached"] is False and grown.frame.height == len(REPORTS) + 2
    assert ingest_reports(root, cache=cache, executor="serial", progress=False).detail["cached"] is True
    again = ingest_reports(root, cache=cache, executor="serial", progress=False, refresh=True)
    assert again.detail["cached"] is False and again.frame.equals(grown.frame)


def test_zip_cache_key_follows_the_zip(tmp_path):
    z = write_zip(tmp_path / "r.zip")
    cache = Cache(tmp_path / "cache")
    with pytest.warns(reports.ReportIngestWarning):
        assert ingest_reports(z, cache=cache, executor="serial", progress=False).detail["cached"] is False
    assert ingest_reports(z, cache=cache, executor="serial", progress=False).detail["cached"] is True
    with zipfile.ZipFile(z, "a") as zf:
        zf.writestr("top/files/p19/p19999999/s59999999.txt", " IMPRESSION: New.\n")
    with pytest.warns(reports.ReportIngestWarning):
        again = ingest_reports(z, cache=cache, executor="serial", progress=False)
    assert again.detail["cached"] is False and again.frame.height == len(REPORTS) + 1


def test_read_sections_matches_parse_sections(tmp_path):
    root = write_tree(tmp_path / "root")
    df = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    for row in df.iter_rows(named=True):
        expected = parse_sections(row["text"])
        assert {k: row[k] for k in SECTION_COLUMNS} == {k: expected.get(k) for k in SECTION_COLUMNS}


def test_read_reports_with_a_thread_pool_and_small_chunks(tmp_path, monkeypatch):
    from concurrent.futures import ThreadPoolExecutor

    root = write_tree(tmp_path / "root")
    z = write_zip(tmp_path / "r.zip")
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    with ThreadPoolExecutor(2) as pool:
        folder = read_reports(root, cache=False, executor=pool, progress=False)
        with pytest.warns(reports.ReportIngestWarning):
            zipped = read_reports(z, cache=False, executor=pool, progress=False)
    assert folder.select("study_id", "text").equals(zipped.select("study_id", "text"))


def test_default_run_reads_and_sections_in_separate_threads_with_the_serial_answer(tmp_path, monkeypatch):
    root = write_tree(tmp_path / "root")
    serial = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    threads = {"read": set(), "sections": set()}
    real_read, real_sections = corpus.read_chunk, corpus.sections_frame

    def read(task):
        threads["read"].add(threading.current_thread().name)
        return real_read(task)

    def section(frame):
        threads["sections"].add(threading.current_thread().name)
        return real_sections(frame)

    monkeypatch.setattr(corpus, "read_chunk", read)
    monkeypatch.setattr(corpus, "sections_frame", section)
    local = read_sections(root, cache=False, progress=False, keep_text=True)
    assert local.equals(serial)
    assert threads["read"] and threads["sections"] and not threads["read"] & threads["sections"]

    patients = tree.patient_dirs(root)

    def fail_one(
        task,
    ):  # the first patient's folder cannot be read, the last patient's chunk cannot be sectioned
        if task[2] == patients[:1]:
            raise OSError("disk went away")
        return real_read(task)

    def fail_sections(frame):
        if frame["path"].str.starts_with(patients[-1] + "/").any():
            raise ValueError("bad chunk")
        return real_sections(frame)

    monkeypatch.setattr(corpus, "read_chunk", fail_one)
    monkeypatch.setattr(corpus, "sections_frame", fail_sections)
    with pytest.warns(reports.ReportIngestWarning):
        broken = read_sections(root, cache=False, progress=False)
    errors = dict(broken.filter(pl.col("error").is_not_null()).select("path", "error").iter_rows())
    assert errors.pop(patients[0]) == "OSError: disk went away"  # one row for the unreadable folder
    # the chunk that could not be sectioned keeps its texts, with null sections and the reason
    assert errors and all(p.startswith(patients[-1] + "/") for p in errors)
    assert set(errors.values()) == {"cannot cut into sections: ValueError: bad chunk"}
    unsectioned = broken.filter(pl.col("path").is_in(list(errors)))
    assert unsectioned.select(SECTION_COLUMNS).null_count().row(0) == (unsectioned.height,) * len(
        SECTION_COLUMNS
    )
    with pytest.warns(reports.ReportIngestWarning):
        kept = read_sections(root, cache=False, progress=False, keep_text=True)
    assert kept.filter(pl.col("path").is_in(list(errors)))["text"].null_count() == 0
    with pytest.warns(reports.ReportIngestWarning):  # a given executor keeps them too
        serial_kept = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    assert serial_kept.filter(pl.col("error").str.starts_with("cannot cut")).height == len(errors)
    good = broken.filter(pl.col("error").is_null())
    assert good.height > 0 and good.equals(
        serial.drop("text").join(good.select("path"), on="path", how="semi")
    )


def test_cache_is_invalidated_by_a_new_group_folder_and_a_patient_folder_removed(tmp_path):
    root = write_tree(tmp_path / "root")
    cache = Cache(tmp_path / "cache")
    assert read_reports(root, cache=cache, executor="serial", progress=False).height == len(REPORTS)
    write_tree(root, {(19000001, 59999991): mimic("IMPRESSION: A new pNN group.")})  # files/p19/ is new
    assert (root / "files" / "p19").is_dir()
    grown = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert grown.detail["cached"] is False and grown.frame.height == len(REPORTS) + 1
    shutil.rmtree(root / "files" / "p19" / "p19000001")  # the group stays, its only patient goes
    shrunk = ingest_reports(root, cache=cache, executor="serial", progress=False)
    assert shrunk.detail["cached"] is False and shrunk.frame.height == len(REPORTS)


@pytest.mark.parametrize(("busy_share", "counts"), [(0.95, [1]), (0.1, [1, 4])])
def test_the_local_run_adds_readers_only_while_they_wait_on_the_disk(
    tmp_path, monkeypatch, busy_share, counts
):
    """Reads report injected timings (each 1 s, busy ``busy_share`` of it): a reader busy nearly all the time
    (a warm page cache) stays alone; one mostly asleep (a cold cache) gets company, up to two readers per
    CPU. No more reads are ever in flight than the count decided."""
    root = write_tree(tmp_path / "root")
    serial = read_sections(root, cache=False, executor="serial", progress=False, keep_text=True)
    monkeypatch.setattr(corpus, "chunk_items", lambda items, executor, most: [[i] for i in items])
    monkeypatch.setattr(corpus, "_most_readers", lambda kind: 4)
    real = corpus.ReaderCount
    plans, in_flight, seen = [], [0], []
    lock = threading.Lock()

    def plan(most):
        plans.append(real(most))
        return plans[-1]

    def fake_read(task):
        with lock:
            in_flight[0] += 1
            seen.append((in_flight[0], plans[-1].wanted))
        try:
            return corpus.read_chunk(task), 1.0, busy_share
        finally:
            with lock:
                in_flight[0] -= 1

    monkeypatch.setattr(corpus, "ReaderCount", plan)
    monkeypatch.setattr(corpus, "_timed_read", fake_read)
    found = ingest_reports(root, cache=False, progress=False, sections=True)
    assert found.frame.equals(serial)
    assert found.detail["readers"] == counts == plans[-1].history
    assert all(n <= wanted for n, wanted in seen)


def test_paths_not_shaped_like_reports_get_no_ids_and_an_error(tmp_path):
    root = write_tree(tmp_path / "root")
    odd = ["notes/readme.txt", "files/p11/p10000032/s50414267.txt"]  # not a report path; the wrong group
    for rel in odd:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(" FINDINGS: Clear.\n")
    good = "files/p10/p10000032/s50414267.txt"
    with pytest.warns(reports.ReportIngestWarning, match="2 report"):
        df = read_reports(root, paths=[good, *odd], cache=False, progress=False)
    assert df["path"].to_list() == [good, odd[1], odd[0]]  # the rows without ids last, by path
    assert df.select("subject_id", "study_id").rows() == [(10000032, 50414267), (None, None), (None, None)]
    assert df["error"][0] is None
    assert all(e.endswith(": not a report path (.../pNN/pSUBJECT/sSTUDY.txt)") for e in df["error"][1:])
