"""cxrkit.storage: plain and gzip reads, heads, chunks, trailers, and one set of errors naming the file."""

from __future__ import annotations

import gzip
import os
import random

import numpy as np
import pytest

from cxrkit import storage
from cxrkit.errors import CorruptFileError, CxrkitError, MissingFileError
from cxrkit.images import CorruptImageError

#: Incompressible enough that the compressed file is about as large as the data.
DATA = random.Random(7).randbytes(300_000)


@pytest.fixture
def files(tmp_path):
    plain = tmp_path / "data.dcm"
    plain.write_bytes(DATA)
    gz = tmp_path / "data.dcm.gz"
    gz.write_bytes(gzip.compress(DATA, mtime=0))
    return {"plain": plain, "gz": gz}


def cut(tmp_path, files, keep: float = 0.5):
    data = files["gz"].read_bytes()
    path = tmp_path / "cut.dcm.gz"
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def _assert_corrupt(info, path, *words):
    message = str(info.value)
    assert os.fspath(path) in message and "re-download" in message, message
    for word in words:
        assert word in message, message


# --- reading whole files, heads, chunks ------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_read_bytes(files, kind):
    assert storage.read_bytes(files[kind]) == DATA
    assert storage.read_bytes(files[kind], 1000) == DATA[:1000]


@pytest.mark.parametrize("kind", ["plain", "gz"])
@pytest.mark.parametrize("limit", [1, 128, 4096, 8192, 65_536, len(DATA), len(DATA) + 1, 10**8])
def test_read_head_is_the_prefix(files, kind, limit):
    assert storage.read_head(files[kind], limit) == DATA[:limit]


def test_read_head_of_a_gz_shorter_than_asked_is_all_of_it(tmp_path):
    path = tmp_path / "small.dcm.gz"
    path.write_bytes(gzip.compress(b"DICM" * 10))
    assert storage.read_head(path, 8192) == b"DICM" * 10
    empty = tmp_path / "empty.dcm.gz"
    empty.write_bytes(gzip.compress(b""))
    assert storage.read_head(empty, 8192) == b""


def test_read_head_of_a_gz_inflates_only_what_the_head_needs(files, monkeypatch):
    """A head of 8 kB from a 300 kB incompressible stream reads a few kB of the file, not all of it."""
    seen = []
    real = os.read
    monkeypatch.setattr(os, "read", lambda fd, n: seen.append(n) or real(fd, n))
    assert storage.read_head(files["gz"], 8192) == DATA[:8192]
    assert 0 < sum(seen) <= 4 * 8192


def test_read_head_reads_on_through_concatenated_members(tmp_path):
    path = tmp_path / "two.dcm.gz"
    path.write_bytes(gzip.compress(b"first-") + gzip.compress(b"second"))
    assert storage.read_head(path, 100) == b"first-second" == storage.read_bytes(path)
    assert storage.read_head(path, 8) == b"first-se"


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_read_into_fills_the_buffer_from_an_offset(files, kind):
    arr = np.empty(1000, dtype="<u2")
    assert storage.read_into(files[kind], arr, offset=5000) == 2000
    assert arr.tobytes() == DATA[5000:7000]
    tail = bytearray(100)
    assert storage.read_into(files[kind], tail, offset=len(DATA) - 30) == 30  # the data ends first
    assert bytes(tail[:30]) == DATA[-30:]


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_read_chunks(files, kind):
    chunks = [bytes(c) for c in storage.read_chunks(files[kind], 70_000, offset=10)]
    assert [len(c) for c in chunks] == [70_000] * 4 + [len(DATA) - 10 - 280_000]
    assert b"".join(chunks) == DATA[10:]
    limited = [bytes(c) for c in storage.read_chunks(files[kind], 4096, offset=100, total=10_000)]
    assert [len(c) for c in limited] == [4096, 4096, 1808] and b"".join(limited) == DATA[100:10_100]
    assert list(storage.read_chunks(files[kind], 10, total=0)) == []
    with pytest.raises(ValueError, match="positive"):
        next(storage.read_chunks(files[kind], 0))


class Trickle:
    """A file that hands back at most 1000 bytes per read, as gzip and network file systems may."""

    def __init__(self, fh):
        self.fh = fh

    def readinto(self, view):
        return self.fh.readinto(view[:1000])

    def __getattr__(self, name):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()


@pytest.mark.parametrize("kind", ["plain", "gz"])
def test_short_reads_still_fill_buffers_and_chunks(files, kind, monkeypatch):
    import builtins
    import gzip as gzip_module

    from cxrkit.storage import files as files_module

    real_open, real_gzip_open = builtins.open, gzip_module.open
    monkeypatch.setattr(files_module, "open", lambda *a, **k: Trickle(real_open(*a, **k)), raising=False)
    monkeypatch.setattr(gzip_module, "open", lambda *a, **k: Trickle(real_gzip_open(*a, **k)))
    buf = bytearray(5000)
    assert storage.read_into(files[kind], buf, offset=7) == 5000 and bytes(buf) == DATA[7:5007]
    chunks = [bytes(c) for c in storage.read_chunks(files[kind], 4096, total=10_000)]
    assert [len(c) for c in chunks] == [4096, 4096, 1808] and b"".join(chunks) == DATA[:10_000]


