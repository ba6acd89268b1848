"""open_drawer: pull the named drawer (bottom, middle or top) of a three-drawer cabinet open.

The cabinet (mo) is one generated URDF: a fixed carcass of boxes with three front openings, and
three drawer links on prismatic joints (axis -x of the cabinet frame, toward the robot), each a
tray of boxes with a vertical bar handle on its front. The bar is its own link on a fixed joint,
so the oracle reads its real pose. Emulated joint friction (3 N) keeps drawers where they are
left. The cabinet faces the robot; the layout turns it by up to +-pi/8 about the vertical.

Success: the chosen drawer's joint is pulled out more than 0.15 m.

Departures from the reference (RLBench ``open_drawer``):
- The 0.15 m threshold is absolute, as in the reference, and does not follow ``scales.mo``; the
  nominal travel (0.25 m) is long enough that the smallest size (0.75, travel 0.1875 m) can still
  pass it. Joint limits and geometry do scale.
- The cabinet is a procedural box carcass rather than the reference's mesh, placed far enough out
  (centre x ~0.70 m) that the pulled handle stays in the Panda's comfortable workspace.
- The oracle grasps the vertical bar with the hand pitched 45 degrees down (a horizontal approach
  cannot reach handle heights around the shoulder), then pulls along the drawer axis.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pybullet as p
from colosseum_lite.tasks.base import PARKED, Keyframe, Role, Scales, Snapshot, Task

from colosseum_lite.assets import Geom, Joint, Link, Model, write_urdf
from colosseum_lite.robot import Gripper
from colosseum_lite.sim import Sim

VARIANTS = ("bottom", "middle", "top")
CENTER_X_M = (0.76, 0.80)  # cabinet centre range (layout centre), world x
CENTER_Y_M = (-0.1, 0.1)
OPEN_THRESHOLD_M = 0.15  # absolute, as in the reference (not scaled)
JOINT_FRICTION_N = 3.0
PITCH_DOWN_RAD = np.pi / 3  # approach pitched below horizontal (45 deg misses low handles)
PREGRASP_BACK_M = 0.10  # pre-grasp distance back along the approach axis
PULL_GOAL_M = 0.19  # drawer opening the oracle aims for (capped by the travel limit)
LIMIT_MARGIN_M = 0.01  # stay this far inside the travel limit when pulling
MAX_GRASPS = 3


@dataclass(frozen=True, slots=True)
class CabinetSpec:
    """Nominal cabinet dimensions (scale 1.0), in metres and kilograms.

    The cabinet frame has its origin at the carcass's bottom centre; +x points into the cabinet
    (away from the robot), drawers slide out along -x.
    """

    depth_m: float = 0.30
    width_m: float = 0.36
    height_m: float = 0.47
    plinth_m: float = 0.05  # raises the bottom drawer to where a pitched hand can reach it
    wall_m: float = 0.015
    drawer_depth_m: float = 0.26
    travel_m: float = 0.25
    handle_standoff_m: float = 0.035  # front face to bar centre
    handle_len_m: float = 0.08
    handle_half_m: float = 0.006  # bar half thickness
    carcass_mass_kg: float = 5.0
    drawer_mass_kg: float = 0.5
    handle_mass_kg: float = 0.05
    carcass_rgba: tuple[float, float, float, float] = (0.55, 0.62, 0.72, 1.0)
    drawer_rgba: tuple[float, float, float, float] = (0.88, 0.87, 0.82, 1.0)
    handle_rgba: tuple[float, float, float, float] = (0.2, 0.2, 0.22, 1.0)

    @property
    def slot_m(self) -> float:
        """Height of one drawer opening."""
        return (self.height_m - self.plinth_m - 4 * self.wall_m) / 3

    def slot_center_z(self, i: int) -> float:
        """Height of the centre of opening ``i`` (0 = bottom)."""
        return self.plinth_m + self.wall_m + i * (self.slot_m + self.wall_m) + self.slot_m / 2


SPEC = CabinetSpec()
# PyBullet numbers links depth first in URDF order: drawer i is joint 2i, its handle joint 2i+1.
DRAWER_JOINT = {v: 2 * i for i, v in enumerate(VARIANTS)}
HANDLE_LINK = {v: 2 * i + 1 for i, v in enumerate(VARIANTS)}


def _box(center, half, rgba) -> Geom:
    return Geom("box", tuple(half), tuple(center), rgba=rgba)


def _carcass(s: CabinetSpec) -> Link:
    """The fixed carcass: sides, back, top, bottom and two dividers; open at the front (-x)."""
    d, w, h, t = s.depth_m / 2, s.width_m / 2, s.height_m, s.wall_m / 2
    c = s.carcass_rgba
    geoms = [
        _box((0, w - t, h / 2), (d, t, h / 2), c),
        _box((0, -(w - t), h / 2), (d, t, h / 2), c),
        _box((d - t, 0, h / 2), (t, w - 2 * t, h / 2), c),
    ]
    for i in range(4):  # bottom, two dividers, top
        z = s.plinth_m + t + i * (s.slot_m + s.wall_m)
        geoms.append(_box((0, 0, z), (d, w - 2 * t, t), c))
    geoms.append(_box((-d + 0.02, 0, s.plinth_m / 2), (0.005, w - 2 * t, s.plinth_m / 2), c))  # kick plate
    return Link("carcass", tuple(geoms), s.carcass_mass_kg)


def _drawer(s: CabinetSpec, name: str) -> Link:
    """A drawer tray in its joint frame (front face centre at the origin, tray toward +x)."""
    t = s.wall_m / 2
    fw = s.width_m / 2 - 2 * t - 0.003  # front half width, 3 mm clearance to the sides
    fh = s.slot_m / 2 - 0.003
    tw, th, dd = fw - 0.01, s.slot_m * 0.3, s.drawer_depth_m
    c = s.drawer_rgba
    geoms = (
        _box((t, 0, 0), (t, fw, fh), c),  # front panel
        _box((dd / 2, 0, -fh + t), (dd / 2, tw, t), c),  # floor
        _box((dd / 2, tw - t, -fh + th), (dd / 2, t, th), c),
        _box((dd / 2, -(tw - t), -fh + th), (dd / 2, t, th), c),
        _box((dd - t, 0, -fh + th), (t, tw, th), c),  # back
    )
    return Link(name, geoms, s.drawer_mass_kg, (dd / 2, 0.0, -fh / 2))


def _handle(s: CabinetSpec, name: str) -> Link:
    """A vertical bar on two standoffs, in its own frame (bar centre at the origin)."""
    hb, hl, so = s.handle_half_m, s.handle_len_m / 2, s.handle_standoff_m
    c = s.handle_rgba
    geoms = (
        _box((0, 0, 0), (hb, hb, hl), c),
        _box((so / 2, 0, hl - hb), (so / 2, hb, hb), c),
        _box((so / 2, 0, -(hl - hb)), (so / 2, hb, hb), c),
    )
    return Link(name, geoms, s.handle_mass_kg)


def cabinet_model(s: CabinetSpec = SPEC) -> Model:
    """The nominal cabinet: carcass base link, then (drawer, handle) per opening, bottom first."""
    links, joints = [_carcass(s)], []
    front_x = -s.depth_m / 2
    for i, v in enumerate(VARIANTS):
        links += [_drawer(s, f"drawer_{v}"), _handle(s, f"handle_{v}")]
        joints.append(Joint(f"slide_{v}", "prismatic", "carcass", f"drawer_{v}",
                            xyz=(front_x, 0.0, s.slot_center_z(i)), axis=(-1.0, 0.0, 0.0),
                            lower=0.0, upper=s.travel_m))
        joints.append(Joint(f"grip_{v}", "fixed", f"drawer_{v}", f"handle_{v}",
                            xyz=(-s.handle_standoff_m, 0.0, 0.0)))
    return Model("open_drawer_cabinet", tuple(links), tuple(joints))


def pitched_quat(heading_rad: float, pitch_down_rad: float) -> tuple[float, float, float, float]:
    """Gripper orientation approaching along world heading ``heading_rad``, pitched down.

    The approach axis is horizontal at pitch 0 and points straight down at pi/2; the fingers
    close horizontally, across the heading.
    """
    return tuple(p.getQuaternionFromEuler((np.pi, pitch_down_rad - np.pi / 2, heading_rad)))


class OpenDrawer(Task):
    """Open the bottom, middle or top drawer of a cabinet by more than 0.15 m."""

    name = "open_drawer"
    objects = {"cabinet": Role.MO}
    variants = VARIANTS
    max_episode_steps = 20
    layout_yaw_rad = (-np.pi / 8, np.pi / 8)

    def instruction(self, variant: str) -> str:
        return f"open the {variant} drawer"

    def build(self, sim: Sim, scales: Scales) -> None:
        path = write_urdf(cabinet_model().scaled(scales.mo))
        sim.load_urdf("cabinet", path, PARKED, fixed=True)
        for v in VARIANTS:
            info = sim.client.getJointInfo(sim.id("cabinet"), DRAWER_JOINT[v])
            if info[1].decode() != f"slide_{v}":
                raise RuntimeError(f"cabinet joint {DRAWER_JOINT[v]} is {info[1]!r}, expected slide_{v}")
            sim.set_joint_friction("cabinet", DRAWER_JOINT[v], JOINT_FRICTION_N)
        # Generated URDFs name every material "m", so PyBullet keeps one colour per body: recolour.
        sim.set_color("cabinet", SPEC.carcass_rgba, links=[-1])
        sim.set_color("cabinet", SPEC.drawer_rgba, links=list(DRAWER_JOINT.values()))
        sim.set_color("cabinet", SPEC.handle_rgba, links=list(HANDLE_LINK.values()))

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("cabinet", layout.pose((0.0, 0.0, 0.0)))
        for v in VARIANTS:
            sim.set_joint_position("cabinet", DRAWER_JOINT[v], 0.0)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return snap["cabinet"].joints[DRAWER_JOINT[variant]] > OPEN_THRESHOLD_M

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        joint, handle = DRAWER_JOINT[variant], HANDLE_LINK[variant]
        upper = float(sim.client.getJointInfo(sim.id("cabinet"), joint)[9])
        goal = min(PULL_GOAL_M, upper - LIMIT_MARGIN_M)
        for _ in range(MAX_GRASPS):
            # The pull axis is the cabinet's -x axis in the world; the hand approaches along +x.
            yaw = sim.pose("cabinet").yaw_rad
            inward = np.array([np.cos(yaw), np.sin(yaw), 0.0])
            quat = pitched_quat(yaw, PITCH_DOWN_RAD)
            approach = np.array([*(np.cos(PITCH_DOWN_RAD) * inward[:2]), -np.sin(PITCH_DOWN_RAD)])
            bar = np.asarray(sim.pose("cabinet", handle).pos)
            yield Keyframe(tuple(bar - PREGRASP_BACK_M * approach), quat, Gripper.OPEN)
            yield Keyframe(tuple(bar), quat, Gripper.OPEN)
            yield Keyframe(tuple(bar), quat, Gripper.CLOSED)
            to_go = goal - sim.joint_position("cabinet", joint)
            ee = np.asarray(sim.pose("panda", 11).pos)
            yield Keyframe(tuple(ee - to_go * inward), quat, Gripper.CLOSED)
            if sim.joint_position("cabinet", joint) > OPEN_THRESHOLD_M:
                break
            ee = np.asarray(sim.pose("panda", 11).pos)
            yield Keyframe(tuple(ee), quat, Gripper.OPEN)
            yield Keyframe(tuple(ee - PREGRASP_BACK_M * approach), quat, Gripper.OPEN)
        ee = np.asarray(sim.pose("panda", 11).pos)
        yield Keyframe(tuple(ee), quat, Gripper.OPEN)
        yield Keyframe(tuple(ee - PREGRASP_BACK_M * approach), quat, Gripper.OPEN)
