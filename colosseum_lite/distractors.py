"""Distractors: 78 fixed table-top models from pybullet_data, their URDFs and a pure placement sampler.

Every model looks like its shipped mesh, in its shipped colour, but collides as ONE box: the
scaled mesh's bounding box. Compound (VHACD) collision meshes cost ~10x in physics speed and
break ``restoreState`` exactness once in contact (design.md); a box costs nothing and rests flat.
The body frame is the box centre and the mesh is offset so its lowest vertex touches the box
bottom: a body placed at ``z = half_extents_m[2]`` rests on a table top at ``z = 0``.

The set: 72 procedurally generated ``random_urdfs`` (multi-part shapes, none a plain cube, sphere
or stick; reds that read as the task blocks left out) plus a duck, a teddy bear, a bunny, a mug, a
traffic cone and a domino. Each is scaled to stand 3-10 cm tall with a footprint radius <= 6 cm.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pybullet_data

from colosseum_lite.assets import write_unique
from colosseum_lite.sim import Pose, Sim

DATA_DIR = Path(pybullet_data.getDataPath())
LATERAL_FRICTION = 0.8
DENSITY_KG_M3 = 300.0  # of the collision box: a light, partly hollow toy
MASS_RANGE_KG = (0.05, 0.3)
MAX_HEIGHT_M = 0.10
MIN_HEIGHT_M = 0.03
MAX_FOOTPRINT_RADIUS_M = 0.06

Vec3 = tuple[float, float, float]


@dataclass(frozen=True, slots=True)
class DistractorModel:
    """One distractor: a shipped mesh for looks, its bounding box for collision.

    Attributes:
        name: stable id, e.g. ``"random_urdfs/042"`` or ``"duck"``.
        visual_mesh: the mesh file, relative to ``pybullet_data.getDataPath()``.
        mesh_scale: uniform scale applied to the mesh vertices.
        rgba: colour as shipped (from the original URDF or MTL; bunny: a fixed colour).
        half_extents_m: half extents of the scaled, rotated mesh's bounding box = the collision box.
        mass_kg: mass of the body.
        mesh_rpy: rotation of the mesh in the body frame (meshes modelled y-up are stood up).
        mesh_xyz_m: position of the mesh origin in the body frame (box centre = body origin).
    """

    name: str
    visual_mesh: str
    mesh_scale: float
    rgba: tuple[float, float, float, float]
    half_extents_m: Vec3
    mass_kg: float
    mesh_rpy: Vec3 = (0.0, 0.0, 0.0)
    mesh_xyz_m: Vec3 = (0.0, 0.0, 0.0)

    @property
    def height_m(self) -> float:
        """Full height of the body standing upright."""
        return 2.0 * self.half_extents_m[2]


_Z_UP: Vec3 = (0.0, 0.0, 0.0)
_Y_UP: Vec3 = (math.pi / 2, 0.0, 0.0)  # +90 deg about x takes the mesh's +y to +z


def _m(name: str, mesh: str, rpy: Vec3, scale: float, rgb: Vec3, half: Vec3, xyz: Vec3) -> DistractorModel:
    """A table row; mass from the box volume at a toy's density."""
    mass = float(np.clip(DENSITY_KG_M3 * 8.0 * math.prod(half), *MASS_RANGE_KG))
    rgba = (float(rgb[0]), float(rgb[1]), float(rgb[2]), 1.0)
    return DistractorModel(name, mesh, float(scale), rgba, _floats(half), round(mass, 4), rpy, _floats(xyz))


def _floats(v: Vec3) -> Vec3:
    """A float triple (table literals may hold ints)."""
    return (float(v[0]), float(v[1]), float(v[2]))


def _r(index: int, scale: float, rgb: Vec3, half: Vec3, xyz: Vec3) -> DistractorModel:
    """A random_urdfs row: its colour is the one in the shipped NNN.urdf."""
    n = f"{index:03d}"
    return _m(f"random_urdfs/{n}", f"random_urdfs/{n}/{n}.obj", _Z_UP, scale, rgb, half, xyz)


