"""Panels on hinges and what they close: an open box, a hinged panel (lids, doors, laptop screens), a
box with a hinged lid."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built, box
from colosseum_lite.sim import VecLike, rotation_matrix, to_world, yaw_of


@dataclass(frozen=True, slots=True)
class OpenBox(Part):
    """An open-topped box: a bottom and four walls, one rigid link.

    Frame: origin at the bottom's centre, +x from the near wall to the far wall, z up.
    """

    depth_m: float = 0.12  # along x
    width_m: float = 0.16
    height_m: float = 0.08  # bottom face to the walls' tops
    wall_m: float = 0.008  # thickness of walls and bottom
    mass_kg: float = 1.0
    rgba: RGBA = (0.25, 0.42, 0.68, 1.0)
    name: str = "open_box"

    BASE: ClassVar[str] = "base"

    def geoms(self) -> tuple[Geom, ...]:
        """Bottom, near wall, far wall, +y side, -y side, in the box frame."""
        d, w, h, t = self.depth_m / 2, self.width_m / 2, self.height_m, self.wall_m / 2
        c = self.rgba
        wall_h = (h - self.wall_m) / 2  # half height of the walls above the bottom
        wall_z = self.wall_m + wall_h
        return (
            box((0.0, 0.0, t), (d, w, t), c),
            box((-d + t, 0.0, wall_z), (t, w, wall_h), c),
            box((d - t, 0.0, wall_z), (t, w, wall_h), c),
            box((0.0, w - t, wall_z), (d - 2 * t, t, wall_h), c),
            box((0.0, -(w - t), wall_z), (d - 2 * t, t, wall_h), c),
        )

    def model(self) -> Model:
        return Model(self.name, (Link(self.BASE, self.geoms(), self.mass_kg),))


@dataclass(frozen=True, slots=True)
class HingedPanel(Part):
    """A flat panel on a revolute hinge: a lid, a door, a laptop screen.

    Frame (the hinge joint's child frame): origin on the hinge line, the hinge axis along +y,
    the panel reaching along -x to its free edge with its inner face at z = 0, thickness toward +z.
    A positive angle swings the free edge up, about +y.
    """

    length_m: float = 0.1  # hinge line to free edge
    width_m: float = 0.16  # along the hinge
    thickness_m: float = 0.01
    mass_kg: float = 0.15
    lower_rad: float = 0.0
    upper_rad: float = np.pi / 2
    rgba: RGBA = (0.42, 0.6, 0.85, 1.0)
    name: str = "hinged_panel"

    MOUNT: ClassVar[str] = "mount"
    HINGE: ClassVar[str] = "hinge"
    PANEL: ClassVar[str] = "panel"

    def link(self, name: str) -> Link:
        """The panel as a link in its hinge frame, centre of mass at its middle."""
        half = self.length_m / 2
        centre = (-half, 0.0, self.thickness_m / 2)
        return Link(name, (Geom("box", (half, self.width_m / 2, self.thickness_m / 2), centre, rgba=self.rgba),),
                    self.mass_kg, centre)

    def joint(self, name: str, parent: str, child: str, xyz_m: Vec3) -> Joint:
        """The hinge from ``parent`` to the panel link ``child``, placed at ``xyz_m`` in the parent frame."""
        return Joint(name, "revolute", parent, child, xyz=xyz_m, axis=(0.0, 1.0, 0.0),
                     lower=self.lower_rad, upper=self.upper_rad)

    def model(self) -> Model:
        """The panel hinged to a thin static strip along the hinge line (the mount, the base link)."""
        t = self.thickness_m / 2
        mount = Link(self.MOUNT, (Geom("box", (t, self.width_m / 2, t), (t, 0.0, -t), rgba=self.rgba),), 0.0)
        return Model(self.name, (mount, self.link(self.PANEL)),
                     (self.joint(self.HINGE, self.MOUNT, self.PANEL, (0.0, 0.0, 0.0)),))


@dataclass(frozen=True, slots=True)
class HingeFrame:
    """A hinged panel's plane of swing as an oracle or a reward reads it (world frame, metres).

    In-plane coordinates ``(a, b)``: ``a`` along ``out`` (horizontal, from the hinge line toward
    where the closed panel lies, the near side), ``b`` up. The panel's inner face starts on the
    hinge line, at ``angle_rad`` from closed; its outer face is ``thickness_m`` beyond.
    """

    origin: np.ndarray  # world position of the hinge line's centre
    out: np.ndarray  # world horizontal unit vector from the hinge toward the closed panel
    yaw_rad: float  # the mount's yaw about world z
    angle_rad: float
    length_m: float  # hinge line to free edge
    thickness_m: float

    def world(self, a: float, b: float) -> np.ndarray:
        """World point at ``a`` along ``out`` and ``b`` up from the hinge."""
        return self.origin + a * self.out + np.array([0.0, 0.0, b])

    def face_point(self, angle_rad: float, radius_m: float, depth_m: float = 0.0) -> np.ndarray:
        """(a, b) of the point ``radius_m`` from the hinge, ``depth_m`` into the outer face, with the
        panel at ``angle_rad``."""
        u = np.array([np.cos(angle_rad), np.sin(angle_rad)])
        n = np.array([-np.sin(angle_rad), np.cos(angle_rad)])  # outer face normal
        return radius_m * u + (self.thickness_m - depth_m) * n

    @classmethod
    def of(cls, origin: VecLike, mount_quat: VecLike, angle_rad: float, length_m: float,
           thickness_m: float) -> HingeFrame:
        """The frame of a hinge whose line's centre is at ``origin`` on a mount turned ``mount_quat``,
        the mount's -x pointing at the closed panel (a :class:`HingedLidBox`'s frame)."""
        return cls(np.asarray(origin), -rotation_matrix(mount_quat)[:, 0], yaw_of(mount_quat), angle_rad,
                   length_m, thickness_m)


class HingedMount(Part):
    """A part with one hinged panel whose closed panel lies toward the part's -x from the hinge
    line (a lid, a screen): where its hinge is and the panel's plane of swing."""

    __slots__ = ()
    HINGE: ClassVar[str]  # the hinge joint's name
    PANEL_LINK: ClassVar[str]  # the panel link's name (its frame is on the hinge line)

    @property
    @abstractmethod
    def hinge_xyz_m(self) -> Vec3:
        """The hinge line's centre in the part's frame."""

    @property
    @abstractmethod
    def panel_m(self) -> tuple[float, float]:
        """The panel's length (hinge line to free edge) and thickness, as built."""

    def hinge_origin(self, pos: VecLike, quat: VecLike) -> np.ndarray:
        """World position of the hinge line's centre of the part whose frame is at ``pos``, ``quat``."""
        return to_world(pos, quat, self.hinge_xyz_m)

    def hinge_frame(self, origin: VecLike, quat: VecLike, angle_rad: float) -> HingeFrame:
        """The panel's plane of swing, the hinge line's centre at ``origin`` (the panel link's frame),
        the part turned ``quat`` and the panel at ``angle_rad``."""
        return HingeFrame.of(origin, quat, angle_rad, *self.panel_m)


