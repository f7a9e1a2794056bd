"""Procedural chest radiograph phantoms for the synthetic demo (private to :mod:`cxrkit.demo`).

A phantom is a 12-bit image (0..4095, bright = dense, i.e. the MONOCHROME2 sense) drawn with vectorised numpy
on a grid of at most ``BASE_MAX`` pixels a side, then resized to the requested size and given fine noise.
It shows a body outline, dark lungs, the heart and mediastinum, spine, ribs, clavicles and diaphragm domes
(frontal) or the lateral silhouette (lateral). Findings change the picture: a larger heart, blunted
costophrenic angles, perihilar haze, focal opacities and lines/tubes.

Examples
--------
>>> import numpy as np
>>> img = render_phantom(200, 160, view="frontal", rng=np.random.default_rng(0))
>>> img.shape, img.dtype, int(img.max()) <= 4095
((200, 160), dtype('uint16'), True)
"""

from __future__ import annotations

import itertools
from collections.abc import Collection

import numpy as np

BASE_MAX = 256
_F = np.float32


def _ellipse(
    x: np.ndarray, y: np.ndarray, cx: float, cy: float, ax: float, ay: float, soft: float, power: float = 2.0
) -> np.ndarray:
    """A soft-edged (super)ellipse mask in 0..1."""
    r = (np.abs((x - cx) / ax) ** power + np.abs((y - cy) / ay) ** power) ** (1.0 / power)
    return _step((1.0 - r) / soft)


def _step(t: np.ndarray) -> np.ndarray:
    """A smooth step from 0 (t <= -1) to 1 (t >= 1)."""
    t = np.clip((t + 1.0) * 0.5, 0.0, 1.0)
    return (t * t * (3.0 - 2.0 * t)).astype(_F)


def _segments(x: np.ndarray, y: np.ndarray, points: list[tuple[float, float]], width: float) -> np.ndarray:
    """A soft mask of a polyline of the given half width."""
    best = np.full(x.shape, np.inf, dtype=_F)
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        dx, dy = x1 - x0, y1 - y0
        t = np.clip(((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy + 1e-9), 0.0, 1.0)
        d = np.hypot(x - (x0 + t * dx), y - (y0 + t * dy))
        np.minimum(best, d, out=best)
    return _step((width - best) / (0.5 * width))


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cells: int) -> np.ndarray:
    """Low-frequency noise in about -1..1: a small random grid upsampled bilinearly."""
    from PIL import Image

    rows, cols = shape
    small = rng.standard_normal((cells, max(2, int(cells * cols / rows)))).astype(_F)
    img = Image.fromarray(small).resize((cols, rows), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=_F)


