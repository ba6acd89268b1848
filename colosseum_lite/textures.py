"""The texture set of the texture axes (mo_texture, ro_texture, table_texture, background_texture).

The default pool is ``PROCEDURAL_COUNT`` procedural textures, each generated deterministically from
its index alone (16 pattern families with colours, angles and frequencies drawn from
``np.random.default_rng(index)``), plus the colour images that ship in pybullet_data. A user can add
a folder of images. Every entry has a stable, JSON-friendly name (``procedural/0042``,
``pybullet_data/checker_grid.jpg``, ``user/brick.jpg``) that the axes record and replay.

Patterns repeat about 6-14 times across the image: TinyRenderer shows a quarter of the image's width
and height on each face of a primitive box (see ``BOX_FACE_TILES``), which must still hold 1.5 or
more periods, while a 5 cm object seen by a 128 px camera must not blur the pattern to a flat colour.
"""

from __future__ import annotations

import colorsys
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pybullet_data

from colosseum_lite.assets import cache_dir

PROCEDURAL_COUNT = 240  # procedural textures in the default pool
TEXTURE_SIZE_PX = 128  # edge length of a generated texture, pixels
MIN_CONTRAST = 0.45  # least RGB distance (0..1 units) between the two main colours of a pattern
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp")

# (column, row) of the quarter-by-quarter tiles of a texture image (row 0 at the top of the file)
# that TinyRenderer shows on the +x, -x, +y, -y, +z and -z faces of a primitive box: each face shows
# 1/16 of the image. Cylinders and spheres wrap the whole image around.
BOX_FACE_TILES: tuple[tuple[int, int], ...] = ((0, 2), (2, 3), (0, 3), (1, 2), (3, 3), (1, 3))

PYBULLET_DATA_DIR = Path(pybullet_data.getDataPath())
# Colour images in pybullet_data that read as surface textures and show a pattern on every face of
# a primitive box (gimp_overlay_out.png is a terrain's colour map, not a heightmap). Left out:
# heightmaps, duplicates, robot UV atlases, and images with a flat box face: checker_blue.png,
# colors16.png, cube.png, duckCM.png, laikago_tex.jpg, table/table.png, tray/tray.jpg.
PYBULLET_DATA_TEXTURES: tuple[str, ...] = (
    "checker_grid.jpg", "domino/domino.jpg", "heightmaps/gimp_overlay_out.png", "jenga/jenga.png",
    "quadruped/t-motor.jpg", "racecar/meshes/wheel.jpg", "roboschool/models_outdoor/stadium/stadium_grass.jpg",
    "tex256.png", "uvmap.png",
)

Rng = np.random.Generator
Grid = np.ndarray  # float32 HxW
Image = np.ndarray  # float32 HxWx3 in [0, 1]
Colour = np.ndarray  # float32 (3,) in [0, 1]


# ------------------------------------------------------------------------------------ helpers
def _colour(rng: Rng, s: tuple[float, float] = (0.3, 1.0),
            v: tuple[float, float] = (0.2, 1.0), hue: float | None = None) -> Colour:
    """A random RGB colour from HSV ranges."""
    h = rng.uniform(0.0, 1.0) if hue is None else hue % 1.0
    return np.array(colorsys.hsv_to_rgb(h, rng.uniform(*s), rng.uniform(*v)), dtype=np.float32)


def _palette(rng: Rng, k: int) -> list[Colour]:
    """``k`` random colours, each at least MIN_CONTRAST from the previous one."""
    out = [_colour(rng)]
    while len(out) < k:
        c = _colour(rng, s=(0.0, 1.0), v=(0.1, 1.0))
        if np.linalg.norm(c - out[-1]) >= MIN_CONTRAST:
            out.append(c)
    return out


def _mix(t: np.ndarray, c0: Colour, c1: Colour) -> Image:
    """Blend two colours by weight ``t`` (0 -> c0, 1 -> c1)."""
    return c0 + t[..., None].astype(np.float32) * (c1 - c0)


def _ramp(t: np.ndarray, colours: list[Colour]) -> Image:
    """Piecewise-linear colour ramp over ``t`` in [0, 1]."""
    stops = np.linspace(0.0, 1.0, len(colours))
    return np.stack([np.interp(t, stops, [c[i] for c in colours]) for i in range(3)], -1)


