"""Synthetic CheXpert and NegBio labels from the published joint picture (private to :mod:`cxrkit.demo`).

:func:`make_labels` gives every study one of three kinds, as the real tables do:

* **abnormal** (about 41% of studies): at least one pathology positive. Positives cluster the way they do on
  real films: a heart-failure factor (partly a property of the patient, so it follows them from study to
  study) drives cardiomegaly, edema, effusions and a widened mediastinum; an airspace factor drives opacity,
  consolidation, pneumonia and atelectasis; an effusion makes adjacent atelectasis likelier;
* **uncertain only** (about 26%): no positive pathology, one or more hedged ones ("may reflect atelectasis");
  CheXpert then leaves ``No Finding`` blank, which is why only ~77% of real studies carry a positive label;
* **normal** (about 33%): ``No Finding`` positive.

Negatives are mentioned at each category's real rate (pneumothorax and effusion often, consolidation rarely),
support devices follow the setting (bedside films of sick patients). The tuning constants below were fitted
so that the shares land on the published training-split figures (see :mod:`cxrkit.demo._realism`).

:func:`negbio_from` then reads the same studies "as NegBio would": a category-dependent share of cells
differ (cardiomegaly most, because NegBio does not treat "heart size is normal" as a cardiomegaly mention;
uncertain and positive swap on hedges such as "stable"), and ``No Finding`` is recomputed, so the two
labellers disagree on it too.

Examples
--------
>>> lab = make_labels(np.random.default_rng(1), np.zeros(1000, dtype=bool))
>>> lab.shape, sorted(set(np.unique(lab[~np.isnan(lab)]).tolist()))
((1000, 14), [-1.0, 0.0, 1.0])
"""

from __future__ import annotations

import numpy as np

from ..tables import LABEL_COLUMNS as CATEGORIES  # the 14 CheXpert/NegBio labels, in file order

_IDX = {name: i for i, name in enumerate(CATEGORIES)}
NO_FINDING = _IDX["No Finding"]
SUPPORT = _IDX["Support Devices"]
PATHOLOGIES = tuple(i for i, name in enumerate(CATEGORIES) if name not in ("No Finding", "Support Devices"))

#: P(abnormal), P(uncertain only) for (outpatient, bedside) studies; the rest are normal.
_KIND = {False: (0.21, 0.34), True: (0.53, 0.26)}
#: Per pathology: logit intercept of "positive" in an abnormal study, loading on the heart-failure factor,
#: loading on the airspace factor (fitted, see the module docstring).
_POSITIVE = {
    "Atelectasis": (-0.58, 0.3, 1.0),
    "Cardiomegaly": (-0.39, 1.6, 0.0),
    "Consolidation": (-2.37, 0.0, 1.2),
    "Edema": (-1.17, 1.5, 0.3),
    "Enlarged Cardiomediastinum": (-2.71, 0.9, 0.0),
    "Fracture": (-2.96, 0.0, 0.0),
    "Lung Lesion": (-2.53, 0.0, 0.0),
    "Lung Opacity": (0.39, 0.2, 1.3),
    "Pleural Effusion": (0.52, 1.2, 0.3),
    "Pleural Other": (-3.76, 0.0, 0.0),
    "Pneumonia": (-1.99, 0.0, 1.4),
    "Pneumothorax": (-2.07, 0.0, 0.0),
}
_EFFUSION_ATELECTASIS = 1.1  # logit added to atelectasis when there is an effusion
#: Per pathology: P(uncertain) of a non-positive cell in an uncertain-only study (abnormal studies hedge a
#: fifth as often), and P(negative) of a cell neither positive nor uncertain.
_UNCERTAIN = {
    "Atelectasis": 0.054,
    "Cardiomegaly": 0.032,
    "Consolidation": 0.021,
    "Edema": 0.07,
    "Enlarged Cardiomediastinum": 0.047,
    "Fracture": 0.0029,
    "Lung Lesion": 0.0056,
    "Lung Opacity": 0.021,
    "Pleural Effusion": 0.032,
    "Pleural Other": 0.0034,
    "Pneumonia": 0.091,
    "Pneumothorax": 0.0057,
}
_NEGATIVE = {
    "Atelectasis": 0.00867,
    "Cardiomegaly": 0.0859,
    "Consolidation": 0.0381,
    "Edema": 0.137,
    "Enlarged Cardiomediastinum": 0.0251,
    "Fracture": 0.00364,
    "Lung Lesion": 0.00402,
    "Lung Opacity": 0.0168,
    "Pleural Effusion": 0.159,
    "Pleural Other": 0.000524,
    "Pneumonia": 0.126,
    "Pneumothorax": 0.198,
}
#: P(support devices positive) by (bedside, kind): abnormal, uncertain only, normal.
_DEVICES = {False: (0.115, 0.02, 0.042), True: (0.67, 0.2, 0.42)}
_FALLBACK = ("Lung Opacity", "Atelectasis", "Pleural Effusion", "Cardiomegaly")


