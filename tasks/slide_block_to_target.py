"""slide_block_to_target: push a block across the table into a target patch.

Task: a block (mo) and a flat target patch 0.3 m apart on a line through the layout centre.
Randomizations: layout centre and yaw (+-pi: any push direction), the block's yaw.
Success: the whole block lies on the patch (every corner), resting on the table, not grasped.
Oracle: closed fingers come down behind the block and push in short segments, re-aimed from
the block's real position; if it turns off the line they go round and push again.
Dense reward: reach the push spot behind the block (0-1/3), then push it (1/3-2/3): block
progress to the patch centre, and the hand kept at the push spot; 1.0 only at success.
Departures from the reference: the whole block on a patch 0.3 m away rather than its centre
0.2 m away, and mass 0.4-6 kg rather than 1-15 kg. Why, with the measurements behind every
range: docs/tasks/slide_block_to_target.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, not_grasped, rests_on_table, wholly_on_patch
from colosseum_lite.tasks.predicates import (
    approach,
    closeness,
    fraction,
    staged_reward,
)
from colosseum_lite.tasks.skills import push_to

BLOCK_HALF_M = 0.025
BLOCK_MASS_KG = 0.4  # the lower edge of the mass axis
TARGET_HALF_M = 0.05
TARGET_GAP_M = 0.3  # block-to-target distance at reset
PUSH_Z_M = 0.015  # grasp target height while pushing: fingertips just above the table
PUSH_STEP_M = 0.06
PUSHES_PER_APPROACH = 6
MAX_LATERAL = 0.35  # sine of the angle the block may turn off the push line before the oracle goes round
APPROACH_Z_M = 0.12  # grasp target height coming over to the push spot and going round
DONE_M = 0.01  # the block's centre this near the patch centre: done
CLEARANCE_M = 0.03  # gap between fingertips and block before a push
FINGER_HALF_M = 0.01  # half the closed fingers' thickness along the push
REST_TOL_M = 0.005  # the block's bottom this close to the table top: it rests on the table
LANE_RADIUS_M = 0.075  # keep-clear circles along the push lane (covers the patch's corners)
LANE_BEHIND_M = 0.08  # the lane starts this far behind the block's centre
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.03  # dense reward: distance scale of the reach term's fine half
PUSH_SPOT_M = 0.01  # dense reward: the push spot this far behind the block's extent (half a closed finger)
PUSH_STARTED_M = 0.01  # dense reward: the block this much nearer the patch than at reset is being pushed
PUSH_SHARE = 0.8  # dense reward: share of the push stage earned by the block's progress
HOME_SCALE_M = 0.05  # dense reward: distance scale of the block's final approach to the patch centre
FREE_ON_TABLE = all_of(rests_on_table("block", REST_TOL_M), not_grasped("block"))  # pushed, not carried


class SlideBlockToTarget(Task):
    name = "slide_block_to_target"
    objects = {"block": Role.MO, "target": Role.OTHER}
    axes = {
        "mo_color": axis(targets=("block",)),
        "mo_texture": axis(targets=("block",)),
        "object_friction": axis(targets=("block",)),
        "object_mass": axis(ranges={"block": (BLOCK_MASS_KG, 6.0)}),
        "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 250  # ee_delta: an oracle-following ee_delta controller took 62-163 steps (20 seeds)

    def instruction(self, variant: str) -> str:
        return "slide the block to the target"

    def build(self, sim: Sim, scales: Scales) -> None:
        h = BLOCK_HALF_M * scales.mo
        sim.add_box("block", (h, h, h), mass_kg=BLOCK_MASS_KG, rgba=(0.85, 0.15, 0.15, 1))
        sim.add_box("target", (TARGET_HALF_M, TARGET_HALF_M, 0.0005), mass_kg=0.0, rgba=(0.1, 0.75, 0.2, 1),
                    collision=False)
        sim.set_dynamics("block", lateralFriction=0.5)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, (0.47, 0.57), (-0.12, 0.12))
        layout.rest(sim, "block", (-TARGET_GAP_M / 2, 0.0), float(rng.uniform(-np.pi, np.pi)))
        sim.set_pose("target", layout.pose((TARGET_GAP_M / 2, 0.0, 0.0005)))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The push lane: from behind the block, along its path, to and over the target patch."""
        target, block = np.asarray(sim.pose("target").pos[:2]), np.asarray(sim.pose("block").pos[:2])
        gap = float(np.linalg.norm(target - block))
        ahead = (target - block) / max(gap, 1e-9)
        stops = np.linspace(-LANE_BEHIND_M, gap, 5)
        return tuple((*(block + t * ahead), LANE_RADIUS_M) for t in stops)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(wholly_on_patch("block", "target", (TARGET_HALF_M, TARGET_HALF_M), (BLOCK_HALF_M,) * 3),
                      FREE_ON_TABLE)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the push spot behind the block, then push it to the patch (in full: docs/tasks)."""
        block, target = snap["block"], snap["target"]
        to_go = target.pos[:2] - block.pos[:2]
        dist = float(np.linalg.norm(to_go))
        ahead = to_go / max(dist, 1e-9)
        reach = float(np.max(block.aabb_hi[:2] - block.aabb_lo[:2])) / 2
        spot = np.array([*(block.pos[:2] - ahead * (reach + PUSH_SPOT_M)), PUSH_Z_M])
        near = approach(float(np.linalg.norm(snap.ee_pos - spot)), REACH_SCALE_M, REACH_FINE_SCALE_M)
        if dist > TARGET_GAP_M - PUSH_STARTED_M:
            return staged_reward(False, 0, near, 2)
        push = 0.0  # none while the block is carried or off the table
        if FREE_ON_TABLE(snap):
            push = (fraction(dist, TARGET_GAP_M, 0.0) + closeness(dist, HOME_SCALE_M)) / 2
        return staged_reward(self.success(snap, variant), 1, PUSH_SHARE * push + (1 - PUSH_SHARE) * near, 2)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        def standoff() -> float:  # the block's half diagonal extent in xy, the gap, half a finger
            lo, hi = sim.aabb("block")
            return float(np.max(hi[:2] - lo[:2])) / 2 + CLEARANCE_M + FINGER_HALF_M

        yield from push_to(lambda: np.asarray(sim.pose("block").pos)[:2], standoff, lambda: grasp_target(sim),
                           np.asarray(sim.pose("target").pos)[:2], push_z_m=PUSH_Z_M, above_z_m=APPROACH_Z_M,
                           step_m=PUSH_STEP_M, done_m=DONE_M, segments=PUSHES_PER_APPROACH,
                           max_lateral=MAX_LATERAL)
