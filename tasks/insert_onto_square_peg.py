"""insert_onto_square_peg: put the square ring over the spoke of the named colour (the variant).

Task: a square ring (mo) lying on the table beside a base (ro) with three upright square spokes in a
row; the target spoke has the variant's colour (one of the 20 named colours), the other two get
colours drawn far from it and from each other.
Randomizations: layout centre and yaw (+-pi), which slot the target spoke stands in, the other
spokes' colours, the ring's spot and yaw (on the side of the base the arm reaches down to best),
variant. The spokes are bodies of their own (role other), not links of the base: ro_color and
ro_texture recolour the base only, so no colour axis ever touches a spoke and the instruction
stays true under every axis.
Success: the target spoke's centre inside the ring's hole, the ring's bottom within LOW_TOL_M of the
base's top, flat, not grasped.
Oracle: top-down grasp across the ring's best-reached side (not the one facing the base; retried
once), lift over the spokes, turn the ring square to the spokes, lower it over the target spoke
until the fingertips are just above its top, correct the offset in closed loop, let go (it slides
down onto the base), retract.
Dense reward: reach the ring (0-1/4); grasp, lift and carry it over the spoke (1/4-1/2); around the
spoke, lower it onto the base and let go (1/2-3/4); 1.0 only at success.
Departures from the reference: procedural parts (box bars, a box slab, box spokes).
Why, with the measurements: docs/tasks/insert_onto_square_peg.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import PegBase, SquareRing, SquareSpoke
from colosseum_lite.perturbations.base import NAMED_COLORS
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, wrap_grasp_yaw
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Sim, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, not_grasped, upright
from colosseum_lite.tasks.predicates import approach, closeness, fraction, in_oriented_rect, staged_reward
from colosseum_lite.tasks.skills import Grasp, pick, release_into, wrap_pi

RING, BASE, SPOKE = SquareRing(name="peg_ring"), PegBase(name="peg_base"), SquareSpoke(name="peg_spoke")
SPOKES = ("target_spoke", "other_spoke_a", "other_spoke_b")
VARIANTS = tuple(NAMED_COLORS)
MIN_SPOKE_COLOR_DISTANCE = 0.6  # RGB distance between any two spokes' colours
CENTER_X_M = (0.48, 0.54)  # the base's centre (world)
CENTER_Y_M = (-0.08, 0.08)
ACROSS_M = (0.17, 0.185)  # the ring's centre this far from the base's centre line ...
ALONG_M = (-0.05, 0.05)  # ... and this far along it
COMFORT_REACH_M = 0.55  # the ring lies on the side of the base nearer this distance from the robot's base
RING_FRICTION = 1.0
APPROACH_M = 0.08  # the pre-grasp this high above the grasp point
GRIP_ABOVE_TOP_M = 0.003  # the grasp target this far above the ring's top: the fingertips grip its upper part
CARRY_CLEAR_M = 0.025  # the ring's bottom this far above the spokes' tops while carried
TIP_OVER_SPOKE_M = 0.005  # at release the fingertips this far above the spoke's top (they open clear of it)
ALIGN_TOL_M = 0.003
ALIGN_TRIES = 2
GRASP_TRIES = 2
LIFTED_M = 0.02  # the ring this much higher after the lift: it came up
LOW_TOL_M = 0.012  # success: the ring's bottom within this of the base's top
FLAT_TOL_RAD = 0.3
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay off the lane from the ring to the base
REACH_SCALE_M = 0.3  # dense reward: distance scale of the reach term
REACH_FINE_SCALE_M = 0.02
OVER_SCALE_M = 0.15  # dense reward: distance scale of the carry term


class InsertOntoSquarePeg(Task):
    """Put the square ring over the spoke of the named colour."""

    name = "insert_onto_square_peg"
    objects = {"ring": Role.MO, "peg_base": Role.RO, **{s: Role.OTHER for s in SPOKES}}
    variants = VARIANTS
    axes = {
        "mo_color": axis(), "ro_color": axis(), "ro_texture": axis(), "mo_size": axis(range=(1.0, 1.5)),
        "ro_size": axis(range=(0.85, 1.15)), "distractor": axis(count=4),
    }
    max_episode_steps = 25
    max_delta_steps = 250

    def __init__(self) -> None:
        self._ring, self._base, self._spoke = RING, BASE, SPOKE  # replaced by build at their built sizes

    def instruction(self, variant: str) -> str:
        return f"put the ring on the {variant} spoke"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._ring = RING.scaled(scales.mo)
        self._base, self._spoke = BASE.scaled(scales.ro), SPOKE.scaled(scales.ro)
        sim.load_urdf("ring", write_urdf(self._ring.model()))
        sim.set_dynamics("ring", -1, lateralFriction=RING_FRICTION)
        sim.load_urdf("peg_base", write_urdf(self._base.model()), fixed=True)
        for name in SPOKES:
            sim.load_urdf(name, write_urdf(self._spoke.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        sim.set_pose("peg_base", layout.pose((0.0, 0.0, TABLE_TOP_Z)))
        on_base = TABLE_TOP_Z + self._base.height_m
        for name, slot, color in zip(SPOKES, rng.permutation(self._base.slots), self._colors(rng, variant),
                                     strict=True):
            sim.set_pose(name, layout.pose((self._base.slot_x_m(int(slot)), 0.0, on_base)))
            sim.set_color(name, (*NAMED_COLORS[color], 1.0))
        along, across = float(rng.uniform(*ALONG_M)), float(rng.uniform(*ACROSS_M))
        spots = [(along, side * across, TABLE_TOP_Z + self._ring.rest_height_m) for side in (-1.0, 1.0)]
        spot = min(spots, key=lambda p: abs(float(np.linalg.norm(layout.point(p)[:2])) - COMFORT_REACH_M))
        sim.set_pose("ring", layout.pose(spot, float(rng.uniform(-np.pi, np.pi))))

    @staticmethod
    def _colors(rng: np.random.Generator, variant: str) -> list[str]:
        """The variant's colour, then two others far from it and from each other."""
        chosen = [variant]
        for _ in range(2):
            far = [c for c in NAMED_COLORS if all(np.linalg.norm(np.subtract(NAMED_COLORS[c], NAMED_COLORS[k]))
                                                  > MIN_SPOKE_COLOR_DISTANCE for k in chosen)]
            chosen.append(str(rng.choice(far)))
        return chosen

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The lane from the ring to the target spoke, where the arm carries it."""
        spoke, ring = np.asarray(sim.pose("target_spoke").pos[:2]), np.asarray(sim.pose("ring").pos[:2])
        return ((*(spoke + 0.5 * (ring - spoke)), KEEP_CLEAR_RADIUS_M),)

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(not_grasped("ring"), upright("ring", FLAT_TOL_RAD), self._around_spoke,
                      lambda s: float(s["ring"].aabb_lo[2]) <= float(s["peg_base"].aabb_hi[2]) + LOW_TOL_M)(snap)

    def _around_spoke(self, snap: Snapshot) -> bool:
        """The target spoke's centre inside the ring's hole (seen from above)."""
        ring = snap["ring"]
        hole = (self._ring.hole_half_m,) * 2
        return in_oriented_rect(snap["target_spoke"].pos[:2], ring.pos[:2], hole, ring.yaw_rad)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the ring, carry it over the spoke, lower it onto the base (in full: docs/tasks)."""
        ring, spoke = snap["ring"], snap["target_spoke"]
        success = self.success(snap, variant)
        base_top, spoke_top = float(snap["peg_base"].aabb_hi[2]), float(spoke.aabb_hi[2])
        if self._around_spoke(snap) and float(ring.aabb_lo[2]) <= spoke_top:
            lower = fraction(float(ring.aabb_lo[2]), spoke_top, base_top + LOW_TOL_M)
            return staged_reward(success, 2, 0.5 * lower + 0.5 * float("ring" not in snap.grasped), 3)
        if "ring" in snap.grasped:
            lift = fraction(float(ring.aabb_lo[2]), TABLE_TOP_Z, spoke_top + CARRY_CLEAR_M)
            over = closeness(float(np.linalg.norm(ring.pos[:2] - spoke.pos[:2])), OVER_SCALE_M)
            return staged_reward(success, 1, 0.5 * lift + 0.5 * lift * over, 3)
        to_ring = float(np.linalg.norm(snap.ee_pos - ring.pos))
        return staged_reward(success, 0, approach(to_ring, REACH_SCALE_M, REACH_FINE_SCALE_M), 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        spoke = sim.pose("target_spoke")
        spoke_top = float(spoke.pos[2]) + self._spoke.height_m
        grasp = yield from pick(partial(self._grasp, sim, spoke_top), partial(self._grip_point, sim),
                                tries=GRASP_TRIES, lifted=partial(self._lifted, sim))
        # turn the ring square to the spokes, by the least turn of the hand
        held = wrap_pi(sim.pose("ring").yaw_rad - grasp.yaw_rad)
        turn = wrap_pi(spoke.yaw_rad - held - grasp.yaw_rad)
        turn = (turn + np.pi / 4) % (np.pi / 2) - np.pi / 4
        hand_z = grasp_target(sim)[2] - float(sim.pose("ring").pos[2])  # grasp target above the ring's centre
        tips_to_centre = hand_z - FINGERTIP_BELOW_EE_M
        release = spoke_top + TIP_OVER_SPOKE_M - tips_to_centre
        yield from release_into(lambda: np.asarray(sim.pose("ring").pos), lambda: grasp_target(sim),
                                np.asarray(spoke.pos[:2]), release, wrap_grasp_yaw(grasp.yaw_rad + turn),
                                over_z_m=grasp.lift_z_m, tol_m=ALIGN_TOL_M, corrections=ALIGN_TRIES)

    def _lifted(self, sim: Sim, at: np.ndarray) -> bool:
        """Whether the ring came up off the table."""
        return float(sim.pose("ring").pos[2]) > TABLE_TOP_Z + self._ring.rest_height_m + LIFTED_M

    def _side(self, sim: Sim) -> tuple[np.ndarray, float]:
        """The midpoint (world xy) of the ring's side the arm reaches down to best (not the one facing the
        base), and that side's direction."""
        pose, base = sim.pose("ring"), np.asarray(sim.pose("peg_base").pos[:2])
        axes = rotation_matrix(pose.quat)[:2, :2]
        sides = [(np.asarray(pose.pos[:2]) + sign * self._ring.side_offset_m * axes[:, k],
                  pose.yaw_rad + (k == 0) * np.pi / 2) for k in (0, 1) for sign in (-1.0, 1.0)]
        sides = sorted(sides, key=lambda s: float(np.linalg.norm(s[0] - base)))[1:]  # not the one facing the base
        return min(sides, key=lambda s: abs(float(np.linalg.norm(s[0])) - COMFORT_REACH_M))

    def _grip_point(self, sim: Sim) -> np.ndarray:
        """Where the grasp target holds the ring: over its best-reached side, the fingertips on its upper part."""
        mid, _ = self._side(sim)
        top = float(sim.pose("ring").pos[2]) + self._ring.bar_height_m / 2
        return np.array([*mid, top + GRIP_ABOVE_TOP_M])

    def _grasp(self, sim: Sim, spoke_top_m: float) -> Grasp:
        """A top-down grasp across the ring's best-reached side, lifted clear over the spokes."""
        at, (_, yaw) = self._grip_point(sim), self._side(sim)
        lift = spoke_top_m + CARRY_CLEAR_M + self._ring.bar_height_m + GRIP_ABOVE_TOP_M
        return Grasp((*at[:2], at[2] + APPROACH_M), wrap_grasp_yaw(yaw), lift)