# Generated offline from the meshes (tests recompute every number from the OBJ vertices):
# scale = min(8.5 cm / height, 5.5 cm / footprint radius), 4 significant digits.
DISTRACTOR_MODELS: tuple[DistractorModel, ...] = (
    _r(13, 0.01265, (0.16, 0.35, 0.04), (0.03914, 0.03865, 0.03914), (-0.00875, -0.00124, 0.00028)),
    _r(17, 0.01262, (0.21, 0.38, 0.59), (0.03923, 0.03853, 0.03923), (0.00009, 0.00637, 0.00008)),
    _r(28, 0.01074, (0.61, 0.29, 0.43), (0.04367, 0.03342, 0.03342), (-0.00597, -0.01124, -0.00012)),
    _r(40, 0.01253, (0.8, 0.55, 1), (0.03889, 0.03889, 0.03864), (0.00011, 0.00896, 0.00024)),
    _r(41, 0.01279, (0.2, 0.03, 0.71), (0.03857, 0.03923, 0.03879), (-0.00002, 0.00031, 0.00002)),
    _r(44, 0.01257, (0.37, 0.36, 0.76), (0.03879, 0.03902, 0.03879), (0.0025, -0.00746, -0.00004)),
    _r(53, 0.01271, (0.48, 0.34, 0.3), (0.03923, 0.03856, 0.03924), (0.00638, -0.01251, 0.00015)),
    _r(55, 0.01272, (0.03, 0.98, 0.3), (0.03923, 0.03855, 0.03946), (0.00032, 0.00704, 0.00001)),
    _r(71, 0.01072, (0.24, 0.67, 0.07), (0.03311, 0.04391, 0.0331), (0.00642, -0.00203, 0.00017)),
    _r(77, 0.01075, (0.98, 0.45, 0.25), (0.04394, 0.03306, 0.03306), (0.0095, 0.00042, -0.00014)),
    _r(95, 0.01257, (0.65, 0.75, 0.02), (0.03867, 0.03912, 0.0389), (-0.00006, -0.00777, 0.00185)),
    _r(102, 0.0126, (0.25, 0.24, 0.28), (0.03889, 0.03889, 0.03842), (0.00024, 0.01251, -0.00948)),
    _r(129, 0.0107, (0.52, 0.29, 0.72), (0.0332, 0.04385, 0.03321), (0.00018, 0.0049, -0.00013)),
    _r(173, 0.01075, (1, 0.23, 0.98), (0.03351, 0.04362, 0.03329), (-0.00014, -0.01592, -0.00001)),
    _r(181, 0.01292, (0.79, 0.15, 0.54), (0.03889, 0.03889, 0.03866), (0.0001, -0.00686, 0.00004)),
    _r(193, 0.01072, (0.45, 0.55, 0.77), (0.0332, 0.04388, 0.0332), (0.00643, -0.00406, -0.00001)),
    _r(198, 0.01258, (0.13, 0.62, 0.01), (0.03865, 0.03912, 0.03912), (0.00006, -0.001, -0.00402)),
    _r(218, 0.01274, (0.24, 0.07, 0.55), (0.03852, 0.03926, 0.03951), (0.00094, 0.0067, 0.00022)),
    _r(221, 0.01263, (0.76, 0.39, 0.31), (0.03865, 0.03912, 0.03935), (-0.00032, -0.00083, -0.0041)),
    _r(246, 0.0126, (0.57, 0.22, 0.42), (0.03855, 0.03925, 0.03902), (-0.00973, -0.00004, -0.00007)),
    _r(259, 0.01258, (0.09, 0.58, 0.23), (0.03864, 0.03913, 0.03889), (-0.00015, 0.00004, -0.00006)),
    _r(265, 0.01258, (0.36, 0.96, 0.82), (0.03865, 0.03911, 0.03865), (0.00616, -0.00009, -0.00567)),
    _r(299, 0.01077, (0.84, 0.43, 0.21), (0.03311, 0.04393, 0.03356), (0.00661, -0.00265, 0.00828)),
    _r(300, 0.01255, (0.12, 0.49, 0.7), (0.03865, 0.03912, 0.03911), (-0.00486, -0.00003, 0.00002)),
    _r(305, 0.01095, (0.06, 0.41, 0.58), (0.03308, 0.04396, 0.03349), (-0.00037, -0.00312, -0.00612)),
    _r(306, 0.01279, (0.37, 0.11, 0.61), (0.03876, 0.039, 0.03923), (-0.0006, 0.01137, -0.00085)),
    _r(310, 0.01263, (0.61, 0.91, 0.39), (0.03877, 0.03899, 0.03923), (-0.00343, 0.0017, 0.00002)),
    _r(331, 0.01268, (0.28, 0.57, 0.47), (0.03888, 0.03888, 0.03937), (-0.00024, 0.00067, -0.00017)),
    _r(367, 0.01271, (0.12, 0.4, 0.49), (0.03877, 0.03902, 0.03952), (0.00103, -0.00836, 0.00011)),
    _r(393, 0.01276, (0.51, 0.43, 0.06), (0.03878, 0.03902, 0.03927), (-0.00024, 0.01052, -0.00033)),
    _r(403, 0.01257, (0.92, 0.86, 0.04), (0.03902, 0.03879, 0.03902), (0.00477, -0.00687, -0.00006)),
    _r(408, 0.01034, (0.4, 0.53, 0.9), (0.03199, 0.03179, 0.04252), (-0.00009, -0.0059, 0.00163)),
    _r(417, 0.01074, (0.64, 0.95, 0.61), (0.04392, 0.0331, 0.03289), (-0.00493, 0.00466, -0.00012)),
    _r(423, 0.01258, (0.68, 0.34, 1), (0.03878, 0.03903, 0.03878), (-0.00846, -0.00857, 0)),
    _r(430, 0.01253, (0.08, 0.79, 0.57), (0.0389, 0.0389, 0.03866), (0.00016, 0.00011, 0.00334)),
    _r(436, 0.01266, (0.57, 0.38, 0.56), (0.03878, 0.03902, 0.03829), (0.00011, 0.00629, 0.00011)),
    _r(438, 0.01271, (0.8, 0.41, 0.63), (0.03888, 0.03888, 0.03933), (-0.00007, 0.00811, -0.00017)),
    _r(442, 0.01276, (0.71, 0.73, 0.03), (0.03935, 0.03845, 0.03958), (0.00004, -0.00913, -0.00019)),
    _r(459, 0.01071, (0.35, 0.1, 0.23), (0.03315, 0.04391, 0.03314), (0.00694, -0.01588, -0.00002)),
    _r(482, 0.01269, (0.46, 0.08, 0.42), (0.03888, 0.03888, 0.03888), (0.00067, 0.01153, 0.01066)),
    _r(520, 0.01283, (0.42, 0.8, 0.68), (0.039, 0.03878, 0.03878), (0.00039, -0.00004, 0.00932)),
    _r(527, 0.01286, (0.46, 0.94, 0.39), (0.03901, 0.03878, 0.03901), (-0.00001, 0.00677, -0.00028)),
    _r(529, 0.01259, (0.93, 0.59, 0.27), (0.03889, 0.03889, 0.03864), (-0.00459, 0.00147, -0.00011)),
    _r(573, 0.0127, (0.25, 0.15, 0.53), (0.03865, 0.03915, 0.0389), (-0.0003, 0.01603, -0.00025)),
    _r(577, 0.01263, (0.1, 0.79, 0.49), (0.03866, 0.03913, 0.03913), (0.00467, 0.00654, -0.00001)),
    _r(628, 0.01065, (0.68, 0.57, 0.53), (0.04374, 0.03331, 0.03309), (-0.00361, -0.00955, -0.00584)),
    _r(629, 0.01265, (0.36, 0.53, 0.29), (0.03877, 0.03902, 0.03927), (-0.00016, 0.00875, 0.00581)),
    _r(642, 0.01255, (0.08, 0.74, 0.99), (0.0391, 0.03865, 0.03771), (-0.00001, 0.01167, 0.01059)),
    _r(659, 0.01069, (0.71, 0.88, 0.23), (0.03304, 0.04398, 0.03282), (0.00014, -0.00537, -0.00032)),
    _r(663, 0.01259, (0.93, 0.05, 1), (0.03878, 0.03903, 0.03853), (-0.00349, 0.00525, -0.00073)),
    _r(698, 0.01276, (0.59, 0.72, 0.94), (0.03878, 0.03903, 0.03853), (-0.00004, 0.00013, 0.00684)),
    _r(711, 0.0107, (0.65, 0.34, 0.06), (0.03317, 0.04386, 0.03317), (0.00506, 0.00525, -0.00013)),
    _r(716, 0.01288, (0.51, 0.12, 0.51), (0.03877, 0.03899, 0.03899), (0.00787, 0.00966, -0.00002)),
    _r(740, 0.01259, (0.14, 0.83, 0.6), (0.03888, 0.03888, 0.03914), (-0.00885, 0.00923, -0.00004)),
    _r(744, 0.01277, (0.1, 0.25, 0.26), (0.03841, 0.03935, 0.03865), (0.00031, -0.0001, -0.00025)),
    _r(774, 0.01075, (0.94, 0.54, 0.62), (0.03334, 0.04372, 0.03356), (-0.00013, -0.00312, -0.00434)),
    _r(810, 0.01073, (0.5, 0.74, 0.85), (0.03313, 0.0439, 0.03334), (0.00029, 0.01434, -0.00722)),
    _r(818, 0.01254, (0.7, 0.41, 0.43), (0.03899, 0.03876, 0.03877), (-0.00011, 0.00343, 0.00008)),
    _r(823, 0.01074, (0.72, 0.57, 0.34), (0.03325, 0.04378, 0.03325), (0.00025, -0.00382, 0.00372)),
    _r(838, 0.01258, (0.97, 0.82, 0.57), (0.03878, 0.03901, 0.03901), (-0.00011, 0.01255, 0.00175)),
    _r(856, 0.01039, (0.21, 0.44, 0.82), (0.03194, 0.03215, 0.04252), (0.00037, -0.00013, 0.00953)),
    _r(877, 0.01264, (0.02, 0.94, 0.95), (0.03915, 0.03866, 0.0389), (0.00004, 0.00385, -0.00009)),
    _r(878, 0.01282, (0.08, 0.79, 0.31), (0.03854, 0.03926, 0.03878), (-0.00321, -0.00926, 0.00028)),
    _r(885, 0.01264, (0.87, 0.4, 0.38), (0.03879, 0.03901, 0.03856), (0.0007, -0.00129, 0.00076)),
    _r(893, 0.01254, (0.94, 0.73, 0.6), (0.0389, 0.0389, 0.03816), (0.00181, -0.00726, -0.00061)),
    _r(900, 0.01071, (0.78, 0.84, 0.12), (0.03305, 0.04399, 0.0326), (0.00029, 0.00494, 0.00046)),
    _r(905, 0.01074, (0.52, 0.1, 0.39), (0.03315, 0.04391, 0.03315), (-0.00024, -0.00084, -0.00336)),
    _r(911, 0.01285, (0.46, 0.55, 0.05), (0.03855, 0.03923, 0.03923), (0.00022, -0.00674, 0.00042)),
    _r(967, 0.01257, (0.73, 0.74, 0.06), (0.03877, 0.03899, 0.03831), (0.00016, 0.00368, 0.00081)),
    _r(976, 0.01261, (0.64, 0.04, 0.39), (0.03912, 0.03865, 0.03794), (-0.00514, 0.00685, 0.0004)),
    _r(977, 0.0128, (0.01, 0.49, 0.05), (0.03854, 0.03924, 0.03854), (-0.00006, -0.00014, 0.00548)),
    _r(993, 0.01263, (0.43, 0.28, 0.97), (0.03902, 0.03879, 0.03902), (-0.00005, 0.01194, -0.01084)),
    _m("duck", "duck.obj", _Y_UP, 0.05455, (1, 1, 0.4), (0.04513, 0.03144, 0.04201), (0.00733, 0.00202, -0.04743)),
    _m("teddy", "teddy2_VHACD_CHs.obj", _Y_UP,
       0.09121, (1, 0.4, 0.4), (0.0347, 0.02861, 0.0425), (-0.0619, 0.02946, -0.0603)),
    _m("bunny", "bunny.obj", _Y_UP,
       0.05043, (0.85, 0.78, 0.66), (0.02335, 0.04979, 0.03639), (-0.00018, 0.00143, -0.00278)),
    _m("mug", "objects/mug.obj", _Z_UP, 0.7499, (1, 0.2, 0.2), (0.03075, 0.04561, 0.0375), (0, -0.01486, -0.0375)),
    _m("traffic_cone", "racecar/meshes/cone.obj", _Z_UP,
       0.5, (0.602, 0.301, 0.05), (0.0375, 0.0375, 0.0425), (0, 0, -0.0425)),
    _m("domino", "domino/domino.obj", _Z_UP, 1.673, (1, 1, 1), (0.02125, 0.00531, 0.04249), (0, 0, 0)),
)

