"""meat_on_grill: put the chicken or the steak (the variant) on the grill.

Task: a chicken drumstick and a steak (mo) lying on the table on either side of a grill (ro) fixed to
the table: a low firebox with a grate of bars on top.
Randomizations: layout centre and yaw (+-pi), which meat lies on which side of the grill, each
meat's spot and yaw (its long axis within pi/6 of the line to the grill, the chicken's bone away from
it), variant.
Success: the named meat's centre over the grate at the height it has lying on it, not grasped (the
other meat does not count).
Oracle: top-down grasp of the meat at its centre across its width (retried once), lift over the
grill, turn its long axis along the grate, lower its midpoint over the grate's centre, correct the
offset in closed loop, release, retract.
Dense reward: reach the named meat (0-1/4); grasp, lift and carry it toward the grill (1/4-1/2);
over the grate, lower it onto it and let go (1/2-3/4); 1.0 only at success.
Departures from the reference: procedural parts (a box grill, a slab steak, a capsule drumstick).
Why, with the measurements: docs/tasks/meat_on_grill.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Chicken, Grill, Steak
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, wrap_grasp_yaw
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Sim, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, not_grasped, wholly_inside
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, pick, release_into

GRILL = Grill(name="meat_grill")
MEATS: dict[str, Chicken | Steak] = {"chicken": Chicken(name="grill_chicken"), "steak": Steak(name="grill_steak")}
VARIANTS = tuple(MEATS)
MEAT_FRICTION = 1.0
MEAT_ROLLING = 0.002  # rolling friction: the capsule and spheres of the drumstick stay where they lie
CENTER_X_M = (0.52, 0.54)  # the grill's centre (world): both meats, on either side, stay in reach
CENTER_Y_M = (-0.06, 0.06)
ACROSS_M = (0.18, 0.195)  # a meat's centre this far from the grill's centre, across its length ...
ALONG_M = (-0.04, 0.04)  # ... and this far along it
MEAT_YAW_RAD = np.pi / 6  # a meat's long axis within this of the line across to the grill
APPROACH_M = 0.08  # the pre-grasp this high above the grasp point
TIP_CLEAR_M = 0.003  # the fingertips at least this far above the table at the grasp
CARRY_CLEAR_M = 0.04  # the meat's bottom this far above the grate while carried
DROP_GAP_M = 0.003  # ... and this far at release
ALIGN_TOL_M = 0.004
ALIGN_TRIES = 2
GRASP_TRIES = 2
LIFTED_M = 0.03  # the meat this much higher after the lift: it came up
ON_TOL_M = 0.008  # the meat's centre within this of the height it lies at on the grate
KEEP_CLEAR_RADIUS_M = 0.08  # distractors stay off the lane from each meat to the grill
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.02
OVER_SCALE_M = 0.15  # dense reward: distance scale of the carry term
LOWER_FROM_M = 0.1  # dense reward: lowering over the grate counts from this height above it


class MeatOnGrill(Task):
    """Put the chicken or the steak on the grill."""

    name = "meat_on_grill"
    objects = {"chicken": Role.MO, "steak": Role.MO, "grill": Role.RO}
    variants = VARIANTS
    axes = {
        "mo_color": axis(), "ro_color": axis(), "mo_size": axis(range=(0.65, 1.15)), "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 250

    def __init__(self) -> None:
        self._meats = dict(MEATS)  # replaced by build at their built sizes

    def instruction(self, variant: str) -> str:
        return f"put the {variant} on the grill"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._meats = {name: part.scaled(scales.mo) for name, part in MEATS.items()}
        for name, part in self._meats.items():
            sim.load_urdf(name, write_urdf(part.model()))
            for link in (-1, *range(sim.num_joints(name))):
                sim.set_dynamics(name, link, lateralFriction=MEAT_FRICTION, rollingFriction=MEAT_ROLLING)
        sim.load_urdf("grill", write_urdf(GRILL.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("grill", layout.pose((0.0, 0.0, TABLE_TOP_Z)))
        side = float(rng.choice((-1.0, 1.0)))
        for name, part in self._meats.items():  # one on each side, the long axis across to the grill
            along, across = float(rng.uniform(*ALONG_M)), side * float(rng.uniform(*ACROSS_M))
            away = np.pi / 2 * side + float(rng.uniform(-MEAT_YAW_RAD, MEAT_YAW_RAD))  # +x away from the grill
            sim.set_pose(name, layout.pose((along, across, TABLE_TOP_Z + part.rest_height_m), away))
            side = -side

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The lane from each meat to the grill, where the arm carries it."""
        grill = np.asarray(sim.pose("grill").pos[:2])
        return tuple((*(grill + 0.5 * (np.asarray(sim.pose(m).pos[:2]) - grill)), KEEP_CLEAR_RADIUS_M)
                     for m in self._meats)

    def lying_at(self, variant: str) -> tuple[float, float, float]:
        """The meat's centre lying on the grate's middle (grill frame; bounding boxes pad a turned cylinder)."""
        return (0.0, 0.0, GRILL.grate_top_z_m + self._meats[variant].rest_height_m)

    def success(self, snap: Snapshot, variant: str) -> bool:
        on_grate = (*GRILL.grate_half_xy_m, ON_TOL_M)  # its centre over the grate, at the height it lies at
        return all_of(not_grasped(variant), wholly_inside(variant, "grill", self.lying_at(variant), on_grate,
                                                          (0.0, 0.0, 0.0)))(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the meat, carry it over the grill, lower it onto the grate (in full: docs/tasks)."""
        meat, grill = snap[variant], snap["grill"]
        local = rotation_matrix(grill.quat).T @ (meat.pos - grill.pos)
        above = float(local[2] - self.lying_at(variant)[2])
        success = self.success(snap, variant)
        if np.all(np.abs(local[:2]) <= GRILL.grate_half_xy_m) and -ON_TOL_M <= above <= LOWER_FROM_M:
            return staged_reward(success, 2, 0.5 * fraction(above, LOWER_FROM_M, ON_TOL_M)
                                 + 0.5 * float(variant not in snap.grasped), 3)
        if variant in snap.grasped:
            lift = fraction(float(meat.aabb_lo[2]), TABLE_TOP_Z, float(grill.aabb_hi[2]) + CARRY_CLEAR_M)
            over = closeness(float(np.linalg.norm(meat.pos[:2] - grill.pos[:2])), OVER_SCALE_M)
            return staged_reward(success, 1, 0.5 * lift + 0.5 * lift * over, 3)
        to_meat = float(np.linalg.norm(snap.ee_pos - self.grip_point(meat.pos)))
        return staged_reward(success, 0, approach(to_meat, REACH_SCALE_M, REACH_FINE_SCALE_M), 3)

    @staticmethod
    def grip_point(meat_pos: np.ndarray) -> np.ndarray:
        """Where the grasp target holds a meat: at its centre, the fingertips clear of the table."""
        low = TABLE_TOP_Z + FINGERTIP_BELOW_EE_M + TIP_CLEAR_M
        return np.array([meat_pos[0], meat_pos[1], max(float(meat_pos[2]), low)])

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        part, grill = self._meats[variant], sim.pose("grill")
        top = float(grill.pos[2]) + GRILL.grate_top_z_m

        def middle() -> np.ndarray:  # the meat's length's midpoint (world frame)
            pose = sim.pose(variant)
            return np.asarray(pose.pos) + rotation_matrix(pose.quat)[:, 0] * part.middle_x_m

        grasp = yield from pick(partial(self._grasp, sim, variant, top), lambda: self.grip_point(
            np.asarray(sim.pose(variant).pos)), tries=GRASP_TRIES,
            lifted=lambda at: sim.pose(variant).pos[2] > at[2] + LIFTED_M)
        # turn the meat's long axis along the grate's bars (the way it has most room)
        yaw = wrap_grasp_yaw(grasp.yaw_rad + grill.yaw_rad - sim.pose(variant).yaw_rad)
        yield from release_into(middle, lambda: grasp_target(sim), np.asarray(grill.pos[:2]),
                                top + DROP_GAP_M + part.rest_height_m, yaw, over_z_m=grasp.lift_z_m,
                                tol_m=ALIGN_TOL_M, corrections=ALIGN_TRIES)

    def _grasp(self, sim: Sim, variant: str, grill_top_m: float) -> Grasp:
        """A top-down grasp across the meat's width at its centre, as it lies now, lifted over the grill."""
        pose = sim.pose(variant)
        part = self._meats[variant]
        at = self.grip_point(np.asarray(pose.pos))
        lift = grill_top_m + CARRY_CLEAR_M + (at[2] - (float(pose.pos[2]) - part.rest_height_m))
        return Grasp((*at[:2], at[2] + APPROACH_M), wrap_grasp_yaw(pose.yaw_rad), lift)

