"""Furniture parts: a prismatic slot, a drawer tray, a bar handle, a knob, a cabinet of drawers, a
slotted rack."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built, box
from colosseum_lite.sim import vec3


@dataclass(frozen=True, slots=True)
class PrismaticSlot(Part):
    """A prismatic joint that slides its child out of a parent by up to ``travel_m`` along ``axis``."""

    travel_m: float = 0.25
    axis: Vec3 = (-1.0, 0.0, 0.0)  # in the parent frame; unitless, so it does not scale
    rail_half_m: float = 0.01  # half width of the demo model's rail and block
    block_mass_kg: float = 0.05  # the demo model's sliding block
    name: str = "prismatic_slot"

    RAIL: ClassVar[str] = "rail"
    SLIDE: ClassVar[str] = "slide"
    BLOCK: ClassVar[str] = "block"

    def joint(self, name: str, parent: str, child: str, xyz_m: Vec3) -> Joint:
        """The slot's joint, its child frame at ``xyz_m`` in the parent's when closed (position 0)."""
        return Joint(name, "prismatic", parent, child, xyz=xyz_m, axis=self.axis, lower=0.0, upper=self.travel_m)

    def model(self) -> Model:
        """A rail (base) along the travel and a small block on it that slides out along ``axis``."""
        r = self.rail_half_m
        rail = Link(self.RAIL, (box((0.0, 0.0, -r / 2), (self.travel_m / 2 + r, r, r / 2), (0.5, 0.5, 0.5, 1.0)),),
                    0.0)
        block = Link(self.BLOCK, (box((0.0, 0.0, r), (r, r, r), (0.8, 0.8, 0.8, 1.0)),), self.block_mass_kg)
        start = vec3(-v * self.travel_m / 2 for v in self.axis)
        return Model(self.name, (rail, block), (self.joint(self.SLIDE, self.RAIL, self.BLOCK, start),))


@dataclass(frozen=True, slots=True)
class Drawer(Part):
    """A drawer tray: a front panel and an open tray of floor, sides and back, one link.

    Frame: origin at the centre of the front panel's outer face, the tray reaching toward +x.
    """

    front_half_width_m: float = 0.16
    front_half_height_m: float = 0.047
    depth_m: float = 0.26  # front face to back
    wall_m: float = 0.015
    tray_inset_m: float = 0.01  # the tray's sides inside the front's edges
    side_half_height_m: float = 0.03
    mass_kg: float = 0.5
    rgba: RGBA = (0.88, 0.87, 0.82, 1.0)
    name: str = "drawer"

    TRAY: ClassVar[str] = "tray"

    def link(self, name: str) -> Link:
        """The tray as a link in its frame, centre of mass in the middle of the tray, low."""
        t = self.wall_m / 2
        fw, fh = self.front_half_width_m, self.front_half_height_m
        tw, th, dd = fw - self.tray_inset_m, self.side_half_height_m, self.depth_m
        c = self.rgba
        geoms = (
            box((t, 0, 0), (t, fw, fh), c),  # front panel
            box((dd / 2, 0, -fh + t), (dd / 2, tw, t), c),  # floor
            box((dd / 2, tw - t, -fh + th), (dd / 2, t, th), c),
            box((dd / 2, -(tw - t), -fh + th), (dd / 2, t, th), c),
            box((dd - t, 0, -fh + th), (t, tw, th), c),  # back
        )
        return Link(name, geoms, self.mass_kg, (dd / 2, 0.0, -fh / 2))

    def model(self) -> Model:
        return Model(self.name, (self.link(self.TRAY),))


@dataclass(frozen=True, slots=True)
class BarHandle(Part):
    """A straight bar on two standoffs.

    Frame: origin at the bar's centre, the bar along z, the standoffs reaching ``standoff_m``
    toward +x to the face the handle is mounted on.
    """

    length_m: float = 0.06
    half_thickness_m: float = 0.006  # of the square bar and standoffs
    standoff_m: float = 0.015  # mounting face to bar centre
    mass_kg: float = 0.05
    rgba: RGBA = (0.2, 0.2, 0.22, 1.0)
    name: str = "bar_handle"

    BAR: ClassVar[str] = "handle"

    @property
    def gap_m(self) -> float:
        """Clear gap between the bar and the mounting face."""
        return self.standoff_m - self.half_thickness_m

    def link(self, name: str) -> Link:
        """The handle as a link in its frame."""
        hb, hl, so = self.half_thickness_m, self.length_m / 2, self.standoff_m
        c = self.rgba
        geoms = (
            box((0, 0, 0), (hb, hb, hl), c),
            box((so / 2, 0, hl - hb), (so / 2, hb, hb), c),
            box((so / 2, 0, -(hl - hb)), (so / 2, hb, hb), c),
        )
        return Link(name, geoms, self.mass_kg)

    def model(self) -> Model:
        return Model(self.name, (self.link(self.BAR),))


@dataclass(frozen=True, slots=True)
class Knob(Part):
    """A round knob on a stem (drawers, doors, dials).

    Frame: origin at the knob's centre, its axis along x, the stem reaching toward +x to the
    mounting face.
    """

    radius_m: float = 0.015
    length_m: float = 0.02  # of the knob itself, along its axis
    stem_radius_m: float = 0.005
    stem_length_m: float = 0.015
    mass_kg: float = 0.03
    rgba: RGBA = (0.2, 0.2, 0.22, 1.0)
    name: str = "knob"

    KNOB: ClassVar[str] = "knob"

    @property
    def reach_m(self) -> float:
        """Mounting face to the knob's centre."""
        return self.stem_length_m + self.length_m / 2

    def link(self, name: str) -> Link:
        """The knob and stem as a link in its frame."""
        along_x = (0.0, np.pi / 2, 0.0)
        stem_x = self.length_m / 2 + self.stem_length_m / 2
        geoms = (Geom("cylinder", (self.radius_m, self.length_m), rpy=along_x, rgba=self.rgba),
                 Geom("cylinder", (self.stem_radius_m, self.stem_length_m), (stem_x, 0.0, 0.0), along_x,
                      self.rgba))
        return Link(name, geoms, self.mass_kg)

    def model(self) -> Model:
        return Model(self.name, (self.link(self.KNOB),))