def _pick(idx: np.ndarray, colours: list[Colour]) -> Image:
    """Colour per integer label (labels wrap around the list)."""
    return np.asarray(colours, dtype=np.float32)[np.mod(idx, len(colours)).astype(int)]


def _equalize(x: np.ndarray) -> np.ndarray:
    """Map values to their rank in [0, 1): full contrast whatever the input range."""
    ranks = np.empty(x.size, dtype=np.float32)
    ranks[np.argsort(x, axis=None, kind="stable")] = np.arange(x.size, dtype=np.float32)
    return (ranks / x.size).reshape(x.shape)


def _fbm(rng: Rng, n: int, cells: int, octaves: int) -> Grid:
    """Fractal value noise: ``octaves`` random lattices, ``cells`` across the first, smoothly summed."""
    out = np.zeros((n, n), dtype=np.float32)
    for k in range(octaves):
        m = cells * 2**k
        lattice = rng.random((m + 1, m + 1)).astype(np.float32)
        x = (np.arange(n, dtype=np.float32) + 0.5) * (m / n)
        i = np.floor(x).astype(int)
        f = x - i
        f = f * f * (3.0 - 2.0 * f)  # smoothstep: no creases at lattice lines
        rows = lattice[:, i] * (1.0 - f) + lattice[:, i + 1] * f  # interpolate along x
        out += (rows[i] * (1.0 - f)[:, None] + rows[i + 1] * f[:, None]) * np.float32(0.5**k)
    return out


def _rotated(u: Grid, v: Grid, angle_rad: float) -> tuple[Grid, Grid]:
    """Coordinates rotated by ``angle_rad`` about the image centre."""
    c, s = np.cos(angle_rad), np.sin(angle_rad)
    return (u - 0.5) * c + (v - 0.5) * s + 0.5, (v - 0.5) * c - (u - 0.5) * s + 0.5


def _periods(rng: Rng, lo: int = 6, hi: int = 14) -> int:
    """A whole number of pattern periods across the image."""
    return int(rng.integers(lo, hi + 1))


# ----------------------------------------------------------------------------------- families
# Each family maps (rng, u, v) -> image; u, v are pixel-centre coordinates in [0, 1).
def _noise(rng: Rng, u: Grid, v: Grid) -> Image:
    t = _equalize(_fbm(rng, u.shape[0], _periods(rng, 7, 12), int(rng.integers(2, 4))))
    return _ramp(t, _palette(rng, int(rng.integers(2, 4))))


def _stripes(rng: Rng, u: Grid, v: Grid) -> Image:
    x, _ = _rotated(u, v, rng.uniform(0, np.pi))
    s = x * _periods(rng)
    if rng.random() < 0.5:
        return _mix(np.mod(s, 1.0) < rng.uniform(0.3, 0.7), *_palette(rng, 2))
    return _pick(np.floor(s * 2), _palette(rng, 3))


def _checker(rng: Rng, u: Grid, v: Grid) -> Image:
    x, y = _rotated(u, v, rng.choice([0.0, np.pi / 4, rng.uniform(0, np.pi / 2)]))
    kx, ky = _periods(rng, 6, 12), _periods(rng, 6, 12)
    return _pick(np.floor(x * kx) + np.floor(y * ky), _palette(rng, 2))


def _wood(rng: Rng, u: Grid, v: Grid) -> Image:
    cx, cy = rng.uniform(-0.6, 1.6, 2)
    r = np.hypot((u - cx) * rng.uniform(0.2, 1.0), v - cy)
    rings = r * _periods(rng, 8, 16) / max(float(r.max() - r.min()), 1e-3)
    t = np.mod(rings + rng.uniform(0.3, 1.2) * _fbm(rng, u.shape[0], 4, 3), 1.0) ** rng.uniform(0.5, 3.0)
    hue = rng.uniform(0.04, 0.12) if rng.random() < 0.7 else None
    light = _colour(rng, s=(0.3, 0.8), v=(0.5, 0.95), hue=hue)
    return _mix(t, light, light * rng.uniform(0.3, 0.55))


