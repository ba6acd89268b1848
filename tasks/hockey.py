"""hockey: grasp a hockey stick and push the ball into the goal with its blade.

Task: a stick with a blade (mo), a ball (ro) and a fixed goal (other; a net behind a framed mouth).
Randomizations: layout centre and yaw (+-pi: any shot direction), the ball's distance from the
goal mouth and offset across it, the stick's spot and yaw beside the shooting line.
Success: the ball's centre is in the goal (between the walls, behind the mouth line), the stick
is held and the robot does not touch the ball (it went in off the stick, not the hand).
Oracle: grasps the shaft over its centre of mass, carries the blade behind the ball, lowers it and
pushes the ball into the goal in short strokes re-aimed from the ball's real position.
Dense reward: reach the stick (0-1/4), set the blade behind the ball (1/4-1/2), push the ball to
the goal (1/2-3/4); 1.0 only at success.
Departures from the reference: a push rather than a swing, a goal with a back wall that keeps the
ball in, the stick's centre of mass on the shaft, nominal ball mass and friction at the edge of
their axes. Why: docs/tasks/hockey.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import HockeyGoal, Tool
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Pose, Sim, VecLike, quat_from_euler, rotation_matrix, vec3
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, grasped, untouched, wholly_inside
from colosseum_lite.tasks.predicates import closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, carry_tool, grasp_yaw, pick, rotation_2d

# The stick at scale 1: a 3.2 cm square shaft along x, the blade at its +x end reaching 8 cm toward
# -y; the blade's front face (x = +shaft end) pushes. It stands taller than the largest ball's centre.
STICK = Tool(shaft_half_length_m=0.14, shaft_half_width_m=0.016, head_reach_m=0.08, head_side=-1.0,
             com_shift_m=0.02, mass_kg=0.15, rgba=(0.55, 0.35, 0.15, 1.0), name="hockey_stick")
STICK_FRICTION = 1.0
GOAL = HockeyGoal()
BALL_RADIUS_M = 0.025
BALL_MASS_KG = 0.1  # the low edge of the object_mass range
BALL_FRICTION = 0.5  # below the object_friction range U(0.75, 1.0)
BALL_ROLLING_FRICTION = 0.001  # a struck ball rolls on, then stops
BALL_RGBA = (0.95, 0.85, 0.1, 1.0)
CENTER_X_M = (0.48, 0.54)  # the ball's spot (world) before the jitter below
CENTER_Y_M = (-0.05, 0.05)
MOUTH_GAP_M = (0.11, 0.15)  # ball centre to the goal's mouth line at reset
BALL_ACROSS_M = 0.02  # largest offset of the ball across the goal's axis at reset
STICK_BACK_M = (-0.17, -0.13)  # the stick's centre of mass behind the ball, along the shot
STICK_SIDE_M = (0.13, 0.16)  # ... and beside the line (on the side nearer REACH_M), its blade away from it
REACH_M = 0.55  # from the robot's base: the hand comes down turned at any yaw
STICK_YAW_RAD = 0.2  # largest deviation of the stick's reset yaw from the shot direction
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay out of the lane and off the goal

GRASP_BELOW_TOP_M = 0.008  # grasp target this far below the stick's top face
HOVER_M = 0.004  # the stick's underside above the table while pushing
LIFT_CLEARANCE_M = 0.04  # the stick's underside above the ball's top while carrying
STRIKE_GAP_M = 0.015  # blade face behind the ball where the blade comes down
STROKE_M = 0.04  # blade advance per push keyframe
MAX_STROKES = 10
BALL_IN_M = 0.015  # the whole ball this far behind the mouth line: stop pushing
# Dense reward.
REACH_SCALE_M = 0.3
PLACE_SCALE_M = 0.1
LOW_SCALE_M = 0.05
PUSH_FROM_M = MOUTH_GAP_M[0] + GOAL.zone_center_m[0] - 0.01  # ball nearer the zone's centre: being pushed
PROGRESS_SHARE = 0.8  # share of a stage earned by its main term


class Hockey(Task):
    name = "hockey"
    objects = {"stick": Role.MO, "ball": Role.RO, "goal": Role.OTHER}
    axes = {
        "mo_color": axis(), "ro_color": axis(), "ro_texture": axis(),
        "mo_size": axis(range=(0.95, 1.05)), "ro_size": axis(range=(0.75, 1.25)),
        "object_friction": axis(targets=("ball",)), "object_mass": axis(ranges={"ball": (0.1, 0.5)}),
        "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 200  # ee_delta: an oracle-following ee_delta controller took 73-84 steps (10 seeds)

    def __init__(self) -> None:
        self._stick = STICK  # replaced by build with the stick at its built size (mo)
        self._ball_radius_m = BALL_RADIUS_M  # ... and the ball's radius (ro)

    def instruction(self, variant: str) -> str:
        return "hit the ball into the goal with the hockey stick"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._stick = STICK.scaled(scales.mo)
        sim.load_urdf("stick", write_urdf(self._stick.model()))
        sim.set_dynamics("stick", lateralFriction=STICK_FRICTION)
        self._ball_radius_m = BALL_RADIUS_M * scales.ro
        sim.add_sphere("ball", self._ball_radius_m, mass_kg=BALL_MASS_KG, rgba=BALL_RGBA)
        sim.set_dynamics("ball", lateralFriction=BALL_FRICTION, rollingFriction=BALL_ROLLING_FRICTION,
                         spinningFriction=BALL_ROLLING_FRICTION)
        sim.load_urdf("goal", write_urdf(GOAL.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)  # at the ball, x toward the goal
        layout.rest(sim, "ball", (0.0, float(rng.uniform(-BALL_ACROSS_M, BALL_ACROSS_M))))
        sim.set_pose("goal", layout.pose((float(rng.uniform(*MOUTH_GAP_M)), 0.0, TABLE_TOP_Z)))
        # The stick lies on the side of the line where the hand reaches it best (near the robot's base
        # it cannot come down turned), its blade pointing away from the line: on the +y side it lies
        # turned over (rolled a half turn about its shaft), its blade then toward +y.
        back, side = float(rng.uniform(*STICK_BACK_M)), float(rng.uniform(*STICK_SIDE_M))
        side = min((side, -side), key=lambda y: abs(float(np.linalg.norm(layout.point((back, y, 0.0))[:2]))
                                                    - REACH_M))
        yaw = layout.yaw_rad + float(rng.uniform(-STICK_YAW_RAD, STICK_YAW_RAD))
        at = layout.point((back, side, TABLE_TOP_Z + self._stick.half_height_m))
        sim.set_pose("stick", Pose(vec3(at), quat_from_euler(np.pi if side > 0 else 0.0, 0.0, yaw)))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The goal, and the lane from behind the ball (where the blade comes down) into the goal."""
        ball, zone = np.asarray(sim.pose("ball").pos[:2]), _zone_centre(sim)
        shot = (zone - ball) / max(float(np.linalg.norm(zone - ball)), 1e-9)
        return tuple((*(ball + t * shot), KEEP_CLEAR_RADIUS_M) for t in (-0.24, -0.12, 0.0, 0.1, 0.2, 0.3))

    def success(self, snap: Snapshot, variant: str) -> bool:
        over_line = self._ball_radius_m / 2  # the zone starts a radius behind the mouth line: the whole ball is in
        centre, half = GOAL.zone_center_m, GOAL.zone_half_m
        zone = ((centre[0] + over_line, centre[1], centre[2]), (half[0] - over_line, half[1], half[2]))
        return all_of(wholly_inside("ball", "goal", *zone, (0.0, 0.0, 0.0)), grasped("stick"),
                      untouched("ball"))(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach and grasp the stick, set the blade behind the ball, push it in (in full: docs/tasks)."""
        stick, ball, goal = snap["stick"], snap["ball"], snap["goal"]
        tool = self._stick
        if "stick" not in snap.grasped:
            grasp = stick.pos + np.array([0.0, 0.0, tool.half_height_m - GRASP_BELOW_TOP_M])
            return staged_reward(False, 0, closeness(float(np.linalg.norm(snap.ee_pos - grasp)), REACH_SCALE_M), 3)
        zone = goal.pos[:2] + rotation_matrix(goal.quat)[:2, :2] @ np.asarray(GOAL.zone_center_m[:2])
        radius = float(ball.aabb_hi[2] - ball.aabb_lo[2]) / 2
        strike_xy, strike_yaw = _strike_pose(tool, _blade_side(tool, stick.quat), ball.pos[:2], zone,
                                             radius + STRIKE_GAP_M)
        align = max(0.0, float(np.cos(stick.yaw_rad - strike_yaw)))
        place = closeness(float(np.linalg.norm(stick.pos[:2] - strike_xy)), PLACE_SCALE_M) * (1 + align) / 2
        success = self.success(snap, variant)
        dist = float(np.linalg.norm(zone - ball.pos[:2]))
        if dist < PUSH_FROM_M:
            push = 0.0 if "ball" in snap.touched else fraction(dist, PUSH_FROM_M, 0.0)
            return staged_reward(success, 2, PROGRESS_SHARE * push + (1 - PROGRESS_SHARE) * place, 3)
        low = closeness(float(stick.aabb_lo[2]), LOW_SCALE_M)
        return staged_reward(success, 1, PROGRESS_SHARE * place + (1 - PROGRESS_SHARE) * place * low, 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        tool, stick = self._stick, sim.pose("stick")
        grasp_above_bottom = 2 * tool.half_height_m - GRASP_BELOW_TOP_M
        grasp_z = stick.pos[2] + tool.half_height_m - GRASP_BELOW_TOP_M
        carry_z = float(sim.aabb("ball")[1][2]) + LIFT_CLEARANCE_M + grasp_above_bottom
        push_z = TABLE_TOP_Z + HOVER_M + grasp_above_bottom
        pose, hand = partial(_stick_pose, sim), partial(_hand_xy, sim)
        strike = partial(_blade_behind, sim, tool, self._ball_radius_m, STRIKE_GAP_M)
        stroke = partial(_blade_behind, sim, tool, self._ball_radius_m, -STROKE_M)
        # Grasp across the shaft over the centre of mass, the hand turned so the shot's yaw stays small.
        yaw = grasp_yaw(stick.yaw_rad, strike()[1] - stick.yaw_rad)
        com = np.asarray(stick.pos)
        yield from pick(lambda: Grasp((*com[:2], carry_z), yaw, carry_z), lambda: np.array([*com[:2], grasp_z]))
        # Carry the blade behind the ball, correcting twice for how the stick sits in the hand.
        yaw = yield from carry_tool(pose, hand, strike, yaw, (carry_z, carry_z, push_z))
        # Push in short strokes, each re-aimed from where the ball is now, until the whole ball is in.
        for _ in range(MAX_STROKES):
            if _ball_in_goal(sim) >= self._ball_radius_m + BALL_IN_M:
                return
            yaw = yield from carry_tool(pose, hand, stroke, yaw, (push_z,))


def _stick_pose(sim: Sim) -> tuple[np.ndarray, float]:
    """The stick's centre-of-mass xy and yaw (world frame)."""
    stick = sim.pose("stick")
    return np.asarray(stick.pos[:2]), stick.yaw_rad


def _hand_xy(sim: Sim) -> np.ndarray:
    """The grasp target's xy (world frame)."""
    return grasp_target(sim)[:2]


def _zone_centre(sim: Sim) -> np.ndarray:
    """The goal zone's centre, xy (world frame)."""
    goal = sim.pose("goal")
    return np.asarray(goal.pos[:2]) + rotation_2d(goal.yaw_rad) @ np.asarray(GOAL.zone_center_m[:2])


def _ball_in_goal(sim: Sim) -> float:
    """How far (m) the ball's centre is behind the goal's mouth line (negative: in front of it)."""
    goal, ball = sim.pose("goal"), np.asarray(sim.pose("ball").pos)
    return float((rotation_matrix(goal.quat).T @ (ball - np.asarray(goal.pos)))[0])


def _blade_behind(sim: Sim, tool: Tool, radius_m: float, gap_m: float) -> tuple[np.ndarray, float]:
    """Stick pose with its blade's face ``gap_m`` behind the ball of radius ``radius_m`` (negative
    ``gap_m``: that far past its back), facing the goal zone's centre."""
    side = _blade_side(tool, sim.pose("stick").quat)
    return _strike_pose(tool, side, np.asarray(sim.pose("ball").pos[:2]), _zone_centre(sim), radius_m + gap_m)


def _blade_side(tool: Tool, quat: VecLike) -> float:
    """Which side of the shaft the blade sticks out, seen from above: +1 left of the shaft's +x
    (toward the blade), -1 right; a stick lying turned over has its blade on the other side."""
    return tool.head_side * float(np.sign(rotation_matrix(quat)[2, 2]))


def _strike_pose(tool: Tool, side: float, ball_xy: np.ndarray, zone_xy: np.ndarray,
                 back_m: float) -> tuple[np.ndarray, float]:
    """Stick centre-of-mass xy and yaw (world frame) that put the middle of the blade's front face
    ``back_m`` behind the ball's centre on the line from the ball to the zone's centre."""
    shot = zone_xy - ball_xy
    yaw = float(np.arctan2(shot[1], shot[0]))
    face = np.array([tool.head_face_com_m + 2 * tool.half_width_m, side * tool.head_reach_m / 2])
    face_at = ball_xy - back_m * shot / max(float(np.linalg.norm(shot)), 1e-9)
    return face_at - rotation_2d(yaw) @ face, yaw
