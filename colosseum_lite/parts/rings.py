"""Rings of boxes and what is built from them: a net (tapered strips and a floor), a basketball hoop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, box


@dataclass(frozen=True, slots=True)
class RingOfBoxes(Part):
    """``count`` equal boxes spaced evenly round a circle about the frame's z axis (hoops, nets, cups).

    Box ``k`` sits at angle ``2 pi (k + phase) / count`` from +x, ``radius_m`` out and ``z_m`` up;
    its local x points outward, y along the circle, and it leans out by ``tilt_rad`` about y.
    """

    radius_m: float = 0.062  # frame axis to each box's centre
    count: int = 16
    half_extents_m: Vec3 = (0.004, 0.0133, 0.004)  # radial, along the circle, along z
    z_m: float = 0.0
    tilt_rad: float = 0.0
    phase: float = 0.0  # fraction of a spacing the first box is turned from +x
    rgba: RGBA = (0.85, 0.18, 0.1, 1.0)
    mass_kg: float = 0.05
    name: str = "ring_of_boxes"

    RING: ClassVar[str] = "ring"

    @classmethod
    def closed(cls, inner_radius_m: float, tube_half_m: float, count: int, rgba: RGBA) -> RingOfBoxes:
        """A ring whose square-section boxes meet at their outer corners: a closed tube round
        ``inner_radius_m``, ``2 * tube_half_m`` thick."""
        r_mid = inner_radius_m + tube_half_m
        half_len = r_mid * np.tan(np.pi / count) + tube_half_m / 2
        return cls(r_mid, count, (tube_half_m, half_len, tube_half_m), rgba=rgba)

    @property
    def inner_radius_m(self) -> float:
        """Frame axis to the boxes' inner faces (their middles)."""
        return self.radius_m - self.half_extents_m[0]

    @property
    def outer_radius_m(self) -> float:
        """Frame axis to the boxes' outer faces (their middles)."""
        return self.radius_m + self.half_extents_m[0]

    def geoms(self) -> tuple[Geom, ...]:
        """The boxes, in the ring's frame."""
        r = self.radius_m
        return tuple(
            Geom("box", self.half_extents_m, (r * np.cos(a), r * np.sin(a), self.z_m), (0.0, self.tilt_rad, a),
                 self.rgba)
            for a in 2 * np.pi * (np.arange(self.count) + self.phase) / self.count
        )

    def model(self) -> Model:
        return Model(self.name, (Link(self.RING, self.geoms(), self.mass_kg),))


@dataclass(frozen=True, slots=True)
class Net(Part):
    """A basket net: strips tapering from a top circle down to a round floor, no gap a ball passes.

    Frame: the top circle's centre, z up; the net hangs below it.
    """

    top_radius_m: float = 0.062  # axis to the strips' tops
    top_z_m: float = -0.004  # the strips' tops
    bottom_z_m: float = -0.1  # the strips' bottoms, the floor's top
    bottom_ratio: float = 0.8  # radius at the floor / at the top
    strips: int = 16
    strip_half_width_m: float = 0.006
    strip_half_thickness_m: float = 0.0015
    floor_overhang_m: float = 0.002  # floor radius beyond the strips' bottoms
    floor_thickness_m: float = 0.006
    mass_kg: float = 0.05
    rgba: RGBA = (0.95, 0.95, 0.95, 1.0)
    name: str = "net"

    NET: ClassVar[str] = "net"

    @property
    def bottom_radius_m(self) -> float:
        """Axis to the strips' bottoms."""
        return self.top_radius_m * self.bottom_ratio

    @property
    def strip_ring(self) -> RingOfBoxes:
        """The strips: a ring of boxes half a spacing turned, leaning in toward the floor."""
        r_top, r_bot = self.top_radius_m, self.bottom_radius_m
        top_z, bot_z = self.top_z_m, self.bottom_z_m
        tilt = float(np.arctan2(r_top - r_bot, top_z - bot_z))
        half_len = float(np.hypot(r_top - r_bot, top_z - bot_z)) / 2
        return RingOfBoxes((r_top + r_bot) / 2, self.strips, (self.strip_half_thickness_m, self.strip_half_width_m,
                                                                half_len),
                           (top_z + bot_z) / 2, tilt, 0.5, self.rgba)

    def geoms(self) -> tuple[Geom, ...]:
        """The strips, then the floor, in the net's frame."""
        floor = Geom("cylinder", (self.bottom_radius_m + self.floor_overhang_m, self.floor_thickness_m),
                     (0.0, 0.0, self.bottom_z_m - self.floor_thickness_m / 2), rgba=self.rgba)
        return (*self.strip_ring.geoms(), floor)

    def model(self) -> Model:
        return Model(self.name, (Link(self.NET, self.geoms(), self.mass_kg),))


