"""turn_oven_on: grasp the leftmost knob on an oven's control panel and turn it on.

Task: an oven (mo) fixed to the table facing the robot, four dial knobs with grip bars on a panel
slanted 60 degrees back along its front top edge; each knob turns either way against 0.3 Nm of
emulated friction, off at 0, on counter-clockwise (as seen from the front).
Randomizations: layout centre and yaw (+-pi/4, the oven keeps facing the robot), every knob's
start angle within 0.2 rad of off.
Success: the leftmost knob turned past 1.5 rad in the fingers and held there (the other knobs do
not count, nor does a knob knocked round by a sweep of the arm, even grasped afterwards).
Oracle: comes in along the knob's axis with the fingers across its bar, closes on it, and turns
the wrist about that axis in six 0.3 rad keyframes; of the two grasps a half turn apart it takes
the one that leaves the wrist room to turn.
Dense reward: reach the leftmost knob's bar (0-1/3), then grasp it and turn it toward 1.5 rad
(1/3-2/3); 1.0 only at success.
Departures from the reference: a procedural oven with its knobs on a slanted panel at 0.17 m (a
vertical front would need them at 0.4 m or higher to be reached); the knob must be held.
Why, with measurements: docs/tasks/turn_oven_on.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import KnobOven
from colosseum_lite.robot import FINGER_JOINTS, FINGERTIP_BELOW_EE_M, HOLDING_WIDTH_M, LOWER, Gripper
from colosseum_lite.sim import Quat, Sim, quat_from_matrix, rotation_matrix, vec3
from colosseum_lite.tasks.base import PANDA, Keyframe, Snapshot, Task, grasp_target, take_snapshot
from colosseum_lite.tasks.conditions import joint_past
from colosseum_lite.tasks.predicates import approach, fraction, staged_reward
from colosseum_lite.tasks.skills import arrive

OVEN_PART = KnobOven(name="turn_oven_on_oven")  # knobs at scale 1
KNOB = 0  # the leftmost, seen from the front
JOINT, DIAL = OVEN_PART.knob_joint(KNOB), OVEN_PART.knob_link(KNOB)
ON_RAD = 1.5  # absolute, as in the reference
START_OFF_RAD = 0.2  # every knob starts within this of off
# Task state: the leftmost knob's angle when the fingers closed on its bar (nan while they are not
# closed on anything; inf when they closed on something else first). The knob must pass ON_RAD in them.
GRASPED_AT = "grasped_at"
KNOB_FRICTION_NM = 0.3
# The layout centre is a point in front of the oven; the layout yaw swings the oven about it, so
# the oven keeps facing the robot.
CENTER_X_M = (0.56, 0.62)
CENTER_Y_M = (-0.16, -0.04)
OVEN_OFFSET_M = 0.2  # layout centre to oven centre, along the layout's +x
PREGRASP_M = 0.09  # the pre-grasp, out along the knob's axis from the grasp
TIP_CLEARANCE_M = 0.003  # the closed fingertips stop this far off the dial's face
GRIP_TOL_M = 0.002  # the open fingers go round the bar only this near the grip ...
GRIP_TRIES = 3  # ... in up to this many keyframes
TURN_STEPS_RAD = (0.3,) * 6  # the wrist's turns, one keyframe each
WRIST_MARGIN_RAD = 0.1  # joint 7 stays this far inside its limit
KEEP_CLEAR_RADIUS_M = 0.08  # distractors stay out of the arm's way in front of the panel
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.02  # dense reward: distance scale of its fine half
AT_BAR_M = 0.015  # the fingers closed with the grasp target this near the bar hold the knob ...
GRIP_SLACK_M = 0.012  # ... opened no more than this beyond the bar's width (a turning bar levers them apart)
LET_GO_SLACK_M = 0.024  # the fingers opened this far beyond the bar's width have let go of it


def knob_frame(pos: np.ndarray, quat: Quat, oven: KnobOven, angle_rad: float) -> tuple[np.ndarray, np.ndarray,
                                                                                       np.ndarray]:
    """Knob ``KNOB``'s axis point on the panel face, its outward axis and its bar's direction (world)."""
    rot = rotation_matrix(quat)
    axis_w = rot @ oven.normal
    up = rot @ oven.up_panel
    left = np.cross(axis_w, up)
    bar = np.cos(angle_rad) * up + np.sin(angle_rad) * left
    return pos + rot @ np.asarray(oven.knob_xyz_m(KNOB)), axis_w, bar


def grip_point(origin: np.ndarray, axis_w: np.ndarray, oven: KnobOven) -> np.ndarray:
    """The grasp target on the knob's axis: fingertips just off the dial's face, pads on the bar."""
    k = oven.knob
    out = k.face_m + max(k.bar_height_m / 2, FINGERTIP_BELOW_EE_M + TIP_CLEARANCE_M)
    return origin + out * axis_w


def gripper_quat(axis_w: np.ndarray, bar: np.ndarray, roll_rad: float) -> Quat:
    """The hand pointing into the knob along its axis, fingers closing across the bar, rolled about
    the approach by ``roll_rad`` (pi: the same grasp with the wrist a half turn round)."""
    z = -axis_w
    y = np.cross(axis_w, bar)  # across the bar, in the panel's plane
    y = np.cos(roll_rad) * y + np.sin(roll_rad) * np.cross(z, y)
    return quat_from_matrix(np.column_stack([np.cross(y, z), y, z]))


class TurnOvenOn(Task):
    """Turn the oven's leftmost knob on."""

    name = "turn_oven_on"
    objects = {"oven": Role.MO}
    axes = {"mo_color": axis(), "mo_size": axis(range=(0.5, 1.5)), "distractor": axis(count=2)}
    sized_links = {"oven": tuple(OVEN_PART.knob_link(i) for i in range(OVEN_PART.knobs))}
    max_episode_steps = 25
    max_delta_steps = 200
    layout_yaw_rad = (-np.pi / 4, np.pi / 4)

    def __init__(self) -> None:
        self._oven = OVEN_PART  # replaced by build with the knobs at their built size

    def instruction(self, variant: str) -> str:
        return "turn on the oven"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._oven = OVEN_PART.with_knob_scale(scales.mo)
        sim.load_urdf("oven", write_urdf(self._oven.model()), fixed=True)
        for i in range(self._oven.knobs):
            sim.set_joint_friction("oven", self._oven.knob_joint(i), KNOB_FRICTION_NM)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("oven", layout.pose((OVEN_OFFSET_M, 0.0, 0.0)))
        for i in range(self._oven.knobs):
            sim.set_joint_position("oven", self._oven.knob_joint(i), float(rng.uniform(0.0, START_OFF_RAD)))
        sim.task_state[GRASPED_AT] = np.array([np.nan])

    def substep(self, sim: Sim) -> None:
        """Remember the knob's angle when the fingers come to hold its bar, and forget it when they
        open: a knob knocked past on by a sweep of the arm and grasped there is not turned on."""
        state = sim.task_state.get(GRASPED_AT)
        if state is None:
            return
        width = float(sum(sim.joint_positions(PANDA, FINGER_JOINTS)))
        if width > self._oven.knob.bar_width_m + LET_GO_SLACK_M:
            state[0] = np.nan  # opened: let go (a turning bar levers them apart by less)
        elif np.isnan(state[0]) and width >= HOLDING_WIDTH_M:  # closing on something: read until they hold it
            snap = take_snapshot(sim, self.body_names())
            if self.held_at_bar(snap):
                state[0] = snap["oven"].joint(JOINT)
            elif not self._near_bar(snap):
                state[0] = np.inf

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The lane in front of the knob where the arm comes in."""
        pose = sim.pose("oven")
        origin, axis_w, _ = knob_frame(np.asarray(pose.pos), pose.quat, self._oven, 0.0)
        flat = axis_w[:2] / np.linalg.norm(axis_w[:2])
        return tuple((*(origin[:2] + t * flat), KEEP_CLEAR_RADIUS_M) for t in (0.05, 0.15))

    def _grip(self, snap: Snapshot) -> tuple[float, float]:
        """The leftmost knob's angle, and the grasp target's distance from its grip point."""
        oven = snap["oven"]
        angle = oven.joint(JOINT)
        origin, axis_w, _ = knob_frame(oven.pos, tuple(oven.quat), self._oven, angle)
        return angle, float(np.linalg.norm(snap.ee_pos - grip_point(origin, axis_w, self._oven)))

    def _held(self, snap: Snapshot, to_bar: float) -> bool:
        closed_on_bar = HOLDING_WIDTH_M <= snap.gripper_width_m <= self._oven.knob.bar_width_m + GRIP_SLACK_M
        return to_bar < AT_BAR_M and closed_on_bar and "oven" in snap.touched

    def held_at_bar(self, snap: Snapshot) -> bool:
        """The fingers are closed on the leftmost knob's bar: the grasp target at the bar, the
        opening about the bar's width, the oven touched (a turning bar may press on one finger only)."""
        return self._held(snap, self._grip(snap)[1])

    def _near_bar(self, snap: Snapshot) -> bool:
        return self._grip(snap)[1] < AT_BAR_M

    def success(self, snap: Snapshot, variant: str) -> bool:
        grasped_at = float(snap.task_state[GRASPED_AT][0]) if GRASPED_AT in snap.task_state else -np.inf
        return grasped_at < ON_RAD and joint_past("oven", JOINT, ON_RAD)(snap) and self.held_at_bar(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the leftmost knob's bar, then grasp and turn it (in full: docs/tasks)."""
        angle, to_bar = self._grip(snap)  # read once: success is the turn past ON_RAD while held
        if self._held(snap, to_bar):
            return staged_reward(self.success(snap, variant), 1, fraction(angle, START_OFF_RAD, ON_RAD), 2)
        return staged_reward(False, 0, approach(to_bar, REACH_SCALE_M, REACH_FINE_SCALE_M), 2)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        def frame() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            pose = sim.pose("oven")
            return knob_frame(np.asarray(pose.pos), pose.quat, self._oven, sim.joint_position("oven", JOINT))

        origin, axis_w, bar = frame()
        grip = grip_point(origin, axis_w, self._oven)
        turn = float(sum(TURN_STEPS_RAD))
        roll = 0.0
        for roll in (np.pi, 0.0):  # the grasp whose wrist (joint 7) can still turn by `turn`
            yield Keyframe(vec3(grip + PREGRASP_M * axis_w), gripper_quat(axis_w, bar, roll), Gripper.OPEN)
            if sim.joint_position(PANDA, 6) - turn > LOWER[6] + WRIST_MARGIN_RAD:
                break
        at_grip = Keyframe(vec3(grip), gripper_quat(axis_w, bar, roll), Gripper.OPEN)
        yield from arrive(at_grip, lambda: grasp_target(sim), GRIP_TRIES, GRIP_TOL_M)  # a long move ends near it
        yield Keyframe(vec3(grasp_target(sim)), gripper_quat(axis_w, bar, roll), Gripper.CLOSED)
        turned = 0.0
        for step in TURN_STEPS_RAD:
            turned += step
            origin, axis_w, _ = frame()
            yield Keyframe(vec3(grip_point(origin, axis_w, self._oven)), gripper_quat(axis_w, bar, roll - turned),
                           Gripper.CLOSED)
