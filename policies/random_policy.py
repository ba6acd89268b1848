"""Policies that must fail every task: the floor of every metric, and the random-policy bound.

- :class:`RandomPolicy`: uniform samples from the action space (any control mode).
- :class:`TopDownRandomPolicy`: ``ee_keyframe`` targets near the table with the gripper
  pointing down at a random yaw and a random open/close, the random policy most like a
  manipulation policy (it reaches where the objects are).
- :class:`IdlePolicy`: holds still (``ee_delta`` zeros, the gripper open).
"""

from __future__ import annotations

from typing import Any, cast

import gymnasium as gym
import numpy as np

from colosseum_lite.robot import top_down_quat

TOP_DOWN_LOW_M = (0.25, -0.35, 0.0)  # world frame: where a random top-down keyframe may aim
TOP_DOWN_HIGH_M = (0.75, 0.35, 0.3)


class RandomPolicy:
    """Uniform random actions, reproducible from the seed given to ``reset``."""

    def __init__(self, env: gym.Env) -> None:
        space = cast(gym.spaces.Box, env.action_space)  # every colosseum-lite env acts in a Box
        self.space = gym.spaces.Box(space.low, space.high, space.shape, space.dtype)
        self.space.seed(0)

    def reset(self, seed: int | None = None, info: dict | None = None) -> None:
        """Reseed the action stream."""
        self.space.seed(seed)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """A uniform sample from the action space."""
        return self.space.sample()


class TopDownRandomPolicy:
    """Random ``ee_keyframe`` targets near the table, gripper down at a random yaw, random open/close.

    Raises:
        ValueError: if the env does not take ``ee_keyframe`` actions (8 numbers).
    """

    def __init__(self, env: gym.Env) -> None:
        if env.action_space.shape != (8,):
            raise ValueError("the top-down random policy plays keyframes: make the env with "
                             "control_mode='ee_keyframe'")
        self.rng = np.random.default_rng(0)

    def reset(self, seed: int | None = None, info: dict | None = None) -> None:
        """Reseed the keyframe stream."""
        self.rng = np.random.default_rng(seed)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The next random keyframe: ``[x, y, z, qx, qy, qz, qw, gripper]``."""
        pos = self.rng.uniform(TOP_DOWN_LOW_M, TOP_DOWN_HIGH_M)
        quat = top_down_quat(float(self.rng.uniform(-np.pi / 2, np.pi / 2)))
        return np.array([*pos, *quat, self.rng.choice([-1.0, 1.0])], dtype=np.float32)


class IdlePolicy:
    """Does nothing: ``ee_delta`` zeros (no motion, the gripper open).

    Raises:
        ValueError: if the env does not take ``ee_delta`` actions (5 numbers).
    """

    def __init__(self, env: gym.Env) -> None:
        if env.action_space.shape != (5,):
            raise ValueError("the idle policy sends ee_delta zeros: make the env with control_mode='ee_delta'")

    def reset(self, seed: int | None = None, info: dict | None = None) -> None:
        """Nothing to reset."""

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """Zeros: stay where you are."""
        return np.zeros(5, np.float32)
