"""One episode of one policy in one env: the unit every evaluation is made of."""

from __future__ import annotations

import time
from dataclasses import dataclass

import gymnasium as gym
import numpy as np

from colosseum_lite.policies.base import Policy


@dataclass(frozen=True, slots=True)
class EpisodeResult:
    """What one episode produced."""

    seed: int
    success: bool
    steps: int
    episode_return: float
    wall_s: float


class PolicyError(ValueError):
    """The policy returned something that is not a valid action."""


def checked_action(space: gym.spaces.Box, action) -> np.ndarray:
    """The action as an array of the space's dtype, or PolicyError unless it is real numbers
    (not strings, complex numbers, bools or objects), finite and inside the space."""
    try:
        raw = np.asarray(action)
    except (TypeError, ValueError):  # ragged nesting and the like
        raise PolicyError(f"policy returned an action that is not an array of numbers: {action!r}") from None
    if raw.dtype.kind not in "iuf":
        raise PolicyError(f"policy returned an action of {raw.dtype} values, not real numbers: {action!r}")
    a = raw.astype(space.dtype)
    if a.shape != space.shape:
        raise PolicyError(f"policy returned an action of shape {a.shape}; the action space is {space}")
    if not np.all(np.isfinite(a)):
        raise PolicyError(f"policy returned a non-finite action {a.tolist()}")
    if not space.contains(a):
        raise PolicyError(f"policy returned an action outside the action space {space}: {a.tolist()}")
    return a


def run_episode(env: gym.Env, policy: Policy, seed: int, check_actions: bool = False) -> EpisodeResult:
    """Reset ``env`` with ``seed``, let ``policy`` act until termination or truncation.

    ``check_actions`` raises :class:`PolicyError` for an action that is not real numbers, NaN or
    outside the space.
    """
    start = time.perf_counter()
    obs, info = env.reset(seed=seed)
    policy.reset(seed)
    steps, ret, success = 0, 0.0, bool(info.get("is_success", False))
    done = success
    while not done:
        action = policy.act(obs)
        if check_actions:
            action = checked_action(env.action_space, action)
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        ret += float(reward)
        success = bool(info.get("is_success", False))
        done = terminated or truncated
    return EpisodeResult(seed, success, steps, ret, time.perf_counter() - start)
