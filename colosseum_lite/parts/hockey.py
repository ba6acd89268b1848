"""A hockey goal: a net (side walls and a back wall) behind a mouth framed by two posts and a crossbar."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from colosseum_lite.assets import Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, box


@dataclass(frozen=True, slots=True)
class HockeyGoal(Part):
    """A goal standing on the table, open toward -x: what rolls in through the mouth stays in.

    Frame: the middle of the mouth's line on the table top, x into the goal, z up. The net (the
    base link: two side walls and a back wall, no floor, so a ball rolls in along the table) and
    the frame (two posts and a crossbar over the mouth) are links of one colour each.
    """

    mouth_half_width_m: float = 0.09  # from the middle to each side wall's inner face
    depth_m: float = 0.09  # from the mouth line to the back wall's inner face
    height_m: float = 0.07  # the walls' height; the crossbar's underside
    wall_half_thickness_m: float = 0.005
    post_half_size_m: float = 0.008  # posts and crossbar: square bars
    net_rgba: RGBA = (0.85, 0.85, 0.88, 1.0)
    frame_rgba: RGBA = (0.85, 0.12, 0.1, 1.0)
    name: str = "hockey_goal"

    NET: ClassVar[str] = "net"
    FRAME: ClassVar[str] = "frame"

    @property
    def zone_center_m(self) -> Vec3:
        """Centre of the goal zone (goal frame): the space between the walls, behind the mouth line."""
        return (self.depth_m / 2, 0.0, self.height_m / 2)

    @property
    def zone_half_m(self) -> Vec3:
        """Half extents of the goal zone (goal frame)."""
        return (self.depth_m / 2, self.mouth_half_width_m, self.height_m / 2)

    def model(self) -> Model:
        t, w, d, h, p = (self.wall_half_thickness_m, self.mouth_half_width_m, self.depth_m, self.height_m,
                         self.post_half_size_m)
        net = (box((d / 2, w + t, h / 2), (d / 2, t, h / 2), self.net_rgba),
               box((d / 2, -(w + t), h / 2), (d / 2, t, h / 2), self.net_rgba),
               box((d + t, 0.0, h / 2), (t, w + 2 * t, h / 2), self.net_rgba))
        frame = (box((-p, w + p, (h + p) / 2), (p, p, (h + p) / 2), self.frame_rgba),
                 box((-p, -(w + p), (h + p) / 2), (p, p, (h + p) / 2), self.frame_rgba),
                 box((-p, 0.0, h + p), (p, w + 2 * p, p), self.frame_rgba))
        return Model(self.name, (Link(self.NET, net, 0.0), Link(self.FRAME, frame, 0.0)),
                     (Joint("frame_mount", "fixed", self.NET, self.FRAME),))
