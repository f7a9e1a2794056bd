"""Procedural chest radiograph phantoms for the synthetic demo (private to :mod:`cxrkit.demo`).

A phantom is a 12-bit image (0..4095, bright = dense, i.e. the MONOCHROME2 sense). It shows a body outline,
dark lungs, the heart and mediastinum, spine, ribs, clavicles and diaphragm domes (frontal) or the lateral
silhouette (lateral). Findings change the picture: a larger heart, blunted costophrenic angles, perihilar
haze, focal opacities, a pneumothorax and lines/tubes.

Drawing the anatomy with numpy costs tens of milliseconds, so a :class:`PhantomBank` draws it once per build:
a few base anatomies per view (each with a normal and an enlarged heart) on a canvas of ``CANVAS`` pixels
covering every pose an image may take, and each finding's density as a layer over a base, drawn when first
needed. An image is then cheap: a base, its findings' layers, a faint random haze and a random exposure
(black and white levels and a harder or softer film curve) on the canvas, one resampling that cuts the
image's pose out of the canvas (shift, zoom across and down apart, and on :data:`TILTED` of the films a
rotation of up to 4 degrees), and fine noise cut at a random offset from a noise field drawn once.
Everything depends only on the bank's seed and the image's own random generator, so the order in which
images are drawn (or which process draws them) changes nothing.

Examples
--------
>>> import numpy as np
>>> img = render_phantom(200, 160, view="frontal", rng=np.random.default_rng(0))
>>> img.shape, img.dtype, int(img.max()) <= 4095
((200, 160), dtype('uint16'), True)
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Collection

import numpy as np

_F = np.float32
#: Rows and columns of the canvas the anatomy is drawn on.
CANVAS = (300, 420)
#: The canvas spans ``y`` in ``[-Y_HALF, Y_HALF]`` and ``x`` in ``[-X_HALF, X_HALF]`` (units of half the image
#: height): room for every shift, zoom and aspect an image takes (cropped crosswise plates reach 1.35).
Y_HALF, X_HALF = 1.25, 1.75
#: Base anatomies per view (each in two heart sizes).
VARIANTS = 6
#: Positions drawn per kind of focal opacity and side.
POSITIONS = 4
#: Low-frequency hazes drawn per bank (each used in four orientations).
HAZES = 16
#: Share of images whose patient is tilted (rotated by up to 4 degrees).
TILTED = 0.3
_OPACITIES = ("Consolidation", "Pneumonia", "Lung Opacity", "Lung Lesion", "Atelectasis")


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
    """Low-frequency noise in about -1..1: a small random grid upsampled bicubically."""
    from PIL import Image

    rows, cols = shape
    small = rng.standard_normal((cells, max(2, int(cells * cols / rows)))).astype(_F)
    img = Image.fromarray(small).resize((cols, rows), Image.Resampling.BICUBIC)
    return np.asarray(img, dtype=_F)


class _Base:
    """One base anatomy: its density and the masks its findings' layers are drawn with."""

    def __init__(self, dens: np.ndarray, **masks) -> None:
        self.dens = dens
        self.masks = masks
        self.layers: dict[tuple, np.ndarray] = {}


def _frontal(x, y, rng, cardiomegaly: bool, noise) -> _Base:
    jitter = rng.uniform(-0.05, 0.05)  # drawn in both heart sizes, so the rest of the anatomy is the same
    heart_scale = 1.32 + jitter / 2 if cardiomegaly else 1.0 + jitter
    lung_w, lung_h = rng.uniform(0.26, 0.3), rng.uniform(0.64, 0.72)
    torso = _ellipse(x, y, 0.0, 0.25, rng.uniform(0.76, 0.84), 1.15, 0.06, power=3.5)
    neck = _ellipse(x, y, 0.0, -1.05, 0.24, 0.45, 0.1)
    body = np.maximum(torso, neck)
    dens = 0.42 * body
    # lungs (image left = patient right), domes convex upwards, right dome a little higher
    lungs = np.zeros_like(x)
    domes = []
    lift = rng.uniform(-0.04, 0.04)
    for side, cx, dome_top in ((-1, -0.36, 0.40 + lift), (1, 0.37, 0.46 + lift)):
        dome = dome_top + 0.3 * ((x - cx) / 0.3) ** 2
        lung = _ellipse(x, y, cx, -0.05, lung_w, lung_h, 0.08) * _step((dome - y) / 0.03)
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
    phase = (y + 0.3 * x * x - 0.05 * np.abs(x)) / rng.uniform(0.128, 0.142)
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
    return _Base(dens.astype(_F), lungs=lungs, heart=heart, domes=domes, markings=markings, noise=noise)


