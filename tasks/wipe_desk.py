"""wipe_desk: pick up the sponge and wipe every speck of dirt off the table with it.

Task: a sponge (mo) beside 50 specks of dirt (other: one body of thin squares, seen and never
touched). Randomizations: layout centre and yaw (+-pi), the dirt pattern (which 50 cells of a
10 x 8 grid hold a speck), the sponge's place beside the dirt and its yaw.
Success: every speck is wiped: a speck is wiped (and vanishes) once the sponge, touching the
table, covers it; the hand, a sponge in the air or one left lying wipe nothing else.
Oracle: grasps the sponge across its width, sets it down at the dirt's edge, wipes in rows
across the patch (each re-aimed from where the sponge is), then visits the specks left; a sponge
that slipped out of the fingers is picked up again where it lies.
Dense reward: reach the sponge (0-1/4), bring it to the dirt (1/4-1/2), wipe (1/2-3/4, the
fraction wiped); 1.0 only at success.
Departures from the reference: sponge mass [0.1, 0.5] kg for the reference's [1, 5] (the same
ratio 5; the Panda's 25 N grip loses a 1 kg sponge in half the episodes), a soft sponge, the
specks in 50 of the 80 cells of a grid (one body). Why: docs/tasks/wipe_desk.md.
"""

from __future__ import annotations

import math
from collections.abc import Generator, Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Dirt, Sponge
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, Gripper, wrap_grasp_yaw
from colosseum_lite.scene import TABLE, TABLE_TOP_Z
from colosseum_lite.sim import Sim, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target, top_down
from colosseum_lite.tasks.predicates import closeness, staged_reward
from colosseum_lite.tasks.skills import Grasp, grasp_yaw, pick, retreat

SPONGE = Sponge()
SPONGE_FRICTION = 0.5
DIRT_GRID = Dirt()
N_SPECKS = 50  # of the grid's 80 cells
DIRT = "dirt"  # task state: every cell's centre (80 x 3, world frame, m)
LEFT = "left"  # task state: which cells hold a speck not wiped yet (80 bools)
CENTRE = "centre"  # task state: the grid's centre (world frame, m)
SPONGE_SIDE_M = 0.15  # the sponge's distance from the patch's centre line at reset
SPONGE_SHIFT_M = 0.05  # largest shift of the sponge along the patch at reset
WIPE_TOL_M = 0.002  # a speck this close outside the sponge's box counts as covered

GRASP_BELOW_TOP_M = 0.012  # grasp target this far below the sponge's top face
LIFT_M = 0.06  # the sponge's underside above the table while carried
APPROACH_Z_M = 0.15  # the open hand above the sponge before it comes down (clear of it all the way)
PRESS_M = 0.003  # the hand commanded this far below where the sponge would just touch the table
SPONGE_STIFFNESS_N_M = 2000.0  # contact stiffness: pressed 3 mm, about 6 N
SPONGE_DAMPING_N_S_M = 100.0
FINGERTIP_CLEARANCE_M = 0.004  # the fingertips at least this far above the table while wiping
ROW_OVERLAP = 0.75  # rows this fraction of the sponge's length apart
ROW_MARGIN_M = 0.01  # rows run this far past the outermost specks
MAX_CLEANUPS = 8  # keyframes that visit specks a row missed
MAX_ROWS = 7
MAX_REGRASPS = 2  # a sponge that slipped out of the fingers while dragged is picked up again
# Dense reward.
REACH_SCALE_M = 0.3
BRING_SCALE_M = 0.2


