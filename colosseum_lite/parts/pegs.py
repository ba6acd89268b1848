"""Peg parts: a square ring to slide over a peg, a base with a row of peg slots, a square spoke."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from colosseum_lite.assets import Link, Model
from colosseum_lite.parts.spec import RGBA, Part, box


@dataclass(frozen=True, slots=True)
class SquareRing(Part):
    """A square ring: four bars round a square hole, in one link.

    Frame: the ring's centre (mid-height), z up; the bars lie along x (at +-y) and along y (at +-x).
    """

    hole_half_m: float = 0.03  # centre to each bar's inner face
    bar_width_m: float = 0.012  # across a bar (what the fingers close on)
    bar_height_m: float = 0.02
    mass_kg: float = 0.05
    rgba: RGBA = (0.9, 0.55, 0.1, 1.0)
    name: str = "square_ring"

    RING: ClassVar[str] = "ring"

    @property
    def side_offset_m(self) -> float:
        """Centre to each bar's mid-line."""
        return self.hole_half_m + self.bar_width_m / 2

    @property
    def outer_half_m(self) -> float:
        """Centre to each bar's outer face."""
        return self.hole_half_m + self.bar_width_m

    @property
    def rest_height_m(self) -> float:
        """Height of the frame above the surface the ring lies on."""
        return self.bar_height_m / 2

    def model(self) -> Model:
        """The four bars, the x-bars running the full outer width."""
        out, off, h = self.outer_half_m, self.side_offset_m, self.bar_height_m / 2
        w = self.bar_width_m / 2
        bars = (box((0.0, off, 0.0), (out, w, h), self.rgba), box((0.0, -off, 0.0), (out, w, h), self.rgba),
                box((off, 0.0, 0.0), (w, self.hole_half_m, h), self.rgba),
                box((-off, 0.0, 0.0), (w, self.hole_half_m, h), self.rgba))
        return Model(self.name, (Link(self.RING, bars, self.mass_kg),))


@dataclass(frozen=True, slots=True)
class PegBase(Part):
    """A flat base slab with ``slots`` peg places in a row along x, ``spacing_m`` apart.

    Frame: origin on the table under the slab's centre, z up.
    """

    half_length_m: float = 0.155  # along x
    half_width_m: float = 0.06
    height_m: float = 0.015
    spacing_m: float = 0.1
    slots: int = 3
    mass_kg: float = 1.0
    rgba: RGBA = (0.45, 0.3, 0.18, 1.0)
    name: str = "peg_base"

    SLAB: ClassVar[str] = "slab"

    def slot_x_m(self, slot: int) -> float:
        """x of a slot's centre (slots counted from -x)."""
        return (slot - (self.slots - 1) / 2) * self.spacing_m

    def model(self) -> Model:
        half = (self.half_length_m, self.half_width_m, self.height_m / 2)
        return Model(self.name, (Link(self.SLAB, (box((0.0, 0.0, self.height_m / 2), half, self.rgba),),
                                      self.mass_kg),))


@dataclass(frozen=True, slots=True)
class SquareSpoke(Part):
    """An upright square spoke (a peg). Frame: the spoke's bottom centre, z up."""

    half_m: float = 0.012  # centre to each face
    height_m: float = 0.05
    mass_kg: float = 0.1
    rgba: RGBA = (0.6, 0.6, 0.6, 1.0)
    name: str = "square_spoke"

    SPOKE: ClassVar[str] = "spoke"

    def model(self) -> Model:
        half = (self.half_m, self.half_m, self.height_m / 2)
        return Model(self.name, (Link(self.SPOKE, (box((0.0, 0.0, self.height_m / 2), half, self.rgba),),
                                      self.mass_kg),))
