"""MIMIC-IV beside MIMIC-CXR: read the hospital tables (patients, admissions, ICU and ED stays) and link each
chest X-ray study to the admission, ICU stay and ED stay it was taken in, by a named rule whose evidence is
kept in the result.

>>> from cxrkit.mimic_iv import RULES
>>> sorted(RULES)
['admission', 'admission+ed', 'admission-24h', 'first-48h']
"""

from .copy import TABLES, MimicIV, find_mimic_iv, open_mimic_iv
from .link import POSITIONS, RULES, Rule, compare_rules, link_studies, link_summary

__all__ = [
    "POSITIONS",
    "RULES",
    "TABLES",
    "MimicIV",
    "Rule",
    "compare_rules",
    "find_mimic_iv",
    "link_studies",
    "link_summary",
    "open_mimic_iv",
]
