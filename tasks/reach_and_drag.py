"""reach_and_drag: grasp an L-shaped stick and drag a cube back onto a target square with it.

A stick (mo) lies on the table beside a cube (ro) and a flat target square (visual only, no
collision). The stick is a 2 cm square shaft with a short perpendicular hook at its far end.
The robot grasps the shaft over its centre of mass, lifts it, reaches past the cube so the
hook lands on the cube's far side with the shaft alongside the cube, lowers it to the table
and drags the cube onto the target. Success: the cube's centre lies inside the target square,
whatever the stick does. The layout yaw spans +-pi, so the drag direction is arbitrary.

Departures from the reference (RLBench reach_and_drag):
- The stick has a hook: a straight stick pulled sideways lets the cube slip off its end, and a
  top-down parallel gripper holds a tool against pull along its shaft far better than against
  sideways torque.
- The shaft is weighted so the centre of mass sits on the shaft axis, a little toward the
  handle end: a parallel gripper cannot resist torque about its closing axis, so the grasp goes
  over the centre of mass, and the hand then stays clear of the cube while dragging.
- Cube and target sit close to the layout centre (the reference spreads them wider), so every
  hand position of the drag stays in the reachable workspace under any layout yaw.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pybullet as p
from colosseum_lite.tasks.base import PANDA, PARKED, Keyframe, Role, Scales, Snapshot, Task, top_down
from colosseum_lite.tasks.predicates import in_oriented_rect

from colosseum_lite.assets import Geom, Link, Model, write_urdf
from colosseum_lite.robot import EE_LINK, Gripper
from colosseum_lite.sim import Sim

STICK_HALF_LENGTH_M = 0.14
STICK_HALF_WIDTH_M = 0.01  # half of the square cross-section
HOOK_REACH_M = 0.09  # how far the hook sticks out sideways beyond the shaft's edge
HANDLE_COM_SHIFT_M = 0.02  # centre of mass this far from the shaft's middle, toward the handle
STICK_MASS_KG = 0.15
STICK_FRICTION = 1.0
STICK_RGBA = (0.2, 0.3, 0.75, 1.0)
CUBE_HALF_M = 0.025
CUBE_MASS_KG = 0.75
CUBE_FRICTION = 0.8
CUBE_RGBA = (0.85, 0.15, 0.15, 1.0)
TARGET_HALF_M = 0.05
TARGET_RGBA = (0.1, 0.75, 0.2, 1.0)
CUBE_TARGET_GAP_M = 0.16  # cube centre to target centre at reset
STICK_SIDE_M = (0.1, 0.13)  # layout y of the shaft at reset (beside the cube-target line)
STICK_YAW_RAD = 0.35  # largest deviation of the stick's reset yaw from the drag line

GRASP_BELOW_TOP_M = 0.008  # grasp target this far below the stick's top face
HOVER_M = 0.003  # the stick's underside above the table while dragging
LIFT_CLEARANCE_M = 0.04  # the stick's underside above the cube's top while carrying
HOOK_CLEARANCE_M = 0.02  # gap behind the cube where the hook comes down
SIDE_CLEARANCE_M = 0.015  # gap between the cube and the shaft beside it
DRAG_STEP_M = 0.04
DONE_M = 0.012  # cube centre this close to the target centre: stop dragging


@dataclass(frozen=True, slots=True)
class StickShape:
    """The stick read from the simulator, in its centre-of-mass frame (metres).

    Attributes:
        face_x_m: local x of the hook's inner face (the face that drags the cube).
        half_width_m: half the shaft's cross-section.
        hook_side: +1 if the hook sticks out along local +y, -1 along -y.
        hook_reach_m: how far the hook reaches sideways from the shaft axis.
    """

    face_x_m: float
    half_width_m: float
    hook_side: float
    hook_reach_m: float

    @classmethod
    def read(cls, sim: Sim, name: str) -> StickShape:
        """Measure the shaft and hook boxes of a stick body from its collision shapes."""
        shapes = sim.client.getCollisionShapeData(sim.id(name), -1)
        shaft, hook = sorted(shapes, key=lambda s: -s[3][0])[:2]  # the shaft is the longest along x
        hook_x, hook_y = hook[5][0], hook[5][1]
        side = float(np.sign(hook_y))
        return cls(
            face_x_m=float(hook_x - hook[3][0] / 2),
            half_width_m=float(shaft[3][1] / 2),
            hook_side=side,
            hook_reach_m=float(abs(hook_y) + hook[3][1] / 2),
        )


def stick_model() -> Model:
    """The nominal stick: a shaft along x with the hook at its +x end sticking out toward -y."""
    h, w = STICK_HALF_LENGTH_M, STICK_HALF_WIDTH_M
    hook_half = HOOK_REACH_M / 2
    shaft = Geom("box", (h, w, w), rgba=STICK_RGBA)
    hook = Geom("box", (w, hook_half, w), xyz=(h - w, -(w + hook_half), 0.0), rgba=STICK_RGBA)
    return Model("reach_drag_stick", (Link("stick", (shaft, hook), STICK_MASS_KG,
                                           (-HANDLE_COM_SHIFT_M, 0.0, 0.0)),))


def _rot(yaw_rad: float) -> np.ndarray:
    c, s = np.cos(yaw_rad), np.sin(yaw_rad)
    return np.array([[c, -s], [s, c]])


def _wrap_pi(a: float) -> float:
    return float((a + np.pi) % (2 * np.pi) - np.pi)


class ReachAndDrag(Task):
    name = "reach_and_drag"
    objects = {"stick": Role.MO, "cube": Role.RO, "target": Role.OTHER}
    max_episode_steps = 25

    def instruction(self, variant: str) -> str:
        return "use the stick to drag the cube onto the target"

    def build(self, sim: Sim, scales: Scales) -> None:
        sim.load_urdf("stick", write_urdf(stick_model().scaled(scales.mo)), PARKED)
        sim.set_dynamics("stick", lateralFriction=STICK_FRICTION)
        h = CUBE_HALF_M * scales.ro
        sim.add_box("cube", (h, h, h), PARKED, CUBE_MASS_KG, CUBE_RGBA)
        sim.set_dynamics("cube", lateralFriction=CUBE_FRICTION)
        sim.add_primitive("target", p.GEOM_BOX, PARKED, 0.0, TARGET_RGBA,
                          half_extents_m=(TARGET_HALF_M, TARGET_HALF_M, 0.0005), collision=False)

    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        layout = self.sample_layout(rng, (0.46, 0.58), (-0.12, 0.12))
        cube_h = sim.aabb("cube")[1][2] - sim.aabb("cube")[0][2]
        sim.set_pose("cube", layout.pose((CUBE_TARGET_GAP_M / 2, 0.0, cube_h / 2),
                                         float(rng.uniform(-np.pi, np.pi))))
        sim.set_pose("target", layout.pose((-CUBE_TARGET_GAP_M / 2, 0.0, 0.0005)))
        # The stick lies beside the line on the side its hook faces, roughly along the line.
        stick_h = sim.aabb("stick")[1][2] - sim.aabb("stick")[0][2]
        shape = StickShape.read(sim, "stick")
        side = -shape.hook_side * float(rng.uniform(*STICK_SIDE_M))
        sim.set_pose("stick", layout.pose((float(rng.uniform(-0.03, 0.03)), side, stick_h / 2),
                                          float(rng.uniform(-STICK_YAW_RAD, STICK_YAW_RAD))))

    def success(self, snap: Snapshot, variant: str) -> bool:
        t = snap["target"]
        return in_oriented_rect(snap["cube"].pos, t.pos, (TARGET_HALF_M, TARGET_HALF_M), t.yaw_rad)

    # ------------------------------------------------------------------ oracle
    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        shape = StickShape.read(sim, "stick")
        target = np.asarray(sim.pose("target").pos)[:2]
        stick = sim.pose("stick")
        stick_top = float(sim.aabb("stick")[1][2])
        grasp_z = stick_top - GRASP_BELOW_TOP_M
        grasp_above_bottom = grasp_z - float(sim.aabb("stick")[0][2])
        cube_lo, cube_hi = sim.aabb("cube")
        carry_z = float(cube_hi[2]) + LIFT_CLEARANCE_M + grasp_above_bottom
        drag_z = HOVER_M + grasp_above_bottom

        # Pick the hand yaw (grasp yaw or its half turn) that keeps both pick and drag yaw small.
        cube = np.asarray(sim.pose("cube").pos)[:2]
        d = target - cube
        d /= np.linalg.norm(d)
        drag_stick_yaw = float(np.arctan2(-d[1], -d[0]))  # hook (local +x) behind the cube
        turn = _wrap_pi(drag_stick_yaw - stick.yaw_rad)
        # top_down(yaw) turns the hand by -yaw about world z; at 0 it closes across a shaft along x.
        candidates = (-stick.yaw_rad, np.pi - stick.yaw_rad, -np.pi - stick.yaw_rad)
        yaw = min(candidates, key=lambda y: max(abs(y), abs(y - turn)))
        com = np.asarray(stick.pos)
        yield top_down((*com[:2], carry_z), yaw, Gripper.OPEN)
        yield top_down((*com[:2], grasp_z), yaw, Gripper.OPEN)
        yield top_down((*com[:2], grasp_z), yaw, Gripper.CLOSED)
        yield top_down((*com[:2], carry_z), yaw, Gripper.CLOSED)

        # Carry: place the hook behind the cube, correcting for how the stick sits in the hand.
        for _ in range(2):
            hand_xy, hand_yaw = self._hand_for_drag(sim, shape, target, yaw)
            yaw = hand_yaw
            yield top_down((*hand_xy, carry_z), yaw, Gripper.CLOSED)
        hand_xy, _ = self._hand_for_drag(sim, shape, target, yaw)
        yield top_down((*hand_xy, drag_z), yaw, Gripper.CLOSED)

        # Drag in short segments, re-aiming at the target from the cube's real position.
        for _ in range(12):
            cube = np.asarray(sim.pose("cube").pos)[:2]
            to_go = target - cube
            dist = float(np.linalg.norm(to_go))
            if dist < DONE_M:
                break
            ee = np.asarray(sim.pose(PANDA, EE_LINK).pos)[:2]
            step = min(DRAG_STEP_M, dist)
            yield top_down((*(ee + to_go / dist * step), drag_z), yaw, Gripper.CLOSED)

    def _hand_for_drag(
        self, sim: Sim, shape: StickShape, target: np.ndarray, hand_yaw: float
    ) -> tuple[np.ndarray, float]:
        """Hand xy and yaw that put the hook just behind the cube, the shaft beside it."""
        stick = sim.pose("stick")
        ee = np.asarray(sim.pose(PANDA, EE_LINK).pos)[:2]
        hand_angle = -hand_yaw  # top_down(yaw) turns the hand by -yaw about world z
        in_hand = _rot(-hand_angle) @ (np.asarray(stick.pos[:2]) - ee)
        yaw_in_hand = _wrap_pi(stick.yaw_rad - hand_angle)
        cube = np.asarray(sim.pose("cube").pos)[:2]
        lo, hi = sim.aabb("cube")
        cube_half = float(np.max(hi[:2] - lo[:2])) / 2
        d = target - cube
        d /= np.linalg.norm(d)
        stick_yaw = float(np.arctan2(-d[1], -d[0]))
        lateral = _rot(stick_yaw) @ np.array([0.0, shape.hook_side])  # from shaft toward the hook
        face = cube - d * (cube_half + HOOK_CLEARANCE_M)
        offset = shape.half_width_m + SIDE_CLEARANCE_M + cube_half
        com = face + d * shape.face_x_m - lateral * offset
        new_angle = hand_angle + _wrap_pi(stick_yaw - yaw_in_hand - hand_angle)
        return com - _rot(new_angle) @ in_hand, -new_angle
