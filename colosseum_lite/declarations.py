"""The vocabulary tasks and perturbation axes share: object roles, object scales, axis settings.

A task declares its objects by :class:`Role` and how each perturbation axis applies to it with
:func:`axis`; the axes read those declarations. Both ``colosseum_lite.tasks`` and
``colosseum_lite.perturbations`` import this module and neither imports the other.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import Enum, unique
from typing import Any, ClassVar, Protocol

import numpy as np

# The palette of the colour axes (RGB 0..1); a task may name its objects by these colours too.
NAMED_COLORS: dict[str, tuple[float, float, float]] = {
    "red": (1.0, 0.0, 0.0),
    "maroon": (0.5, 0.0, 0.0),
    "lime": (0.0, 1.0, 0.0),
    "green": (0.0, 0.5, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "navy": (0.0, 0.0, 0.5),
    "yellow": (1.0, 1.0, 0.0),
    "cyan": (0.0, 1.0, 1.0),
    "magenta": (1.0, 0.0, 1.0),
    "silver": (0.75, 0.75, 0.75),
    "gray": (0.5, 0.5, 0.5),
    "orange": (1.0, 0.5, 0.0),
    "olive": (0.5, 0.5, 0.0),
    "purple": (0.5, 0.0, 0.5),
    "teal": (0.0, 0.5, 0.5),
    "azure": (0.0, 0.5, 1.0),
    "violet": (0.5, 0.0, 1.0),
    "rose": (1.0, 0.0, 0.5),
    "black": (0.0, 0.0, 0.0),
    "white": (1.0, 1.0, 1.0),
}


@unique
class Role(Enum):
    """What an object is to the task; perturbation axes find their targets by role."""

    MO = "mo"  # manipulated object
    RO = "ro"  # receiver object
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Scales:
    """Uniform scale of the manipulated and receiver objects against their nominal size."""

    mo: float = 1.0
    ro: float = 1.0


def describe(value: Any) -> str:
    """A value as error messages show it: its repr, with its type unless the repr shows it."""
    if value is None or type(value) in (str, int, float, bool, list, tuple, dict, set):
        return repr(value)
    return f"{value!r} ({type(value).__name__})"


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_) and math.isfinite(value)


def _pair(value: Any, what: str) -> tuple[float, float] | None:
    """``[low, high]``: two finite numbers with low <= high."""
    if value is None:
        return None
    if isinstance(value, list | tuple | np.ndarray) and len(value) == 2 and all(_number(v) for v in value) \
            and value[0] <= value[1]:
        return float(value[0]), float(value[1])
    raise ValueError(f"{what} must be [low, high]: two finite numbers with low <= high, got {describe(value)}")


def _names(value: Any, what: str, example: str) -> tuple[str, ...] | None:
    """A non-empty list of strings."""
    if value is None:
        return None
    if not isinstance(value, list | tuple) or not value or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must be a non-empty list of names such as [{example!r}], got {describe(value)}")
    return tuple(value)


def _ranges(value: Any) -> dict[str, tuple[float, float] | None] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise ValueError(f"ranges must map body names to [low, high], got {describe(value)}")
    out = {k: _pair(v, f"ranges[{k!r}]") for k, v in value.items()}
    missing = [k for k, v in out.items() if v is None]
    if missing:  # a body named with no range: leave it out to keep its declared range
        raise ValueError(f"ranges[{missing[0]!r}] must be [low, high]: two finite numbers with low <= high, "
                         f"got None (leave the body out to keep its declared range)")
    return out


def _count(value: Any) -> int | None:
    if value is not None and (isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral)):
        raise ValueError(f"count must be an integer, got {describe(value)}")
    return None if value is None else int(value)


def _severity(value: Any) -> float:
    if not _number(value) or not 0.0 <= value <= 1.0:
        raise ValueError(f"severity must be in [0, 1] (1: the full range, 0: nominal), got {describe(value)}")
    return float(value)


def _same(value: Any) -> bool:
    if not isinstance(value, bool | np.bool_):
        raise ValueError(f"same must be True or False, got {describe(value)}")
    return bool(value)


# How each AxisSetting field is checked and normalised.
_SETTING_CHECKS: dict[str, Callable[[Any], Any]] = {  # field name -> its validator
    "range": lambda v: _pair(v, "range"),
    "ranges": _ranges,
    "targets": lambda v: _names(v, "targets", "block"),
    "same": _same,
    "count": _count,
    "severity": _severity,
    "choices": lambda v: _names(v, "choices", "red"),
}


@dataclass(frozen=True, slots=True)
class AxisSetting:
    """How one axis applies to one task; tasks declare these, users may override fields.

    Attributes:
        range: scalar range of the draw (scale factor for sizes, friction coefficient).
        ranges: per-body ranges (mass in kg per physics target).
        targets: bodies the axis acts on; default: every body of the axis's role.
        same: one draw shared by every target instead of one per target.
        count: number of objects (distractors).
        severity: 0..1, pulls continuous draws toward the nominal value (1 = the full range).
        choices: restrict a palette axis to these colour names.
    """

    range: tuple[float, float] | None = None
    ranges: Mapping[str, tuple[float, float]] | None = None
    targets: tuple[str, ...] | None = None
    same: bool = False
    count: int | None = None
    severity: float = 1.0
    choices: tuple[str, ...] | None = None

    def merged(self, overrides: Mapping[str, Any]) -> AxisSetting:
        """A copy with user overrides (``range``, ``severity``, ``count``, ...), validated.

        Raises:
            ValueError: an unknown field, or a value of the wrong kind (naming the field).
        """
        if not isinstance(overrides, Mapping):
            raise ValueError(f"axis settings must be a dict such as {{'range': [0.8, 1.2]}}, "
                             f"got {describe(overrides)}")
        unknown = sorted(str(k) for k in overrides if k not in _SETTING_CHECKS)
        if unknown:
            raise ValueError(f"unknown axis setting(s) {unknown}; expected some of {sorted(_SETTING_CHECKS)}")
        return replace(self, **{k: _SETTING_CHECKS[k](v) for k, v in overrides.items()})


def axis(**fields: Any) -> AxisSetting:
    """How an axis applies to a task, as the task declares it: ``"mo_size": axis(range=(0.75, 1.15))``.

    Raises:
        ValueError: an unknown field or a value of the wrong kind (naming the field).
    """
    return AxisSetting().merged(fields)


class Declared(Protocol):
    """What the axes need to know of a task: its name, its objects by role and its axis settings."""

    name: ClassVar[str]
    objects: ClassVar[Mapping[str, Role]]
    axes: ClassVar[Mapping[str, AxisSetting]]
