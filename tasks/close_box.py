"""close_box: swing the open lid of a box shut.

The box (mo) is one generated URDF: a fixed, open-topped base of five boxes (bottom and four
walls) and a lid link on a revolute hinge along the top of the wall farthest from the robot,
1 cm outside its outer face like a hinge screwed to the back (joint 0, 0 = closed, positive =
open away from the robot). The lid starts open between 150 and 170 degrees, leaning back
beyond the box over the table; pushed further open it comes to rest on the table behind the
box (about 215 degrees). Closing it takes a deliberate motion from beyond the box toward the
robot that lifts the free edge up and over vertical, then a press down along its arc. Sweeps
from the robot's side push the lid further open, and once it lies on the table a top-down
finger cannot get under it again (only a rare whole-arm sweep along the table does). The
layout turns the box by up to +-pi/8 about the vertical.

The hinge is stiff: emulated joint friction of 4 Nm at scale 1 (about 40 times the lid's
gravity torque) holds the lid exactly where it is left, and only a firm push near the free edge
(31 N at every size: the friction scales with size like the lid's length) turns it. A glancing
or low-leverage contact of a passing arm link does not. Behind the box, 6 cm beyond the free
edge of a lid opened to 170 degrees, stands a 12 cm fence (part of the fixed base, 10 cm wider
than the box on each side): a hand swept toward the robot along the table from behind meets
the fence, not the lid, while the fingers still come down between the fence and the edge. It is
low enough that the front camera sees the lid over it. Start range, friction, fence and the
25-keyframe budget keep a random policy from closing the box by accident: with 2 Nm, no fence
and 40 keyframes, random top-down keyframes closed 8 of 100 episodes and uniform random
keyframes 5 of 100; with this design (and keyframe moves that never leap into another arm
posture) 1 of 100 and 0 of 100 (seeds 7000-7099) at 0.3 m/s keyframe moves. Since free-space
moves run at 1 m/s, uniform random keyframes close it 2 of 100 (seeds 7021 and 7071; 1 of 50 in
bench/validity.py), under the 5% bound; at 0.5 m/s 1 of 100.

Success: the lid's hinge angle is within 0.35 rad of closed.

Departures from the reference (RLBench ``close_box``):
- The box is procedural (base 12 cm deep, 16 cm wide, 8 cm tall at scale 1; lid 13 cm to
  cover the hinge offset) instead of the reference's mesh. The start angle is drawn per episode
  from 150-170 degrees, at least the reference's 2.6 rad swing. The success tolerance
  (0.35 rad) does not scale.
- The base is fixed to the table: a light free box would be shoved around by the pushes that
  close the lid, which is not what the task is about (and no mass/friction axis applies here).
- Lid and base collide with each other (PyBullet skips parent-child collisions by default), so
  the closed lid rests on the walls and a press does not push it through the box (a slam at
  tens of rad/s can sink it a few degrees into the thin walls, which still counts as closed).
  A 2 mm gap under the hinge keeps the lid from rubbing on the wall while it turns.
- The box stands close to the robot (centre x 0.47-0.53 m) so that the free edge of a lid
  opened to 170 degrees, up to 15 cm beyond the hinge at mo scale 1.15, stays within the
  Panda's top-down reach at every layout yaw (the oracle's farthest keyframe, at the largest
  box, is 0.77 m from the robot's base).
- The fence behind the box is not in the reference; it is what keeps random sweeps from
  catching the lid from behind (see above).

Oracle: with the fingers closed and pointing down, it comes down beyond the free edge, puts the
finger's side against the edge (fingertip 3 cm below it) and moves along the edge's arc toward
the robot, lifting the lid up and over vertical; below 50 degrees it presses the lid's outer
face near the edge along the arc down to closed. Each keyframe reads the hinge pose, the joint
angle and the lid's dimensions from the simulator and leads the lid by a few degrees.

Dense reward (``reward_mode="dense"``; :func:`~colosseum_lite.tasks.predicates.staged_reward`,
three stages, 1.0 only at success), computed from the box's pose and hinge angle:
- stage 0, reach over (0-1/4): the grasp target nears a point 8 cm above the spot beyond the
  free edge where the oracle's fingers come down, as the mean of ``1 - tanh(d / 0.3 m)`` and
  ``1 - tanh(d / 0.03 m)`` (a slope from afar and over the last centimetres);
- stage 1, come down (1/4-1/2), once the hand is within 3 cm of that spot horizontally and not
  above the approach point: ``1 - tanh(d / 0.05 m)`` to the spot itself;
- stage 2, close (1/2-3/4), once the lid has turned below 145 degrees or the hand touches the
  box within 3 cm of where the oracle's finger would push next: 0.8 of the stage for the
  lid's linear progress from 170 degrees (the widest start) to the success tolerance (0.35 rad)
  and 0.2 for the hand
  staying where the oracle's finger would push next (the free edge 10 degrees ahead, or the outer
  face near it once below 50 degrees).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from colosseum_lite.assets import Geom, Joint, Link, Model, write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.robot import Gripper, top_down_quat, wrap_grasp_yaw
from colosseum_lite.sim import Quat, Sim, rotation_matrix
from colosseum_lite.tasks.base import PARKED, Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import joint_within
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward

BOX = "box"
HINGE, LID = "hinge", "lid"  # the box model's joint and link names
CLOSED_TOL_RAD = 0.35
OPEN_RANGE_RAD = (np.deg2rad(150.0), np.deg2rad(170.0))
JOINT_FRICTION_NM = 4.0  # at scale 1; scales with size, so closing takes the same push at the free edge
CENTER_X_M = (0.47, 0.53)  # box centre, world x
CENTER_Y_M = (-0.12, 0.12)  # box centre, world y

# Oracle geometry. The Panda's closed fingers, pointing down with the hand's x axis along the
# push, are 17-21 mm thick along it (collision hull); the fingertips reach 11 mm below the grasp
# target, and their sides are vertical from 3 to 18 mm above the tips.
FINGER_HALF_M = 0.010
FINGERTIP_BELOW_EE_M = 0.011
LEAD_RAD = np.deg2rad(10.0)  # how far each keyframe leads the lid
EDGE_BELOW_M = 0.03  # fingertip below the free edge while lifting (less rides up onto it)
PRESS_INSET_M = 0.02  # press this far in from the free edge
PRESS_DEPTH_M = 0.003  # aim this far into the lid's outer face
LIFT_TO_PRESS_RAD = np.deg2rad(50.0)  # below this angle, press down instead of pushing the edge
CLOSED_TARGET_RAD = -0.03  # the last keyframes press just past closed (the walls stop the lid)
DONE_RAD = 0.08
APPROACH_CLEAR_M = 0.004  # gap between finger and edge before the first push
ABOVE_M = 0.08  # approach height above the free edge
MAX_APPROACHES = 3
KEEP_CLEAR_RADIUS_M = 0.06  # distractors stay this far from where the fingers come down
MAX_PUSHES = 30
MAX_STALLS = 2
STALL_RAD = np.deg2rad(0.5)  # less progress than this in a push counts as a stall
# Dense reward.
REACH_SCALE_M = 0.3
REACH_FINE_SCALE_M = 0.03
DESCEND_SCALE_M = 0.05
AT_EDGE_M = 0.03  # hand this near where the finger pushes next, touching the box: closing
OVER_SPOT_XY_M = 0.03  # hand this near the spot beyond the edge (horizontally): coming down
TURNED_RAD = np.deg2rad(145.0)  # the lid below this has been turned toward closed
CLOSE_SHARE = 0.8  # share of the close stage earned by the lid's progress


@dataclass(frozen=True, slots=True)
class BoxSpec:
    """Nominal box dimensions (scale 1.0), in metres and kilograms.

    The box frame has its origin at the bottom centre; +x points from the near wall (toward the
    robot) to the far wall, which carries the hinge; z up.
    """

    depth_m: float = 0.12  # along x, near wall to far (hinge) wall
    width_m: float = 0.16
    height_m: float = 0.08
    wall_m: float = 0.008
    lid_m: float = 0.01  # lid thickness
    hinge_gap_m: float = 0.002  # between the wall tops and the closed lid
    base_mass_kg: float = 1.0
    lid_mass_kg: float = 0.15
    base_rgba: tuple[float, float, float, float] = (0.25, 0.42, 0.68, 1.0)
    lid_rgba: tuple[float, float, float, float] = (0.42, 0.6, 0.85, 1.0)
    hinge_out_m: float = 0.01  # hinge line outside the far wall's outer face
    max_open_rad: float = np.deg2rad(240.0)  # past where the table stops the lid
    backstop_gap_m: float = 0.06  # from the free edge of a lid open at 170 degrees to the backstop
    backstop_height_m: float = 0.12
    backstop_m: float = 0.015  # thickness
    backstop_margin_m: float = 0.1  # beyond the box's side walls, each side


SPEC = BoxSpec()


def box_model(s: BoxSpec = SPEC) -> Model:
    """The nominal box: open-topped base link, then the lid on a hinge behind the far wall's top."""
    d, w, h, t = s.depth_m / 2, s.width_m / 2, s.height_m, s.wall_m / 2
    c = s.base_rgba
    wall_h = (h - s.wall_m) / 2  # half height of the walls above the bottom
    wall_z = s.wall_m + wall_h
    base = (
        Geom("box", (d, w, t), (0.0, 0.0, t), rgba=c),  # bottom
        Geom("box", (t, w, wall_h), (-d + t, 0.0, wall_z), rgba=c),  # near wall
        Geom("box", (t, w, wall_h), (d - t, 0.0, wall_z), rgba=c),  # far (hinge) wall
        Geom("box", (d - 2 * t, t, wall_h), (0.0, w - t, wall_z), rgba=c),
        Geom("box", (d - 2 * t, t, wall_h), (0.0, -(w - t), wall_z), rgba=c),
    )
    half_len = d + s.hinge_out_m / 2  # of the lid, hinge to free edge
    stop_x = (d + s.hinge_out_m + 2 * half_len * np.cos(np.pi - OPEN_RANGE_RAD[1]) + s.backstop_gap_m
              + s.backstop_m / 2)
    backstop = Geom("box", (s.backstop_m / 2, w + s.backstop_margin_m, s.backstop_height_m / 2),
                    (stop_x, 0.0, s.backstop_height_m / 2), rgba=c)
    lid = Geom("box", (half_len, w, s.lid_m / 2), (-half_len, 0.0, s.lid_m / 2), rgba=s.lid_rgba)
    hinge = Joint(HINGE, "revolute", "base", LID, xyz=(d + s.hinge_out_m, 0.0, h + s.hinge_gap_m),
                  axis=(0.0, 1.0, 0.0), lower=-0.05, upper=s.max_open_rad)
    return Model("close_box_box", (Link("base", (*base, backstop), s.base_mass_kg),
                                   Link(LID, (lid,), s.lid_mass_kg, (-half_len, 0.0, s.lid_m / 2))),
                 (hinge,))