def _marble(rng: Rng, u: Grid, v: Grid) -> Image:
    x, y = _rotated(u, v, rng.uniform(0, np.pi))
    turb = _fbm(rng, u.shape[0], int(rng.integers(3, 6)), 4)
    t = (0.5 + 0.5 * np.sin(2 * np.pi * (x * _periods(rng, 5, 9) + rng.uniform(1.0, 2.5) * turb)))
    base = _colour(rng, s=(0.0, 0.35), v=(0.75, 1.0))
    vein = _colour(rng, s=(0.2, 0.9), v=(0.1, 0.5))
    return _mix(t ** rng.uniform(2.0, 6.0), base, vein)


def _dots(rng: Rng, u: Grid, v: Grid) -> Image:
    k = _periods(rng, 6, 12)
    y = v * k
    x = u * k + (np.floor(y) % 2) * 0.5 * (rng.random() < 0.5)
    d = np.hypot(np.mod(x, 1.0) - 0.5, np.mod(y, 1.0) - 0.5)
    return _mix(d < rng.uniform(0.2, 0.42), *_palette(rng, 2))


def _gradient(rng: Rng, u: Grid, v: Grid) -> Image:
    x, _ = _rotated(u, v, rng.uniform(0, np.pi))
    s = np.mod(x * _periods(rng, 6, 10), 1.0)
    t = s if rng.random() < 0.5 else 1.0 - np.abs(2.0 * s - 1.0)  # sawtooth or triangle ramps
    return _ramp(t, _palette(rng, int(rng.integers(2, 4))))


def _bricks(rng: Rng, u: Grid, v: Grid) -> Image:
    rows, per_row = _periods(rng, 6, 12), int(rng.integers(2, 6))
    y = v * rows
    x = u * per_row + 0.5 * (np.floor(y) % 2)
    gap = rng.uniform(0.06, 0.14)
    mortar = (np.mod(y, 1.0) < gap) | (np.mod(x, 1.0) < gap * per_row / rows)
    brick_id = (np.floor(y) * 16 + np.floor(x)).astype(int) % 256
    jitter = rng.uniform(0.8, 1.15, 256).astype(np.float32)[brick_id]
    brick, joint = _palette(rng, 2)
    return np.where(mortar[..., None], joint, np.clip(brick * jitter[..., None], 0, 1))


def _zigzag(rng: Rng, u: Grid, v: Grid) -> Image:
    x, y = _rotated(u, v, rng.choice([0.0, np.pi / 2]))
    tri = np.abs(2.0 * np.mod(x * _periods(rng, 3, 8), 1.0) - 1.0)
    s = y * _periods(rng, 6, 12) + rng.uniform(0.5, 1.5) * tri
    return _pick(np.floor(s), _palette(rng, int(rng.integers(2, 4))))


def _plaid(rng: Rng, u: Grid, v: Grid) -> Image:
    kx, ky = _periods(rng, 5, 10), _periods(rng, 5, 10)
    h = np.mod(v * ky, 1.0) < rng.uniform(0.3, 0.6)
    w = np.mod(u * kx, 1.0) < rng.uniform(0.3, 0.6)
    thin = (np.mod(u * kx * 2, 1.0) < 0.1) | (np.mod(v * ky * 2, 1.0) < 0.1)
    img = _ramp((h.astype(np.float32) + w) / 2, _palette(rng, 3))
    return np.where(thin[..., None], _colour(rng), img)


def _waves(rng: Rng, u: Grid, v: Grid) -> Image:
    x, y = _rotated(u, v, rng.uniform(0, np.pi))
    s = y * _periods(rng, 6, 12) + rng.uniform(0.3, 1.2) * np.sin(2 * np.pi * x * _periods(rng, 2, 4))
    return _mix(np.mod(s, 1.0) < rng.uniform(0.35, 0.65), *_palette(rng, 2))


def _grid(rng: Rng, u: Grid, v: Grid) -> Image:
    k, width = _periods(rng, 6, 12), rng.uniform(0.08, 0.2)
    lines = (np.mod(u * k, 1.0) < width) | (np.mod(v * k, 1.0) < width)
    return _mix(lines, *_palette(rng, 2))