def make_labels(
    rng: np.random.Generator, portable: np.ndarray, patient: np.ndarray | None = None
) -> np.ndarray:
    """CheXpert-style labels for every study: a float array ``(studies, 14)`` of 1.0, 0.0, -1.0 or NaN.

    ``portable`` marks bedside (portable AP) studies, which are sicker and carry more support devices.
    ``patient`` (an integer per study) links a patient's studies: part of the heart-failure factor and the
    chance of carrying a device are the patient's, so they show in most of their studies.

    Examples
    --------
    >>> lab = make_labels(np.random.default_rng(0), np.ones(4000, dtype=bool))
    >>> bool(np.nanmean(lab[:, SUPPORT] == 1.0) > 0.3)  # bedside films: many lines and tubes
    True
    """
    portable = np.asarray(portable, dtype=bool)
    n = portable.size
    patient = np.arange(n) if patient is None else np.asarray(patient)
    n_patients = int(patient.max()) + 1 if n else 0
    out = np.full((n, len(CATEGORIES)), np.nan)
    p_abn = np.where(portable, _KIND[True][0], _KIND[False][0])
    p_unc = np.where(portable, _KIND[True][1], _KIND[False][1])
    frail = rng.standard_normal(n_patients)[patient]  # a patient's lasting tendency to be ill
    p_abn = 1.0 / (1.0 + np.exp(-(np.log(p_abn / (1.0 - p_abn)) + 0.6 * frail)))
    u = rng.random(n)
    abnormal = u < p_abn
    unc_only = ~abnormal & (u < p_abn + p_unc)
    heart = 0.75 * rng.standard_normal(n_patients)[patient] + 0.66 * rng.standard_normal(n)
    air = rng.standard_normal(n)
    # positives of abnormal studies, effusion first (atelectasis depends on it)
    order = ["Pleural Effusion"] + [c for c in _POSITIVE if c != "Pleural Effusion"]
    for name in order:
        a, w_heart, w_air = _POSITIVE[name]
        logit = a + w_heart * heart + w_air * air
        if name == "Atelectasis":
            logit = logit + _EFFUSION_ATELECTASIS * (out[:, _IDX["Pleural Effusion"]] == 1.0)
        positive = abnormal & (rng.random(n) < 1.0 / (1.0 + np.exp(-logit)))
        out[positive, _IDX[name]] = 1.0
    fallback = np.array([_IDX[c] for c in _FALLBACK])
    none = abnormal & ~np.any(out[:, list(PATHOLOGIES)] == 1.0, axis=1)
    rows = np.flatnonzero(none)
    out[rows, fallback[rng.integers(0, fallback.size, rows.size)]] = 1.0
    # hedges: mostly in studies without a positive finding
    weights = np.array([_UNCERTAIN[CATEGORIES[j]] for j in PATHOLOGIES])
    for k, j in enumerate(PATHOLOGIES):
        p = np.where(unc_only, weights[k], np.where(abnormal, 0.2 * weights[k], 0.0))
        out[(rng.random(n) < p) & np.isnan(out[:, j]), j] = -1.0
    rows = np.flatnonzero(unc_only & ~np.any(out[:, list(PATHOLOGIES)] == -1.0, axis=1))
    picks = np.asarray(PATHOLOGIES)[rng.choice(weights.size, size=rows.size, p=weights / weights.sum())]
    out[rows, picks] = -1.0
    # negatives, where nothing else was said
    for name, p in _NEGATIVE.items():
        j = _IDX[name]
        if name == "Pneumothorax":  # looked for after every line placement
            p = np.where(portable, 1.35 * p, 0.65 * p)
        out[(rng.random(n) < p) & np.isnan(out[:, j]), j] = 0.0
    # support devices: the setting, the kind of study, and the patient (a pacemaker stays)
    kind = np.where(abnormal, 0, np.where(unc_only, 1, 2))
    table = np.array([_DEVICES[False], _DEVICES[True]])
    p_dev = table[portable.astype(int), kind]
    p_dev = np.clip(p_dev * np.exp(0.35 * frail), 0.0, 0.95)
    v = rng.random(n)
    dev = np.full(n, np.nan)
    dev[v < p_dev + 0.016] = 0.0
    dev[v < p_dev + 0.0015] = -1.0
    dev[v < p_dev] = 1.0
    out[:, SUPPORT] = dev
    set_no_finding(out)
    return out


