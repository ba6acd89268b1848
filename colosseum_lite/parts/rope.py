"""A rope: capsules in a row joined by universal joints, one multibody that bends but never stretches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part
from colosseum_lite.sim import VecLike, rotation_matrix

VISUAL_HALF_WIDTH = 0.9  # the look's half width, in capsule radii: its underside clear of the table


def _rot_z(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def _rot_y(a: float) -> np.ndarray:
    c, s = np.cos(a), np.sin(a)
    return np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])


@dataclass(frozen=True, slots=True)
class Rope(Part):
    """``count`` capsules of ``segment_m`` (joint to joint) in a row along x, each joined to the one
    before by a universal joint: a turn about the previous capsule's z axis (bending on the table),
    then a lift about y (bending up), through a massless-looking knot link between them.

    Frame: capsule 0 (the base) is centred on its link frame, along +x; capsule ``i >= 1``'s link
    frame sits at its joint with capsule ``i - 1``, its centre ``segment_m / 2`` along its +x. Each
    capsule collides as a cylinder capped by two spheres and shows as a square bar along it, reaching
    a little past its joints: TinyRenderer shades short capsules and cylinders darker toward their
    ends (a string of beads), flat-faced bars end to end read as one cord.
    """

    count: int = 12
    segment_m: float = 0.03
    radius_m: float = 0.01
    segment_mass_kg: float = 0.02
    visual_overlap_m: float = 0.002  # each capsule's look reaches this far past its joints (no gaps at bends)
    knot_mass_kg: float = 1e-3  # the link between a joint's two axes: it only carries
    bend_limit_rad: float = np.deg2rad(80.0)  # each joint's range, either way
    rgba: RGBA = (0.85, 0.55, 0.25, 1.0)
    name: str = "rope"

    @staticmethod
    def segment(i: int) -> str:
        """Link of capsule ``i`` (0 is the base, at one end)."""
        return f"segment_{i}"

    @staticmethod
    def turn(i: int) -> str:
        """Joint bending capsule ``i`` (``i >= 1``) about the previous capsule's z axis."""
        return f"turn_{i}"

    @staticmethod
    def lift(i: int) -> str:
        """Joint bending capsule ``i`` (``i >= 1``) about its own y axis, after the turn."""
        return f"lift_{i}"

    def joints(self) -> tuple[str, ...]:
        """Every joint, in model order."""
        return tuple(j for i in range(1, self.count) for j in (self.turn(i), self.lift(i)))

    @property
    def length_m(self) -> float:
        """End to end when straight, over the end caps."""
        return self.count * self.segment_m + 2 * self.radius_m

    @property
    def span_m(self) -> float:
        """Centre of the first capsule to centre of the last, when straight."""
        return (self.count - 1) * self.segment_m

    def model(self) -> Model:
        r, seg = self.radius_m, self.segment_m
        links, joints = [], []
        for i in range(self.count):
            at = 0.0 if i == 0 else seg / 2  # the capsule's centre along the link's x
            look = (seg / 2 + self.visual_overlap_m, VISUAL_HALF_WIDTH * r, VISUAL_HALF_WIDTH * r)
            geoms = (Geom("box", look, (at, 0.0, 0.0), rgba=self.rgba, collision=False),
                     Geom("cylinder", (r, seg), (at, 0.0, 0.0), (0.0, np.pi / 2, 0.0), self.rgba, visual=False),
                     Geom("sphere", (r,), (at - seg / 2, 0.0, 0.0), rgba=self.rgba, visual=False),
                     Geom("sphere", (r,), (at + seg / 2, 0.0, 0.0), rgba=self.rgba, visual=False))
            links.append(Link(self.segment(i), geoms, self.segment_mass_kg, (at, 0.0, 0.0)))
            if i == 0:
                continue
            knot, limit = f"knot_{i}", self.bend_limit_rad
            parent_end = seg / 2 if i == 1 else seg
            links.append(Link(knot, (), self.knot_mass_kg))
            joints.append(Joint(self.turn(i), "revolute", self.segment(i - 1), knot, (parent_end, 0.0, 0.0),
                                axis=(0.0, 0.0, 1.0), lower=-limit, upper=limit))
            joints.append(Joint(self.lift(i), "revolute", knot, self.segment(i), axis=(0.0, 1.0, 0.0),
                                lower=-limit, upper=limit))
        return Model(self.name, tuple(links), tuple(joints))

    def centres(self, base_pos: VecLike, base_quat: VecLike, joint: Callable[[str], float]) -> np.ndarray:
        """Every capsule's centre (world frame, m; ``count x 3``) for the base capsule at ``base_pos``,
        ``base_quat`` and the joints at ``joint(name)`` (rad): the rope's shape, by forward kinematics."""
        rot = rotation_matrix(base_quat)
        pos = np.asarray(base_pos, float)
        half = np.array([self.segment_m / 2, 0.0, 0.0])
        out = [pos]
        at = pos + rot @ half  # the joint with the next capsule
        for i in range(1, self.count):
            rot = rot @ _rot_z(joint(self.turn(i))) @ _rot_y(joint(self.lift(i)))
            out.append(at + rot @ half)
            at = at + 2 * (rot @ half)
        return np.array(out)

    def flat_centres(self, base_xy: VecLike, heading_rad: float, turns_rad: VecLike) -> np.ndarray:
        """Capsule centres (xy, m; ``count x 2``) of the rope lying flat with its base capsule at
        ``base_xy`` heading ``heading_rad`` and the turn joints at ``turns_rad`` (``count - 1``)."""
        headings = heading_rad + np.concatenate([[0.0], np.cumsum(turns_rad)])
        steps = self.segment_m * np.stack([np.cos(headings), np.sin(headings)], axis=1)
        out, at = [np.asarray(base_xy, float)], np.asarray(base_xy, float) + steps[0] / 2
        for step in steps[1:]:
            out.append(at + step / 2)
            at = at + step
        return np.array(out)
