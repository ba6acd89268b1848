"""A clothes hanger with a grip block on its hook, and a rail on two posts to hang it from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built, box


@dataclass(frozen=True, slots=True)
class Hanger(Part):
    """A one-link hanger in its x-z plane: shoulders along x, a stem rising from them on the -x side
    of the hook, a bar over the hook's gap and a short tip coming down on its +x side; a chunky grip
    block sits on the bar, over the hook.

    Frame: the hook point (the bar's underside over the middle of the gap, where a rail it hangs
    from touches it), x toward the tip, z up. The centre of mass lies ``com_below_m`` under the hook
    point (the shoulders weigh most), so the hanger hangs level. ``*_com_m`` dimensions are in the
    centre-of-mass frame (PyBullet's base frame of a loaded body).
    """

    bar_half_m: float = 0.005  # half the square section of the bar, stem and tip
    gap_half_m: float = 0.02  # half the hook's inner width, tip to stem
    tip_m: float = 0.025  # the tip's length below the bar's underside
    stem_m: float = 0.12  # the stem's length below the bar's underside
    shoulder_half_m: float = 0.08  # the shoulders' half length along x
    shoulder_half_section_m: float = 0.006
    block_half_m: Vec3 = (0.015, 0.012, 0.02)  # the grip block's half extents
    com_below_m: float = 0.07
    mass_kg: float = 0.15
    rgba: RGBA = (0.55, 0.35, 0.2, 1.0)
    name: str = "hanger"

    LINK: ClassVar[str] = "hanger"

    @property
    def hook_point_com_m(self) -> np.ndarray:
        """The hook point in the centre-of-mass frame, as built."""
        return np.array([0.0, 0.0, as_built(self.com_below_m)])

    @property
    def grip_above_hook_m(self) -> float:
        """Height of the grip block's centre above the hook point, as built."""
        return as_built(2 * self.bar_half_m) + as_built(self.block_half_m[2])

    @property
    def clear_of_shoulder_m(self) -> float:
        """Across offset (x) from the hook point beyond which a rail is clear of the shoulders' tip-side end."""
        return self.shoulder_half_m

    @property
    def depth_m(self) -> float:
        """From the hook point down to the shoulders' underside."""
        return self.stem_m + 2 * self.shoulder_half_section_m

    def model(self) -> Model:
        t, g, s = self.bar_half_m, self.gap_half_m, self.shoulder_half_section_m
        x_stem = -(g + t)
        geoms = (
            box((0.0, 0.0, t), (g + 2 * t, t, t), self.rgba),  # the bar over the gap
            box((g + t, 0.0, -self.tip_m / 2), (t, t, self.tip_m / 2), self.rgba),
            box((x_stem, 0.0, -self.stem_m / 2), (t, t, self.stem_m / 2), self.rgba),
            box((0.0, 0.0, -self.stem_m - s), (self.shoulder_half_m, s, s), self.rgba),
            box((0.0, 0.0, 2 * t + self.block_half_m[2]), self.block_half_m, self.rgba),
        )
        return Model(self.name, (Link(self.LINK, geoms, self.mass_kg, (0.0, 0.0, -self.com_below_m)),))


@dataclass(frozen=True, slots=True)
class RailStand(Part):
    """A horizontal round rail along x between two square posts, fixed to the table.

    Frame: on the table top under the rail's middle, z up. The posts reach ``buried_m`` below it, so
    the stand can be set that much lower and still stand on the table (a lower rail). Posts (the base
    link) and rail are links of one colour each.
    """

    rail_radius_m: float = 0.01
    rail_half_length_m: float = 0.16  # between the posts' inner faces
    rail_height_m: float = 0.24  # the rail's axis above the frame
    post_half_m: float = 0.012
    buried_m: float = 0.03
    post_rgba: RGBA = (0.35, 0.35, 0.38, 1.0)
    rail_rgba: RGBA = (0.75, 0.75, 0.78, 1.0)
    name: str = "rail_stand"

    POSTS: ClassVar[str] = "posts"
    RAIL: ClassVar[str] = "rail"

    @property
    def rail_top_m(self) -> float:
        """The rail's top above the frame, as built."""
        return as_built(self.rail_height_m) + as_built(self.rail_radius_m)

    def model(self) -> Model:
        p, h, b, length = self.post_half_m, self.rail_height_m, self.buried_m, self.rail_half_length_m
        top = h + self.rail_radius_m + p
        posts = tuple(box((side * (length + p), 0.0, (top - b) / 2), (p, p, (top + b) / 2), self.post_rgba)
                      for side in (-1.0, 1.0))
        rail = Geom("cylinder", (self.rail_radius_m, 2 * (length + 2 * p)), (0.0, 0.0, h), (0.0, np.pi / 2, 0.0),
                    self.rail_rgba)
        return Model(self.name, (Link(self.POSTS, posts, 0.0), Link(self.RAIL, (rail,), 0.0)),
                     (Joint("rail_mount", "fixed", self.POSTS, self.RAIL),))
