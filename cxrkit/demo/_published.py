"""The published MIMIC-CXR figures the demo is measured against (private to :mod:`cxrkit.demo`).

Sources (see ``shared/mimic-cxr-facts.md``, "Published distributions"): the official
``notebooks/generate-stats-from-paper.ipynb``, the MIMIC-CXR and MIMIC-CXR-JPG papers, and header counts over
all reports. Figures are percentages. Each label figure carries its source (:data:`LABEL_SOURCES`): the facts
sheet where it gives the number for the training split; otherwise the figure was recalled from the
MIMIC-CXR-JPG paper's label table over all 227,827 studies (a close stand-in for the training split, which
holds 98% of the studies) and is **unverified**: the stored copy of the paper
(https://www.arxiv-vanity.com/papers/1901.07042/) holds only its opening (title, authors, abstract), not the
label table, so those figures could not be checked against it (session 4). The realism report names them
as such.

Examples
--------
>>> LABEL_SHARES["Pleural Effusion"]
(23.2, 11.9, 2.6)
"""

from __future__ import annotations

#: CheXpert, training studies: (positive, negative, uncertain) % per category; blank is the rest.
LABEL_SHARES: dict[str, tuple[float, float, float]] = {
    "Atelectasis": (19.8, 0.7, 4.5),
    "Cardiomegaly": (17.1, 7.0, 2.7),
    "Consolidation": (4.7, 3.5, 1.9),
    "Edema": (11.5, 11.3, 5.8),
    "Enlarged Cardiomediastinum": (3.1, 2.3, 4.1),
    "Fracture": (1.9, 0.4, 0.25),
    "Lung Lesion": (2.8, 0.4, 0.5),
    "Lung Opacity": (22.2, 1.3, 1.7),
    "No Finding": (33.2, 0.0, 0.0),
    "Pleural Effusion": (23.2, 11.9, 2.6),
    "Pleural Other": (0.9, 0.05, 0.3),
    "Pneumonia": (6.9, 10.7, 7.8),
    "Pneumothorax": (4.1, 18.5, 0.5),
    "Support Devices": (28.7, 1.5, 0.1),
}
#: Which of the (positive, negative, uncertain) figures the facts sheet states for the training split.
LABEL_SOURCES: dict[str, tuple[bool, bool, bool]] = {
    "Atelectasis": (True, False, False),
    "Cardiomegaly": (True, False, False),
    "Consolidation": (False, True, False),
    "Edema": (True, False, False),
    "Lung Opacity": (True, False, False),
    "No Finding": (True, True, True),
    "Pleural Effusion": (True, True, False),
    "Pneumonia": (True, False, True),
    "Pneumothorax": (True, True, False),
    "Support Devices": (True, False, False),
}
#: Studies (training split) with at least one positive NegBio label (No Finding included).
NEGBIO_ANY_POSITIVE = 76.5
#: Studies whose CheXpert and NegBio values differ, where published.
DISAGREEMENT = {"Cardiomegaly": 2.6, "No Finding": 1.7}
#: % of reports with each header (exact spelling at the start of a line), over all reports.
HEADERS = {
    "IMPRESSION": 82.4,
    "COMPARISON": 67.9,
    "INDICATION": 67.5,
    "FINDINGS": 65.8,
    "EXAMINATION": 41.3,
    "TECHNIQUE": 35.7,
    "HISTORY": 20.0,
    "COMPARISONS": 3.8,
    "REASON FOR EXAMINATION": 2.6,
    "NOTIFICATION": 2.5,
    "CONCLUSION": 0.8,
    "RECOMMENDATION(S)": 0.8,
    "FINDINGS AND IMPRESSION": 0.04,
}
#: The official section parser over all reports: impression found / findings but no impression / neither.
SECTIONS = {"impression": 83.2, "findings only": 12.2, "last paragraph only": 4.6}
#: ViewPosition over all images ("" = empty).
VIEWS = {"AP": 39.0, "PA": 25.5, "LATERAL": 22.0, "LL": 9.3, "": 4.2}
#: Images per study over all studies.
IMAGES_PER_STUDY = {1: 45.1, 2: 45.4, 3: 8.5}
#: Images the official notebook's view rules leave as neither frontal nor lateral ("other"): 150 of 377,110.
OTHER_VIEW = 0.04
#: The official notebook's view rules: ViewPosition first, then AcquisitionDeviceProcessingDescription.
OFFICIAL_VIEW_POSITION = {"AP": "frontal", "PA": "frontal", "LATERAL": "lateral", "LL": "lateral"}
OFFICIAL_PROCESSING = {
    **dict.fromkeys(("CHEST, LATERAL", "CHEST LAT", "STERNUM, LATERAL"), "lateral"),
    **dict.fromkeys(
        (
            "CHEST, PA",
            "CHEST, PORTABLE",
            "CHEST, PA X-WISE",
            "CHEST, AP (GRID)",
            "CHEST PA",
            "CHEST, AP NON-GRID",
            "CHEST AP NON GRID",
            "CHEST PA X-WISE",
            "CHEST AP GRID",
            "CHEST PORT",
            "CHEST PORT X-WISE",
            "UPPER RIBS",
            "SCOLIOSIS AP",
        ),
        "frontal",
    ),
}
