"""scoop_with_spatula: slide a spatula's blade under a cube lying against a fence and lift the cube on it.

Task: a spatula (mo: a thin blade with a bevelled tip and an upright handle), a cube (ro) and a
fixed fence (other: a rail on two legs, a gap under it) that the cube lies against.
Randomizations: layout centre and yaw (+-pi), the cube's gap to the fence, the spatula's spot and
yaw beside the cube (either side).
Success: the cube lies flat on the blade (centre over it), its bottom LIFTED_M above the table, the
spatula held and the robot not touching the cube.
Oracle: pinches the handle across its faces along the blade, carries the blade behind the cube,
presses it onto the table, pushes it under the cube and the rail, backs out, lifts in two steps.
Dense reward: reach the handle (0-1/5), bring the blade behind the cube (1/5-2/5), slide it under
(2/5-3/5), lift (3/5-4/5); 1.0 only at success.
Departures from the reference: a fence with a slick face as backstop, a bevelled blade, an upright
handle over the centre of mass; masses anchored where the grip holds (cube [0.04, 0.2] kg and
spatula [0.05, 0.5] kg keep the reference's ratios 5 and 10). Why: docs/tasks/scoop_with_spatula.md.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import Fence, Spatula
from colosseum_lite.robot import Gripper, top_down_quat
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Quat, Sim, quat_from_matrix, rotation_matrix
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, grasped, untouched
from colosseum_lite.tasks.predicates import approach, closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, carry_tool, grasp_yaw, pick, push_segments, retreat, rotation_2d

SPATULA = Spatula()
SPATULA_FRICTION = 0.5  # below the object_friction range U(0.75, 1.0)
CUBE_HALF_M = 0.016
CUBE_MASS_KG = 0.04  # the low edge of the object_mass range
CUBE_FRICTION = 0.5
CUBE_RGBA = (0.85, 0.15, 0.15, 1.0)
FENCE = Fence()
FENCE_FRICTION = 0.0  # a slick backstop: the cube slides up its face as it is lifted
FENCE_X_M = 0.1  # the fence's centre from the layout centre, along the layout's x
CUBE_GAP_M = (0.002, 0.01)  # the cube's gap to the fence at reset
SPATULA_X_M = (-0.04, -0.01)  # the blade's centre (layout frame) ...
SPATULA_SIDE_M = (0.075, 0.1)  # ... this far beside the cube-fence line, plus the blade's half width
SPATULA_YAW_RAD = 0.4  # largest deviation of the spatula's yaw from the push direction
KEEP_CLEAR_RADIUS_M = 0.1

GRASP_ABOVE_BLADE_M = 0.02  # grasp target above the blade's top: fingertips 9 mm above it
CARRY_CLEARANCE_M = 0.03  # the blade's underside above the cube's and the fence's tops while carrying
APPROACH_GAP_M = 0.03  # the blade's tip this far behind the cube before the push
PRESS_M = 0.003  # the hand aims the blade this far into the table while pushing
OVERSHOOT_M = 0.008  # the push ends with the tip under the rail, the bevel and this far past its face
BACK_OFF_M = 0.006  # then backs off until the tip is this far out from under the rail
PUSH_STEP_M = 0.03
DONE_M = 0.004
PUSH_SEGMENTS = 8
LIFT_M = 0.1
LIFT_STEPS = 2  # one long lift shakes a light cube forward off the blade
LIFT_TILT_RAD = float(np.deg2rad(3.0))  # the blade's front raised this much while lifting
# Success.
LIFTED_M = 0.05  # the cube's bottom at least this far above the table
ON_BLADE_TOL_M = 0.004  # the cube's centre within this of its height lying flat on the blade
# Dense reward.
REACH_SCALE_M = 0.3
REACH_FINE_M = 0.03
PLACE_SCALE_M = 0.1
RIDING_TOL_M = 0.01  # the cube's centre this near its height lying on the blade: it rides on it
LIFT_STARTED = 0.1  # share of LIFTED_M the cube's bottom has risen once the lift has begun


class ScoopWithSpatula(Task):
    name = "scoop_with_spatula"
    objects = {"spatula": Role.MO, "cube": Role.RO, "fence": Role.OTHER}
    axes = {
        "mo_color": axis(),
        "ro_color": axis(),
        "mo_texture": axis(),
        "ro_texture": axis(),
        "mo_size": axis(range=(0.75, 1.25)),
        "ro_size": axis(range=(0.75, 1.5)),
        "object_friction": axis(targets=("cube", "spatula")),
        "object_mass": axis(ranges={"cube": (0.04, 0.2), "spatula": (0.05, 0.5)}),
        "distractor": axis(count=2),
    }
    max_episode_steps = 25

    def __init__(self) -> None:
        self._spatula = SPATULA  # replaced by build with the spatula at its built size (mo) ...
        self._cube_half = CUBE_HALF_M  # ... and the cube's half size (ro)

    def instruction(self, variant: str) -> str:
        return "scoop up the cube with the spatula"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._spatula = SPATULA.scaled(scales.mo)
        sim.load_urdf("spatula", write_urdf(self._spatula.model()))
        sim.set_dynamics("spatula", lateralFriction=SPATULA_FRICTION)
        h = self._cube_half = CUBE_HALF_M * scales.ro
        sim.add_box("cube", (h, h, h), mass_kg=CUBE_MASS_KG, rgba=CUBE_RGBA)
        sim.set_dynamics("cube", lateralFriction=CUBE_FRICTION)
        sim.load_urdf("fence", write_urdf(FENCE.model()), fixed=True)
        sim.set_dynamics("fence", lateralFriction=FENCE_FRICTION)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, (0.45, 0.55), (-0.1, 0.1))
        sim.set_pose("fence", layout.pose((FENCE_X_M, 0.0, TABLE_TOP_Z)))
        h = float(sim.shape_extents("cube")[0]) / 2
        layout.rest(sim, "cube", (FENCE_X_M - FENCE.half_thickness_m - float(rng.uniform(*CUBE_GAP_M)) - h, 0.0))
        tool = self._spatula
        side = float(rng.choice([-1.0, 1.0])) * (float(rng.uniform(*SPATULA_SIDE_M)) + tool.half_width_m)
        blade = np.array([float(rng.uniform(*SPATULA_X_M)), side])
        yaw = float(rng.uniform(-SPATULA_YAW_RAD, SPATULA_YAW_RAD))
        handle = blade - rotation_2d(yaw) @ np.array([tool.blade_center_m, 0.0])
        sim.set_pose("spatula", layout.pose((*handle, TABLE_TOP_Z), yaw))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The push lane behind the cube, where the blade comes down and slides in."""
        cube, fence = np.asarray(sim.pose("cube").pos[:2]), np.asarray(sim.pose("fence").pos[:2])
        back = (cube - fence) / max(float(np.linalg.norm(cube - fence)), 1e-9)
        return tuple((*(cube + t * back), KEEP_CLEAR_RADIUS_M) for t in (0.0, 0.1, 0.2))

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(grasped("spatula"), untouched("cube"), self._cube_on_blade)(snap)

    def _cube_on_blade(self, snap: Snapshot) -> bool:
        """The cube's centre over the blade at the height it has lying flat on it, its bottom LIFTED_M up."""
        local, tool = self._cube_in_spatula(snap), self._spatula
        flat = abs(float(local[2]) - tool.blade_top_m - self._cube_half) <= ON_BLADE_TOL_M
        lifted = float(snap["cube"].aabb_lo[2]) - TABLE_TOP_Z >= LIFTED_M
        return bool(self._over_blade(local) and flat and lifted)

    def _over_blade(self, local: np.ndarray) -> bool:
        """A point (spatula frame) over the blade's footprint."""
        tool = self._spatula
        return bool(tool.blade_back_m <= local[0] <= tool.blade_front_m and abs(local[1]) <= tool.half_width_m)

    def _cube_in_spatula(self, snap: Snapshot) -> np.ndarray:
        """The cube's centre in the spatula's frame."""
        sp = snap["spatula"]
        return rotation_matrix(sp.quat).T @ (snap["cube"].pos - sp.pos)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach the handle, bring the blade behind the cube, push it under, lift (in full: docs/tasks)."""
        tool, sp, cube = self._spatula, snap["spatula"], snap["cube"]
        if "spatula" not in snap.grasped:
            up = tool.blade_top_m + GRASP_ABOVE_BLADE_M
            grasp = sp.pos + rotation_matrix(sp.quat) @ np.array([0.0, 0.0, up])
            return staged_reward(False, 0, approach(float(np.linalg.norm(snap.ee_pos - grasp)), REACH_SCALE_M,
                                                    REACH_FINE_M), 4)
        success = self.success(snap, variant)
        local = self._cube_in_spatula(snap)
        riding = abs(float(local[2]) - tool.blade_top_m - self._cube_half) <= RIDING_TOL_M
        if self._over_blade(local) and riding and "cube" not in snap.touched:
            lift = fraction(float(cube.aabb_lo[2]) - TABLE_TOP_Z, 0.0, LIFTED_M)
            if lift > LIFT_STARTED:
                return staged_reward(success, 3, lift, 4)
            tip, half = tool.blade_front_m, self._cube_half  # from touching the tip to wholly on the blade
            depth = fraction(float(local[0]), tip + half, tip - half)
            return staged_reward(success, 2, depth, 4)
        d = rotation_matrix(snap["fence"].quat)[:2, 0]  # the push direction, toward the fence
        start = cube.pos[:2] - d * (self._cube_half + APPROACH_GAP_M + tool.blade_front_m)
        along = max(float(np.dot(sp.pos[:2] - start, d)), 0.0)  # the push lane: a ray from the start on
        off_lane = float(np.linalg.norm(sp.pos[:2] - start - along * d))
        align = max(0.0, float(np.dot(rotation_2d(sp.yaw_rad)[:, 0], d)))
        return staged_reward(success, 1, closeness(off_lane, PLACE_SCALE_M) * (1 + align) / 2, 4)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        tool, sp, fence = self._spatula, sim.pose("spatula"), sim.pose("fence")
        grasp_above_bottom = tool.blade_top_m + GRASP_ABOVE_BLADE_M
        carry_z = max(float(sim.aabb("cube")[1][2]), TABLE_TOP_Z + FENCE.height_m) + CARRY_CLEARANCE_M \
            + grasp_above_bottom
        press_z = TABLE_TOP_Z - PRESS_M + grasp_above_bottom
        d = np.array([np.cos(fence.yaw_rad), np.sin(fence.yaw_rad)])  # the push direction, toward the fence
        cube_xy, half = np.asarray(sim.pose("cube").pos[:2]), float(sim.shape_extents("cube")[0]) / 2
        face = np.asarray(fence.pos[:2]) - d * FENCE.half_thickness_m
        past_face = tool.bevel_length_m + OVERSHOOT_M  # how far the tip goes under the rail
        end = face + (cube_xy - face - d * float(np.dot(cube_xy - face, d))) - d * (tool.blade_front_m - past_face)
        start = cube_xy - d * (half + APPROACH_GAP_M + tool.blade_front_m)
        # Pinch the handle across its faces along the blade (the hand's yaw a quarter turn from the spatula's).
        yaw = grasp_yaw(sp.yaw_rad + np.pi / 2, fence.yaw_rad - sp.yaw_rad)
        com = np.asarray(sp.pos)
        yield from pick(lambda: Grasp((*com[:2], carry_z), yaw, carry_z),
                        lambda: np.array([*com[:2], com[2] + grasp_above_bottom]))
        # Carry the blade behind the cube, pointing at the fence, and press it onto the table.
        yaw = yield from carry_tool(lambda: (np.asarray(sim.pose("spatula").pos[:2]), sim.pose("spatula").yaw_rad),
                                    lambda: grasp_target(sim)[:2], lambda: (start, fence.yaw_rad), yaw,
                                    (carry_z, carry_z, press_z))
        # Slide the blade under the cube (the rail holds it back) and on under the rail, back out, lift.
        yield from push_segments(lambda: np.asarray(sim.pose("spatula").pos)[:2], lambda: grasp_target(sim)[:2],
                                 end, press_z, top_down_quat(yaw), step_m=PUSH_STEP_M, done_m=DONE_M,
                                 segments=PUSH_SEGMENTS)
        yield from retreat(lambda: grasp_target(sim), top_down_quat(yaw), Gripper.CLOSED,
                           by_m=(*(-d * (past_face + BACK_OFF_M)), 0.0))
        tilted, step_up = _front_up(yaw, fence.yaw_rad, LIFT_TILT_RAD), (0.0, 0.0, LIFT_M / LIFT_STEPS)
        for _ in range(LIFT_STEPS):
            yield from retreat(lambda: grasp_target(sim), tilted, Gripper.CLOSED, by_m=step_up)


def _front_up(hand_yaw_rad: float, heading_rad: float, tilt_rad: float) -> Quat:
    """The top-down hand at ``hand_yaw_rad`` turned about the horizontal axis across ``heading_rad`` so
    that a blade held along the heading has its front raised by ``tilt_rad``."""
    axis = np.array([-np.sin(heading_rad), np.cos(heading_rad), 0.0])
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    turn = np.eye(3) - np.sin(tilt_rad) * k + (1 - np.cos(tilt_rad)) * k @ k  # by -tilt about the axis
    return quat_from_matrix(turn @ rotation_matrix(top_down_quat(hand_yaw_rad)))