def set_no_finding(out: np.ndarray) -> None:
    """``No Finding`` by the CheXpert rule: positive when no pathology (devices aside) is positive or
    uncertain, else blank; in place."""
    path = out[:, list(PATHOLOGIES)]
    clear = ~np.any((path == 1.0) | (path == -1.0), axis=1)
    out[:, NO_FINDING] = np.where(clear, 1.0, np.nan)


#: How NegBio reads a CheXpert cell differently, per category: P(uncertain read as positive),
#: P(positive read as uncertain), P(negative missed, i.e. blank), P(blank read as negative, per study),
#: P(uncertain read as negative: a hedge NegBio takes for a negation, "no definite ..."), P(negative read as
#: uncertain).
_NEGBIO = {
    "Atelectasis": (0.10, 0.02, 0.3, 0.003, 0.06, 0.01),
    "Cardiomegaly": (0.12, 0.015, 0.24, 0.002, 0.06, 0.012),
    "Consolidation": (0.10, 0.03, 0.12, 0.003, 0.06, 0.01),
    "Edema": (0.08, 0.02, 0.03, 0.002, 0.06, 0.01),
    "Enlarged Cardiomediastinum": (0.10, 0.05, 0.12, 0.002, 0.06, 0.01),
    "Fracture": (0.25, 0.06, 0.2, 0.004, 0.06, 0.01),
    "Lung Lesion": (0.2, 0.05, 0.2, 0.004, 0.06, 0.01),
    "Lung Opacity": (0.15, 0.02, 0.2, 0.004, 0.06, 0.01),
    "Pleural Effusion": (0.10, 0.01, 0.03, 0.003, 0.06, 0.01),
    "Pleural Other": (0.3, 0.1, 0.2, 0.005, 0.06, 0.01),
    "Pneumonia": (0.06, 0.02, 0.03, 0.002, 0.06, 0.01),
    "Pneumothorax": (0.10, 0.03, 0.02, 0.004, 0.06, 0.01),
    "Support Devices": (0.3, 0.01, 0.2, 0.006, 0.06, 0.01),
}


def negbio_from(chexpert: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """NegBio labels: the CheXpert labels read with NegBio's category-dependent differences.

    Examples
    --------
    >>> chex = make_labels(np.random.default_rng(2), np.ones(3000, dtype=bool))
    >>> neg = negbio_from(chex, np.random.default_rng(3))
    >>> differ = ~((chex == neg) | (np.isnan(chex) & np.isnan(neg)))
    >>> 0.005 < float(differ[:, CATEGORIES.index("Cardiomegaly")].mean()) < 0.05
    True
    """
    out = chexpert.copy()
    n = out.shape[0]
    for name, (unc_pos, pos_unc, neg_blank, blank_neg, unc_neg, neg_unc) in _NEGBIO.items():
        j = _IDX[name]
        col = chexpert[:, j]
        u = rng.random(n)
        new = out[:, j]
        new[(col == -1.0) & (u < unc_pos)] = 1.0
        new[(col == 1.0) & (u < pos_unc)] = -1.0
        new[(col == 0.0) & (u < neg_blank)] = np.nan
        new[np.isnan(col) & (u < blank_neg)] = 0.0
        new[(col == -1.0) & (u > 1.0 - unc_neg)] = 0.0
        new[(col == 0.0) & (u > 1.0 - neg_unc)] = -1.0
    set_no_finding(out)
    return out
