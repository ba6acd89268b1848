"""straighten_rope: lay the rope out straight, one end on each of the two tape patches.

Task: a rope of 8 capsules joined by universal joints (mo; one multibody: it bends, never stretches)
lying crumpled on the table between two flat tape patches (other) a little less than its length apart.
Randomizations: layout centre and yaw (+-pi), the rope's start shape from the task's stream (where it
lies and how it bends: a curl or an S whose ends are too close together to reach both patches, never
crossing itself). mo_color gives every capsule one colour (same); mo_texture textures the rope.
Success: each rope end (its end capsule's centre) over a different patch (patches and ends look
alike: either pairing counts), both end capsules down on the table, and the rope not grasped.
Oracle: up to four moves, each on whichever end is farther from its patch: grasp the end capsule
across its axis (a missed grasp lets go and plans again), carry it low over the patch, lower the
hand to the grasp height, correct the end's offset once, open, lift. Four moves of 7-8 keyframes
need 32 (placing one end can drag the other off its patch; a third or fourth move puts it back):
max_episode_steps is 32, not 25.
Dense reward: reach an end (0-1/4); an end held or near its patch: both ends' nearness to their
patches (1/4-1/2); both ends over their patches: down and let go (1/2-3/4); 1.0 only at success.
Departures from the reference: an 8-capsule rope (0.40 m) and patches 0.30 m apart, centre to
centre, so the whole task stays in the Panda's top-down workspace at any layout yaw.
Why: docs/tasks/straighten_rope.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import FlatPatch, Rope
from colosseum_lite.robot import Gripper, wrap_grasp_yaw
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Pose, Sim, quat_from_euler
from colosseum_lite.tasks.base import (
    Keyframe,
    Layout,
    Snapshot,
    Task,
    grasp_target,
    roomiest,
    take_snapshot,
    top_down,
)
from colosseum_lite.tasks.conditions import all_of, not_grasped, points_on_patches
from colosseum_lite.tasks.predicates import approach, closeness, staged_reward
from colosseum_lite.tasks.skills import release_into

ROPE = Rope(count=8, segment_m=0.047, segment_mass_kg=0.03, name="straighten_rope")
PATCH_HALF_M = 0.035
TAPE = FlatPatch((PATCH_HALF_M, PATCH_HALF_M), rgba=(0.25, 0.3, 0.35, 1.0), name="rope_tape")
PATCHES = ("tape_a", "tape_b")
PATCH_GAP_M = 0.30  # patch centre to patch centre, along the layout's x
ROPE_FRICTION = 0.8
JOINT_FRICTION_NM = 0.0002  # the rope keeps the shape it is left in, and straightens when pulled
ROPE_CONTACT = {"contactStiffness": 3e4, "contactDamping": 1e3}  # soft: a squeezed capsule is never flung
CENTER_X_M = (0.5, 0.56)  # the layout centre (world): both patches and the rope stay in reach
CENTER_Y_M = (-0.06, 0.06)
# The start shape: each turn joint bent by a mean curvature, a sine wave along the rope and noise
# (curvatures in rad per metre of rope; a joint turns by its segment's share).
BEND_MEAN_RAD = 15.0 * ROPE.segment_m
BEND_WAVE_RAD = 20.0 * ROPE.segment_m
WAVES = (0.5, 1.5)  # sine periods along the rope
BEND_NOISE_RAD = 3.3 * ROPE.segment_m
SHIFT_M = 0.04  # the rope's centroid this far (at most, each way) from the layout centre
SHAPE_TRIES = 60
MAX_START_SPAN_M = 0.17  # the ends at most this far apart: both patches need >= 0.20 m
CROSS_CLEAR_M = 0.008  # capsules three or more apart keep this far apart (no crossing) ...
FINGER_CLEAR_M = 0.055  # ... and this far from an end capsule (the open fingers come down around it)
NEAR_PATCH_M = 0.07  # dense reward: an end this near its patch's centre is being placed ...
OFF_PATCH_M = 0.08  # ... and at reset each end is at least this far from both patch centres
REACH_X_M = (0.32, 0.74)  # every capsule inside this band (world)
REACH_Y_M = 0.28
GRASP_Z_M = 0.013  # the grasp target at the capsule's axis height (fingertips 2 mm over the table), also to let go
APPROACH_Z_M = 0.07
CARRY_Z_M = 0.045  # the held end's centre while carried
PLACE_TOL_M = 0.004
DONE_M = 0.012  # an end this close to its patch centre is left as it is
MOVES = 4
REST_TOL_M = 0.004  # an end capsule down on the table: its centre within this of lying height
KEEP_CLEAR_RADIUS_M = 0.22  # distractors stay off the patches, the rope and the lanes between
REACH_SCALE_M = 0.3  # dense reward
REACH_FINE_SCALE_M = 0.03
PLACE_SCALE_M = 0.1
DOWN_SCALE_M = 0.02


class StraightenRope(Task):
    """Straighten the rope between the two tape patches."""

    name = "straighten_rope"
    objects = {"rope": Role.MO, PATCHES[0]: Role.OTHER, PATCHES[1]: Role.OTHER}
    axes = {"mo_color": axis(same=True), "mo_texture": axis(), "distractor": axis(count=2)}
    max_episode_steps = 32  # four moves of an end, 7-8 keyframes each (docstring)
    max_delta_steps = 300

    def instruction(self, variant: str) -> str:
        return "straighten the rope, one end on each tape patch"

    def build(self, sim: Sim, scales: Scales) -> None:
        sim.load_urdf("rope", write_urdf(ROPE.model()))
        for link in sim.link_indices("rope"):
            sim.set_dynamics("rope", link, lateralFriction=ROPE_FRICTION, **ROPE_CONTACT)
        for joint in ROPE.joints():
            sim.set_joint_friction("rope", joint, JOINT_FRICTION_NM)
        for name in PATCHES:
            sim.load_urdf(name, write_urdf(TAPE.model()))

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, CENTER_X_M, CENTER_Y_M)
        for name, side in zip(PATCHES, (-1.0, 1.0), strict=True):
            sim.set_pose(name, layout.pose((side * PATCH_GAP_M / 2, 0.0, TABLE_TOP_Z + TAPE.half_thickness_m)))
        shape = roomiest(lambda: self._draw_shape(rng, layout), lambda s: self._room(s, layout), SHAPE_TRIES)
        base_x, base_y, heading, *turns = shape
        lying = Pose((base_x, base_y, TABLE_TOP_Z + ROPE.radius_m), quat_from_euler(0.0, 0.0, heading))
        sim.set_pose("rope", lying)
        for i, turn in enumerate(turns, start=1):
            sim.set_joint_position("rope", ROPE.turn(i), turn)
            sim.set_joint_position("rope", ROPE.lift(i), 0.0)

    @staticmethod
    def _draw_shape(rng: np.random.Generator, layout: Layout) -> np.ndarray:
        """A start shape: the base capsule's xy and heading (world), then each turn joint (rad)."""
        s = np.linspace(0.0, 1.0, ROPE.count - 1)
        wave = np.sin(2 * np.pi * rng.uniform(*WAVES) * s + rng.uniform(0, 2 * np.pi))
        turns = (rng.uniform(-BEND_MEAN_RAD, BEND_MEAN_RAD) + rng.uniform(-BEND_WAVE_RAD, BEND_WAVE_RAD) * wave
                 + rng.uniform(-BEND_NOISE_RAD, BEND_NOISE_RAD, s.size))
        turns = np.clip(turns, -ROPE.bend_limit_rad, ROPE.bend_limit_rad)
        heading = float(rng.uniform(-np.pi, np.pi))
        centroid = ROPE.flat_centres((0.0, 0.0), heading, turns).mean(axis=0)
        goal = layout.point((*rng.uniform(-SHIFT_M, SHIFT_M, 2), 0.0))[:2]
        return np.array([*(goal - centroid), heading, *turns])

    @staticmethod
    def _room(shape: np.ndarray, layout: Layout) -> float:
        """How far (m) a start shape is inside every constraint: ends too close for success, off the
        patches, no crossing, room for the fingers round each end, in reach."""
        c = ROPE.flat_centres(shape[:2], float(shape[2]), shape[3:])
        ends = c[[0, -1]]
        room = [MAX_START_SPAN_M - float(np.linalg.norm(ends[0] - ends[1]))]
        for side in (-1.0, 1.0):
            patch = layout.point((side * PATCH_GAP_M / 2, 0.0, 0.0))[:2]
            room.append(float(np.min(np.linalg.norm(ends - patch, axis=1))) - OFF_PATCH_M)
        gaps = np.linalg.norm(c[:, None] - c[None], axis=2)
        far = np.abs(np.subtract.outer(np.arange(c.shape[0]), np.arange(c.shape[0]))) >= 3
        room.append(float(gaps[far].min()) - 2 * ROPE.radius_m - CROSS_CLEAR_M)
        room += [float(gaps[e][far[e]].min()) - FINGER_CLEAR_M for e in (0, -1)]
        room += [float(np.min(c[:, 0] - REACH_X_M[0])), float(np.min(REACH_X_M[1] - c[:, 0])),
                 float(np.min(REACH_Y_M - np.abs(c[:, 1])))]
        return min(room)

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The patches, the rope between them and every lane an end is carried along."""
        mid = (np.asarray(sim.pose(PATCHES[0]).pos[:2]) + np.asarray(sim.pose(PATCHES[1]).pos[:2])) / 2
        return ((float(mid[0]), float(mid[1]), KEEP_CLEAR_RADIUS_M),)

    @staticmethod
    def ends(snap: Snapshot) -> np.ndarray:
        """The two end capsules' centres (world frame, m), from the rope's base pose and joints."""
        rope = snap["rope"]
        return ROPE.centres(rope.pos, rope.quat, rope.joint)[[0, -1]]

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(not_grasped("rope"), _ends_down, _ends_on_patches)(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach an end, bring both ends to their patches, put them down and let go (in full: docs/tasks)."""
        ends = self.ends(snap)
        goals = _pairing(ends, np.array([snap[p].pos[:2] for p in PATCHES]))
        off = np.linalg.norm(ends[:, :2] - goals, axis=1)
        over = _ends_on_patches(snap)
        held = "rope" in snap.grasped
        if over:
            down = closeness(float(np.max(ends[:, 2])) - _LYING_Z, DOWN_SCALE_M)
            return staged_reward(self.success(snap, variant), 2, 0.5 * down + 0.5 * float(not held), 3)
        if held or float(np.min(off)) < NEAR_PATCH_M:
            return staged_reward(False, 1, float(np.mean([closeness(d, PLACE_SCALE_M) for d in off])), 3)
        reach = float(np.min(np.linalg.norm(ends - snap.ee_pos, axis=1)))
        return staged_reward(False, 0, approach(reach, REACH_SCALE_M, REACH_FINE_SCALE_M), 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        for _ in range(MOVES):
            c = _centres(sim)
            ends, outward = c[[0, -1]], c[[0, -1]] - c[[1, -2]]
            goals = _pairing(ends, np.array([sim.pose(p).pos[:2] for p in PATCHES]))
            off = np.linalg.norm(ends[:, :2] - goals, axis=1)
            k = int(np.argmax(off))
            if off[k] < DONE_M:
                return
            yaw = wrap_grasp_yaw(float(np.arctan2(outward[k][1], outward[k][0])))  # fingers across the end
            yield top_down((*ends[k][:2], APPROACH_Z_M), yaw, Gripper.OPEN)
            at = self._end(sim, k)
            yield top_down((*at[:2], GRASP_Z_M), yaw, Gripper.OPEN)
            yield top_down((*at[:2], GRASP_Z_M), yaw, Gripper.CLOSED)
            if "rope" not in take_snapshot(sim, ("rope",)).grasped:  # missed: let go, plan again
                yield top_down((*at[:2], APPROACH_Z_M), yaw, Gripper.OPEN)
                continue
            # The end's xy steers the release; the hand comes down to the grasp height whatever the
            # end's tilt in the fingers (never pressing it into the table).
            end_xy_at_hand = partial(_end_at_hand, sim, k)
            yield from release_into(end_xy_at_hand, partial(grasp_target, sim), goals[k], GRASP_Z_M, yaw,
                                    over_z_m=CARRY_Z_M, tol_m=PLACE_TOL_M, corrections=1)

    @staticmethod
    def _end(sim: Sim, k: int) -> np.ndarray:
        """End ``k``'s capsule centre now (0: the base end, 1: the far end)."""
        return _centres(sim)[[0, -1][k]]


_LYING_Z = TABLE_TOP_Z + ROPE.radius_m  # an end capsule's centre lying on the table


def _centres(sim: Sim) -> np.ndarray:
    """Every capsule's centre now (world frame, m)."""
    base = sim.pose("rope")
    return ROPE.centres(base.pos, base.quat, lambda j: sim.joint_position("rope", j))


_ends_on_patches = points_on_patches(StraightenRope.ends, PATCHES, TAPE.half_size_m)


def _end_at_hand(sim: Sim, k: int) -> np.ndarray:
    """End ``k``'s capsule centre (xy) at the grasp target's height."""
    return np.array([*StraightenRope._end(sim, k)[:2], grasp_target(sim)[2]])


def _ends_down(snap: Snapshot) -> bool:
    """Both end capsules down on the table."""
    return bool(np.all(StraightenRope.ends(snap)[:, 2] <= _LYING_Z + REST_TOL_M))


def _pairing(ends: np.ndarray, patches_xy: np.ndarray) -> np.ndarray:
    """The patch centre (xy) each end goes to: the pairing with the shorter total way."""
    straight = np.linalg.norm(ends[:, :2] - patches_xy, axis=1).sum()
    crossed = np.linalg.norm(ends[:, :2] - patches_xy[::-1], axis=1).sum()
    return patches_xy if straight <= crossed else patches_xy[::-1]
