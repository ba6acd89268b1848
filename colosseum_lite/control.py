"""How actions drive the arm: the action space of each control mode and one step of each.

``ee_keyframe`` actions ``[x, y, z, qx, qy, qz, qw, gripper]`` name a grasp-target pose (world
frame) the arm moves to in one step; ``ee_delta`` actions ``[dx, dy, dz, dyaw, gripper]`` in
[-1, 1] nudge the commanded pose for one 20 Hz step. ``gripper`` >= 0 opens, < 0 closes.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

from colosseum_lite.declarations import describe
from colosseum_lite.registration import ControlMode
from colosseum_lite.robot import Gripper, Panda, top_down_quat
from colosseum_lite.sim import Sim

# Where the grasp target may be commanded (world frame, metres).
EE_LOW = np.array([0.05, -0.6, -0.02])
EE_HIGH = np.array([0.9, 0.6, 0.7])
DELTA_POS_M = 0.02  # ee_delta: metres per unit action per step
DELTA_YAW_RAD = 0.1
DELTA_SUBSTEPS = 12  # ee_delta: 20 Hz control at 240 Hz physics
YAW_LIMIT_RAD = np.pi / 2


def action_space(mode: ControlMode) -> spaces.Box:
    """The Box of a control mode's actions."""
    if mode is ControlMode.EE_DELTA:
        return spaces.Box(-1.0, 1.0, (5,), np.float32)
    low = np.concatenate([EE_LOW, -np.ones(5)]).astype(np.float32)
    high = np.concatenate([EE_HIGH, np.ones(5)]).astype(np.float32)
    return spaces.Box(low, high, dtype=np.float32)


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


def keyframe_step(sim: Sim, robot: Panda, a: np.ndarray) -> None:
    """Move to the keyframe ``a`` (a zero quaternion keeps the orientation), then set the gripper."""
    pos = np.clip(a[:3], EE_LOW, EE_HIGH)
    norm = np.linalg.norm(a[3:7])
    quat = a[3:7] / norm if norm > 1e-6 else robot.command.ee_quat
    gripper = Gripper.OPEN if a[7] >= 0 else Gripper.CLOSED
    robot.move_to(sim, pos, quat)
    if gripper is not robot.command.gripper:
        robot.actuate_gripper(sim, gripper)


def delta_step(sim: Sim, robot: Panda, a: np.ndarray, yaw_rad: float) -> float:
    """One 20 Hz ``ee_delta`` step from the commanded pose (gripper down at ``yaw_rad``); the new yaw."""
    a = np.clip(a, -1.0, 1.0)
    pos = np.clip(robot.command.ee_pos + a[:3] * DELTA_POS_M, EE_LOW, EE_HIGH)
    yaw = float(np.clip(yaw_rad + a[3] * DELTA_YAW_RAD, -YAW_LIMIT_RAD, YAW_LIMIT_RAD))
    robot.command.gripper = Gripper.OPEN if a[4] >= 0 else Gripper.CLOSED
    robot.aim(sim, pos, top_down_quat(yaw))
    sim.step(DELTA_SUBSTEPS)
    return yaw
