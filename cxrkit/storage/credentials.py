"""Credentials in URLs: ``user:password@`` split the way a server will read it, a URL that would be mis-split
refused before any request, and secrets kept out of every message and log record.

A URL's authority ends at the first ``/``, ``?`` or ``#`` (RFC 3986), so a password holding one of them
unencoded is cut there: ``http://alice:4444/S3CRET@host/`` names the host ``alice`` and port 4444 and sends
``/S3CRET@host/`` as a path. :func:`split_credentials` refuses any URL with an ``@`` after its authority
(:class:`~cxrkit.errors.InvalidUrlError`, which shows none of the URL before that ``@``) and splits the
rest at the authority's last ``@`` and the user information's first ``:``, so an unencoded ``@``, ``:``,
``%``, space, ``[`` or ``]`` in a password is read as the user meant.

:func:`scrub` removes credentials from a text: ``user:password@`` in any URL, ``Authorization`` header values,
and each secret given (also percent-encoded). :func:`guard_logging` registers secrets for the whole process:
from then on every log record created by any logger (the kit's, fsspec's, aiohttp's, botocore's, ...) is
scrubbed as it is made, its message, arguments and traceback text, so a DEBUG log shows ``***`` instead.

Examples
--------
>>> split_credentials("https://alice:p%2Fss@physionet.org/files/")
('https://physionet.org/files/', 'alice', 'p/ss')
>>> split_credentials("https://alice:p@ss:w@physionet.org/")  # '@' and ':' need no encoding
('https://physionet.org/', 'alice', 'p@ss:w')
>>> scrub("GET https://alice:pw@host/x failed", ["pw"])
'GET https://host/x failed'
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import traceback
import urllib.parse
from collections.abc import Iterable

from ..errors import InvalidUrlError

__all__ = ["guard_logging", "scrub", "split_credentials"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*)://")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*://)[^\s/?#]*@")
_AUTH_HEADER = re.compile(
    r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(basic|bearer|token|digest|aws4-hmac-sha256)\s+[^'\"\s,>)]+"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

#: Where a URL's credentials can be given instead, for messages.
PLACES = (
    "storage_options={'username': ..., 'password': ...}, the environment variables "
    "CXRKIT_HTTP_USER/CXRKIT_HTTP_PASSWORD, or a ~/.netrc entry"
)


def split_credentials(url: str) -> tuple[str, str | None, str | None]:
    """``(url without user information, user, password)``, decoded; ``None`` for what the URL does not give.

    Raises
    ------
    cxrkit.errors.InvalidUrlError
        The URL has an ``@`` after a ``/``, ``?`` or ``#`` (an unencoded reserved character in a password
        would send part of it as a path), or a control character.
    """
    match = _SCHEME.match(url)
    if not match:
        return url, None, None
    rest = url[match.end() :]
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:end], rest[end:]
    scheme = match.group(1)
    if "@" in tail:
        after = rest.rpartition("@")[2]
        host = re.split(r"[/?#]", after, maxsplit=1)[0]
        raise InvalidUrlError(
            f"{scheme}://***@{host}/...: refused before any request, because this URL has an '@' after a "
            "'/', '?' or '#'. A password (or user name) holding an unencoded '/', '?' or '#' would be cut "
            "there and partly sent as a path, or to a host or port you never named. Percent-encode it "
            "(urllib.parse.quote(password, safe='')), or give the credentials through "
            f"{PLACES}; an '@' that belongs to the path is written %40."
        )
    if _CONTROL.search(url):
        raise InvalidUrlError(
            f"{scheme}://{authority.rpartition('@')[2]}/...: the URL holds a control character (a tab or a "
            "line break, which URL parsers drop silently); remove it, or percent-encode it in a password, "
            f"or give the credentials through {PLACES}"
        )
    userinfo, at, hostport = authority.rpartition("@")
    clean = match.group(0) + hostport + tail
    if not at:
        return clean, None, None
    user, colon, password = userinfo.partition(":")
    return clean, urllib.parse.unquote(user), urllib.parse.unquote(password) if colon else None


def _forms(secret: str) -> set[str]:
    """A secret as it may be written: as is, percent-encoded (both ways), and HTTP basic's base64 pair."""
    quote = urllib.parse.quote
    return {s for s in (secret, quote(secret, safe=""), quote(secret), urllib.parse.quote_plus(secret)) if s}


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without credentials: ``user:password@`` in URLs, ``Authorization`` values, and ``secrets``
    (plus every secret registered with :func:`guard_logging`), each also percent-encoded."""
    text = _USERINFO.sub(r"\1", text)
    text = _AUTH_HEADER.sub(r"\1***", text)
    with _LOCK:
        known = set(_ACTIVE)
    for secret in secrets:
        if secret:
            known |= _forms(secret)
    for secret in sorted(known, key=len, reverse=True):  # longest first: a token before the password in it
        text = text.replace(secret, "***")
    return text


def basic_token_forms(user: str, password: str) -> tuple[str, ...]:
    """``Basic <base64>`` and the base64 alone, as an Authorization header carries them."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return (f"Basic {token}", token)


# --- the log guard ------------------------------------------------------------------------------------------

_LOCK = threading.Lock()
_ACTIVE: set[str] = set()
_installed = False


def _scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 - a record whose arguments do not format: leave it to logging
        return record
    clean = scrub(message)
    if clean != message:  # a record without secrets is left as it was made
        record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[0] is not None:
        text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if scrub(text) != text:
            record.exc_text = scrub(text)  # logging's Formatter uses exc_text when it is set
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


def guard_logging(secrets: Iterable[str]) -> None:
    """Keep ``secrets`` (each also percent-encoded) out of every log record made from now on in this process.

    The first call wraps :func:`logging.getLogRecordFactory`, so records of every logger, including libraries'
    loggers created later (fsspec, aiohttp, asyncio, urllib3, botocore, ...), are scrubbed when they are made,
    before any handler or filter sees them.

    Examples
    --------
    >>> import logging
    >>> guard_logging(["hunter2-example"])
    >>> make = logging.getLogRecordFactory()
    >>> make("fsspec.http", logging.DEBUG, "", 0, "pw %s", ("hunter2-example",), None).getMessage()
    'pw ***'
    """
    global _installed
    forms: set[str] = set()
    for secret in secrets:
        forms |= _forms(secret) if secret else set()
    if not forms:
        return
    with _LOCK:
        _ACTIVE.update(forms)
        if _installed:
            return
        _installed = True
        previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return _scrub_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
