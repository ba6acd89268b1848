"""colosseum-lite: THE COLOSSEUM's manipulation tasks and perturbation axes on PyBullet.

Importing the package registers every task as a Gymnasium id (``colosseum_lite.ENV_IDS``).
``colosseum_lite.evaluate`` is :func:`colosseum_lite.eval.runner.evaluate` itself, imported on
first use (so ``import colosseum_lite`` does not load the runner, its store and its backends).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from colosseum_lite import sim as _sim  # noqa: F401  (imports pybullet quietly first)
from colosseum_lite.perturbations import AXES
from colosseum_lite.registration import register_all
from colosseum_lite.tasks import TASKS, env_id

if TYPE_CHECKING:
    from colosseum_lite.eval.runner import evaluate

__version__ = "0.1.0"
ENV_IDS: list[str] = register_all()
_LAZY = {"evaluate": "colosseum_lite.eval.runner"}  # attribute -> the module that defines it


def __getattr__(name: str) -> Any:
    """The runner's ``evaluate`` on first access (PEP 562): the real function, signature and docstring."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip this hook
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The module's names, including the lazily imported ones."""
    return sorted({*globals(), *_LAZY})


__all__ = ["AXES", "ENV_IDS", "TASKS", "__version__", "env_id", "evaluate"]