_BY_NAME: dict[str, int] = {m.name: i for i, m in enumerate(DISTRACTOR_MODELS)}


def distractor_index(name: str) -> int:
    """Index into ``DISTRACTOR_MODELS`` of a model name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown distractor {name!r}; expected one of {sorted(_BY_NAME)}") from None


def footprint_radius_m(model: DistractorModel) -> float:
    """Horizontal bounding radius of the collision box (covers every yaw)."""
    return math.hypot(model.half_extents_m[0], model.half_extents_m[1])


def _rpy_matrix(rpy: Vec3) -> np.ndarray:
    """URDF fixed-axis roll-pitch-yaw as a rotation matrix (Rz @ Ry @ Rx)."""
    (cr, cp, cy), (sr, sp, sy) = np.cos(rpy), np.sin(rpy)
    rx = np.array([[1, 0, 0], [0, cr, -sr], [0, sr, cr]])
    ry = np.array([[cp, 0, sp], [0, 1, 0], [-sp, 0, cp]])
    rz = np.array([[cy, -sy, 0], [sy, cy, 0], [0, 0, 1]])
    return rz @ ry @ rx


def mesh_bounds(model: DistractorModel) -> tuple[Vec3, Vec3]:
    """Recompute ``(half_extents_m, mesh_xyz_m)`` from the OBJ vertices (slow; for tests and tools)."""
    text = (DATA_DIR / model.visual_mesh).read_text()
    rows = [line.split()[1:4] for line in text.splitlines() if line.startswith("v ")]
    verts = np.asarray(rows, dtype=float) * model.mesh_scale @ _rpy_matrix(model.mesh_rpy).T
    lo, hi = verts.min(axis=0), verts.max(axis=0)
    half, xyz = (hi - lo) / 2.0, -(hi + lo) / 2.0
    return (float(half[0]), float(half[1]), float(half[2])), (float(xyz[0]), float(xyz[1]), float(xyz[2]))


def _fmt(values: Sequence[float]) -> str:
    return " ".join(f"{v:.9g}" for v in values)


def distractor_urdf(model: DistractorModel) -> str:
    """Path of a generated URDF: the mesh as visual, the bounding box as the only collision shape."""
    return _distractor_urdf(model)


@cache
def _distractor_urdf(model: DistractorModel) -> str:
    """Cached body of :func:`distractor_urdf`."""
    hx, hy, hz = model.half_extents_m
    m = model.mass_kg
    ixx, iyy, izz = m * (hy**2 + hz**2) / 3, m * (hx**2 + hz**2) / 3, m * (hx**2 + hy**2) / 3
    stem = "distractor_" + model.name.replace("/", "_")
    s = model.mesh_scale
    # One element per line: long lines break PyBullet's URDF parser.
    text = "\n".join([
        '<?xml version="1.0"?>',
        f'<robot name="{stem}">',
        '<link name="base">',
        f'<contact><lateral_friction value="{LATERAL_FRICTION}"/></contact>',
        f'<inertial><origin xyz="0 0 0"/><mass value="{m:.6g}"/>',
        f'<inertia ixx="{ixx:.6g}" iyy="{iyy:.6g}" izz="{izz:.6g}" ixy="0" ixz="0" iyz="0"/>',
        "</inertial>",
        f'<visual><origin xyz="{_fmt(model.mesh_xyz_m)}" rpy="{_fmt(model.mesh_rpy)}"/>',
        f'<geometry><mesh filename="{DATA_DIR / model.visual_mesh}" scale="{s:.6g} {s:.6g} {s:.6g}"/>',
        "</geometry>",
        f'<material name="{stem}"><color rgba="{_fmt(model.rgba)}"/></material></visual>',
        f'<collision><origin xyz="0 0 0"/><geometry><box size="{_fmt([2 * h for h in model.half_extents_m])}"/>',
        "</geometry></collision>",
        "</link>",
        "</robot>",
        "",
    ])
    return write_unique(stem, text, ".urdf")


@dataclass(frozen=True, slots=True)
class Rect:
    """An axis-aligned rectangle of the table top (world frame, metres)."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float


