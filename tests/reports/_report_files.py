"""Test helper for ``tests/reports/``: reports in the MIMIC style (``mimic``, ``TITLE``, ``RULE``) and a small
corpus of them (``REPORTS``) written as a ``files/`` tree (``write_tree``) or a reports zip (``write_zip``).

Importable from the test modules because pytest puts ``tests/reports/`` on ``sys.path``.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

RULE = " " + "_" * 78
TITLE = " " * 33 + "FINAL REPORT"


def mimic(*lines: str) -> str:
    """A report in the MIMIC style: every line indented by one space, blank lines a single space."""
    return (
        "\n".join(TITLE if line == "TITLE" else RULE if line == "RULE" else " " + line for line in lines)
        + "\n"
    )


#: A small corpus: (subject_id, study_id) -> report text.
REPORTS = {
    (10000032, 50414267): mimic(
        "TITLE", "INDICATION: Cough.", "", "FINDINGS: Clear lungs.", "", "IMPRESSION: Normal."
    ),
    (10000032, 53189527): mimic("TITLE", "FINDINGS: Small left effusion.", "", "IMPRESSION: Effusion."),
    (10000764, 57375967): mimic("TITLE", "PORTABLE CHEST ___", "", "No pneumothorax."),
    (11000011, 51234567): "",  # empty report
    (12000001, 52222222): TITLE + "\n",  # title only
}


def write_tree(root: Path, extra: dict | None = None) -> Path:
    for (subject, study), text in {**REPORTS, **(extra or {})}.items():
        p = root / f"files/p{str(subject)[:2]}/p{subject}/s{study}.txt"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    # an image study folder beside the reports must be ignored
    (root / "files/p10/p10000032/s50414267").mkdir(exist_ok=True)
    (root / "files/p10/p10000032/s50414267/02aa804e-bde0afdd-112c0b34-7bc16630-4e384014.dcm").write_bytes(
        b"x"
    )
    return root


def write_zip(path: Path, top: str = "mimic-cxr-reports-copy-2") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{top}/", b"")
        for (subject, study), text in REPORTS.items():
            zf.writestr(f"{top}/files/p{str(subject)[:2]}/p{subject}/s{study}.txt", text)
        zf.writestr(f"{top}/README.txt", "not a report")
        zf.writestr(f"{top}/files/p10/p10000032/notes.txt", "not a report either")
    return path
