"""How actions drive the arm: one controller class per control mode, owning its action space and step.

``ee_keyframe`` actions ``[x, y, z, qx, qy, qz, qw, gripper]`` name a grasp-target pose (world
frame) the arm moves to in one step; ``ee_delta`` actions ``[dx, dy, dz, dyaw, gripper]`` in
[-1, 1] nudge the commanded pose for one 20 Hz step. ``gripper`` >= 0 opens, < 0 closes.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

import numpy as np
from gymnasium import spaces

from colosseum_lite.declarations import describe
from colosseum_lite.registration import ControlMode
from colosseum_lite.robot import FINGERTIP_BELOW_EE_M, Gripper, Panda, top_down_quat
from colosseum_lite.scene import TABLE_TOP_Z
from colosseum_lite.sim import Sim

# Where the grasp target may be commanded (world frame, metres).
EE_LOW = np.array([0.05, -0.6, -0.02])
EE_HIGH = np.array([0.9, 0.6, 0.7])


def _gripper(value: float) -> Gripper:
    """The gripper command of an action's last entry: >= 0 opens, < 0 closes."""
    return Gripper.OPEN if value >= 0 else Gripper.CLOSED


class Control(Protocol):
    """A control mode: its action space and how one action drives the arm."""

    mode: ClassVar[ControlMode]
    RENDER_FPS: ClassVar[int]  # render() frames per second (one frame per step) for RecordVideo
    action_space: spaces.Box

    def reset(self) -> None:
        """Forget the last episode's state (called once the arm is back home)."""

    def step(self, sim: Sim, robot: Panda, action: np.ndarray) -> None:
        """Drive the arm with one checked action."""


class KeyframeControl:
    """``ee_keyframe``: move to a grasp-target pose in one step (the benchmark protocol)."""

    mode: ClassVar[ControlMode] = ControlMode.EE_KEYFRAME
    # render() frames per second for RecordVideo, one frame per step: a keyframe move lasts 0.4-1.1 s
    # (mean over the oracles' episodes, per task), so 2 fps plays an episode at about real time.
    RENDER_FPS: ClassVar[int] = 2

    def __init__(self) -> None:
        low = np.concatenate([EE_LOW, -np.ones(5)]).astype(np.float32)
        high = np.concatenate([EE_HIGH, np.ones(5)]).astype(np.float32)
        self.action_space: spaces.Box = spaces.Box(low, high, dtype=np.float32)

    def reset(self) -> None:
        """Nothing to forget: a keyframe is absolute."""

    def step(self, sim: Sim, robot: Panda, action: np.ndarray) -> None:
        """Move to the keyframe (a zero quaternion keeps the orientation), then set the gripper."""
        pos = np.clip(action[:3], EE_LOW, EE_HIGH)
        norm = np.linalg.norm(action[3:7])
        quat = action[3:7] / norm if norm > 1e-6 else robot.command.ee_quat
        gripper = _gripper(action[7])
        robot.move_to(sim, pos, quat)
        if gripper is not robot.command.gripper:
            robot.actuate_gripper(sim, gripper)


class DeltaControl:
    """``ee_delta``: nudge the commanded pose (gripper pointing down, turned by a yaw) at 20 Hz.

    The commanded grasp target stays in the workspace box and no lower than ``FLOOR_Z_M``, where the
    downward fingertips touch the table top: a command driven into the table would press the hand
    onto it (table friction then stalls every push) and wind up below it, so that lifting off
    took several steps of ``+dz`` before the hand moved.

    Attributes:
        yaw_rad: the commanded yaw about world z, kept within +-``YAW_LIMIT_RAD``.
    """

    mode: ClassVar[ControlMode] = ControlMode.EE_DELTA
    POS_M: ClassVar[float] = 0.02  # metres per unit action per step
    YAW_RAD: ClassVar[float] = 0.1  # radians per unit action per step
    SUBSTEPS: ClassVar[int] = 12  # 20 Hz control at 240 Hz physics
    RENDER_FPS: ClassVar[int] = 20  # one frame per step: real time
    YAW_LIMIT_RAD: ClassVar[float] = np.pi / 2
    FLOOR_Z_M: ClassVar[float] = TABLE_TOP_Z + FINGERTIP_BELOW_EE_M

    def __init__(self) -> None:
        self.action_space: spaces.Box = spaces.Box(-1.0, 1.0, (5,), np.float32)
        self.yaw_rad = 0.0

    def reset(self) -> None:
        """Point the gripper straight again (yaw 0)."""
        self.yaw_rad = 0.0

    def step(self, sim: Sim, robot: Panda, action: np.ndarray) -> None:
        """One 20 Hz step from the commanded pose."""
        a = np.clip(action, -1.0, 1.0)
        pos = np.clip(robot.command.ee_pos + a[:3] * self.POS_M, (*EE_LOW[:2], self.FLOOR_Z_M), EE_HIGH)
        self.yaw_rad = float(np.clip(self.yaw_rad + a[3] * self.YAW_RAD, -self.YAW_LIMIT_RAD, self.YAW_LIMIT_RAD))
        robot.command.gripper = _gripper(a[4])
        robot.aim(sim, pos, top_down_quat(self.yaw_rad))
        sim.step(self.SUBSTEPS)


CONTROLS: dict[ControlMode, type[KeyframeControl] | type[DeltaControl]] = {
    cls.mode: cls for cls in (KeyframeControl, DeltaControl)
}
# The ee_delta step sizes under their historical names (tests and scripted policies read them).
DELTA_POS_M = DeltaControl.POS_M
DELTA_YAW_RAD = DeltaControl.YAW_RAD
DELTA_SUBSTEPS = DeltaControl.SUBSTEPS


def control_for(mode: ControlMode) -> Control:
    """A fresh controller of a control mode."""
    return CONTROLS[mode]()


def checked_action(action: Any, space: spaces.Box, mode: ControlMode) -> np.ndarray:
    """The action as a flat float64 array.

    Raises:
        ValueError: unless it is ``space.shape`` finite real numbers (not bools).
    """
    try:
        raw = np.asarray(action)
    except (TypeError, ValueError):  # ragged nesting and the like
        raw = None
    a = raw.astype(np.float64).reshape(-1) if raw is not None and raw.dtype.kind in "iuf" else None
    if a is None or a.shape != space.shape or not np.all(np.isfinite(a)):
        raise ValueError(f"action must be {space.shape[0]} finite numbers for control_mode={mode.value!r}, "
                         f"got {describe(action)}")
    return a