class WipeDesk(Task):
    name = "wipe_desk"
    objects = {"sponge": Role.MO, "dirt": Role.OTHER}
    axes = {
        "mo_color": axis(),
        "mo_texture": axis(),
        "mo_size": axis(range=(0.75, 1.25)),
        "object_friction": axis(targets=("sponge",)),
        "object_mass": axis(ranges={"sponge": (0.1, 0.5)}),
        "distractor": axis(count=2),
    }
    max_episode_steps = 25  # the oracle: 12-17 keyframes (a row of the wipe per keyframe)
    max_delta_steps = 200

    def __init__(self) -> None:
        self._sponge = SPONGE  # replaced by build with the sponge at its built size (mo)
        self._reach_m = 0.0

    def instruction(self, variant: str) -> str:
        return "wipe the dirt off the desk with the sponge"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._sponge = SPONGE.scaled(scales.mo)
        # The farthest the sponge's centre can be from the grid's and still cover a speck.
        self._reach_m = float(np.hypot(*DIRT_GRID.half_size_m) + np.linalg.norm(self._sponge.half_extents_m)
                              + WIPE_TOL_M)
        sim.load_urdf("sponge", write_urdf(self._sponge.model()))
        sim.set_dynamics("sponge", lateralFriction=SPONGE_FRICTION, contactStiffness=SPONGE_STIFFNESS_N_M,
                         contactDamping=SPONGE_DAMPING_N_S_M)
        sim.load_urdf("dirt", write_urdf(DIRT_GRID.model()), fixed=True)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, (0.48, 0.56), (-0.1, 0.1))
        dirty = np.zeros(DIRT_GRID.count, bool)
        dirty[rng.choice(DIRT_GRID.count, N_SPECKS, replace=False)] = True
        grid = layout.pose((0.0, 0.0, TABLE_TOP_Z))
        sim.set_pose("dirt", grid)
        sim.set_shape_colors("dirt", DIRT_GRID.rgba, np.flatnonzero(dirty))
        sim.set_shape_colors("dirt", (*DIRT_GRID.rgba[:3], 0.0), np.flatnonzero(~dirty))
        side = float(rng.choice((-1.0, 1.0))) * SPONGE_SIDE_M
        shift = float(rng.uniform(-SPONGE_SHIFT_M, SPONGE_SHIFT_M))
        layout.rest(sim, "sponge", (shift, side), float(rng.uniform(-np.pi, np.pi)))
        spots = grid.pos + DIRT_GRID.spots_m() @ rotation_matrix(grid.quat).T
        sim.task_state = {DIRT: spots, LEFT: dirty, CENTRE: np.asarray(grid.pos)}

    def substep(self, sim: Sim) -> None:
        """Wipe the specks the sponge covers while it touches the table (hide them)."""
        state = sim.task_state
        if LEFT not in state:
            return
        pose = sim.pose("sponge")
        centre = state[CENTRE]
        if math.hypot(pose.pos[0] - centre[0], pose.pos[1] - centre[1]) > self._reach_m:
            return  # too far from the dirt to cover any speck: the cheap test first
        if not sim.contacts("sponge", TABLE):
            return
        local = (state[DIRT] - pose.pos) @ rotation_matrix(pose.quat)
        wiped = state[LEFT] & self._sponge.under(local, WIPE_TOL_M)
        if wiped.any():
            state[LEFT] &= ~wiped
            sim.set_shape_colors("dirt", (*DIRT_GRID.rgba[:3], 0.0), np.flatnonzero(wiped))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The dirt and the sponge's way there (the specks have no footprint of their own)."""
        centre = np.asarray(sim.pose("dirt").pos[:2])
        sponge = np.asarray(sim.pose("sponge").pos[:2])
        r = float(np.hypot(*DIRT_GRID.half_size_m)) + 0.04
        return ((*centre, r), (*((centre + sponge) / 2), 0.08))

    def success(self, snap: Snapshot, variant: str) -> bool:
        left = snap.task_state.get(LEFT)
        return left is not None and not left.any()

    def state_vector(self, snap: Snapshot) -> np.ndarray:
        """The bodies' poses, then which cells hold a speck
        still (1) or none (0)."""
        left = snap.task_state.get(LEFT, np.zeros(DIRT_GRID.count, bool))
        poses = [np.concatenate([snap[name].pos, snap[name].quat]) for name in self.objects]
        return np.concatenate([*poses, left]).astype(np.float32)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the sponge, bring it to the dirt, wipe it (in full: docs/tasks/wipe_desk.md)."""
        left = snap.task_state[LEFT]
        sponge = snap["sponge"].pos
        if left.sum() < N_SPECKS:
            return staged_reward(self.success(snap, variant), 2, 1.0 - float(left.sum()) / N_SPECKS, 3)
        if "sponge" in snap.grasped:
            dirt = snap.task_state[DIRT][left]
            gap = float(np.min(np.linalg.norm(dirt[:, :2] - sponge[:2], axis=1)))
            return staged_reward(False, 1, closeness(gap, BRING_SCALE_M), 3)
        return staged_reward(False, 0, closeness(float(np.linalg.norm(snap.ee_pos - sponge)), REACH_SCALE_M), 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        sponge, half = sim.pose("sponge"), self._sponge.half_extents_m
        grasp_above_bottom = 2 * half[2] - GRASP_BELOW_TOP_M
        # Rows along the patch's longer side, the sponge's long side across them.
        dirt = sim.task_state[DIRT][sim.task_state[LEFT], :2]
        rows = np.linalg.eigh(np.cov((dirt - dirt.mean(axis=0)).T))[1][:, 1]
        turn = wrap_grasp_yaw(float(np.arctan2(rows[1], rows[0])) + np.pi / 2 - sponge.yaw_rad)
        yaw = grasp_yaw(sponge.yaw_rad, turn)
        lift_z = TABLE_TOP_Z + LIFT_M + grasp_above_bottom
        at = np.array([*sponge.pos[:2], sponge.pos[2] + half[2] - GRASP_BELOW_TOP_M])
        yield from pick(lambda: Grasp((*at[:2], APPROACH_Z_M), yaw, lift_z), lambda: at)
        yaw += turn
        yield top_down((*grasp_target(sim)[:2], lift_z), yaw, Gripper.CLOSED)
        yaw = yield from _wipe(sim, self._sponge, yaw, lift_z)
        yield from retreat(lambda: grasp_target(sim), top_down(grasp_target(sim), yaw, Gripper.CLOSED).quat,
                           Gripper.CLOSED, by_m=(0.0, 0.0, LIFT_M))


def _sponge_frame(sim: Sim) -> tuple[np.ndarray, np.ndarray]:
    """The sponge's centre (world, m) and its long axis (unit xy)."""
    pose = sim.pose("sponge")
    long_axis = rotation_matrix(pose.quat)[:2, 0]
    return np.asarray(pose.pos), long_axis / np.linalg.norm(long_axis)