def _frontal_layer(x, y, base: _Base, key: tuple, rng: np.random.Generator) -> np.ndarray:
    """The density a finding adds to a frontal base (``key``: the finding and its variant)."""
    m = base.masks
    lungs, heart, noise, markings = m["lungs"], m["heart"], m["noise"], m["markings"]
    kind = key[0]
    if kind == "effusion":  # key: ("effusion", side)
        side, cx, dome, lung = next(d for d in m["domes"] if d[0] == key[1])
        level = dome - 0.2 - 0.12 * np.clip(side * (x - cx) / 0.27, -1, 1)
        return 0.22 * _step((y - level) / 0.06) * lung * (1.0 - heart)
    if kind == "edema":
        haze = _ellipse(x, y, -0.2, 0.02, 0.3, 0.38, 0.9) + _ellipse(x, y, 0.21, 0.02, 0.3, 0.38, 0.9)
        return 0.16 * haze * lungs * (1.0 + 0.4 * noise)
    if kind == "opacity":  # key: ("opacity", lesion?, side, position)
        cx = 0.38 * key[2] + rng.uniform(-0.08, 0.08)
        cy = rng.uniform(-0.4, 0.25)
        size = 0.04 if key[1] else rng.uniform(0.08, 0.16)
        return 0.2 * _ellipse(x, y, cx, cy, size, size * 0.8, 0.6) * (1.0 + 0.3 * noise)
    if kind == "pneumothorax":  # key: ("pneumothorax", side)
        gas = _ellipse(x, y, key[1] * 0.45, -0.45, 0.12, 0.3, 0.3)
        return -(0.08 * gas * lungs + markings * gas)
    # devices, key: ("device", kind)
    layer = np.zeros_like(x)
    if key[1] == 0:  # endotracheal tube
        pts = [(0.0, -1.1), (0.01, -0.7), (0.02, -0.42)]
    elif key[1] == 1:  # central venous line from the right
        pts = [(-0.62, -0.72), (-0.3, -0.62), (-0.1, -0.5), (-0.04, -0.15)]
    else:  # pacemaker generator and lead
        layer += 0.5 * _ellipse(x, y, 0.5, -0.62, 0.1, 0.06, 0.2, power=4)
        pts = [(0.5, -0.62), (0.25, -0.45), (0.05, -0.2), (0.02, 0.2)]
    return layer + 0.45 * _segments(x, y, pts, 0.012)


def _lateral(x, y, rng, cardiomegaly: bool, noise) -> _Base:
    body = _ellipse(x, y, 0.0, 0.2, rng.uniform(0.74, 0.82), 1.2, 0.05, power=3.0)
    arms = _ellipse(x, y, -0.15, -0.9, 0.45, 0.3, 0.4)
    dens = 0.45 * body + 0.1 * arms * body
    dome = 0.38 + rng.uniform(-0.04, 0.04) + 0.35 * ((x - 0.05) / 0.55) ** 2 + 0.1 * x
    lung = _ellipse(x, y, 0.05, -0.12, rng.uniform(0.49, 0.55), 0.68, 0.1) * _step((dome - y) / 0.03)
    jitter = rng.uniform(-0.04, 0.04)  # drawn in both heart sizes, so the rest of the anatomy is the same
    heart_scale = 1.2 + jitter / 2 if cardiomegaly else 1.0 + jitter
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
    return _Base(dens.astype(_F), body=body, dome=dome)


def _lateral_layer(x, y, base: _Base, key: tuple, rng: np.random.Generator) -> np.ndarray:
    if key[0] == "effusion":
        dome, body = base.masks["dome"], base.masks["body"]
        fluid = (
            _step((y - (dome - 0.22)) / 0.06)
            * _step((x - 0.15) / 0.08)
            * _ellipse(x, y, 0.05, 0.0, 0.6, 0.8, 0.1)
        )
        return 0.25 * fluid * body
    return 0.4 * _segments(x, y, [(-0.2, -1.1), (-0.1, -0.6), (-0.05, -0.3)], 0.012)


