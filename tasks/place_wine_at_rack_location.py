"""place_wine_at_rack_location: lay the wine bottle in the named slot (left, middle, right) of a rack.

Task: a wine bottle (mo) lying on the table in front of a wine rack (ro) fixed to the table: three
cradles of two rails each, side by side, their rails running away from the robot. The slots are
named in the rack's own frame as a robot facing its +x sees them: left is the rack's +y.
Randomizations: layout centre and yaw (+-pi/4), where the bottle lies in front of the rack, its yaw
(across the rack's axis, within pi/8) and which way its neck points, variant.
Success: the bottle's body centre within the named cradle at the height it rests at there, its axis
along the cradle's rails (within 15 degrees, so lying), not grasped.
Oracle: top-down grasp across the bottle at its centre of mass (retried once), lift over the rack,
turn its axis along the rails, lower it over the named cradle, correct the offset in closed loop,
release, retract.
Dense reward: reach the bottle (0-1/4); grasp, lift and carry it toward the cradle (1/4-1/2); over
the cradle, lower it into it and let go (1/2-3/4); 1.0 only at success.
Departures from the reference: procedural parts (a cylinder bottle with a neck, a rack of rails).
Why, with the measurements: docs/tasks/place_wine_at_rack_location.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import WineBottle, WineRack
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, wrap_grasp_yaw
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Sim, rotation_matrix, to_world
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, lies_along, not_grasped, wholly_inside
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, pick, release_into

BOTTLE = WineBottle(name="wine_bottle")
RACK = WineRack(name="wine_rack")
VARIANTS = RACK.slots
BOTTLE_FRICTION = 1.0
BOTTLE_ROLLING = 0.002  # rolling friction: the lying bottle stays where it lies
CENTER_X_M = (0.55, 0.58)  # the rack's centre (world)
CENTER_Y_M = (-0.05, 0.05)
FRONT_M = (-0.2, -0.18)  # the bottle's centre this far along the rack's x (toward the robot) ...
SIDE_M = (-0.07, 0.07)  # ... and this far across it
BOTTLE_YAW_RAD = np.pi / 8  # the bottle's axis within this of across the rack's
APPROACH_M = 0.08  # the pre-grasp this high above the grasp point
TIP_CLEAR_M = 0.003  # the fingertips at least this far above the table at the grasp
CARRY_CLEAR_M = 0.04  # the bottle's bottom this far above the rails while carried
DROP_GAP_M = 0.004  # the bottle's axis this far above where it rests in the cradle at release
ALIGN_TOL_M = 0.003
ALIGN_TRIES = 2
GRASP_TRIES = 2
LIFTED_M = 0.03  # the bottle this much higher after the lift: it came up
IN_SLOT_HALF_M = (0.04, 0.012, 0.008)  # its centre this near where it rests in the cradle (rack frame)
ALONG_TOL_RAD = np.deg2rad(15.0)
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay off the bottle and the way to the rack
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.02
OVER_SCALE_M = 0.15  # dense reward: distance scale of the carry term
LOWER_FROM_M = 0.1  # dense reward: lowering over the cradle counts from this height above it


class PlaceWineAtRackLocation(Task):
    """Lay the wine bottle in the named slot of the rack."""

    name = "place_wine_at_rack_location"
    objects = {"bottle": Role.MO, "rack": Role.RO}
    variants = VARIANTS
    axes = {
        "mo_color": axis(), "ro_color": axis(), "ro_texture": axis(), "mo_size": axis(range=(0.85, 1.15)),
        "ro_size": axis(range=(0.85, 1.15)), "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 250
    layout_yaw_rad = (-np.pi / 4, np.pi / 4)

    def __init__(self) -> None:
        self._bottle, self._rack = BOTTLE, RACK  # replaced by build at their built sizes

    def instruction(self, variant: str) -> str:
        return f"place the wine bottle in the {variant} slot of the rack"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._bottle, self._rack = BOTTLE.scaled(scales.mo), RACK.scaled(scales.ro)
        sim.load_urdf("bottle", write_urdf(self._bottle.model()))
        for link in (-1, *range(sim.num_joints("bottle"))):
            sim.set_dynamics("bottle", link, lateralFriction=BOTTLE_FRICTION, rollingFriction=BOTTLE_ROLLING)
        sim.load_urdf("rack", write_urdf(self._rack.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("rack", layout.pose((0.0, 0.0, TABLE_TOP_Z)))
        at = (float(rng.uniform(*FRONT_M)), float(rng.uniform(*SIDE_M)), TABLE_TOP_Z + self._bottle.rest_height_m)
        neck = float(rng.choice((-1.0, 1.0))) * np.pi / 2 + float(rng.uniform(-BOTTLE_YAW_RAD, BOTTLE_YAW_RAD))
        sim.set_pose("bottle", layout.pose(at, neck))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The bottle and the way from it to the rack, where the arm carries it."""
        bottle, rack = np.asarray(sim.pose("bottle").pos[:2]), np.asarray(sim.pose("rack").pos[:2])
        return tuple((*p, KEEP_CLEAR_RADIUS_M) for p in (bottle, (bottle + rack) / 2))

    def resting_at(self, variant: str) -> tuple[float, float, float]:
        """The bottle's centre resting in the named cradle (rack frame)."""
        return (0.0, self._rack.slot_y_m(variant), self._rack.cradle_axis_z_m(self._bottle.body_radius_m))

    def success(self, snap: Snapshot, variant: str) -> bool:
        in_cradle = wholly_inside("bottle", "rack", self.resting_at(variant), IN_SLOT_HALF_M, (0.0, 0.0, 0.0))
        return all_of(not_grasped("bottle"), lies_along("bottle", "rack", ALONG_TOL_RAD), in_cradle)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the bottle, carry it over the cradle, lower it into it (in full: docs/tasks)."""
        bottle, rack = snap["bottle"], snap["rack"]
        rest = np.asarray(self.resting_at(variant))
        local = rotation_matrix(rack.quat).T @ (bottle.pos - rack.pos) - rest
        above = float(local[2])
        success = self.success(snap, variant)
        if np.all(np.abs(local[:2]) <= IN_SLOT_HALF_M[:2]) and -IN_SLOT_HALF_M[2] <= above <= LOWER_FROM_M:
            return staged_reward(success, 2, 0.5 * fraction(above, LOWER_FROM_M, 0.0)
                                 + 0.5 * float("bottle" not in snap.grasped), 3)
        if "bottle" in snap.grasped:
            lift = fraction(float(bottle.pos[2]), float(rack.pos[2]) + rest[2],
                            float(rack.aabb_hi[2]) + CARRY_CLEAR_M + self._bottle.body_radius_m)
            slot = to_world(rack.pos, rack.quat, rest)
            over = closeness(float(np.linalg.norm(bottle.pos[:2] - slot[:2])), OVER_SCALE_M)
            return staged_reward(success, 1, 0.5 * lift + 0.5 * lift * over, 3)
        to_bottle = float(np.linalg.norm(snap.ee_pos - self.grip_point(bottle.pos, bottle.quat)))
        return staged_reward(success, 0, approach(to_bottle, REACH_SCALE_M, REACH_FINE_SCALE_M), 3)

    def grip_point(self, pos: np.ndarray, quat: np.ndarray) -> np.ndarray:
        """Where the grasp target holds the bottle: on its axis at its centre of mass, the fingertips clear."""
        at = np.asarray(pos) + rotation_matrix(quat)[:, 0] * self._bottle.com_x_m
        low = TABLE_TOP_Z + FINGERTIP_BELOW_EE_M + TIP_CLEAR_M
        return np.array([at[0], at[1], max(float(at[2]), low)])

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        rack = sim.pose("rack")
        rest = self.resting_at(variant)
        slot = to_world(rack.pos, rack.quat, rest)

        def held() -> np.ndarray:  # the bottle's centre (world frame), which goes to the cradle's rest point
            return np.asarray(sim.pose("bottle").pos)

        def grip() -> np.ndarray:
            pose = sim.pose("bottle")
            return self.grip_point(np.asarray(pose.pos), np.asarray(pose.quat))

        grasp = yield from pick(partial(self._grasp, sim, float(rack.pos[2]) + self._rack.rail_top_z_m), grip,
                                tries=GRASP_TRIES, lifted=lambda at: sim.pose("bottle").pos[2] > at[2] + LIFTED_M)
        # turn the bottle's axis along the rails (either way round)
        yaw = wrap_grasp_yaw(grasp.yaw_rad + rack.yaw_rad - sim.pose("bottle").yaw_rad)
        yield from release_into(held, lambda: grasp_target(sim), np.asarray(slot[:2]), float(slot[2]) + DROP_GAP_M,
                                yaw, over_z_m=grasp.lift_z_m, tol_m=ALIGN_TOL_M, corrections=ALIGN_TRIES)

    def _grasp(self, sim: Sim, rail_top_m: float) -> Grasp:
        """A top-down grasp across the bottle at its centre of mass, as it lies now, lifted over the rack."""
        pose = sim.pose("bottle")
        at = self.grip_point(np.asarray(pose.pos), np.asarray(pose.quat))
        lift = rail_top_m + CARRY_CLEAR_M + self._bottle.body_radius_m + (at[2] - float(pose.pos[2]))
        return Grasp((*at[:2], at[2] + APPROACH_M), wrap_grasp_yaw(pose.yaw_rad), lift)
