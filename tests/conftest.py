"""Shared fixtures: one env per (task, mode) per test module where that is safe."""

from __future__ import annotations

import gymnasium as gym
import pytest

import colosseum_lite
from colosseum_lite import TASKS, env_id

TASK_NAMES = sorted(TASKS)
OBS_MODES = ("state", "rgb", "rgbd")


@pytest.fixture
def make_env():
    """Factory for unwrapped-accessible envs that are closed after the test."""
    made = []

    def _make(task: str, **kwargs) -> gym.Env:
        env = gym.make(env_id(task), **kwargs)
        made.append(env)
        return env

    yield _make
    for env in made:
        env.close()


assert colosseum_lite.ENV_IDS  # importing registers every task