def _frontal(x, y, rng, findings, noise):
    heart_scale = 1.32 if "Cardiomegaly" in findings else 1.0 + rng.uniform(-0.05, 0.05)
    torso = _ellipse(x, y, 0.0, 0.25, 0.8, 1.15, 0.06, power=3.5)
    neck = _ellipse(x, y, 0.0, -1.05, 0.24, 0.45, 0.1)
    body = np.maximum(torso, neck)
    dens = 0.42 * body
    # lungs (image left = patient right), domes convex upwards, right dome a little higher
    lungs = np.zeros_like(x)
    domes = []
    for side, cx, dome_top in ((-1, -0.36, 0.40), (1, 0.37, 0.46)):
        dome = dome_top + 0.3 * ((x - cx) / 0.3) ** 2
        lung = _ellipse(x, y, cx, -0.05, 0.28, 0.68, 0.08) * _step((dome - y) / 0.03)
        domes.append((side, cx, dome, lung))
        lungs = np.maximum(lungs, lung)
    heart = _ellipse(x, y, 0.1, 0.3, 0.26 * heart_scale, 0.2 * heart_scale, 0.1)
    mediastinum = _step((0.11 + 0.05 * (y + 1.0) - np.abs(x - 0.01)) / 0.03) * _step((0.35 - y) / 0.05)
    lungs = lungs * (1.0 - heart) * (1.0 - mediastinum)
    markings = 0.03 * noise * lungs
    hila = 0.1 * (_ellipse(x, y, -0.16, -0.02, 0.1, 0.14, 0.5) + _ellipse(x, y, 0.17, 0.0, 0.1, 0.14, 0.5))
    dens = dens - 0.32 * lungs + markings + hila * lungs + 0.03 * heart
    # bones: spine with vertebrae, ribs, clavicles
    spine = _step((0.065 - np.abs(x)) / 0.02) * body
    vertebrae = 0.5 + 0.5 * np.cos(2 * np.pi * (y / 0.12))
    dens += spine * (0.1 + 0.04 * vertebrae)
    cage = _ellipse(x, y, 0.0, -0.15, 0.72, 0.78, 0.08)
    phase = (y + 0.3 * x * x - 0.05 * np.abs(x)) / 0.135
    frac = phase - np.floor(phase)
    ribs = np.exp(-(((frac - 0.5) / 0.16) ** 2)).astype(_F) * cage * _step((np.abs(x) - 0.07) / 0.02)
    dens += 0.09 * ribs
    clav_y = -0.66 + 0.1 * (np.abs(x) - 0.1) + 0.35 * (np.abs(x) - 0.3) ** 2
    clav = (
        _step((0.03 - np.abs(y - clav_y)) / 0.012)
        * _step((np.abs(x) - 0.08) / 0.02)
        * _step((0.62 - np.abs(x)) / 0.03)
    )
    dens += 0.14 * clav
    # gastric bubble under the left dome
    dens -= 0.12 * _ellipse(x, y, 0.38, 0.62, 0.09, 0.06, 0.4) * body
    if "Pleural Effusion" in findings:
        sides = [rng.choice([-1, 1])] if rng.random() < 0.6 else [-1, 1]
        for side, cx, dome, lung in domes:
            if side in sides:
                level = dome - 0.2 - 0.12 * np.clip(side * (x - cx) / 0.27, -1, 1)
                fluid = _step((y - level) / 0.06) * lung * (1.0 - heart)
                dens += 0.22 * fluid
    if "Edema" in findings:
        haze = _ellipse(x, y, -0.2, 0.02, 0.3, 0.38, 0.9) + _ellipse(x, y, 0.21, 0.02, 0.3, 0.38, 0.9)
        dens += 0.16 * haze * lungs * (1.0 + 0.4 * noise)
    for name in ("Consolidation", "Pneumonia", "Lung Opacity", "Lung Lesion", "Atelectasis"):
        if name in findings:
            cx = rng.choice([-0.38, 0.38]) + rng.uniform(-0.08, 0.08)
            cy = rng.uniform(-0.4, 0.25)
            size = 0.04 if name == "Lung Lesion" else rng.uniform(0.08, 0.16)
            dens += 0.2 * _ellipse(x, y, cx, cy, size, size * 0.8, 0.6) * (1.0 + 0.3 * noise)
    if "Pneumothorax" in findings:
        cx = rng.choice([-1, 1]) * 0.45
        gas = _ellipse(x, y, cx, -0.45, 0.12, 0.3, 0.3)
        dens -= 0.08 * gas * lungs + markings * gas
    if "Support Devices" in findings:
        kinds = rng.permutation(3)[: 1 + int(rng.random() < 0.4)]
        for kind in kinds:
            if kind == 0:  # endotracheal tube
                pts = [(0.0, -1.1), (0.01, -0.7), (0.02, -0.42)]
            elif kind == 1:  # central venous line from the right
                pts = [(-0.62, -0.72), (-0.3, -0.62), (-0.1, -0.5), (-0.04, -0.15)]
            else:  # pacemaker generator and lead
                dens += 0.5 * _ellipse(x, y, 0.5, -0.62, 0.1, 0.06, 0.2, power=4)
                pts = [(0.5, -0.62), (0.25, -0.45), (0.05, -0.2), (0.02, 0.2)]
            dens += 0.45 * _segments(x, y, pts, 0.012)
    return dens


