"""The policy protocol every evaluated policy follows."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Policy(Protocol):
    """Anything with ``reset(seed)`` and ``act(obs) -> action``.

    ``reset`` is called after each ``env.reset`` with the episode's seed; ``act`` receives the
    observation dict and returns an action in the env's action space.
    """

    def reset(self, seed: int | None = None) -> None: ...

    def act(self, obs: dict[str, Any]) -> np.ndarray: ...
