"""Dishwasher parts: a cabinet with a drop-down door and a sliding rack, and a plate to stand in it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model
from colosseum_lite.parts.furniture import BarHandle
from colosseum_lite.parts.panels import HingeFrame
from colosseum_lite.parts.spec import RGBA, Part, Vec3, as_built, box
from colosseum_lite.sim import VecLike, to_world


@dataclass(frozen=True, slots=True)
class Plate(Part):
    """A plate: a thin disc, one link.

    Frame: origin at the disc's centre, its faces' normal along y (the plate stands on its rim
    with an identity orientation); z up.
    """

    radius_m: float = 0.055
    thickness_m: float = 0.012
    mass_kg: float = 0.2
    rgba: RGBA = (0.93, 0.93, 0.9, 1.0)
    name: str = "plate"

    PLATE: ClassVar[str] = "plate"

    def model(self) -> Model:
        """The disc, its axis along the link's y."""
        disc = Geom("cylinder", (self.radius_m, self.thickness_m), rpy=(np.pi / 2, 0.0, 0.0), rgba=self.rgba)
        return Model(self.name, (Link(self.PLATE, (disc,), self.mass_kg),))


@dataclass(frozen=True, slots=True)
class Dishwasher(Part):
    """A dishwasher: a carcass open at the front on a plinth, a door hinged along its bottom edge
    that drops down toward the front (its bar handle along the top), and a rack on a prismatic
    slide that pulls out over the open door, with a slot in which a plate stands on its rim.

    Frame: origin at the carcass's bottom centre, +x into the dishwasher (its front faces -x),
    z up. The door's angle is 0 closed (vertical) and grows as it drops toward -x, to
    ``door_open_rad`` (horizontal). The rack slides out along -x by up to ``rack_travel_m``.
    """

    depth_m: float = 0.30
    width_m: float = 0.34
    height_m: float = 0.27
    wall_m: float = 0.012
    plinth_m: float = 0.05  # the kick plate under the door: its hinge line's height
    door_m: float = 0.015  # door thickness
    door_gap_m: float = 0.002  # between the carcass front and the closed door, and at its top
    door_side_gap_m: float = 0.004  # the door's edges inside the carcass's sides
    door_open_rad: float = np.pi / 2
    top_frame_m: float = 0.03  # the top is a pane of glass (a collision shape, no visual) in a frame this
    # wide, so that the cameras see the plate in the shut dishwasher
    handle_standoff_m: float = 0.035  # door face to the bar's centre (room for two closed fingers)
    handle_below_top_m: float = 0.012  # the bar's centre below the door's top edge
    handle_len_m: float = 0.16
    handle_half_m: float = 0.006
    rack_inset_m: float = 0.045  # the closed rack's front behind the carcass front
    rack_depth_m: float = 0.23
    rack_clearance_m: float = 0.012  # the rack's bottom above the open door's top face
    rack_side_gap_m: float = 0.008  # between the rack and the carcass's sides
    rack_floor_m: float = 0.008
    rack_front_height_m: float = 0.05
    rack_rail_height_m: float = 0.025  # side and back rails
    rack_bar_m: float = 0.008  # thickness of the front panel and rails
    rack_travel_m: float = 0.22
    slot_x_m: float = 0.1  # the plate slot's centre behind the rack's front
    slot_gap_m: float = 0.02  # clear width of the slot (the plate's thickness and play)
    tine_m: float = 0.006  # tine wall thickness
    tine_height_m: float = 0.035
    tine_len_m: float = 0.08
    stop_x_m: float = 0.04  # the slot's two low stops across it, this far either side of its centre ...
    stop_height_m: float = 0.006  # ... and this high: under every plate's rim, they keep it from rolling
    rack_handle_standoff_m: float = 0.03  # room for open fingers coming in 25 degrees off the rack's normal
    rack_handle_len_m: float = 0.05
    carcass_mass_kg: float = 8.0
    door_mass_kg: float = 0.4
    rack_mass_kg: float = 0.3
    handle_mass_kg: float = 0.05
    carcass_rgba: RGBA = (0.8, 0.82, 0.85, 1.0)
    door_rgba: RGBA = (0.7, 0.72, 0.76, 1.0)
    rack_rgba: RGBA = (0.45, 0.5, 0.58, 1.0)
    handle_rgba: RGBA = (0.2, 0.2, 0.22, 1.0)
    name: str = "dishwasher"

    CARCASS: ClassVar[str] = "carcass"
    DOOR: ClassVar[str] = "door"
    DOOR_JOINT: ClassVar[str] = "door_hinge"
    DOOR_HANDLE: ClassVar[str] = "door_handle"
    RACK: ClassVar[str] = "rack"
    RACK_JOINT: ClassVar[str] = "rack_slide"
    RACK_HANDLE: ClassVar[str] = "rack_handle"

    @property
    def door_length_m(self) -> float:
        """Hinge line to the door's top (free) edge."""
        return self.height_m - self.plinth_m - self.door_gap_m

    @property
    def hinge_xyz_m(self) -> Vec3:
        """The door's hinge line centre (its outer bottom edge) in the dishwasher frame."""
        return (-self.depth_m / 2 - self.door_gap_m - self.door_m, 0.0, self.plinth_m)

    @property
    def rack_bottom_m(self) -> float:
        """Height of the rack's bottom above the dishwasher's bottom: clear of the open door."""
        return self.plinth_m + self.door_m + self.rack_clearance_m

    @property
    def rack_xyz_m(self) -> Vec3:
        """The closed rack's frame (its front bottom centre) in the dishwasher frame."""
        return (-self.depth_m / 2 + self.rack_inset_m, 0.0, self.rack_bottom_m)

    @property
    def max_rack_out_m(self) -> float:
        """How far the rack slides out, as built."""
        return as_built(self.rack_travel_m)

    @property
    def rack_handle(self) -> BarHandle:
        """The rack's upright bar handle on its front panel."""
        return BarHandle(self.rack_handle_len_m, self.handle_half_m, self.rack_handle_standoff_m,
                         self.handle_mass_kg, self.handle_rgba)

    def rack_handle_xyz_m(self, out_m: float = 0.0) -> Vec3:
        """The rack handle bar's centre in the dishwasher frame, the rack out ``out_m``."""
        x, _, z = self.rack_xyz_m
        return (x - self.rack_handle_standoff_m - out_m, 0.0, z + self.rack_front_height_m / 2)

    def plate_xyz_m(self, plate: Plate, out_m: float = 0.0) -> Vec3:
        """Where a plate standing in the slot has its centre (dishwasher frame), the rack out ``out_m``."""
        x, _, z = self.rack_xyz_m
        return (x + self.slot_x_m - out_m, 0.0, z + self.rack_floor_m + plate.radius_m)

    def door_frame(self, door_origin: VecLike, quat: VecLike, door_rad: float) -> HingeFrame:
        """The door's plane of swing, its hinge line centre at ``door_origin`` (the door link's frame),
        the dishwasher turned ``quat``: the door as a panel that 'closes' flat toward the front, so
        the frame's angle is pi/2 less the door's opening (a :class:`HingedLidBox` lid's convention)."""
        return HingeFrame.of(door_origin, quat, self.door_open_rad - door_rad, as_built(self.door_length_m),
                             as_built(self.door_m))

    def door_frame_at(self, pos: VecLike, quat: VecLike, door_rad: float) -> HingeFrame:
        """:meth:`door_frame` of a dishwasher whose frame is at ``pos``, ``quat`` (world)."""
        return self.door_frame(to_world(pos, quat, self.hinge_xyz_m), quat, door_rad)

    def carcass(self) -> Link:
        """The fixed carcass: plinth, sides, back and a top of glass in a frame; open at the front (-x)."""
        d, w, h, t = self.depth_m / 2, self.width_m / 2, self.height_m, self.wall_m / 2
        c, pl, f, wi = self.carcass_rgba, self.plinth_m, self.top_frame_m, w - 2 * t
        geoms = (
            box((0, 0, pl / 2), (d, w, pl / 2), c),
            box((0, w - t, h / 2), (d, t, h / 2), c),
            box((0, -(w - t), h / 2), (d, t, h / 2), c),
            box((d - t, 0, h / 2), (t, wi, h / 2), c),
            Geom("box", (d - f, wi - f, t), (0, 0, h - t), rgba=c, visual=False),  # the glass
            box((-d + f / 2, 0, h - t), (f / 2, wi, t), c),
            box((d - f / 2, 0, h - t), (f / 2, wi, t), c),
            box((0, wi - f / 2, h - t), (d - f, f / 2, t), c),
            box((0, -(wi - f / 2), h - t), (d - f, f / 2, t), c),
        )
        return Link(self.CARCASS, geoms, self.carcass_mass_kg)

    def door(self) -> Link:
        """The door in its hinge frame: from the hinge line up, its thickness toward +x (inward)."""
        half_w = self.width_m / 2 - self.door_side_gap_m
        half_l, half_t = self.door_length_m / 2, self.door_m / 2
        centre = (half_t, 0.0, half_l)
        return Link(self.DOOR, (box(centre, (half_t, half_w, half_l), self.door_rgba),), self.door_mass_kg, centre)

    def door_handle(self) -> Link:
        """The bar along the door's top on two standoffs, in the door's hinge frame (outer face: -x)."""
        hb, hl, so = self.handle_half_m, self.handle_len_m / 2, self.handle_standoff_m
        z, c = self.door_length_m - self.handle_below_top_m, self.handle_rgba
        geoms = (
            box((-so, 0, z), (hb, hl, hb), c),
            box((-so / 2, hl - hb, z), (so / 2, hb, hb), c),
            box((-so / 2, -(hl - hb), z), (so / 2, hb, hb), c),
        )
        return Link(self.DOOR_HANDLE, geoms, self.handle_mass_kg, (-so, 0.0, z))

    def rack(self) -> Link:
        """The rack in its frame (front bottom centre, reaching toward +x): floor, front panel, side
        and back rails, the two tines of the plate slot and its two stops."""
        dd, w = self.rack_depth_m, self.width_m / 2 - self.wall_m - self.rack_side_gap_m
        f, b, rail, c = self.rack_floor_m / 2, self.rack_bar_m / 2, self.rack_rail_height_m / 2, self.rack_rgba
        fh = self.rack_front_height_m / 2
        tine_y = self.slot_gap_m / 2 + self.tine_m / 2
        tine = (self.tine_len_m / 2, self.tine_m / 2, self.tine_height_m / 2)
        stop = (self.tine_m / 2, self.slot_gap_m / 2, self.stop_height_m / 2)
        geoms = (
            box((dd / 2, 0, f), (dd / 2, w, f), c),
            box((b, 0, fh), (b, w, fh), c),
            box((dd / 2, w - b, rail), (dd / 2, b, rail), c),
            box((dd / 2, -(w - b), rail), (dd / 2, b, rail), c),
            box((dd - b, 0, rail), (b, w - 2 * b, rail), c),
            box((self.slot_x_m, tine_y, 2 * f + tine[2]), tine, c),
            box((self.slot_x_m, -tine_y, 2 * f + tine[2]), tine, c),
            box((self.slot_x_m - self.stop_x_m, 0, 2 * f + stop[2]), stop, c),
            box((self.slot_x_m + self.stop_x_m, 0, 2 * f + stop[2]), stop, c),
        )
        return Link(self.RACK, geoms, self.rack_mass_kg, (dd / 2, 0.0, f))

    def model(self) -> Model:
        """The carcass (base link), the door and its handle, the rack and its handle."""
        rack_handle = self.rack_handle
        x, _, z = self.rack_xyz_m
        joints = (
            Joint(self.DOOR_JOINT, "revolute", self.CARCASS, self.DOOR, xyz=self.hinge_xyz_m,
                  axis=(0.0, -1.0, 0.0), lower=0.0, upper=self.door_open_rad),
            Joint("door_grip", "fixed", self.DOOR, self.DOOR_HANDLE),
            Joint(self.RACK_JOINT, "prismatic", self.CARCASS, self.RACK, xyz=(x, 0.0, z), axis=(-1.0, 0.0, 0.0),
                  lower=0.0, upper=self.rack_travel_m),
            Joint("rack_grip", "fixed", self.RACK, self.RACK_HANDLE,
                  xyz=(-self.rack_handle_standoff_m, 0.0, self.rack_front_height_m / 2)),
        )
        links = (self.carcass(), self.door(), self.door_handle(), self.rack(), rack_handle.link(self.RACK_HANDLE))
        return Model(self.name, links, joints)