def backstop_wall(hinge_x_m: float, panel_length_m: float, open_rad: float, gap_m: float, thickness_m: float,
                  half_width_m: float, height_m: float, rgba: RGBA) -> Geom:
    """A wall standing on the mount's floor behind a hinge line at ``x = hinge_x_m``: ``gap_m`` beyond the
    free edge of a panel ``panel_length_m`` long opened as far as ``open_rad``, ``half_width_m`` to each
    side of the mount's centre line (+x away from the closed panel, as in :class:`HingedMount`)."""
    reach = panel_length_m * np.cos(np.pi - open_rad)
    stop_x = hinge_x_m + reach + gap_m + thickness_m / 2
    return box((stop_x, 0.0, height_m / 2), (thickness_m / 2, half_width_m, height_m / 2), rgba)


@dataclass(frozen=True, slots=True)
class HingedLidBox(HingedMount):
    """An :class:`OpenBox` whose lid (a :class:`HingedPanel`) hinges on the far wall, and a low backstop
    beyond it that a lid opened as far as ``backstop_open_rad`` stays ``backstop_gap_m`` short of.

    Frame: the open box's (origin at the bottom centre, +x near wall to far (hinge) wall, z up).
    The lid's angle is 0 closed and grows as it swings up and back over the far wall.
    """

    depth_m: float = 0.12  # along x, near wall to far (hinge) wall
    width_m: float = 0.16
    height_m: float = 0.08
    wall_m: float = 0.008
    lid_m: float = 0.01  # lid thickness
    hinge_gap_m: float = 0.002  # between the wall tops and the closed lid
    hinge_out_m: float = 0.01  # hinge line outside the far wall's outer face
    lid_lower_rad: float = -0.05
    max_open_rad: float = np.deg2rad(240.0)
    base_mass_kg: float = 1.0
    lid_mass_kg: float = 0.15
    base_rgba: RGBA = (0.25, 0.42, 0.68, 1.0)
    lid_rgba: RGBA = (0.42, 0.6, 0.85, 1.0)
    backstop_open_rad: float = np.deg2rad(170.0)
    backstop_gap_m: float = 0.06  # from the free edge of a lid open at backstop_open_rad to the backstop
    backstop_height_m: float = 0.12
    backstop_m: float = 0.015  # thickness
    backstop_margin_m: float = 0.1  # beyond the box's side walls, each side
    name: str = "hinged_lid_box"

    BASE: ClassVar[str] = "base"
    HINGE: ClassVar[str] = "hinge"
    LID: ClassVar[str] = "lid"
    PANEL_LINK: ClassVar[str] = LID

    @property
    def box(self) -> OpenBox:
        """The open box under the lid."""
        return OpenBox(self.depth_m, self.width_m, self.height_m, self.wall_m, self.base_mass_kg, self.base_rgba)

    @property
    def lid(self) -> HingedPanel:
        """The lid: from the hinge line over the whole box to the near wall's outer face."""
        half_len = self.depth_m / 2 + self.hinge_out_m / 2
        return HingedPanel(2 * half_len, self.width_m, self.lid_m, self.lid_mass_kg, self.lid_lower_rad,
                           self.max_open_rad, self.lid_rgba)

    @property
    def lid_length_m(self) -> float:
        """Hinge line to the lid's free edge, as built."""
        return as_built(self.lid.length_m)

    @property
    def lid_thickness_m(self) -> float:
        """The lid's thickness, as built."""
        return as_built(self.lid_m)

    @property
    def hinge_xyz_m(self) -> Vec3:
        """The hinge line's centre in the box frame."""
        return (self.depth_m / 2 + self.hinge_out_m, 0.0, self.height_m + self.hinge_gap_m)

    @property
    def panel_m(self) -> tuple[float, float]:
        """The lid's length and thickness, as built."""
        return self.lid_length_m, self.lid_thickness_m

    def backstop(self) -> Geom:
        """The backstop wall beyond the hinge, in the box frame."""
        return backstop_wall(self.depth_m / 2 + self.hinge_out_m, self.lid.length_m, self.backstop_open_rad,
                             self.backstop_gap_m, self.backstop_m, self.width_m / 2 + self.backstop_margin_m,
                             self.backstop_height_m, self.base_rgba)

    def model(self) -> Model:
        """The box and backstop (base link), then the lid on its hinge."""
        lid = self.lid
        return Model(self.name, (Link(self.BASE, (*self.box.geoms(), self.backstop()), self.base_mass_kg),
                                 lid.link(self.LID)),
                     (lid.joint(self.HINGE, self.BASE, self.LID, self.hinge_xyz_m),))


