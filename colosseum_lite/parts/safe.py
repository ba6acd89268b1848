"""Safe parts: a safe with shelved compartments behind a door standing open, and a stack of banknotes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, box


@dataclass(frozen=True, slots=True)
class MoneyStack(Part):
    """A stack of banknotes: a thin box, its length along x, its width along y.

    Frame: origin at the stack's centre.
    """

    length_m: float = 0.15
    width_m: float = 0.055
    thickness_m: float = 0.03
    mass_kg: float = 0.1
    bundles: int = 3
    rgba: RGBA = (0.45, 0.62, 0.4, 1.0)
    name: str = "money_stack"

    STACK: ClassVar[str] = "stack"

    @property
    def half_extents_m(self) -> Vec3:
        """Half its length, width and thickness."""
        return (self.length_m / 2, self.width_m / 2, self.thickness_m / 2)

    def model(self) -> Model:
        """One link of ``bundles`` boxes stacked flat (a grasp then meets each at its own height)."""
        length, width, t = self.length_m / 2, self.width_m / 2, self.thickness_m / self.bundles
        geoms = tuple(box((0.0, 0.0, -self.thickness_m / 2 + (i + 0.5) * t), (length, width, t / 2), self.rgba)
                      for i in range(self.bundles))
        return Model(self.name, (Link(self.STACK, geoms, self.mass_kg),))


@dataclass(frozen=True, slots=True)
class ShelvedSafe(Part):
    """A safe: a steel carcass on a plinth with one open compartment per level, stacked vertically,
    its door standing open to the +y side on a hinge at a fixed angle, a dial on the door.

    Frame: origin at the carcass's bottom centre, +x into the safe (away from its open front), z up.
    Levels are named bottom first; each compartment is ``compartment_m`` high, open at the front.
    The door swings out about a vertical hinge at the front +y edge: ``door_open_rad`` from shut.
    """

    levels: tuple[str, ...] = ("bottom", "middle", "top")
    inner_width_m: float = 0.22
    inner_depth_m: float = 0.2
    compartment_m: float = 0.09  # clear height of each compartment
    wall_m: float = 0.015  # walls, shelves, top and back
    plinth_m: float = 0.03  # raises the bottom shelf
    door_m: float = 0.02  # door thickness
    door_open_rad: float = np.deg2rad(170.0)  # swung wide, nearly flat with the front
    dial_radius_m: float = 0.025
    dial_m: float = 0.012
    carcass_mass_kg: float = 20.0
    trim_kg: float = 0.5  # door and dial, fixed to the static carcass: any positive mass
    carcass_rgba: RGBA = (0.32, 0.35, 0.37, 1.0)
    door_rgba: RGBA = (0.4, 0.43, 0.45, 1.0)
    dial_rgba: RGBA = (0.75, 0.7, 0.45, 1.0)
    name: str = "shelved_safe"

    CARCASS: ClassVar[str] = "carcass"
    DOOR: ClassVar[str] = "door"
    DIAL: ClassVar[str] = "dial"

    @property
    def width_m(self) -> float:
        """Outer width (along y)."""
        return self.inner_width_m + 2 * self.wall_m

    @property
    def depth_m(self) -> float:
        """Outer depth (along x): the compartments and the back wall."""
        return self.inner_depth_m + self.wall_m

    @property
    def height_m(self) -> float:
        """Overall height of the carcass."""
        n = len(self.levels)
        return self.plinth_m + (n + 1) * self.wall_m + n * self.compartment_m

    @property
    def front_x_m(self) -> float:
        """The open front's x (the compartments' mouths)."""
        return -self.depth_m / 2

    @property
    def back_x_m(self) -> float:
        """The compartments' back wall's inner face x."""
        return self.front_x_m + self.inner_depth_m

    def floor_z_m(self, level: str) -> float:
        """Height of a level's shelf (its compartment's floor) above the safe's bottom."""
        i = self.levels.index(level)
        return self.plinth_m + self.wall_m + i * (self.compartment_m + self.wall_m)

    def interior(self, level: str) -> tuple[Vec3, Vec3]:
        """A level's compartment as a box in the safe frame: its centre and half extents."""
        centre = ((self.front_x_m + self.back_x_m) / 2, 0.0, self.floor_z_m(level) + self.compartment_m / 2)
        return centre, (self.inner_depth_m / 2, self.inner_width_m / 2, self.compartment_m / 2)

    @property
    def door_direction(self) -> np.ndarray:
        """Unit vector (safe frame, horizontal) from the hinge along the open door to its free edge."""
        a = self.door_open_rad
        return np.array([-np.sin(a), -np.cos(a), 0.0])

    def carcass(self) -> Link:
        """Plinth, sides, back, top and one shelf per level: open at the front (-x)."""
        d, w, h, t = self.depth_m / 2, self.width_m / 2, self.height_m, self.wall_m / 2
        c = self.carcass_rgba
        side_h = (h - self.plinth_m) / 2
        geoms = [
            box((0.0, 0.0, self.plinth_m / 2), (d, w, self.plinth_m / 2), c),
            box((0.0, w - t, self.plinth_m + side_h), (d, t, side_h), c),
            box((0.0, -(w - t), self.plinth_m + side_h), (d, t, side_h), c),
            box((d - t, 0.0, self.plinth_m + side_h), (t, w - 2 * t, side_h), c),
        ]
        for i in range(len(self.levels) + 1):  # the shelves and the top
            z = self.plinth_m + t + i * (self.compartment_m + self.wall_m)
            geoms.append(box((-t, 0.0, z), (d - t, w - 2 * t, t), c))
        return Link(self.CARCASS, tuple(geoms), self.carcass_mass_kg)

    def model(self) -> Model:
        """The carcass as the base link, the door fixed open at its hinge, the dial on the door."""
        w, door_h = self.width_m, self.height_m - self.plinth_m
        # door frame: origin on the hinge line at the plinth's top, the door along -y when shut
        door = Link(self.DOOR, (box((-self.door_m / 2, -w / 2, door_h / 2), (self.door_m / 2, w / 2, door_h / 2),
                                    self.door_rgba),), self.trim_kg)
        dial = Link(self.DIAL, (Geom("cylinder", (self.dial_radius_m, self.dial_m), (0.0, 0.0, self.dial_m / 2),
                                     rgba=self.dial_rgba),), self.trim_kg)
        hinge = (self.front_x_m, w / 2, self.plinth_m)
        dial_at = (-self.door_m, -w / 2, door_h * 0.6)
        joints = (Joint(f"{self.DOOR}_hinge", "fixed", self.CARCASS, self.DOOR, hinge,
                        (0.0, 0.0, -self.door_open_rad)),
                  Joint(f"{self.DIAL}_fixed", "fixed", self.DOOR, self.DIAL, dial_at, (0.0, -np.pi / 2, 0.0)))
        return Model(self.name, (self.carcass(), door, dial), joints)