@dataclass(frozen=True, slots=True)
class _Hinge:
    """The lid's hinge as the oracle reads it: origin, in-plane axes, angle and lid size."""

    origin: np.ndarray  # world position of the hinge line's centre
    out: np.ndarray  # world horizontal unit vector from the hinge toward the near wall (robot)
    yaw_rad: float
    angle_rad: float
    length_m: float  # hinge to free edge
    thickness_m: float

    def world(self, a: float, b: float) -> np.ndarray:
        """World point at ``a`` along ``out`` and ``b`` up from the hinge."""
        return self.origin + a * self.out + np.array([0.0, 0.0, b])

    def face_point(self, angle_rad: float, radius_m: float, depth_m: float = 0.0) -> np.ndarray:
        """(a, b) of the point ``radius_m`` from the hinge on the outer face at ``angle_rad``."""
        u = np.array([np.cos(angle_rad), np.sin(angle_rad)])
        n = np.array([-np.sin(angle_rad), np.cos(angle_rad)])  # outer face normal
        return radius_m * u + (self.thickness_m - depth_m) * n


def _read_hinge(sim: Sim) -> _Hinge:
    """Read the hinge pose, the lid angle and the lid's real dimensions."""
    link = sim.pose(BOX, LID)
    base = sim.pose(BOX)
    out = -rotation_matrix(base.quat)[:, 0]
    dims = sim.shape_extents(BOX, LID)
    return _Hinge(np.asarray(link.pos), out, base.yaw_rad, sim.joint_position(BOX, HINGE),
                  float(dims[0]), float(dims[2]))


