"""reach_and_drag: grasp a hooked stick and drag a cube back onto a target square with it.

Task: a stick with a hook (mo), a cube (ro) and a flat target square (other) on the table.
Randomizations: layout centre and yaw (+-pi: any drag direction), the cube's yaw, the stick's
offset and yaw beside the cube-target line.
Success: the cube's centre is on the target, the stick is held and the robot does not touch the
cube (it was moved with the stick, not the hand).
Oracle: grasps the shaft over its centre of mass, carries the hook behind the cube, lowers it and
drags in short segments re-aimed from the cube's real position.
Dense reward: reach the stick (0-1/4), place the hook behind the cube (1/4-1/2), drag (1/2-3/4);
1.0 only at success.
Departures from the reference: a hook on the stick, its centre of mass on the shaft, cube and
target near the layout centre, and nominal cube mass and friction at the edge of their axes.
Why: docs/tasks/reach_and_drag.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

import numpy as np

from colosseum_lite.assets import write_urdf
from colosseum_lite.declarations import Role, Scales, axis
from colosseum_lite.parts import FlatPatch, Tool
from colosseum_lite.robot import top_down_quat
from colosseum_lite.sim import Sim
from colosseum_lite.tasks.base import Keyframe, Snapshot, Task, grasp_target
from colosseum_lite.tasks.conditions import all_of, centre_on_patch, grasped, untouched
from colosseum_lite.tasks.predicates import closeness, fraction, staged_reward
from colosseum_lite.tasks.skills import Grasp, carry_tool, grasp_yaw, pick, push_segments, rotation_2d

# The stick at scale 1: a shaft along x, the hook at its +x end sticking out 0.1 m toward -y, the
# centre of mass 2 cm from the shaft's middle toward the handle.
STICK = Tool(shaft_half_length_m=0.14, shaft_half_width_m=0.01, head_reach_m=0.1, head_side=-1.0,
             com_shift_m=0.02, mass_kg=0.15, rgba=(0.2, 0.3, 0.75, 1.0), name="reach_drag_stick")
STICK_FRICTION = 1.0
CUBE_HALF_M = 0.025
CUBE_MASS_KG = 0.5  # the low edge of the object_mass range
CUBE_FRICTION = 0.5  # below the object_friction range U(0.75, 1.0)
CUBE_RGBA = (0.85, 0.15, 0.15, 1.0)
TARGET_HALF_M = 0.05
TARGET = FlatPatch((TARGET_HALF_M, TARGET_HALF_M), rgba=(0.1, 0.75, 0.2, 1.0))
CUBE_TARGET_GAP_M = 0.16  # cube centre to target centre at reset
STICK_SIDE_M = (0.12, 0.15)  # distance of the shaft from the cube-target line at reset
STICK_SHIFT_M = 0.03  # largest shift of the stick along the line at reset
KEEP_CLEAR_RADIUS_M = 0.1  # distractors stay out of the drag lane
STICK_YAW_RAD = 0.25  # largest deviation of the stick's reset yaw from the line

GRASP_BELOW_TOP_M = 0.008  # grasp target this far below the stick's top face
HOVER_M = 0.003  # the stick's underside above the table while dragging
LIFT_CLEARANCE_M = 0.04  # the stick's underside above the cube's top while carrying
HOOK_CLEARANCE_M = 0.02  # gap behind the cube where the hook comes down
SIDE_CLEARANCE_M = 0.01  # gap between the cube and the shaft beside it
DRAG_STEP_M = 0.04
MAX_DRAG_SEGMENTS = 12
DONE_M = 0.012  # cube centre this close to the target centre: stop dragging
# Dense reward.
REACH_SCALE_M = 0.3
PLACE_SCALE_M = 0.1
LOW_SCALE_M = 0.05
DRAG_STARTED_M = 0.01  # the cube this much nearer the target than at reset is being dragged
PROGRESS_SHARE = 0.8  # share of a stage earned by its main term


class ReachAndDrag(Task):
    name = "reach_and_drag"
    objects = {"stick": Role.MO, "cube": Role.RO, "target": Role.OTHER}
    axes = {
        "mo_color": axis(),
        "ro_color": axis(),
        "mo_texture": axis(),
        "ro_texture": axis(),
        "mo_size": axis(range=(0.8, 1.1)),
        "ro_size": axis(range=(0.5, 1.0)),
        "object_friction": axis(targets=("cube",)),
        "object_mass": axis(ranges={"cube": (0.5, 2.5)}),
        "distractor": axis(count=2),
    }
    max_episode_steps = 25
    max_delta_steps = 200  # ee_delta: an oracle-following ee_delta controller took 86-87 steps (20 seeds)

    def __init__(self) -> None:
        self._stick = STICK  # replaced by build with the stick at its built size (mo)

    def instruction(self, variant: str) -> str:
        return "use the stick to drag the cube onto the target"

    def build(self, sim: Sim, scales: Scales) -> None:
        self._stick = STICK.scaled(scales.mo)
        sim.load_urdf("stick", write_urdf(self._stick.model()))
        sim.set_dynamics("stick", lateralFriction=STICK_FRICTION)
        h = CUBE_HALF_M * scales.ro
        sim.add_box("cube", (h, h, h), mass_kg=CUBE_MASS_KG, rgba=CUBE_RGBA)
        sim.set_dynamics("cube", lateralFriction=CUBE_FRICTION)
        sim.add_box("target", TARGET.half_extents_m, mass_kg=0.0, rgba=TARGET.rgba, collision=TARGET.collision)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, (0.46, 0.58), (-0.12, 0.12))
        layout.rest(sim, "cube", (CUBE_TARGET_GAP_M / 2, 0.0), float(rng.uniform(-np.pi, np.pi)))
        sim.set_pose("target", layout.pose((-CUBE_TARGET_GAP_M / 2, 0.0, TARGET.half_thickness_m)))
        # The stick lies roughly along the line, hook end on the cube's side and the hook facing
        # away from the line (so it never overlaps the cube): the robot must carry it across.
        tool = self._stick
        side = tool.head_side * float(rng.uniform(*STICK_SIDE_M))
        shift = float(rng.uniform(-STICK_SHIFT_M, STICK_SHIFT_M))
        sim.set_pose("stick", layout.pose((shift, side, tool.half_height_m),
                                          float(rng.uniform(-STICK_YAW_RAD, STICK_YAW_RAD))))

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """The drag lane: from the target (the first circle covers the whole square, which has no
        collision shape of its own) through the cube to where the hook comes down behind it."""
        target, cube = np.asarray(sim.pose("target").pos[:2]), np.asarray(sim.pose("cube").pos[:2])
        back = (cube - target) / max(float(np.linalg.norm(cube - target)), 1e-9)
        return tuple((*(target + t * back), KEEP_CLEAR_RADIUS_M) for t in (0.0, 0.08, 0.16, 0.24, 0.32))

    def success(self, snap: Snapshot, variant: str) -> bool:
        return all_of(centre_on_patch("cube", "target", TARGET.half_size_m), grasped("stick"),
                      untouched("cube"))(snap)

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """Reach and grasp the stick, put its hook behind the cube, drag the cube (in full: docs/tasks)."""
        stick, cube, target = snap["stick"], snap["cube"], snap["target"]
        tool = self._stick
        if "stick" not in snap.grasped:
            grasp = stick.pos + np.array([0.0, 0.0, tool.half_height_m - GRASP_BELOW_TOP_M])
            return staged_reward(False, 0, closeness(float(np.linalg.norm(snap.ee_pos - grasp)), REACH_SCALE_M), 3)
        cube_half = float(cube.aabb_hi[2] - cube.aabb_lo[2]) / 2
        yaw = stick.yaw_rad
        cube_local = _cube_in_hook(tool, cube_half, cube_half, HOOK_CLEARANCE_M)
        back = cube.pos[:2] - target.pos[:2]
        dist = float(np.linalg.norm(back))
        align = max(0.0, float(np.dot([np.cos(yaw), np.sin(yaw)], back / max(dist, 1e-9))))
        miss = float(np.linalg.norm(stick.pos[:2] + rotation_2d(yaw) @ cube_local - cube.pos[:2]))
        place = closeness(miss, PLACE_SCALE_M) * (1 + align) / 2
        success = self.success(snap, variant)
        if dist < CUBE_TARGET_GAP_M - DRAG_STARTED_M:
            drag = 0.0 if "cube" in snap.touched else fraction(dist, CUBE_TARGET_GAP_M, 0.0)
            return staged_reward(success, 2, PROGRESS_SHARE * drag + (1 - PROGRESS_SHARE) * place, 3)
        low = closeness(float(stick.aabb_lo[2]), LOW_SCALE_M)
        return staged_reward(success, 1, PROGRESS_SHARE * place + (1 - PROGRESS_SHARE) * place * low, 3)

    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        tool, stick, target = self._stick, sim.pose("stick"), np.asarray(sim.pose("target").pos)[:2]
        grasp_above_bottom = 2 * tool.half_height_m - GRASP_BELOW_TOP_M
        grasp_z = stick.pos[2] + tool.half_height_m - GRASP_BELOW_TOP_M
        carry_z = float(sim.aabb("cube")[1][2]) + LIFT_CLEARANCE_M + grasp_above_bottom
        drag_z = HOVER_M + grasp_above_bottom
        hook = partial(_hook_pose, sim, tool, target, HOOK_CLEARANCE_M)
        # Grasp across the shaft over the centre of mass, the hand turned so the drag yaw stays small.
        yaw = grasp_yaw(stick.yaw_rad, hook()[1] - stick.yaw_rad)
        com = np.asarray(stick.pos)
        yield from pick(lambda: Grasp((*com[:2], carry_z), yaw, carry_z), lambda: np.array([*com[:2], grasp_z]))
        # Carry the hook behind the cube, correcting twice for how the stick sits in the hand.
        yaw = yield from carry_tool(lambda: (np.asarray(sim.pose("stick").pos[:2]), sim.pose("stick").yaw_rad),
                                    lambda: grasp_target(sim)[:2], hook, yaw, (carry_z, carry_z, drag_z))
        # Drag in short straight segments, re-aimed from the cube's real position.
        yield from push_segments(lambda: np.asarray(sim.pose("cube").pos)[:2], lambda: grasp_target(sim)[:2],
                                 target, drag_z, top_down_quat(yaw), step_m=DRAG_STEP_M, done_m=DONE_M,
                                 segments=MAX_DRAG_SEGMENTS)


def _hook_pose(sim: Sim, tool: Tool, target: np.ndarray, gap_m: float) -> tuple[np.ndarray, float]:
    """Stick centre-of-mass xy and yaw that put its hook ``gap_m`` behind the cube.

    The stick lies along the cube-to-target line, the shaft beside the cube (clear of it by
    ``SIDE_CLEARANCE_M``) and the hook's inner face across the line behind the cube.
    """
    cube = sim.pose("cube")
    cube_xy = np.asarray(cube.pos[:2])
    back = cube_xy - target
    yaw = float(np.arctan2(back[1], back[0]))  # the stick's local +x (toward the hook) points back
    half = sim.shape_extents("cube")[:2] / 2
    along_x, along_y = np.abs(rotation_2d(cube.yaw_rad).T @ rotation_2d(yaw)).T @ half  # cube extents, stick frame
    return cube_xy - rotation_2d(yaw) @ _cube_in_hook(tool, along_x, along_y, gap_m), yaw


def _cube_in_hook(tool: Tool, along_x: float, along_y: float, gap_m: float) -> np.ndarray:
    """Where the cube's centre sits in the stick's centre-of-mass frame (xy) with the hook's inner
    face ``gap_m`` behind it and the shaft ``SIDE_CLEARANCE_M`` beside it; ``along_x``, ``along_y``:
    the cube's half extents along the stick's axes."""
    return np.array([tool.head_face_com_m - along_x - gap_m,
                     tool.head_side * (tool.half_width_m + SIDE_CLEARANCE_M + along_y)])
