"""A policy that samples uniformly from the action space (a floor for every metric)."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np


class RandomPolicy:
    """Uniform random actions, reproducible from the seed given to ``reset``."""

    def __init__(self, env: gym.Env) -> None:
        space = env.action_space
        self.space = gym.spaces.Box(space.low, space.high, space.shape, space.dtype)
        self.space.seed(0)

    def reset(self, seed: int | None = None) -> None:
        """Reseed the action stream."""
        self.space.seed(seed)

    def act(self, obs: dict[str, Any]) -> np.ndarray:
        """A uniform sample from the action space."""
        return self.space.sample()
