"""Remote copies: open MIMIC-CXR where it lives (``https://``, ``s3://``, ``gs://``, any fsspec URL) and fetch
only what is touched.

A remote root is mirrored on demand into the cache, under ``<cache>/remote/<key>/`` with the dataset's own
relative layout (``key`` is a hash of the URL without credentials), so the rest of the kit works on local paths:
a table is fetched once into the mirror (then kept as parquet like any table), :meth:`cxrkit.Dataset.study`
fetches that study's report and images, and :func:`header_table` reads only the first kilobytes of each image
with ranged requests, in parallel. Every fetch is atomic (a ``.part`` file renamed when complete and verified
against its size) and resumable (a ``.part`` left by an interrupted fetch is continued with a Range request).
Nothing touches the network unless the user opened a URL.

Credentials are looked for in this order and never logged, stored in the cache, or shown in reprs and errors:

* ``storage_options=`` passed to :func:`cxrkit.open_dataset` (HTTP: ``{"username": ..., "password": ...}``;
  S3/GCS: whatever s3fs/gcsfs take, e.g. ``{"key": ..., "secret": ...}`` or ``{"requester_pays": True}``);
* for HTTP(S): ``user:password@`` in the URL (stripped at once), the ``CXRKIT_HTTP_USER`` /
  ``CXRKIT_HTTP_PASSWORD`` environment variables, then a ``~/.netrc`` entry for the host;
* for object stores: the cloud SDK's usual places (``AWS_ACCESS_KEY_ID``/``~/.aws``,
  ``GOOGLE_APPLICATION_CREDENTIALS``/``gcloud auth application-default login``).

A refused credential raises :class:`RemoteAuthError`, which says where the credential came from and where to fix it.

What is local on a remote copy: ``ds.listing`` and ``ds.image_files()`` list what has been fetched into the
mirror so far (so :func:`cxrkit.imagestats.pixel_stats` over ``ds.image_files()`` covers those images; fetch
more with ``ds.study(...)`` or ``ds.local_file(path)``); ``header_table(ds)`` covers every listed image. The
tables are fetched whole (a gzip CSV cannot be read in ranges, so polars would download it all anyway) and then
kept as parquet. The mirror is keyed by the URL and never refreshed: PhysioNet's URLs name a version, whose
files do not change; delete ``<cache>/remote/<key>/`` to start again.

Copying a subset out of a copy (remote or local) into a folder of its own is :mod:`cxrkit.download`, which
fetches through :class:`Source` and :func:`fetch_file` from here.

Examples
--------
>>> strip_credentials("https://alice:s3cret@physionet.org/files/mimic-cxr/2.0.0/")
'https://physionet.org/files/mimic-cxr/2.0.0'
>>> is_url("gs://mimic-cxr-2.0.0.physionet.org"), is_url("/data/mimic-cxr")
(True, False)
"""

from __future__ import annotations

import concurrent.futures as cf
import fnmatch
import hashlib
import netrc
import os
import re
import tempfile
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from . import layout, tables
from .cache import Cache, identity_key
from .errors import CxrkitError, MissingFileError

if TYPE_CHECKING:  # pragma: no cover
    from .dataset import Dataset

ENV_USER, ENV_PASSWORD = "CXRKIT_HTTP_USER", "CXRKIT_HTTP_PASSWORD"
#: Bytes read from the start of an image for its header (grown when a header is longer).
HEAD_BYTES = 8192
#: Bytes per ranged request when fetching a whole file.
CHUNK_BYTES = 8 << 20
#: Parallel fetches of whole files (a study's files, a download: :mod:`cxrkit.download`).
WORKERS = 8
#: Concurrent ranged requests when reading headers (one connection each, on async backends).
CONCURRENCY = 32
SHA256SUMS = "SHA256SUMS.txt"
REMOTE_DIR = "remote"
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://")


class RemoteError(CxrkitError, OSError):
    """A remote copy could not be reached or read (network error, unexpected answer, size mismatch)."""


class RemoteAuthError(RemoteError, PermissionError):
    """The server or object store refused the credentials (HTTP 401/403, access denied)."""

    status: int | str | None = None


