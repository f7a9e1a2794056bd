"""Small HTML builders for the browser: the report, label chips, the header table, placeholders.

Everything from the data is escaped with :func:`html.escape`; only the tags written here reach the page.

Examples
--------
>>> "<mark>effusion</mark>" in report_html(" FINDINGS: Small effusion.", highlight="EFFUSION".lower())
True
>>> "&lt;script&gt;" in report_html("<script>")
True
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Mapping, Sequence

# A section header: upper-case words ending in a colon at the start of a line (as in the official parser).
_HEADER_RE = re.compile(r"^[ \t]*([A-Z][A-Z ()/,&-]*[A-Z)])[ \t]*:", re.MULTILINE)

#: Header names (upper case) shown as "findings" or "impression" (the sections a reader looks for first).
KEY_SECTIONS = {
    "FINDINGS": "findings",
    "IMPRESSION": "impression",
    "CONCLUSION": "impression",
    "FINDINGS AND IMPRESSION": "impression",
    "IMPRESSIONS": "impression",
}

_TEXT_STYLE = "font-size:12.5px;line-height:1.45"
_KEY_STYLE = "background:#fff6d6;border-left:3px solid #e0a000;padding:2px 6px;margin:2px 0"
_CHIP_COLORS = {1.0: ("#c62828", "1"), 0.0: ("#2e7d32", "0"), -1.0: ("#ef8f00", "-1"), None: ("#9e9e9e", "")}


def mark(text: str, highlight: str | None) -> str:
    """``text`` escaped, with case-insensitive occurrences of ``highlight`` wrapped in ``<mark>``.

    Examples
    --------
    >>> mark("a<b A", "a")
    '<mark>a</mark>&lt;b <mark>A</mark>'
    """
    if not highlight:
        return html.escape(text, quote=False)
    parts = re.split(f"({re.escape(highlight)})", text, flags=re.IGNORECASE)
    return "".join(
        f"<mark>{html.escape(p, quote=False)}</mark>" if i % 2 else html.escape(p, quote=False)
        for i, p in enumerate(parts)
    )


def split_sections(text: str) -> list[tuple[str | None, str]]:
    """``(header or None, body)`` pieces of a report in order; the text before the first header has None.

    Examples
    --------
    >>> split_sections(" EXAM: chest\\n FINDINGS: clear")
    [(None, ' '), ('EXAM', ' chest\\n '), ('FINDINGS', ' clear')]
    """
    pieces: list[tuple[str | None, str]] = []
    pos, name = 0, None
    for m in _HEADER_RE.finditer(text):
        pieces.append((name, text[pos : m.start(1)]))
        name, pos = m.group(1), m.end()
    pieces.append((name, text[pos:]))
    return [(n, b) for n, b in pieces if n is not None or b]


def _paragraphs(body: str, highlight: str | None, head: str = "") -> str:
    """A section body as HTML paragraphs (``head`` leads the first): the report's 79-column line breaks are
    undone (blank lines kept), so the text wraps to its column and a highlight can span a former line
    break."""
    paras = [mark(" ".join(p.split()), highlight) for p in re.split(r"\n[ \t]*\n", body) if p.strip()]
    if head:
        paras = [f"{head} {paras[0]}" if paras else head, *paras[1:]]
    return "".join(f'<p style="margin:0 0 4px 0">{p}</p>' for p in paras)


def report_html(text: str, *, highlight: str | None = None) -> str:
    """The report as HTML: headers bold, findings and impression in a tinted block, ``highlight`` marked.

    ``highlight`` is matched case-insensitively with runs of white space treated as one space.
    """
    highlight = " ".join(highlight.split()) if highlight else None
    out = []
    for name, body in split_sections(text):
        if name is None:
            out.append(_paragraphs(body, highlight))
            continue
        key = KEY_SECTIONS.get(" ".join(name.split()))
        paras = _paragraphs(body, highlight, head=f"<b>{mark(name, highlight)}:</b>")
        if key:
            paras = f'<div class="cxrkit-section-{key}" style="{_KEY_STYLE}">{paras}</div>'
        out.append(paras)
    return f'<div class="cxrkit-report-text" style="{_TEXT_STYLE}">{"".join(out)}</div>'


def message_html(text: str, *, kind: str = "info") -> str:
    """A short grey (info) or red (error) note."""
    color = "#b71c1c" if kind == "error" else "#616161"
    return f'<div style="color:{color};font-style:italic;padding:4px">{html.escape(text)}</div>'


def chips_html(labels: Mapping[str, Mapping[str, float | None]]) -> str:
    """Label chips, one row per labeller (``{"CheXpert": {"Edema": 1.0, ...}, ...}``): 1 / 0 / -1 / blank."""
    if not labels:
        return message_html("no labels for this study in this copy")
    rows = []
    for source, values in labels.items():
        chips = []
        for name, value in values.items():
            v = None if value is None or math.isnan(value) else float(value)
            color, shown = _CHIP_COLORS.get(v, _CHIP_COLORS[None])
            tip = html.escape(f"{source}: {name} = {shown or 'blank'}")
            chips.append(
                f'<span class="cxrkit-chip" title="{tip}" '
                f'style="display:inline-block;margin:1px 2px;padding:0 6px;border-radius:9px;font-size:11px;'
                f'border:1px solid {color};color:{color}">{html.escape(name)} '
                f"<b>{shown or '&middot;'}</b></span>"
            )
        label = f'<span style="font-size:11px;color:#555">{html.escape(source)}</span>'
        rows.append(f"<div>{label} {''.join(chips)}</div>")
    return "".join(rows)


def table_html(values: Mapping[str, object]) -> str:
    """A two-column table of ``keyword: value`` (the DICOM header)."""
    cells = "".join(
        f'<tr><td style="padding:0 8px 0 0;color:#555">{html.escape(str(k))}</td>'
        f"<td>{html.escape(', '.join(map(str, v)) if isinstance(v, (list, tuple)) else str(v))}</td></tr>"
        for k, v in values.items()
    )
    return f'<table class="cxrkit-header" style="font-size:11px;line-height:1.3">{cells}</table>'


def placeholder_html(title: str, detail: str, *, size: int) -> str:
    """A box the size of a thumbnail saying what is missing and why."""
    return (
        f'<div class="cxrkit-missing" style="width:{size}px;height:{size}px;'
        "display:flex;flex-direction:column;"
        f"align-items:center;justify-content:center;border:2px dashed #bbb;color:#777;font-size:12px;"
        f'text-align:center;box-sizing:border-box;padding:6px"><b>{html.escape(title)}</b>'
        f'<span style="word-break:break-all">{html.escape(detail)}</span></div>'
    )


def list_label(row: Mapping[str, object], views: Sequence[str] | None = None) -> str:
    """The text of one entry of the studies list: patient, study, date, image count and views."""
    date = row.get("StudyDate")
    n = row.get("n_images") or 0
    v = "/".join(views or row.get("views") or []) or "-"
    return f"p{row['subject_id']}  s{row['study_id']}  {date or '(no date)'}  {n} img  {v}"
