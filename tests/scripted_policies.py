"""Policies that misbehave on purpose, for runner and backend tests (used as ``path.py:factory`` specs).

Each holds still, except on the episode whose seed is 1, where it does what its name says.
"""

from __future__ import annotations

import ctypes
import os
import signal
import time

import numpy as np


class Scripted:
    """Zero actions, except on seed 1: raise, NaN, outside the space, sleep, hang in C or die (or always raise)."""

    def __init__(self, env, how: str) -> None:
        self.space, self.how, self.seed = env.action_space, how, None

    def reset(self, seed=None, info=None) -> None:
        self.seed = seed

    def act(self, obs) -> np.ndarray:
        if self.how == "always":
            raise RuntimeError("the policy always fails")
        if self.seed == 1:
            if self.how == "raise":
                raise RuntimeError("boom from the policy")
            if self.how == "nan":
                return np.full(self.space.shape, np.nan, np.float32)
            if self.how == "outside":
                return np.full(self.space.shape, 7.0, np.float32)
            if self.how == "sleep":
                time.sleep(10**9)
            if self.how == "c_hang":
                ctypes.CDLL(None).pause()  # in C: no Python signal handler runs
            if self.how == "die":
                os.kill(os.getpid(), signal.SIGKILL)
        return np.zeros(self.space.shape, np.float32)


def still(env): return Scripted(env, "none")  # noqa: E704
def raising(env): return Scripted(env, "raise")  # noqa: E704
def nan(env): return Scripted(env, "nan")  # noqa: E704
def outside(env): return Scripted(env, "outside")  # noqa: E704
def sleeps(env): return Scripted(env, "sleep")  # noqa: E704
def hangs_in_c(env): return Scripted(env, "c_hang")  # noqa: E704
def dies(env): return Scripted(env, "die")  # noqa: E704


def slow_to_build(env):
    """Takes 1.5 s to build, then holds still."""
    time.sleep(1.5)
    return Scripted(env, "none")


def always_raises(env):
    """Raises the same error on every step of every episode."""
    return Scripted(env, "always")


class Counted(Scripted):
    """Holds still; writes ``task seed`` of each reset's info to the file named by ``COLOSSEUM_TEST_RESETS``."""

    def reset(self, seed=None, info=None) -> None:
        super().reset(seed, info)
        with open(os.environ["COLOSSEUM_TEST_RESETS"], "a") as f:
            f.write(f"{info['task']} {info['episode_seed']}\n")


def counted(env):
    """A ``Counted``; appends this process's id to the file named by ``COLOSSEUM_TEST_COUNT`` per call."""
    with open(os.environ["COLOSSEUM_TEST_COUNT"], "a") as f:
        f.write(f"{os.getpid()}\n")
    return Counted(env, "none")


class Batched:
    """A stateless function of the observation, with ``act_batch``; records each batch's size in the
    file named by ``COLOSSEUM_TEST_BATCHES`` (when set). ``nan_at`` = (call, position): that
    action of that ``act_batch`` call is NaN; ``how`` = "sleep" or "die": its second ``act_batch``
    call hangs or kills its process (a lone episode calls ``act`` and is spared)."""

    def __init__(self, env, nan_at: tuple[int, int] | None = None, how: str = "") -> None:
        self.space, self.nan_at, self.calls, self.how = env.action_space, nan_at, 0, how

    def reset(self, seed=None, info=None) -> None:
        pass

    def act(self, obs) -> np.ndarray:
        state = np.concatenate([obs["proprio"], obs["object_state"]])
        return (0.5 * np.tanh(3.0 * state[-self.space.shape[0]:])).astype(np.float32)

    def act_batch(self, observations) -> list[np.ndarray]:
        self.calls += 1
        if os.environ.get("COLOSSEUM_TEST_BATCHES"):
            with open(os.environ["COLOSSEUM_TEST_BATCHES"], "a") as f:
                f.write(f"{len(observations)}\n")
        if self.calls == 2 and self.how == "sleep":
            time.sleep(10**9)
        if self.calls == 2 and self.how == "die":
            os.kill(os.getpid(), signal.SIGKILL)
        actions = [self.act(o) for o in observations]
        if self.nan_at is not None and self.nan_at[0] == self.calls:
            actions[self.nan_at[1]] = np.full(self.space.shape, np.nan, np.float32)
        return actions


def batched(env): return Batched(env)  # noqa: E704
def batched_nan(env): return Batched(env, nan_at=(2, 1))  # noqa: E704
def batched_sleeps(env): return Batched(env, how="sleep")  # noqa: E704
def batched_dies(env): return Batched(env, how="die")  # noqa: E704