class MissingExtraError(CxrkitError, ImportError):
    """Opening a URL needs an optional extra that is not installed."""


def is_url(root: object) -> bool:
    """Whether ``root`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(root, str) and bool(_URL.match(root))


def strip_credentials(url: str) -> str:
    """The URL without ``user:password@`` and without a trailing slash."""
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)).rstrip("/")


def _scrub(text: str, secrets: Iterable[str]) -> str:
    text = re.sub(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^/@\s]+@", r"\1", text)  # user:password@ in any URL
    text = re.sub(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer)\s+[^'\"\s,>)]+", r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _secret_values(options: dict[str, Any]) -> Iterable[str]:
    """String values of keys that look secret (``secret``, ``password``, ``token``, ``key``), nested dicts too."""
    for k, v in options.items():
        if isinstance(v, dict):
            yield from _secret_values(v)
        elif isinstance(v, str) and v and re.search(r"secret|password|token|key", str(k), re.IGNORECASE):
            yield v


def mirror_key(url: str) -> str:
    """The cache folder name of a remote root: a hash of its URL without credentials."""
    return identity_key("remote", strip_credentials(url))


# --- sources: where bytes come from ------------------------------------------------------------------------


class Source:
    """What :func:`fetch_file` needs from a copy: sizes and byte ranges of relative paths."""

    label: str

    def size(self, rel: str) -> int:  # pragma: no cover - interface
        raise NotImplementedError

    def read_range(self, rel: str, start: int, end: int) -> bytes:  # pragma: no cover - interface
        raise NotImplementedError

    def where(self, rel: str) -> str:
        return f"{self.label}/{rel}"


@dataclass(frozen=True)
class _Credentials:
    source: str | None  # where they came from, for error messages ("storage_options=", "~/.netrc", ...)
    secrets: tuple[str, ...]  # values to scrub from any text we show


class Remote(Source):
    """An opened remote root: an fsspec filesystem, the credentials' origin, and fetch helpers.

    Parameters
    ----------
    url
        The root URL (``https://``, ``s3://``, ``gs://``, any fsspec protocol). ``user:password@`` in it is used
        as the credential and removed from everything shown or stored.
    storage_options
        Passed to the fsspec filesystem (HTTP also takes ``username``/``password``).
    """

    def __init__(self, url: str, storage_options: dict[str, Any] | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        self.url = strip_credentials(url)
        self.label = self.url
        self.protocol = parts.scheme.lower()
        self.host = parts.hostname or ""
        options = dict(storage_options or {})
        extra = {"s3": "s3", "s3a": "s3", "gs": "gcs", "gcs": "gcs"}.get(self.protocol, "remote")
        self._netrc_problem: str | None = None
        try:
            import fsspec

            if self.protocol in ("http", "https"):
                import aiohttp  # noqa: F401 - fsspec's HTTP backend
        except ImportError as exc:
            raise MissingExtraError(
                f"opening {self.url} needs the {extra} extra: pip install 'cxrkit[{extra}]' ({exc.name} is missing)"
            ) from exc
        if self.protocol in ("http", "https"):
            options, self.credentials = self._http_options(parts, options)
        else:
            secrets = tuple(_secret_values(options))
            self.credentials = _Credentials("storage_options=" if secrets else None, secrets)
        try:
            self.fs = fsspec.filesystem(self.protocol, skip_instance_cache=True, **options)
        except ImportError as exc:
            package = {"s3": "s3fs", "gcs": "gcsfs"}.get(extra, "the fsspec backend of " + self.protocol)
            raise MissingExtraError(f"opening {self.url} needs {package}: pip install 'cxrkit[{extra}]'") from exc
        except ValueError as exc:
            raise MissingExtraError(f"{self.url}: fsspec knows no protocol {self.protocol!r} ({self._clean(exc)})") \
                from exc
        self._base = self.url if self.protocol in ("http", "https") else self.fs._strip_protocol(self.url)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Remote({self.url!r})"

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
        elif parts.username is not None:
            user, password = urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or "")
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
                self._netrc_problem = ("~/.netrc was not used: others can read it" if permissive else
                                       f"~/.netrc was not used: it could not be parsed (line "
                                       f"{getattr(exc, 'lineno', '?')})")
            if found is not None:
                user, password = found[0], found[2] or ""
                source = f"~/.netrc (machine {self.host})"
        secrets: tuple[str, ...] = ()
        if user is not None:
            token = aiohttp.encode_basic_auth(user, password or "")
            client["headers"] = {**(client.get("headers") or {}), "Authorization": token}
            secrets = tuple(s for s in (password, token, token.split(" ", 1)[-1]) if s)
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
            places = (f"storage_options={{'username': ..., 'password': ...}}, the environment variables "
                      f"{ENV_USER}/{ENV_PASSWORD}, or a ~/.netrc line 'machine {self.host} login USER password PASS'")
            if got:
                msg = (f"{where}: the server refused the credentials (HTTP {status}) taken from {got}. Fix them "
                       f"there (the other places, in order, are {places}); also check that your account has "
                       "access to this dataset.")
            else:
                msg = (f"{where}: the server asks for credentials (HTTP {status}) and none were found. Give them "
                       f"through {places}."
                       + (f" ({self._netrc_problem}; it must be readable by you only: chmod 600 ~/.netrc)"
                          if self._netrc_problem else ""))
        else:
            sdk = {"s3": "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws/credentials",
                   "gs": "GOOGLE_APPLICATION_CREDENTIALS or 'gcloud auth application-default login' (requester-pays "
                         "buckets also need storage_options={'requester_pays': True, 'project': ...})"}
            sdk_text = sdk.get(self.protocol.rstrip("a").replace("gcs", "gs"), "the backend's usual credentials")
            msg = (f"{where}: access denied ({status})"
                   + (f" with the credentials from {got}" if got else "")
                   + f". Give credentials through storage_options= or {sdk_text}.")
        err = RemoteAuthError(msg)
        err.status = status
        return err

    def translate(self, exc: BaseException, rel: str) -> CxrkitError:
        """A clear kit error for an fsspec/aiohttp/cloud exception raised while reading ``rel``."""
        if isinstance(exc, CxrkitError):
            return exc
        status = getattr(exc, "status", None) or getattr(exc, "code", None)
        text = self._clean(exc)
        if status in (401, 403) or isinstance(exc, PermissionError) or (
            self.protocol not in ("http", "https")
            and re.search(r"AccessDenied|InvalidAccessKeyId|SignatureDoesNotMatch|Forbidden|Unauthori[sz]ed", text)
        ):
            return self._auth_error(rel, status or type(exc).__name__)
        if isinstance(exc, FileNotFoundError) or status == 404:
            return MissingFileError(f"{self.where(rel)}: not found on the server")
        detail = f"HTTP {status}" if status else f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"
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
                name = urllib.parse.unquote(entry[len(base) + 1:])
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
            got = self.fs.cat_ranges(paths, [0] * len(paths), [nbytes] * len(paths), on_error="return", **extra)
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


# --- fetching one file ----------------------------------------------------------------------------------------


def fetch_file(source: Source, rel: str, dest: Path, *, size: int | None = None, sha256: str | None = None,
               on_bytes: Callable[[int], None] | None = None, chunk: int = CHUNK_BYTES) -> Path:
    """Copy ``rel`` from ``source`` to ``dest``: resumable, atomic, safe against a concurrent fetch.

    Bytes go to ``dest.part`` (continued from where an earlier attempt stopped, with a Range request), which is
    renamed onto ``dest`` only once its size (and SHA-256, when given) match. A complete ``dest`` is left alone.
    The size is asked first, so a refused credential leaves no file behind. The part file is locked while it
    grows (POSIX), so two processes fetching the same file take turns instead of mixing their bytes. A mismatch
    removes the part file and raises :class:`RemoteError`.
    """
    dest = Path(dest)
    if dest.is_file():
        return dest
    if size is None:
        size = source.size(rel)
    part = dest.with_name(dest.name + ".part")
    part.parent.mkdir(parents=True, exist_ok=True)
    with open(part, "ab") as fh:
        _lock(fh)
        start = fh.seek(0, os.SEEK_END)
        try:
            if dest.is_file():  # another process completed it while we waited for the lock
                if start == 0 and not os.path.samefile(part, dest):
                    part.unlink(missing_ok=True)
                return dest
            _fill(fh, source, rel, size, start, chunk, on_bytes)
        except BaseException:
            if fh.tell() == 0:  # nothing arrived: leave nothing behind
                part.unlink(missing_ok=True)
            raise
        got = os.fstat(fh.fileno()).st_size
        if got != size:
            part.unlink(missing_ok=True)
            raise RemoteError(f"{source.where(rel)}: size mismatch (expected {size} bytes, got {got}); run again")
        if sha256 is not None:
            digest = sha256_file(part)
            if digest != sha256.lower():
                part.unlink(missing_ok=True)
                raise RemoteError(f"{source.where(rel)}: SHA-256 mismatch (expected {sha256}, got {digest}); "
                                  "the copy changed or the transfer was damaged: run again")
        os.replace(part, dest)  # still holding the lock: a waiting fetch then finds dest complete
    return dest


def _fill(fh, source: Source, rel: str, size: int, have: int, chunk: int,
          on_bytes: Callable[[int], None] | None) -> None:
    if have > size:  # a part longer than the file: the source changed, start over
        fh.truncate(0)
        have = 0
    if have and on_bytes:
        on_bytes(have)
    while have < size:
        end = min(size, have + chunk)
        data = source.read_range(rel, have, end)
        if len(data) > end - have:  # the server ignored the Range header and sent the whole file
            if len(data) != size:
                raise RemoteError(f"{source.where(rel)}: expected {size} bytes, the server sent {len(data)}")
            fh.truncate(0)
            have = 0
        if not data:
            raise RemoteError(f"{source.where(rel)}: the server sent no bytes at offset {have} of {size}; "
                              "run again to resume")
        fh.write(data)
        fh.flush()
        have += len(data)
        if on_bytes:
            on_bytes(len(data))


def _lock(fh) -> None:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: the in-process lock of Mirror.local still applies
        return
    fcntl.flock(fh.fileno(), fcntl.LOCK_EX)


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file's bytes, as lowercase hex (what ``SHA256SUMS.txt`` lists)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# --- the mirror: a remote root as seen by a Dataset -------------------------------------------------------------


class Mirror:
    """A remote root mirrored on demand into ``<cache>/remote/<key>/``: what :class:`~cxrkit.Dataset` uses.

    Parameters
    ----------
    url
        The remote root.
    cache
        The cache whose ``remote/`` folder holds the mirror.
    storage_options
        Passed to :class:`Remote`.
    """

    def __init__(self, url: str, cache: Cache, storage_options: dict[str, Any] | None = None) -> None:
        self.remote = Remote(url, storage_options)
        self.url = self.remote.url
        self.root = cache.path(REMOTE_DIR, mirror_key(self.url))
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
                f"{self.url}: no files listed there. Pass the folder that holds files/ and the .csv.gz tables "
                "(e.g. https://physionet.org/files/mimic-cxr/2.0.0/)"
            )

    def _probe_known_files(self) -> list[str]:
        names = [tables.IMAGE_FILENAMES, "mimic-cxr-reports.zip", SHA256SUMS]
        for spec in tables.TABLES.values():
            for pattern in spec.files:
                names += [pattern.replace("*", version) for version in ("2.0.0", "2.1.0")] if "*" in pattern \
                    else [pattern]

        def present(name: str) -> bool:
            try:
                self.remote.size(name)
                return True
            except MissingFileError:
                return False

        with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
            found = [n for n, ok in zip(names, pool.map(present, names)) if ok]
        if any(n != SHA256SUMS for n in found):
            found.append(layout.FILES_DIR)  # a copy's images and reports sit under files/
        return sorted(set(found))

    def __repr__(self) -> str:
        return f"Mirror({self.url!r} -> {str(self.root)!r})"

    def find_table(self, name: str) -> Path | None:
        """The mirror path of table ``name`` when the remote root lists it (fetched later, on first use)."""
        for pattern in tables.TABLES[name].files:
            hits = sorted(fnmatch.filter(self.top, pattern))
            if hits:
                return self.root / hits[-1]
        return None

    def has(self, name: str) -> bool:
        return name in self.top

    def rel(self, path: str | os.PathLike) -> str:
        """``path`` relative to the root; refuses anything that would land outside the mirror."""
        p = Path(path)
        if p.is_absolute():
            try:
                p = p.relative_to(self.root)
            except ValueError as exc:
                raise CxrkitError(f"{p} is not inside the mirror of {self.url}") from exc
        if not p.parts or ".." in p.parts:
            raise CxrkitError(f"{path!r} is not a file path inside the dataset {self.url}")
        return p.as_posix()

    def local(self, path: str | os.PathLike, *, size: int | None = None) -> Path:
        """The local copy of a file of the remote root (relative path or mirror path), fetched if absent."""
        rel = self.rel(path)
        dest = self.root / rel
        if dest.is_file():
            return dest
        with self.remote.lock(rel):
            return fetch_file(self.remote, rel, dest, size=size)

    def try_local(self, path: str | os.PathLike) -> Path | None:
        """Like :meth:`local`, ``None`` when the server does not have the file."""
        try:
            return self.local(path)
        except MissingFileError:
            return None

    def fetch_many(self, rels: list[str], *, progress: bool = False, desc: str = "fetching") -> list[Path | None]:
        """Fetch files in parallel; ``None`` for files the server does not have. Auth errors raise."""
        if not rels:
            return []
        bar = None
        if progress and len(rels) > 1:
            from tqdm.auto import tqdm

            bar = tqdm(total=len(rels), desc=desc, unit="file")
        try:
            with cf.ThreadPoolExecutor(max_workers=min(WORKERS, len(rels))) as pool:
                futures = [pool.submit(self.try_local, r) for r in rels]
                out = []
                for fut in futures:
                    out.append(fut.result())
                    if bar is not None:
                        bar.update(1)
                return out
        finally:
            if bar is not None:
                bar.close()

    def probe_image_ext(self, rels: list[str]) -> str | None:
        """The extension of the image files on the server (``.dcm``, ``.dcm.gz``, ``.jpg``): which one the first
        listed images have there. Kept in the mirror, so asked once."""
        cached = self.root / ".image-ext"
        if cached.is_file():
            return cached.read_text().strip() or None
        ext = None
        for rel in rels[:3]:  # ask for the first images under each extension (folders may not be listed)
            stem = re.sub(r"(\.dcm\.gz|\.dcm|\.jpg)$", "", rel)
            listed = rel[len(stem):] or ".dcm"
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
            self.root.mkdir(parents=True, exist_ok=True)
            cached.write_text(ext)
        return ext


# --- headers over ranged reads -----------------------------------------------------------------------------------


def _parse_head(rel: str, head: bytes, scratch: Path) -> dict[str, Any]:
    """Parse a file's first bytes with :func:`cxrkit.images.read_header`, through a stub file of those bytes
    (named like the image, so its ids parse from the path) that is removed at once."""
    from . import images

    stub = scratch.joinpath(*rel.split("/")[-4:])
    stub.parent.mkdir(parents=True, exist_ok=True)
    stub.write_bytes(head)
    try:
        return images.read_header(stub)
    finally:
        stub.unlink(missing_ok=True)


def header_table(ds: Dataset, *, progress: bool = True, cache: Any = None, executor: Any = None) -> pl.DataFrame:
    """:func:`cxrkit.imagestats.header_table` for a remote dataset: the first :data:`HEAD_BYTES` of every listed
    image, fetched with concurrent ranged requests (more only when a header is longer), parsed locally.

    Rows are kept in the mirror (``headers-v1.parquet``), so a second call reads nothing remote; ``cache=False``
    neither reads nor writes them. ``path`` is where the image goes in the mirror (see
    :meth:`cxrkit.Dataset.local_file`). ``executor`` is accepted for symmetry and ignored: the work is waiting
    for the network, done concurrently in this process.
    A server that ignores Range headers sends whole files (then cut to the head): correct, but slow.
    """
    from . import images
    from .imagestats import HEADER_SCHEMA

    mirror: Mirror = ds._mirror  # type: ignore[assignment]
    ext = ds.image_ext or ".dcm"
    rels = image_rels(ds.records().collect(), ext)
    entry = mirror.root / f"headers-v{HEADER_VERSION}.parquet"
    old = pl.DataFrame(schema=HEADER_SCHEMA)
    if cache is not False and entry.exists():
        try:
            old = pl.read_parquet(entry)
            if dict(old.schema) != HEADER_SCHEMA:
                old = pl.DataFrame(schema=HEADER_SCHEMA)
        except Exception:  # noqa: BLE001 - a damaged cache file is rebuilt
            old = pl.DataFrame(schema=HEADER_SCHEMA)
    done = set(old.filter(pl.col("error").is_null()).get_column("path").to_list())
    paths = [str(mirror.root / r) for r in rels]
    todo = [i for i, p in enumerate(paths) if p not in done]
    rows: list[dict[str, Any]] = []
    bar = None
    if progress and todo:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="headers of remote images", unit="file")
    try:
        with tempfile.TemporaryDirectory(prefix="cxrkit-heads-") as scratch:
            for start in range(0, len(todo), 256):
                batch = todo[start:start + 256]
                heads = mirror.remote.heads([rels[i] for i in batch], HEAD_BYTES)
                for i, head in zip(batch, heads):
                    rows.append(_header_row(mirror, rels[i], paths[i], head, Path(scratch), images))
                if bar is not None:
                    bar.update(len(batch))
    finally:
        if bar is not None:
            bar.close()
    new = pl.DataFrame({k: [r.get(k) for r in rows] for k in HEADER_SCHEMA}, schema=HEADER_SCHEMA)
    merged = pl.concat([old.filter(~pl.col("path").is_in(new["path"].implode())), new]) if old.height else new
    if cache is not False and new.height:
        tmp = entry.with_name(entry.name + ".tmp")
        entry.parent.mkdir(parents=True, exist_ok=True)
        merged.write_parquet(tmp)
        os.replace(tmp, entry)
    order = pl.DataFrame({"path": paths, "_order": range(len(paths))}, schema={"path": pl.String,
                                                                               "_order": pl.Int64})
    return order.join(merged.unique("path", keep="last"), on="path", how="left").sort("_order").select(
        list(HEADER_SCHEMA)
    )


HEADER_VERSION = 1


def _header_row(mirror: Mirror, rel: str, path: str, head: bytes | CxrkitError, scratch: Path, images) -> dict:
    ids = images._path_ids(rel)
    if isinstance(head, CxrkitError):
        return {"path": path, **ids, "error": f"{type(head).__name__}: {head}"}
    want = HEAD_BYTES
    while True:
        complete = len(head) < want
        try:
            row = _parse_head(rel, head, scratch)
            break
        except CxrkitError as exc:
            if complete:
                return {"path": path, **ids, "error": f"{type(exc).__name__}: {mirror.remote._clean(exc)}"}
        want *= 8
        if want > 1 << 24:  # a header this long is not one: read the whole file
            try:
                local = mirror.local(rel)
                row = images.read_header(local)
                break
            except CxrkitError as exc:
                return {"path": path, **ids, "error": f"{type(exc).__name__}: {exc}"}
        try:
            head = mirror.remote.read_range(rel, 0, want)
        except RemoteAuthError:
            raise
        except CxrkitError as exc:
            return {"path": path, **ids, "error": f"{type(exc).__name__}: {exc}"}
    if row.get("PixelSpacing") is not None:
        row["PixelSpacing"] = list(row["PixelSpacing"])
    row["path"] = path
    row["error"] = None
    return row


def image_rels(frame: pl.DataFrame, ext: str) -> list[str]:
    """Relative image paths of a records frame, rebuilt from its ids by :mod:`cxrkit.layout` (never taken
    from a table's ``path`` column, which a server controls: no ``..`` can get in); malformed ids are left out."""
    ok = frame.filter(
        pl.col("dicom_id").str.contains(layout.DICOM_ID_PATTERN)
        & pl.col("subject_id").is_between(10_000_000, 19_999_999)
        & pl.col("study_id").is_between(50_000_000, 59_999_999)
    )
    return ok.select(layout.image_path_expr(ext=ext)).to_series().to_list()


def __getattr__(name: str):  # the subset download moved to cxrkit.download: old imports keep working
    if name in ("download", "LocalSource", "read_sha256sums"):
        from . import download

        return getattr(download, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
