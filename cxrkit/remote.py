"""Moved to :mod:`cxrkit.storage.remote` (the remote source), :mod:`cxrkit.storage.backend` (fetching a file)
and :func:`cxrkit.images.header_table` (headers by ranged reads)."""

from ._moved import alias

__getattr__, __dir__ = alias(
    __name__,
    "cxrkit.storage.remote",
    {
        "Mirror": "cxrkit.storage.remote:RemoteSource",
        "Source": "cxrkit.storage.backend:Source",
        "fetch_file": "cxrkit.storage.backend:fetch_file",
        "sha256_file": "cxrkit.storage.backend:sha256_file",
        "read_sha256sums": "cxrkit.storage.backend:read_sha256sums",
        "LocalSource": "cxrkit.storage.local:LocalSource",
        "is_url": "cxrkit.storage.sources:is_url",
        "header_table": "cxrkit.images.stats:header_table",
        "image_rels": "cxrkit.layout:safe_image_paths",
        "download": "cxrkit.download:download",
        "RemoteError": "cxrkit.errors:RemoteError",
        "RemoteAuthError": "cxrkit.errors:RemoteAuthError",
        "MissingExtraError": "cxrkit.errors:MissingExtraError",
        "SHA256SUMS": "cxrkit.layout:SHA256SUMS",
    },
)
