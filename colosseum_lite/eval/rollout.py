"""One episode of one policy in one env, or a batch of episodes in lockstep: what evaluations are made of."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import gymnasium as gym
import numpy as np

from colosseum_lite.policies.base import BatchPolicy, Policy, resetter


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


def checked_action(space: gym.spaces.Box, action: Any) -> np.ndarray:
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

    The policy's ``reset`` gets the seed and the reset ``info`` (or the seed only, if it takes no
    ``info``). ``check_actions`` raises :class:`PolicyError` for an action that is not real numbers,
    NaN or outside the space.
    """
    start = time.perf_counter()
    obs, info = env.reset(seed=seed)
    resetter(policy)(seed, info)
    steps, ret, success = 0, 0.0, bool(info.get("is_success", False))
    done = success
    while not done:
        action = policy.act(obs)
        if check_actions:
            action = checked_action(cast(gym.spaces.Box, env.action_space), action)
        obs, reward, terminated, truncated, info = env.step(action)
        steps += 1
        ret += float(reward)
        success = bool(info.get("is_success", False))
        done = terminated or truncated
    return EpisodeResult(seed, success, steps, ret, time.perf_counter() - start)


def run_batch(envs: Sequence[gym.Env], policy: BatchPolicy, seeds: Sequence[int],
              check_actions: bool = False) -> Iterator[tuple[int, EpisodeResult | Exception]]:
    """Run one episode per env in lockstep, one ``policy.act_batch`` call per step.

    Env ``i`` is reset with ``seeds[i]`` and the policy's ``reset`` is called for it, as
    :func:`run_episode` does. Each step, ``act_batch`` receives the observations of the episodes
    still running, in env order, and must return one action for each. Yields ``(i, outcome)`` as
    each episode ends: its :class:`EpisodeResult` (``wall_s`` from the batch's start to the
    episode's end), or the exception that ended it. A bad action, a failing reset or a failing
    ``env.step`` ends its own episode only; an ``act_batch`` that raises or returns the wrong
    number of actions ends every episode still running. An episode's steps, return and success are
    those :func:`run_episode` gives for the same seed when the policy acts on each observation alone.
    """
    if len(envs) != len(seeds):
        raise ValueError(f"run_batch needs one seed per env, got {len(envs)} envs and {len(seeds)} seeds")
    start = time.perf_counter()
    reset = resetter(policy)
    obs: dict[int, dict] = {}
    steps = [0] * len(envs)
    ret = [0.0] * len(envs)

    def result(i: int, success: bool) -> EpisodeResult:
        return EpisodeResult(int(seeds[i]), success, steps[i], ret[i], time.perf_counter() - start)

    for i, (env, seed) in enumerate(zip(envs, seeds, strict=True)):
        try:
            obs[i], info = env.reset(seed=int(seed))
            reset(int(seed), info)
        except Exception as exc:  # noqa: BLE001 - it ends this episode; the caller says whose fault
            yield i, exc
            obs.pop(i, None)
            continue
        if info.get("is_success", False):
            del obs[i]
            yield i, result(i, True)
    while obs:
        running = list(obs)
        try:
            actions = list(policy.act_batch([obs[i] for i in running]))
            if len(actions) != len(running):
                raise PolicyError(f"act_batch returned {len(actions)} actions for {len(running)} observations")
        except Exception as exc:  # noqa: BLE001 - every running episode ends with it
            obs.clear()
            for i in running:
                yield i, exc
            return
        for i, action in zip(running, actions, strict=True):
            env = envs[i]
            try:
                if check_actions:
                    action = checked_action(cast(gym.spaces.Box, env.action_space), action)
                obs[i], reward, terminated, truncated, info = env.step(action)
            except Exception as exc:  # noqa: BLE001 - it ends this episode
                del obs[i]
                yield i, exc
                continue
            steps[i] += 1
            ret[i] += float(reward)
            if terminated or truncated:
                del obs[i]
                yield i, result(i, bool(info.get("is_success", False)))