@dataclass(frozen=True, slots=True)
class Hoop(Part):
    """A basketball hoop on a stand: a closed :class:`RingOfBoxes` with a :class:`Net` under it and a
    backboard beside it (normal along y), carried by a post on a base plate.

    Frame: origin on the table under the ring's centre, z up; the backboard and post lie toward +y.
    Links: stand (base), board, ring, net (ring and net frames at the ring's centre).
    """

    ring_inner_radius_m: float = 0.058
    ring_tube_half_m: float = 0.004  # half of the ring's radial and vertical thickness
    ring_segments: int = 16
    ring_z_m: float = 0.22  # ring plane above the table
    net_depth_m: float = 0.10  # ring plane to the top of the net floor
    net_strips: int = 16
    net_strip_half_width_m: float = 0.006
    net_strip_half_thickness_m: float = 0.0015
    net_floor_overhang_m: float = 0.002  # net floor radius beyond the strips' bottoms
    net_floor_thickness_m: float = 0.006
    net_bottom_ratio: float = 0.8  # net radius at the floor / at the ring
    board_half_m: Vec3 = (0.1, 0.005, 0.06)
    board_gap_m: float = 0.015  # ring's outer edge to the backboard
    board_drop_m: float = 0.035  # backboard's centre above the ring plane, less its half height
    bracket_half_width_m: float = 0.012  # the ring's bracket to the backboard
    post_half_m: float = 0.012
    plate_half_m: Vec3 = (0.08, 0.06, 0.005)
    stand_mass_kg: float = 2.0
    board_mass_kg: float = 0.1
    ring_mass_kg: float = 0.05
    net_mass_kg: float = 0.05
    ring_rgba: RGBA = (0.85, 0.18, 0.1, 1.0)
    net_rgba: RGBA = (0.95, 0.95, 0.95, 1.0)
    board_rgba: RGBA = (0.92, 0.93, 0.95, 1.0)
    stand_rgba: RGBA = (0.25, 0.27, 0.3, 1.0)
    name: str = "hoop"

    STAND: ClassVar[str] = "stand"
    BOARD: ClassVar[str] = "board"
    RING: ClassVar[str] = "ring"
    NET: ClassVar[str] = "net"

    @property
    def ring_outer_radius_m(self) -> float:
        """Ring axis to the ring's outer edge."""
        return self.ring_inner_radius_m + 2 * self.ring_tube_half_m

    @property
    def net_floor_z_m(self) -> float:
        """Height of the net floor's top above the table."""
        return self.ring_z_m - self.net_depth_m

    @property
    def board_y_m(self) -> float:
        """y of the backboard's centre plane."""
        return self.ring_outer_radius_m + self.board_gap_m + self.board_half_m[1]

    @property
    def board_half_width_m(self) -> float:
        """The backboard's half extent along x."""
        return self.board_half_m[0]

    @property
    def post_y_m(self) -> float:
        """y of the post and the base plate's centre."""
        return self.board_y_m + self.board_half_m[1] + self.post_half_m

    @property
    def plate_radius_m(self) -> float:
        """Circumscribed radius of the base plate about the post."""
        return float(np.hypot(self.plate_half_m[0], self.plate_half_m[1]))

    def tall_parts(self) -> list[tuple[tuple[float, float], float]]:
        """Discs ``(centre xy, radius)`` in the hoop frame covering the ring, the post and the backboard."""
        discs = [((0.0, 0.0), self.ring_outer_radius_m), ((0.0, self.post_y_m), self.post_half_m)]
        for x in np.linspace(-self.board_half_width_m, self.board_half_width_m, 5):
            discs.append(((x, self.board_y_m), 0.0))
        return discs

    @property
    def ring(self) -> RingOfBoxes:
        """The ring's segments."""
        return RingOfBoxes.closed(self.ring_inner_radius_m, self.ring_tube_half_m, self.ring_segments,
                                  self.ring_rgba)

    @property
    def net(self) -> Net:
        """The net under the ring, in the ring's frame."""
        tube = self.ring_tube_half_m
        return Net(self.ring_inner_radius_m + tube, -tube, -self.net_depth_m, self.net_bottom_ratio,
                   self.net_strips, self.net_strip_half_width_m, self.net_strip_half_thickness_m,
                   self.net_floor_overhang_m, self.net_floor_thickness_m, self.net_mass_kg, self.net_rgba)

    def _ring_link(self) -> Link:
        """Ring segments plus the bracket to the backboard."""
        ring, tube = self.ring, self.ring_tube_half_m
        r_out = ring.radius_m + tube
        bracket = box((0.0, r_out + self.board_gap_m / 2 - tube, 0.0),
                      (self.bracket_half_width_m, self.board_gap_m / 2 + tube, tube), self.ring_rgba)
        return Link(self.RING, (*ring.geoms(), bracket), self.ring_mass_kg)

    def model(self) -> Model:
        """Stand (base), then board, ring and net on fixed joints."""
        plate, post = self.plate_half_m, self.post_half_m
        board_z = self.ring_z_m + self.board_half_m[2] - self.board_drop_m
        post_top = board_z + self.board_half_m[2]
        post_half_h = (post_top - 2 * plate[2]) / 2
        stand = Link(self.STAND, (
            box((0.0, self.post_y_m, plate[2]), plate, self.stand_rgba),
            box((0.0, self.post_y_m, 2 * plate[2] + post_half_h), (post, post, post_half_h), self.stand_rgba),
        ), self.stand_mass_kg)
        board = Link(self.BOARD, (Geom("box", self.board_half_m, rgba=self.board_rgba),), self.board_mass_kg)
        net = Link(self.NET, self.net.geoms(), self.net_mass_kg)
        joints = (Joint("board_mount", "fixed", self.STAND, self.BOARD, (0.0, self.board_y_m, board_z)),
                  Joint("ring_mount", "fixed", self.STAND, self.RING, (0.0, 0.0, self.ring_z_m)),
                  Joint("net_mount", "fixed", self.RING, self.NET))
        return Model(self.name, (stand, board, self._ring_link(), net), joints)
