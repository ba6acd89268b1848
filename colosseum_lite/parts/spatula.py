"""A spatula: a thin flat blade with an upright handle standing on its back, and a fence (a fixed backstop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built


@dataclass(frozen=True, slots=True)
class Spatula(Part):
    """A flat box blade along x (its front edge at +x) with a box handle standing upright on its back.

    Frame: the link frame at the middle of the blade's bottom face under the handle, z up, the
    blade reaching toward +x; the centre of mass sits there too, over the blade (PyBullet's base
    frame of the loaded body is this frame). The handle is pinched across its x faces, so the grip
    holds the blade's pitch (a parallel grip cannot resist torque about its closing axis).
    """

    blade_half_length_m: float = 0.075  # along x
    blade_half_width_m: float = 0.045  # along y
    blade_thickness_m: float = 0.002
    bevel_length_m: float = 0.006  # the front edge: a thin plate sloping from the blade's top down to the table
    bevel_thickness_m: float = 0.0006
    handle_half_m: Vec3 = (0.008, 0.015, 0.016)  # half extents of the upright handle
    handle_inset_m: float = 0.012  # the handle's back face this far in from the blade's back edge
    mass_kg: float = 0.05
    rgba: RGBA = (0.55, 0.55, 0.6, 1.0)
    name: str = "spatula"

    LINK: ClassVar[str] = "spatula"

    @property
    def blade_back_m(self) -> float:
        """x of the blade's back edge (negative), as built."""
        return -as_built(self.handle_inset_m + self.handle_half_m[0])

    @property
    def blade_front_m(self) -> float:
        """x of the blade's front edge, as built: the edge that goes under what it scoops."""
        return as_built(2 * self.blade_half_length_m) + self.blade_back_m

    @property
    def blade_center_m(self) -> float:
        """x of the blade's centre, as built."""
        return (self.blade_front_m + self.blade_back_m) / 2

    @property
    def blade_top_m(self) -> float:
        """Height of the blade's top face above the frame, as built."""
        return as_built(self.blade_thickness_m)

    @property
    def half_width_m(self) -> float:
        """Half the blade's width (along y), as built."""
        return as_built(2 * self.blade_half_width_m) / 2

    @property
    def handle_top_m(self) -> float:
        """Height of the handle's top above the frame, as built."""
        return self.blade_top_m + as_built(2 * self.handle_half_m[2])

    def model(self) -> Model:
        """One link: the blade, then the handle on its top face."""
        length, width, t = self.blade_half_length_m, self.blade_half_width_m, self.blade_thickness_m
        hx, hy, hz = self.handle_half_m
        back = -(self.handle_inset_m + hx)
        front, bevel, bt = back + 2 * length, self.bevel_length_m, self.bevel_thickness_m
        flat = length - bevel / 2
        blade = Geom("box", (flat, width, t / 2), xyz=(back + flat, 0.0, t / 2), rgba=self.rgba)
        # The bevel's top face runs from the blade's top at its back to bt above the table at the front edge.
        slope = float(np.arctan2(t - bt, bevel))
        normal = np.array([np.sin(slope), np.cos(slope)])
        mid = np.array([front - bevel / 2, (t + bt) / 2]) - bt / 2 * normal
        half_len = float(np.hypot(bevel, t - bt)) / 2
        edge = Geom("box", (half_len, width, bt / 2), xyz=(float(mid[0]), 0.0, float(mid[1])),
                    rpy=(0.0, slope, 0.0), rgba=self.rgba)
        handle = Geom("box", (hx, hy, hz), xyz=(0.0, 0.0, t + hz), rgba=self.rgba)
        return Model(self.name, (Link(self.LINK, (blade, edge, handle), self.mass_kg, (0.0, 0.0, 0.0)),))


@dataclass(frozen=True, slots=True)
class Fence(Part):
    """A fixed backstop: a rail along y on two legs, with a gap under the rail a blade slides through.

    Frame: the middle of the rail's bottom edge line on the table (z = 0 at the table), the rail's
    faces normal to x.
    """

    rail_half_m: Vec3 = (0.01, 0.085, 0.015)
    gap_m: float = 0.006  # between the table and the rail's bottom
    leg_half_width_m: float = 0.01  # legs at the rail's two ends, along y
    rgba: RGBA = (0.45, 0.3, 0.2, 1.0)
    name: str = "fence"

    LINK: ClassVar[str] = "fence"

    @property
    def half_thickness_m(self) -> float:
        """Half the rail's thickness along x, as built."""
        return as_built(2 * self.rail_half_m[0]) / 2

    @property
    def height_m(self) -> float:
        """The rail's top above the table."""
        return self.gap_m + 2 * self.rail_half_m[2]

    def model(self) -> Model:
        """One link: the rail, then its two legs."""
        hx, hy, hz = self.rail_half_m
        rail = Geom("box", (hx, hy, hz), xyz=(0.0, 0.0, self.gap_m + hz), rgba=self.rgba)
        legs = tuple(Geom("box", (hx, self.leg_half_width_m, self.gap_m / 2),
                          xyz=(0.0, side * (hy - self.leg_half_width_m), self.gap_m / 2), rgba=self.rgba)
                     for side in (-1.0, 1.0))
        return Model(self.name, (Link(self.LINK, (rail, *legs), 0.0),))
