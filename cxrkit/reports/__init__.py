"""Free-text reports: reading one, cutting it into sections, and ingesting the whole corpus as a frame.

* :mod:`~cxrkit.reports.read` - :func:`read_report` reads one report (a file, ``.txt.gz``, or a member of
  ``mimic-cxr-reports.zip``) whatever its line endings or encoding (:func:`decode_report`, in
  :mod:`~cxrkit.reports.encoding`).
* :mod:`~cxrkit.reports.sections` - :func:`parse_sections` and :func:`sections_frame` cut one report, or a
  whole frame of them, into normalised sections (``findings``, ``impression``, ...).
* :mod:`~cxrkit.reports.corpus` - :func:`read_reports` ingests every report of a ``files/`` tree or of the
  reports zip (read in place by :mod:`~cxrkit.reports.zipread`, which also gives :func:`find_zip_member`), in
  parallel, cached as parquet; :func:`read_sections` adds the section columns (also cached).
* :mod:`~cxrkit.reports.official` - :func:`official_sections` and :func:`write_sectioned_csv` reproduce the
  official ``mimic_cxr_sectioned.csv`` byte for byte (the official parser's rules, :func:`official_split`).

Examples
--------
>>> text = " FINAL REPORT\\n INDICATION: Cough.\\n \\n FINDINGS: No effusion.\\n \\n IMPRESSION: Normal.\\n"
>>> parse_sections(text)["impression"]
'Normal.'
"""

from ..errors import ReportReadError
from .corpus import (
    INGEST_VERSION,
    ReportCorpus,
    ReportIngestWarning,
    ingest_reports,
    read_reports,
    read_sections,
    wait_for_cache_writes,
)
from .encoding import MAX_REPORT_BYTES, decode_report
from .official import (
    OFFICIAL_COLUMNS,
    OFFICIAL_SECTION_OVERRIDES,
    OFFICIAL_SPAN_OVERRIDES,
    OFFICIAL_SYNONYMS,
    PYTHON_WHITESPACE,
    diff_official,
    official_conclusions,
    official_frame,
    official_row,
    official_section_name,
    official_sections,
    official_split,
    sectioned_rows,
    write_conclusion_csvs,
    write_sectioned_csv,
)
from .read import read_report
from .sections import (
    HEADER_MODIFIERS,
    PARSER_VERSION,
    SECTION_COLUMNS,
    SECTION_RULES,
    SECTION_SYNONYMS,
    explain_sections,
    parse_sections,
    sections_explained,
    sections_frame,
)
from .zipread import find_zip_member, read_zip_report, report_members

__all__ = [
    "HEADER_MODIFIERS",
    "INGEST_VERSION",
    "MAX_REPORT_BYTES",
    "OFFICIAL_COLUMNS",
    "OFFICIAL_SECTION_OVERRIDES",
    "OFFICIAL_SPAN_OVERRIDES",
    "OFFICIAL_SYNONYMS",
    "PARSER_VERSION",
    "PYTHON_WHITESPACE",
    "SECTION_COLUMNS",
    "SECTION_RULES",
    "SECTION_SYNONYMS",
    "ReportCorpus",
    "ReportIngestWarning",
    "ReportReadError",
    "decode_report",
    "diff_official",
    "explain_sections",
    "find_zip_member",
    "ingest_reports",
    "official_conclusions",
    "official_frame",
    "official_row",
    "official_section_name",
    "official_sections",
    "official_split",
    "parse_sections",
    "read_report",
    "read_reports",
    "read_sections",
    "read_zip_report",
    "report_members",
    "sectioned_rows",
    "sections_explained",
    "sections_frame",
    "wait_for_cache_writes",
    "write_conclusion_csvs",
    "write_sectioned_csv",
]