class PhantomBank:
    """Base anatomies, finding layers and a fine-noise field, drawn once from ``seed``; :meth:`render` makes
    an image of any size up to ``max_side`` pixels a side from them.

    Examples
    --------
    >>> bank = PhantomBank(seed=0, max_side=300)
    >>> a = bank.render(240, 200, view="lateral", rng=np.random.default_rng(1), findings={"Pleural Effusion"})
    >>> b = PhantomBank(seed=0, max_side=300).render(240, 200, view="lateral", rng=np.random.default_rng(1),
    ...                                               findings={"Pleural Effusion"})
    >>> a.shape, bool((a == b).all())
    ((240, 200), True)
    >>> bank.render(228, 306, rng=np.random.default_rng(2)).shape  # a cropped crosswise plate: wide
    (228, 306)
    """

    def __init__(self, seed: int, max_side: int) -> None:
        self.seed = int(seed)
        self.max_side = max(16, int(max_side))
        rows, cols = CANVAS
        ys = ((np.arange(rows, dtype=_F) + 0.5) / rows * 2.0 - 1.0) * _F(Y_HALF)
        xs = ((np.arange(cols, dtype=_F) + 0.5) / cols * 2.0 - 1.0) * _F(X_HALF)
        self._x, self._y = np.meshgrid(xs, ys)
        self._bases: dict[tuple, _Base] = {}
        self._noise: np.ndarray | None = None
        self._hazes: dict[int, np.ndarray] = {}

    def _rng(self, *key) -> np.random.Generator:
        return np.random.default_rng(np.random.SeedSequence([self.seed, 0x5EED, 8, *key]))

    def _base(self, view: str, variant: int, cardiomegaly: bool) -> _Base:
        key = (view, variant, cardiomegaly)
        if key not in self._bases:
            # the same anatomy (and markings) in both heart sizes: only the heart differs
            rng = self._rng(view == "lateral", variant)
            noise = _smooth_noise(rng, CANVAS, 45)
            draw = _lateral if view == "lateral" else _frontal
            self._bases[key] = draw(self._x, self._y, rng, cardiomegaly, noise)
        return self._bases[key]

    def _layer(self, view: str, variant: int, cardiomegaly: bool, key: tuple) -> np.ndarray:
        base = self._base(view, variant, cardiomegaly)
        if key not in base.layers:
            draw = _lateral_layer if view == "lateral" else _frontal_layer
            kind = ("effusion", "edema", "opacity", "pneumothorax", "device").index(key[0])
            rng = self._rng(view == "lateral", variant, 9, kind, *(int(k) + 2 for k in key[1:]))
            base.layers[key] = draw(self._x, self._y, base, key, rng).astype(_F)
        return base.layers[key]

    def _haze(self, k: int) -> np.ndarray:
        """A faint low-frequency haze laid over an image (one of :data:`HAZES`, flipped at random)."""
        if k not in self._hazes:
            self._hazes[k] = 0.03 * _smooth_noise(self._rng(6, k), CANVAS, 6)
        return self._hazes[k]

    def _fine_noise(self) -> np.ndarray:
        if self._noise is None:
            side = self.max_side + 64
            self._noise = self._rng(7).standard_normal((side, side), dtype=_F) * _F(18.0)
        return self._noise

    def _layers(self, view: str, rng: np.random.Generator, findings: set[str]) -> list[tuple]:
        """The layer keys of an image's findings (its random choices of side, position, device)."""
        keys: list[tuple] = []
        if view == "lateral":
            if "Pleural Effusion" in findings:
                keys.append(("effusion",))
            if "Support Devices" in findings:
                keys.append(("device",))
            return keys
        if "Pleural Effusion" in findings:
            sides = [int(rng.choice([-1, 1]))] if rng.random() < 0.6 else [-1, 1]
            keys += [("effusion", s) for s in sides]
        if "Edema" in findings:
            keys.append(("edema",))
        for name in _OPACITIES:
            if name in findings:
                side = int(rng.choice([-1, 1]))
                keys.append(("opacity", name == "Lung Lesion", side, int(rng.integers(POSITIONS))))
        if "Pneumothorax" in findings:
            keys.append(("pneumothorax", int(rng.choice([-1, 1]))))
        if "Support Devices" in findings:
            kinds = rng.permutation(3)[: 1 + int(rng.random() < 0.4)]
            keys += [("device", int(k)) for k in kinds]
        return keys

    def render(
        self, rows: int, cols: int, *, view: str = "frontal", rng: np.random.Generator, findings=()
    ) -> np.ndarray:
        """A ``uint16`` phantom of ``rows`` x ``cols`` pixels, values 0..4095 (see :func:`render_phantom`)."""
        findings = set(findings)
        view = "lateral" if view == "lateral" else "frontal"
        variant = int(rng.integers(VARIANTS))
        cardio = "Cardiomegaly" in findings
        dens = self._base(view, variant, cardio).dens.copy()
        for key in self._layers(view, rng, findings):
            dens += self._layer(view, variant, cardio, key)
        haze = self._haze(int(rng.integers(HAZES)))
        dens += haze[:: 1 - 2 * int(rng.integers(2)), :: 1 - 2 * int(rng.integers(2))]
        # exposure: black and white levels and a curve (a harder or softer film: x + k x (1 - x), about a
        # gamma of 0.8 to 1.25, three times cheaper than a power)
        lo, hi = rng.uniform(0.03, 0.1), rng.uniform(0.82, 0.95)
        k = _F(rng.uniform(-0.25, 0.25))
        x = np.clip(dens / _F(0.75), 0.0, 1.0)
        canvas = (lo + (hi - lo) * (x + k * x * (1.0 - x))) * 4095.0
        # the image's pose: pixel (r, c) shows the anatomy at R(-angle) (v - shift) / zoom, v in units of half
        # the image's height (x across, y down); zoom differs a little across and down (habitus, distance)
        shift_x, shift_y = rng.uniform(-0.09, 0.09), rng.uniform(-0.06, 0.1)
        zoom = rng.uniform(0.9, 1.08)
        zoom_x, zoom_y = zoom * rng.uniform(0.95, 1.05), zoom
        # a tilted patient on a share of the films (an affine resampling costs three times a plain resize)
        angle = float(np.deg2rad(rng.uniform(-4.0, 4.0))) if rng.random() < TILTED else 0.0
        picture = _pose(canvas, rows, cols, shift_x, shift_y, zoom_x, zoom_y, angle, fill=lo * 4095.0)
        if rows <= self.max_side + 64 and cols <= self.max_side + 64:
            field = self._fine_noise()
            r0 = int(rng.integers(0, field.shape[0] - rows + 1))
            c0 = int(rng.integers(0, field.shape[1] - cols + 1))
            grain = field[r0 : r0 + rows, c0 : c0 + cols]
        else:
            grain = rng.standard_normal((rows, cols), dtype=_F) * _F(18.0)
        img = np.asarray(picture, dtype=_F) + grain
        if rng.random() < 0.25:  # burned-in text blacked out during de-identification
            h, w = max(1, rows // 14), max(1, cols // 4)
            left_edge = 0 if rng.random() < 0.5 else cols - w
            img[:h, left_edge : left_edge + w] = 0.0
        np.clip(img, 0, 4095, out=img)
        return img.astype(np.uint16)


def _pose(canvas, rows, cols, shift_x, shift_y, zoom_x, zoom_y, angle, *, fill: float):
    """The ``rows`` x ``cols`` image cut out of ``canvas`` by one affine map (shift, zoom, rotation), one
    bilinear resampling; what falls outside the canvas takes the background level ``fill``."""
    from PIL import Image

    crows, ccols = CANVAS
    aspect = cols / rows
    cos, sin = float(np.cos(angle)), float(np.sin(angle))
    # output pixel (c, r) -> v = (2 c / cols - 1) * aspect, (2 r / rows - 1) in half heights
    # -> anatomy p = R(-angle) (v - shift) / zoom -> canvas pixel
    sx, sy = ccols / (2 * X_HALF), crows / (2 * Y_HALF)
    ax, ay = 2 * aspect / cols, 2.0 / rows  # d v / d pixel
    ox, oy = -aspect - shift_x, -1.0 - shift_y  # v - shift at pixel (0, 0)
    a = sx * cos * ax / zoom_x
    b = sx * sin * ay / zoom_x
    c = sx * (cos * ox + sin * oy) / zoom_x + sx * X_HALF
    d = -sy * sin * ax / zoom_y
    e = sy * cos * ay / zoom_y
    f = sy * (-sin * ox + cos * oy) / zoom_y + sy * Y_HALF
    image = Image.fromarray(canvas.astype(_F))
    if angle == 0.0:  # no rotation: the same map as a crop-and-resize box, which is faster
        box = (max(0.0, c), max(0.0, f), min(float(ccols), c + a * cols), min(float(crows), f + e * rows))
        return image.resize((cols, rows), Image.Resampling.BILINEAR, box=box)
    return image.transform(
        (cols, rows), Image.Transform.AFFINE, (a, b, c, d, e, f), Image.Resampling.BILINEAR, fillcolor=fill
    )


@functools.lru_cache(maxsize=4)
def _bank(seed: int, max_side: int) -> PhantomBank:
    return PhantomBank(seed, max_side)


def render_phantom(
    rows: int,
    cols: int,
    *,
    view: str = "frontal",
    rng: np.random.Generator,
    findings: Collection[str] = (),
    seed: int = 0,
) -> np.ndarray:
    """Draw a chest-radiograph-like phantom of ``rows`` x ``cols`` pixels, values 0..4095 (bright = dense).

    Parameters
    ----------
    rows, cols
        Output size in pixels.
    view
        ``"frontal"`` (PA/AP) or ``"lateral"``.
    rng
        The image's random generator (with ``seed``, all randomness comes from it: output is reproducible).
    findings
        CheXpert category names that are positive; ``Cardiomegaly``, ``Pleural Effusion``, ``Edema``,
        ``Consolidation``, ``Pneumonia``, ``Lung Opacity``, ``Lung Lesion``, ``Atelectasis``, ``Pneumothorax``
        and ``Support Devices`` change the picture.
    seed
        Seed of the base anatomies (a :class:`PhantomBank`, kept for the next calls).

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
    return _bank(int(seed), max(rows, cols)).render(rows, cols, view=view, rng=rng, findings=findings)
