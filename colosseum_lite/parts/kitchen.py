"""Kitchen parts: a grill fixed to the table, and the meats that go on it (a steak, a chicken drumstick)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, box


@dataclass(frozen=True, slots=True)
class Grill(Part):
    """A grill: a low firebox with a grate of bars along x on top.

    Frame: origin at the firebox's bottom centre, z up. The grate's bars run along x, side by side
    across y; their tops are the grill surface, ``grate_top_z_m`` above the origin.
    """

    length_m: float = 0.24  # along x
    width_m: float = 0.18  # along y
    box_height_m: float = 0.05
    bars: int = 11
    bar_width_m: float = 0.01
    bar_height_m: float = 0.01
    margin_m: float = 0.005  # the grate stops this far inside the firebox's edges
    box_mass_kg: float = 5.0
    grate_mass_kg: float = 0.5
    box_rgba: RGBA = (0.12, 0.12, 0.13, 1.0)
    grate_rgba: RGBA = (0.55, 0.56, 0.58, 1.0)
    name: str = "grill"

    FIREBOX: ClassVar[str] = "firebox"
    GRATE: ClassVar[str] = "grate"

    @property
    def grate_top_z_m(self) -> float:
        """Height of the grill surface (the bars' tops) above the grill's bottom."""
        return self.box_height_m + self.bar_height_m

    @property
    def grate_half_xy_m(self) -> tuple[float, float]:
        """Half the grate's length and width (its bars' outer edges)."""
        return (self.length_m / 2 - self.margin_m, self.width_m / 2 - self.margin_m)

    def model(self) -> Model:
        """The firebox as the base link and the grate's bars as one link fixed on its top."""
        half_l, half_w = self.grate_half_xy_m
        firebox = Link(self.FIREBOX, (box((0.0, 0.0, self.box_height_m / 2),
                                          (self.length_m / 2, self.width_m / 2, self.box_height_m / 2),
                                          self.box_rgba),), self.box_mass_kg)
        ys = np.linspace(-half_w + self.bar_width_m / 2, half_w - self.bar_width_m / 2, self.bars)
        grate = Link(self.GRATE, tuple(box((0.0, float(y), self.bar_height_m / 2),
                                           (half_l, self.bar_width_m / 2, self.bar_height_m / 2), self.grate_rgba)
                                       for y in ys), self.grate_mass_kg)
        joint = Joint(f"{self.GRATE}_fixed", "fixed", self.FIREBOX, self.GRATE, (0.0, 0.0, self.box_height_m))
        return Model(self.name, (firebox, grate), (joint,))


@dataclass(frozen=True, slots=True)
class Steak(Part):
    """A steak: a flat slab with rounded ends (a box between two low cylinders), its length along x.

    Frame: origin at the slab's centre.
    """

    length_m: float = 0.1
    width_m: float = 0.055
    thickness_m: float = 0.025
    mass_kg: float = 0.15
    rgba: RGBA = (0.55, 0.16, 0.14, 1.0)
    name: str = "steak"

    SLAB: ClassVar[str] = "slab"

    @property
    def rest_height_m(self) -> float:
        """Height of the origin above the surface the steak lies on."""
        return self.thickness_m / 2

    @property
    def grip_width_m(self) -> float:
        """Its width across a top-down grasp at the origin."""
        return self.width_m

    @property
    def middle_x_m(self) -> float:
        """Where its length's midpoint lies along its x axis."""
        return 0.0

    def model(self) -> Model:
        """One link: the middle box and a cylinder at each end."""
        r, t = self.width_m / 2, self.thickness_m / 2
        end = self.length_m / 2 - r
        geoms = (box((0.0, 0.0, 0.0), (end, r, t), self.rgba),
                 *(Geom("cylinder", (r, self.thickness_m), (x, 0.0, 0.0), rgba=self.rgba) for x in (-end, end)))
        return Model(self.name, (Link(self.SLAB, geoms, self.mass_kg),))


@dataclass(frozen=True, slots=True)
class Chicken(Part):
    """A chicken drumstick: a capsule of meat along x and a bone with a knob sticking out along +x.

    Frame: origin at the meat's centre (where it is grasped). Lying on its side, the meat's bottom and
    the knob's bottom touch the surface together; the bone hangs below the meat's axis, so it does
    not roll.
    """

    meat_radius_m: float = 0.022
    meat_length_m: float = 0.035  # between the centres of the capsule's end spheres
    bone_radius_m: float = 0.007
    bone_length_m: float = 0.055  # from the meat's end sphere's centre to the knob's centre
    knob_radius_m: float = 0.012
    meat_mass_kg: float = 0.1
    bone_mass_kg: float = 0.01
    meat_rgba: RGBA = (0.82, 0.55, 0.28, 1.0)
    bone_rgba: RGBA = (0.93, 0.9, 0.82, 1.0)
    name: str = "chicken"

    MEAT: ClassVar[str] = "meat"
    BONE: ClassVar[str] = "bone"

    @property
    def rest_height_m(self) -> float:
        """Height of the origin above the surface the drumstick lies on."""
        return self.meat_radius_m

    @property
    def grip_width_m(self) -> float:
        """Its width across a top-down grasp at the origin."""
        return 2 * self.meat_radius_m

    @property
    def length_m(self) -> float:
        """Overall length along x."""
        return self.meat_length_m + self.meat_radius_m + self.bone_length_m + self.knob_radius_m

    @property
    def middle_x_m(self) -> float:
        """Where its length's midpoint lies along its x axis."""
        return self.length_m / 2 - self.meat_length_m / 2 - self.meat_radius_m

    def model(self) -> Model:
        """The meat capsule as the base link, the bone and its knob as a link fixed to it."""
        r, half = self.meat_radius_m, self.meat_length_m / 2
        ends = tuple(Geom("sphere", (r,), (x, 0.0, 0.0), rgba=self.meat_rgba) for x in (-half, half))
        meat = Link(self.MEAT, (Geom("cylinder", (r, self.meat_length_m), rpy=(0.0, np.pi / 2, 0.0),
                                     rgba=self.meat_rgba), *ends), self.meat_mass_kg)
        drop = r - self.knob_radius_m  # the bone's axis below the meat's, the knob on the surface
        bone = Link(self.BONE, (Geom("cylinder", (self.bone_radius_m, self.bone_length_m),
                                     (self.bone_length_m / 2, 0.0, 0.0), (0.0, np.pi / 2, 0.0), self.bone_rgba),
                                Geom("sphere", (self.knob_radius_m,), (self.bone_length_m, 0.0, 0.0),
                                     rgba=self.bone_rgba)), self.bone_mass_kg)
        joint = Joint(f"{self.BONE}_fixed", "fixed", self.MEAT, self.BONE, (half, 0.0, -drop))
        return Model(self.name, (meat, bone), (joint,))