def _hinge_of(snap: Snapshot, scale: float, s: BoxSpec = SPEC) -> _Hinge:
    """The hinge computed from a snapshot: the box's base pose and lid angle at a built scale."""
    box = snap[BOX]
    rot = rotation_matrix(box.quat)
    local = np.array([s.depth_m / 2 + s.hinge_out_m, 0.0, s.height_m + s.hinge_gap_m]) * scale
    return _Hinge(box.pos + rot @ local, -rot[:, 0], box.yaw_rad, box.joint(HINGE),
                  (s.depth_m + s.hinge_out_m) * scale, s.lid_m * scale)


def _finger_point(h: _Hinge, a: float, tip_b: float) -> np.ndarray:
    """World grasp-target position putting the closed fingertips at ``(a, tip_b)`` in the hinge plane."""
    return h.world(a, tip_b + FINGERTIP_BELOW_EE_M)


def _pointing_down_quat(yaw_rad: float) -> Quat:
    """Gripper pointing down with the hand's x axis (across the closing axis) at world ``yaw_rad``."""
    return top_down_quat(wrap_grasp_yaw(yaw_rad))


def _contact(h: _Hinge, angle_rad: float) -> tuple[float, float]:
    """Finger centre ``a`` and fingertip height ``b`` (hinge plane) touching the lid at ``angle_rad``.

    Above ``LIFT_TO_PRESS_RAD`` the finger's side pushes the free edge from beyond (the side away
    from the hinge), its tip below the edge; below it, the fingertip presses on the outer face
    near the edge.
    """
    if angle_rad > LIFT_TO_PRESS_RAD:
        edge = h.face_point(angle_rad, h.length_m)
        return float(edge[0]) - FINGER_HALF_M, float(edge[1]) - EDGE_BELOW_M
    pt = h.face_point(angle_rad, h.length_m - PRESS_INSET_M, PRESS_DEPTH_M)
    return float(pt[0]) - FINGER_HALF_M, float(pt[1])