def test_gzip_size(files, tmp_path):
    assert storage.gzip_size(files["gz"]) == len(DATA)
    tiny = tmp_path / "tiny.gz"
    tiny.write_bytes(b"\x1f\x8b\x08")
    with pytest.raises(CorruptFileError, match="too short") as info:
        storage.gzip_size(tiny)
    _assert_corrupt(info, tiny)


def test_open_binary_raw_reads_the_bytes_on_disk(files):
    with storage.open_binary(files["gz"], raw=True) as fh:
        assert fh.read() == files["gz"].read_bytes()
    with storage.open_binary(files["gz"]) as fh:
        fh.seek(100)
        assert fh.read(10) == DATA[100:110]


# --- missing, truncated and broken files -----------------------------------------------------------------

READERS = {
    "read_bytes": lambda p: storage.read_bytes(p),
    "read_head": lambda p: storage.read_head(p, 8192),
    "read_head_line": storage.read_head_line,
    "read_into": lambda p: storage.read_into(p, bytearray(10)),
    "read_chunks": lambda p: list(storage.read_chunks(p, 10)),
    "gzip_size": storage.gzip_size,
    "open_binary": lambda p: storage.open_binary(p).__enter__(),
}


@pytest.mark.parametrize("name", list(READERS))
@pytest.mark.parametrize("suffix", [".dcm", ".dcm.gz"])
def test_missing_file(tmp_path, name, suffix):
    path = tmp_path / f"absent{suffix}"
    with pytest.raises(MissingFileError, match="no such file") as info:
        READERS[name](path)
    assert str(path) in str(info.value) and isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("name", ["read_bytes", "read_into", "read_chunks"])
def test_truncated_gzip(files, tmp_path, name):
    path = cut(tmp_path, files)
    reader = {
        "read_bytes": storage.read_bytes,
        "read_chunks": lambda p: list(storage.read_chunks(p, 4096)),
        "read_into": lambda p: storage.read_into(p, bytearray(len(DATA))),
    }[name]
    with pytest.raises(CorruptFileError) as info:
        reader(path)
    _assert_corrupt(info, path, "truncated gzip stream", "cut")
    assert not isinstance(info.value, CorruptImageError)


def test_truncated_gzip_head_is_what_was_there(files, tmp_path):
    """A head asked of a cut stream gives the bytes before the cut (remote heads are partial files)."""
    path = cut(tmp_path, files, keep=0.25)
    head = storage.read_head(path, len(DATA))
    assert 0 < len(head) < len(DATA) and head == DATA[: len(head)]
    assert storage.read_head(path, 1000) == DATA[:1000]
    assert storage.gzip_size(path) != len(DATA)  # the trailer is arbitrary bytes: how a cut shows


@pytest.mark.parametrize(
    "content",
    [
        b"\x1f\x8b" + b"\x00" * 50,  # gzip magic, then nothing sensible
        b"this is not gzip at all, whatever its name says",
    ],
)
@pytest.mark.parametrize("name", ["read_bytes", "read_head", "read_head_line", "read_into", "read_chunks"])
def test_broken_gzip(tmp_path, content, name):
    path = tmp_path / "broken.dcm.gz"
    path.write_bytes(content)
    with pytest.raises(CorruptFileError) as info:
        READERS[name](path)
    _assert_corrupt(info, path)


def test_damaged_gzip_data(files, tmp_path):
    """Flipped bytes in the middle of the deflate data: zlib or the CRC check notices."""
    data = bytearray(files["gz"].read_bytes())
    data[len(data) // 2 : len(data) // 2 + 64] = bytes(64)
    path = tmp_path / "damaged.dcm.gz"
    path.write_bytes(bytes(data))
    with pytest.raises(CorruptFileError, match="broken gzip stream") as info:
        storage.read_bytes(path)
    _assert_corrupt(info, path)


def test_open_binary_maps_stream_errors_raised_in_the_block(files):
    with (
        pytest.raises(CorruptFileError, match="the file ends early") as info,
        storage.open_binary(files["plain"]),
    ):
        raise EOFError("a parser ran out of bytes")
    _assert_corrupt(info, files["plain"], "the download was cut")
    with pytest.raises(ValueError, match="other"), storage.open_binary(files["plain"]):  # others pass through
        raise ValueError("other")


def test_other_os_errors_pass_through(tmp_path):
    folder = tmp_path / "folder.dcm.gz"
    folder.mkdir()
    with pytest.raises(IsADirectoryError):
        storage.read_head(folder, 10)
    with pytest.raises(CorruptFileError, match="cannot read the header line"):  # tables want one error
        storage.read_head_line(folder)


def test_image_errors_are_storage_errors():
    assert issubclass(CorruptImageError, CorruptFileError) and issubclass(CorruptFileError, CxrkitError)
