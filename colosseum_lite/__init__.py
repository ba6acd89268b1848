"""colosseum-lite: THE COLOSSEUM's manipulation tasks and perturbation axes on PyBullet.

Importing the package registers every task as a Gymnasium id (``colosseum_lite.ENV_IDS``).
"""

from __future__ import annotations

from colosseum_lite import sim as _sim  # noqa: F401  (imports pybullet quietly first)
from colosseum_lite.perturbations import AXES
from colosseum_lite.registration import register_all
from colosseum_lite.tasks import TASKS, env_id

__version__ = "0.1.0"
ENV_IDS: list[str] = register_all()


def evaluate(*args, **kwargs):
    """Run a paired perturbation sweep; see :func:`colosseum_lite.eval.runner.evaluate`."""
    from colosseum_lite.eval.runner import evaluate as _evaluate

    return _evaluate(*args, **kwargs)


__all__ = ["AXES", "ENV_IDS", "TASKS", "__version__", "env_id", "evaluate"]
