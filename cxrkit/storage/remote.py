"""Remote copies: open MIMIC-CXR where it lives (``https://``, ``s3://``, ``gs://``, any fsspec URL) and fetch
only what is touched.

A remote root is mirrored on demand into the cache, under ``<cache>/remote/<key>/`` with the dataset's own
relative layout (``key`` is a hash of the URL without credentials), so the rest of the kit works on local
paths: a table is fetched once into the mirror (then kept as parquet like any table),
:meth:`cxrkit.Dataset.study` fetches that study's report and images, and :func:`cxrkit.images.header_table`
reads only the first kilobytes of each image with ranged requests, in parallel (:meth:`RemoteSource.heads`).
Every fetch is atomic (a ``.part`` file renamed when complete and verified against its size) and resumable (a
``.part`` left by an interrupted fetch is continued with a Range request).
Nothing touches the network unless the user opened a URL.

Credentials are looked for in this order and never logged (every log record is scrubbed of them once they are
in use: :func:`~cxrkit.storage.credentials.guard_logging`), stored in the cache, or shown in reprs and errors:

* ``storage_options=`` passed to :func:`cxrkit.open_dataset` (HTTP: ``{"username": ..., "password": ...}``;
  S3/GCS: whatever s3fs/gcsfs take, e.g. ``{"key": ..., "secret": ...}`` or ``{"requester_pays": True}``);
* for HTTP(S): ``user:password@`` in the URL (stripped at once; split as
  :func:`~cxrkit.storage.credentials.split_credentials` does, which refuses a URL whose password holds an
  unencoded ``/``, ``?`` or ``#``), the ``CXRKIT_HTTP_USER`` /
  ``CXRKIT_HTTP_PASSWORD`` environment variables, then a ``~/.netrc`` entry for the host;
* for object stores: the cloud SDK's usual places (``AWS_ACCESS_KEY_ID``/``~/.aws``,
  ``GOOGLE_APPLICATION_CREDENTIALS``/``gcloud auth application-default login``).

A refused credential raises :class:`~cxrkit.errors.RemoteAuthError`, which says where the credential came
from and where to fix it.

What is local on a remote copy: ``ds.listing`` and ``ds.image_files()`` list what has been fetched into the
mirror so far (so :func:`cxrkit.images.pixel_stats` over ``ds.image_files()`` covers those images; fetch
more with ``ds.study(...)`` or ``ds.local_file(path)``); ``header_table(ds)`` covers every listed image. The
tables are fetched whole (a gzip CSV cannot be read in ranges, so polars would download it all anyway) and
then kept as parquet. The mirror is keyed by the URL and never refreshed: PhysioNet's URLs name a version,
whose files do not change; delete ``<cache>/remote/<key>/`` to start again.

Copying a subset out of a copy (remote or local) into a folder of its own is :mod:`cxrkit.download`, which
fetches through the source with :func:`cxrkit.storage.backend.fetch_file`.

Examples
--------
>>> strip_credentials("https://alice:s3cret@physionet.org/files/mimic-cxr/2.0.0/")
'https://physionet.org/files/mimic-cxr/2.0.0'
"""

from __future__ import annotations

import concurrent.futures as cf
import netrc
import os
import re
import threading
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .. import layout
from ..errors import (
    CxrkitError,
    InvalidUrlError,
    MissingExtraError,
    MissingFileError,
    RemoteAuthError,
    RemoteError,
)
from .backend import Source, fetch_file
from .cache import Cache, identity_key
from .credentials import PLACES, basic_token_forms, guard_logging, scrub, split_credentials
from .tree import first_image_ext, paths_frame, walk_files

__all__ = ["HEAD_BYTES", "Remote", "RemoteSource", "mirror_key", "strip_credentials"]

ENV_USER, ENV_PASSWORD = "CXRKIT_HTTP_USER", "CXRKIT_HTTP_PASSWORD"
#: Bytes read from the start of an image for its header (grown when a header is longer).
HEAD_BYTES = 8192
#: Parallel fetches of whole files (a study's files, a download: :mod:`cxrkit.download`).
WORKERS = 8
#: Concurrent ranged requests when reading headers (one connection each, on async backends).
CONCURRENCY = 32
REMOTE_DIR = "remote"


def strip_credentials(url: str) -> str:
    """The URL without ``user:password@`` and without a trailing slash; refuses (with
    :class:`~cxrkit.errors.InvalidUrlError`) a URL whose credentials would be mis-split
    (:func:`~cxrkit.storage.credentials.split_credentials`)."""
    return split_credentials(url)[0].rstrip("/")


