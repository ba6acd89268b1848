"""Appliance parts: an oven whose dials sit on a slanted control panel, a fridge front with a
dispenser recess and lever, and a cup."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, box


@dataclass(frozen=True, slots=True)
class DialKnob(Part):
    """A round dial with a grip bar across its face (an oven or a cooker knob).

    Frame (its joint's child frame): origin at the centre of the disc's back face, the turning
    axis along +z out of the panel; at angle 0 the bar lies along +x.
    """

    radius_m: float = 0.026
    disc_m: float = 0.012  # disc thickness, along the axis
    bar_length_m: float = 0.05
    bar_width_m: float = 0.016
    bar_height_m: float = 0.03  # how far the bar stands off the disc's face
    mass_kg: float = 0.03
    rgba: RGBA = (0.15, 0.15, 0.17, 1.0)
    name: str = "dial_knob"

    @property
    def bar_mid_m(self) -> float:
        """Along the axis, from the panel face to the middle of the bar."""
        return self.disc_m + self.bar_height_m / 2

    @property
    def face_m(self) -> float:
        """Along the axis, from the panel face to the disc's front face."""
        return self.disc_m

    def link(self, name: str) -> Link:
        """The disc and its bar as a link in the knob frame."""
        disc = Geom("cylinder", (self.radius_m, self.disc_m), (0.0, 0.0, self.disc_m / 2), rgba=self.rgba)
        bar = box((0.0, 0.0, self.bar_mid_m), (self.bar_length_m / 2, self.bar_width_m / 2, self.bar_height_m / 2),
                  self.rgba)
        return Link(name, (disc, bar), self.mass_kg, (0.0, 0.0, self.disc_m / 2))

    def model(self) -> Model:
        return Model(self.name, (self.link("knob"),))


@dataclass(frozen=True, slots=True)
class KnobOven(Part):
    """An oven: a cabinet with a door front and, along its front top edge, a control panel slanted
    back by ``panel_tilt_rad`` from vertical carrying a row of :class:`DialKnob` s.

    Frame: origin at the cabinet's bottom centre, +x into the oven (away from its front), +z up.
    Knob ``i`` counts from the left as seen from the front: knob 0 is the leftmost (largest +y).
    Each knob turns either way without a stop on a continuous joint about the panel's outward
    normal; at 0 its bar points up the panel, and positive angles turn it counter-clockwise as
    seen from the front. (A stop would not hold: the arm forces a revolute joint's limits by
    more than a radian.)
    """

    depth_m: float = 0.3
    width_m: float = 0.5
    height_m: float = 0.14  # the cabinet, below the panel
    panel_length_m: float = 0.1  # up the slant, from the front top edge
    panel_m: float = 0.02  # panel thickness
    door_m: float = 0.004  # the door's glass, standing off the front
    panel_tilt_rad: float = np.deg2rad(60.0)  # from vertical: 0 is a vertical front, pi/2 a flat top
    knob_spacing_m: float = 0.11
    knobs: int = 4
    knob: DialKnob = field(default_factory=DialKnob)
    body_rgba: RGBA = (0.82, 0.82, 0.8, 1.0)
    panel_rgba: RGBA = (0.3, 0.31, 0.33, 1.0)
    door_rgba: RGBA = (0.12, 0.12, 0.14, 1.0)
    trim_kg: float = 0.1  # the panel and door links, fixed to the static base: any positive mass
    name: str = "knob_oven"

    BODY: ClassVar[str] = "body"
    PANEL: ClassVar[str] = "panel"
    DOOR: ClassVar[str] = "door"

    @staticmethod
    def knob_joint(i: int) -> str:
        return f"knob_{i}"

    @staticmethod
    def knob_link(i: int) -> str:
        return f"knob_{i}_dial"

    def with_knob_scale(self, s: float) -> KnobOven:
        """The oven with its knobs (only) at scale ``s``."""
        return replace(self, knob=self.knob.scaled(s))

    @property
    def normal(self) -> np.ndarray:
        """The panel's outward normal in the oven frame (toward the front and up)."""
        return np.array([-np.cos(self.panel_tilt_rad), 0.0, np.sin(self.panel_tilt_rad)])

    @property
    def up_panel(self) -> np.ndarray:
        """The direction up the panel's slant in the oven frame (a knob's bar at angle 0)."""
        return np.array([np.sin(self.panel_tilt_rad), 0.0, np.cos(self.panel_tilt_rad)])

    def knob_xyz_m(self, i: int) -> Vec3:
        """Where knob ``i``'s axis meets the panel face, in the oven frame."""
        edge = np.array([-self.depth_m / 2, 0.0, self.height_m])
        y = (self.knobs - 1) / 2 * self.knob_spacing_m - i * self.knob_spacing_m
        p = edge + self.up_panel * (self.panel_length_m / 2) + np.array([0.0, y, 0.0])
        return (float(p[0]), float(p[1]), float(p[2]))

    def model(self) -> Model:
        """The cabinet as the base link, the panel and the door fixed to it, then one dial per knob joint."""
        d, w, h = self.depth_m / 2, self.width_m / 2, self.height_m
        tilt = self.panel_tilt_rad
        centre = np.array([-d, 0.0, h]) + self.up_panel * self.panel_length_m / 2 - self.normal * self.panel_m / 2
        panel = Geom("box", (self.panel_m / 2, w, self.panel_length_m / 2), tuple(centre), (0.0, tilt, 0.0),
                     self.panel_rgba)
        # behind the panel's top edge, a block up to it, so the panel reads as a console's slope
        top_x, top_h = -d + self.panel_length_m * np.sin(tilt), self.panel_length_m * np.cos(tilt)
        console = box(((top_x + d) / 2, 0.0, h + top_h / 2), ((d - top_x) / 2, w, top_h / 2), self.body_rgba)
        door = Geom("box", (self.door_m / 2, w * 0.8, h * 0.35), (-d - self.door_m / 2, 0.0, h * 0.5),
                    rgba=self.door_rgba, collision=False)
        base = Link(self.BODY, (box((0.0, 0.0, h / 2), (d, w, h / 2), self.body_rgba), console), 0.0)
        # one colour per link, so that a look put back after a colour perturbation is the built one
        links = [base, Link(self.PANEL, (panel,), self.trim_kg), Link(self.DOOR, (door,), self.trim_kg)]
        joints = [Joint(f"{self.PANEL}_fixed", "fixed", self.BODY, self.PANEL),
                  Joint(f"{self.DOOR}_fixed", "fixed", self.BODY, self.DOOR)]
        knob_rpy = (0.0, tilt - np.pi / 2, 0.0)  # turns the knob frame's +z onto the panel normal
        for i in range(self.knobs):
            links.append(self.knob.link(self.knob_link(i)))
            joints.append(Joint(self.knob_joint(i), "continuous", self.BODY, self.knob_link(i), self.knob_xyz_m(i),
                                knob_rpy, (0.0, 0.0, 1.0)))
        return Model(self.name, tuple(links), tuple(joints))


@dataclass(frozen=True, slots=True)
class Tumbler(Part):
    """A cup: a solid round tumbler (a grasp closes on its side)."""

    radius_m: float = 0.025
    height_m: float = 0.1
    mass_kg: float = 0.15
    rgba: RGBA = (0.85, 0.35, 0.25, 1.0)
    name: str = "tumbler"

    def model(self) -> Model:
        """One link, its origin at the cup's centre."""
        return Model(self.name, (Link("cup", (Geom("cylinder", (self.radius_m, self.height_m), rgba=self.rgba),),
                                      self.mass_kg),))


@dataclass(frozen=True, slots=True)
class DispenserFridge(Part):
    """A fridge front with a dispenser: a recess in its door and, at the recess's back, a lever
    (a paddle hanging from a hinge under the recess's top) that a cup pushes back.

    Frame: origin at the fridge's bottom centre, +x into the fridge (away from its front), +z up;
    the recess is centred on y = 0. The lever's angle is 0 hanging straight down and grows as its
    lower end swings back (+x), until it meets the recess's back wall.
    """

    depth_m: float = 0.3
    width_m: float = 0.36
    height_m: float = 0.45
    recess_width_m: float = 0.24
    recess_depth_m: float = 0.12
    recess_bottom_m: float = 0.1  # height of the recess's floor (the drip tray)
    recess_height_m: float = 0.3
    lever_width_m: float = 0.1
    lever_length_m: float = 0.22
    lever_m: float = 0.01  # thickness
    lever_gap_m: float = 0.05  # between the hanging lever and the recess's back wall
    lever_mass_kg: float = 0.2
    trim_kg: float = 0.1  # the recess's lining, fixed to the static base: any positive mass
    body_rgba: RGBA = (0.88, 0.89, 0.9, 1.0)
    recess_rgba: RGBA = (0.25, 0.26, 0.28, 1.0)
    lever_rgba: RGBA = (0.55, 0.57, 0.6, 1.0)
    name: str = "dispenser_fridge"

    BODY: ClassVar[str] = "body"
    RECESS: ClassVar[str] = "recess"
    LEVER: ClassVar[str] = "lever"
    LEVER_JOINT: ClassVar[str] = "lever_hinge"

    @property
    def front_x_m(self) -> float:
        """The front face's x in the fridge frame."""
        return -self.depth_m / 2

    @property
    def back_x_m(self) -> float:
        """The recess's back wall's x in the fridge frame."""
        return self.front_x_m + self.recess_depth_m

    @property
    def hinge_xyz_m(self) -> Vec3:
        """The lever's hinge line centre in the fridge frame."""
        top = self.recess_bottom_m + self.recess_height_m
        return (self.back_x_m - self.lever_gap_m - self.lever_m / 2, 0.0, top - self.lever_m)

    def model(self) -> Model:
        """The body around the recess as the base, the recess's lining fixed to it, the lever hinged."""
        d, w = self.depth_m / 2, self.width_m / 2
        rw, lo, hi = self.recess_width_m / 2, self.recess_bottom_m, self.recess_bottom_m + self.recess_height_m
        side = (w - rw) / 2
        back = (d - self.back_x_m) / 2
        c = self.body_rgba
        body = (
            box((0.0, 0.0, lo / 2), (d, w, lo / 2), c),  # below the recess
            box((0.0, 0.0, (hi + self.height_m) / 2), (d, w, (self.height_m - hi) / 2), c),  # above it
            box((0.0, rw + side, (lo + hi) / 2), (d, side, (hi - lo) / 2), c),  # beside it
            box((0.0, -rw - side, (lo + hi) / 2), (d, side, (hi - lo) / 2), c),
        )
        lining = box((self.back_x_m + back, 0.0, (lo + hi) / 2), (back, rw, (hi - lo) / 2), self.recess_rgba)
        half = (self.lever_m / 2, self.lever_width_m / 2, self.lever_length_m / 2)
        lever = Link(self.LEVER, (box((0.0, 0.0, -self.lever_length_m / 2), half, self.lever_rgba),),
                     self.lever_mass_kg, (0.0, 0.0, -self.lever_length_m / 2))
        links = (Link(self.BODY, body, 0.0), Link(self.RECESS, (lining,), self.trim_kg), lever)
        joints = (Joint(f"{self.RECESS}_fixed", "fixed", self.BODY, self.RECESS),
                  Joint(self.LEVER_JOINT, "revolute", self.BODY, self.LEVER, self.hinge_xyz_m,
                        axis=(0.0, -1.0, 0.0), lower=0.0, upper=np.pi / 3))
        return Model(self.name, links, joints)
