"""Episode seeds and independent random streams.

The scheme, in full:

- **Episode seed.** An evaluation's episode ``i`` uses the seed ``run seed + i`` (the runner's
  ``--seed``, 1000 by default), the same in every set of a task; ``env.reset(seed=s)`` uses ``s``,
  and a plain ``reset()`` draws the next seed from the env's own generator.
- **Streams.** Every random draw of an episode comes from one stream named after what it decides:
  ``task`` for the task's initial state (variant, layout, joints) and the axis name (``mo_color``,
  ``distractor``...) for each perturbation axis. A stream is
  ``numpy.random.default_rng([episode_seed, crc32(task_name), crc32(stream_name)])`` (``crc32`` of
  the UTF-8 name, as ``zlib.crc32``).

So enabling one axis never shifts another's draws (each axis has its own stream), episode ``k``
re-runs alone from its seed, replaying ``info["perturbation"]`` needs no stream at all, and the same
episode seed gives unrelated draws in different tasks (a light or camera draw is not repeated
across the tasks a task-averaged success rate pools).
"""

from __future__ import annotations

import zlib

import numpy as np

TASK_STREAM = "task"
MAX_SEED = 2**31 - 1


def stream(episode_seed: int, task: str, name: str) -> np.random.Generator:
    """The random stream ``name`` (``task`` or an axis name) of one episode of ``task``.

    Raises:
        ValueError: the seed is outside ``[0, MAX_SEED]``.
    """
    if not 0 <= int(episode_seed) <= MAX_SEED:
        raise ValueError(f"episode seed must be in [0, {MAX_SEED}], got {episode_seed}")
    return np.random.default_rng([int(episode_seed), _crc(task), _crc(name)])


def _crc(name: str) -> int:
    """The CRC-32 of a name's UTF-8 bytes."""
    return zlib.crc32(name.encode())


def next_episode_seed(rng: np.random.Generator) -> int:
    """Draw the seed of the next episode from an environment's own generator."""
    return int(rng.integers(0, MAX_SEED))
