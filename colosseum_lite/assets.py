"""Procedural assets: generated URDFs for compound and articulated bodies, the low-poly Panda.

Nothing is downloaded: URDFs are written from dataclass descriptions into a per-process cache
directory, named by a hash of their content (PyBullet caches files by path within a client, so
one path must always mean one geometry).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import pybullet_data

PANDA_DIR = Path(pybullet_data.getDataPath()) / "franka_panda"


def _scaled3(v: tuple[float, float, float], s: float) -> tuple[float, float, float]:
    """A point or offset scaled by ``s``."""
    x, y, z = v
    return x * s, y * s, z * s


@dataclass(frozen=True, slots=True)
class Geom:
    """One visual+collision primitive of a link, in the link frame (metres, radians).

    ``kind`` is ``box`` (size = half extents), ``cylinder`` (size = radius, length, along the
    local z axis) or ``sphere`` (size = radius).
    """

    kind: str
    size: tuple[float, ...]
    xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rgba: tuple[float, float, float, float] = (0.8, 0.8, 0.8, 1.0)
    collision: bool = True
    visual: bool = True

    def scaled(self, s: float) -> Geom:
        """The same geometry scaled uniformly about the link origin."""
        return Geom(
            self.kind,
            tuple(v * s for v in self.size),
            _scaled3(self.xyz, s),
            self.rpy,
            self.rgba,
            self.collision,
            self.visual,
        )


@dataclass(frozen=True, slots=True)
class Link:
    """A rigid link: its shapes, mass and centre of mass (link frame)."""

    name: str
    geoms: tuple[Geom, ...]
    mass_kg: float
    com_xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True, slots=True)
class Joint:
    """A joint from ``parent`` to ``child``; ``origin`` places the child frame in the parent's."""

    name: str
    kind: str  # revolute | prismatic | fixed
    parent: str
    child: str
    xyz: tuple[float, float, float] = (0.0, 0.0, 0.0)
    rpy: tuple[float, float, float] = (0.0, 0.0, 0.0)
    axis: tuple[float, float, float] = (0.0, 0.0, 1.0)
    lower: float = 0.0
    upper: float = 0.0


@dataclass(frozen=True, slots=True)
class Model:
    """A multi-link body: links (the first is the base) joined by joints."""

    name: str
    links: tuple[Link, ...]
    joints: tuple[Joint, ...] = field(default=())

    def scaled(self, s: float) -> Model:
        """Uniformly scaled copy: geometry, joint origins and prismatic limits scale; mass by s^3."""
        links = tuple(
            Link(lk.name, tuple(g.scaled(s) for g in lk.geoms), lk.mass_kg * s**3,
                 _scaled3(lk.com_xyz, s))
            for lk in self.links
        )
        joints = tuple(
            Joint(j.name, j.kind, j.parent, j.child, _scaled3(j.xyz, s), j.rpy, j.axis,
                  j.lower * (s if j.kind == "prismatic" else 1.0),
                  j.upper * (s if j.kind == "prismatic" else 1.0))
            for j in self.joints
        )
        return Model(self.name, links, joints)


@cache
def cache_dir() -> Path:
    """This process's directory for generated assets (removed at exit)."""
    path = Path(tempfile.mkdtemp(prefix="colosseum_lite_"))
    atexit.register(shutil.rmtree, path, True)
    return path


def write_unique(stem: str, text: str, suffix: str) -> str:
    """Write ``text`` into the asset cache under a content-hashed name; returns its path."""
    digest = hashlib.sha1(text.encode()).hexdigest()[:16]
    path = cache_dir() / f"{stem}_{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(text)
        tmp.replace(path)
    return str(path)


def _fmt(v: tuple[float, ...]) -> str:
    return " ".join(f"{x:.6g}" for x in v)


def _geom_xml(g: Geom) -> str:
    if g.kind == "box":
        return f'<box size="{_fmt(tuple(2 * v for v in g.size))}"/>'
    if g.kind == "cylinder":
        return f'<cylinder radius="{g.size[0]:.6g}" length="{g.size[1]:.6g}"/>'
    if g.kind == "sphere":
        return f'<sphere radius="{g.size[0]:.6g}"/>'
    raise ValueError(f"unknown geom kind {g.kind!r}; expected box, cylinder or sphere")


def _bounds(geoms: tuple[Geom, ...]) -> tuple[float, float, float]:
    """Rough full extents of a link, for an inertia estimate."""
    ext = [0.01, 0.01, 0.01]
    for g in geoms:
        if g.kind == "box":
            half = g.size
        elif g.kind == "cylinder":
            half = (g.size[0], g.size[0], g.size[1] / 2)
        else:
            half = (g.size[0],) * 3
        for i in range(3):
            ext[i] = max(ext[i], 2 * (abs(g.xyz[i]) + half[i]))
    return ext[0], ext[1], ext[2]


