"""The reports' text encoding: a report file's bytes as text, whatever its line endings or stray bytes.

MIMIC-CXR reports are UTF-8 with ``\\n`` line endings, nearly all plain ASCII; a few hold a byte that is not
valid UTF-8 (read here as latin-1), a copy may have ``\\r\\n`` endings or a byte-order mark. Every reader of
reports (a file, a member of the reports zip, the corpus ingest) decodes through :func:`decode_report`; the
zip reader's fast path decodes with the ``"cxrkit-latin1"`` error handler registered here and hands anything
unusual to it.

Examples
--------
>>> decode_report(b"\\xef\\xbb\\xbf FINDINGS: Clear.\\r\\n")
' FINDINGS: Clear.\\n'
"""

from __future__ import annotations

import codecs

__all__ = ["decode_report"]


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):  # pragma: no cover - only registered for decoding
        raise exc
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("cxrkit-latin1", _latin1_fallback)


def decode_report(data: bytes) -> str:
    """Decode report bytes: UTF-8, any byte that is not valid UTF-8 read as latin-1;
    line endings made ``\\n``.

    Never raises. A UTF-8 byte-order mark is dropped.

    Examples
    --------
    >>> decode_report(b"caf\\xc3\\xa9 \\xe9\\r\\nnext\\rlast")
    'café é\\nnext\\nlast'
    """
    text = data.decode("utf-8", errors="cxrkit-latin1")
    text = text.removeprefix("\ufeff")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text
