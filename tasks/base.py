"""What a task is: objects with roles, a layout, a success predicate and a scripted oracle.

A task module subclasses :class:`Task` once. The environment calls its hooks with the ``Sim``
(never stored) and an explicit random generator:

- ``build(sim, scales)`` creates the task's bodies (again whenever a size changes);
- ``reset(sim, rng, variant)`` places them for a new episode;
- ``success(snapshot, variant)`` is a pure predicate over a :class:`Snapshot`;
- ``oracle(sim, variant)`` yields :class:`Keyframe` s, reading privileged state between yields.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import ClassVar

import numpy as np

from colosseum_lite.declarations import AxisSetting, Role, Scales
from colosseum_lite.robot import EE_LINK, FINGER_JOINTS, HOLDING_WIDTH_M, Gripper, top_down_quat
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import BodyState, Pose, Quat, Sim, Vec3, VecLike, quat_from_euler, vec3

PANDA = "panda"
MIN_GRASP_OPENING_M = HOLDING_WIDTH_M  # fingers closer than this hold nothing (closed, pushing)


@dataclass(frozen=True, slots=True)
class Keyframe:
    """A target grasp-target pose (world frame) and gripper state for one ``ee_keyframe`` step."""

    pos: Vec3
    quat: Quat
    gripper: Gripper

    def action(self) -> np.ndarray:
        """The ``ee_keyframe`` action: ``[x, y, z, qx, qy, qz, qw, gripper]`` (+1 open, -1 closed)."""
        g = 1.0 if self.gripper is Gripper.OPEN else -1.0
        return np.array([*self.pos, *self.quat, g], dtype=np.float32)


def top_down(pos: VecLike, yaw_rad: float, gripper: Gripper) -> Keyframe:
    """A keyframe with the gripper pointing down at ``pos``, fingers closing across ``yaw_rad``."""
    return Keyframe(vec3(pos), top_down_quat(yaw_rad), gripper)


@dataclass(frozen=True, slots=True)
class Layout:
    """The task's frame on the table: a centre and a yaw about world z."""

    center_xy: tuple[float, float]
    yaw_rad: float

    def point(self, local: Vec3) -> np.ndarray:
        """World position of a point given in the layout frame."""
        c, s = np.cos(self.yaw_rad), np.sin(self.yaw_rad)
        x, y, z = local
        return np.array([self.center_xy[0] + c * x - s * y, self.center_xy[1] + s * x + c * y, z])

    def rest(self, sim: Sim, name: str, local_xy: tuple[float, float], local_yaw_rad: float = 0.0) -> None:
        """Put a box or sphere body at ``local_xy`` of the layout, resting on the table."""
        sim.rest_on_table(name, self.point((*local_xy, 0.0))[:2], self.yaw_rad + local_yaw_rad, TABLE_TOP_Z)

    def pose(self, local: Vec3, local_yaw_rad: float = 0.0) -> Pose:
        """World pose of a body placed at ``local`` with yaw ``local_yaw_rad`` in the layout frame."""
        quat = quat_from_euler(0.0, 0.0, self.yaw_rad + local_yaw_rad)
        return Pose(vec3(self.point(local)), quat)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The scene as success predicates see it.

    Attributes:
        bodies: state of each task body, by name.
        ee_pos: the grasp target's position (world frame, m).
        gripper_width_m: the finger opening (sum of both finger joints, m).
        grasped: task bodies held between the fingers: touched by both fingers with the
            fingers at least ``MIN_GRASP_OPENING_M`` apart (closed fingers pushing hold nothing).
        touched: task bodies in contact with any link of the robot.
        task_state: a copy of the task's state outside PyBullet (``Sim.task_state``, written by
            :meth:`Task.substep`); empty for tasks without one.
    """

    bodies: Mapping[str, BodyState]
    ee_pos: np.ndarray
    gripper_width_m: float
    grasped: frozenset[str]
    touched: frozenset[str] = frozenset()
    task_state: Mapping[str, np.ndarray] = field(default_factory=lambda: MappingProxyType({}))

    def __getitem__(self, name: str) -> BodyState:
        return self.bodies[name]


def roomiest(draw: Callable[[], np.ndarray], slack: Callable[[np.ndarray], float], tries: int) -> np.ndarray:
    """Rejection sampling of a spot: the first of up to ``tries`` draws whose ``slack`` (how far, in
    metres, it is inside every constraint; negative if it breaks one) is >= 0, else the roomiest
    draw (so a reset never fails, and stays as good as the draws allow)."""
    best, best_slack = draw(), -np.inf
    for i in range(tries):
        xy = best if i == 0 else draw()
        room = slack(xy)
        if room > best_slack:
            best, best_slack = xy, room
        if room >= 0.0:
            return xy
    return best


def grasp_target(sim: Sim) -> np.ndarray:
    """Where the robot's grasp target is now (world frame, m): between the fingertips' pads."""
    return np.asarray(sim.pose(PANDA, EE_LINK).pos)


def take_snapshot(sim: Sim, names: tuple[str, ...]) -> Snapshot:
    """Read the state of the named bodies and the gripper from the simulator."""
    bodies = {name: sim.body_state(name) for name in names}
    contacts = [(other, link) for other, link in sim.contact_links(PANDA) if other in bodies]
    touching = [{other for other, link in contacts if link == j} for j in FINGER_JOINTS]
    touched = frozenset(other for other, _ in contacts)
    width = float(sum(sim.joint_positions(PANDA, FINGER_JOINTS)))
    grasped = frozenset(touching[0] & touching[1]) if width >= MIN_GRASP_OPENING_M else frozenset()
    if not sim.task_state:
        return Snapshot(bodies, grasp_target(sim), width, grasped, touched)
    task_state = MappingProxyType({k: v.copy() for k, v in sim.task_state.items()})
    return Snapshot(bodies, grasp_target(sim), width, grasped, touched, task_state)


class Task(ABC):
    """Base of every task module. Subclass once; declare, don't forward.

    Class attributes:
        name: the reference's snake_case task name.
        objects: every body the task creates, by name, with its role.
        axes: how each task-specific perturbation axis applies (:func:`~colosseum_lite.declarations.axis`);
            the scene axes (light, table, background, camera) apply to every task.
        variants: named variations; the env picks one per episode unless fixed.
        max_episode_steps: ``ee_keyframe`` steps (keyframes) before truncation.
        max_delta_steps: ``ee_delta`` control steps (20 Hz) before truncation.
        layout_yaw_rad: range of the random yaw of the whole layout.
        sized_links: for an object whose size axis scales only some of its links (an oven's
            knobs, not the oven), those links by object name; other objects scale whole.
        view_camera: the camera that sees every task object at reset (the gallery's default and
            the view the visual-axis tests check): front, unless a tall body hides the others from it.
    """

    name: ClassVar[str]
    objects: ClassVar[Mapping[str, Role]]
    axes: ClassVar[Mapping[str, AxisSetting]] = MappingProxyType({})
    variants: ClassVar[tuple[str, ...]] = ("default",)
    max_episode_steps: ClassVar[int] = 25
    max_delta_steps: ClassVar[int] = 200
    layout_yaw_rad: ClassVar[tuple[float, float]] = (-np.pi, np.pi)
    sized_links: ClassVar[Mapping[str, tuple[str, ...]]] = MappingProxyType({})
    view_camera: ClassVar[str] = "front"

    @abstractmethod
    def instruction(self, variant: str) -> str:
        """The language instruction for one variant."""

    @abstractmethod
    def build(self, sim: Sim, scales: Scales) -> None:
        """Create every body in ``objects`` (anywhere; ``reset`` places them)."""

    @abstractmethod
    def reset(self, sim: Sim, rng: np.random.Generator, variant: str) -> None:
        """Place the bodies and set joints for a new episode, drawing only from ``rng``."""

    @abstractmethod
    def success(self, snap: Snapshot, variant: str) -> bool:
        """Whether the task is solved in this snapshot."""

    @abstractmethod
    def oracle(self, sim: Sim, variant: str) -> Iterator[Keyframe]:
        """Scripted keyframes that solve the episode, using privileged state."""

    def substep(self, sim: Sim) -> None:  # noqa: B027  (optional: a no-op unless a task overrides it)
        """Update the task's state outside PyBullet (``sim.task_state``) after one physics substep.

        For tasks whose success depends on more than the bodies' poses (specks wiped off a table).
        The env calls it after every substep only when a task overrides it, so other tasks step at
        full speed; ``sim.task_state`` is saved and restored with the physics state (so emptied
        at every reset: ``reset`` writes the episode's) and copied into every :class:`Snapshot`.
        """

    def dense_reward(self, snap: Snapshot, variant: str) -> float:
        """A shaped reward in [0, 1] for one step, built from the task's stages; 1 at success.

        Tasks override it; ``reward_mode="dense"`` uses it (the default, sparse, does not).
        """
        raise NotImplementedError(f"{self.name} has no dense reward")

    def keep_clear(self, sim: Sim, variant: str) -> tuple[tuple[float, float, float], ...]:
        """Circles ``(x, y, radius)`` (world frame, metres) where distractors never stand.

        Cover the task's target patches and goal zones (a body without a collision shape has no
        footprint of its own) and where the robot's motions go. Called after ``reset``; none by
        default.
        """
        return ()

    def body_names(self) -> tuple[str, ...]:
        """Names of the task's bodies, in declaration order."""
        return tuple(self.objects)

    def state_vector(self, snap: Snapshot) -> np.ndarray:
        """Privileged object state: each body's position, quaternion and joint positions."""
        parts = []
        for name in self.objects:
            b = snap[name]
            parts += [b.pos, b.quat, np.asarray(b.joints, dtype=float)]
        return np.concatenate(parts).astype(np.float32)

    def sample_layout(
        self, rng: np.random.Generator, center_x: tuple[float, float], center_y: tuple[float, float]
    ) -> Layout:
        """A layout centre drawn from the given ranges and a yaw from ``layout_yaw_rad``."""
        cx, cy = rng.uniform(*center_x), rng.uniform(*center_y)
        return Layout((float(cx), float(cy)), float(rng.uniform(*self.layout_yaw_rad)))
