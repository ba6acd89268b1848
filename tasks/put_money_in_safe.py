"""put_money_in_safe: put a stack of banknotes on the named shelf (bottom, middle or top) of a safe.

Task: a money stack (mo) lying on the table beside a safe (ro) fixed to the table facing the robot,
three open compartments stacked vertically, its door standing wide open on the other side.
Randomizations: layout centre and yaw (the reference's [0, pi/2] read as a turn of width pi/2
about the safe facing the robot: -pi/4..pi/4, so its opening stays in reach), where the stack
lies beside the safe and its yaw (within pi/8 of the safe's axis), variant.
Success: every corner of the stack inside the named compartment, the stack flat and not grasped.
Oracle: grasps the stack a quarter of its length in from its near end with the hand pitched 60
degrees down, carries it level into the compartment as far as the fingertips go, lets go, and
pushes its near end in with the closed fingertips until the whole stack is inside.
Dense reward: reach the grip point (0-1/4); grasp and carry the stack to the compartment's mouth
(1/4-1/2); with its centre in the named compartment, push its near end in (1/2-3/4).
Departures from the reference: procedural parts; compartments 9 cm high (a top-down hand does not
fit, a pitched one reaches 2 cm in); the mo_size axis is harder for the oracle below scale 0.6,
where the 1.5-1.8 cm stack is held only near the fingertips, whose pads converge, and pivots in the
grasp (most such episodes fail). Why, with measurements: docs/tasks/put_money_in_safe.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import MoneyStack, ShelvedSafe
from colosseum_lite.robot import Gripper
from colosseum_lite.sim import Sim, rotation_matrix, to_world, vec3
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, not_grasped, upright, wholly_inside
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import arrive, pitched_quat, retreat

MONEY_PART = MoneyStack(name="put_money_stack")  # at scale 1
SAFE_PART = ShelvedSafe(name="put_money_safe")
VARIANTS = SAFE_PART.levels
# The layout centre is the middle of the safe's open front; the layout yaw swings the safe about
# it, so the safe keeps facing the robot. The stack lies beside the safe, on the side away from
# its door, level with its front (farther out the pitched hand reaches the table well).
CENTER_X_M = (0.62, 0.66)
CENTER_Y_M = (-0.04, 0.04)
MONEY_ALONG_M = (-0.02, 0.06)  # the stack's centre in the layout frame: along +x ...
MONEY_ACROSS_M = (-0.235, -0.205)  # ... and across: beside the safe, away from the door
MONEY_YAW_RAD = np.pi / 8  # the stack's long axis within this of the safe's
MONEY_FRICTION = 1.0
MONEY_SPINNING_M = 20.0  # torsional friction of the stack (with the fingers' 0.001: 0.02 m)
SHELF_FRICTION = 0.3  # the stack slides in under a push that also presses it down
PITCH_RAD = np.deg2rad(60.0)  # the hand's approach below horizontal
GRIP_AT = 0.25  # the grasp target this far along the stack from its near end (a quarter: less to droop)
TIP_CLEAR_M = 0.002  # the fingers' lowest point this far above the table, the shelf
# The pitched fingers (open or closed; the stock collision hull, measured): the grasp target this
# high above their lowest point, their front edge this far ahead of it.
HAND_ABOVE_LOW_M = 0.010
FRONT_EDGE_M = 0.011
PREGRASP_M = 0.06  # the pre-grasp, this far back from the grasp along the stack's axis ...
ABOVE_M = 0.08  # ... coming down to it from this high above
LIFT_OVER_M = 0.03  # lifted this far above its carrying height first, where it lay
CARRY_CLEAR_M = 0.01  # the stack carried this far above the shelf
STANDOFF_M = 0.02  # the stack's far end this far in front of the safe before it goes in
FINGERS_IN_M = 0.01  # the fingers' front edge goes this far into the compartment, holding ...
PUSH_IN_M = 0.02  # ... and pushing: the stack's near end this far inside ...
PUSHES = 3  # ... in this many keyframes
BACK_OFF_M = 0.06  # after letting go, the hand backs off this far along the fingers
PUSH_CLEAR_M = 0.015  # the closed fingers come down this far behind the stack's near end
RETREAT_M = 0.1  # at the end, the hand backs out this far
ARRIVE_TRIES = 2  # each keyframe once more if the hand ended farther than ARRIVED_M from it
ARRIVED_M = 0.005
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay off the stack and the lane to the safe
INSIDE_TOL_M = 0.004  # the stack may press this far into the shelf and the walls
FLAT_TOL_RAD = 0.2
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.02
AT_GRIP_M = 0.03  # dense reward: the stack grasped with the grasp target this near its grip point is held
CARRY_SCALE_M = 0.2  # dense reward: distance scale of the carry term


class PutMoneyInSafe(Task):
    """Put the money on the bottom, middle or top shelf of the safe."""

    name = "put_money_in_safe"
    objects = {"money": Role.MO, "safe": Role.RO}
    variants = VARIANTS
    axes = {
        "mo_color": axis(same=True), "ro_color": axis(same=True), "mo_texture": axis(), "ro_texture": axis(),
        "mo_size": axis(range=(0.5, 1.0)), "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 300
    layout_yaw_rad = (-np.pi / 4, np.pi / 4)
    view_camera = "right_shoulder"  # the front camera loses the stack behind the arm on some layouts

    def __init__(self) -> None:
        self._money, self._safe = MONEY_PART, SAFE_PART  # replaced by build at their built sizes

    def instruction(self, variant: str) -> str:
        return f"put the money away in the {variant} shelf of the safe"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._money, self._safe = MONEY_PART.scaled(scales.mo), SAFE_PART.scaled(scales.ro)
        sim.load_urdf("money", write_urdf(self._money.model()))
        sim.set_dynamics("money", lateralFriction=MONEY_FRICTION, spinningFriction=MONEY_SPINNING_M)
        sim.load_urdf("safe", write_urdf(self._safe.model()), fixed=True)
        sim.set_dynamics("safe", lateralFriction=SHELF_FRICTION)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("safe", layout.pose((self._safe.depth_m / 2, 0.0, 0.0)))
        along, across = float(rng.uniform(*MONEY_ALONG_M)), float(rng.uniform(*MONEY_ACROSS_M))
        yaw = float(rng.uniform(-MONEY_YAW_RAD, MONEY_YAW_RAD))
        sim.set_pose("money", layout.pose((along, across, self._money.thickness_m / 2), yaw))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The stack, and the lane from it to the safe's mouth where the arm carries it."""
        money = np.asarray(sim.pose("money").pos[:2])
        mouth = self.mouth(sim)[:2]
        return tuple((*(money + t * (mouth - money)), KEEP_CLEAR_RADIUS_M) for t in (0.0, 0.5, 1.0))

    def mouth(self, sim: Sim) -> np.ndarray:
        """The middle of the safe's open front at the table (world frame)."""
        pose = sim.pose("safe")
        return to_world(pose.pos, pose.quat, (self._safe.front_x_m, 0.0, -pose.pos[2]))

    def inside(self, snap: Snapshot, variant: str) -> bool:
        """Every corner of the stack inside the named compartment (or pressed a little into its walls)."""
        centre, half = self._safe.interior(variant)
        room = vec3(h + INSIDE_TOL_M for h in half)
        return wholly_inside("money", "safe", centre, room, self._money.half_extents_m)(snap)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(lambda s: self.inside(s, variant), upright("money", FLAT_TOL_RAD),
                      not_grasped("money"))(snap)

    def _local(self, snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
        """The stack's centre and its long axis in the safe frame."""
        safe, money = snap["safe"], snap["money"]
        rot = rotation_matrix(safe.quat).T
        return rot @ (money.pos - safe.pos), rot @ rotation_matrix(money.quat)[:, 0]

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the stack, carry it to the compartment, push it in (in full: docs/tasks)."""
        centre, axis_l = self._local(snap)
        room_c, room_h = self._safe.interior(variant)
        m = self._money
        front = self._safe.front_x_m
        if np.all(np.abs(centre - np.asarray(room_c)) <= np.asarray(room_h)):  # in the named compartment
            near_end = centre[0] - abs(axis_l[0]) * m.length_m / 2
            pushed = fraction(near_end, front - m.length_m / 2, front)
            return staged_reward(self.success(snap, variant), 2, pushed, 3)
        grip = self.grip_point(snap["money"].pos, rotation_matrix(snap["money"].quat)[:, 0], snap["safe"].yaw_rad)
        to_grip = float(np.linalg.norm(snap.ee_pos - grip))
        if "money" in snap.grasped and to_grip < AT_GRIP_M:
            goal = np.array([front + m.length_m / 2, 0.0, room_c[2] - room_h[2] + m.thickness_m / 2])
            return staged_reward(False, 1, closeness(float(np.linalg.norm(centre - goal)), CARRY_SCALE_M), 3)
        return staged_reward(False, 0, approach(to_grip, REACH_SCALE_M, REACH_FINE_SCALE_M), 3)

    def grip_point(self, money_pos: np.ndarray, money_x: np.ndarray, safe_yaw_rad: float) -> np.ndarray:
        """Where the grasp target holds the stack: on its axis, in from its near end (the end away from
        the safe's heading), the pitched fingers' lowest point just above the stack's bottom."""
        forward = self.forward(money_x, safe_yaw_rad)
        m = self._money
        end = np.asarray(money_pos) - forward * (m.length_m * (0.5 - GRIP_AT))
        return end + np.array([0.0, 0.0, TIP_CLEAR_M + HAND_ABOVE_LOW_M - m.thickness_m / 2])

    @staticmethod
    def forward(money_x: np.ndarray, safe_yaw_rad: float) -> np.ndarray:
        """The stack's long axis, the way that goes into the safe."""
        return money_x if money_x[0] * np.cos(safe_yaw_rad) + money_x[1] * np.sin(safe_yaw_rad) >= 0 else -money_x

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        for kf in self._plan(sim, variant):
            yield from arrive(kf, lambda: grasp_target(sim), ARRIVE_TRIES, ARRIVED_M)

    def _plan(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        money, safe = sim.pose("money"), sim.pose("safe")
        forward = self.forward(rotation_matrix(money.quat)[:, 0], safe.yaw_rad)
        grip = self.grip_point(np.asarray(money.pos), forward, safe.yaw_rad)
        pick_quat = pitched_quat(float(np.arctan2(forward[1], forward[0])), PITCH_RAD)
        # down behind the stack's near end, then in along the table (a lagging arm comes in late, not low)
        behind = grip - PREGRASP_M * forward
        yield Keyframe(vec3(behind + np.array([0.0, 0.0, ABOVE_M])), pick_quat, Gripper.OPEN)
        yield Keyframe(vec3(behind), pick_quat, Gripper.OPEN)
        yield Keyframe(vec3(grip), pick_quat, Gripper.OPEN)
        yield Keyframe(vec3(grip), pick_quat, Gripper.CLOSED)
        s, m = self._safe, self._money
        floor = s.floor_z_m(variant)
        quat = pitched_quat(safe.yaw_rad, PITCH_RAD)
        heading = np.array([np.cos(safe.yaw_rad), np.sin(safe.yaw_rad), 0.0])

        def money_at(x_local: float, y_local: float = 0.0) -> np.ndarray:  # the stack's centre there, carried
            return to_world(safe.pos, safe.quat, (x_local, y_local, floor + CARRY_CLEAR_M + m.thickness_m / 2))

        def hand_for(goal: np.ndarray) -> tuple[float, float, float]:  # where the grip puts the stack there
            return vec3(goal + grasp_target(sim) - np.asarray(sim.pose("money").pos))

        lift = np.array([*money.pos[:2], money_at(0.0)[2] + LIFT_OVER_M])
        yield Keyframe(hand_for(lift), pick_quat, Gripper.CLOSED)
        # turned to the safe's heading in front of it (its far end sweeps clear), then onto its axis
        stand_x = s.front_x_m - STANDOFF_M - m.length_m / 2
        aside = float(rotation_matrix(safe.quat)[:, 1] @ (np.asarray(money.pos) - np.asarray(safe.pos)))
        yield Keyframe(hand_for(money_at(stand_x, aside)), quat, Gripper.CLOSED)
        yield Keyframe(hand_for(money_at(stand_x)), quat, Gripper.CLOSED)
        # in until the fingers' front edge is FINGERS_IN_M inside the front
        in_hand = float((grasp_target(sim) - np.asarray(sim.pose("money").pos)) @ heading)
        yield Keyframe(hand_for(money_at(s.front_x_m + FINGERS_IN_M - FRONT_EDGE_M - in_hand)), quat,
                       Gripper.CLOSED)
        yield Keyframe(vec3(grasp_target(sim)), quat, Gripper.OPEN)
        # out along the fingers (sliding back over the stack would drag it), then the closed fingers
        # behind its near end and on until that is PUSH_IN_M inside
        axis_w = np.array([*(np.cos(PITCH_RAD) * heading[:2]), -np.sin(PITCH_RAD)])
        yield from retreat(lambda: grasp_target(sim), quat, Gripper.OPEN, by_m=-BACK_OFF_M * axis_w)
        front = to_world(safe.pos, safe.quat, (s.front_x_m, 0.0, floor + TIP_CLEAR_M + HAND_ABOVE_LOW_M))

        def fingers_at(edge_x: float, z: float) -> tuple[float, float, float]:  # front edge at edge_x
            return vec3((*(front[:2] + (edge_x - FRONT_EDGE_M) * heading[:2]), z))

        near_end = float((np.asarray(sim.pose("money").pos) - front) @ heading) - m.length_m / 2
        yield Keyframe(fingers_at(near_end - PUSH_CLEAR_M, float(grasp_target(sim)[2])), quat, Gripper.CLOSED)
        yield Keyframe(fingers_at(near_end - PUSH_CLEAR_M, front[2]), quat, Gripper.CLOSED)
        for inside in np.linspace(near_end, PUSH_IN_M, PUSHES + 1)[1:]:
            yield Keyframe(fingers_at(inside, front[2]), quat, Gripper.CLOSED)
        yield from retreat(lambda: grasp_target(sim), quat, Gripper.CLOSED, by_m=-RETREAT_M * heading)
