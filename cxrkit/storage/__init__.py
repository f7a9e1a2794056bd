"""Bytes: reading files (``.gz`` transparently), the cache, scans over many files, the walk of ``files/``, and
the sources a copy's files come from (a local folder, or a URL mirrored on demand).

Modules, from the bottom up: :mod:`~cxrkit.storage.files` (opening files), :mod:`~cxrkit.storage.cache`,
:mod:`~cxrkit.storage.scan` (any executor, error rows), :mod:`~cxrkit.storage.tree` (the walk of ``files/``),
:mod:`~cxrkit.storage.backend` (the :class:`Source` interface, :func:`fetch_file`),
:mod:`~cxrkit.storage.local` and :mod:`~cxrkit.storage.remote` (the two sources), and
:mod:`~cxrkit.storage.sources` (:func:`open_source`, which picks one).

Examples
--------
>>> import gzip, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.txt.gz"
>>> _ = p.write_bytes(gzip.compress(b"hello"))
>>> read_bytes(p), read_head(p, 2)
(b'hello', b'he')
"""

from .backend import Source, fetch_file, read_sha256sums, sha256_file
from .cache import Cache, default_cache_dir, file_identity, identity_key, sweep_orphans
from .checksums import verify_checksums
from .files import (
    gzip_size,
    is_gzip,
    open_binary,
    read_bytes,
    read_chunks,
    read_head,
    read_head_line,
    read_into,
)
from .local import LocalSource
from .remote import RemoteSource
from .scan import choose_executor, default_workers, map_paths, pool_is_warm, shared_pool, shutdown_pool
from .sources import is_url, open_source
from .tree import walk_files

__all__ = [
    "Cache",
    "LocalSource",
    "RemoteSource",
    "Source",
    "choose_executor",
    "default_cache_dir",
    "default_workers",
    "fetch_file",
    "file_identity",
    "gzip_size",
    "identity_key",
    "is_gzip",
    "is_url",
    "map_paths",
    "open_binary",
    "open_source",
    "pool_is_warm",
    "read_bytes",
    "read_chunks",
    "read_head",
    "read_head_line",
    "read_into",
    "read_sha256sums",
    "sha256_file",
    "shared_pool",
    "shutdown_pool",
    "sweep_orphans",
    "verify_checksums",
    "walk_files",
]
