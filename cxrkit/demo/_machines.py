"""The X-ray machines of the synthetic demo: sizes, device-processing names and file encodings (private).

Every study is taken on one machine: outpatient PA/lateral studies in one of three rooms, bedside studies on
one of two portable units. A machine decides what real files show to vary with it:

* the image sizes (a few discrete detector formats per machine, crosswise cassettes swapped to landscape,
  computed-radiography plates cropped to slightly different sizes), about 25 distinct shapes in all;
* the ``AcquisitionDeviceProcessingDescription``, in the machine's own spelling of the real vocabulary
  (``CHEST, PA`` on one vendor, ``CHEST PA`` on another; ``CHEST, PORTABLE``, ``CHEST, AP (GRID)``,
  ``CHEST AP NON GRID``, ``... X-WISE``...), which is what the official notebook's view fallback reads;
* the detector type (storage phosphor for computed radiography, scintillator for direct digital) and the
  positioner (a column stand in the rooms, none at the bedside).

:func:`transfer_syntaxes` picks each file's encoding: mostly uncompressed, a small share of every lossless
encoding the kit decodes (JPEG 2000, JPEG-LS, RLE, deflate), each at least once in any demo of 20 images
or more.

Examples
--------
>>> import numpy as np
>>> m = draw_machines(np.random.default_rng(0), np.array([True, False]), np.array([0, 1, 1]),
...                   np.array(["AP", "PA", "LATERAL"]))
>>> sorted(m)
['adpd', 'cols', 'detector', 'machine', 'positioner', 'rows']
"""

from __future__ import annotations

import numpy as np

#: Transfer syntaxes the demo writes, with their shares (the rest explicit VR little endian).
EXPLICIT_LE = "1.2.840.10008.1.2.1"
#: Half a percent each: a 2,000-patient demo holds ~58 files of each (encoding them, JPEG 2000 above all,
#: costs several times an uncompressed file), and every demo of 20 images or more at least one.
COMPRESSED = {
    "1.2.840.10008.1.2.4.90": 0.005,  # JPEG 2000 Image Compression (Lossless Only)
    "1.2.840.10008.1.2.4.80": 0.005,  # JPEG-LS Lossless Image Compression
    "1.2.840.10008.1.2.5": 0.005,  # RLE Lossless
    "1.2.840.10008.1.2.1.99": 0.005,  # Deflated Explicit VR Little Endian
}

# name: (portable, detector, ADPD spellings for PA, AP, lateral, crosswise frontal, decubitus,
#        full-size shapes (rows, cols) with weights, share of crosswise frontal films, share cropped)
_MACHINES = {
    "room 1": (
        False,
        "SCINTILLATOR",
        ("CHEST, PA", "CHEST, PA", "CHEST, LATERAL", "CHEST, PA X-WISE", "CHEST, DECUB."),
        [((3056, 2544), 0.8), ((3050, 2539), 0.12), ((3056, 2539), 0.08)],
        0.04,
        0.0,
    ),
    "room 2": (
        False,
        "SCINTILLATOR",
        ("CHEST PA", "CHEST PA", "CHEST LAT", "CHEST PA X-WISE", "CHEST, DECUB."),
        [((2500, 2048), 0.7), ((2490, 2022), 0.2), ((2544, 2048), 0.1)],
        0.05,
        0.0,
    ),
    "room 3": (
        False,
        "STORAGE",
        ("CHEST, PA", "CHEST, PA", "CHEST, LATERAL", "CHEST, PA X-WISE", "CHEST, DECUB."),
        [((2874, 2352), 0.5), ((2970, 2428), 0.3), ((2836, 2336), 0.2)],
        0.03,
        0.3,
    ),
    "portable 1": (
        True,
        "STORAGE",
        ("CHEST, PORTABLE", "CHEST, PORTABLE", "CHEST, LATERAL", "CHEST, PORTABLE X-WISE", "CHEST, DECUB."),
        [((2705, 2539), 0.55), ((2544, 3056), 0.15), ((2800, 2350), 0.15), ((2651, 2492), 0.15)],
        0.02,
        0.4,
    ),
    "portable 2": (
        True,
        "SCINTILLATOR",
        ("CHEST PORT", "CHEST PORT", "CHEST LAT", "CHEST PORT X-WISE", "CHEST, DECUB."),
        [((3032, 2520), 0.6), ((3000, 2500), 0.25), ((2448, 2048), 0.15)],
        0.04,
        0.0,
    ),
}
#: Portable frontal films on which the technologist recorded the grid (instead of "portable").
_GRID = {
    "portable 1": ("CHEST, AP (GRID)", "CHEST, AP NON-GRID"),
    "portable 2": ("CHEST AP GRID", "CHEST AP NON GRID"),
}
_ROOMS = ("room 1", "room 2", "room 3")
_ROOM_SHARE = (0.5, 0.3, 0.2)
_PORTABLES = ("portable 1", "portable 2")
_PORTABLE_SHARE = (0.55, 0.45)