def _rings(rng: Rng, u: Grid, v: Grid) -> Image:
    centres = rng.uniform(0.0, 1.0, (int(rng.integers(1, 4)), 2))
    r = np.min([np.hypot(u - cx, v - cy) for cx, cy in centres], axis=0)
    return _mix(np.mod(r * _periods(rng, 8, 16), 1.0) < rng.uniform(0.3, 0.7), *_palette(rng, 2))


def _cells(rng: Rng, u: Grid, v: Grid) -> Image:
    k = _periods(rng, 6, 9)  # one jittered seed point per grid cell (Worley cells)
    seed_x, seed_y = rng.uniform(0.1, 0.9, (2, k * k)).astype(np.float32)
    labels = rng.integers(0, 4, k * k)
    x, y = u[0] * k, v[:, 0] * k  # the grid is separable: columns vary in x, rows in y
    ci, cj = np.floor(x).astype(int), np.floor(y).astype(int)
    d1 = np.full(u.shape, 9.0, dtype=np.float32)
    d2, owner = d1.copy(), np.zeros(u.shape, dtype=int)
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            cell = ((cj + dj) % k)[:, None] * k + ((ci + di) % k)[None, :]
            dx = (x - (ci + di).astype(np.float32))[None, :] - seed_x[cell]
            dy = (y - (cj + dj).astype(np.float32))[:, None] - seed_y[cell]
            d = np.sqrt(dx * dx + dy * dy)
            closer = d < d1
            d2 = np.where(closer, d1, np.minimum(d2, d))
            owner, d1 = np.where(closer, labels[cell], owner), np.minimum(d1, d)
    img = _pick(owner, _palette(rng, 4))
    return np.where((d2 - d1 < rng.uniform(0.08, 0.2))[..., None], _colour(rng, v=(0, 0.3)), img)


def _argyle(rng: Rng, u: Grid, v: Grid) -> Image:
    kx, ky = _periods(rng, 5, 9), _periods(rng, 5, 9)
    dx, dy = np.abs(np.mod(u * kx, 1.0) - 0.5), np.abs(np.mod(v * ky, 1.0) - 0.5)
    c0, c1 = _palette(rng, 2)
    img = _mix((dx + dy) < 0.5, c0, c1)
    line = np.abs(dx - dy) < 0.04
    return np.where(line[..., None], _colour(rng), img)


def _camo(rng: Rng, u: Grid, v: Grid) -> Image:
    t = _equalize(_fbm(rng, u.shape[0], _periods(rng, 6, 10), 3))
    return _pick(np.floor(t * int(rng.integers(3, 5))), _palette(rng, 4))


FAMILIES: tuple[Callable[[Rng, Grid, Grid], Image], ...] = (
    _noise, _stripes, _checker, _wood, _marble, _dots, _gradient, _bricks,
    _zigzag, _plaid, _waves, _grid, _rings, _cells, _argyle, _camo,
)


