"""Episode seeds and independent random streams.

Every stream is ``default_rng([episode_seed, crc32(name)])``: the task's initial state draws
from the ``task`` stream and each perturbation axis from a stream named after the axis, so
enabling one axis never shifts another's draws and any episode can be re-run alone.
"""

from __future__ import annotations

import zlib

import numpy as np

TASK_STREAM = "task"
MAX_SEED = 2**31 - 1


def stream(episode_seed: int, name: str) -> np.random.Generator:
    """The random stream ``name`` of one episode."""
    if not 0 <= int(episode_seed) <= MAX_SEED:
        raise ValueError(f"episode seed must be in [0, {MAX_SEED}], got {episode_seed}")
    return np.random.default_rng([int(episode_seed), zlib.crc32(name.encode())])


def next_episode_seed(rng: np.random.Generator) -> int:
    """Draw the seed of the next episode from an environment's own generator."""
    return int(rng.integers(0, MAX_SEED))