def _finger_keyframe(h: _Hinge, a: float, tip_b: float, quat: Quat) -> Keyframe:
    """Keyframe putting the closed fingertips at ``(a, tip_b)`` in the hinge plane."""
    pos = h.world(a, tip_b + FINGERTIP_BELOW_EE_M)
    return Keyframe(tuple(float(v) for v in pos), quat, Gripper.CLOSED)


class CloseBox(Task):
    """Close the hinged lid of a box that starts open."""

    name = "close_box"
    objects = {BOX: Role.MO}
    axes = {"mo_color": axis(), "mo_texture": axis(), "mo_size": axis(range=(0.75, 1.15)),
            "distractor": axis(count=2)}
    max_episode_steps = 25
    max_delta_steps = 300  # ee_delta: an oracle-following ee_delta controller took 97-213 steps (20 seeds)
    layout_yaw_rad = (-np.pi / 8, np.pi / 8)

    def __init__(self) -> None:
        self._scale = 1.0  # replaced by build with the built size

    def instruction(self, variant: str) -> str:
        return "close the box"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._scale = scales.mo
        sim.load_urdf(BOX, write_urdf(box_model().scaled(scales.mo)), PARKED, fixed=True, self_collision=True)
        sim.set_joint_friction(BOX, HINGE, JOINT_FRICTION_NM * scales.mo)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose(BOX, layout.pose((0.0, 0.0, 0.0)))
        sim.set_joint_position(BOX, HINGE, float(rng.uniform(*OPEN_RANGE_RAD)))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """Where the closed fingers come down beyond the lid's free edge to start lifting it."""
        h = _read_hinge(sim)
        a, _ = _contact(h, h.angle_rad)
        spot = h.world(a - APPROACH_CLEAR_M, 0.0)
        return ((float(spot[0]), float(spot[1]), KEEP_CLEAR_RADIUS_M),)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return joint_within(BOX, HINGE, 0.0, CLOSED_TOL_RAD)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach over the spot beyond the free edge, come down, swing the lid shut (module doc)."""
        h = _hinge_of(snap, self._scale)
        success = self.success(snap, variant)
        a, tip = _contact(h, max(h.angle_rad - LEAD_RAD, CLOSED_TARGET_RAD))
        to_push = float(np.linalg.norm(snap.ee_pos - _finger_point(h, a, tip)))
        if h.angle_rad < TURNED_RAD or (BOX in snap.touched and to_push < AT_EDGE_M):
            push = closeness(to_push, DESCEND_SCALE_M)
            lid = fraction(h.angle_rad, OPEN_RANGE_RAD[1], CLOSED_TOL_RAD)
            return staged_reward(success, 2, CLOSE_SHARE * lid + (1 - CLOSE_SHARE) * push, 3)
        a, tip = _contact(h, h.angle_rad)
        spot = _finger_point(h, a - APPROACH_CLEAR_M, tip)
        above = _finger_point(h, a - APPROACH_CLEAR_M, max(tip, h.length_m) + ABOVE_M)
        if np.linalg.norm(snap.ee_pos[:2] - spot[:2]) < OVER_SPOT_XY_M and snap.ee_pos[2] <= above[2]:
            return staged_reward(success, 1, closeness(float(np.linalg.norm(snap.ee_pos - spot)),
                                                       DESCEND_SCALE_M), 3)
        return staged_reward(success, 0, approach(float(np.linalg.norm(snap.ee_pos - above)), REACH_SCALE_M,
                                                  REACH_FINE_SCALE_M), 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        for _ in range(MAX_APPROACHES):
            h = _read_hinge(sim)
            if h.angle_rad < DONE_RAD:
                break
            quat = _pointing_down_quat(h.yaw_rad)
            a, tip = _contact(h, h.angle_rad)
            if h.angle_rad > LIFT_TO_PRESS_RAD:
                a -= APPROACH_CLEAR_M
            else:
                tip += APPROACH_CLEAR_M
            yield _finger_keyframe(h, a, max(tip, h.length_m) + ABOVE_M, quat)
            yield _finger_keyframe(h, a, tip, quat)
            stalls = 0
            for _ in range(MAX_PUSHES):
                h = _read_hinge(sim)
                if h.angle_rad < DONE_RAD or stalls >= MAX_STALLS:
                    break
                yield _finger_keyframe(h, *_contact(h, max(h.angle_rad - LEAD_RAD, CLOSED_TARGET_RAD)), quat)
                moved = h.angle_rad - sim.joint_position(BOX, HINGE)
                stalls = stalls + 1 if moved < STALL_RAD else 0
            ee = grasp_target(sim)
            yield Keyframe(tuple(float(v) for v in ee + [0.0, 0.0, ABOVE_M]), quat, Gripper.CLOSED)