def _wipe(sim: Sim, sponge: Sponge, yaw: float, lift_z: float) -> Generator[Keyframe, None, float]:
    """Set the held sponge down at the dirt's edge and wipe in rows across it, then visit what is left.

    Each pressed keyframe aims the sponge's underside ``PRESS_M`` into the table from where the
    sponge sits in the hand now: it gives like a sponge, so it sinks as far as it is pressed and
    the aim holds still while it does (a sponge that slid up in the fingers is pressed again),
    the fingertips never down on the table. A sponge that slipped out of the fingers (the hand no
    longer over it) is picked up again where it lies, up to ``MAX_REGRASPS`` times.

    Returns:
        the hand's ``top_down`` yaw at the end.
    """
    floor_z = TABLE_TOP_Z + FINGERTIP_BELOW_EE_M + FINGERTIP_CLEARANCE_M
    regrasps = 0

    def to(sponge_xy: np.ndarray, pressed: bool) -> Iterator[Keyframe]:
        nonlocal yaw, regrasps
        if regrasps < MAX_REGRASPS and _dropped(sim, sponge):
            regrasps += 1
            yaw = yield from _pick_up_again(sim, sponge, yaw, lift_z)
        hand, centre = grasp_target(sim), _sponge_frame(sim)[0]
        z = lift_z
        if pressed:  # the sponge's underside PRESS_M into the table, from where it sits in the hand now
            z = max(floor_z, hand[2] - (centre[2] - sponge.half_height_m - TABLE_TOP_Z) - PRESS_M)
        yield top_down((*(sponge_xy + hand[:2] - centre[:2]), z), yaw, Gripper.CLOSED)

    dirt = sim.task_state[DIRT][sim.task_state[LEFT]]
    long_axis = _sponge_frame(sim)[1]
    across = np.array([-long_axis[1], long_axis[0]])  # rows run along the sponge's width
    u, v = dirt[:, :2] @ long_axis, dirt[:, :2] @ across
    band = 2 * sponge.half_extents_m[0] * ROW_OVERLAP
    n_rows = min(MAX_ROWS, int(np.ceil((u.max() - u.min()) / band)) + 1)
    rows_u = np.linspace(u.min() + band / 3, u.max() - band / 3, n_rows) if n_rows > 1 else [u.mean()]
    reach = sponge.half_extents_m[1] + ROW_MARGIN_M
    ends = (v.min() - reach, v.max() + reach)
    start = rows_u[0] * long_axis + ends[0] * across
    yield from to(start, pressed=False)
    yield from to(start, pressed=True)
    for i, row in enumerate(rows_u):
        end = ends[(i + 1) % 2]
        yield from to(row * long_axis + end * across, pressed=True)
        if i + 1 < len(rows_u):
            yield from to(rows_u[i + 1] * long_axis + end * across, pressed=True)
    for _ in range(MAX_CLEANUPS):
        left = sim.task_state[LEFT]
        if not left.any():
            break
        centre = _sponge_frame(sim)[0][:2]
        spots = sim.task_state[DIRT][left][:, :2]
        yield from to(spots[int(np.argmin(np.linalg.norm(spots - centre, axis=1)))], pressed=True)
    return yaw


def _dropped(sim: Sim, sponge: Sponge) -> bool:
    """The hand is no longer over the sponge: it slipped out of the fingers."""
    return float(np.linalg.norm(grasp_target(sim)[:2] - _sponge_frame(sim)[0][:2])) > sponge.half_extents_m[0]


def _pick_up_again(sim: Sim, sponge: Sponge, yaw: float, lift_z: float) -> Generator[Keyframe, None, float]:
    """Rise, then grasp the sponge across its width where it lies, at the grasp nearest the hand's
    ``yaw`` (the wrist turns least); returns that grasp's yaw."""
    yield top_down((*grasp_target(sim)[:2], APPROACH_Z_M), yaw, Gripper.CLOSED)
    pose = sim.pose("sponge")
    yaw = pose.yaw_rad + np.pi * round((yaw - pose.yaw_rad) / np.pi)
    at = np.array([*pose.pos[:2], pose.pos[2] + sponge.half_height_m - GRASP_BELOW_TOP_M])
    yield from pick(lambda: Grasp((*at[:2], APPROACH_Z_M), yaw, lift_z), lambda: at)
    return yaw
