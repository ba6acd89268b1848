"""One episode of one policy in one env: the unit every evaluation is made of."""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym

from colosseum_lite.policies.base import Policy


@dataclass(frozen=True, slots=True)
class EpisodeResult:
    """What one episode produced."""

    seed: int
    success: bool
    steps: int
    episode_return: float
    wall_s: float


def run_episode(env: gym.Env, policy: Policy, seed: int) -> EpisodeResult:
    """Reset ``env`` with ``seed``, let ``policy`` act until termination or truncation."""
    start = time.perf_counter()
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    steps, ret, success = 0, 0.0, bool(info.get("is_success", False))
    done = success
    while not done:
        obs, reward, terminated, truncated, info = env.step(policy.act(obs))
        steps += 1
        ret += float(reward)
        success = bool(info.get("is_success", False))
        done = terminated or truncated
    return EpisodeResult(seed, success, steps, ret, time.perf_counter() - start)