@dataclass(frozen=True, slots=True)
class DrawerCabinet(Part):
    """A carcass on a plinth with one :class:`Drawer` per level, each on a :class:`PrismaticSlot` and
    carrying a :class:`BarHandle`.

    Frame: origin at the carcass's bottom centre, +x into the cabinet (away from its open front),
    z up; drawers slide out along -x. Levels are named bottom first.
    """

    levels: tuple[str, ...] = ("bottom", "middle", "top")
    depth_m: float = 0.30
    width_m: float = 0.36
    slot_m: float = 0.10  # height of one drawer opening
    plinth_m: float = 0.05  # raises the bottom drawer
    wall_m: float = 0.015
    drawer_depth_m: float = 0.26
    drawer_clearance_m: float = 0.003  # around each drawer front, in its opening
    drawer_side_ratio: float = 0.3  # tray side half height / slot height
    drawer_tray_inset_m: float = 0.01  # the tray's sides inside the drawer front's edges
    travel_m: float = 0.25
    handle_standoff_m: float = 0.015  # front face to bar centre
    handle_len_m: float = 0.06
    handle_half_m: float = 0.006  # bar half thickness
    plinth_board_inset_m: float = 0.02  # the plinth's front board behind the carcass front
    plinth_board_half_m: float = 0.005  # half thickness of that board
    carcass_mass_kg: float = 5.0
    drawer_mass_kg: float = 0.5
    handle_mass_kg: float = 0.05
    carcass_rgba: RGBA = (0.55, 0.62, 0.72, 1.0)
    drawer_rgba: RGBA = (0.88, 0.87, 0.82, 1.0)
    handle_rgba: RGBA = (0.2, 0.2, 0.22, 1.0)
    name: str = "drawer_cabinet"

    CARCASS: ClassVar[str] = "carcass"

    @staticmethod
    def drawer_joint(level: str) -> str:
        """The prismatic joint of a level's drawer."""
        return f"slide_{level}"

    @staticmethod
    def drawer_link(level: str) -> str:
        """The link of a level's drawer tray."""
        return f"drawer_{level}"

    @staticmethod
    def handle_link(level: str) -> str:
        """The link of a level's handle."""
        return f"handle_{level}"

    @property
    def height_m(self) -> float:
        """Overall height of the carcass."""
        n = len(self.levels)
        return self.plinth_m + (n + 1) * self.wall_m + n * self.slot_m

    def slot_center_z_m(self, level: str) -> float:
        """Height of the centre of a level's opening above the cabinet's bottom."""
        i = self.levels.index(level)
        return self.plinth_m + self.wall_m + i * (self.slot_m + self.wall_m) + self.slot_m / 2

    def handle_xyz_m(self, level: str, opening_m: float = 0.0) -> Vec3:
        """A level's handle bar centre in the cabinet frame, its drawer out ``opening_m``."""
        return (-(self.depth_m / 2 + self.handle_standoff_m) - opening_m, 0.0, self.slot_center_z_m(level))

    @property
    def max_opening_m(self) -> float:
        """How far each drawer slides out, as built."""
        return as_built(self.travel_m)

    @property
    def slot(self) -> PrismaticSlot:
        """Each drawer's slide."""
        return PrismaticSlot(self.travel_m, (-1.0, 0.0, 0.0))

    @property
    def drawer(self) -> Drawer:
        """Each drawer's tray, its front clear of the openings' edges."""
        t = self.wall_m / 2
        gap = self.drawer_clearance_m
        return Drawer(self.width_m / 2 - 2 * t - gap, self.slot_m / 2 - gap, self.drawer_depth_m, self.wall_m,
                      self.drawer_tray_inset_m, self.slot_m * self.drawer_side_ratio, self.drawer_mass_kg,
                      self.drawer_rgba)

    @property
    def handle(self) -> BarHandle:
        """Each drawer's handle."""
        return BarHandle(self.handle_len_m, self.handle_half_m, self.handle_standoff_m, self.handle_mass_kg,
                         self.handle_rgba)

    def carcass(self) -> Link:
        """The fixed carcass: sides, back, bottom, dividers and top; open at the front (-x)."""
        d, w, h, t = self.depth_m / 2, self.width_m / 2, self.height_m, self.wall_m / 2
        c = self.carcass_rgba
        geoms = [
            box((0, w - t, h / 2), (d, t, h / 2), c),
            box((0, -(w - t), h / 2), (d, t, h / 2), c),
            box((d - t, 0, h / 2), (t, w - 2 * t, h / 2), c),
        ]
        for i in range(len(self.levels) + 1):  # bottom, dividers, top
            z = self.plinth_m + t + i * (self.slot_m + self.wall_m)
            geoms.append(box((0, 0, z), (d, w - 2 * t, t), c))
        geoms.append(box((-d + self.plinth_board_inset_m, 0, self.plinth_m / 2),
                         (self.plinth_board_half_m, w - 2 * t, self.plinth_m / 2), c))
        return Link(self.CARCASS, tuple(geoms), self.carcass_mass_kg)

    def model(self) -> Model:
        """The carcass (base link), then (drawer, handle) per level, bottom first."""
        links, joints = [self.carcass()], []
        drawer, handle, slot = self.drawer, self.handle, self.slot
        for v in self.levels:
            links += [drawer.link(self.drawer_link(v)), handle.link(self.handle_link(v))]
            joints.append(slot.joint(self.drawer_joint(v), self.CARCASS, self.drawer_link(v),
                                     (-self.depth_m / 2, 0.0, self.slot_center_z_m(v))))
            joints.append(Joint(f"grip_{v}", "fixed", self.drawer_link(v), self.handle_link(v),
                                xyz=(-self.handle_standoff_m, 0.0, 0.0)))
        return Model(self.name, tuple(links), tuple(joints))


