"""The scripted oracle: each task's privileged keyframe plan, as a policy."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import numpy as np

from colosseum_lite.env import ColosseumEnv, ControlMode
from colosseum_lite.tasks.base import Keyframe


class OraclePolicy:
    """Runs the task's ``oracle`` generator, one keyframe per ``act``.

    The plan reads the simulator's true state between keyframes (closed loop), so it follows
    the actual sizes, masses and frictions of the episode. When the plan ends it holds still.
    It is bound to its env: the runner calls :meth:`bind` when it moves the policy to another.

    Raises:
        ValueError: if the env is not a colosseum-lite env in ``ee_keyframe`` control mode.
    """

    def __init__(self, env: gym.Env) -> None:
        self.bind(env)

    def bind(self, env: gym.Env) -> None:
        """Act in ``env`` from now on (its privileged state); forgets the plan.

        Raises:
            ValueError: if the env is not a colosseum-lite env in ``ee_keyframe`` control mode.
        """
        base = env.unwrapped
        if not isinstance(base, ColosseumEnv):
            raise ValueError("the oracle needs a colosseum-lite env (privileged state)")
        if base.control_mode is not ControlMode.EE_KEYFRAME:
            raise ValueError("the oracle plays keyframes: make the env with "
                             "control_mode='ee_keyframe'")
        self.env = base
        self._plan: Iterator[Keyframe] | None = None
        self._episode = -1

    def reset(self, seed: int | None = None, info: dict[str, Any] | None = None) -> None:
        """Forget the previous plan; the next ``act`` plans for the current episode."""
        self._plan = None

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """The next keyframe of the plan as an ``ee_keyframe`` action, inside the action space.

        A plan may aim a keyframe outside the workspace box (a large object's grasp point near
        its edge); the controller would stop the hand at the box's face, so the action says so.
        """
        env = self.env
        if self._plan is None or self._episode != env.episode_count:
            self._plan = env.task.oracle(env.sim, env.variant)
            self._episode = env.episode_count
        try:
            action = next(self._plan).action()
        except StopIteration:
            cmd = env.robot.command
            action = Keyframe(tuple(cmd.ee_pos), tuple(cmd.ee_quat), cmd.gripper).action()
        space = env.action_space
        return np.clip(action, space.low, space.high).astype(action.dtype)