# ---------------------------------------------------------------------------------- public API
def procedural_texture(index: int, size_px: int = TEXTURE_SIZE_PX) -> np.ndarray:
    """The procedural texture ``index`` as a uint8 ``size_px x size_px x 3`` RGB image.

    Deterministic from the index alone; the family is ``index % len(FAMILIES)`` and colours, angles
    and frequencies come from ``np.random.default_rng(index)``.
    """
    if index < 0:
        raise ValueError(f"texture index must be >= 0, got {index}")
    rng = np.random.default_rng(index)
    v, u = (np.mgrid[0:size_px, 0:size_px].astype(np.float32) + 0.5) / size_px
    img = FAMILIES[index % len(FAMILIES)](rng, u, v)
    return np.clip(np.rint(np.asarray(img, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


def texture_file(index: int, size_px: int = TEXTURE_SIZE_PX) -> str:
    """Path of the PNG of procedural texture ``index``, written into the asset cache on first use."""
    path = cache_dir() / "textures" / f"procedural_{index:04d}_{size_px}px.png"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        ok, data = cv2.imencode(".png", cv2.cvtColor(procedural_texture(index, size_px), cv2.COLOR_RGB2BGR))
        if not ok:
            raise RuntimeError(f"could not encode procedural texture {index} as PNG")
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data.tobytes())
        tmp.replace(path)  # atomic: a concurrent reader sees the old state or the whole file
    return str(path)


def _folder_images(folder: Path) -> tuple[str, ...]:
    """Image files directly inside ``folder``, sorted by name."""
    if not folder.is_dir():
        raise ValueError(f"texture folder {str(folder)!r} does not exist or is not a directory")
    files = sorted(f for f in folder.iterdir() if f.is_file() and f.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(f"texture folder {str(folder)!r} holds no images; expected files ending in "
                         f"{', '.join(IMAGE_SUFFIXES)}")
    return tuple(str(f.resolve()) for f in files)


@dataclass(frozen=True, slots=True)
class TextureSet:
    """A pool of textures: procedural indices, pybullet_data images, then user images.

    Entry ``i`` has a file path (:meth:`path`) and a stable name (:meth:`name`); record the name and
    replay it with :meth:`path_of`.

    Args:
        procedural_count: procedural textures ``0 .. procedural_count - 1``.
        pybullet_data: paths relative to pybullet_data's directory.
        user_files: absolute paths of user images; their names are ``user/<file name>``.
        size_px: edge length of generated procedural textures, pixels.
    """

    procedural_count: int = PROCEDURAL_COUNT
    pybullet_data: tuple[str, ...] = PYBULLET_DATA_TEXTURES
    user_files: tuple[str, ...] = ()
    size_px: int = TEXTURE_SIZE_PX

    @classmethod
    def default(cls) -> TextureSet:
        """Every procedural texture plus the pybullet_data images."""
        return cls()

    def with_folder(self, folder: str | os.PathLike[str]) -> TextureSet:
        """A copy with every image of ``folder`` (png/jpg/jpeg/bmp, sorted by name) added.

        Raises:
            ValueError: the folder does not exist, holds no images, or repeats a file name.
        """
        files = self.user_files + _folder_images(Path(folder))
        names = [Path(f).name for f in files]
        if len(set(names)) != len(names):
            raise ValueError(f"texture folder {str(folder)!r} repeats a user image file name; rename it")
        return TextureSet(self.procedural_count, self.pybullet_data, files, self.size_px)

    def __len__(self) -> int:
        return self.procedural_count + len(self.pybullet_data) + len(self.user_files)

    def _check(self, i: int) -> int:
        if not 0 <= i < len(self):
            raise IndexError(f"texture entry {i} out of range; the set has {len(self)} entries")
        return i

    def name(self, i: int) -> str:
        """Stable name of entry ``i``: ``procedural/0042``, ``pybullet_data/<rel path>``, ``user/<file>``."""
        i = self._check(i)
        if i < self.procedural_count:
            return f"procedural/{i:04d}"
        i -= self.procedural_count
        if i < len(self.pybullet_data):
            return f"pybullet_data/{self.pybullet_data[i]}"
        return f"user/{Path(self.user_files[i - len(self.pybullet_data)]).name}"

    def names(self) -> tuple[str, ...]:
        """The name of every entry, in order."""
        return tuple(self.name(i) for i in range(len(self)))

    def path(self, i: int) -> str:
        """Image file of entry ``i`` (procedural ones are generated on first use)."""
        return self.path_of(self.name(i))

    def path_of(self, name: str) -> str:
        """Image file of the entry called ``name`` (as returned by :meth:`name`)."""
        kind, _, rest = name.partition("/")
        if kind == "procedural" and rest.isdigit() and int(rest) < self.procedural_count:
            return texture_file(int(rest), self.size_px)
        if kind == "pybullet_data" and rest in self.pybullet_data:
            return str(PYBULLET_DATA_DIR / rest)
        if kind == "user":
            for f in self.user_files:
                if Path(f).name == rest:
                    return f
        raise ValueError(f"unknown texture {name!r}; expected 'procedural/NNNN' below "
                         f"{self.procedural_count}, 'pybullet_data/<one of {len(self.pybullet_data)} images>' "
                         f"or 'user/<file>' from {len(self.user_files)} user images")
