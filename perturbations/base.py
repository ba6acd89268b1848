"""What an axis is: a stage, a pure ``sample`` and a deterministic ``apply``.

An axis never keeps a simulator handle or a random generator: ``sample(rng, scene, setting)``
draws JSON-serialisable parameters from the axis's own stream without touching the simulator,
and ``apply(sim, scene, params)`` writes absolute values computed from the nominal scene, so
replaying recorded parameters reproduces an episode and an unperturbed reset is exact.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import Enum, auto, unique
from typing import TYPE_CHECKING, Any

import numpy as np

from colosseum_lite.distractors import Circle, Rect
from colosseum_lite.sim import RenderSettings, Sim

if TYPE_CHECKING:  # task modules import this one to declare their axes: no runtime import back
    from colosseum_lite.tasks.base import Role

Params = dict[str, Any]


@unique
class Stage(Enum):
    """When an axis acts during a reset."""

    BUILD = auto()  # needs bodies rebuilt (sizes) or added (distractors)
    RESET = auto()  # changes dynamics of existing bodies
    RENDER = auto()  # changes only what cameras see


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
        """A copy with user overrides (``range``, ``severity``, ``count``, ...), validated."""
        known = set(self.__dataclass_fields__)
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(f"unknown axis setting(s) {unknown}; expected some of {sorted(known)}")
        values = dict(overrides)
        if "range" in values and values["range"] is not None:
            lo, hi = (float(v) for v in values["range"])
            if not lo <= hi:
                raise ValueError(f"range must be [low, high] with low <= high, got {values['range']}")
            values["range"] = (lo, hi)
        for key in ("targets", "choices"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        if "severity" in values and not 0.0 <= float(values["severity"]) <= 1.0:
            raise ValueError(f"severity must be in [0, 1], got {values['severity']}")
        return replace(self, **values)


def on(**fields: Any) -> AxisSetting:
    """Declare an axis for a task: ``"mo_size": on(range=(0.75, 1.15))``."""
    return AxisSetting().merged(fields)


@dataclass(slots=True)
class Scene:
    """What axes read and write besides the simulator; owned by the env, rebuilt never.

    Sampling reads the static facts (roles, settings, free area, occupied footprints). Applying
    may change the render state (light, camera offsets) and records what it touched so the next
    reset can put it back.
    """

    task: str
    roles: Mapping[str, Role]
    settings: Mapping[str, AxisSetting]
    static_bodies: Mapping[str, tuple[str, ...]]  # "table" / "walls" -> body names
    nominal_light: RenderSettings
    free_area: Rect
    textures: Any = None  # colosseum_lite.textures.TextureSet
    occupied: tuple[Circle, ...] = ()
    nominal_colors: dict[str, dict[int, tuple[float, ...]]] = field(default_factory=dict)
    nominal_dynamics: dict[str, dict[int, tuple[float, float]]] = field(default_factory=dict)
    scales: dict[str, float] = field(default_factory=dict)  # role value -> scale, set by size axes
    light: RenderSettings = field(default_factory=RenderSettings)
    camera_offsets: dict[str, tuple[tuple[float, ...], tuple[float, ...]]] = field(default_factory=dict)
    distractors: list[str] = field(default_factory=list)
    touched_looks: set[str] = field(default_factory=set)
    touched_dynamics: set[str] = field(default_factory=set)

    def bodies(self, role: Role) -> tuple[str, ...]:
        """Task bodies with a role, in declaration order."""
        return tuple(name for name, r in self.roles.items() if r is role)


class Axis(ABC):
    """One perturbation axis. Subclass once per kind (colour, texture, scale, ...)."""

    name: str
    stage: Stage
    needs_layout: bool = False  # sampled after the task has placed its objects

    def targets(self, scene: Scene, setting: AxisSetting) -> tuple[str, ...]:
        """Bodies the axis acts on in this scene (empty when it has no targets)."""
        return ()

    def check(self, task: str, setting: AxisSetting, roles: Mapping[str, Role]) -> None:  # noqa: B027
        """Raise ValueError when a task's setting cannot work (no targets, missing range...)."""

    @abstractmethod
    def sample(self, rng: np.random.Generator, scene: Scene, setting: AxisSetting) -> Params:
        """Draw parameters: pure, JSON-serialisable, no simulator."""

    @abstractmethod
    def apply(self, sim: Sim, scene: Scene, params: Params) -> None:
        """Write the parameters into the scene, as absolute values from nominal."""


def toward_nominal(value: np.ndarray | float, nominal: np.ndarray | float, severity: float):
    """Pull a draw toward the nominal value: severity 1 keeps it, 0 gives the nominal."""
    return nominal + severity * (np.asarray(value, dtype=float) - nominal)


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


def all_links(sim: Sim, body: str) -> list[int]:
    """Every link of a body, base (-1) first."""
    return sim.link_indices(body)


def record_looks(sim: Sim, bodies: tuple[str, ...]) -> dict[str, dict[int, tuple[float, ...]]]:
    """Nominal RGBA per link of each body, read once after building."""
    return {body: sim.colors(body) for body in bodies}


def record_dynamics(sim: Sim, bodies: tuple[str, ...]) -> dict[str, dict[int, tuple[float, float]]]:
    """Nominal (mass kg, lateral friction) per link of each body, read once after building."""
    return {
        body: {link: (d["mass"], d["lateral_friction"]) for link in all_links(sim, body)
               for d in [sim.dynamics(body, link)]}
        for body in bodies
    }
