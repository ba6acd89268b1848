"""Wine parts: a bottle lying on its side and a rack of three cradles it is laid in."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, box

ALONG_X = (0.0, np.pi / 2, 0.0)  # a cylinder's axis (its local z) turned onto x


@dataclass(frozen=True, slots=True)
class WineBottle(Part):
    """A wine bottle: a cylinder body and a narrower neck sticking out along +x, one colour per link.

    Frame: origin at the body's centre, the bottle's axis along x, the neck toward +x. Lying on its
    side, the body's curved face touches the surface and the neck is held clear of it.
    """

    body_radius_m: float = 0.028
    body_length_m: float = 0.15
    neck_radius_m: float = 0.011
    neck_length_m: float = 0.07
    body_mass_kg: float = 0.3
    neck_mass_kg: float = 0.02
    body_rgba: RGBA = (0.12, 0.32, 0.16, 1.0)
    neck_rgba: RGBA = (0.08, 0.2, 0.1, 1.0)
    name: str = "wine_bottle"

    BODY: ClassVar[str] = "body"
    NECK: ClassVar[str] = "neck"

    @property
    def rest_height_m(self) -> float:
        """Height of the origin above the surface the bottle lies on."""
        return self.body_radius_m

    @property
    def grip_width_m(self) -> float:
        """Its width across a top-down grasp of the body."""
        return 2 * self.body_radius_m

    @property
    def length_m(self) -> float:
        """Overall length along x."""
        return self.body_length_m + self.neck_length_m

    @property
    def com_x_m(self) -> float:
        """Where the bottle's centre of mass lies along its x axis (where it is grasped)."""
        neck_x = self.body_length_m / 2 + self.neck_length_m / 2
        return self.neck_mass_kg * neck_x / (self.body_mass_kg + self.neck_mass_kg)

    def model(self) -> Model:
        """The body as the base link, the neck as a link fixed to its +x end."""
        body = Link(self.BODY, (Geom("cylinder", (self.body_radius_m, self.body_length_m), rpy=ALONG_X,
                                     rgba=self.body_rgba),), self.body_mass_kg)
        neck = Link(self.NECK, (Geom("cylinder", (self.neck_radius_m, self.neck_length_m),
                                     (self.neck_length_m / 2, 0.0, 0.0), ALONG_X, self.neck_rgba),),
                    self.neck_mass_kg)
        joint = Joint(f"{self.NECK}_fixed", "fixed", self.BODY, self.NECK, (self.body_length_m / 2, 0.0, 0.0))
        return Model(self.name, (body, neck), (joint,))


@dataclass(frozen=True, slots=True)
class WineRack(Part):
    """A wine rack: a base plate carrying three cradles side by side, each two parallel rails open at the top.

    Frame: origin at the base plate's bottom centre, z up. Each cradle's rails run along x; the
    cradles sit side by side along y, ``slots[0]`` at +y: seen from a robot looking along the rack's
    +x, the first slot is on its left. A bottle of radius ``r`` laid along x between a cradle's rails
    rests on their inner top edges, its axis :meth:`cradle_axis_z_m` above the origin.
    """

    slots: tuple[str, ...] = ("left", "middle", "right")
    pitch_m: float = 0.1  # between two cradles' centre lines
    rail_gap_m: float = 0.032  # clear width between a cradle's two rails
    rail_width_m: float = 0.006
    rail_height_m: float = 0.025  # above the base plate
    length_m: float = 0.14  # of the rails and the plate, along x
    base_m: float = 0.01  # base plate thickness
    margin_m: float = 0.02  # the plate reaches this far beyond the outer cradles' rails
    mass_kg: float = 2.0
    rgba: RGBA = (0.5, 0.33, 0.2, 1.0)
    name: str = "wine_rack"

    RACK: ClassVar[str] = "rack"

    def slot_y_m(self, slot: str) -> float:
        """The y of a cradle's centre line (rack frame)."""
        return (len(self.slots) // 2 - self.slots.index(slot)) * self.pitch_m

    @property
    def rail_top_z_m(self) -> float:
        """Height of the rails' tops above the rack's bottom."""
        return self.base_m + self.rail_height_m

    @property
    def width_m(self) -> float:
        """Overall width of the base plate along y."""
        return (len(self.slots) - 1) * self.pitch_m + self.rail_gap_m + 2 * (self.rail_width_m + self.margin_m)

    def cradle_axis_z_m(self, radius_m: float) -> float:
        """Height above the rack's bottom of the axis of a cylinder of ``radius_m`` resting in a cradle."""
        return self.rail_top_z_m + float(np.sqrt(max(radius_m**2 - (self.rail_gap_m / 2) ** 2, 0.0)))

    def model(self) -> Model:
        """One link: the base plate, then each cradle's two rails, first slot first."""
        half_w = self.rail_width_m / 2
        plate = (self.length_m / 2, self.width_m / 2, self.base_m / 2)
        geoms = [box((0.0, 0.0, self.base_m / 2), plate, self.rgba)]
        z = self.base_m + self.rail_height_m / 2
        for slot in self.slots:
            for side in (-1.0, 1.0):
                y = self.slot_y_m(slot) + side * (self.rail_gap_m / 2 + half_w)
                geoms.append(box((0.0, y, z), (self.length_m / 2, half_w, self.rail_height_m / 2), self.rgba))
        return Model(self.name, (Link(self.RACK, tuple(geoms), self.mass_kg),))
