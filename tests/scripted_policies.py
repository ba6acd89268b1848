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
    """Zero actions, except on seed 1: raise, NaN, outside the space, sleep, hang in C or die."""

    def __init__(self, env, how: str) -> None:
        self.space, self.how, self.seed = env.action_space, how, None

    def reset(self, seed=None, info=None) -> None:
        self.seed = seed

    def act(self, obs) -> np.ndarray:
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
