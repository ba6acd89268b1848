"""Loose things: a tool (shaft and head), a flat patch (a target square), a chain of capsules (a rope)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, unique
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built


@dataclass(frozen=True, slots=True)
class Tool(Part):
    """A square-section shaft along x with a head at its +x end reaching out sideways (a hook, a rake).

    Frame: the link frame at the shaft's middle, the head toward +x and sticking out along
    ``head_side`` y; the centre of mass sits ``com_shift_m`` toward -x (the handle end). Dimensions
    named ``*_com_m`` are in the centre-of-mass frame (PyBullet's base frame of a loaded body).
    """

    shaft_half_length_m: float = 0.14
    shaft_half_width_m: float = 0.01  # half of the square cross-section
    head_reach_m: float = 0.1  # how far the head sticks out beyond the shaft's side; 0: a plain stick
    head_side: float = -1.0  # +1: the head sticks out along +y, -1: along -y
    com_shift_m: float = 0.02  # centre of mass this far from the shaft's middle toward -x
    mass_kg: float = 0.15
    rgba: RGBA = (0.2, 0.3, 0.75, 1.0)
    name: str = "tool"

    LINK: ClassVar[str] = "stick"

    @property
    def half_width_m(self) -> float:
        """Half the shaft's width (along y), as built."""
        return as_built(2 * self.shaft_half_width_m) / 2

    @property
    def half_height_m(self) -> float:
        """Half the shaft's height (along z), as built: the centre of mass above a table it lies on."""
        return self.half_width_m

    @property
    def head_face_com_m(self) -> float:
        """x (centre-of-mass frame) of the head's inner face, as built: the face that drags what it hooks."""
        head_x = as_built(self.shaft_half_length_m - self.shaft_half_width_m)
        return head_x + as_built(self.com_shift_m) - self.half_width_m

    def model(self) -> Model:
        """One link: the shaft, then the head (if any)."""
        h, w = self.shaft_half_length_m, self.shaft_half_width_m
        geoms = [Geom("box", (h, w, w), rgba=self.rgba)]
        if self.head_reach_m > 0:
            head_half = self.head_reach_m / 2
            geoms.append(Geom("box", (w, head_half, w), xyz=(h - w, self.head_side * (w + head_half), 0.0),
                              rgba=self.rgba))
        return Model(self.name, (Link(self.LINK, tuple(geoms), self.mass_kg, (-self.com_shift_m, 0.0, 0.0)),))


@dataclass(frozen=True, slots=True)
class FlatPatch(Part):
    """A thin flat square or rectangle lying on the table: a target, a mat. Seen, not touched.

    Frame: the patch's centre, z up (it rests ``half_thickness_m`` above the table).
    """

    half_size_m: tuple[float, float] = (0.05, 0.05)
    half_thickness_m: float = 0.0005
    rgba: RGBA = (0.1, 0.75, 0.2, 1.0)
    collision: bool = False
    name: str = "flat_patch"

    PATCH: ClassVar[str] = "patch"

    @property
    def half_extents_m(self) -> Vec3:
        """Half extents of the patch's box."""
        return (*self.half_size_m, self.half_thickness_m)

    def model(self) -> Model:
        geom = Geom("box", self.half_extents_m, rgba=self.rgba, collision=self.collision)
        return Model(self.name, (Link(self.PATCH, (geom,), 0.0),))


@unique
class ChainJoint(str, Enum):
    """How neighbouring capsules of a :class:`CapsuleChain` are joined."""

    REVOLUTE = "revolute"  # one hinge each, the axes alternating between z and y
    SPHERICAL = "spherical"  # a ball joint each


@dataclass(frozen=True, slots=True)
class CapsuleChain(Part):
    """A rope: ``count`` capsules (a cylinder capped by two spheres) in a row along x, each joined to
    the one before at its far sphere's centre.

    Frame: link ``i``'s frame at its near sphere's centre, its capsule along +x; the chain's base is
    link 0.
    """

    count: int = 8
    segment_m: float = 0.04  # sphere centre to sphere centre within one capsule (the joint spacing)
    radius_m: float = 0.008
    segment_mass_kg: float = 0.01
    joint: ChainJoint = ChainJoint.REVOLUTE
    bend_limit_rad: float = np.deg2rad(60.0)  # each revolute joint's range, either way
    rgba: RGBA = (0.9, 0.75, 0.3, 1.0)
    name: str = "capsule_chain"

    @staticmethod
    def link_name(i: int) -> str:
        """Link of capsule ``i`` (0 is the base)."""
        return f"segment_{i}"

    @staticmethod
    def joint_name(i: int) -> str:
        """Joint from capsule ``i - 1`` to capsule ``i`` (``i >= 1``)."""
        return f"bend_{i}"

    @property
    def length_m(self) -> float:
        """End to end when straight, over the end caps."""
        return self.count * self.segment_m + 2 * self.radius_m

    def _capsule(self, name: str) -> Link:
        r, length = self.radius_m, self.segment_m
        geoms = (Geom("cylinder", (r, length), (length / 2, 0.0, 0.0), (0.0, np.pi / 2, 0.0), self.rgba),
                 Geom("sphere", (r,), rgba=self.rgba), Geom("sphere", (r,), (length, 0.0, 0.0), rgba=self.rgba))
        return Link(name, geoms, self.segment_mass_kg, (length / 2, 0.0, 0.0))

    def model(self) -> Model:
        links = tuple(self._capsule(self.link_name(i)) for i in range(self.count))
        joints = tuple(
            Joint(self.joint_name(i), self.joint.value, self.link_name(i - 1), self.link_name(i),
                  (self.segment_m, 0.0, 0.0), axis=(0.0, 0.0, 1.0) if i % 2 else (0.0, 1.0, 0.0),
                  lower=-self.bend_limit_rad, upper=self.bend_limit_rad)
            for i in range(1, self.count)
        )
        return Model(self.name, links, joints)
