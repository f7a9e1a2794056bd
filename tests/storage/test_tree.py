"""The walk of files/ and its narrower questions, on small hand-made trees."""

from __future__ import annotations

from cxrkit.storage import tree

D1 = "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014"
D2 = "174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962"


def test_has_report_files_looks_until_a_report_turns_up(tmp_path):
    assert not tree.has_report_files(tmp_path)  # no files/ at all
    for rel in (f"files/p10/p10000032/s50414267/{D1}.jpg", f"files/p11/p11000011/s51000011/{D2}.jpg"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    (tmp_path / "files/p11/p11000011/notes.txt").write_text("not a report")
    assert not tree.has_report_files(tmp_path)  # a JPG-like copy
    (tmp_path / "files/p11/p11000011/s51000011.txt").write_text(" FINDINGS: Clear.")
    assert tree.has_report_files(tmp_path)  # in the last patient folder only


def test_first_image_ext_passes_over_folders_without_images(tmp_path):
    assert tree.first_image_ext(tmp_path) is None
    (tmp_path / "files/p10/p10000032").mkdir(parents=True)
    (tmp_path / "files/p10/p10000032/s50414267.txt").write_text(" FINDINGS: Clear.")  # reports only
    (tmp_path / "files/p10/p10000033/s50000001").mkdir(parents=True)  # an empty study folder
    assert tree.first_image_ext(tmp_path) is None
    (tmp_path / f"files/p11/p11000011/s51000011/{D1}.jpg").parent.mkdir(parents=True)
    (tmp_path / f"files/p11/p11000011/s51000011/{D1}.jpg").write_bytes(b"")
    (tmp_path / f"files/p11/p11000011/s51000011/{D2}.dcm").write_bytes(b"")
    assert tree.first_image_ext(tmp_path) == ".jpg"  # the first file in sorted order (D1 < D2)


def test_walk_progress_counts_patient_folders(tmp_path, monkeypatch):
    import tqdm.auto

    for rel in (
        f"files/p10/p10000032/s50414267/{D1}.dcm",
        "files/p10/p10000032/s50414267.txt",
        f"files/p11/p11000011/s51000011/{D2}.dcm",
        "files/p12/p12000012/s52000012.txt",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"")
    bars = []
    real = tqdm.auto.tqdm

    def spy(*args, **kwargs):
        bars.append(real(*args, **kwargs))
        return bars[-1]

    monkeypatch.setattr(tqdm.auto, "tqdm", spy)
    listing = tree.walk_files(tmp_path, progress=True)
    assert listing.height == 4
    assert len(bars) == 1 and bars[0].total == 3 and bars[0].n == 3
    assert listing.equals(tree.walk_files(tmp_path))  # the bar changes nothing in the answer
