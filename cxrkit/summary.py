"""How a dataset, a study and a summary show themselves in a notebook: small HTML tables, escaped, readable.

A cell's output is a visible choice of the notebook's author: these reprs show ids and paths (what a cell that
asks for a study shows), never report text or pixels.

Examples
--------
>>> s = Summary({"root": "/data/mimic-cxr/2.1.0", "patients": 65379, "tables": {"records": "a.csv"}})
>>> print(s)
root      /data/mimic-cxr/2.1.0
patients  65,379
tables    records: a.csv
>>> "<table" in s._repr_html_()
True
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any


def _text(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items()) or "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def html_table(rows: Iterable[tuple[str, Any]], *, title: str | None = None) -> str:
    """A two-column HTML table (what, value), every value escaped.

    Examples
    --------
    >>> table = html_table([("a", "<b>"), ("patient", 10000032)], title="T")
    >>> "&lt;b&gt;" in table, "10000032" in table  # escaped; ids as they are
    (True, True)
    """
    cells = "".join(
        f'<tr><th style="text-align:left">{html.escape(str(k))}</th>'
        f'<td style="text-align:left">{html.escape(_text(v))}</td></tr>'
        for k, v in rows
    )
    caption = f'<caption style="text-align:left"><b>{html.escape(title)}</b></caption>' if title else ""
    return f"<table>{caption}{cells}</table>"


def text_table(rows: Iterable[tuple[str, Any]]) -> str:
    """The same rows as aligned plain text."""
    rows = [(str(k), _text(v)) for k, v in rows]
    width = max((len(k) for k, _ in rows), default=0)
    return "\n".join(f"{k:<{width}}  {v}".rstrip() for k, v in rows)


#: Keys of a summary that are counts (shown with thousands separators; ids never are).
COUNT_KEYS = ("patients", "studies", "images", "images_on_disk", "reports_on_disk")


class Summary(dict):
    """What :meth:`cxrkit.Dataset.summary` returns: a plain dict (``cxrkit info`` and scripts read its keys)
    that prints as a table and shows as one in a notebook."""

    def _rows(self) -> list[tuple[str, Any]]:
        return [
            (k, f"{v:,}" if k in COUNT_KEYS and isinstance(v, int) else v)
            for k, v in self.items()
            if v not in (None, {}, [])
        ]

    def __str__(self) -> str:
        return text_table(self._rows())

    def _repr_html_(self) -> str:
        return html_table(self._rows(), title="cxrkit dataset summary")