def _scrub(text: str, secrets: Iterable[str]) -> str:
    return scrub(text, secrets)


def _secret_values(options: dict[str, Any]) -> Iterable[str]:
    """String values of keys that look secret (``secret``, ``password``, ``token``, ``key``),
    nested dicts too."""
    for k, v in options.items():
        if isinstance(v, dict):
            yield from _secret_values(v)
        elif isinstance(v, str) and v and re.search(r"secret|password|token|key", str(k), re.IGNORECASE):
            yield v


def mirror_key(url: str) -> str:
    """The cache folder name of a remote root: a hash of its URL without credentials."""
    return identity_key("remote", strip_credentials(url))


@dataclass(frozen=True)
class _Credentials:
    source: str | None  # where they came from, for error messages ("storage_options=", "~/.netrc", ...)
    secrets: tuple[str, ...]  # values to scrub from any text we show


class Remote:
    """An opened remote root: an fsspec filesystem, the credentials' origin, and ranged reads.

    Parameters
    ----------
    url
        The root URL (``https://``, ``s3://``, ``gs://``, any fsspec protocol). ``user:password@`` in it is
        used as the credential and removed from everything shown or stored.
    storage_options
        Passed to the fsspec filesystem (HTTP also takes ``username``/``password``).
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        clean, url_user, url_password = split_credentials(url)
        self.url = clean.rstrip("/")
        self.label = self.url
        try:
            parts = urllib.parse.urlsplit(clean)
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError as exc:
            raise InvalidUrlError(
                f"{self.url}: not a URL the kit can open ({exc}); a user name or password in it must be "
                f"percent-encoded, or given through {PLACES}"
            ) from None
        self.protocol = parts.scheme.lower()
        self.host = parts.hostname or ""
        self._url_credentials = (url_user, url_password)
        options = dict(storage_options or {})
        extra = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}.get(self.protocol, "remote")
        self._netrc_problem: str | None = None
        try:
            import fsspec

            if self.protocol in ("http", "https"):
                import aiohttp  # noqa: F401 - fsspec's HTTP backend
        except ImportError as exc:
            raise MissingExtraError(
                f"opening {self.url} needs the {extra} extra: pip install 'cxrkit[{extra}]' "
                f"({exc.name} is missing)"
            ) from exc
        if self.protocol in ("http", "https"):
            options, self.credentials = self._http_options(parts, options)
        else:
            secrets = tuple(_secret_values(options))
            self.credentials = _Credentials("storage_options=" if secrets else None, secrets)
        if url_password and url_password not in self.credentials.secrets:  # given, even if not the one used
            self.credentials = _Credentials(
                self.credentials.source, (*self.credentials.secrets, url_password)
            )
        guard_logging(self.credentials.secrets)  # every log record from now on is scrubbed of them
        try:
            self.fs = fsspec.filesystem(self.protocol, skip_instance_cache=True, **options)
        except ImportError as exc:
            package = {"s3": "s3fs", "gcs": "gcsfs"}.get(extra, "the fsspec backend of " + self.protocol)
            raise MissingExtraError(
                f"opening {self.url} needs {package}: pip install 'cxrkit[{extra}]'"
            ) from exc
        except ValueError as exc:
            raise MissingExtraError(
                f"{self.url}: fsspec knows no protocol {self.protocol!r} ({self._clean(exc)})"
            ) from exc
        self._base = self.url if self.protocol in ("http", "https") else self.fs._strip_protocol(self.url)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Remote({self.url!r})"

    def where(self, rel: str) -> str:
        return f"{self.label}/{rel}"

    # -- credentials --

    def _http_options(self, parts: urllib.parse.SplitResult, options: dict[str, Any]):
        import aiohttp

        user = options.pop("username", None)
        password = options.pop("password", None)
        auth = options.pop("auth", None)
        if auth is not None and not isinstance(auth, tuple | list):
            raise CxrkitError("storage_options auth= must be a (user, password) pair")
        if auth is not None:
            user, password = auth
        client = dict(options.pop("client_kwargs", {}) or {})
        source = None
        if user is not None or "auth" in client or "Authorization" in (client.get("headers") or {}):
            source = "storage_options="
        elif self._url_credentials[0] is not None:
            user, password = self._url_credentials[0], self._url_credentials[1] or ""
            source = "the URL (user:password@)"
        elif os.environ.get(ENV_USER):
            user, password = os.environ[ENV_USER], os.environ.get(ENV_PASSWORD, "")
            source = f"the environment variables {ENV_USER}/{ENV_PASSWORD}"
        else:
            try:
                found = netrc.netrc().authenticators(self.host)
            except FileNotFoundError:
                found = None
            except (netrc.NetrcParseError, OSError) as exc:  # e.g. readable by others: say so if auth fails
                found = None
                permissive = "permissive" in str(exc)  # never quote the file's text: it may hold a password
                self._netrc_problem = (
                    "~/.netrc was not used: others can read it"
                    if permissive
                    else f"~/.netrc was not used: it could not be parsed (line {getattr(exc, 'lineno', '?')})"
                )
            if found is not None:
                user, password = found[0], found[2] or ""
                source = f"~/.netrc (machine {self.host})"
        secrets: tuple[str, ...] = ()
        if user is not None:
            token = aiohttp.encode_basic_auth(user, password or "")
            client["headers"] = {**(client.get("headers") or {}), "Authorization": token}
            forms = (token, token.split(" ", 1)[-1], *basic_token_forms(user, password or ""))
            secrets = tuple(s for s in (password, *forms) if s)
        # bytes as stored: a server compressing on the fly would break sizes and ranges
        client["headers"] = {"Accept-Encoding": "identity", **(client.get("headers") or {})}
        options["client_kwargs"] = client
        return options, _Credentials(source, secrets)

    def _clean(self, value: object) -> str:
        return _scrub(str(value), self.credentials.secrets)

    def _auth_error(self, rel: str, status: int | str) -> RemoteAuthError:
        where = self.where(rel)
        got = self.credentials.source
        if self.protocol in ("http", "https"):
            places = (
                f"storage_options={{'username': ..., 'password': ...}}, the environment variables "
                f"{ENV_USER}/{ENV_PASSWORD}, "
                f"or a ~/.netrc line 'machine {self.host} login USER password PASS'"
            )
            if got:
                msg = (
                    f"{where}: the server refused the credentials (HTTP {status}) taken from {got}. Fix them "
                    f"there (the other places, in order, are {places}); also check that your account has "
                    "access to this dataset."
                )
            else:
                msg = (
                    f"{where}: the server asks for credentials (HTTP {status}) and none were found. "
                    f"Give them through {places}."
                    + (
                        f" ({self._netrc_problem}; it must be readable by you only: chmod 600 ~/.netrc)"
                        if self._netrc_problem
                        else ""
                    )
                )
        else:
            sdk = {
                "s3": "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials",
                "gs": "GOOGLE_APPLICATION_CREDENTIALS or 'gcloud auth application-default login' "
                "(requester-pays buckets also need storage_options={'requester_pays': True, 'project': ...})",
            }
            sdk_text = sdk.get(
                self.protocol.rstrip("a").replace("gcs", "gs"), "the backend's usual credentials"
            )
            msg = (
                f"{where}: access denied ({status})"
                + (f" with the credentials from {got}" if got else "")
                + f". Give credentials through storage_options= or {sdk_text}."
            )
        err = RemoteAuthError(msg)
        err.status = status
        return err

    def translate(self, exc: BaseException, rel: str) -> CxrkitError:
        """A clear kit error for an fsspec/aiohttp/cloud exception raised while reading ``rel``."""
        if isinstance(exc, CxrkitError):
            return exc
        status = getattr(exc, "status", None) or getattr(exc, "code", None)
        text = self._clean(exc)
        if (
            status in (401, 403)
            or isinstance(exc, PermissionError)
            or (
                self.protocol not in ("http", "https")
                and re.search(
                    r"AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|Unauthori[sz]ed", text
                )
            )
        ):
            return self._auth_error(rel, status or type(exc).__name__)
        if isinstance(exc, FileNotFoundError) or status == 404:
            return MissingFileError(f"{self.where(rel)}: not found on the server")
        detail = (
            f"HTTP {status}" if status else f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
        )
        return RemoteError(f"{self.where(rel)}: cannot read ({detail}); check the URL and your connection")

    # -- reading --

    def full(self, rel: str) -> str:
        """The fsspec path of ``rel`` under the root."""
        rel = rel.strip("/")
        return f"{self._base}/{rel}" if rel else self._base

    def names(self, rel: str = "") -> list[str]:
        """Names in a remote folder (folders without their trailing slash)."""
        target = self.full(rel) + ("/" if self.protocol in ("http", "https") else "")
        try:
            entries = self.fs.ls(target, detail=False)
        except Exception as exc:  # noqa: BLE001 - turned into the kit's errors
            raise self.translate(exc, rel) from None
        base = target.rstrip("/")
        out = []
        for entry in entries:
            entry = str(entry).rstrip("/")
            if self.protocol in ("http", "https"):
                if not entry.startswith(base + "/"):
                    continue
                name = urllib.parse.unquote(entry[len(base) + 1 :])
            else:
                name = entry.rsplit("/", 1)[-1]
            if name and "/" not in name and name not in (".", ".."):
                out.append(name)
        return sorted(set(out))

    def size(self, rel: str) -> int:
        try:
            info = self.fs.info(self.full(rel))
        except FileNotFoundError as exc:
            if self.protocol in ("http", "https"):  # fsspec reports 401/403 on HEAD as "not found": ask again
                self.read_range(rel, 0, 1)
            raise self.translate(exc, rel) from None
        except Exception as exc:  # noqa: BLE001
            raise self.translate(exc, rel) from None
        if info.get("size") is None:
            raise RemoteError(f"{self.where(rel)}: the server does not tell the file's size")
        return int(info["size"])

    def read_range(self, rel: str, start: int, end: int) -> bytes:
        try:
            return self.fs.cat_file(self.full(rel), start=start, end=end)
        except Exception as exc:  # noqa: BLE001
            raise self.translate(exc, rel) from None

    def heads(self, rels: list[str], nbytes: int) -> list[bytes | CxrkitError]:
        """The first ``nbytes`` of each file (fewer for short files), fetched concurrently; an error per
        failed file. Raises :class:`RemoteAuthError` at once when the credentials are refused."""
        if not rels:
            return []
        paths = [self.full(r) for r in rels]
        try:
            from fsspec.asyn import AsyncFileSystem

            extra = {"batch_size": CONCURRENCY} if isinstance(self.fs, AsyncFileSystem) else {}
            got = self.fs.cat_ranges(
                paths, [0] * len(paths), [nbytes] * len(paths), on_error="return", **extra
            )
        except Exception as exc:  # noqa: BLE001
            raise self.translate(exc, rels[0]) from None
        out: list[bytes | CxrkitError] = []
        for rel, item in zip(rels, got):
            if isinstance(item, BaseException):
                err = self.translate(item, rel)
                if isinstance(err, RemoteAuthError):
                    raise err
                out.append(err)
            else:
                out.append(bytes(item[:nbytes]))
        return out

    def lock(self, key: str) -> threading.Lock:
        with self._locks_lock:
            return self._locks.setdefault(key, threading.Lock())


# --- the mirror: a remote root as a Source ------------------------------------------------------------------


class RemoteSource(Source):
    """A remote root mirrored on demand into ``<cache>/remote/<key>/``: the source of a copy opened by URL.

    Parameters
    ----------
    url
        The remote root.
    cache_dir
        The cache folder (default: ``CXRKIT_CACHE``, else the per-user cache);
        its ``remote/`` folder holds the mirror.
    storage_options
        Passed to :class:`Remote`.
    """

    fetches_on_demand = True
    root_example = "https://physionet.org/files/mimic-cxr/2.0.0/"

    def __init__(
        self,
        url: str,
        cache_dir: str | os.PathLike | None = None,
        storage_options: dict[str, Any] | None = None,
    ) -> None:
        self.remote = Remote(url, storage_options)
        self.url = self.label = self.remote.url
        self.cache = Cache(cache_dir)
        self.root = self.cache.path(REMOTE_DIR, mirror_key(self.url))
        try:
            self.top = self.remote.names()  # one listing: checks the credentials and finds the tables
        except MissingFileError:
            self.top = []
        except RemoteAuthError as exc:  # 403 on a folder may only mean "no listings here": the files decide
            if getattr(exc, "status", None) != 403 or self.remote.protocol not in ("http", "https"):
                raise
            self.top = []
        if not self.top and self.remote.protocol in ("http", "https"):
            self.top = self._probe_known_files()  # a server that lists no folders: ask for the known files
        if not self.top:
            raise RemoteError(
                f"{self.url}: no files listed there. "
                f"Pass the folder that holds files/ and the .csv.gz tables (e.g. {self.root_example})"
            )

    def _probe_known_files(self) -> list[str]:
        names = layout.known_top_files()

        def present(name: str) -> bool:
            try:
                self.remote.size(name)
                return True
            except MissingFileError:
                return False

        with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            found = [n for n, ok in zip(names, pool.map(present, names)) if ok]
        if any(n != layout.SHA256SUMS for n in found):
            found.append(layout.FILES_DIR)  # a copy's images and reports sit under files/
        return sorted(set(found))

    def __repr__(self) -> str:
        return f"RemoteSource({self.url!r} -> {str(self.root)!r})"

    # -- what is there --

    def names(self, folder: str = "") -> list[str]:
        if not folder:
            return list(self.top)
        try:
            return self.remote.names(folder)
        except MissingFileError:
            return []

    def has(self, name: str) -> bool:
        return name in self.top

    def listing(self, *, progress: bool = False) -> pl.DataFrame:
        """What has been fetched into the mirror so far
        (walking the server would mean a request per folder)."""
        return walk_files(self.root) if (self.root / layout.FILES_DIR).is_dir() else paths_frame([])

    def has_report_files(self, *, expected: bool) -> bool:
        return expected and self.has(layout.FILES_DIR)

    def first_image_ext(self) -> str | None:
        cached = self.root / ".image-ext"
        if cached.is_file():
            return cached.read_text().strip() or None
        return first_image_ext(self.root) if (self.root / layout.FILES_DIR).is_dir() else None

    def probe_image_ext(self, rels: list[str]) -> str | None:
        """Which extension (``.dcm``, ``.dcm.gz``, ``.jpg``) the first listed images have on the server; kept
        in the mirror, so asked once."""
        ext = None
        for rel in rels[:3]:  # ask for the first images under each extension (folders may not be listed)
            stem = re.sub(r"(\.dcm\.gz|\.dcm|\.jpg)$", "", rel)
            listed = rel[len(stem) :] or ".dcm"
            for candidate in [listed] + [e for e in layout.IMAGE_EXTENSIONS if e != listed]:
                try:
                    self.remote.size(stem + candidate)
                except MissingFileError:
                    continue
                ext = candidate
                break
            if ext:
                break
        if ext is not None:
            self.cache.ensure()
            self.root.mkdir(parents=True, exist_ok=True)
            (self.root / ".image-ext").write_text(ext)
        return ext

    # -- bytes --

    def where(self, rel: str) -> str:
        return self.remote.where(rel)

    def size(self, rel: str) -> int:
        return self.remote.size(rel)

    def read_range(self, rel: str, start: int, end: int) -> bytes:
        return self.remote.read_range(rel, start, end)

    def heads(self, rels: list[str], nbytes: int) -> list[bytes | CxrkitError]:
        """The first ``nbytes`` of each file with concurrent ranged requests;
        raises RemoteAuthError at once."""
        return self.remote.heads(rels, nbytes)

    def scrub(self, text: str) -> str:
        """``text`` without any credential of this source."""
        return self.remote._clean(text)

    # -- local files --

    def rel(self, path: str | os.PathLike) -> str:
        """``path`` relative to the root; refuses anything that would land outside the mirror."""
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root)
            except ValueError as exc:
                raise CxrkitError(f"{p} is not inside the mirror of {self.url}") from exc
        decoded = Path(urllib.parse.unquote(p.as_posix()))  # what the server will see: %2e%2e is ..
        if not p.parts or ".." in p.parts or ".." in decoded.parts or decoded.is_absolute():
            raise CxrkitError(f"{path!r} is not a file path inside the dataset {self.url}")
        return p.as_posix()

    def local(self, path: str | os.PathLike, *, size: int | None = None) -> Path:
        """The local copy of a file of the remote root (relative path or mirror path), fetched if absent."""
        rel = self.rel(path)
        dest = self.root / rel
        if dest.is_file():
            return dest
        self.cache.ensure()
        with self.remote.lock(rel):
            return fetch_file(self, rel, dest, size=size, private=True)

    def try_local(self, path: str | os.PathLike) -> Path | None:
        """Like :meth:`local`, ``None`` when the server does not have the file."""
        try:
            return self.local(path)
        except MissingFileError:
            return None

    def prefetch(self, rels: list[str], *, progress: bool = False, desc: str = "fetching") -> None:
        """Fetch files in parallel; those the server does not have are skipped. Auth errors raise."""
        if not rels:
            return
        bar = None
        if progress and len(rels) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(rels), desc=desc, unit="file")
        try:
            with cf.ThreadPoolExecutor(max_workers=min(WORKERS, len(rels))) as pool:
                for fut in [pool.submit(self.try_local, r) for r in rels]:
                    fut.result()
                    if bar is not None:
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
