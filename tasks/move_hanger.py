"""move_hanger: take the hanger off one rail and hang it on the other.

Task: a clothes hanger (mo) hooked on a rail on two posts (other), a second, parallel rail (ro)
beside it on the side of the hanger's stem; both rails fixed to the table.
Randomizations: layout centre, the gap between the rails, each rail's height, where the hanger
hangs along the first rail. The layout yaw is fixed (the reference's).
Success: the hook's inner top on the second rail's top (within the hook's gap across it), the
hanger upright, neither grasped nor touched by the robot (it keeps rocking: judged by position).
Oracle: grasps the grip block over the hook, lifts the rail into the window under the tip, slides
toward the stem side until the rail is past the shoulders, lifts over the second rail, comes down
beside it, slides the rail in under the tip, lowers the hook onto it (closed-loop), lets go.
Dense reward: reach the grip block (0-1/4), carry the hook from the first rail to the second
(1/4-1/2), over the second rail lower it on and let go (1/2-3/4); 1.0 only at success.
Departures from the reference: procedural rails on posts and a hanger with a grip block; the
hanger comes off and goes on sideways, under its tip, as a real one does.
Why: docs/tasks/move_hanger.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Hanger, RailStand
from colosseum_lite.robot import Gripper, wrap_grasp_yaw
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Pose, Sim, VecLike, quat_from_euler, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Layout, Snapshot, Task, grasp_target, top_down
from colosseum_lite.tasks.conditions import all_of, not_grasped, point_inside, untouched, upright
from colosseum_lite.tasks.predicates import approach, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, pick, release_into

HANGER = Hanger(name="move_hanger_hanger")
STAND = RailStand(name="move_hanger_stand")
HANGER_FRICTION = 1.0
CENTER_X_M = (0.5, 0.54)  # the layout centre (world), midway between the rails
CENTER_Y_M = (-0.04, 0.04)
RAILS_YAW_RAD = -np.pi / 2  # the scene's fixed turn: the rails along its x (world -y), side-on to the front
RAIL_GAP_M = (0.25, 0.28)  # between the rails' axes; scene frame: the first on +y (far), the second on -y
SINK_M = (0.0, 0.02)  # each stand set this far into the table (a lower rail)
ALONG_M = 0.04  # the hanger hangs within this of the first rail's middle
HANGER_YAW_RAD = np.pi / 2  # the hanger's tip toward +y (scene frame): its stem faces the second rail
APPROACH_M = 0.06  # the pre-grasp this far above the grip block
WINDOW_RAISE_M = HANGER.tip_m + 0.015  # the hook this far above a rail: the rail passes under the tip
SLIDE_M = HANGER.clear_of_shoulder_m + STAND.rail_radius_m + 0.025  # the rail this far past the hook: off
OVER_CLEAR_M = 0.04  # the hanger's bottom this far above the second rail while carried over it
DROP_GAP_M = 0.003  # the hook this far above the rail's top at release
ALIGN_TOL_M = 0.003
ALIGN_TRIES = 2
LIFTED_M = 0.02  # the hook this much higher after the lift: the hanger came up
HOOKED_TOL_M = 0.008  # success: the hook's inner top within this of the rail's top (height)
UPRIGHT_TOL_RAD = 0.35  # success: the hanger's plane within this of vertical (it rocks +-0.09 rad)
# The hook's inner top on the target rail's top, inside the gap across it (the rail in the hook).
ON_TARGET_RAIL = point_inside("hanger", HANGER.hook_point_com_m, "target_rail", (0.0, 0.0, STAND.rail_top_m),
                              (STAND.rail_half_length_m, HANGER.gap_half_m - STAND.rail_radius_m, HOOKED_TOL_M))
HUNG_ON_TARGET = all_of(ON_TARGET_RAIL, upright("hanger", UPRIGHT_TOL_RAD), not_grasped("hanger"),
                        untouched("hanger"))
REACH_SCALE_M = 0.3  # dense reward
REACH_FINE_SCALE_M = 0.02
LOWER_FROM_M = 0.06  # dense reward: lowering onto the rail counts from this height above it
KEEP_CLEAR_RADIUS_M = 0.12  # distractors stay out from under the rails and the hanger's way


class MoveHanger(Task):
    """Move the hanger from one rail to the other."""

    name = "move_hanger"
    objects = {"hanger": Role.MO, "target_rail": Role.RO, "first_rail": Role.OTHER}
    axes = {"mo_color": axis(), "ro_color": axis(), "distractor": axis(count=4)}
    layout_yaw_rad = (0.0, 0.0)
    max_episode_steps = 25
    max_delta_steps = 200  # ee_delta: an oracle-following ee_delta controller took 97-100 steps (10 seeds)

    def instruction(self, variant: str) -> str:
        return "move the hanger onto the other rail"

    def build(self, sim: Sim, scales: Scales) -> None:
        sim.load_urdf("hanger", write_urdf(HANGER.model()))
        sim.set_dynamics("hanger", lateralFriction=HANGER_FRICTION)
        for name in ("target_rail", "first_rail"):
            sim.load_urdf(name, write_urdf(STAND.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = Layout(self.sample_layout(rng, CENTER_X_M, CENTER_Y_M).center_xy, RAILS_YAW_RAD)
        gap = float(rng.uniform(*RAIL_GAP_M))
        for name, side in (("first_rail", 1.0), ("target_rail", -1.0)):
            sim.set_pose(name, layout.pose((0.0, side * gap / 2, TABLE_TOP_Z - float(rng.uniform(*SINK_M)))))
        hook = layout.point((float(rng.uniform(-ALONG_M, ALONG_M)), gap / 2, 0.0))
        hook[2] = self.rail_top(sim.pose("first_rail").pos)[2]
        quat = quat_from_euler(0.0, 0.0, RAILS_YAW_RAD + HANGER_YAW_RAD)
        sim.set_pose("hanger", Pose(tuple(hook - rotation_matrix(quat) @ HANGER.hook_point_com_m), quat))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """Under the rails, where the hanger hangs and is carried."""
        first, target = (np.asarray(sim.pose(name).pos[:2]) for name in ("first_rail", "target_rail"))
        across = self.across(first, target)
        return tuple((*(first + t * across), KEEP_CLEAR_RADIUS_M) for t in (-0.06, 0.06, 0.18, 0.3, 0.4))

    @staticmethod
    def across(first_xy: np.ndarray, target_xy: np.ndarray) -> np.ndarray:
        """The horizontal unit vector from the first rail toward the second (world)."""
        d = np.asarray(target_xy[:2], dtype=float) - np.asarray(first_xy[:2], dtype=float)
        return d / np.linalg.norm(d)

    @staticmethod
    def rail_top(stand_pos: np.ndarray | tuple[float, ...]) -> np.ndarray:
        """The top of a stand's rail over its middle (world; the stands are not turned)."""
        return np.asarray(stand_pos) + np.array([0.0, 0.0, STAND.rail_top_m])

    def success(self, snap: Snapshot, variant: str) -> bool:
        return HUNG_ON_TARGET(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the block, carry the hook across, lower it onto the second rail (in full: docs/tasks)."""
        hanger, first, target = snap["hanger"], snap["first_rail"], snap["target_rail"]
        hook = hook_point(hanger.pos, hanger.quat)
        top = self.rail_top(target.pos)
        above = float(hook[2] - top[2])
        success = self.success(snap, variant)
        across = self.across(first.pos, target.pos)
        if (abs(float((hook - top)[:2] @ across)) <= HANGER.gap_half_m and -HOOKED_TOL_M <= above <= LOWER_FROM_M
                and upright("hanger", UPRIGHT_TOL_RAD)(snap)):
            return staged_reward(success, 2, 0.5 * fraction(above, LOWER_FROM_M, 0.0)
                                 + 0.5 * float("hanger" not in snap.grasped), 3)
        if "hanger" in snap.grasped:
            return staged_reward(success, 1, fraction(float(hook[:2] @ across), float(first.pos[:2] @ across),
                                                      float(top[:2] @ across)), 3)
        grip = hook + np.array([0.0, 0.0, HANGER.grip_above_hook_m])
        return staged_reward(success, 0, approach(float(np.linalg.norm(snap.ee_pos - grip)), REACH_SCALE_M,
                                                  REACH_FINE_SCALE_M), 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        top = self.rail_top(sim.pose("target_rail").pos)
        across = self.across(np.asarray(sim.pose("first_rail").pos), top)
        yaw = wrap_grasp_yaw(float(np.arctan2(-across[0], across[1])))  # the fingers close across, in its plane
        up = np.array([0.0, 0.0, HANGER.grip_above_hook_m])

        def hook() -> np.ndarray:
            pose = sim.pose("hanger")
            return hook_point(pose.pos, pose.quat)

        start = hook()
        gap = float((top - start)[:2] @ across)

        def carry(across_m: float, z_m: float) -> Keyframe:  # the hand putting the hook across_m on from start
            at = np.array([*(start[:2] + across_m * across), z_m])
            return top_down(at + grasp_target(sim) - hook(), yaw, Gripper.CLOSED)

        window_z, over_z = start[2] + WINDOW_RAISE_M, max(start[2], top[2]) + HANGER.depth_m + OVER_CLEAR_M
        yield from pick(lambda: Grasp(hook() + up + (0, 0, APPROACH_M), yaw, window_z + up[2]),
                        lambda: hook() + up, lifted=lambda at: hook()[2] > start[2] + LIFTED_M)
        yield carry(SLIDE_M, window_z)  # the first rail out under the tip, past the shoulders
        yield carry(SLIDE_M, over_z)
        yield carry(gap + SLIDE_M, over_z)  # over the second rail
        yield carry(gap + SLIDE_M, top[2] + WINDOW_RAISE_M)  # down beside it
        yield from release_into(hook, lambda: grasp_target(sim), start[:2] + gap * across,
                                float(top[2]) + DROP_GAP_M, yaw, over_z_m=float(top[2]) + WINDOW_RAISE_M + up[2],
                                tol_m=ALIGN_TOL_M, corrections=ALIGN_TRIES)


def hook_point(pos: VecLike, quat: VecLike) -> np.ndarray:
    """Where the hook's inner top is (world) for the hanger's base pose ``pos``, ``quat``."""
    return np.asarray(pos) + rotation_matrix(quat) @ HANGER.hook_point_com_m
