"""A small threaded HTTP server for the remote tests: serves a folder on 127.0.0.1, demands basic auth,
answers Range requests (206 with Content-Range; ``ranges=False`` ignores them), lists folders as HTML links
like PhysioNet (``listings=False`` answers 403 for folders, like a static host), and logs every
request (method, path, Range header, status, body bytes sent) so tests can see what was fetched.

Used as a context manager; leaving it shuts the server down and joins its thread. Also here: the credentials
the tests' servers demand (:data:`USER`, :data:`PASSWORD`, :data:`GOOD` as ``storage_options``) and small
helpers to look at what a test fetched or left behind. The fixtures serving a demo are in ``conftest.py``.
"""

from __future__ import annotations

import base64
import html
import os
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self

USER, PASSWORD = "alice", "s3cret-Pa55"
GOOD = {"username": USER, "password": PASSWORD}


@dataclass
class Hit:
    method: str
    path: str
    range: str | None
    status: int
    sent: int


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _log(self, status: int, sent: int) -> None:
        with self.server.lock:
            self.server.hits.append(
                Hit(
                    self.command,
                    urllib.parse.unquote(self.path.split("?")[0]),
                    self.headers.get("Range"),
                    status,
                    sent,
                )
            )

    def _authorised(self) -> bool:
        if self.server.credentials is None:
            return True
        user, password = self.server.credentials
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        return self.headers.get("Authorization") == expected

    def _reply(self, status: int, body: bytes, headers: dict[str, str], head_only: bool) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head_only:
            self.wfile.write(body)
        self._log(status, 0 if head_only else len(body))

    def _serve(self, head_only: bool) -> None:
        if self.server.delay:
            time.sleep(self.server.delay)
        if not self._authorised():
            self._reply(
                401,
                b"authentication required\n",
                {"WWW-Authenticate": 'Basic realm="test"', "Content-Type": "text/plain"},
                head_only,
            )
            return
        rel = urllib.parse.unquote(self.path.split("?")[0]).lstrip("/")
        target = (self.server.root / rel).resolve()
        if self.server.root not in (target, *target.parents) or not target.exists():
            self._reply(404, b"not found\n", {"Content-Type": "text/plain"}, head_only)
            return
        if target.is_dir():
            if not self.server.listings:
                self._reply(403, b"no folder listings here\n", {"Content-Type": "text/plain"}, head_only)
                return
            if not self.path.split("?")[0].endswith("/"):
                self._reply(301, b"", {"Location": self.path.split("?")[0] + "/"}, head_only)
                return
            links = "".join(
                f'<a href="{urllib.parse.quote(p.name)}{"/" if p.is_dir() else ""}">'
                f"{html.escape(p.name)}</a>\n"
                for p in sorted(target.iterdir())
            )
            body = f'<html><body><a href="../">../</a>\n{links}</body></html>'.encode()
            self._reply(200, body, {"Content-Type": "text/html"}, head_only)
            return
        size = target.stat().st_size
        rng = self.headers.get("Range")
        if rng and self.server.ranges:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
                else:
                    start, end = max(0, size - int(m.group(2))), size - 1
                if start >= size:
                    self._reply(416, b"", {"Content-Range": f"bytes */{size}"}, head_only)
                    return
                with open(target, "rb") as fh:
                    fh.seek(start)
                    body = fh.read(end - start + 1)
                self._reply(
                    206,
                    body,
                    {
                        "Content-Range": f"bytes {start}-{end}/{size}",
                        "Accept-Ranges": "bytes",
                        "Content-Type": "application/octet-stream",
                    },
                    head_only,
                )
                return
        body = target.read_bytes()
        headers = {"Content-Type": "application/octet-stream"}
        if self.server.ranges:
            headers["Accept-Ranges"] = "bytes"
        self._reply(200, body, headers, head_only)

    def do_GET(self):
        self._serve(head_only=False)

    def do_HEAD(self):
        self._serve(head_only=True)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256  # socketserver's default (5) drops concurrent connects: 1 s SYN retries


class DatasetServer:
    """Serve ``root`` at ``http://127.0.0.1:PORT/``; ``credentials=(user, password)`` demands basic auth."""

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        credentials: tuple[str, str] | None = None,
        ranges: bool = True,
        listings: bool = True,
        delay: float = 0.0,
    ) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.root = Path(root).resolve()
        self._server.credentials = credentials
        self._server.ranges = ranges
        self._server.listings = listings
        self._server.delay = delay  # seconds added to every answer: a far-away server
        self._server.hits = []
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="test-http-server", daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def hits(self) -> list[Hit]:
        with self._server.lock:
            return list(self._server.hits)

    def clear(self) -> None:
        with self._server.lock:
            self._server.hits.clear()

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def image_hits(server: DatasetServer) -> list[Hit]:
    """Requests for image content (HEAD requests, which send none, are left out)."""
    return [h for h in server.hits if h.path.endswith(".dcm") and h.method != "HEAD"]


def files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.exists() else []