@dataclass(frozen=True, slots=True)
class Laptop(HingedMount):
    """A laptop: a flat base (the keyboard half) and a screen (a :class:`HingedPanel`) hinged along
    its back edge, closing down onto the base; with ``backstop_height_m`` > 0, a fence on the base
    link behind it that a screen opened as far as ``backstop_open_rad`` stays ``backstop_gap_m``
    short of (a :class:`HingedLidBox`'s backstop).

    Frame: origin at the base's bottom centre, +x from the front edge to the back (hinge) edge, z up
    (a :class:`HingedLidBox`'s convention: both are a :class:`HingedMount`). The screen's
    angle is 0 closed and grows as it opens up and back.
    """

    depth_m: float = 0.17  # base, front to back; the screen is as long
    width_m: float = 0.24
    base_m: float = 0.015  # base thickness
    screen_m: float = 0.008  # screen thickness
    hinge_gap_m: float = 0.002  # between the base's top and the closed screen
    lower_rad: float = -0.05
    max_open_rad: float = np.deg2rad(135.0)  # the hinge's stop
    base_mass_kg: float = 1.2
    screen_mass_kg: float = 0.3
    base_rgba: RGBA = (0.55, 0.57, 0.6, 1.0)
    screen_rgba: RGBA = (0.2, 0.22, 0.26, 1.0)
    backstop_open_rad: float = np.deg2rad(120.0)
    backstop_gap_m: float = 0.06  # from the free edge of a screen open at backstop_open_rad to the backstop
    backstop_height_m: float = 0.0  # 0: no backstop
    backstop_m: float = 0.015  # thickness
    backstop_margin_m: float = 0.06  # beyond the base's sides, each side
    name: str = "laptop"

    BASE: ClassVar[str] = "base"
    HINGE: ClassVar[str] = "hinge"
    SCREEN: ClassVar[str] = "screen"
    PANEL_LINK: ClassVar[str] = SCREEN

    @property
    def screen(self) -> HingedPanel:
        """The screen: from the hinge line over the whole base to its front edge."""
        return HingedPanel(self.depth_m, self.width_m, self.screen_m, self.screen_mass_kg, self.lower_rad,
                           self.max_open_rad, self.screen_rgba)

    @property
    def screen_length_m(self) -> float:
        """Hinge line to the screen's free edge, as built."""
        return as_built(self.depth_m)

    @property
    def screen_thickness_m(self) -> float:
        """The screen's thickness, as built."""
        return as_built(self.screen_m)

    @property
    def hinge_xyz_m(self) -> Vec3:
        """The hinge line's centre in the laptop frame: over the base's back edge."""
        return (self.depth_m / 2, 0.0, self.base_m + self.hinge_gap_m)

    @property
    def panel_m(self) -> tuple[float, float]:
        """The screen's length and thickness, as built."""
        return self.screen_length_m, self.screen_thickness_m

    def model(self) -> Model:
        """The base, then the screen on its hinge."""
        half = (self.depth_m / 2, self.width_m / 2, self.base_m / 2)
        geoms: tuple[Geom, ...] = (box((0.0, 0.0, self.base_m / 2), half, self.base_rgba),)
        if self.backstop_height_m > 0:
            geoms += (backstop_wall(self.depth_m / 2, self.depth_m, self.backstop_open_rad, self.backstop_gap_m,
                                    self.backstop_m, self.width_m / 2 + self.backstop_margin_m,
                                    self.backstop_height_m, self.base_rgba),)
        base = Link(self.BASE, geoms, self.base_mass_kg)
        screen = self.screen
        return Model(self.name, (base, screen.link(self.SCREEN)),
                     (screen.joint(self.HINGE, self.BASE, self.SCREEN, self.hinge_xyz_m),))