def _link_xml(link: Link) -> str:
    ex, ey, ez = _bounds(link.geoms)
    m = max(link.mass_kg, 1e-4)
    ixx, iyy, izz = m * (ey**2 + ez**2) / 12, m * (ex**2 + ez**2) / 12, m * (ex**2 + ey**2) / 12
    out = [f'<link name="{link.name}">',
           f'<inertial><origin xyz="{_fmt(link.com_xyz)}"/><mass value="{link.mass_kg:.6g}"/>',
           f'<inertia ixx="{ixx:.6g}" iyy="{iyy:.6g}" izz="{izz:.6g}" ixy="0" ixz="0" iyz="0"/>',
           "</inertial>"]
    for i, g in enumerate(link.geoms):
        origin = f'<origin xyz="{_fmt(g.xyz)}" rpy="{_fmt(g.rpy)}"/>'
        if g.visual:
            # PyBullet shares materials by name within a body: one name per visual keeps its colour.
            out.append(f"<visual>{origin}<geometry>{_geom_xml(g)}</geometry>")
            out.append(f'<material name="{link.name}_{i}"><color rgba="{_fmt(g.rgba)}"/></material></visual>')
        if g.collision:
            out.append(f"<collision>{origin}<geometry>{_geom_xml(g)}</geometry></collision>")
    out.append("</link>")
    return "\n".join(out)


def _joint_xml(j: Joint) -> str:
    out = [f'<joint name="{j.name}" type="{j.kind}">', f'<parent link="{j.parent}"/>',
           f'<child link="{j.child}"/>', f'<origin xyz="{_fmt(j.xyz)}" rpy="{_fmt(j.rpy)}"/>']
    if j.kind != "fixed":
        out.append(f'<axis xyz="{_fmt(j.axis)}"/>')
        out.append(f'<limit lower="{j.lower:.6g}" upper="{j.upper:.6g}" effort="100" velocity="5"/>')
    out.append("</joint>")
    return "\n".join(out)


def urdf_text(model: Model) -> str:
    """URDF text of a model, one element per line (long lines break PyBullet's parser)."""
    parts = [f'<?xml version="1.0"?>\n<robot name="{model.name}">']
    parts += [_link_xml(lk) for lk in model.links]
    parts += [_joint_xml(j) for j in model.joints]
    parts.append("</robot>\n")
    return "\n".join(parts)


def write_urdf(model: Model) -> str:
    """Write a model's URDF into the asset cache; returns its path."""
    return write_unique(model.name, urdf_text(model), ".urdf")


PANDA_LINK_RGBA = "0.92 0.92 0.92 1"
PANDA_HAND_RGBA = "0.25 0.25 0.27 1"


def panda_urdf(low_poly: bool = True) -> str:
    """Path of the Panda URDF; ``low_poly`` swaps the visual meshes for the collision meshes.

    The low-poly model has identical physics and renders about 4.5x faster in TinyRenderer.
    """
    text = (PANDA_DIR / "panda.urdf").read_text()
    collision_dir = PANDA_DIR / "meshes" / "collision"
    visual_dir = PANDA_DIR / "meshes" / "visual"
    if low_poly:
        text = re.sub(r"package://meshes/visual/(\w+)\.obj", lambda m: f"{collision_dir}/{m[1]}.obj", text)
    text = text.replace("package://meshes/collision/", f"{collision_dir}/")
    text = text.replace("package://meshes/visual/", f"{visual_dir}/")
    if low_poly:
        # One material per link so fingers and hand read dark against the white arm.
        text = re.sub(r'<color rgba="[^"]*"\s*/>', f'<color rgba="{PANDA_LINK_RGBA}"/>', text)
        text = re.sub(
            r'(<link name="panda_(?:hand|leftfinger|rightfinger)">.*?</link>)',
            lambda m: m[1].replace('<material name="panda_white"/>',
                                   f'<material name="panda_dark"><color rgba="{PANDA_HAND_RGBA}"/></material>'),
            text,
            flags=re.S,
        )
    return write_unique("panda_low" if low_poly else "panda", text, ".urdf")


_BOX_FACES = (  # outward normal, u axis, v axis
    ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    ((-1, 0, 0), (0, -1, 0), (0, 0, 1)),
    ((0, 1, 0), (-1, 0, 0), (0, 0, 1)),
    ((0, -1, 0), (1, 0, 0), (0, 0, 1)),
    ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
    ((0, 0, -1), (1, 0, 0), (0, -1, 0)),
)


def box_mesh_obj(half_extents_m: tuple[float, float, float], uv_repeat_per_m: float) -> str:
    """An OBJ box whose texture repeats every ``1 / uv_repeat_per_m`` metres on each face.

    PyBullet's primitive box maps about a quarter of a texture onto each face whatever its size,
    which blows a pattern up to metres on a tabletop or a wall; this mesh tiles it instead.
    """
    h = np.asarray(half_extents_m, dtype=float)
    lines, faces = [], []
    for i, face in enumerate(_BOX_FACES):
        n, u, v = (np.asarray(a, dtype=float) for a in face)
        su, sv = float(np.abs(u) @ h), float(np.abs(v) @ h)
        for a, b in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x = n * h + a * su * u + b * sv * v
            lines.append(f"v {x[0]:.6f} {x[1]:.6f} {x[2]:.6f}")
            lines.append(f"vt {(a + 1) * su * uv_repeat_per_m:.6f} {(b + 1) * sv * uv_repeat_per_m:.6f}")
            lines.append(f"vn {n[0]:.0f} {n[1]:.0f} {n[2]:.0f}")
        k = 4 * i + 1
        faces += [(k, k + 1, k + 2), (k, k + 2, k + 3)]
    lines += ["f " + " ".join(f"{j}/{j}/{j}" for j in tri) for tri in faces]
    return write_unique("box", "\n".join(lines) + "\n", ".obj")
