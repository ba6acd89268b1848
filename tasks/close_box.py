"""close_box: swing the open lid of a box shut.

Task: a box (mo) fixed to the table, its lid on a stiff hinge (4 Nm emulated friction at scale 1)
on the far wall, open 150-170 degrees and leaning back over the table; a low fence behind it.
Randomizations: layout centre and yaw (+-pi/8), start angle.
Success: the hinge angle is within 0.35 rad of closed.
Oracle: closed fingers come down beyond the free edge, lift it up and over vertical along its
arc, then press the lid down; every keyframe re-reads the hinge.
Dense reward: reach over the spot beyond the edge (0-1/4), come down (1/4-1/2), swing the lid
(1/2-3/4: its angle, and the hand at the next push point); 1.0 only at success.
Departures from the reference: a procedural box fixed to the table, a start range of at least the
reference's swing, self-collision between lid and walls, and the fence that keeps random sweeps
from catching the lid. Why, with measurements: docs/tasks/close_box.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import HingedLidBox
from colosseum_lite.robot import Gripper, top_down_quat, wrap_grasp_yaw
from colosseum_lite.sim import Quat, Sim, VecLike, rotation_matrix, vec3, yaw_of
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import joint_within
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import retreat, swing

BOX = "box"
HINGE, LID = HingedLidBox.HINGE, HingedLidBox.LID
CLOSED_TOL_RAD = 0.35
OPEN_RANGE_RAD = (np.deg2rad(150.0), np.deg2rad(170.0))
# The box at scale 1; a lid opened as far as the start range stays 6 cm short of the backstop.
LID_BOX = HingedLidBox(backstop_open_rad=OPEN_RANGE_RAD[1], name="close_box_box")
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

    @classmethod
    def of(cls, origin: VecLike, base_quat: VecLike, angle_rad: float,
           box: HingedLidBox) -> _Hinge:
        """The hinge with its line's centre at ``origin`` on a box turned ``base_quat`` (world frame)."""
        return cls(np.asarray(origin), -rotation_matrix(base_quat)[:, 0], yaw_of(base_quat), angle_rad,
                   box.lid_length_m, box.lid_thickness_m)


def _read_hinge(sim: Sim, box: HingedLidBox) -> _Hinge:
    """The hinge of the box in the simulator: where its line is (the lid's frame) and the lid's angle now."""
    return _Hinge.of(sim.pose(BOX, LID).pos, sim.pose(BOX).quat, sim.joint_position(BOX, HINGE), box)


def _hinge_of(snap: Snapshot, box: HingedLidBox) -> _Hinge:
    """The hinge of the box in a snapshot, from the base pose and the box's dimensions."""
    state = snap[BOX]
    origin = state.pos + rotation_matrix(state.quat) @ np.asarray(box.hinge_xyz_m)
    return _Hinge.of(origin, state.quat, state.joint(HINGE), box)


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
    return Keyframe(vec3(pos), quat, Gripper.CLOSED)


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
        self._box = LID_BOX  # replaced by build with the box at its built size

    def instruction(self, variant: str) -> str:
        return "close the box"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._box = LID_BOX.scaled(scales.mo)
        sim.load_urdf(BOX, write_urdf(self._box.model()), fixed=True, self_collision=True)
        sim.set_joint_friction(BOX, HINGE, JOINT_FRICTION_NM * scales.mo)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose(BOX, layout.pose((0.0, 0.0, 0.0)))
        sim.set_joint_position(BOX, HINGE, float(rng.uniform(*OPEN_RANGE_RAD)))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """Where the closed fingers come down beyond the lid's free edge to start lifting it."""
        h = _read_hinge(sim, self._box)
        a, _ = _contact(h, h.angle_rad)
        spot = h.world(a - APPROACH_CLEAR_M, 0.0)
        return ((float(spot[0]), float(spot[1]), KEEP_CLEAR_RADIUS_M),)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return joint_within(BOX, HINGE, 0.0, CLOSED_TOL_RAD)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach over the spot beyond the free edge, come down, swing the lid shut (in full: docs/tasks)."""
        h = _hinge_of(snap, self._box)
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
            h = _read_hinge(sim, self._box)
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
            yield from swing(lambda: sim.joint_position(BOX, HINGE), self._push_point(sim), quat,
                             lead_rad=LEAD_RAD, goal_rad=CLOSED_TARGET_RAD, done_rad=DONE_RAD, pushes=MAX_PUSHES,
                             max_stalls=MAX_STALLS, stall_rad=STALL_RAD)
            yield from retreat(lambda: grasp_target(sim), quat, Gripper.CLOSED, by_m=(0.0, 0.0, ABOVE_M))

    def _push_point(self, sim: Sim) -> Callable[[float], np.ndarray]:
        """Where the closed fingers push the lid standing at an angle, from the hinge as it is now."""
        def point(angle_rad: float) -> np.ndarray:
            h = _read_hinge(sim, self._box)
            return _finger_point(h, *_contact(h, angle_rad))
        return point