@dataclass(frozen=True, slots=True)
class SlottedRack(Part):
    """A base plate with upright dividers: ``slot_count`` slots in a row along x (plates, tools, books).

    Frame: origin at the base plate's bottom centre, slots along x, z up.
    """

    slot_count: int = 4
    slot_width_m: float = 0.03  # clear width between two dividers
    divider_m: float = 0.006  # divider thickness
    divider_height_m: float = 0.06  # above the base plate
    depth_m: float = 0.1  # along y
    base_m: float = 0.01  # base plate thickness
    mass_kg: float = 0.3
    rgba: RGBA = (0.6, 0.45, 0.3, 1.0)
    name: str = "slotted_rack"

    RACK: ClassVar[str] = "rack"

    @property
    def length_m(self) -> float:
        """Overall length along x, outer divider to outer divider."""
        return self.slot_count * self.slot_width_m + (self.slot_count + 1) * self.divider_m

    @property
    def slot_floor_z_m(self) -> float:
        """Height of the slots' floor (the base plate's top) above the rack's bottom."""
        return self.base_m

    def slot_center_x_m(self, i: int) -> float:
        """x of the centre of slot ``i`` (0 at -x)."""
        pitch = self.slot_width_m + self.divider_m
        return -self.length_m / 2 + self.divider_m + i * pitch + self.slot_width_m / 2

    def model(self) -> Model:
        """One static-looking link: the base plate, then the dividers from -x to +x."""
        half_len, half_depth = self.length_m / 2, self.depth_m / 2
        geoms = [box((0.0, 0.0, self.base_m / 2), (half_len, half_depth, self.base_m / 2), self.rgba)]
        z = self.base_m + self.divider_height_m / 2
        for i in range(self.slot_count + 1):
            x = -half_len + self.divider_m / 2 + i * (self.slot_width_m + self.divider_m)
            geoms.append(box((x, 0.0, z), (self.divider_m / 2, half_depth, self.divider_height_m / 2), self.rgba))
        return Model(self.name, (Link(self.RACK, tuple(geoms), self.mass_kg),))