def draw_machines(
    rng: np.random.Generator, portable: np.ndarray, study_row: np.ndarray, view: np.ndarray
) -> dict[str, np.ndarray]:
    """One machine per study (``portable`` per study), then per image (``study_row``, ``view``) its
    processing description, detector, positioner and full-size shape ``rows`` x ``cols``.

    Examples
    --------
    >>> m = draw_machines(np.random.default_rng(1), np.zeros(400, bool), np.arange(400), np.full(400, "PA"))
    >>> len(set(zip(m["rows"].tolist(), m["cols"].tolist()))) >= 6
    True
    """
    n_studies, n = portable.size, study_row.size
    room = np.asarray(_ROOMS)[rng.choice(3, size=n_studies, p=_ROOM_SHARE)]
    unit = np.asarray(_PORTABLES)[rng.choice(2, size=n_studies, p=_PORTABLE_SHARE)]
    machine = np.where(portable, unit, room)[study_row]
    out = {k: np.empty(n, dtype=object) for k in ("adpd", "detector", "positioner")}
    rows, cols = np.zeros(n, np.int64), np.zeros(n, np.int64)
    u, w, crop = rng.random(n), rng.random(n), rng.random(n)
    cut_r, cut_c = rng.integers(0, 260, n), rng.integers(0, 220, n)
    for name, (is_port, detector, names, shapes, crosswise, cropped) in _MACHINES.items():
        here = machine == name
        if not here.any():
            continue
        idx = np.flatnonzero(here)
        v = view[idx]
        lateral = np.isin(v, ("LATERAL", "LL", "XTABLE LATERAL", "SWIMMERS"))
        decub = np.char.endswith(v.astype(str), "LD")
        xwise = ~lateral & ~decub & (u[idx] < crosswise)
        adpd = np.where(v == "AP", names[1], names[0]).astype(object)
        if name in _GRID:
            grid, nongrid = _GRID[name]
            adpd = np.where(w[idx] < 0.2, grid, np.where(w[idx] < 0.28, nongrid, adpd)).astype(object)
        adpd[lateral] = names[2]
        adpd[xwise] = names[3]
        adpd[decub] = names[4]
        out["adpd"][idx] = adpd
        out["detector"][idx] = detector
        out["positioner"][idx] = "NONE" if is_port else "COLUMN"
        sizes = np.asarray([s for s, _ in shapes])
        weights = np.asarray([p for _, p in shapes])
        pick = sizes[rng.choice(len(shapes), size=idx.size, p=weights / weights.sum())]
        r, c = pick[:, 0].copy(), pick[:, 1].copy()
        r[xwise], c[xwise] = pick[xwise, 1], pick[xwise, 0]
        trim = crop[idx] < cropped  # a computed-radiography plate read out slightly cropped
        r[trim] -= cut_r[idx][trim]
        c[trim] -= cut_c[idx][trim]
        rows[idx], cols[idx] = r, c
    return {
        "machine": machine.astype(str),
        **{k: v.astype(str) for k, v in out.items()},
        "rows": rows,
        "cols": cols,
    }


def transfer_syntaxes(rng: np.random.Generator, n: int) -> np.ndarray:
    """Each image's transfer syntax UID: uncompressed, or one of :data:`COMPRESSED` at its share.

    Examples
    --------
    >>> ts = transfer_syntaxes(np.random.default_rng(0), 40)
    >>> set(COMPRESSED) <= set(ts.tolist())
    True
    """
    names = list(COMPRESSED)
    cum = np.cumsum([COMPRESSED[k] for k in names])
    u = rng.random(n)
    idx = np.searchsorted(cum, u, side="right")
    out = np.array([*names, EXPLICIT_LE], dtype=object)[idx]
    if n >= 20:  # every encoding at least once, so every decoder meets demo data
        missing = [k for k in names if k not in set(out.tolist())]
        plain = np.flatnonzero(out == EXPLICIT_LE)
        chosen = rng.choice(plain, size=len(missing), replace=False)
        out[chosen] = missing
    return out.astype(str)