def _lateral(x, y, rng, findings, noise):
    body = _ellipse(x, y, 0.0, 0.2, 0.78, 1.2, 0.05, power=3.0)
    arms = _ellipse(x, y, -0.15, -0.9, 0.45, 0.3, 0.4)
    dens = 0.45 * body + 0.1 * arms * body
    dome = 0.38 + 0.35 * ((x - 0.05) / 0.55) ** 2 + 0.1 * x
    lung = _ellipse(x, y, 0.05, -0.12, 0.52, 0.68, 0.1) * _step((dome - y) / 0.03)
    heart_scale = 1.2 if "Cardiomegaly" in findings else 1.0
    heart = _ellipse(x, y, -0.2, 0.3, 0.32 * heart_scale, 0.3 * heart_scale, 0.35)
    lung = lung * (1.0 - 0.8 * heart)
    dens = dens - 0.28 * lung + 0.03 * noise * lung + 0.02 * heart
    # vertebral bodies (posterior = image right) and sternum (anterior)
    column = _step((0.1 - np.abs(x - 0.48 - 0.05 * y)) / 0.02)
    phase = y / 0.13
    frac = phase - np.floor(phase)
    dens += column * (0.12 + 0.08 * _step((0.38 - np.abs(frac - 0.5)) / 0.05)) * body
    sternum = _step((0.02 - np.abs(x + 0.62 - 0.08 * (y + 0.6))) / 0.01) * _step(
        (0.35 - np.abs(y + 0.25)) / 0.05
    )
    dens += 0.06 * sternum
    phase = (y - 0.25 * x) / 0.16
    frac = phase - np.floor(phase)
    dens += 0.05 * np.exp(-(((frac - 0.5) / 0.14) ** 2)).astype(_F) * lung
    if "Pleural Effusion" in findings:
        fluid = (
            _step((y - (dome - 0.22)) / 0.06)
            * _step((x - 0.15) / 0.08)
            * _ellipse(x, y, 0.05, 0.0, 0.6, 0.8, 0.1)
        )
        dens += 0.25 * fluid * body
    if "Support Devices" in findings:
        dens += 0.4 * _segments(x, y, [(-0.2, -1.1), (-0.1, -0.6), (-0.05, -0.3)], 0.012)
    return dens


def render_phantom(
    rows: int,
    cols: int,
    *,
    view: str = "frontal",
    rng: np.random.Generator,
    findings: Collection[str] = (),
    base_max: int = BASE_MAX,
) -> np.ndarray:
    """Draw a chest-radiograph-like phantom of ``rows`` x ``cols`` pixels, values 0..4095 (bright = dense).

    Parameters
    ----------
    rows, cols
        Output size in pixels.
    view
        ``"frontal"`` (PA/AP) or ``"lateral"``.
    rng
        The random generator (all randomness comes from it, so output is reproducible).
    findings
        CheXpert category names that are positive; ``Cardiomegaly``, ``Pleural Effusion``, ``Edema``,
        ``Consolidation``, ``Pneumonia``, ``Lung Opacity``, ``Lung Lesion``, ``Atelectasis``, ``Pneumothorax``
        and ``Support Devices`` change the picture.
    base_max
        Largest side of the grid the anatomy is drawn on before resizing.

    Returns
    -------
    numpy.ndarray
        ``uint16`` array of shape ``(rows, cols)``.

    Examples
    --------
    >>> import numpy as np
    >>> a = render_phantom(120, 100, view="lateral", rng=np.random.default_rng(1))
    >>> b = render_phantom(120, 100, view="lateral", rng=np.random.default_rng(1))
    >>> bool((a == b).all())
    True
    """
    from PIL import Image

    findings = set(findings)
    factor = min(1.0, base_max / max(rows, cols))
    brows, bcols = max(8, round(rows * factor)), max(8, round(cols * factor))
    half = brows / 2.0
    # coordinates in units of half the image height; small random pose changes per image
    shift_x, shift_y = rng.uniform(-0.06, 0.06), rng.uniform(-0.05, 0.08)
    zoom = rng.uniform(0.92, 1.06)
    ys = ((np.arange(brows, dtype=_F) + 0.5 - half) / half - shift_y) / zoom
    xs = ((np.arange(bcols, dtype=_F) + 0.5 - bcols / 2.0) / half - shift_x) / zoom
    x, y = np.meshgrid(xs, ys)
    noise = _smooth_noise(rng, (brows, bcols), 45)
    if view == "lateral":
        dens = _lateral(x, y, rng, findings, noise)
    else:
        dens = _frontal(x, y, rng, findings, noise)
    dens = dens + 0.03 * _smooth_noise(rng, (brows, bcols), 6)
    lo, hi = rng.uniform(0.03, 0.1), rng.uniform(0.82, 0.95)
    img = (lo + (hi - lo) * np.clip(dens / 0.75, 0.0, 1.0)) * 4095.0
    if (brows, bcols) != (rows, cols):
        img = np.asarray(Image.fromarray(img.astype(_F)).resize((cols, rows), Image.Resampling.BILINEAR))
    img = img + rng.standard_normal((rows, cols), dtype=_F) * _F(18.0)
    if rng.random() < 0.25:  # burned-in text blacked out during de-identification
        h, w = max(1, rows // 14), max(1, cols // 4)
        left = 0 if rng.random() < 0.5 else cols - w
        img[:h, left : left + w] = 0.0
    return np.clip(img, 0, 4095).astype(np.uint16)
