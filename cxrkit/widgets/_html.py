"""Small HTML builders for the browser: the report, the labels table, the header table, placeholders.

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


#: How a label value is shown in the labels table: value -> (text, css class).
LABEL_CELLS = {1.0: ("1", "pos"), 0.0: ("0", "neg"), -1.0: ("-1", "unc"), None: ("", "blank")}
#: The legend under the labels table.
LABEL_LEGEND = "1 positive \u00b7 0 negative \u00b7 -1 uncertain \u00b7 blank: not mentioned"


def labels_html(labels: Mapping[str, Mapping[str, float | None]]) -> str:
    """The labels as a compact table: one row per finding, one column per labeller, and a legend.

    A positive finding is tinted red, uncertain amber, negative green; "No Finding" positive is tinted like
    a negative (it is the absence of a disease, not one).

    Examples
    --------
    >>> out = labels_html({"CheXpert": {"Edema": 1.0, "No Finding": 1.0, "Atelectasis": None}})
    >>> 'class="pos"' in out, 'class="neg"' in out, "uncertain" in out
    (True, True, True)
    """
    if not labels:
        return message_html("no labels for this study in this copy")
    sources = list(labels)
    names = list(dict.fromkeys(n for values in labels.values() for n in values))
    head = "".join(f"<th>{html.escape(s)}</th>" for s in sources)
    rows = []
    for name in names:
        cells = []
        for source in sources:
            value = labels[source].get(name)
            v = None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
            text, css = LABEL_CELLS.get(v, LABEL_CELLS[None])
            if name == "No Finding" and v == 1.0:
                css = "neg"
            tip = html.escape(f"{source}: {name} = {text or 'blank'}")
            cells.append(f'<td class="{css}" title="{tip}">{text or "&middot;"}</td>')
        rows.append(f'<tr><td class="name">{html.escape(name)}</td>{"".join(cells)}</tr>')
    return (
        f'<table class="cxrkit-labels"><tr><th></th>{head}</tr>{"".join(rows)}</table>'
        f'<div class="cxrkit-legend">{html.escape(LABEL_LEGEND)}</div>'
    )


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