@dataclass(frozen=True, slots=True)
class Circle:
    """A disc of the table top that is taken (world frame, metres)."""

    x: float
    y: float
    radius: float


@dataclass(frozen=True, slots=True)
class Placement:
    """Where one distractor goes (world frame): model index, box-centre position (m), yaw (rad).

    ``z`` is the box half height: the body rests on a table top at ``z = 0``.
    """

    model_index: int
    x: float
    y: float
    z: float
    yaw: float

    def pose(self, table_top_z_m: float = 0.0) -> Pose:
        """The body's pose on a table top at ``table_top_z_m``."""
        half = self.yaw / 2.0
        return Pose((self.x, self.y, self.z + table_top_z_m), (0.0, 0.0, math.sin(half), math.cos(half)))


def _model(idx: int) -> DistractorModel:
    """The model at an index, with an error that names the valid range."""
    if not 0 <= idx < len(DISTRACTOR_MODELS):
        raise IndexError(f"distractor index {idx} out of range; expected 0..{len(DISTRACTOR_MODELS) - 1}")
    return DISTRACTOR_MODELS[idx]


def place(
    rng: np.random.Generator,
    models_idx: Sequence[int],
    free_area: Rect,
    occupied: Sequence[Circle],
    min_gap_m: float = 0.05,
    max_tries: int = 200,
) -> list[Placement]:
    """Sample positions and yaws for distractors, without a simulator.

    Each model's footprint circle lies wholly inside ``free_area`` and keeps at least
    ``min_gap_m`` (edge to edge) from every ``occupied`` circle and every distractor placed
    before it. Rejection sampling with ``max_tries`` draws per model; a model that does not fit
    is left out rather than overlapped.

    Args:
        rng: the random stream; the result is a pure function of its state and the arguments.
        models_idx: indices into ``DISTRACTOR_MODELS``, placed in this order.
        free_area: where distractors may go (world frame, metres).
        occupied: discs already taken by task objects.
        min_gap_m: least edge-to-edge distance.
        max_tries: position draws per model before giving up on it.

    Returns:
        One ``Placement`` per model that fit, in order; fewer than ``len(models_idx)`` means
        the rest did not fit (compare ``model_index``).
    """
    if free_area.x_min > free_area.x_max or free_area.y_min > free_area.y_max:
        raise ValueError(f"free_area must have x_min <= x_max and y_min <= y_max, got {free_area}")
    taken = list(occupied)
    out: list[Placement] = []
    for idx in map(int, models_idx):  # plain ints keep a Placement JSON-serialisable
        model = _model(idx)
        r = footprint_radius_m(model)
        lo_x, hi_x = free_area.x_min + r, free_area.x_max - r
        lo_y, hi_y = free_area.y_min + r, free_area.y_max - r
        if lo_x > hi_x or lo_y > hi_y:
            continue
        for _ in range(max_tries):
            x, y = float(rng.uniform(lo_x, hi_x)), float(rng.uniform(lo_y, hi_y))
            if all(math.hypot(x - c.x, y - c.y) >= r + c.radius + min_gap_m for c in taken):
                yaw = float(rng.uniform(-math.pi, math.pi))
                out.append(Placement(idx, x, y, model.half_extents_m[2], yaw))
                taken.append(Circle(x, y, r))
                break
    return out


def spawn(sim: Sim, name: str, placement: Placement, table_top_z_m: float = 0.0) -> int:
    """Load a placed distractor into ``sim`` as body ``name``; returns its body id."""
    return sim.load_urdf(name, distractor_urdf(_model(placement.model_index)), placement.pose(table_top_z_m))
