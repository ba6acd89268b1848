"""Cups that nest: a tapered wall of tilted boxes round a round floor, one link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Link, Model
from colosseum_lite.parts.rings import RingOfBoxes
from colosseum_lite.parts.spec import RGBA, Part


@dataclass(frozen=True, slots=True)
class NestingCup(Part):
    """A cup that nests in another of its kind: ``walls`` boxes leaning out from a round floor.

    Frame: origin at the centre of the floor's underside, z up the cup's axis. Radii are to the
    wall's mid-thickness at the floor's underside and at the rim. One link, one colour.
    """

    bottom_radius_m: float = 0.022
    top_radius_m: float = 0.038
    height_m: float = 0.07
    wall_m: float = 0.005  # wall thickness
    floor_m: float = 0.004  # floor thickness
    walls: int = 16
    mass_kg: float = 0.06
    rgba: RGBA = (0.9, 0.9, 0.9, 1.0)
    name: str = "nesting_cup"

    CUP: ClassVar[str] = "cup"

    @property
    def taper(self) -> float:
        """Radius gained per metre of height (the walls' slope)."""
        return (self.top_radius_m - self.bottom_radius_m) / self.height_m

    @property
    def nest_pitch_m(self) -> float:
        """How much higher a cup nested in another sits: the outer corners of its walls' bottoms meet the
        other's inner faces (measured: within 1 mm)."""
        corner = float(np.hypot(self.bottom_radius_m + self.wall_m / 2, self.wall_ring.half_extents_m[1]))
        return (corner - self.bottom_radius_m + self.wall_m / 2) / self.taper

    def outer_radius_at(self, z_m: float) -> float:
        """Axis to the wall's outer face at height ``z_m`` (cup frame)."""
        return self.bottom_radius_m + self.taper * z_m + self.wall_m / 2

    @property
    def wall_ring(self) -> RingOfBoxes:
        """The wall: boxes centred half-way up, leaning out by the taper, meeting at the rim."""
        tilt = float(np.arctan(self.taper))
        half_len = float(np.hypot(self.height_m, self.top_radius_m - self.bottom_radius_m)) / 2
        half_width = self.top_radius_m * float(np.tan(np.pi / self.walls)) + self.wall_m / 2
        return RingOfBoxes((self.bottom_radius_m + self.top_radius_m) / 2, self.walls,
                           (self.wall_m / 2, half_width, half_len), self.height_m / 2, tilt, 0.0, self.rgba)

    def geoms(self) -> tuple[Geom, ...]:
        """The walls, then the floor, in the cup's frame."""
        floor = Geom("cylinder", (self.bottom_radius_m + self.wall_m / 2, self.floor_m),
                     (0.0, 0.0, self.floor_m / 2), rgba=self.rgba)
        return (*self.wall_ring.geoms(), floor)

    def model(self) -> Model:
        return Model(self.name, (Link(self.CUP, self.geoms(), self.mass_kg),))
